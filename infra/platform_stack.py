"""The platform stack: KMS, network, data buckets, Bedrock, GPU clusters with their GPU
layer, the auditor role and the stack's own tenants. It publishes `plinthPlatform`, the
contract tenant stacks build on (README: "Tenant stacks")."""

import pulumi
import pulumi_aws as aws
from account import stack_account
from tenancy import TENANT_LOG_PREFIX, BedrockAccess, TenantPlatform, add_tenants, identity_center

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
from components.cluster.contract import GpuCluster
from components.cluster.coreweave import (
    CoreWeaveGpuCluster,
    CoreWeaveGpuClusterArgs,
    CoreWeaveGpuPool,
)
from components.cluster.eks import EksGpuCluster, EksGpuClusterArgs, EksGpuPool
from components.cluster.software import COHORT, GpuSoftware, GpuSoftwareArgs
from components.guardrails import (
    AccountGuardrail,
    AccountGuardrails,
    AccountGuardrailsArgs,
    PlatformBudget,
)
from components.network import Network, NetworkArgs
from components.scope import AwsScope
from components.storage import (
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)
from components.tenant import (
    TenantNetwork,
)
from components.tenant.budget import CostAllocationTags, CostAllocationTagsArgs
from components.tenant.contract import TenantCluster
from components.tenant.identity import (
    ClusterOidcProvider,
    ClusterOidcProviderArgs,
    PlatformAuditor,
    PlatformAuditorArgs,
)
from plinth.spec import PLATFORM_OUTPUT, PlinthSpec
from plinth.spec.bedrock import endpoint_services
from plinth.spec.clusters import CoreWeaveClusterSpec, EksClusterSpec, node_pool
from plinth.spec.platform import CONTRACT_VERSION
from policies.profiles import settings_for


# One linear composition, read top to bottom in the order AWS needs things; splitting it would
# only thread its dozen shared values through helper signatures.
def build(spec: PlinthSpec) -> None:  # noqa: PLR0915
    """Register the platform the validated spec describes."""
    prefix = spec.name_prefix

    account = stack_account(spec)
    on_aws, scope = account.on_aws, account.scope
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
                access_logs=access_logs.log_destination(f"{key}/"),
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

    profile = settings_for(spec.compliance.profiles)
    guardrails = spec.guardrails
    AccountGuardrails(
        f"{prefix}-guardrails",
        AccountGuardrailsArgs(
            scope=scope,
            name_prefix=prefix,
            tags=spec.common_tags(),
            audit_log_days=profile.audit_log_days,
            audit_log_lock=profile.audit_log_lock,
            log_group_days=profile.log_group_days,
            security_hub_standards=profile.security_hub_standards,
            access_logs=access_logs.log_destination("audit-logs/"),
            subscribers=guardrails.subscribers,
            data_bucket_arns=[bucket.arn for bucket in data_buckets.values()],
            kms_administrators=spec.kms.administrators,
            budget=(
                PlatformBudget(guardrails.budget.monthly_usd, guardrails.budget.alert_thresholds)
                if guardrails.budget
                else None
            ),
            anomaly_threshold_usd=guardrails.anomaly_threshold_usd,
            external=frozenset(guardrails.external),
            trail_alarms=profile.trail_alarms,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        on_aws,
    )

    def invocation_logging(
        bedrock_scope: AwsScope, on_bedrock: pulumi.ResourceOptions
    ) -> InvocationLogging:
        """The account's invocation logging in the Bedrock region; in another region than the
        stack's, with a key and an access-log bucket of that region (S3 and KMS are regional)."""
        log_key, log_access = platform_key, access_logs
        if bedrock_scope.region != spec.aws.region:
            log_key = EncryptionKey(
                f"{prefix}-bedrock-key",
                EncryptionKeyArgs(
                    scope=bedrock_scope,
                    description=f"Plinth {spec.environment}: Bedrock invocation logs",
                    tags=spec.common_tags(),
                    administrators=spec.kms.administrators,
                    allow_cloudwatch_logs=True,
                    allow_bedrock_logging=True,
                    protect=spec.protect,
                ),
                on_bedrock,
            )
            log_access = access_log_bucket(
                f"{prefix}-bedrock-access-logs", bedrock_scope, on_bedrock
            )
        return InvocationLogging(
            invocation_logging_name(prefix),
            InvocationLoggingArgs(
                scope=bedrock_scope,
                key_arn=log_key.arn,
                log_group_name=invocation_log_group_name(spec.environment),
                retention_days=spec.bedrock.logging.retention_days,
                access_logs=log_access.log_destination("bedrock-logs/"),
                tags=spec.common_tags(),
                image_data=spec.bedrock.logging.image_data,
                embedding_data=spec.bedrock.logging.embedding_data,
                video_data=spec.bedrock.logging.video_data,
                noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
                protect=spec.protect,
            ),
            on_bedrock,
        )

    def bedrock_platform() -> tuple[dict[str, pulumi.Input[object]], AwsScope, GuardrailPin | None]:
        """Bedrock for the account and region: invocation logging, the platform guardrail,
        provisioned throughput and the approved-models policy. Returns the stack outputs, and
        the scope and guardrail pin tenants' grants use."""
        bedrock = spec.bedrock
        tags = spec.common_tags()
        bedrock_scope, on_bedrock = scope, on_aws
        if bedrock_region != spec.aws.region:
            bedrock_provider = aws.Provider(
                "aws-bedrock",
                region=bedrock_region,
                allowed_account_ids=[spec.aws.account_id] if spec.aws.account_id else None,
            )
            on_bedrock = pulumi.ResourceOptions(provider=bedrock_provider)
            bedrock_scope = AwsScope(account_id=scope.account_id, region=bedrock_region)
        logging = None
        if AccountGuardrail.INVOCATION_LOGGING not in spec.guardrails.external:
            logging = invocation_logging(bedrock_scope, on_bedrock)
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
        pin = GuardrailPin(guardrail.arn, guardrail.version_arn) if settings.required else None
        approved = ApprovedModelsPolicy(
            f"{prefix}-bedrock-approved-models",
            ApprovedModelsPolicyArgs(
                grant=ModelGrantArgs(
                    scope=bedrock_scope,
                    models=bedrock.refs(),
                    providers=bedrock.allow_providers,
                    guardrail=pin,
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
        outputs: dict[str, pulumi.Input[object]] = {
            "region": bedrock_region,
            "models": [ref.id for ref in bedrock.refs()],
            "guardrailArn": guardrail.arn,
            "guardrailVersionArn": guardrail.version_arn,
            "guardrailRequired": settings.required,
            "approvedModelsPolicyArn": approved.arn,
            "invocationLogBucket": logging.bucket.name if logging else None,
            "invocationLogGroup": logging.log_group.name if logging else None,
            "provisionedModels": {name: t.arn for name, t in throughputs.items()},
        }
        return outputs, bedrock_scope, pin

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
                subnet_zones=[subnet.availability_zone for subnet in network.private_subnets],
                secrets_key_arn=platform_key.arn,
                log_key_arn=platform_key.arn,
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
                    CoreWeaveGpuPool(pool=node_pool(pool), instance_type=pool.instance_type)
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
    bedrock_access: BedrockAccess | None = None
    if spec.bedrock.enabled:
        bedrock_outputs, bedrock_scope, guardrail_pin = bedrock_platform()
        bedrock_access = BedrockAccess(bedrock_scope, guardrail_pin)
        pulumi.export("bedrock", bedrock_outputs)
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

    # Every CoreWeave cluster gets an IAM OIDC provider, through which tenants' pods there (in
    # this stack or a tenant stack) assume their workload roles. By itself it grants nothing.
    federation = {
        key: ClusterOidcProvider(
            f"{prefix}-{key}-oidc",
            ClusterOidcProviderArgs(
                issuer_url=cluster.outputs.oidc_issuer_url, tags=spec.common_tags()
            ),
            on_aws,
        )
        for key, cluster in clusters.items()
        if cluster.outputs.cloud == "coreweave"
    }

    def dns_cidrs(cluster: GpuCluster) -> tuple[pulumi.Input[str], ...]:
        """Node-local DNS answers on the node's address or the DNS ClusterIP."""
        service_cidr = cluster.outputs.service_cidr
        if not cluster.outputs.node_local_dns or service_cidr is None:
            return ()
        return (service_cidr, spec.network.cidr)

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
            dns_cidrs=dns_cidrs(cluster),
        )
        for key, cluster in clusters.items()
    }
    tenant_network = TenantNetwork(
        vpc_id=network.vpc.id,
        subnet_ids=[subnet.id for subnet in network.private_subnets],
        cidr=spec.network.cidr,
    )
    tenant_logs = access_logs.log_destination(TENANT_LOG_PREFIX)
    if spec.tenants:
        add_tenants(
            spec.tenants,
            TenantPlatform(
                scope=scope,
                name_prefix=prefix,
                common_tags=spec.common_tags,
                access_logs=tenant_logs,
                network=tenant_network,
                clusters=tenant_clusters,
                bedrock=bedrock_access,
                identity_center=identity_center(spec),
                kms_administrators=spec.kms.administrators,
                noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
                protect=spec.protect,
            ),
            on_aws,
        )

    if spec.activate_cost_allocation_tags:
        CostAllocationTags(f"{prefix}-cost-allocation-tags", CostAllocationTagsArgs(), on_aws)

    # The contract tenant stacks read through a StackReference (README: "Tenant stacks").
    pin = bedrock_access.guardrail if bedrock_access else None
    pulumi.export(
        PLATFORM_OUTPUT,
        {
            "version": CONTRACT_VERSION,
            "environment": spec.environment,
            "region": spec.aws.region,
            "network": {
                "vpcId": tenant_network.vpc_id,
                "privateSubnetIds": list(tenant_network.subnet_ids),
                "cidr": tenant_network.cidr,
            },
            "accessLogBucket": tenant_logs.bucket_name,
            "kmsAdministrators": list(spec.kms.administrators),
            "noncurrentVersionRetentionDays": spec.storage.noncurrent_version_retention_days,
            "bedrock": (
                {
                    "region": bedrock_access.scope.region,
                    "models": list(spec.bedrock.models),
                    "allowProviders": list(spec.bedrock.allow_providers),
                    "guardrailArn": pin.arn if pin else None,
                    "guardrailVersionArn": pin.version_arn if pin else None,
                }
                if bedrock_access
                else None
            ),
            "clusters": {
                key: {
                    "cloud": target.cloud,
                    "name": target.cluster_name,
                    "endpoint": clusters[key].outputs.endpoint,
                    "certificateAuthority": clusters[key].outputs.certificate_authority,
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
                        for pool in clusters[key].outputs.gpu_pools
                    },
                }
                for key, target in tenant_clusters.items()
            },
            "tenants": [tenant.name for tenant in spec.tenants],
        },
    )
    if spec.auditors:
        auditor = PlatformAuditor(
            f"{prefix}-auditor",
            PlatformAuditorArgs(
                scope=scope,
                name_prefix=prefix,
                principals=spec.auditors,
                eks_clusters={
                    key: c.outputs.cluster_name
                    for key, c in clusters.items()
                    if c.outputs.cloud == "aws"
                },
                tags=spec.common_tags(),
            ),
            on_aws,
        )
        pulumi.export("auditorRoleArn", auditor.role.arn)
