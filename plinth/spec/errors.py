"""Spec problems: one line each, naming the key path, the bad value and what is allowed."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi.errors import RunError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a stack's configuration."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(RunError):
    """The stack configuration is invalid. Carries every problem found, not just the first.

    A `pulumi.RunError`, so a real `pulumi up` prints the message without a traceback.
    """

    def __init__(self, problems: Sequence[Problem], source: str = "stack configuration"):
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid {source} ({len(self.problems)} problem(s)):\n{lines}")


def format_path(prefix: str, loc: Iterable[int | str]) -> str:
    """`("network", "cidr")` -> `plinth:network.cidr`; list indices as `[0]`."""
    path = prefix
    # pydantic marks a bad mapping key with a trailing "[key]"; the key itself names the spot.
    parts = [part for part in loc if part != "[key]"]
    for index, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += part if index == 0 else f".{part}"
    return path


def problems_from_validation_error(
    error: ValidationError, model: type[BaseModel], prefix: str
) -> list[Problem]:
    """Translate pydantic's errors into Problems, with allowed keys and near-miss hints."""
    details = error.errors(include_url=False)
    located = [(_location(model, detail), detail) for detail in details]
    problems = {
        Problem(format_path(prefix, loc), _message(detail, model, loc))
        for loc, detail in located
        # pydantic repeats a failed item as "too short" for its list: the item says it all.
        if not (detail["type"] == "too_short" and _has_deeper(loc, located))
    }
    return sorted(problems)


def _has_deeper(
    loc: tuple[int | str, ...], located: list[tuple[tuple[int | str, ...], Any]]
) -> bool:
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other, _ in located)


def _location(model: type[BaseModel], detail: ErrorDetails) -> tuple[int | str, ...]:
    loc = _without_union_tags(model, detail["loc"])
    if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        # The tag key itself is what is wrong or missing.
        return (*loc, str((detail.get("ctx") or {})["discriminator"]).strip("'"))
    return loc


def _without_union_tags(model: type[BaseModel], loc: Sequence[int | str]) -> tuple[int | str, ...]:
    """pydantic puts the chosen member's tag (`aws`) into the location of a tagged union's
    errors; stack files have no such key, so the tag is dropped from the path."""
    kept: list[int | str] = []
    target: Any = model
    for part in loc:
        member = _union_member(target, part)
        if member is not None:
            target = member
            continue
        kept.append(part)
        target = _step(target, part)
    return tuple(kept)


def _union_member(annotation: Any, tag: int | str) -> type[BaseModel] | None:
    annotation = _unwrap_optional(annotation)
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            for field in member.model_fields.values():
                if typing.get_origin(field.annotation) is typing.Literal and typing.get_args(
                    field.annotation
                ) == (tag,):
                    return member
    return None


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__


_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "a boolean (true or false)",
    "bool_type": "a boolean (true or false)",
    "string_type": "a string",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "list_type": "a list",
    "tuple_type": "a list",
}


# Errors on a value that should have been text: an unquoted YAML number is the usual cause.
_TEXT_EXPECTED = ("literal_error", "enum", "string_type", "string_pattern_mismatch")


def _yaml_hint(kind: str, value: Any) -> str:
    """Why a number arrived where text was expected, when YAML is the likely reason."""
    if kind not in _TEXT_EXPECTED or isinstance(value, bool):
        return ""
    if isinstance(value, float):
        return ' (YAML reads an unquoted 1.30 as the number 1.3: write it in quotes, "1.30")'
    if isinstance(value, int):
        return (
            " (YAML reads an unquoted number as a number, dropping leading zeros or reading "
            "it as octal: quote it)"
        )
    return ""


def _message(detail: ErrorDetails, model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    kind, value = detail["type"], detail.get("input")
    return _plain_message(detail, model, loc) + _yaml_hint(kind, value)


_DATE_ERRORS = ("date_parsing", "date_from_datetime_parsing", "date_type")


def _plain_message(detail: ErrorDetails, model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx") or {}
    if kind == "plinth_invalid":
        return str(ctx["detail"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(detail["loc"], model)
    if kind == "union_tag_invalid":
        return f"{ctx['tag']!r} is not allowed; expected one of {ctx['expected_tags']}"
    if kind == "union_tag_not_found":
        return "required key is missing"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} entry"
    if kind in ("literal_error", "enum"):
        return f"{_show(value)} is not allowed; expected {ctx['expected']}"
    if kind in _TYPE_WORDS:
        return f"{_show(value)} is not {_TYPE_WORDS[kind]}"
    if kind == "greater_than_equal":
        return f"{_show(value)} is too small; the minimum is {ctx['ge']}"
    if kind == "less_than_equal":
        return f"{_show(value)} is too large; the maximum is {ctx['le']}"
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} does not match the pattern {ctx['pattern']}"
    if kind in _DATE_ERRORS:
        return f"{_show(value)} is not a date (YYYY-MM-DD)"
    if kind == "string_too_short" and ctx["min_length"] == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"{_show(value)} is too short: at least {ctx['min_length']} characters"
    if kind == "value_error":
        return f"{_show(value)} {ctx.get('error', detail['msg'])!s}"
    return f"{_show(value)}: {detail['msg']}"


def _unknown_key(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    allowed = allowed_keys(model, loc[:-1])
    key = str(loc[-1])
    hint = difflib.get_close_matches(key, allowed, n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"unknown key {key!r}{suggestion}; allowed keys: {', '.join(allowed)}"


def allowed_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The camelCase keys accepted at `loc` inside `model`."""
    target: Any = model
    for part in loc:
        target = _union_member(target, part) or _step(target, part)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return sorted(field.alias or name for name, field in target.model_fields.items())
    return []


def _step(annotation: Any, part: int | str) -> Any:
    """Follow one location step through models, Optional, dicts and sequences."""
    annotation = _unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict and args:
        return args[1]
    if origin in (list, tuple) and args:
        return args[0]
    return None


def _unwrap_optional(annotation: Any) -> Any:
    """Strip `| None` and `Annotated[...]` wrappers (nested in any order)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation
