"""The trace path's configuration, as pure data: where the gateway sends its spans, and the
OpenTelemetry collector's configuration with the redaction it applies (tests read these
without building the trace store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NAMESPACE = "plinth-observability"
PHOENIX_PORT = 6006
OTLP_HTTP_PORT = 4318
HEALTH_PORT = 13133
"""The collector's health check (its extension's default port)."""
COLLECTOR_SERVICE = "otel-collector"
TRACES_ENDPOINT = (
    f"http://{COLLECTOR_SERVICE}.{NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}/v1/traces"
)
"""Where the gateway sends its spans (OTLP over HTTP)."""
GATEWAY_PROJECT = "plinth-gateway"
"""The trace store's project the gateway's spans land in."""
TEAM_ATTRIBUTE = "litellm.team_id"
"""The span attribute naming the gateway team, which is the tenant."""
CONTENT_ATTRIBUTES = (
    r"^(input|output)\.value$",
    r"^llm\.(input|output)_messages\..*",
    r"^llm\.(prompts|tools)\..*",
    r"^embedding\.(embeddings|text)\..*",
    r"^(audio|image)\..*",
    r"^gen_ai\.(prompt|completion)(\..*)?$",
    r"^gen_ai\.(input|output)\.messages$",
    r"^gen_ai\.system_instructions$",
    r"^gen_ai\.tool\.call\.(arguments|result)$",
)
"""Where OpenInference and OpenTelemetry's GenAI conventions (the older `gen_ai.prompt.*` and
`gen_ai.completion.*`, and semantic conventions 1.37's messages, system instructions and tool
calls) put prompts and completions, on spans and on span events."""


TENANT_ATTRIBUTE = "plinth.tenant"
"""The span attribute the collector sets on every span: the gateway's team, or the namespace
(which is the tenant) of the app that sent it, whatever the sender claimed."""
NAMESPACE_ATTRIBUTE = "k8s.namespace.name"
"""The sender pod's namespace, which the collector looks up from the connection's address."""
PROJECT_ATTRIBUTE = "openinference.project.name"
"""The resource attribute that picks the trace store's project."""
UNATTRIBUTED_PROJECT = "unattributed"
"""Where spans go whose sender the collector cannot place (no pod has its address)."""


def project_statements(gateway_namespace: str) -> list[str]:
    """OTTL on each resource: a tenant app's spans go to a project named after its namespace,
    whatever project the app named; the gateway's keep the project it names."""
    namespace = f'attributes["{NAMESPACE_ATTRIBUTE}"]'
    return [
        f'set(attributes["{PROJECT_ATTRIBUTE}"], "{UNATTRIBUTED_PROJECT}") '
        f"where {namespace} == nil",
        f'set(attributes["{PROJECT_ATTRIBUTE}"], {namespace}) '
        f'where {namespace} != nil and {namespace} != "{gateway_namespace}"',
    ]


def tenant_statements(gateway_namespace: str) -> list[str]:
    """OTTL on each span: the tenant is the gateway's team on the gateway's spans and the
    sending namespace on a tenant app's; a tenant the sender wrote itself is dropped first."""
    namespace = f'resource.attributes["{NAMESPACE_ATTRIBUTE}"]'
    tenant = f'attributes["{TENANT_ATTRIBUTE}"]'
    return [
        f'delete_key(attributes, "{TENANT_ATTRIBUTE}")',
        f'set({tenant}, attributes["{TEAM_ATTRIBUTE}"]) where {namespace} == "{gateway_namespace}"',
        f"set({tenant}, {namespace}) "
        f'where {namespace} != nil and {namespace} != "{gateway_namespace}"',
    ]


def redaction_statements(
    allowed_tenants: Sequence[str], gateway_namespace: str, *, on_events: bool = False
) -> list[str]:
    """OTTL for the collector's transform processor: prompts and completions leave every span
    (or, `on_events`, every span event) but those of tenants whose data classification lets
    them keep messages: the gateway's spans of their teams, and their own apps' spans (told by
    the sending pod's namespace, never by what the span claims). Tenant names are DNS labels:
    nothing in them needs escaping. The gateway already redacts; this also covers spans it
    writes without a team (requests it refuses before authentication) and every tenant
    app's."""
    # OTTL string literals take Go's escapes: a regex backslash is written twice.
    deletions = [
        f'delete_matching_keys(attributes, "{_ottl_escaped(pattern)}")'
        for pattern in CONTENT_ATTRIBUTES
    ]
    if not allowed_tenants:
        return deletions  # no tenant keeps anything, whatever its spans carry
    allowed = f'"^({"|".join(sorted(allowed_tenants))})$"'
    namespace = f'resource.attributes["{NAMESPACE_ATTRIBUTE}"]'
    # Tenant names never name a platform namespace (`plinth-*` is reserved).
    # In the span event context `attributes` are the event's; the span's are `span.attributes`.
    team = f'{"span." if on_events else ""}attributes["{TEAM_ATTRIBUTE}"]'
    gateway_team = f'{namespace} == "{gateway_namespace}" and IsMatch({team}, {allowed})'
    kept = f"({gateway_team}) or IsMatch({namespace}, {allowed})"
    return [f"{deletion} where not ({kept})" for deletion in deletions]


def _ottl_escaped(text: str) -> str:
    return text.replace("\\", "\\\\")


def collector_config(allowed_tenants: Sequence[str], gateway_namespace: str) -> dict[str, Any]:
    """The collector's configuration: OTLP over HTTP in; each span placed by its sender's pod
    (tenant and project from the namespace), then redacted; batches out to Phoenix with its
    admin bearer (read from the environment)."""
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"}}}},
        "processors": {
            "memory_limiter": {
                "check_interval": "1s",
                "limit_percentage": 80,
                "spike_limit_percentage": 20,
            },
            # What only the collector may say of a sender goes first: k8sattributes never
            # overwrites an attribute the sender set.
            "transform/strip": {
                "error_mode": "propagate",
                "trace_statements": [
                    {
                        "context": "resource",
                        "statements": [
                            'delete_matching_keys(attributes, "^k8s\\\\.")',
                            f'delete_key(attributes, "{TENANT_ATTRIBUTE}")',
                        ],
                    }
                ],
            },
            # The sender's namespace from the Kubernetes API, by the connection's address:
            # spans cannot claim another namespace than the one their pod runs in.
            "k8sattributes": {
                "auth_type": "serviceAccount",
                "passthrough": False,
                "extract": {"metadata": [NAMESPACE_ATTRIBUTE]},
                "pod_association": [{"sources": [{"from": "connection"}]}],
            },
            "transform/tenant": {
                "error_mode": "propagate",
                "trace_statements": [
                    {"context": "resource", "statements": project_statements(gateway_namespace)},
                    {"context": "span", "statements": tenant_statements(gateway_namespace)},
                ],
            },
            "transform/redact": {
                # Fail closed: a statement that errs drops the spans rather than pass them on.
                "error_mode": "propagate",
                "trace_statements": [
                    {
                        "context": "span",
                        "statements": redaction_statements(allowed_tenants, gateway_namespace),
                    },
                    {
                        "context": "spanevent",
                        "statements": redaction_statements(
                            allowed_tenants, gateway_namespace, on_events=True
                        ),
                    },
                ],
            },
            "batch": {},
        },
        "exporters": {
            "otlphttp/phoenix": {
                "endpoint": f"http://phoenix.{NAMESPACE}.svc.cluster.local:{PHOENIX_PORT}",
                "headers": {"authorization": "Bearer ${env:PHOENIX_API_KEY}"},
            }
        },
        # The kubelet's probes ask it whether the collector is up (otelcol-contrib 0.159.0
        # ships healthcheckextension: distributions/otelcol-contrib/manifest.yaml).
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": [
                        "memory_limiter",
                        "transform/strip",
                        "k8sattributes",
                        "transform/tenant",
                        "transform/redact",
                        "batch",
                    ],
                    "exporters": ["otlphttp/phoenix"],
                }
            },
        },
    }
