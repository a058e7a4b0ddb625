"""A tenant's MLOps layer: experiment tracking, a model registry with an approval step, and a
governed catalog of its datasets, each usable by the tenant's roles only.

`TenantMlops` composes the parts a tenant file asks for (tracking.py, registry.py,
catalog.py) and attaches one managed policy per tenant role with what that role may do in
them. The platform's side (Lake Formation settings and tags, the approval record) is in
platform.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.bedrock.guardrail import Classification
from components.iam import Statement, policy_document
from components.mlops.catalog import (
    TenantCatalog,
    TenantCatalogArgs,
    catalog_arns,
    catalog_statements,
)
from components.mlops.contract import TrackingServerSize, catalog_database_name, registry_name
from components.mlops.registry import (
    ModelRegistry,
    ModelRegistryArgs,
    registry_arns,
    registry_statements,
)
from components.mlops.selfhosted import tracking_url
from components.mlops.tracking import TrackingServer, TrackingServerArgs, tracking_statements
from components.scope import AwsScope

MANAGED_POLICY_LIMIT = 6_144
"""IAM's quota on a managed policy document, counted without whitespace."""


@dataclass(frozen=True)
class SageMakerTracking:
    """A SageMaker managed MLflow tracking server (TrackingServer)."""

    size: TrackingServerSize
    mlflow_version: str
    automatic_model_registration: bool


@dataclass(frozen=True)
class ClusterTracking:
    """MLflow on the platform's gateway cluster (selfhosted.SelfHostedTracking, which the
    platform stack makes beside its database); the tenant's summary names it."""

    admin_secret_name: str
    """Secrets Manager name of its first admin's sign-in."""


@dataclass(frozen=True)
class MlopsSettings:
    """What a tenant file's `mlops:` asks for."""

    tracking: SageMakerTracking | ClusterTracking | None
    registry: bool
    catalog: bool
    catalog_ready: Sequence[pulumi.Resource] = ()
    """What the catalog waits for when the same stack makes them (the Lake Formation settings
    and the classification tag)."""


@dataclass(frozen=True)
class TenantStorage:
    """The tenant's data a TenantMlops builds on (from TenantData)."""

    artifacts_bucket: pulumi.Input[str]
    artifacts_bucket_arn: pulumi.Input[str]
    datasets_bucket: pulumi.Input[str]
    datasets_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]


@dataclass(frozen=True)
class TenantMlopsArgs:
    """Inputs of a TenantMlops. `persona_roles` and `workload_role` are the tenant's roles
    (TenantIdentity)."""

    scope: AwsScope
    tenant: str
    name_prefix: str
    classification: Classification
    tags: Mapping[str, str]
    settings: MlopsSettings
    storage: TenantStorage
    workload_role: aws.iam.Role
    persona_roles: Mapping[str, aws.iam.Role]


def _within_managed_limit(document: str) -> str:
    size = len(json.dumps(json.loads(document), separators=(",", ":")))
    if size > MANAGED_POLICY_LIMIT:
        raise ValueError(
            f"a managed policy of {size} characters exceeds IAM's {MANAGED_POLICY_LIMIT}"
        )
    return document


class TenantMlops(pulumi.ComponentResource):
    """The tenant's tracking server, model registry and catalog, and its roles' access:

    - workload, admin and developer: every MLflow call on the tenant's server; register
      versions in its registry; define, read and write its catalog's tables;
    - admin only: approve a version for production;
    - viewer: read runs, models, versions and tables.

    Nothing names another tenant's server, groups or database.
    """

    tracking: TrackingServer | None
    registry: ModelRegistry | None
    catalog: TenantCatalog | None

    def __init__(
        self, name: str, args: TenantMlopsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:TenantMlops", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope, settings, storage = args.scope, args.settings, args.storage
        group = registry_name(args.name_prefix, args.tenant)
        registry = registry_arns(scope.arn("sagemaker", ""), group)
        writer_roles = [args.workload_role] + [
            args.persona_roles[p] for p in ("admin", "developer") if p in args.persona_roles
        ]
        reader_roles = [args.persona_roles["viewer"]] if "viewer" in args.persona_roles else []

        self.tracking = self.registry = self.catalog = None
        if isinstance(settings.tracking, SageMakerTracking):
            self.tracking = TrackingServer(
                f"{name}-tracking",
                TrackingServerArgs(
                    scope=scope,
                    tenant=args.tenant,
                    server_name=group,
                    artifacts_bucket=storage.artifacts_bucket,
                    artifacts_bucket_arn=storage.artifacts_bucket_arn,
                    key_arn=storage.key_arn,
                    registry=registry,
                    tags=args.tags,
                    size=settings.tracking.size,
                    mlflow_version=settings.tracking.mlflow_version,
                    automatic_model_registration=settings.tracking.automatic_model_registration,
                ),
                child,
            )
        if settings.registry:
            self.registry = ModelRegistry(
                f"{name}-registry",
                ModelRegistryArgs(group_name=group, tenant=args.tenant, tags=args.tags),
                child,
            )
        database = catalog_database_name(args.name_prefix, args.tenant)
        if settings.catalog:
            self.catalog = TenantCatalog(
                f"{name}-catalog",
                TenantCatalogArgs(
                    scope=scope,
                    tenant=args.tenant,
                    database_name=database,
                    datasets_bucket=storage.datasets_bucket,
                    datasets_bucket_arn=storage.datasets_bucket_arn,
                    key_arn=storage.key_arn,
                    classification=args.classification,
                    tags=args.tags,
                    writers=[role.arn for role in writer_roles],
                    readers=[role.arn for role in reader_roles],
                    ready=settings.catalog_ready,
                ),
                child,
            )

        catalog = catalog_arns(scope.arn("glue", ""), database)
        roles: dict[str, tuple[aws.iam.Role, list[Statement]]] = {}
        for purpose, role in [("workload", args.workload_role), *args.persona_roles.items()]:
            write = purpose != "viewer"
            statements: list[Statement] = []
            if self.tracking is not None:
                statements += tracking_statements(self.tracking.server.arn, write=write)
            if self.registry is not None:
                statements += registry_statements(
                    registry, register=write, approve=purpose == "admin"
                )
            if self.catalog is not None:
                statements += catalog_statements(catalog, write=write)
            roles[purpose] = (role, statements)
        for purpose, (role, statements) in roles.items():
            if not statements:
                continue
            policy = aws.iam.Policy(
                f"{name}-{purpose}",
                name=f"{args.name_prefix}-{args.tenant}-mlops-{purpose}",
                description=f"Tenant {args.tenant}'s MLOps layer, as its {purpose} role",
                policy=policy_document(statements).apply(_within_managed_limit),
                tags=dict(args.tags),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-{purpose}", role=role.name, policy_arn=policy.arn, opts=child
            )
        on_cluster = settings.tracking if isinstance(settings.tracking, ClusterTracking) else None
        self.summary: dict[str, pulumi.Input[object]] = {
            "trackingServerArn": self.tracking.server.arn if self.tracking else None,
            "trackingServerUrl": (
                self.tracking.server.tracking_server_url
                if self.tracking
                else tracking_url(args.tenant)
                if on_cluster
                else None
            ),
            "trackingAdminSecret": on_cluster.admin_secret_name if on_cluster else None,
            "modelPackageGroup": self.registry.group.model_package_group_name
            if self.registry
            else None,
            "catalogDatabase": self.catalog.database.name if self.catalog else None,
        }
        """What the tenant's data scientists need: the tracking URI, registry and database."""
        self.register_outputs(self.summary)
