"""The mapping from Pulumi AWS resource types to the API operations that create them.

`aws_table.yaml` is the one table: per resource type, the service and operation, and which
input property fills which member. Properties whose names match a member (ignoring case,
`_` and `-`) map to it without being listed; the table lists only the others, names that
match by accident (`skip`), what the provider fills itself (`autoname`, `provided`) and
values the provider accepts but never sends (`providerValues`). Types the shipped stacks
register that no check covers are listed under `notChecked`, each with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

TABLE_FILE = Path(__file__).with_name("aws_table.yaml")

MemberPath = Annotated[
    str, StringConstraints(pattern=r"^([A-Za-z0-9]+:)?[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$")
]
"""`Member.Sub` in the type's operation, or `Operation:Member.Sub` in another operation of the
same service (a property set by a second call, e.g. PutRetentionPolicy after CreateLogGroup)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


class Renamed(_Model):
    """A property (or nested field) whose member is named differently, with nested renames."""

    member: MemberPath
    fields: dict[str, MemberPath | Renamed] = Field(default_factory=dict)


Target = MemberPath | Renamed


class Mapping(_Model):
    service: str
    operation: str
    properties: dict[str, Target] = Field(default_factory=dict)
    skip: tuple[str, ...] = ()
    autoname: str = "name"
    """The property Pulumi fills with `<resource name>-<7 hex>` when the program leaves it out:
    `name` on every type that has one (the provider's default auto-naming), or the type's own
    name property (`bucket`, `nodeGroupName`...)."""
    autoname_lowercase: bool = False
    provided: tuple[str, ...] = ()
    """Required members the provider fills itself (tokens, values derived from other inputs)."""
    provider_values: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Values the provider accepts at a property path but handles itself (never sent)."""


class Table(_Model):
    types: dict[str, Mapping]
    not_checked: dict[str, str] = Field(default_factory=dict)
    """Resource types the shipped stacks register that no contract check covers -> why."""


def normalized(name: str) -> str:
    """A name as the auto-match compares it: no case, `_` or `-`."""
    return re.sub(r"[_\-]", "", name).lower()


@cache
def load_table() -> Table:
    return Table.model_validate(yaml.load(TABLE_FILE.read_text(), Loader=yaml.CSafeLoader))


def split_member_path(default_operation: str, path: str) -> tuple[str, list[str]]:
    """`Op:A.B` -> (Op, [A, B]); `A.B` -> (default_operation, [A, B])."""
    operation, _, rest = path.rpartition(":")
    return operation or default_operation, rest.split(".")


def member_paths(fields: dict[str, Target]) -> Iterator[str]:
    """Every member path named in `fields`, nested ones included."""
    for target in fields.values():
        if isinstance(target, Renamed):
            yield target.member
            yield from member_paths(target.fields)
        else:
            yield target
