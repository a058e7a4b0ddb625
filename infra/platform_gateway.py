"""The gateway layer of a platform stack: the LLM gateway (LiteLLM) on one EKS cluster, its
Aurora database, Valkey cache and secrets, and a team with a key for each tenant that asks."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from platform_bedrock import BedrockLayer
from platform_clusters import ClustersLayer
from platform_layers import Foundation
from platform_observability import observability_namespace
from platform_serving import ServingLayer

from components.bedrock.grants import ModelGrantArgs
from components.bedrock.models import ModelRef
from components.cluster.eks import EksGpuCluster
from components.gateway.cache import ServiceCache, ServiceCacheArgs
from components.gateway.config import (
    DATABASE_NAME,
    PROXY_PORT,
    GuardrailRef,
    ProxySettings,
    RequestLogStore,
    TraceExport,
    team_metadata,
)
from components.gateway.csi import SecretsStoreCsi
from components.gateway.database import ServiceDatabase, ServiceDatabaseArgs
from components.gateway.identity import secret_read_statements
from components.gateway.proxy import NAMESPACE, SERVICE, LlmGateway, LlmGatewayArgs
from components.gateway.secrets import GatewaySecrets, GatewaySecretsArgs
from components.gateway.teams import GatewayConnection, GatewayTeam, GatewayTeamArgs
from components.iam import policy_document
from components.network import Network
from components.observability.trace_config import GATEWAY_PROJECT, TRACES_ENDPOINT
from components.observability.trace_config import NAMESPACE as TRACE_NAMESPACE
from components.observability.traces import TraceStore, TraceStoreArgs
from components.tenant import Tenant
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from policies.profiles import settings_for


@dataclass(frozen=True)
class GatewayHome:
    """The gateway's EKS cluster and what other platform services beside it use: the Aurora
    cluster (its initial database and RDS-managed master secret) and the Secrets Store CSI
    driver."""

    cluster: EksGpuCluster
    database: ServiceDatabase
    initial_database: str
    master_secret_arn: pulumi.Output[str]
    csi: SecretsStoreCsi


@dataclass(frozen=True)
class GatewayLayer:
    home: GatewayHome
    gateway: LlmGateway
    teams: dict[str, GatewayTeam]
    traces: TraceStore | None
    """The trace store on the gateway's cluster (plinth:observability.traces)."""
    outputs: dict[str, pulumi.Input[object]]
    """The stack's `gateway` output (no secret in it)."""


def gateway_layer(
    spec: PlinthSpec,
    base: Foundation,
    network: Network,
    clusters: ClustersLayer,
    *,
    bedrock: BedrockLayer | None,
    tenants: dict[str, Tenant],
    serving: ServingLayer | None,
) -> GatewayLayer | None:
    """The gateway, when `plinth:gateway` is set (the spec guarantees an EKS cluster and an
    enabled Bedrock)."""
    wanted = spec.gateway
    if wanted is None or bedrock is None:
        return None
    prefix, tags = base.prefix, spec.common_tags()
    cluster = clusters.clusters[wanted.cluster]
    assert isinstance(cluster, EksGpuCluster)  # the spec refuses a gateway elsewhere
    profile = settings_for([p.value for p in spec.compliance.profiles])
    on_cluster = pulumi.ResourceOptions(provider=cluster.outputs.kubernetes_provider)
    private_subnets = [subnet.id for subnet in network.private_subnets]
    cluster_security_group = cluster.cluster.vpc_config.cluster_security_group_id
    secrets = GatewaySecrets(
        f"{prefix}-gateway-secrets",
        GatewaySecretsArgs(
            name_prefix=prefix, key_arn=base.platform_key.arn, tags=tags, protect=spec.protect
        ),
        base.on_aws,
    )
    database = ServiceDatabase(
        f"{prefix}-gateway-db",
        ServiceDatabaseArgs(
            identifier=f"{prefix}-gateway",
            database_name=DATABASE_NAME,
            vpc_id=network.vpc.id,
            subnet_ids=private_subnets,
            client_security_group_ids=[cluster_security_group],
            key_arn=base.platform_key.arn,
            min_capacity=wanted.database.min_capacity,
            max_capacity=wanted.database.max_capacity,
            backup_days=profile.database_backup_days,
            deletion_protection=spec.protect or profile.database_deletion_protection,
            tags=tags,
            protect=spec.protect,
        ),
        base.on_aws,
    )
    cache = ServiceCache(
        f"{prefix}-gateway-cache",
        ServiceCacheArgs(
            name=f"{prefix}-gateway",
            vpc_id=network.vpc.id,
            subnet_ids=private_subnets,
            client_security_group_ids=[cluster_security_group],
            key_arn=base.platform_key.arn,
            max_data_gb=wanted.cache.max_data_gb,
            max_ecpu_per_second=wanted.cache.max_ecpu_per_second,
            tags=tags,
        ),
        base.on_aws,
    )
    csi = SecretsStoreCsi(f"{prefix}-{wanted.cluster}-secrets-store", on_cluster)
    pin = bedrock.access.guardrail
    granted = [t for t in spec.tenants if t.gateway is not None]
    master_secret_arn = database.cluster.master_user_secrets.apply(
        lambda found: (found[0].secret_arn or "") if found else ""
    )
    traces = _trace_store(
        spec,
        base,
        cluster=cluster,
        database=database,
        master_secret_arn=master_secret_arn,
        csi=csi,
    )
    gateway = LlmGateway(
        f"{prefix}-gateway",
        LlmGatewayArgs(
            scope=base.scope,
            name_prefix=prefix,
            cluster_name=cluster.outputs.cluster_name,
            kubernetes_provider=cluster.outputs.kubernetes_provider,
            version=wanted.version,
            replicas=wanted.replicas,
            models=ModelGrantArgs(
                scope=bedrock.access.scope,
                models=[ModelRef.parse(m) for m in spec.gateway_bedrock_models()],
                guardrail=pin,
            ),
            settings=ProxySettings(
                region=spec.aws.region,
                bedrock_region=bedrock.access.scope.region,
                bedrock_models=spec.gateway_bedrock_models(),
                served_models=[m.name for m in wanted.served_models],
                guardrail=(
                    GuardrailRef(
                        pin.arn,
                        pulumi.Output.from_input(pin.version_arn).apply(
                            lambda arn: arn.rsplit(":", 1)[-1]
                        ),
                    )
                    if pin
                    else None
                ),
                fallbacks=wanted.fallbacks,
                request_log=(
                    RequestLogStore(
                        bucket_name=bedrock.logging.bucket.name,
                        region=bedrock.logging.region,
                        key_arn=bedrock.logging.key_arn,
                    )
                    if bedrock.logging
                    else None
                ),
                metrics=spec.observability is not None,
                traces=TraceExport(TRACES_ENDPOINT, GATEWAY_PROJECT) if traces else None,
                database_host=database.endpoint,
                cache_host=cache.endpoint,
                cache_port=cache.port,
                cache_user=cache.user_id,
                cache_name=cache.cache_name,
            ),
            master_key_arn=secrets.master_key.arn,
            salt_key_arn=secrets.salt_key.arn,
            secrets_key_arn=base.platform_key.arn,
            database_master_secret_arn=master_secret_arn,
            database_resource_id=database.resource_id,
            cache_arn=cache.cache_arn,
            cache_user_arn=cache.user_arn,
            tenant_namespaces=[t.name for t in granted if wanted.cluster in t.clusters],
            control_plane_cidrs=[spec.network.cidr],
            model_namespace=serving.serving.namespace if serving else None,
            trace_namespace=TRACE_NAMESPACE if traces else None,
            tags=tags,
            ready=[csi],
        ),
        base.on_aws,
    )
    connection = GatewayConnection(
        master_key_secret_arn=secrets.master_key.arn,
        region=spec.aws.region,
        cluster_name=cluster.outputs.cluster_name,
        cluster_endpoint=cluster.outputs.endpoint,
        cluster_certificate_authority=cluster.outputs.certificate_authority or "",
        namespace=NAMESPACE,
        service=SERVICE,
        port=PROXY_PORT,
    )
    teams: dict[str, GatewayTeam] = {}
    for tenant in granted:
        assert tenant.gateway is not None
        team = GatewayTeam(
            f"{prefix}-{tenant.name}-gateway-team",
            GatewayTeamArgs(
                connection=connection,
                team_id=tenant.name,
                models=list(tenant.gateway.models),
                max_budget=tenant.gateway.monthly_budget_usd,
                rpm_limit=tenant.gateway.rpm,
                tpm_limit=tenant.gateway.tpm,
                metadata=team_metadata(
                    tenant.name, tenant.budget.monthly_usd, tenant.gateway.log_messages
                ),
            ),
            pulumi.ResourceOptions.merge(
                base.on_aws, pulumi.ResourceOptions(depends_on=[gateway.release])
            ),
        )
        teams[tenant.name] = team
        if tenant.gateway.key_in_secrets_manager:
            _key_in_secrets_manager(prefix, tenant.name, team, tenants[tenant.name], base)
        if wanted.cluster in tenant.clusters:
            k8s.core.v1.Secret(
                f"{prefix}-{tenant.name}-gateway-key",
                metadata={"name": "llm-gateway", "namespace": tenant.name},
                type="Opaque",
                string_data={
                    "OPENAI_API_KEY": team.key,
                    "OPENAI_BASE_URL": f"{gateway.service_url}/v1",
                },
                opts=pulumi.ResourceOptions.merge(
                    on_cluster, pulumi.ResourceOptions(depends_on=[team, tenants[tenant.name]])
                ),
            )
    for component in (secrets, database, cache, csi, gateway):
        origins.record(component, stack_entry("gateway", "plinth:gateway"))
    outputs: dict[str, pulumi.Input[object]] = {
        "cluster": wanted.cluster,
        "url": f"{gateway.service_url}/v1",
        "version": wanted.version,
        "models": list(spec.gateway_models()),
        "masterKeySecretArn": secrets.master_key.arn,
        "databaseEndpoint": database.endpoint,
        "teams": sorted(teams),
        "servedModels": {
            name: model.service_url for name, model in (serving.models if serving else {}).items()
        },
    }
    home = GatewayHome(
        cluster=cluster,
        database=database,
        initial_database=DATABASE_NAME,
        master_secret_arn=master_secret_arn,
        csi=csi,
    )
    return GatewayLayer(home=home, gateway=gateway, teams=teams, traces=traces, outputs=outputs)


def _trace_store(
    spec: PlinthSpec,
    base: Foundation,
    *,
    cluster: EksGpuCluster,
    database: ServiceDatabase,
    master_secret_arn: pulumi.Input[str],
    csi: SecretsStoreCsi,
) -> TraceStore | None:
    """The trace store `plinth:observability.traces` asks for, on the gateway's cluster and
    database; prompts stay only in the spans of tenants whose files allow keeping them."""
    wanted = spec.observability.traces if spec.observability else None
    if wanted is None:
        return None
    store = TraceStore(
        f"{base.prefix}-traces",
        TraceStoreArgs(
            scope=base.scope,
            name_prefix=base.prefix,
            cluster_name=cluster.outputs.cluster_name,
            kubernetes_provider=cluster.outputs.kubernetes_provider,
            namespace=observability_namespace(base, cluster),
            ready=[csi],
            database_host=database.endpoint,
            database_resource_id=database.resource_id,
            database_master_secret_arn=master_secret_arn,
            key_arn=base.platform_key.arn,
            retention_days=wanted.retention_days,
            gateway_namespace=NAMESPACE,
            api_server_cidrs=[
                spec.network.cidr,
                *([service] if (service := cluster.outputs.service_cidr) is not None else []),
            ],
            allowed_tenants=[
                t.name for t in spec.tenants if t.gateway is not None and t.gateway.log_messages
            ],
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )
    origins.record(store, stack_entry("observability", "plinth:observability.traces"))
    return store


def _key_in_secrets_manager(
    prefix: str, tenant: str, team: GatewayTeam, owner: Tenant, base: Foundation
) -> None:
    """The team's key as a secret under the tenant's own key, which only the tenant's
    workload role may read; the tenant's (its tags, below its component)."""
    on_tenant = pulumi.ResourceOptions.merge(base.on_aws, pulumi.ResourceOptions(parent=owner))
    secret = aws.secretsmanager.Secret(
        f"{prefix}-{tenant}-gateway-key-secret",
        name=f"{prefix}/{tenant}/llm-gateway-key",
        description=f"LLM gateway key of team {tenant} (managed by Plinth)",
        kms_key_id=owner.data.key.arn,
        recovery_window_in_days=7,
        tags=owner.tags,
        opts=on_tenant,
    )
    aws.secretsmanager.SecretVersion(
        f"{prefix}-{tenant}-gateway-key-version",
        secret_id=secret.id,
        secret_string=team.key,
        opts=pulumi.ResourceOptions.merge(base.on_aws, pulumi.ResourceOptions(parent=secret)),
    )
    aws.iam.RolePolicy(
        f"{prefix}-{tenant}-gateway-key-read",
        role=owner.identity.workload_role.id,
        policy=policy_document(
            secret_read_statements(base.scope, [secret.arn], owner.data.key.arn)
        ),
        opts=pulumi.ResourceOptions.merge(base.on_aws, pulumi.ResourceOptions(parent=secret)),
    )
