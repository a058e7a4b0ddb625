"""The trace path's configuration, as pure data: where the gateway sends its spans, and the
OpenTelemetry collector's configuration with the redaction it applies (tests read these
without building the trace store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NAMESPACE = "plinth-observability"
PHOENIX_PORT = 6006
OTLP_HTTP_PORT = 4318
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
    r"^gen_ai\.(prompt|completion)\..*",
)
"""Where OpenInference and OpenTelemetry's GenAI conventions put prompts and completions."""


def redaction_statements(allowed_teams: Sequence[str]) -> list[str]:
    """OTTL for the collector's transform processor: prompts and completions leave every span
    but those of teams whose data classification lets them keep messages (tenant names are
    DNS labels: nothing in them needs escaping). The gateway already redacts; this also covers
    spans it writes without a team (requests it refuses before authentication)."""
    # OTTL string literals take Go's escapes: a regex backslash is written twice.
    deletions = [
        f'delete_matching_keys(attributes, "{_ottl_escaped(pattern)}")'
        for pattern in CONTENT_ATTRIBUTES
    ]
    if not allowed_teams:
        return deletions  # no team keeps anything, whatever its spans carry
    kept = f'IsMatch(attributes["{TEAM_ATTRIBUTE}"], "^({"|".join(sorted(allowed_teams))})$")'
    return [f"{deletion} where not {kept}" for deletion in deletions]


def _ottl_escaped(text: str) -> str:
    return text.replace("\\", "\\\\")


def collector_config(allowed_teams: Sequence[str]) -> dict[str, Any]:
    """The collector's configuration: OTLP over HTTP in, redaction, batches out to Phoenix with
    its admin bearer (read from the environment)."""
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"}}}},
        "processors": {
            "memory_limiter": {
                "check_interval": "1s",
                "limit_percentage": 80,
                "spike_limit_percentage": 20,
            },
            "transform/redact": {
                # Fail closed: a statement that errs drops the spans rather than pass them on.
                "error_mode": "propagate",
                "trace_statements": [
                    {"context": "span", "statements": redaction_statements(allowed_teams)}
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
        "service": {
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "transform/redact", "batch"],
                    "exporters": ["otlphttp/phoenix"],
                }
            }
        },
    }
