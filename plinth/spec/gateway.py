"""The `gateway` section: the LLM gateway (LiteLLM proxy) on one of the stack's EKS clusters,
its backing database and cache, and the tenant side (`gateway:` in a tenant file).

A gateway model is named by its Bedrock model ID (`us.anthropic.claude-...`), so a tenant
grants the same string in `bedrockModels` and `gateway.models`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pydantic import Field, field_validator, model_validator

from components.gateway.release import GATEWAY_VERSION
from plinth.spec.base import (
    DataClassification,
    SpecModel,
    invalid,
    without_duplicates,
)
from plinth.spec.errors import Problem

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

LOGGABLE_CLASSIFICATIONS = (DataClassification.PUBLIC, DataClassification.INTERNAL)
"""Classifications whose tenants may opt in to keeping prompts and completions in the
gateway's request logs; confidential and restricted data never lands there."""


class GatewayDatabaseSpec(SpecModel):
    """The gateway's Aurora PostgreSQL Serverless v2 cluster (teams, keys, spend)."""

    min_capacity: float = Field(default=0.5, ge=0, le=256, multiple_of=0.5)
    """Aurora capacity units when idle (0 pauses the cluster after 5 idle minutes; the first
    request after a pause waits about 15 seconds)."""
    max_capacity: float = Field(default=4, ge=1, le=256, multiple_of=0.5)
    """Upper bound of the capacity units, which bounds the bill."""

    @model_validator(mode="after")
    def _range(self) -> GatewayDatabaseSpec:
        if self.min_capacity > self.max_capacity:
            raise invalid(
                f"minCapacity {self.min_capacity} is above maxCapacity {self.max_capacity}"
            )
        return self


class GatewayCacheSpec(SpecModel):
    """The gateway's ElastiCache Serverless Valkey cache (rate-limit counters across replicas)."""

    max_data_gb: int = Field(default=5, ge=1, le=5000)
    """Ceiling of stored data; rate-limit counters need little."""
    max_ecpu_per_second: int = Field(default=5000, ge=1000, le=15_000_000)
    """Ceiling of ElastiCache processing units per second, which bounds the bill."""


class GatewaySpec(SpecModel):
    """One LLM gateway in front of the stack's approved Bedrock models."""

    cluster: str
    """The EKS cluster (by name, from plinth:clusters) the gateway runs on."""
    version: str = GATEWAY_VERSION
    """LiteLLM release for both the Helm chart and the image (the policy pack refuses releases
    before the 2026 advisories' fix)."""
    replicas: int = Field(default=2, ge=1, le=20)
    """Gateway pods; two survive a node drain."""
    database: GatewayDatabaseSpec = GatewayDatabaseSpec()
    cache: GatewayCacheSpec = GatewayCacheSpec()
    fallbacks: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Per gateway model, the models to try in order when it fails."""

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise invalid(
                f"{value!r} is not a LiteLLM release (major.minor.patch without 'v', "
                f"such as {GATEWAY_VERSION})"
            )
        return value


class TenantGatewaySpec(SpecModel):
    """What a tenant may do through the gateway: its own team, key, budget and limits."""

    models: tuple[str, ...] = Field(min_length=1)
    """Gateway models (Bedrock model IDs from the platform's allowlist) the team may call."""
    monthly_budget_usd: float = Field(gt=0, le=10_000_000)
    """What the team may spend through the gateway each month; the gateway refuses calls
    beyond it. Must fit in the tenant's AWS budget (policy gateway-budget-within-tenant-budget)."""
    rpm: int = Field(default=600, ge=1, le=1_000_000)
    """Requests per minute across the team's keys."""
    tpm: int = Field(default=200_000, ge=1, le=1_000_000_000)
    """Tokens per minute across the team's keys."""
    log_messages: bool = False
    """Keep prompts and completions in the request logs (public or internal data only)."""

    @field_validator("models")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)


def gateway_problems(
    gateway: GatewaySpec,
    aws_clusters: Sequence[str],
    other_clusters: Sequence[str],
    models: Sequence[str],
) -> Iterator[Problem]:
    """A gateway on a cluster the stack lacks (or on CoreWeave, which has no Pod Identity for
    Bedrock), and fallbacks naming models the gateway does not serve."""
    at = "plinth:gateway"
    if gateway.cluster in other_clusters:
        yield Problem(
            f"{at}.cluster",
            f"{gateway.cluster!r} is not an EKS cluster: the gateway reaches Bedrock, Aurora "
            f"and Secrets Manager through EKS Pod Identity (EKS clusters: "
            f"{', '.join(aws_clusters) or 'none'})",
        )
    elif gateway.cluster not in aws_clusters:
        yield Problem(
            f"{at}.cluster",
            f"{gateway.cluster!r} is not a cluster of this stack "
            f"(EKS clusters: {', '.join(aws_clusters) or 'none'})",
        )
    if not models:
        yield Problem(at, "the gateway serves the approved Bedrock models: enable plinth:bedrock")
    for model, fallbacks in gateway.fallbacks.items():
        if model not in models:
            yield Problem(f"{at}.fallbacks.{model}", _not_served(model, models))
        for index, fallback in enumerate(fallbacks):
            if fallback not in models or fallback == model:
                yield Problem(
                    f"{at}.fallbacks.{model}[{index}]",
                    _not_served(fallback, models) if fallback != model else "falls back to itself",
                )


def tenant_gateway_problems(
    tenant_gateway: TenantGatewaySpec,
    classification: DataClassification,
    gateway_models: Sequence[str] | None,
    at: str,
) -> Iterator[Problem]:
    """A tenant asking for a gateway the platform lacks, models it does not serve, or
    message logging its data classification forbids."""
    if gateway_models is None:
        yield Problem(f"{at}.gateway", "the platform has no gateway (plinth:gateway)")
        return
    for index, model in enumerate(tenant_gateway.models):
        if model not in gateway_models:
            yield Problem(f"{at}.gateway.models[{index}]", _not_served(model, gateway_models))
    if tenant_gateway.log_messages and classification not in LOGGABLE_CLASSIFICATIONS:
        yield Problem(
            f"{at}.gateway.logMessages",
            f"a {classification.value} tenant's prompts and completions stay out of the request "
            f"logs; only {' or '.join(c.value for c in LOGGABLE_CLASSIFICATIONS)} tenants may "
            "keep them",
        )


def _not_served(model: str, models: Sequence[str]) -> str:
    return f"{model!r} is not a gateway model (approved: {', '.join(models) or 'none'})"
