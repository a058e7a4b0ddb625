"""A tenant: one AI project, with its people, namespaces, workload identity, data and budget.

`Tenant` composes the tenant pieces in dependency order: identities first (roles exist before
anything names them), then the data that the roles may use, the Bedrock model access, the
permissions tying roles to data and models, the namespaces on each cluster, and the budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.bedrock.grants import (
    GuardrailPin,
    ProjectModelAccess,
    ProjectModelAccessArgs,
)
from components.bedrock.guardrail import Classification
from components.bedrock.models import ModelRef
from components.mlops import MlopsSettings, TenantMlops, TenantMlopsArgs, TenantStorage
from components.scope import AwsScope
from components.storage import AccessLogDestination
from components.tenant.budget import PROJECT_TAG, TenantBudget, TenantBudgetArgs
from components.tenant.contract import Persona, PersonaMembers, TenantCluster
from components.tenant.data import (
    FeatureStore,
    TenantData,
    TenantDataArgs,
    VectorStore,
)
from components.tenant.identity import IdentityCenter, TenantIdentity, TenantIdentityArgs
from components.tenant.kubernetes import TenantWorkspace, TenantWorkspaceArgs
from components.tenant.permissions import TenantPermissions, TenantPermissionsArgs


@dataclass(frozen=True)
class TenantPlacement:
    """The tenant on one cluster: its GPU units per pool and its CPU and memory totals."""

    cluster: TenantCluster
    gpu_quota: Mapping[str, int]
    cpu: str
    memory: str


@dataclass(frozen=True)
class TenantNetwork:
    """The platform network the tenant's private endpoints go into."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    cidr: str


@dataclass(frozen=True)
class TenantBedrock:
    """The tenant's approved Bedrock models, in the Bedrock region, pinned to the platform
    guardrail when the platform requires it."""

    scope: AwsScope
    models: Sequence[ModelRef]
    guardrail: GuardrailPin | None


@dataclass(frozen=True)
class TenantArgs:
    """Inputs of a Tenant (see the sibling modules for what each part provisions).

    `tags` are the tenant's cost-allocation tags (project, cost-center, owner, ...): every
    AWS resource carries them, and the budget counts the costs tagged with its project.
    """

    scope: AwsScope
    name_prefix: str
    tenant: str
    tags: Mapping[str, str]
    classification: Classification
    owners: Sequence[str]
    monthly_budget_usd: int
    budget_thresholds: Sequence[int]
    access_logs: AccessLogDestination
    network: TenantNetwork
    placements: Sequence[TenantPlacement] = ()
    personas: Mapping[Persona, PersonaMembers] = field(default_factory=dict)
    identity_center: IdentityCenter | None = None
    bedrock: TenantBedrock | None = None
    vector_store: bool = False
    vector_store_standby_replicas: bool = True
    feature_store: FeatureStore | None = None
    kms_administrators: Sequence[str] = ()
    noncurrent_version_days: int = 90
    protect: bool = False
    gateway_access: bool = False
    """The tenant is granted the platform's LLM gateway: its namespaces may reach it."""
    mlops: MlopsSettings | None = None
    """Experiment tracking, model registry and catalog (components/mlops)."""


class Tenant(pulumi.ComponentResource):
    """One AI project on the platform, isolated from every other:

    - personas (admin, developer, viewer) as IAM roles mapped into each cluster, and a
      workload role bound to the tenant's service account (TenantIdentity);
    - its own KMS key, datasets/models/artifacts buckets and, when asked, a private vector
      store and a feature store (TenantData);
    - application inference profiles and grants for its approved Bedrock models;
    - inline policies giving each role only its tenant's data, key and models
      (TenantPermissions);
    - on each cluster: namespace, quotas, network fences, RoleBindings and its Kueue queues
      (TenantWorkspace);
    - a monthly AWS budget over its tagged costs, alerting the owners (TenantBudget);
    - when asked, its MLflow tracking server, model registry and governed catalog
      (TenantMlops).
    """

    identity: TenantIdentity
    data: TenantData
    model_access: ProjectModelAccess | None
    workspaces: dict[str, TenantWorkspace]
    budget: TenantBudget
    mlops: TenantMlops | None
    tags: dict[str, str]
    """The tenant's cost-allocation tags, for what other layers build on its behalf."""

    def __init__(
        self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:Tenant", name, None, opts)
        self.tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        clusters = [placement.cluster for placement in args.placements]
        self.identity = TenantIdentity(
            f"{name}-identity",
            TenantIdentityArgs(
                scope=args.scope,
                tenant=args.tenant,
                name_prefix=args.name_prefix,
                namespace=args.tenant,
                tags=args.tags,
                personas=args.personas,
                clusters=clusters,
                identity_center=args.identity_center,
            ),
            child,
        )
        roles = self.identity.persona_roles
        writers = [self.identity.workload_role.arn] + [
            roles[p].arn for p in ("admin", "developer") if p in roles
        ]
        # The data keeps the tenant's own name: S3 names buckets after it (plus a random
        # suffix) and allows 63 characters, which a longer name would exceed.
        self.data = TenantData(
            name,
            TenantDataArgs(
                scope=args.scope,
                tenant=args.tenant,
                name_prefix=args.name_prefix,
                tags=args.tags,
                classification=args.classification,
                access_logs=args.access_logs,
                kms_administrators=args.kms_administrators,
                noncurrent_version_days=args.noncurrent_version_days,
                vector_store=(
                    VectorStore(
                        vpc_id=args.network.vpc_id,
                        subnet_ids=args.network.subnet_ids,
                        allowed_cidrs=(args.network.cidr,),
                        read_write_principals=writers,
                        read_only_principals=[roles["viewer"].arn] if "viewer" in roles else [],
                        standby_replicas=args.vector_store_standby_replicas,
                    )
                    if args.vector_store
                    else None
                ),
                feature_store=args.feature_store,
                protect=args.protect,
            ),
            child,
        )
        self.model_access = (
            ProjectModelAccess(
                f"{name}-models",
                ProjectModelAccessArgs(
                    scope=args.bedrock.scope,
                    project=args.tenant,
                    models=args.bedrock.models,
                    tags=args.tags,
                    guardrail=args.bedrock.guardrail,
                ),
                child,
            )
            if args.bedrock is not None and args.bedrock.models
            else None
        )
        TenantPermissions(
            f"{name}-permissions",
            TenantPermissionsArgs(
                scope=args.scope,
                workload_role=self.identity.workload_role,
                persona_roles=roles,
                bucket_arns=list(self.data.bucket_arns.values()),
                key_arn=self.data.key.arn,
                collection_arn=self.data.collection_arn,
                bedrock_statements=self.model_access.statements if self.model_access else (),
                eks_cluster_arns=self.identity.eks_cluster_arns,
            ),
            child,
        )
        self.mlops = (
            TenantMlops(
                f"{name}-mlops",
                TenantMlopsArgs(
                    scope=args.scope,
                    tenant=args.tenant,
                    name_prefix=args.name_prefix,
                    classification=args.classification,
                    tags=args.tags,
                    settings=args.mlops,
                    storage=TenantStorage(
                        artifacts_bucket=self.data.buckets["artifacts"].name,
                        artifacts_bucket_arn=self.data.bucket_arns["artifacts"],
                        datasets_bucket=self.data.buckets["datasets"].name,
                        datasets_bucket_arn=self.data.bucket_arns["datasets"],
                        key_arn=self.data.key.arn,
                    ),
                    workload_role=self.identity.workload_role,
                    persona_roles=dict(roles.items()),
                ),
                child,
            )
            if args.mlops is not None
            else None
        )
        labels = {PROJECT_TAG: args.tenant, "data-classification": args.classification}
        self.workspaces = {
            placement.cluster.key: TenantWorkspace(
                f"{name}-{placement.cluster.key}",
                TenantWorkspaceArgs(
                    tenant=args.tenant,
                    cluster=placement.cluster,
                    gpu_quota=placement.gpu_quota,
                    cpu=placement.cpu,
                    memory=placement.memory,
                    personas=args.personas,
                    labels={**labels, "cost-center": args.tags["cost-center"]},
                    gateway_access=args.gateway_access,
                ),
                child,
            )
            for placement in args.placements
        }
        self.budget = TenantBudget(
            f"{name}-budget",
            TenantBudgetArgs(
                name=f"{args.name_prefix}-{args.tenant}",
                monthly_limit_usd=args.monthly_budget_usd,
                owners=args.owners,
                tag_value=args.tenant,
                thresholds_percent=args.budget_thresholds,
                tags=args.tags,
            ),
            child,
        )
        self.summary: dict[str, pulumi.Input[object]] = {
            "workloadRoleArn": self.identity.workload_role.arn,
            "personaRoleArns": {p: role.arn for p, role in roles.items()},
            "buckets": {kind: bucket.name for kind, bucket in self.data.buckets.items()},
            "keyArn": self.data.key.arn,
            "namespaces": {key: ws.namespace_name for key, ws in self.workspaces.items()},
            "vectorStoreEndpoint": (
                self.data.collection.collection_endpoint if self.data.collection else None
            ),
            "mlops": self.mlops.summary if self.mlops else None,
        }
        """What the tenant's users need: its roles, buckets, key, namespaces and vector store."""
        self.register_outputs(self.summary)
