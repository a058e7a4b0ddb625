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
fields only through `policies.props.known`, which treats unknown and absent alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as sdk_policy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.deserialize import deserialize_properties as sdk_policy_deserialize
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE
from pulumi_policy.proxy import unknown_checking_proxy as sdk_unknown_checking_proxy

from plinth.engine.result import STACK_TYPE, ResourceRecord
from plinth.engine.values import UNKNOWN, Secret
from policies.waivers import LEDGER, WAIVERS_IN_EFFECT_POLICY, WaivedViolation

SDK_RESOURCE_OPTIONS = _PolicyAnalyzerServicer._get_resource_options
SDK_PROVIDER_RESOURCE = _PolicyAnalyzerServicer._get_provider_resource

PACK_VERSION = "0.0.1"  # what the SDK reports for a Python pack without a version

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
        self.resources = [r for r in resources if r.type != STACK_TYPE]
        self._by_urn = {r.urn: r for r in resources}
        self._properties = {r.urn: _struct(r.inputs) for r in self.resources}

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
                for r in self.resources
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


class _DecodedOnce:
    """The servicer's decoding steps, each done once per distinct message.

    The SDK's servicer decodes a resource's properties (`MessageToDict`, then
    `deserialize_properties`, then `unknown_checking_proxy`) again for every policy that sees
    it: each of 41 resource policies, and every resource for each of 27 stack policies. Over
    the dev stack that is ~48,000 decodes of 370 resources, most of an audit's time. Decoded
    once, every policy gets the same read-only proxy, through the SDK's own code otherwise.
    """

    def __init__(self) -> None:
        self._dicts: dict[bytes, Any] = {}
        self._dicts_by_id: dict[int, Any] = {}
        self._deserialized: dict[tuple[int, bool], Any] = {}
        self._proxies: dict[int, Any] = {}
        self._options: dict[int, Any] = {}
        self._providers: dict[int, Any] = {}
        self._keep: list[Any] = []  # what the caches' ids refer to stays alive

    def MessageToDict(self, message: struct_pb2.Struct) -> Any:
        # The same request hands out the same message object each time (upb keeps one
        # wrapper per submessage): by identity first, then by content across requests.
        found = self._dicts_by_id.get(id(message))
        if found is None:
            key = message.SerializeToString(deterministic=True)
            if key not in self._dicts:
                self._dicts[key] = json_format.MessageToDict(message)
            found = self._dicts_by_id[id(message)] = self._dicts[key]
            self._keep.append(message)
        return found

    def resource_options(self, servicer: Any, request: Any) -> Any:
        """The SDK's `_get_resource_options`, once per resource message."""
        if id(request) not in self._options:
            self._keep.append(request)
            self._options[id(request)] = SDK_RESOURCE_OPTIONS(servicer, request)
        return self._options[id(request)]

    def provider_resource(self, servicer: Any, request: Any) -> Any:
        """The SDK's `_get_provider_resource`, once per resource message."""
        if id(request) not in self._providers:
            self._keep.append(request)
            self._providers[id(request)] = SDK_PROVIDER_RESOURCE(servicer, request)
        return self._providers[id(request)]

    def deserialize_properties(self, props: Any, proxy_secrets: bool = False) -> Any:
        key = (id(props), proxy_secrets)
        if key not in self._deserialized:
            self._keep.append(props)
            self._deserialized[key] = sdk_policy_deserialize(props, proxy_secrets)
        return self._deserialized[key]

    def unknown_checking_proxy(self, deserialized: Any) -> Any:
        if id(deserialized) not in self._proxies:
            self._keep.append(deserialized)
            self._proxies[id(deserialized)] = sdk_unknown_checking_proxy(deserialized)
        return self._proxies[id(deserialized)]

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)  # the rest of json_format, as it is


@contextmanager
def _decoded_once() -> Iterator[None]:
    """While the servicer analyzes (after Configure: policy configs stay the SDK's own)."""
    once = _DecodedOnce()
    patched = {
        "json_format": once,
        "deserialize_properties": once.deserialize_properties,
        "unknown_checking_proxy": once.unknown_checking_proxy,
    }
    originals = {name: getattr(sdk_policy, name) for name in patched}
    for name, value in patched.items():
        setattr(sdk_policy, name, value)

    # Each stack policy rebuilds every resource's options and provider: once is enough.
    # Plain functions, so the class binds them to the servicer as its own methods.
    def options(servicer: Any, request: Any) -> Any:
        return once.resource_options(servicer, request)

    def provider(servicer: Any, request: Any) -> Any:
        return once.provider_resource(servicer, request)

    servicer = _PolicyAnalyzerServicer
    servicer._get_resource_options = options  # type: ignore[method-assign,assignment]
    servicer._get_provider_resource = provider  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(sdk_policy, name, value)
        servicer._get_resource_options = SDK_RESOURCE_OPTIONS  # type: ignore[method-assign]
        servicer._get_provider_resource = SDK_PROVIDER_RESOURCE  # type: ignore[method-assign]


def analyze(
    resources: Sequence[AuditResource],
    policies: Sequence[Policy],
    config: Mapping[str, Mapping[str, Any]],
    pack_name: str,
) -> Analysis:
    """Every policy on every resource, then the stack policies, as the engine runs a pack."""
    servicer = _PolicyAnalyzerServicer(
        pack_name, PACK_VERSION, list(policies), EnforcementLevel.MANDATORY
    )
    servicer.Configure(configure_request(config), None)
    descriptions = {p.name: p.description for p in policies}
    requests = _Requests(resources)
    LEDGER.clear()
    found: list[Diagnostic] = []
    with _decoded_once():
        for resource in requests.resources:
            response = servicer.Analyze(requests.analyze(resource), None)
            found.extend(_diagnostics(response, descriptions, resource.urn))
        response = servicer.AnalyzeStack(requests.analyze_stack(), None)
    found.extend(_diagnostics(response, descriptions, ""))
    waived = LEDGER.entries()
    LEDGER.clear()
    return Analysis(diagnostics=found, waived=waived)
