"""The platform's MLOps layer (`plinth:mlops`): Lake Formation in control of the account's
catalog, and the record of model approvals, which tenants' `mlops` builds on; and the
tenants' self-hosted MLflow servers beside the gateway's database."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from platform_gateway import GatewayLayer
from platform_layers import Foundation

from components.mlops.platform import ApprovalRecord, ApprovalRecordArgs, DataLake, DataLakeArgs
from components.mlops.selfhosted import SelfHostedTracking, SelfHostedTrackingArgs
from components.mlops.tracking_databases import TrackingDatabases, TrackingDatabasesArgs
from components.tenant import Tenant
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from policies.profiles import settings_for


@dataclass(frozen=True)
class MlopsLayer:
    data_lake: DataLake
    approvals: ApprovalRecord


def deployer_arn(base: Foundation) -> pulumi.Output[str]:
    """The IAM role (or user) running Pulumi: the caller's session resolved to its issuer, as
    Lake Formation's administrators are roles and users, not sessions."""
    return aws.iam.get_session_context_output(
        arn=base.account.caller_arn,
        opts=pulumi.InvokeOutputOptions(provider=base.on_aws.provider),
    ).issuer_arn


def mlops_layer(
    spec: PlinthSpec, base: Foundation, auditor_arn: pulumi.Input[str] | None
) -> MlopsLayer | None:
    """Lake Formation's settings and tags, and the approval record, when `plinth:mlops` asks."""
    wanted = spec.mlops
    if wanted is None:
        return None
    data_lake = DataLake(
        f"{base.prefix}-data-lake",
        DataLakeArgs(
            admins=wanted.lake_formation_admins,
            deployer_arn=deployer_arn(base),
            auditor_arn=auditor_arn,
        ),
        base.on_aws,
    )
    approvals = ApprovalRecord(
        f"{base.prefix}-model-approvals",
        ApprovalRecordArgs(
            scope=base.scope,
            name_prefix=base.prefix,
            key_arn=base.platform_key.arn,
            retention_days=settings_for(spec.compliance.profiles).log_group_days,
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )
    for component in (data_lake, approvals):
        origins.record(component, stack_entry("mlops", "plinth:mlops"))
    return MlopsLayer(data_lake=data_lake, approvals=approvals)


def self_hosted_tracking(
    spec: PlinthSpec, base: Foundation, gateway: GatewayLayer | None, tenants: dict[str, Tenant]
) -> None:
    """MLflow in the namespace of each tenant whose file asks for `tracking.server: cluster`,
    on the gateway's cluster (the spec guarantees the gateway and the tenant on its cluster),
    and the databases the platform makes for them."""
    wanted = [t for t in spec.tenants if t.mlops is not None and t.mlops.on_cluster()]
    if not wanted or gateway is None or spec.gateway is None:
        return
    home, prefix, on_cluster = gateway.home, base.prefix, spec.gateway.cluster
    cluster = home.cluster.outputs
    databases = TrackingDatabases(
        f"{prefix}-mlflow-databases",
        TrackingDatabasesArgs(
            scope=base.scope,
            name_prefix=prefix,
            cluster_name=cluster.cluster_name,
            kubernetes_provider=cluster.kubernetes_provider,
            ready=[home.csi],
            database_host=home.database.endpoint,
            master_secret_arn=home.master_secret_arn,
            master_key_arn=base.platform_key.arn,
            initial_database=home.initial_database,
            database_cidr=spec.network.cidr,
            tenants=[t.name for t in wanted],
            tags=spec.common_tags(),
        ),
        base.on_aws,
    )
    origins.record(databases, stack_entry("mlops", "plinth:tenants"))
    for tenant in wanted:
        owner = tenants[tenant.name]
        SelfHostedTracking(
            f"{prefix}-{tenant.name}-mlflow",
            SelfHostedTrackingArgs(
                scope=base.scope,
                tenant=tenant.name,
                name_prefix=prefix,
                cluster_name=cluster.cluster_name,
                kubernetes_provider=cluster.kubernetes_provider,
                ready=[
                    owner.workspaces[on_cluster],
                    home.csi,
                    databases.jobs[tenant.name],
                ],
                database_host=home.database.endpoint,
                database_resource_id=home.database.resource_id,
                database_cidr=spec.network.cidr,
                artifacts_bucket=owner.data.buckets["artifacts"].name,
                artifacts_bucket_arn=owner.data.bucket_arns["artifacts"],
                key_arn=owner.data.key.arn,
                admin_role=owner.identity.persona_roles.get("admin"),
                tags=owner.tags,
                protect=spec.protect,
            ),
            pulumi.ResourceOptions.merge(base.on_aws, pulumi.ResourceOptions(parent=owner)),
        )
