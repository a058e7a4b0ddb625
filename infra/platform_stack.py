"""The platform stack: KMS, network, data buckets, Bedrock, GPU clusters with their GPU
layer, the auditor role, the MLOps layer and the stack's own tenants. It publishes
`plinthPlatform`, the contract tenant stacks build on (docs/tenants.md, "Tenant stacks").

`build` composes one function per layer; each takes the spec and the records of the layers it
builds on and returns its own record, so a new layer is a new function and one line here.
"""

import pulumi
from platform_bedrock import BedrockLayer, bedrock_layer
from platform_clusters import ClustersLayer, clusters_layer
from platform_gateway import gateway_layer
from platform_layers import (
    DataLayer,
    Foundation,
    data_layer,
    foundation,
    guardrails_layer,
    network_layer,
)
from platform_mlops import mlops_layer, self_hosted_tracking
from platform_observability import observability_layer
from platform_serving import serving_layer
from tenancy import TENANT_LOG_PREFIX, TenantPlatform, add_tenants, identity_center

from components.mlops.platform import DataLake
from components.network import Network
from components.tenant import Tenant, TenantNetwork
from components.tenant.budget import CostAllocationTags, CostAllocationTagsArgs
from components.tenant.identity import PlatformAuditor, PlatformAuditorArgs
from plinth.spec import PLATFORM_OUTPUT, PlinthSpec
from plinth.spec.platform import CONTRACT_VERSION


def build(spec: PlinthSpec) -> None:
    """Register the platform the validated spec describes."""
    base = foundation(spec)
    network = network_layer(spec, base)
    data = data_layer(spec, base)
    guardrails = guardrails_layer(spec, base, data)
    clusters = clusters_layer(spec, base, network)
    export_resources(spec, base, network, data)
    bedrock = bedrock_layer(spec, base, data)
    if bedrock is not None:
        pulumi.export("bedrock", bedrock.outputs)
    export_clusters(clusters)
    tenant_network = TenantNetwork(
        vpc_id=network.vpc.id,
        subnet_ids=[subnet.id for subnet in network.private_subnets],
        cidr=spec.network.cidr,
    )
    auditor = auditors_layer(spec, base, clusters)
    mlops = mlops_layer(spec, base, auditor.role.arn if auditor else None)
    tenants = tenants_layer(
        spec,
        base,
        data,
        network=tenant_network,
        clusters=clusters,
        bedrock=bedrock,
        data_lake=mlops.data_lake if mlops else None,
    )
    serving = serving_layer(spec, base, clusters, data)
    gateway = gateway_layer(
        spec, base, network, clusters, bedrock=bedrock, tenants=tenants, serving=serving
    )
    if gateway is not None:
        pulumi.export("gateway", gateway.outputs)
    self_hosted_tracking(spec, base, gateway, tenants)
    metrics = observability_layer(
        spec,
        base,
        guardrails=guardrails,
        network=network,
        clusters=clusters,
        traces=gateway.traces if gateway else None,
    )
    if metrics is not None:
        pulumi.export("metricsWorkspaceArn", metrics.arn)
    if spec.activate_cost_allocation_tags:
        CostAllocationTags(
            f"{base.prefix}-cost-allocation-tags", CostAllocationTagsArgs(), base.on_aws
        )
    export_platform_contract(spec, data, tenant_network, clusters, bedrock)


def export_resources(spec: PlinthSpec, base: Foundation, network: Network, data: DataLayer) -> None:
    pulumi.export("region", spec.aws.region)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("privateSubnetIds", [subnet.id for subnet in network.private_subnets])
    pulumi.export("publicSubnetIds", [subnet.id for subnet in network.public_subnets])
    pulumi.export("platformKeyArn", base.platform_key.arn)
    pulumi.export("accessLogBucket", data.access_logs.name)
    pulumi.export("dataBuckets", {key: bucket.name for key, bucket in data.data_buckets.items()})


def export_clusters(layer: ClustersLayer) -> None:
    pulumi.export(
        "clusters",
        {
            name: {
                "cloud": cluster.outputs.cloud,
                "name": cluster.outputs.cluster_name,
                "endpoint": cluster.outputs.endpoint,
                "oidcIssuerUrl": cluster.outputs.oidc_issuer_url,
                "kubernetesVersion": cluster.outputs.kubernetes_version,
                "gpuPools": {
                    pool.name: {"labels": dict(pool.labels), "maxGpus": pool.max_gpus}
                    for pool in cluster.outputs.gpu_pools
                },
                "clusterQueue": layer.gpu_software[name].cluster_queue_name,
            }
            for name, cluster in layer.clusters.items()
        },
    )


def tenants_layer(
    spec: PlinthSpec,
    base: Foundation,
    data: DataLayer,
    *,
    network: TenantNetwork,
    clusters: ClustersLayer,
    bedrock: BedrockLayer | None,
    data_lake: DataLake | None,
) -> dict[str, Tenant]:
    """The stack's own tenants (`plinth:tenants`), on this platform."""
    if not spec.tenants:
        return {}
    return add_tenants(
        spec,
        TenantPlatform(
            scope=base.scope,
            name_prefix=base.prefix,
            common_tags=spec.common_tags,
            access_logs=data.access_logs.log_destination(TENANT_LOG_PREFIX),
            network=network,
            clusters=clusters.tenant_clusters,
            bedrock=bedrock.access if bedrock else None,
            identity_center=identity_center(spec),
            kms_administrators=spec.kms.administrators,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
            catalog_ready=[data_lake.settings, data_lake.classification_tag] if data_lake else (),
        ),
        base.on_aws,
    )


def export_platform_contract(
    spec: PlinthSpec,
    data: DataLayer,
    network: TenantNetwork,
    layer: ClustersLayer,
    bedrock: BedrockLayer | None,
) -> None:
    """The contract tenant stacks read through a StackReference (docs/tenants.md)."""
    pin = bedrock.access.guardrail if bedrock else None
    pulumi.export(
        PLATFORM_OUTPUT,
        {
            "version": CONTRACT_VERSION,
            "environment": spec.environment,
            "region": spec.aws.region,
            "network": {
                "vpcId": network.vpc_id,
                "privateSubnetIds": list(network.subnet_ids),
                "cidr": network.cidr,
            },
            "accessLogBucket": data.access_logs.log_destination(TENANT_LOG_PREFIX).bucket_name,
            "kmsAdministrators": list(spec.kms.administrators),
            "noncurrentVersionRetentionDays": spec.storage.noncurrent_version_retention_days,
            "bedrock": (
                {
                    "region": bedrock.access.scope.region,
                    "models": list(spec.bedrock.models),
                    "allowProviders": list(spec.bedrock.allow_providers),
                    "guardrailArn": pin.arn if pin else None,
                    "guardrailVersionArn": pin.version_arn if pin else None,
                }
                if bedrock
                else None
            ),
            "clusters": {
                key: {
                    "cloud": target.cloud,
                    "name": target.cluster_name,
                    "endpoint": layer.clusters[key].outputs.endpoint,
                    "certificateAuthority": layer.clusters[key].outputs.certificate_authority,
                    "oidcIssuerUrl": target.oidc_issuer_url,
                    "oidcProviderArn": target.oidc_provider_arn,
                    "kueueApiVersion": target.kueue_api_version,
                    "cohort": target.cohort,
                    "dnsCidrs": list(target.dns_cidrs),
                    "gpuPools": {
                        pool.name: {
                            "flavor": target.gpu_flavors[pool.name],
                            "gpuUnits": pool.max_schedulable_gpus,
                        }
                        for pool in layer.clusters[key].outputs.gpu_pools
                    },
                }
                for key, target in layer.tenant_clusters.items()
            },
            "tenants": [tenant.name for tenant in spec.tenants],
            "mlops": spec.mlops is not None,
        },
    )


def auditors_layer(
    spec: PlinthSpec, base: Foundation, layer: ClustersLayer
) -> PlatformAuditor | None:
    """The platform auditor role, when `plinth:auditors` names principals."""
    if not spec.auditors:
        return None
    auditor = PlatformAuditor(
        f"{base.prefix}-auditor",
        PlatformAuditorArgs(
            scope=base.scope,
            name_prefix=base.prefix,
            principals=spec.auditors,
            eks_clusters={
                key: c.outputs.cluster_name
                for key, c in layer.clusters.items()
                if c.outputs.cloud == "aws"
            },
            tags=spec.common_tags(),
        ),
        base.on_aws,
    )
    pulumi.export("auditorRoleArn", auditor.role.arn)
    return auditor
