"""The Plinth platform program: composes the components from the validated stack spec.

Run by `pulumi up` (real engine) and by `plinth preview` (offline engine) alike. The spec is
validated first; nothing is registered when it has problems.
"""

import pulumi
import pulumi_aws as aws

from components.cluster.contract import GpuCluster, GpuNodePool, Mig, TimeSlicing, pool_labels
from components.cluster.coreweave import (
    CoreWeaveGpuCluster,
    CoreWeaveGpuClusterArgs,
    CoreWeaveGpuPool,
)
from components.cluster.eks import EksGpuCluster, EksGpuClusterArgs, EksGpuPool
from components.cluster.software import GpuSoftware, GpuSoftwareArgs
from components.network import Network, NetworkArgs
from components.scope import AwsScope
from components.storage import (
    AccessLogDestination,
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)
from plinth.spec import load_spec_from_pulumi
from plinth.spec.clusters import (
    AwsGpuPoolSpec,
    CoreWeaveClusterSpec,
    CoreWeaveGpuPoolSpec,
    EksClusterSpec,
    MigSpec,
    TimeSlicingSpec,
)

spec = load_spec_from_pulumi()
prefix = spec.name_prefix

# One explicit provider: the region comes from the spec, and a stack pinned to an account
# refuses credentials for any other.
provider = aws.Provider(
    "aws",
    region=spec.aws.region,
    allowed_account_ids=[spec.aws.account_id] if spec.aws.account_id else None,
)
on_aws = pulumi.ResourceOptions(provider=provider)
identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
scope = AwsScope(account_id=identity.account_id, region=spec.aws.region)

platform_key = EncryptionKey(
    f"{prefix}-platform",
    EncryptionKeyArgs(
        scope=scope,
        description=f"Plinth {spec.environment}: platform logs and data",
        tags=spec.common_tags(),
        administrators=spec.kms.administrators,
        allow_cloudwatch_logs=True,
        protect=spec.protect,
    ),
    on_aws,
)

network = Network(
    f"{prefix}-net",
    NetworkArgs(
        scope=scope,
        cidr=spec.network.cidr,
        az_count=spec.network.az_count,
        nat_gateways=spec.network.nat_gateways,
        interface_endpoints=spec.network.interface_endpoints,
        flow_log_key_arn=platform_key.arn,
        flow_log_retention_days=spec.network.flow_logs.retention_days,
        flow_log_traffic_type=spec.network.flow_logs.traffic_type,
        tags=spec.common_tags(),
        protect=spec.protect,
    ),
    on_aws,
)

access_logs = SecureBucket(
    f"{prefix}-access-logs",
    SecureBucketArgs(
        scope=scope,
        tags=spec.common_tags(),
        accepts_access_logs=True,
        expire_objects_after_days=spec.storage.access_log_retention_days,
        noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
        protect=spec.protect,
    ),
    on_aws,
)

data_buckets = {
    key: SecureBucket(
        f"{prefix}-{key}",
        SecureBucketArgs(
            scope=scope,
            tags=spec.common_tags(bucket.data_classification),
            kms_key_arn=platform_key.arn,
            access_logs=AccessLogDestination(bucket=access_logs, prefix=f"{key}/"),
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            object_lock=(
                ObjectLock(mode=bucket.object_lock.mode, days=bucket.object_lock.days)
                if bucket.object_lock
                else None
            ),
            protect=spec.protect,
        ),
        on_aws,
    )
    for key, bucket in spec.storage.buckets.items()
}


def gpu_node_pool(pool: AwsGpuPoolSpec | CoreWeaveGpuPoolSpec) -> GpuNodePool:
    machines = pool.machines()
    sharing = pool.sharing
    return GpuNodePool(
        name=pool.name,
        gpu=machines[0].gpu,
        # Pools mixing sizes are capped by their largest node.
        gpus_per_node=max(machine.gpus for machine in machines),
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        labels=pool_labels(pool.name, pool.labels),
        sharing=(
            TimeSlicing(sharing.replicas)
            if isinstance(sharing, TimeSlicingSpec)
            else Mig(sharing.profile)
            if isinstance(sharing, MigSpec)
            else None
        ),
    )


def eks_cluster(cluster: EksClusterSpec) -> GpuCluster:
    return EksGpuCluster(
        f"{prefix}-{cluster.name}",
        EksGpuClusterArgs(
            scope=scope,
            cluster_name=f"{prefix}-{cluster.name}",
            kubernetes_version=cluster.kubernetes_version,
            mode=cluster.mode,
            vpc_id=network.vpc.id,
            subnet_ids=[subnet.id for subnet in network.private_subnets],
            secrets_key_arn=platform_key.arn,
            log_key_arn=platform_key.arn,
            log_retention_days=cluster.log_retention_days,
            pools=[
                EksGpuPool(
                    pool=gpu_node_pool(pool),
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
        on_aws,
    )


def coreweave_cluster(cluster: CoreWeaveClusterSpec) -> GpuCluster:
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
                CoreWeaveGpuPool(pool=gpu_node_pool(pool), instance_type=pool.instance_type)
                for pool in cluster.gpu_pools
            ],
            protect=spec.protect,
        ),
    )


clusters = {
    cluster.name: eks_cluster(cluster)
    if isinstance(cluster, EksClusterSpec)
    else coreweave_cluster(cluster)
    for cluster in spec.clusters
}
gpu_software = {
    name: GpuSoftware(f"{prefix}-{name}-gpu-layer", GpuSoftwareArgs(cluster=cluster.outputs))
    for name, cluster in clusters.items()
}

pulumi.export("region", spec.aws.region)
pulumi.export("vpcId", network.vpc.id)
pulumi.export("privateSubnetIds", [subnet.id for subnet in network.private_subnets])
pulumi.export("publicSubnetIds", [subnet.id for subnet in network.public_subnets])
pulumi.export("platformKeyArn", platform_key.arn)
pulumi.export("accessLogBucket", access_logs.name)
pulumi.export("dataBuckets", {key: bucket.name for key, bucket in data_buckets.items()})
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
            "clusterQueue": gpu_software[name].cluster_queue_name,
        }
        for name, cluster in clusters.items()
    },
)
