"""The `gateway` section: the LLM gateway (LiteLLM proxy) on one of the stack's EKS clusters,
its backing database and cache, and the tenant side (`gateway:` in a tenant file).

A gateway model is named by its Bedrock model ID (`us.anthropic.claude-...`), so a tenant
grants the same string in `bedrockModels` and `gateway.models`, or by the name of a model the
stack serves itself with vLLM (`servedModels`, a DNS label such as `llama-3-1-8b`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from pydantic import Field, field_validator, model_validator

from components.cluster.contract import GpuNodePool, Mig, TimeSlicing
from components.cluster.node_sizes import NodeSize
from components.gateway.contract import LOGGABLE_CLASSIFICATIONS as LOGGABLE
from components.gateway.release import GATEWAY_VERSION
from plinth.spec.base import (
    DataClassification,
    SpecModel,
    invalid,
    name_fragment,
    without_duplicates,
)
from plinth.spec.errors import Problem

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
# An S3 key prefix: no leading or trailing slash, no empty or relative segments.
_WEIGHTS_PATH = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")
SERVED_NAME_LENGTH = 40
"""Served model names become Deployment, Service and IAM role names (with the stack prefix)."""

LOGGABLE_CLASSIFICATIONS = tuple(DataClassification(c) for c in LOGGABLE)
"""Classifications whose tenants may opt in to keeping prompts and completions in the
gateway's request logs and traces; confidential and restricted data never lands there."""


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


class ServedModelSpec(SpecModel):
    """An open model the stack serves itself with vLLM on a GPU pool of the gateway's cluster,
    behind the gateway (only the gateway's pods reach it)."""

    name: str
    """The gateway model name tenants grant, and the name of its Deployment and Service."""
    pool: str
    """The GPU pool (of the gateway's cluster) the model runs on."""
    bucket: str = "models"
    """The `plinth:storage.buckets` key of the bucket holding the weights."""
    path: str
    """The weights' prefix in that bucket (a Hugging Face model directory: config, tokenizer,
    safetensors), streamed from S3 at start through the model's Pod Identity role."""
    gpus: int = Field(default=1, ge=1, le=16)
    """GPUs per replica (vLLM's tensor-parallel size); they must fit on one node of the pool."""
    replicas: int = Field(default=1, ge=0, le=100)
    """Replicas to run; 0 scales the model to zero (its GPU nodes can scale away and the
    gateway's fallbacks answer for it)."""
    cpus: int = Field(default=3, ge=1, le=192)
    """CPU cores per replica (tokenization, scheduling, the HTTP server); the default fits
    the smallest GPU node (4 vCPUs), so a replica never waits for a larger one."""
    memory_gb: int = Field(default=12, ge=4, le=2048)
    """Memory per replica, GiB (weights stream through it to the GPUs; the shared-memory
    volume tensor parallelism uses counts in it); the default fits a 16 GiB node."""
    max_model_len: int | None = Field(default=None, ge=256, le=10_000_000)
    """Context length to serve; unset, the model's own (which may not fit the GPU memory)."""
    gpu_memory_utilization: float = Field(default=0.9, gt=0.1, le=0.98)
    """Share of each GPU's memory vLLM takes for weights and KV cache."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return name_fragment(value, "a served model name", SERVED_NAME_LENGTH, "llama-3-1-8b")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _WEIGHTS_PATH.match(value) or any(p in (".", "..") for p in value.split("/")):
            raise invalid(
                f"{value!r} is not a key prefix in the bucket (segments of letters, digits and "
                "!_.*'()- separated by '/', no leading or trailing '/', such as "
                "meta-llama/Llama-3.1-8B-Instruct)"
            )
        return value


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
    served_models: tuple[ServedModelSpec, ...] = ()
    """Open models served with vLLM on the cluster's GPU pools, next to the Bedrock models."""

    @field_validator("served_models")
    @classmethod
    def _unique_names(cls, values: tuple[ServedModelSpec, ...]) -> tuple[ServedModelSpec, ...]:
        without_duplicates(tuple(model.name for model in values))
        return values

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
    key_in_secrets_manager: bool = False
    """Also keep the team's key in Secrets Manager (`<prefix>/<tenant>/llm-gateway-key`, under
    the tenant's KMS key), readable by the tenant's workload role: for callers outside its
    namespace, such as Lambda or SageMaker jobs."""

    @field_validator("models")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)


def gateway_problems(
    gateway: GatewaySpec,
    *,
    aws_clusters: Sequence[str],
    other_clusters: Sequence[str],
    models: Sequence[str],
    pools: Mapping[str, GpuNodePool],
    nodes: Mapping[str, NodeSize],
    buckets: Sequence[str],
) -> Iterator[Problem]:
    """A gateway on a cluster the stack lacks (or on CoreWeave, which has no Pod Identity for
    Bedrock), fallbacks naming models the gateway does not serve, and served models on pools
    the gateway's cluster lacks, in buckets the stack lacks, or larger than their pool.
    `pools` are the GPU pools of the gateway's cluster, `nodes` the largest node of each."""
    at = "plinth:gateway"
    for index, served in enumerate(gateway.served_models):
        yield from _served_model_problems(
            served, f"{at}.servedModels[{index}]", pools, nodes, buckets
        )
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
    if not models or len(models) == len(gateway.served_models):
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


def _served_model_problems(
    served: ServedModelSpec,
    at: str,
    pools: Mapping[str, GpuNodePool],
    nodes: Mapping[str, NodeSize],
    buckets: Sequence[str],
) -> Iterator[Problem]:
    if served.bucket not in buckets:
        yield Problem(
            f"{at}.bucket",
            f"{served.bucket!r} is not a bucket of plinth:storage.buckets "
            f"({', '.join(buckets) or 'none'})",
        )
    pool = pools.get(served.pool)
    if pool is None:
        yield Problem(
            f"{at}.pool",
            f"{served.pool!r} is not a GPU pool of the gateway's cluster "
            f"({', '.join(pools) or 'none'})",
        )
        return
    node = nodes.get(served.pool)
    if node is not None:
        room = node.allocatable()
        if served.cpus > room.vcpus:
            yield Problem(
                f"{at}.cpus",
                f"{served.cpus} CPUs per replica do not fit on the largest node of pool "
                f"{pool.name!r} ({node.vcpus} vCPUs, about {room.vcpus} for pods)",
            )
        if served.memory_gb > room.memory_gib:
            yield Problem(
                f"{at}.memoryGb",
                f"{served.memory_gb} GiB per replica do not fit on the largest node of pool "
                f"{pool.name!r} ({node.memory_gib} GiB, about {room.memory_gib} GiB for pods)",
            )
    per_node = pool.gpus_per_node_advertised
    if served.gpus > 1 and isinstance(pool.sharing, (TimeSlicing, Mig)):
        yield Problem(
            f"{at}.gpus",
            f"{served.gpus} GPUs on pool {pool.name!r}, whose GPUs are shared: tensor "
            "parallelism needs whole GPUs, so a shared pool serves 1 GPU per replica",
        )
    elif served.gpus > per_node:
        yield Problem(
            f"{at}.gpus",
            f"{served.gpus} GPUs per replica do not fit on a node of pool {pool.name!r} "
            f"({per_node} per node)",
        )
    elif served.gpus * served.replicas > pool.max_schedulable_gpus:
        yield Problem(
            f"{at}.replicas",
            f"{served.replicas} replicas of {served.gpus} GPUs exceed pool {pool.name!r} "
            f"({pool.max_schedulable_gpus} GPUs at maxNodes)",
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
