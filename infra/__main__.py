"""The Plinth platform program: composes the components from the validated stack spec.

Run by `pulumi up` (real engine) and by `plinth preview` (offline engine) alike. The spec is
validated first; nothing is registered when it has problems.
"""

import pulumi
import pulumi_aws as aws

from components.bedrock.endpoints import account_only_endpoint_policy
from components.bedrock.grants import (
    ApprovedModelsPolicy,
    ApprovedModelsPolicyArgs,
    GuardrailPin,
    ModelGrantArgs,
    ProvisionedModel,
)
from components.bedrock.guardrail import (
    DEFAULT_CONTENT_STRENGTHS,
    ContextualGrounding,
    DeniedTopic,
    PlatformGuardrail,
    PlatformGuardrailArgs,
    pii_actions_for,
)
from components.bedrock.logging import (
    InvocationLogging,
    InvocationLoggingArgs,
    invocation_log_group_name,
    invocation_logging_name,
)
from components.bedrock.throughput import ProvisionedThroughput, ProvisionedThroughputArgs
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
from plinth.spec.bedrock import endpoint_services
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
bedrock_region = spec.bedrock.region or spec.aws.region
bedrock_endpoints = endpoint_services(spec.bedrock)

platform_key = EncryptionKey(
    f"{prefix}-platform",
    EncryptionKeyArgs(
        scope=scope,
        description=f"Plinth {spec.environment}: platform logs and data",
        tags=spec.common_tags(),
        administrators=spec.kms.administrators,
        allow_cloudwatch_logs=True,
        allow_bedrock_logging=spec.bedrock.enabled and bedrock_region == spec.aws.region,
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
        interface_endpoints=(*spec.network.interface_endpoints, *bedrock_endpoints),
        endpoint_policies={
            service: account_only_endpoint_policy(scope) for service in bedrock_endpoints
        },
        flow_log_key_arn=platform_key.arn,
        flow_log_retention_days=spec.network.flow_logs.retention_days,
        flow_log_traffic_type=spec.network.flow_logs.traffic_type,
        tags=spec.common_tags(),
        protect=spec.protect,
    ),
    on_aws,
)


def access_log_bucket(
    name: str, bucket_scope: AwsScope, opts: pulumi.ResourceOptions
) -> SecureBucket:
    """The S3 server access-log target of a region (S3 delivers only within a region)."""
    return SecureBucket(
        name,
        SecureBucketArgs(
            scope=bucket_scope,
            tags=spec.common_tags(),
            accepts_access_logs=True,
            expire_objects_after_days=spec.storage.access_log_retention_days,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        opts,
    )


access_logs = access_log_bucket(f"{prefix}-access-logs", scope, on_aws)

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


def bedrock_platform() -> dict[str, pulumi.Input[object]]:
    """Bedrock for the account and region: invocation logging, the platform guardrail,
    provisioned throughput and the approved-models policy. Returns the stack outputs."""
    bedrock = spec.bedrock
    tags = spec.common_tags()
    bedrock_scope, on_bedrock, log_key, log_access = scope, on_aws, platform_key, access_logs
    if bedrock_region != spec.aws.region:
        # Bedrock elsewhere: its logs need a key and an access-log bucket in that region.
        bedrock_provider = aws.Provider(
            "aws-bedrock",
            region=bedrock_region,
            allowed_account_ids=[spec.aws.account_id] if spec.aws.account_id else None,
        )
        on_bedrock = pulumi.ResourceOptions(provider=bedrock_provider)
        bedrock_scope = AwsScope(account_id=identity.account_id, region=bedrock_region)
        log_key = EncryptionKey(
            f"{prefix}-bedrock-key",
            EncryptionKeyArgs(
                scope=bedrock_scope,
                description=f"Plinth {spec.environment}: Bedrock invocation logs",
                tags=tags,
                administrators=spec.kms.administrators,
                allow_cloudwatch_logs=True,
                allow_bedrock_logging=True,
                protect=spec.protect,
            ),
            on_bedrock,
        )
        log_access = access_log_bucket(f"{prefix}-bedrock-access-logs", bedrock_scope, on_bedrock)
    logging = InvocationLogging(
        invocation_logging_name(prefix),
        InvocationLoggingArgs(
            scope=bedrock_scope,
            key_arn=log_key.arn,
            log_group_name=invocation_log_group_name(spec.environment),
            retention_days=bedrock.logging.retention_days,
            access_logs=AccessLogDestination(bucket=log_access, prefix="bedrock-logs/"),
            tags=tags,
            image_data=bedrock.logging.image_data,
            embedding_data=bedrock.logging.embedding_data,
            video_data=bedrock.logging.video_data,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        on_bedrock,
    )
    settings = bedrock.guardrail
    guardrail = PlatformGuardrail(
        f"{prefix}-guardrail",
        PlatformGuardrailArgs(
            guardrail_name=f"{prefix}-platform",
            pii_actions=pii_actions_for(spec.data_classification.value, settings.pii_entities),
            tags=tags,
            prompt_attack_strength=settings.prompt_attack_strength,
            content_strengths={**DEFAULT_CONTENT_STRENGTHS, **settings.content_filters},
            denied_topics=[
                DeniedTopic(topic.name, topic.definition, topic.examples)
                for topic in settings.denied_topics
            ],
            blocked_words=settings.blocked_words,
            block_profanity=settings.block_profanity,
            contextual_grounding=(
                ContextualGrounding(
                    settings.contextual_grounding.grounding,
                    settings.contextual_grounding.relevance,
                )
                if settings.contextual_grounding
                else None
            ),
            blocked_input_message=settings.blocked_input_message,
            blocked_output_message=settings.blocked_output_message,
        ),
        on_bedrock,
    )
    throughputs = {
        entry.name: ProvisionedThroughput(
            f"{prefix}-{entry.name}",
            ProvisionedThroughputArgs(
                scope=bedrock_scope,
                provisioned_model_name=f"{prefix}-{entry.name}",
                model_id=entry.model,
                model_units=entry.model_units,
                commitment=entry.commitment,
                tags=tags,
            ),
            on_bedrock,
        )
        for entry in bedrock.provisioned_throughput
    }
    approved = ApprovedModelsPolicy(
        f"{prefix}-bedrock-approved-models",
        ApprovedModelsPolicyArgs(
            grant=ModelGrantArgs(
                scope=bedrock_scope,
                models=bedrock.refs(),
                providers=bedrock.allow_providers,
                guardrail=(
                    GuardrailPin(guardrail.arn, guardrail.version_arn)
                    if settings.required
                    else None
                ),
                provisioned_models=[
                    ProvisionedModel(entry.model, throughputs[entry.name].arn)
                    for entry in bedrock.provisioned_throughput
                ],
            ),
            policy_name=f"{prefix}-bedrock-approved-models",
            tags=tags,
        ),
        on_bedrock,
    )
    return {
        "region": bedrock_region,
        "models": [ref.id for ref in bedrock.refs()],
        "guardrailArn": guardrail.arn,
        "guardrailVersionArn": guardrail.version_arn,
        "guardrailRequired": settings.required,
        "approvedModelsPolicyArn": approved.arn,
        "invocationLogBucket": logging.bucket.name,
        "invocationLogGroup": logging.log_group.name,
        "provisionedModels": {name: t.arn for name, t in throughputs.items()},
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
if spec.bedrock.enabled:
    pulumi.export("bedrock", bedrock_platform())
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
