"""The clusters layer of a platform stack: each `plinth:clusters` entry on its cloud, the GPU
layer on it, the IAM OIDC provider of CoreWeave clusters, and what tenants get of each."""

from dataclasses import dataclass

import pulumi
from platform_layers import Foundation

from components.cluster.contract import GpuCluster
from components.cluster.coreweave import (
    CoreWeaveGpuCluster,
    CoreWeaveGpuClusterArgs,
    CoreWeaveGpuPool,
)
from components.cluster.eks import EksGpuCluster
from components.cluster.eks_args import EksGpuClusterArgs, EksGpuPool
from components.cluster.software import COHORT, GpuSoftware, GpuSoftwareArgs
from components.network import Network
from components.tenant.contract import TenantCluster
from components.tenant.identity import ClusterOidcProvider, ClusterOidcProviderArgs
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from plinth.spec.clusters import CoreWeaveClusterSpec, EksClusterSpec, node_pool


@dataclass(frozen=True)
class ClustersLayer:
    clusters: dict[str, GpuCluster]
    gpu_software: dict[str, GpuSoftware]
    tenant_clusters: dict[str, TenantCluster]
    """What tenants (of this stack or of tenant stacks) get of each cluster."""


def _eks_cluster(
    spec: PlinthSpec, base: Foundation, network: Network, cluster: EksClusterSpec
) -> GpuCluster:
    return EksGpuCluster(
        f"{base.prefix}-{cluster.name}",
        EksGpuClusterArgs(
            scope=base.scope,
            cluster_name=f"{base.prefix}-{cluster.name}",
            kubernetes_version=cluster.kubernetes_version,
            mode=cluster.mode,
            vpc_id=network.vpc.id,
            subnet_ids=[subnet.id for subnet in network.private_subnets],
            subnet_zones=[subnet.availability_zone for subnet in network.private_subnets],
            secrets_key_arn=base.platform_key.arn,
            log_key_arn=base.platform_key.arn,
            log_retention_days=cluster.log_retention_days,
            pools=[
                EksGpuPool(
                    pool=node_pool(pool),
                    instance_types=pool.instance_types,
                    capacity_type=pool.capacity_type,
                    capacity_reservation_ids=pool.capacity_reservation_ids,
                    efa=pool.efa,
                )
                for pool in cluster.gpu_pools
            ],
            public_access_cidrs=cluster.public_access_cidrs,
            admins=cluster.admins,
            system_instance_type=cluster.system_instance_type,
            addon_versions=cluster.addon_versions,
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )


def _coreweave_cluster(spec: PlinthSpec, prefix: str, cluster: CoreWeaveClusterSpec) -> GpuCluster:
    # The CoreWeave provider reads its token from COREWEAVE_API_TOKEN (or coreweave:token).
    return CoreWeaveGpuCluster(
        f"{prefix}-{cluster.name}",
        CoreWeaveGpuClusterArgs(
            cluster_name=f"{spec.environment}-{cluster.name}",
            kubernetes_version=cluster.kubernetes_version,
            zone=cluster.zone,
            vpc_prefix=cluster.vpc_prefix,
            public_endpoint=cluster.public_endpoint,
            pools=[
                CoreWeaveGpuPool(pool=node_pool(pool), instance_type=pool.instance_type)
                for pool in cluster.gpu_pools
            ],
            protect=spec.protect,
        ),
    )


def _dns_cidrs(spec: PlinthSpec, cluster: GpuCluster) -> tuple[pulumi.Input[str], ...]:
    """Node-local DNS answers on the node's address or the DNS ClusterIP."""
    service_cidr = cluster.outputs.service_cidr
    if not cluster.outputs.node_local_dns or service_cidr is None:
        return ()
    return (service_cidr, spec.network.cidr)


def clusters_layer(spec: PlinthSpec, base: Foundation, network: Network) -> ClustersLayer:
    """Every cluster with its GPU layer; CoreWeave clusters also get an IAM OIDC provider,
    through which tenants' pods there (in this stack or a tenant stack) assume their workload
    roles (by itself it grants nothing)."""
    clusters = {
        cluster.name: _eks_cluster(spec, base, network, cluster)
        if isinstance(cluster, EksClusterSpec)
        else _coreweave_cluster(spec, base.prefix, cluster)
        for cluster in spec.clusters
    }
    gpu_software = {
        name: GpuSoftware(
            f"{base.prefix}-{name}-gpu-layer", GpuSoftwareArgs(cluster=cluster.outputs)
        )
        for name, cluster in clusters.items()
    }
    federation = {
        key: ClusterOidcProvider(
            f"{base.prefix}-{key}-oidc",
            ClusterOidcProviderArgs(
                issuer_url=cluster.outputs.oidc_issuer_url, tags=spec.common_tags()
            ),
            base.on_aws,
        )
        for key, cluster in clusters.items()
        if cluster.outputs.cloud == "coreweave"
    }
    tenant_clusters = {
        key: TenantCluster(
            key=key,
            cloud=cluster.outputs.cloud,
            cluster_name=cluster.outputs.cluster_name,
            kubernetes_provider=cluster.outputs.kubernetes_provider,
            gpu_flavors=gpu_software[key].flavor_names,
            cohort=COHORT,
            kueue_api_version=cluster.outputs.node_software.kueue_api_version,
            oidc_issuer_url=cluster.outputs.oidc_issuer_url,
            oidc_provider_arn=federation[key].arn if key in federation else None,
            ready=(gpu_software[key].cluster_queue,),
            dns_cidrs=_dns_cidrs(spec, cluster),
        )
        for key, cluster in clusters.items()
    }
    for index, cluster_spec in enumerate(spec.clusters):
        entry = stack_entry("cluster", f"plinth:clusters[{index}]")
        origins.record(clusters[cluster_spec.name], entry)
        origins.record(gpu_software[cluster_spec.name], entry)
        pools = clusters[cluster_spec.name].outputs.pool_resources
        for position, pool in enumerate(cluster_spec.gpu_pools):
            origins.record(pools[pool.name], entry.child("gpuPool", f"gpuPools[{position}]"))
    return ClustersLayer(clusters, gpu_software, tenant_clusters)
