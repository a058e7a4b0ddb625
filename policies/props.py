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
from pulumi_policy.proxy import UnknownValueError

IDENTITY_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ROLE_TYPE = "aws:iam/role:Role"


ROOT_STACK = "pulumi:pulumi:Stack"
"""The root stack resource: stack policies get it with the stack outputs as its properties."""


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


def given(value: Any, *path: str | int) -> bool:
    """Whether the input at `path` is set; one unknown until deployment (computed from another
    resource, as a generated password or a VPC's subnet IDs) is set too."""
    try:
        return bool(dig(value, *path))
    except UnknownValueError:
        return True


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


def sid(statement: Mapping[str, Any]) -> str:
    """A statement's Sid for messages."""
    return repr(statement.get("Sid", "(no Sid)"))


# Condition keys that pin who may use an otherwise open statement to an account, organisation,
# source resource or network path.
SCOPING_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "kms:CallerAccount",
    )
)


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    """Every condition key of a statement, lower-cased (IAM compares keys case-insensitively)."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return set()
    return {
        str(key).lower()
        for tests in condition.values()
        if isinstance(tests, Mapping)
        for key in tests
    }


def open_to_anyone(statement: Mapping[str, Any]) -> bool:
    """An Allow for any principal (Principal '*' or NotPrincipal) that no condition pins to an
    account, organisation, source or network."""
    if not allows(statement):
        return False
    if "*" not in principals(statement) and "NotPrincipal" not in statement:
        return False
    return not condition_keys(statement) & SCOPING_CONDITION_KEYS


def condition_values(statement: Mapping[str, Any], operator_prefix: str, key: str) -> list[str]:
    """Values tested for `key` under operators starting with `operator_prefix` (e.g. "Bool"),
    keys matched case-insensitively, single values and lists alike."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return []
    found: list[str] = []
    for operator, tests in condition.items():
        if not str(operator).startswith(operator_prefix) or not isinstance(tests, Mapping):
            continue
        found += [
            str(v)
            for k, values in tests.items()
            if str(k).lower() == key.lower()
            for v in as_list(values)
        ]
    return found


def known(container: Any, key: str | int, default: Any = None) -> Any:
    """`container[key]`, or `default` when absent or unknown until deployment.

    For reads where an unknown value must not stop a whole stack rule: a provider-computed
    field of one new resource would otherwise abort the rule for every resource.
    """
    try:
        value = container[key]
    except (KeyError, IndexError, TypeError, UnknownValueError):
        return default
    return default if value is None else value


def string_leaves(
    value: Any, path: str, key: str | int | None = None
) -> Iterator[tuple[str, str | int | None, str]]:
    """(input path, the key or index holding it, text) for every known string inside an input
    value; unknown parts (computed from other resources' outputs) are skipped."""
    if isinstance(value, str):
        yield path, key, value
    elif isinstance(value, Mapping):
        for name in value:
            yield from string_leaves(known(value, name), f"{path}.{name}", name)
    elif isinstance(value, Sequence):
        for index in range(len(value)):
            yield from string_leaves(known(value, index), f"{path}[{index}]", index)


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
