"""AWS resources against the API operation that creates them.

Each input property of a mapped resource type is checked against the operation member it
fills, as the AWS API model states it: string length, pattern (matched against the whole
value, as AWS's services apply them), enum, number range, list and map size, required
members, recursing into nested structures, lists and maps. Nested fields match members by
name, ignoring case, `_` and `-`; fields that match nothing are not checked.

Pulumi's shapes differ from the API's in a few regular ways, handled here once: a map of
tags is the API's list of key/value pairs, an object where the API takes a list of one is
that list's item (Terraform's single nested blocks), a list where the API takes one item is
checked item by item, and numbers or booleans the provider passes as strings are compared
as numbers or booleans.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import regex

from plinth.engine.contracts.aws_table import (
    Mapping as TypeMapping,
)
from plinth.engine.contracts.aws_table import (
    Renamed,
    Target,
    load_table,
    normalized,
    split_member_path,
)
from plinth.engine.contracts.build import MODELS_FILE
from plinth.engine.contracts.violations import MISSING, Violation
from plinth.engine.result import ResourceRecord
from plinth.engine.values import UNKNOWN, Secret

Shape = Mapping[str, Any]

# Pulumi's auto-name: the resource name, "-", 7 random hex characters (a `namePrefix`
# gets a 26-character unique suffix instead). The digits stand in for the random part.
AUTONAME_SUFFIX = "-0000000"
PREFIX_SUFFIX = "0" * 26
# The AWS models' patterns are Java regular expressions; a supplementary-plane range is
# written there as a UTF-16 surrogate pair range.
_JAVA_SURROGATES = r"\uD800\uDC00-\uDBFF\uDFFF"
_TAG_KEYS = ("key", "tagkey")
_TAG_VALUES = ("value", "tagvalue")


@cache
def models() -> dict[str, Any]:
    """The compact AWS API models (see build.py)."""
    document: dict[str, Any] = json.loads(MODELS_FILE.read_text())
    return document


# Java's \w, \d and \s match ASCII only; Python's match any Unicode letter, digit, space.
_JAVA_CLASSES = {"w": "A-Za-z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}


@cache
def compiled(pattern: str) -> regex.Pattern[str]:
    """A model's pattern (a Java regular expression) as Python's `regex` must write it to
    match the same strings: ASCII `\\w`, `\\d`, `\\s` (Unicode `\\p{..}` classes stay as they
    are), and supplementary characters as code points."""
    translated, in_class, index = [], False, 0
    source = pattern.replace(_JAVA_SURROGATES, r"\U00010000-\U0010FFFF")
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            escaped = source[index + 1]
            ascii_class = _JAVA_CLASSES.get(escaped)
            if ascii_class is None:
                translated.append(source[index : index + 2])
            else:
                translated.append(ascii_class if in_class else f"[{ascii_class}]")
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        translated.append(char)
        index += 1
    return regex.compile("".join(translated))


@dataclass(frozen=True)
class _Service:
    name: str
    operations: Mapping[str, str]
    shapes: Mapping[str, Shape]

    def input_shape(self, operation: str) -> Shape:
        return self.shapes[self.operations[operation]]

    def resolve(self, operation: str, members: Sequence[str]) -> Shape:
        """The shape at `members` inside `operation`'s input."""
        return self.descend(self.input_shape(operation), members)

    def descend(self, shape: Shape, members: Sequence[str]) -> Shape:
        """The shape at `members` inside `shape`, crossing lists."""
        for member in members:
            while shape["type"] == "list":
                shape = self.shapes[shape["member"]]
            shape = self.shapes[shape["members"][member]]
        return shape


def service(name: str) -> _Service:
    entry = models()["services"][name]
    return _Service(name, entry["operations"], entry["shapes"])


def check(records: Sequence[ResourceRecord]) -> list[Violation]:
    table = load_table()
    violations: list[Violation] = []
    for record in records:
        mapping = table.types.get(record.type) if record.custom and not record.read else None
        if mapping is not None:
            violations.extend(_ResourceCheck(record, mapping, service(mapping.service)).run())
    return violations


class _ResourceCheck:
    """One resource's inputs against its mapping."""

    def __init__(self, record: ResourceRecord, mapping: TypeMapping, api: _Service) -> None:
        self.record = record
        self.mapping = mapping
        self.api = api
        self.violations: list[Violation] = []

    def run(self) -> list[Violation]:
        mapping, inputs = self.mapping, self.record.inputs
        operation_input = self.api.input_shape(mapping.operation)
        given: set[str] = set()
        for prop, value in inputs.items():
            target = self._target(prop)
            if target is None:
                continue
            operation, members = split_member_path(mapping.operation, target.member)
            if operation == mapping.operation:
                given.add(members[0])
            self._value(
                value,
                self.api.resolve(operation, members),
                path=prop,
                source=f"{operation}.{'.'.join(members)}",
                fields=target.fields,
            )
        if mapping.autoname not in inputs and self._target(mapping.autoname) is not None:
            given.add(self._autoname(mapping.autoname))
        for member in operation_input.get("required", ()):
            if member not in given and member not in mapping.provided:
                self._refuse(member, MISSING, "is required and not set", f"{mapping.operation}")
        return self.violations

    def _target(self, prop: str) -> Renamed | None:
        """The member a top-level property fills: listed, or matched by name."""
        mapping = self.mapping
        if prop in mapping.skip:
            return None
        members = self.api.input_shape(mapping.operation)["members"]
        return member_for(prop, mapping.properties.get(prop), members)

    def _autoname(self, prop: str) -> str:
        """Check the name Pulumi will make up; returns the member it fills."""
        mapping = self.mapping
        target = self._target(prop)
        assert target is not None  # run() checks first
        operation, members = split_member_path(mapping.operation, target.member)
        prefix = self.record.inputs.get(f"{prop}Prefix")
        if isinstance(prefix, str):
            name, how = prefix + PREFIX_SUFFIX, f"{prop}Prefix + 26 unique characters"
        else:
            name, how = self.record.name + AUTONAME_SUFFIX, "auto-named: resource name + 8"
        if mapping.autoname_lowercase:
            name = name.lower()
        self._value(
            name,
            self.api.resolve(operation, members),
            path=f"{prop} ({how})",
            source=f"{operation}.{'.'.join(members)}",
            fields={},
        )
        return members[0]

    def _refuse(
        self, path: str, value: Any, problem: str, source: str, *, secret: bool = False
    ) -> None:
        self.violations.append(
            Violation(
                urn=self.record.urn,
                resource_type=self.record.type,
                name=self.record.name,
                path=path,
                value=value,
                problem=problem,
                source=source,
                secret=secret,
            )
        )

    def _value(
        self,
        value: Any,
        shape: Shape,
        *,
        path: str,
        source: str,
        fields: Mapping[str, Target],
        secret: bool = False,
    ) -> None:
        if isinstance(value, Secret):
            value, secret = value.value, True
        if value is UNKNOWN or value is None or _is_reference(value):
            return
        if value in self.mapping.provider_values.get(_plain_path(path), ()):
            return
        kind = shape["type"]
        if kind == "list":
            self._list(value, shape, path=path, source=source, fields=fields, secret=secret)
        elif isinstance(value, list):  # several values where the API takes one: each is one
            for index, item in enumerate(value):
                self._value(
                    item, shape, path=f"{path}[{index}]", source=source, fields=fields,
                    secret=secret,
                )  # fmt: skip
        elif kind == "structure":
            self._structure(value, shape, path=path, source=source, fields=fields, secret=secret)
        elif kind == "map":
            self._map(value, shape, path=path, source=source, secret=secret)
        else:
            problem = _scalar_problem(value, shape)
            if problem:
                self._refuse(path, value, problem, source, secret=secret)

    def _structure(
        self,
        value: Any,
        shape: Shape,
        *,
        path: str,
        source: str,
        fields: Mapping[str, Target],
        secret: bool,
    ) -> None:
        if not isinstance(value, dict):
            if not isinstance(value, str):  # a JSON document string is the provider's to parse
                self._refuse(path, value, "is not an object", source, secret=secret)
            return
        given, matched_all = set(), True
        for key, item in value.items():
            target = member_for(key, fields.get(key), shape["members"])
            if target is None:
                matched_all = False
                continue
            steps = target.member.split(".")
            given.add(steps[0])
            self._value(
                item,
                self.api.descend(shape, steps),
                path=f"{path}.{key}",
                source=f"{source}.{target.member}",
                fields=target.fields,
                secret=secret,
            )
        if matched_all:
            for member in shape.get("required", ()):
                if member not in given:
                    self._refuse(path, MISSING, f"lacks required {member}", source)

    def _list(
        self,
        value: Any,
        shape: Shape,
        *,
        path: str,
        source: str,
        fields: Mapping[str, Target],
        secret: bool,
    ) -> None:
        member = self.api.shapes[shape["member"]]
        if isinstance(value, dict) and _is_tag_pair(member):
            value = _tag_pairs(value, member)
        if not isinstance(value, list):  # one item where the API takes a list of them
            self._value(value, member, path=path, source=source, fields=fields, secret=secret)
            return
        problem = _count_problem(len(value), shape, "item")
        if problem:
            self._refuse(path, value, problem, source, secret=secret)
        for index, item in enumerate(value):
            self._value(
                item, member, path=f"{path}[{index}]", source=source, fields=fields,
                secret=secret,
            )  # fmt: skip

    def _map(self, value: Any, shape: Shape, *, path: str, source: str, secret: bool) -> None:
        if not isinstance(value, dict):
            if not isinstance(value, str):
                self._refuse(path, value, "is not a map", source, secret=secret)
            return
        problem = _count_problem(len(value), shape, "entry")
        if problem:
            self._refuse(path, value, problem, source, secret=secret)
        key_shape, value_shape = self.api.shapes[shape["key"]], self.api.shapes[shape["value"]]
        for key, item in value.items():
            self._value(key, key_shape, path=f"{path} key", source=source, fields={})
            self._value(
                item, value_shape, path=f"{path}.{key}", source=source, fields={}, secret=secret
            )


def member_for(key: str, listed: Target | None, members: Iterable[str]) -> Renamed | None:
    """The member a property (or nested field) `key` fills: as the table lists it, else the
    member of the same name (ignoring case, `_` and `-`), else none (not checked)."""
    if isinstance(listed, Renamed):
        return listed
    if listed is not None:
        return Renamed(member=listed)
    wanted = normalized(key)
    matched = next((member for member in members if normalized(member) == wanted), None)
    return Renamed(member=matched) if matched else None


def _is_reference(value: Any) -> bool:
    """A resource reference (decoded as its URN): its ID is known only after deployment."""
    return isinstance(value, str) and value.startswith("urn:pulumi:")


def _plain_path(path: str) -> str:
    """`rules[0].status` -> `rules.status`: provider values are declared without indexes."""
    return regex.sub(r"\[\d+\]", "", path)


def _is_tag_pair(shape: Shape) -> bool:
    members = {normalized(name) for name in shape.get("members", {})}
    return shape["type"] == "structure" and bool(
        members & set(_TAG_KEYS) and members & set(_TAG_VALUES)
    )


def _tag_pairs(tags: Mapping[str, Any], shape: Shape) -> list[dict[str, Any]]:
    """A Pulumi tag map as the API's list of key/value structures."""
    names = {normalized(name): name for name in shape["members"]}
    key = next(names[n] for n in _TAG_KEYS if n in names)
    value = next(names[n] for n in _TAG_VALUES if n in names)
    return [{key: k, value: v} for k, v in tags.items()]


def _count_problem(count: int, shape: Shape, unit: str) -> str:
    if "min" in shape and count < shape["min"]:
        return f"has {count} {unit}(s), fewer than {shape['min']}"
    if "max" in shape and count > shape["max"]:
        return f"has {count} {unit}(s), more than {shape['max']}"
    return ""


def _scalar_problem(value: Any, shape: Shape) -> str:
    """What is wrong with a scalar `value` for `shape`, or ""."""
    kind = shape["type"]
    if kind == "string":
        if isinstance(value, dict):
            return ""  # a document the provider serializes
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return _string_problem(text, shape)
    if kind in ("integer", "long", "double", "float"):
        number = _number(value)
        if number is None:
            return "is not a number"
        if kind in ("integer", "long") and number != int(number):
            return "is not a whole number"
        if "min" in shape and number < shape["min"]:
            return f"is less than {shape['min']}"
        if "max" in shape and number > shape["max"]:
            return f"is more than {shape['max']}"
        return ""
    if kind == "boolean":
        ok = isinstance(value, bool) or str(value).lower() in ("true", "false")
        return "" if ok else "is not a boolean"
    return ""  # blobs and timestamps: the provider encodes them


def _string_problem(text: str, shape: Shape) -> str:
    if "enum" in shape and text not in shape["enum"]:
        return f"is not one of: {', '.join(shape['enum'])}"
    if "min" in shape and len(text) < shape["min"]:
        return f"is {len(text)} characters, fewer than {shape['min']}"
    if "max" in shape and len(text) > shape["max"]:
        return f"is {len(text)} characters, more than {shape['max']}"
    if "pattern" in shape and compiled(shape["pattern"]).fullmatch(text) is None:
        return f"does not match {shape['pattern']}"
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
