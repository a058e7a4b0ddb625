"""What a Plinth rule is: one small check with its metadata, turned into a CrossGuard policy.

A rule is written as a function and declared with `resource_rule` or `stack_rule`, which keep
its id, severity, remediation, compliance mapping, per-profile enforcement and thresholds next
to it. `Rule.policy` builds the `pulumi_policy` policy the real engine runs; the offline audit
runs that same policy object, so both see the same checks.

Profiles (`baseline`, `soc2`, `hipaa`, `pci`, `gdpr`) never change code paths: they only pick
each policy's enforcement level and threshold values, through the pack's policy config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies import waivers
from policies.catalog import FRAMEWORKS, PROFILES


class Level(StrEnum):
    DISABLED = "disabled"
    ADVISORY = "advisory"
    MANDATORY = "mandatory"

    @property
    def sdk(self) -> EnforcementLevel:
        return EnforcementLevel(self.value)


_STRICTNESS = (Level.DISABLED, Level.ADVISORY, Level.MANDATORY)


def strictest(levels: Iterable[Level]) -> Level:
    return max(levels, key=_STRICTNESS.index, default=Level.DISABLED)


def mandatory() -> Mapping[str, Level]:
    """Mandatory under every profile."""
    return MappingProxyType(dict.fromkeys(PROFILES, Level.MANDATORY))


def advisory(mandatory_in: Iterable[str] = ()) -> Mapping[str, Level]:
    """Advisory, except mandatory under the profiles named."""
    strict = set(mandatory_in)
    unknown = strict - set(PROFILES)
    if unknown:
        raise ValueError(f"unknown profiles {sorted(unknown)}")
    return MappingProxyType(
        {p: Level.MANDATORY if p in strict else Level.ADVISORY for p in PROFILES}
    )


# How a threshold combines when a stack claims several profiles: always the strictest value.
def at_least(values: Sequence[Any]) -> Any:
    return max(values)


def at_most(values: Sequence[Any]) -> Any:
    return min(values)


def first(values: Sequence[Any]) -> Any:
    """For a threshold no profile changes (every profile has the default)."""
    return values[0]


def all_of(values: Sequence[Sequence[Any]]) -> list[Any]:
    """Every item any profile requires (required tags, log types)."""
    return list(dict.fromkeys(item for value in values for item in value))


def narrowest(values: Sequence[Sequence[Any]]) -> list[Any]:
    """Only items every restricting profile allows; an empty list means "no restriction"."""
    restricting = [list(value) for value in values if value]
    if not restricting:
        return []
    first, *rest = restricting
    return [item for item in first if all(item in other for other in rest)]


@dataclass(frozen=True)
class Param:
    """A threshold a rule reads from its policy config, with a value per profile."""

    name: str
    description: str
    schema: Mapping[str, Any]
    default: Any
    merge: Callable[[Sequence[Any]], Any]
    by_profile: Mapping[str, Any] = field(default_factory=dict)

    def value_for(self, profiles: Sequence[str]) -> Any:
        return self.merge([self.by_profile.get(p, self.default) for p in profiles])

    def json_schema(self) -> dict[str, Any]:
        return {**self.schema, "description": self.description, "default": self.default}


def _typed(param: Param, value: Any) -> Any:
    """Config numbers travel as protobuf doubles: give integer thresholds back as ints."""
    if param.schema.get("type") == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Config = Mapping[str, Any]


Kind = Literal["resource", "stack"]

ANY_ENTRY = "*"
"""In a rule's `fix`: the stack-file key that fixes a finding on any resource."""


def stack_urn(args: StackValidationArgs) -> str:
    """The root stack's URN, worked out from any resource's (a fixture need not list the root):
    a finding about the stack as a whole is the root's, so a waiver names it by that URN
    (or its name, `<project>-<stack>`) as for any resource. Every URN starts
    `urn:pulumi:<stack>::<project>`."""
    if not args.resources:
        return ""
    stack, project = args.resources[0].urn.split("::")[0:2]
    stack = stack.removeprefix("urn:pulumi:")
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


SEVERITIES = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


@dataclass(frozen=True)
class Rule:
    """One check of the pack with everything an auditor asks about it."""

    id: str
    area: str
    kind: Kind
    description: str
    severity: str
    remediation: str
    controls: Mapping[str, tuple[str, ...]]
    enforcement: Mapping[str, Level]
    check: Callable[..., None]
    types: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    fix: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """For a Plinth stack, the key a user edits to fix a finding: per kind of entry the
    resource was built from (`gpuPool`: `maxNodes`, under that entry), or under ANY_ENTRY one
    key of the stack file (`plinth:protect`). See plinth/audit/fixes.py."""

    def __post_init__(self) -> None:
        problems = (
            [f"unknown severity {self.severity!r}"] if self.severity not in SEVERITIES else []
        )
        problems += [
            f"fix {kind}: {key!r} must {'' if kind == ANY_ENTRY else 'not '}start with plinth:"
            for kind, key in self.fix.items()
            if key.startswith("plinth:") != (kind == ANY_ENTRY)
        ]
        for framework, ids in self.controls.items():
            known = FRAMEWORKS.get(framework)
            if known is None:
                problems.append(f"unknown framework {framework!r}")
                continue
            problems += [
                f"{framework} has no control {c!r}" for c in ids if c not in known.controls
            ]
        if set(self.enforcement) != set(PROFILES):
            problems.append("enforcement must name every profile")
        if problems:
            raise ValueError(f"rule {self.id}: " + "; ".join(problems))

    def level(self, profiles: Sequence[str]) -> Level:
        return strictest(self.enforcement[p] for p in profiles)

    def thresholds(self, profiles: Sequence[str]) -> dict[str, Any]:
        return {param.name: param.value_for(profiles) for param in self.params}

    def _settings(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The policy config with each threshold's default filled in, as the CLI does."""
        given = given or {}
        return {p.name: _typed(p, given.get(p.name, p.default)) for p in self.params}

    def policy(self) -> Policy:
        """The CrossGuard policy that runs this rule (in the real engine and offline)."""
        schema = PolicyConfigSchema(
            properties={
                **{p.name: p.json_schema() for p in self.params},
                waivers.CONFIG_KEY: waivers.CONFIG_SCHEMA,
            }
        )
        common: dict[str, Any] = {
            "name": self.id,
            "description": self.description,
            "enforcement_level": self.enforcement["baseline"].sdk,
            "config_schema": schema,
            "severity": SEVERITIES[self.severity],
            "remediation_steps": self.remediation,
            "tags": [self.area, *(f"{fw}:{c}" for fw, ids in self.controls.items() for c in ids)],
        }
        if self.kind == "resource":
            return ResourceValidationPolicy(validate=self._validate_resource, **common)
        return StackValidationPolicy(validate=self._validate_stack, **common)

    def _validate_resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if self.types and args.resource_type not in self.types:
            return
        config = args.get_config()
        guarded = waivers.guard(self.id, config, report, default_urn=args.urn)
        self.check(args, guarded, self._settings(config))

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        config = args.get_config()
        guarded = waivers.guard(self.id, config, report, default_urn=stack_urn(args))
        self.check(args, guarded, self._settings(config))


def _declare(kind: Kind) -> Callable[..., Callable[[Callable[..., None]], Rule]]:
    def declare(
        *,
        id: str,
        area: str,
        description: str,
        severity: str,
        remediation: str,
        controls: Mapping[str, Sequence[str]],
        enforcement: Mapping[str, Level] | None = None,
        types: Sequence[str] = (),
        params: Sequence[Param] = (),
        fix: Mapping[str, str] | None = None,
    ) -> Callable[[Callable[..., None]], Rule]:
        def wrap(check: Callable[..., None]) -> Rule:
            return Rule(
                id=id,
                area=area,
                kind=kind,
                description=description,
                severity=severity,
                remediation=remediation,
                controls=MappingProxyType({k: tuple(v) for k, v in controls.items()}),
                enforcement=enforcement or mandatory(),
                check=check,
                types=tuple(types),
                params=tuple(params),
                fix=MappingProxyType(dict(fix or {})),
            )

        return wrap

    return declare


resource_rule = _declare("resource")
"""Declare a rule checked on each resource (of `types`, when given) as it is registered."""

stack_rule = _declare("stack")
"""Declare a rule checked once over all the stack's resources (properties spanning resources)."""
