"""Reading resource properties the way rules need them.

Properties arrive with the engine's camelCase names, wrapped in the SDK's unknown-checking
proxy: reading a value that is unknown during preview raises `UnknownValueError`, which the
SDK turns into an advisory "can't run policy during preview" note. These helpers keep that
behaviour (they never swallow the error) and only add tolerance for absent keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

IDENTITY_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ROLE_TYPE = "aws:iam/role:Role"


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path[0]][path[1]]...`, or `default` where a key or index is absent."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or key >= len(value):
                return default
        elif not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return default if value is None else value


def as_list(value: Any) -> list[Any]:
    """A single value or a list as a list (IAM allows both)."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    return list(value)


def document(value: Any) -> Mapping[str, Any]:
    """A policy document given as JSON text or as an object."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return value if isinstance(value, Mapping) else {}


def statements(policy: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (JSON text or object)."""
    return [s for s in as_list(document(policy).get("Statement")) if isinstance(s, Mapping)]


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal value of a statement; `"*"` for the anonymous/any principal."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [str(p) for values in principal.values() for p in as_list(values)]


def identity_policies(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, document) for each identity-based policy document a resource carries."""
    if resource_type in IDENTITY_POLICY_TYPES:
        yield "policy", dig(props, "policy")
    elif resource_type == ROLE_TYPE:
        for index, inline in enumerate(as_list(dig(props, "inlinePolicies"))):
            yield f"inlinePolicies[{index}]", dig(inline, "policy")


def of_type(args: StackValidationArgs, *types: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in types]


def depends_via(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    """Whether `resource`'s input `prop` was computed from `target` (works during preview)."""
    return any(dep.urn == target.urn for dep in resource.property_dependencies.get(prop, ()))


def referencing(
    candidates: Iterable[PolicyResource], prop: str, target: PolicyResource
) -> list[PolicyResource]:
    """The candidates whose input `prop` refers to `target`."""
    return [c for c in candidates if depends_via(c, prop, target)]
