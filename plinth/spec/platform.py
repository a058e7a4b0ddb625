"""The platform contract: what a platform stack publishes for tenant stacks.

A platform stack exports one output, `plinthPlatform`, holding everything a tenant in another
stack needs: the network its private endpoints join, the access-log bucket, the clusters
(endpoint, CA, Kueue flavors and cohort, DNS addresses, OIDC provider), the approved Bedrock
models and guardrail, and the names of the tenants it already holds. A tenant stack reads it
through a StackReference and validates it with `PlatformContract` before registering
anything. docs/tenants.md ("Tenant stacks") documents the same keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from plinth.spec.base import SpecModel
from plinth.spec.errors import Problem
from plinth.spec.model import PlinthSpec
from plinth.spec.tenants import PlatformOffer, offer_problems

PLATFORM_OUTPUT = "plinthPlatform"
"""The platform stack's output that carries the contract."""
CONTRACT_VERSION = 1
"""Raised when a key changes meaning or disappears; new keys are added without a bump."""


class ContractModel(SpecModel):
    """Contract sections ignore keys they do not know: a newer platform may publish more."""

    model_config = ConfigDict(extra="ignore")


class GpuPoolContract(ContractModel):
    flavor: str
    """The pool's Kueue ResourceFlavor."""
    gpu_units: int = Field(ge=0)
    """`nvidia.com/gpu` units the pool schedules at maxNodes: the most a tenant may borrow."""


class ClusterContract(ContractModel):
    cloud: Literal["aws", "coreweave"]
    name: str
    """The cluster's name at its cloud."""
    endpoint: str
    certificate_authority: str | None = None
    """Base64 CA bundle of the API server (EKS); CoreWeave's is publicly trusted."""
    oidc_issuer_url: str
    oidc_provider_arn: str | None = None
    """IAM OIDC provider trusting the cluster's service-account tokens (CoreWeave)."""
    kueue_api_version: str
    cohort: str
    """The Kueue cohort the platform's GPU ClusterQueue lends from."""
    dns_cidrs: tuple[str, ...] = ()
    """Where DNS is answered when there are no kube-dns pods (EKS Auto Mode)."""
    gpu_pools: dict[str, GpuPoolContract]


class NetworkContract(ContractModel):
    vpc_id: str
    private_subnet_ids: tuple[str, ...]
    cidr: str


class BedrockContract(ContractModel):
    region: str
    models: tuple[str, ...]
    allow_providers: tuple[str, ...] = ()
    guardrail_arn: str | None = None
    """Set when the platform requires its guardrail on every call."""
    guardrail_version_arn: str | None = None


class PlatformContract(ContractModel):
    version: Literal[1]
    environment: str
    region: str
    network: NetworkContract
    access_log_bucket: str
    kms_administrators: tuple[str, ...] = ()
    noncurrent_version_retention_days: int = Field(ge=1)
    bedrock: BedrockContract | None = None
    clusters: dict[str, ClusterContract]
    tenants: tuple[str, ...] = ()
    """Tenants the platform stack itself holds: their names are taken."""
    mlops: bool = False
    """The platform has its MLOps layer (plinth:mlops) that tenants' `mlops` builds on."""

    def offer(self, stack: str) -> PlatformOffer:
        return PlatformOffer(
            where=f"platform stack {stack}",
            gpu_units={
                key: {name: pool.gpu_units for name, pool in cluster.gpu_pools.items()}
                for key, cluster in self.clusters.items()
            },
            bedrock_models=self.bedrock.models if self.bedrock else None,
            bedrock_providers=self.bedrock.allow_providers if self.bedrock else (),
            bedrock_source=f"platform stack {stack}",
            mlops=self.mlops,
        )


def contract_problems(spec: PlinthSpec, contract: PlatformContract) -> list[Problem]:
    """A tenant stack against its platform's contract: same region, the clusters it declares,
    GPU pools and quotas, approved models, and tenant names not taken."""
    assert spec.platform is not None
    stack = spec.platform.stack
    problems: list[Problem] = []
    if contract.region != spec.aws.region:
        problems.append(
            Problem(
                "plinth:aws.region",
                f"{spec.aws.region!r} is not the region of platform stack {stack} "
                f"({contract.region!r}): tenants join the platform's VPC",
            )
        )
    for key, cloud in spec.platform.clusters.items():
        cluster = contract.clusters.get(key)
        if cluster is None:
            problems.append(
                Problem(
                    f"plinth:platform.clusters.{key}",
                    f"{key!r} is not a cluster of platform stack {stack} "
                    f"(clusters: {', '.join(contract.clusters) or 'none'})",
                )
            )
        elif cluster.cloud != cloud:
            problems.append(
                Problem(
                    f"plinth:platform.clusters.{key}",
                    f"{cloud!r}, but platform stack {stack} runs {key!r} on {cluster.cloud!r}",
                )
            )
    problems += offer_problems(spec.tenants, contract.offer(stack), unknown_clusters=False)
    problems += [
        Problem(f"plinth:tenants[{index}].name", f"{tenant.name!r} is a tenant of {stack} already")
        for index, tenant in enumerate(spec.tenants)
        if tenant.name in contract.tenants
    ]
    return problems
