"""The policy SDK's analyzer servicer, giving the SDK's answers with less repeated work.

`plinth audit` runs the pack through `_PolicyAnalyzerServicer`, the class the SDK serves to
the real engine (see plinth/audit/analyzer.py). That servicer is written for one resource at
a time over gRPC, and repeats work an in-process audit of a whole stack can do once:

- it decodes a resource's properties again for every policy that sees it;
- it hands every resource to every resource policy, though most rules check a few types;
- it rebuilds the stack's resources for every stack policy.

`PackServicer` keeps the SDK's code for everything a policy or the engine can observe
(enforcement levels, configs, report messages, "can't run during preview" diagnostics) and
only removes the repetition. It reaches into the SDK's private servicer (its policy list, its
module's decoding functions) as the version in uv.lock has them; tests/test_audit.py compares
its findings and stack resources with the plain SDK servicer's, so an upgrade that changes
them fails there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk_policy
from pulumi_policy.deserialize import deserialize_properties as sdk_deserialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import unknown_checking_proxy as sdk_unknown_checking_proxy

PACK_VERSION = "0.0.1"  # what the SDK reports for a Python pack without a version

# The servicer's list of policies is private (name-mangled); Analyze and AnalyzeStack read it.
_POLICIES = "_PolicyAnalyzerServicer__policies"
_SDK_MODULE = threading.Lock()


@contextmanager
def _patched(target: Any, **values: Any) -> Iterator[None]:
    """Attributes of `target` replaced while the block runs."""
    originals = {name: getattr(target, name) for name in values}
    for name, value in values.items():
        setattr(target, name, value)
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(target, name, value)


class _ByIdentity:
    """Results computed once per object, by its identity; the objects are kept alive, so an id
    is never reused for another while the cache lives."""

    def __init__(self) -> None:
        self._results: dict[tuple[Any, ...], Any] = {}
        self._keep: list[Any] = []

    def get(self, key_object: Any, compute: Callable[[], Any], *variant: Any) -> Any:
        key = (id(key_object), *variant)
        if key not in self._results:
            self._keep.append(key_object)
            self._results[key] = compute()
        return self._results[key]


class _DecodedOnce:
    """The servicer's decoding steps, each done once per distinct message.

    The SDK decodes a resource's properties (`MessageToDict`, then `deserialize_properties`,
    then `unknown_checking_proxy`) again for every policy that sees it. Decoded once, every
    policy gets the same read-only proxy, through the SDK's own functions.
    """

    def __init__(self) -> None:
        self._dicts: dict[bytes, Any] = {}
        self._dicts_by_message = _ByIdentity()
        self._deserialized = _ByIdentity()
        self._proxies = _ByIdentity()

    def _dict_by_content(self, message: struct_pb2.Struct) -> Any:
        key = message.SerializeToString(deterministic=True)
        if key not in self._dicts:
            self._dicts[key] = json_format.MessageToDict(message)
        return self._dicts[key]

    def MessageToDict(self, message: struct_pb2.Struct) -> Any:
        # The same request hands out the same message object each time (upb keeps one
        # wrapper per submessage): by identity first, then by content across requests.
        return self._dicts_by_message.get(message, lambda: self._dict_by_content(message))

    def deserialize_properties(self, props: Any, proxy_secrets: bool = False) -> Any:
        return self._deserialized.get(
            props, lambda: sdk_deserialize_properties(props, proxy_secrets), proxy_secrets
        )

    def unknown_checking_proxy(self, deserialized: Any) -> Any:
        return self._proxies.get(deserialized, lambda: sdk_unknown_checking_proxy(deserialized))

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)  # the rest of json_format, as it is

    @contextmanager
    def installed(self) -> Iterator[None]:
        """In the SDK's module while a request is analyzed (Configure keeps the SDK's own), by
        one servicer at a time: the module is shared by every thread of the process."""
        with (
            _SDK_MODULE,
            _patched(
                sdk_policy,
                json_format=self,
                deserialize_properties=self.deserialize_properties,
                unknown_checking_proxy=self.unknown_checking_proxy,
            ),
        ):
            yield


class PackServicer(_PolicyAnalyzerServicer):
    """The SDK's servicer for a pack whose resource rules may name the types they check.

    `checked_types` maps a policy's name to the resource types it checks; a policy not in it
    (or mapped to nothing) checks every type. A rule declared with types returns at once on
    any other type, reading no config and reporting nothing, so `Analyze` offers a resource
    only to the policies that check its type, and the answer is the same.

    `AnalyzeStack` lets the SDK build the stack's resources once and hands them to every
    stack policy (the SDK builds them again for each). Stack rules only read them: their
    properties are the SDK's read-only proxies.

    One servicer answers one request at a time (it swaps its own policy list per request),
    as `analyze` uses it.

    The SDK's methods are called by class name, not `super()`: mypy's exemption for calls
    into the untyped SDK names the SDK's class.
    """

    def __init__(
        self,
        pack_name: str,
        policies: Sequence[Policy],
        checked_types: Mapping[str, Collection[str]],
    ) -> None:
        super().__init__(pack_name, PACK_VERSION, list(policies), EnforcementLevel.MANDATORY)
        self._checked_types = checked_types
        self._by_type: dict[str, list[Policy]] = {}
        self._decoded = _DecodedOnce()
        self._options = _ByIdentity()
        self._providers = _ByIdentity()

    def _policies_for(self, resource_type: str) -> list[Policy]:
        if resource_type not in self._by_type:
            self._by_type[resource_type] = [
                policy
                for policy in getattr(self, _POLICIES)
                if resource_type in (self._checked_types.get(policy.name) or (resource_type,))
            ]
        return self._by_type[resource_type]

    def _get_resource_options(self, request: Any) -> Any:
        sdk = _PolicyAnalyzerServicer._get_resource_options
        return self._options.get(request, lambda: sdk(self, request))

    def _get_provider_resource(self, request: Any) -> Any:
        sdk = _PolicyAnalyzerServicer._get_provider_resource
        return self._providers.get(request, lambda: sdk(self, request))

    def Analyze(self, request: proto.AnalyzeRequest, context: Any) -> proto.AnalyzeResponse:
        with (
            self._decoded.installed(),
            _patched(self, **{_POLICIES: self._policies_for(request.type)}),
        ):
            response: proto.AnalyzeResponse = _PolicyAnalyzerServicer.Analyze(
                self, request, context
            )
            return response

    def AnalyzeStack(
        self, request: proto.AnalyzeStackRequest, context: Any
    ) -> proto.AnalyzeResponse:
        built: list[PolicyResource] = []

        def collect(args: StackValidationArgs, _report: ReportViolation) -> None:
            built.extend(args.resources)

        collector = StackValidationPolicy(
            name="plinth-stack-resources",
            description="Collects the stack's resources as the SDK builds them.",
            enforcement_level=EnforcementLevel.ADVISORY,
            validate=collect,
        )
        with self._decoded.installed(), _patched(self, **{_POLICIES: [collector]}):
            _PolicyAnalyzerServicer.AnalyzeStack(self, request, context)
        handed = [
            _handed(policy, built)
            for policy in getattr(self, _POLICIES)
            if isinstance(policy, StackValidationPolicy)
        ]
        # No resources in the request, so the SDK builds none; each policy is handed `built`.
        with _patched(self, **{_POLICIES: handed}):
            response: proto.AnalyzeResponse = _PolicyAnalyzerServicer.AnalyzeStack(
                self, proto.AnalyzeStackRequest(), context
            )
            return response


def _handed(policy: StackValidationPolicy, resources: list[PolicyResource]) -> Policy:
    """`policy` as the SDK sees it (name, description, level, severity), validating a list of
    `resources` of its own instead of the SDK's (a rule that sorts its list changes no other's)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> Any:
        own = StackValidationArgs(list(resources), args.get_config(), args.stack_tags)
        return policy.validate(own, report)

    return StackValidationPolicy(
        name=policy.name,
        description=policy.description,
        enforcement_level=policy.enforcement_level,
        severity=policy.severity,
        validate=validate,
    )
