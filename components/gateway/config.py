"""The LiteLLM proxy's configuration (`proxy_config`) and environment, as pure data.

Kept apart from the component so tests can hand the very same document to a real LiteLLM
proxy and to LiteLLM's own config model. Secrets never appear here: the master and salt keys
come from a Kubernetes Secret the Secrets Store CSI driver syncs from Secrets Manager, and the
database and the cache take IAM tokens the proxy mints from its Pod Identity role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.bedrock.models import ModelRef, supports_guardrails
from components.gateway.contract import TENANT_METADATA
from components.serving.contract import model_base_url

PROXY_PORT = 4000
DATABASE_USER = "litellm"
DATABASE_NAME = "litellm"
KEYS_SECRET = "litellm-keys"
"""The Kubernetes Secret the CSI driver syncs the master and salt keys into."""
MASTER_KEY_ITEM = "masterkey"
SALT_KEY_ITEM = "saltkey"
ENV_MASTER_KEY = "os.environ/PROXY_MASTER_KEY"
"""Where the chart puts the master key (masterkeySecretName/masterkeySecretKey)."""
PLATFORM_GUARDRAIL = "plinth-platform-guardrail"
"""The proxy's name for the platform guardrail, which served models apply through Bedrock's
ApplyGuardrail API before the call and on the answer."""


@dataclass(frozen=True)
class GuardrailRef:
    """The platform guardrail every Bedrock call applies: its ID and pinned version."""

    identifier: pulumi.Input[str]
    version: pulumi.Input[str]


REQUEST_LOG_PREFIX = "gateway"
"""Where in the log store the proxy writes its request logs (`<prefix>/<team>/...`)."""


@dataclass(frozen=True)
class RequestLogStore:
    """The encrypted, retained bucket the proxy ships one record per request to (Bedrock's
    invocation log bucket: the same retention and key as the model invocations)."""

    bucket_name: pulumi.Input[str]
    region: str
    key_arn: pulumi.Input[str]


@dataclass(frozen=True)
class TraceExport:
    """Where the proxy sends one OpenInference trace per request (LiteLLM's `arize_phoenix`
    callback: OTLP over HTTP): the platform's OpenTelemetry collector, which forwards to the
    trace store. Spans carry the team (`litellm.team_alias`), model, tokens and cost; prompts
    and completions are redacted as in the request logs."""

    endpoint: str
    """The OTLP/HTTP traces URL (`.../v1/traces`)."""
    project: str
    """The trace store's project the gateway's traces land in."""


TRACE_CALLBACK = "arize_phoenix"
METRICS_CALLBACK = "prometheus"
REDACTION_OPT_OUT_HEADER = "litellm-disable-message-redaction"
"""The request header with which a client of a team allowed to keep its messages
(TEAM_LOG_OPT_IN) keeps them in that request's logs and traces; the proxy drops it for every
other team."""


@dataclass(frozen=True)
class ProxySettings:
    """Everything the configuration depends on (plain values in tests, outputs in a stack)."""

    region: str
    bedrock_region: str
    bedrock_models: Sequence[str]
    guardrail: GuardrailRef | None
    fallbacks: Mapping[str, Sequence[str]] = field(default_factory=dict)
    database_host: pulumi.Input[str] = ""
    cache_host: pulumi.Input[str] = ""
    cache_port: pulumi.Input[int] = 6379
    cache_user: str = ""
    cache_name: str = ""
    served_models: Sequence[str] = ()
    """Models the stack serves itself with vLLM, by name."""
    request_log: RequestLogStore | None = None
    traces: TraceExport | None = None
    metrics: bool = False
    """Serve Prometheus metrics on the proxy's port (`/metrics/`: requests, tokens, spend,
    budgets and guardrail checks per team and model) for the stack's collector."""


def bedrock_model_entry(model_id: str, settings: ProxySettings) -> dict[str, Any]:
    """One model_list entry for a Bedrock model. Chat models go through the Converse API with
    the platform guardrail in every request (`guardrailConfig`), which is what the gateway
    role's IAM condition `bedrock:GuardrailIdentifier` demands; models Bedrock cannot guard
    (embeddings) are called as they are."""
    ref = ModelRef.parse(model_id)
    params: dict[str, Any] = {"aws_region_name": settings.bedrock_region}
    if supports_guardrails(ref.model_id) and settings.guardrail is not None:
        params["model"] = f"bedrock/converse/{model_id}"
        params["guardrailConfig"] = {
            "guardrailIdentifier": settings.guardrail.identifier,
            "guardrailVersion": settings.guardrail.version,
            "trace": "disabled",
        }
    else:
        params["model"] = f"bedrock/{model_id}"
    return {"model_name": model_id, "litellm_params": params}


def guardrail_id(identifier: pulumi.Input[str]) -> pulumi.Input[str]:
    """The guardrail's ID from its ARN (`arn:...:guardrail/<id>`); an ID stays as it is. The
    proxy puts the identifier into ApplyGuardrail's URL path (`/guardrail/<id>/version/<v>/
    apply`) without encoding it, where an ARN's `/` would break the path. A plain string
    stays plain, so tests hand the document to the real proxy as it is."""
    if isinstance(identifier, str):
        return identifier.rsplit("/", 1)[-1]
    return pulumi.Output.concat(identifier).apply(lambda arn: arn.rsplit("/", 1)[-1])


def served_model_entry(name: str, settings: ProxySettings) -> dict[str, Any]:
    """One model_list entry for a model served with vLLM in the cluster (LiteLLM's
    `hosted_vllm` provider), guarded by the platform guardrail when there is one: Bedrock
    cannot apply it inside the call as it does for its own models, so the proxy calls
    ApplyGuardrail on the prompt and on the answer."""
    params: dict[str, Any] = {"model": f"hosted_vllm/{name}", "api_base": model_base_url(name)}
    if settings.guardrail is not None:
        params["guardrails"] = [PLATFORM_GUARDRAIL]
    return {"model_name": name, "litellm_params": params}


def proxy_config(settings: ProxySettings) -> dict[str, Any]:
    """The proxy's config.yaml: the models, message bodies out of every log by default, the
    coordination cache for limits and spend across replicas (IAM-authenticated), fallbacks."""
    config: dict[str, Any] = {
        "model_list": [bedrock_model_entry(m, settings) for m in settings.bedrock_models]
        + [served_model_entry(m, settings) for m in settings.served_models],
        "general_settings": {
            "master_key": ENV_MASTER_KEY,
            # Spend logs keep who called what and its cost, never the prompt or the answer.
            "store_prompts_in_spend_logs": False,
        },
        "litellm_settings": {
            # Prompts and completions are redacted from every log and callback unless a
            # team's metadata allows its clients to opt out (tenants with logMessages).
            "turn_off_message_logging": True,
            "drop_params": True,
            "json_logs": True,
        },
    }
    if settings.cache_name:
        config["general_settings"]["coordination_redis"] = {
            "host": settings.cache_host,
            "port": settings.cache_port,
            "ssl": True,
            "aws_iam_auth": True,
            "aws_iam_user_name": settings.cache_user,
            "aws_iam_cache_name": settings.cache_name,
            "aws_iam_region": settings.region,
            "aws_iam_serverless": True,
        }
    callbacks: list[str] = []
    if settings.metrics:
        callbacks.append(METRICS_CALLBACK)
        # The stack's collector scrapes with its EKS identity, which LiteLLM cannot check
        # (1.104 asks for a key on /metrics/ by default): the NetworkPolicy is the fence.
        config["litellm_settings"]["require_auth_for_metrics_endpoint"] = False
    if settings.traces is not None:
        callbacks.append(TRACE_CALLBACK)
    if settings.request_log is not None:
        store = settings.request_log
        # One record per request and per failure (model, team, tokens, cost, latency; message
        # bodies only for teams allowed to keep them), under the team's own prefix.
        callbacks.append("s3_v2")
        config["litellm_settings"]["s3_callback_params"] = {
            "s3_bucket_name": store.bucket_name,
            "s3_region_name": store.region,
            "s3_path": REQUEST_LOG_PREFIX,
            "s3_use_team_prefix": True,
            "s3_server_side_encryption": "aws:kms",
            "s3_sse_kms_key_id": store.key_arn,
        }
    if callbacks:
        config["litellm_settings"]["callbacks"] = callbacks
    if settings.served_models and settings.guardrail is not None:
        config["guardrails"] = [
            {
                "guardrail_name": PLATFORM_GUARDRAIL,
                "litellm_params": {
                    "guardrail": "bedrock",
                    "mode": ["pre_call", "post_call"],
                    "guardrailIdentifier": guardrail_id(settings.guardrail.identifier),
                    "guardrailVersion": settings.guardrail.version,
                    "aws_region_name": settings.bedrock_region,
                    # Applied by the served models' entries only: Bedrock models apply it
                    # inside the call already, and twice would be billed twice.
                    "default_on": False,
                },
            }
        ]
    if settings.fallbacks:
        config["router_settings"] = {
            "fallbacks": [{model: list(to)} for model, to in settings.fallbacks.items()]
        }
    return config


def database_environment(settings: ProxySettings) -> dict[str, pulumi.Input[str]]:
    """The proxy connects to Aurora with an IAM token it mints and refreshes itself
    (litellm/proxy/db/db_url_settings.py, IAM_TOKEN_DB_AUTH), over TLS."""
    return {
        "IAM_TOKEN_DB_AUTH": "true",
        "DATABASE_HOST": settings.database_host,
        "DATABASE_PORT": "5432",
        "DATABASE_USER": DATABASE_USER,
        "DATABASE_NAME": DATABASE_NAME,
        "DATABASE_SSLMODE": "require",
        "AWS_REGION_NAME": settings.region,
    }


def trace_environment(traces: TraceExport) -> dict[str, str]:
    """Where the `arize_phoenix` callback sends its spans
    (litellm/integrations/arize/arize_phoenix.py reads these two variables). No API key: the
    collector admits the gateway's namespace and holds the trace store's credential."""
    return {
        "PHOENIX_COLLECTOR_HTTP_ENDPOINT": traces.endpoint,
        "PHOENIX_PROJECT_NAME": traces.project,
    }


TEAM_LOG_OPT_IN = "allow_client_message_redaction_opt_out"
"""Team metadata that lets the team's requests keep their messages in the logs
(litellm/proxy/litellm_pre_call_utils.py); without it the proxy strips the opt-out."""


def team_metadata(tenant: str, aws_budget_usd: float, log_messages: bool) -> dict[str, Any]:
    """A tenant's team metadata in the gateway: whose team it is, the AWS budget its gateway
    budget is checked against, and whether its requests may keep their messages."""
    return {
        TENANT_METADATA: tenant,
        "aws_budget_usd": aws_budget_usd,
        TEAM_LOG_OPT_IN: log_messages,
    }
