"""Run a policy pack over captured resources through the policy SDK's own analyzer.

The real engine talks to a policy pack over gRPC: it configures the pack, sends an
`AnalyzeRequest` per resource and one `AnalyzeStackRequest` at the end. `PolicyPack(...)`
would start that gRPC server and block, so this module builds the same servicer the SDK
builds inside it and sends it the same protobuf requests in-process. Properties are encoded
as the engine encodes them (secrets signed, unknowns as the SDK's sentinel), so every rule
runs behind the SDK's unknown-checking proxy exactly as in `pulumi preview`.

One difference remains: the real engine gives stack policies each resource's state (during a
preview of a new resource: its inputs plus unknowns for what the provider computes), while
this sends the inputs the program registered. Stack rules therefore read provider-computed
fields only through `policies.props.known`, which treats unknown and absent alike. The root
stack is the exception, as in the engine: stack policies get it with the stack outputs as its
properties (pulumi/pulumi pkg/resource/deploy/step_generator.go `AnalyzeResources` sends
every registered resource's outputs, the root stack's being the stack outputs).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import Policy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from plinth.audit.servicer import PackServicer
from plinth.engine.result import STACK_TYPE, Preview, ResourceRecord
from plinth.engine.values import UNKNOWN, Secret
from policies.waivers import LEDGER, WAIVERS_IN_EFFECT_POLICY, WaivedViolation

_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {value: name for name, value in _LEVELS.items()}
SEVERITY_NAMES = {
    proto.POLICY_SEVERITY_LOW: "low",
    proto.POLICY_SEVERITY_MEDIUM: "medium",
    proto.POLICY_SEVERITY_HIGH: "high",
    proto.POLICY_SEVERITY_CRITICAL: "critical",
}


@dataclass(frozen=True)
class AuditResource:
    """One resource as the analyzer sees it (inputs decoded, with Secret and UNKNOWN kept)."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    parent: str = ""
    provider: str = ""
    """The provider reference, `<provider URN>::<provider ID>`."""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ignore_changes: tuple[str, ...] = ()

    @classmethod
    def of(cls, record: ResourceRecord) -> AuditResource:
        return cls(
            urn=record.urn,
            type=record.type,
            name=record.name,
            inputs=record.inputs,
            protect=record.protect,
            parent=record.parent,
            provider=record.provider,
            dependencies=record.depends_on,
            property_dependencies=record.property_dependencies,
            ignore_changes=record.ignore_changes,
        )


def audit_resources(preview: Preview) -> list[AuditResource]:
    """A preview's resources as the engine's analyzers get them: the root stack's properties
    are the stack outputs."""
    return [
        replace(resource, inputs=preview.outputs) if resource.type == STACK_TYPE else resource
        for resource in map(AuditResource.of, preview.resources)
    ]


@dataclass(frozen=True)
class Diagnostic:
    """One violation (or "can't evaluate during preview" note) a policy reported."""

    policy: str
    urn: str
    message: str
    enforcement: str
    severity: str


@dataclass
class Analysis:
    diagnostics: list[Diagnostic]
    waived: list[WaivedViolation]


def to_wire(value: Any) -> Any:
    """A decoded value in the engine's wire form for analyzers."""
    if value is UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": to_wire(value.value)}
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(to_wire(values), struct)
    return struct


class _Requests:
    """The protobuf requests for a set of resources, each Struct built once."""

    def __init__(self, resources: Sequence[AuditResource]) -> None:
        self.everything = list(resources)
        self.resources = [r for r in resources if r.type != STACK_TYPE]
        """What `Analyze` is asked about: the engine asks about the root stack too, with no
        inputs, which no rule reads."""
        self._by_urn = {r.urn: r for r in resources}
        self._properties = {r.urn: _struct(r.inputs) for r in self.everything}

    def _options(self, resource: AuditResource) -> proto.AnalyzerResourceOptions:
        return proto.AnalyzerResourceOptions(
            protect=resource.protect,
            ignoreChanges=list(resource.ignore_changes),
            parent=resource.parent,
        )

    def _provider(self, resource: AuditResource) -> proto.AnalyzerProviderResource | None:
        provider = self._by_urn.get(resource.provider.rsplit("::", 1)[0])
        if provider is None:
            return None
        return proto.AnalyzerProviderResource(
            type=provider.type,
            properties=self._properties[provider.urn],
            urn=provider.urn,
            name=provider.name,
        )

    def analyze(self, resource: AuditResource) -> proto.AnalyzeRequest:
        return proto.AnalyzeRequest(
            type=resource.type,
            properties=self._properties[resource.urn],
            urn=resource.urn,
            name=resource.name,
            options=self._options(resource),
            provider=self._provider(resource),
        )

    def analyze_stack(self) -> proto.AnalyzeStackRequest:
        return proto.AnalyzeStackRequest(
            resources=[
                proto.AnalyzerResource(
                    type=r.type,
                    properties=self._properties[r.urn],
                    urn=r.urn,
                    name=r.name,
                    options=self._options(r),
                    provider=self._provider(r),
                    parent=r.parent,
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        key: proto.AnalyzerPropertyDependencies(urns=list(urns))
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in self.everything
            ]
        )


def configure_request(config: Mapping[str, Mapping[str, Any]]) -> proto.ConfigureAnalyzerRequest:
    """A policy-pack config (the `--policy-pack-config` JSON) as the engine sends it."""
    policy_config = {}
    for name, entry in config.items():
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        policy_config[name] = proto.PolicyConfig(
            enforcementLevel=_LEVELS[entry.get("enforcementLevel", "mandatory")],
            properties=_struct(properties),
        )
    return proto.ConfigureAnalyzerRequest(policyConfig=policy_config)


def _diagnostics(
    response: proto.AnalyzeResponse, descriptions: Mapping[str, str], default_urn: str
) -> Iterable[Diagnostic]:
    for d in response.diagnostics:
        if d.policyName == WAIVERS_IN_EFFECT_POLICY.name:
            continue  # the real engine's view of the waiver ledger, read directly below
        prefix = descriptions.get(d.policyName, "") + "\n"
        message = d.message[len(prefix) :] if d.message.startswith(prefix) else d.message
        yield Diagnostic(
            policy=d.policyName,
            urn=d.urn or default_urn,
            message=message,
            enforcement=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
            severity=SEVERITY_NAMES.get(d.severity, "unspecified"),
        )


def analyze(
    resources: Sequence[AuditResource],
    policies: Sequence[Policy],
    config: Mapping[str, Mapping[str, Any]],
    pack_name: str,
    checked_types: Mapping[str, Collection[str]],
) -> Analysis:
    """Every policy on every resource, then the stack policies, as the engine runs a pack.
    `checked_types`: the resource types each policy checks, by name (absent: every type)."""
    servicer = PackServicer(pack_name, policies, checked_types)
    servicer.Configure(configure_request(config), None)
    descriptions = {p.name: p.description for p in policies}
    requests = _Requests(resources)
    LEDGER.clear()
    found: list[Diagnostic] = []
    for resource in requests.resources:
        response = servicer.Analyze(requests.analyze(resource), None)
        found.extend(_diagnostics(response, descriptions, resource.urn))
    response = servicer.AnalyzeStack(requests.analyze_stack(), None)
    found.extend(_diagnostics(response, descriptions, ""))
    waived = LEDGER.entries()
    LEDGER.clear()
    return Analysis(diagnostics=found, waived=waived)
