"""Violating and compliant fixtures for every rule, one module per rule area.

Each module defines `CASES`. A case is a handful of resources, written as the engine would
send them to the policy pack (camelCase inputs, property dependencies between resources),
and the verdict the named rule must reach on them. `tests/test_rules.py` runs every case
through the same analyzer path as `plinth audit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from plinth.audit.analyzer import AuditResource

TAGS = {
    "owner": "team@example.com",
    "cost-center": "cc-1",
    "environment": "test",
    "data-classification": "internal",
}


def res(
    type_: str,
    name: str,
    props: Mapping[str, Any] | None = None,
    *,
    deps: Mapping[str, Sequence[AuditResource]] | None = None,
    protect: bool = False,
    parent: AuditResource | None = None,
    provider: AuditResource | None = None,
) -> AuditResource:
    """A resource; `deps` maps an input name to the resources its value was computed from."""
    return AuditResource(
        urn=f"urn:pulumi:test::fixture::{type_}::{name}",
        type=type_,
        name=name,
        inputs=dict(props or {}),
        protect=protect,
        parent=parent.urn if parent else "",
        provider=f"{provider.urn}::provider-id" if provider else "",
        property_dependencies={key: tuple(r.urn for r in rs) for key, rs in (deps or {}).items()},
    )


@dataclass(frozen=True)
class Case:
    rule: str
    verdict: Literal["violates", "complies"]
    note: str
    resources: Sequence[AuditResource]
    profiles: tuple[str, ...] = ("baseline",)
    expect: str = ""
    """A fragment the violation message must contain (violating cases)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Threshold overrides for the rule under test (on top of the profiles' values)."""


def violates(rule: str, note: str, *resources: AuditResource, **kwargs: Any) -> Case:
    return Case(rule, "violates", note, resources, **kwargs)


def complies(rule: str, note: str, *resources: AuditResource, **kwargs: Any) -> Case:
    return Case(rule, "complies", note, resources, **kwargs)
