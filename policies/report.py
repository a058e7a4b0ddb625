"""How a rule reports a violation: what rules and waivers share (its own module, so that
`rule` and `waivers` do not import each other)."""

from __future__ import annotations

from typing import Protocol


class Report(Protocol):
    """Reports a violation; resource rules may omit the URN (it is the resource checked)."""

    def __call__(self, message: str, urn: str | None = None) -> None: ...
