"""One refused value: which resource, which property, what value, which rule and its source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plinth.engine.values import SECRET_TEXT

_SHOWN = 80


class _Missing:
    def __repr__(self) -> str:
        return "[not set]"


MISSING: Any = _Missing()
"""The value of a violation about a member that is not set at all."""


@dataclass(frozen=True)
class Violation:
    """`resource_type` 'name': `path` `value` `problem` (`source`)."""

    urn: str
    resource_type: str
    name: str
    path: str
    """The property path in the program's terms (camelCase, dots, [index])."""
    value: Any
    problem: str
    """What is wrong, e.g. "does not match ([0-9a-zA-Z][ _-]?)+"."""
    source: str
    """Where the rule comes from, e.g. CreateInferenceProfile.inferenceProfileName."""
    secret: bool = False

    def shown_value(self) -> str:
        if self.secret:
            return SECRET_TEXT
        text = repr(self.value)
        return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}..."

    def text(self) -> str:
        subject = self.path if self.value is MISSING else f"{self.path} {self.shown_value()}"
        return f"{self.resource_type} {self.name!r}: {subject} {self.problem} ({self.source})"
