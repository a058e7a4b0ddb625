"""Tenants on a platform: the same composition whether the platform is in this stack or in
another one whose outputs a StackReference reads (see tenant_stack.py)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.bedrock.grants import GuardrailPin
from components.bedrock.models import ModelRef
from components.mlops import ClusterTracking, MlopsSettings, SageMakerTracking
from components.mlops.selfhosted import admin_secret_name
from components.scope import AwsScope
from components.storage import AccessLogDestination
from components.tenant import Tenant, TenantArgs, TenantBedrock, TenantNetwork, TenantPlacement
from components.tenant.budget import PROJECT_TAG
from components.tenant.contract import PERSONAS, PersonaMembers, TenantCluster
from components.tenant.data import FeatureGroupDefinition, FeatureStore
from components.tenant.identity import IdentityCenter
from plinth import origins
from plinth.origins import Origin, stack_entry
from plinth.spec import DataClassification, PlinthSpec
from plinth.spec.tenants import TenantSpec

TENANT_LOG_PREFIX = "tenants/"
"""Key prefix of tenant buckets' access logs in the platform's access-log bucket."""


@dataclass(frozen=True)
class BedrockAccess:
    """Where tenants' Bedrock grants live and the guardrail they must pin (None: optional)."""

    scope: AwsScope
    guardrail: GuardrailPin | None


@dataclass(frozen=True)
class TenantPlatform:
    """What a tenant gets from the platform it runs on."""

    scope: AwsScope
    name_prefix: str
    common_tags: Callable[[DataClassification], dict[str, str]]
    access_logs: AccessLogDestination
    network: TenantNetwork
    clusters: Mapping[str, TenantCluster]
    bedrock: BedrockAccess | None
    identity_center: IdentityCenter | None
    kms_administrators: Sequence[str]
    noncurrent_version_days: int
    protect: bool
    catalog_ready: Sequence[pulumi.Resource] = ()
    """What tenants' catalogs wait for: the platform's Lake Formation settings (the deployer
    becomes an administrator; new databases get no IAM-only default) and its classification
    tag, when this stack makes them."""


def tenant_args(tenant: TenantSpec, platform: TenantPlatform) -> TenantArgs:
    """What one tenant spec asks of the platform, as Tenant inputs."""
    store = tenant.data_stores
    bedrock = None
    if platform.bedrock is not None and tenant.bedrock_models:
        bedrock = TenantBedrock(
            scope=platform.bedrock.scope,
            models=[ModelRef.parse(model) for model in tenant.bedrock_models],
            guardrail=platform.bedrock.guardrail,
        )
    return TenantArgs(
        scope=platform.scope,
        name_prefix=platform.name_prefix,
        tenant=tenant.name,
        tags={
            **platform.common_tags(tenant.data_classification),
            "owner": tenant.owners[0],
            "cost-center": tenant.cost_center,
            PROJECT_TAG: tenant.name,
        },
        classification=tenant.data_classification.value,
        owners=tenant.owners,
        monthly_budget_usd=tenant.budget.monthly_usd,
        budget_thresholds=tenant.budget.alert_thresholds,
        access_logs=platform.access_logs,
        network=platform.network,
        gateway_access=tenant.gateway is not None,
        placements=[
            TenantPlacement(
                cluster=platform.clusters[key],
                gpu_quota=wanted.gpu_quota,
                cpu=wanted.cpu,
                memory=wanted.memory,
            )
            for key, wanted in tenant.clusters.items()
        ],
        personas={
            persona: PersonaMembers(
                iam_principals=members.iam_principals,
                sso_groups=members.sso_groups,
                kubernetes_groups=members.kubernetes_groups,
            )
            for persona in PERSONAS
            if not (members := getattr(tenant.personas, persona)).empty
        },
        identity_center=platform.identity_center,
        bedrock=bedrock,
        vector_store=store.vector_store is not None,
        vector_store_standby_replicas=(
            store.vector_store.standby_replicas if store.vector_store else True
        ),
        feature_store=(
            FeatureStore(
                groups=[
                    FeatureGroupDefinition(
                        name=group.name,
                        record_identifier=group.record_identifier,
                        event_time=group.event_time,
                        features=group.features,
                    )
                    for group in store.feature_store.feature_groups
                ]
            )
            if store.feature_store
            else None
        ),
        kms_administrators=platform.kms_administrators,
        noncurrent_version_days=platform.noncurrent_version_days,
        protect=platform.protect,
        mlops=mlops_settings(tenant, platform),
    )


def mlops_settings(tenant: TenantSpec, platform: TenantPlatform) -> MlopsSettings | None:
    """The tenant file's `mlops`, as TenantMlops settings."""
    wanted = tenant.mlops
    if wanted is None:
        return None
    tracking = wanted.tracking
    return MlopsSettings(
        tracking=(
            None
            if tracking is None
            else ClusterTracking(admin_secret_name(platform.name_prefix, tenant.name))
            if tracking.server == "cluster"
            else SageMakerTracking(
                size=tracking.size,
                mlflow_version=tracking.mlflow_version,
                automatic_model_registration=tracking.automatic_model_registration,
            )
        ),
        registry=wanted.registry,
        catalog=wanted.catalog,
        catalog_ready=platform.catalog_ready,
    )


def add_tenants(
    spec: PlinthSpec, platform: TenantPlatform, opts: pulumi.ResourceOptions
) -> dict[str, Tenant]:
    """One Tenant per `plinth:tenants` entry, each one's summary exported under `tenants`."""
    built = {
        tenant.name: Tenant(
            f"{platform.name_prefix}-{tenant.name}", tenant_args(tenant, platform), opts
        )
        for tenant in spec.tenants
    }
    for index, tenant in enumerate(spec.tenants):
        file = spec.tenant_file(index)
        entry = (
            Origin("tenant", file, "")
            if file
            else stack_entry("tenant", f"plinth:tenants[{index}]")
        )
        origins.record(built[tenant.name], entry)
    pulumi.export("tenants", {name: tenant.summary for name, tenant in built.items()})
    return built


def identity_center(spec: PlinthSpec) -> IdentityCenter | None:
    """The stack's IAM Identity Center, for personas held by SSO groups."""
    found = spec.identity_center
    return IdentityCenter(found.instance_arn, found.identity_store_id) if found else None
