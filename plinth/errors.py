"""The error every command reports the same way: a title and the lines that say what and where;
the CLI prints them and exits 2 (bad input or a situation the user must fix)."""

from __future__ import annotations

from collections.abc import Sequence


class UserError(Exception):
    """A failure the user must fix; `lines` say what and where."""

    def __init__(self, title: str, lines: Sequence[str] = ()) -> None:
        self.title = title
        self.lines = list(lines)
        super().__init__("\n".join([title, *(f"  {line}" for line in self.lines)]))
