"""The Plinth platform program: composes the components from the validated stack spec.

Run by `pulumi up` (real engine) and by `plinth preview` (offline engine) alike. The spec is
validated first; nothing is registered when it has problems.
"""

import pulumi
import pulumi_aws as aws

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

pulumi.export("region", spec.aws.region)
pulumi.export("vpcId", network.vpc.id)
pulumi.export("privateSubnetIds", [subnet.id for subnet in network.private_subnets])
pulumi.export("publicSubnetIds", [subnet.id for subnet in network.public_subnets])
pulumi.export("platformKeyArn", platform_key.arn)
pulumi.export("accessLogBucket", access_logs.name)
pulumi.export("dataBuckets", {key: bucket.name for key, bucket in data_buckets.items()})
