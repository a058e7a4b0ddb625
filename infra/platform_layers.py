"""The platform's first layers, in the order AWS needs them: account and keys, network, data,
account guardrails. Each is one function taking the spec and the records of the layers before
it, returning its own record (see platform_stack.build)."""

from dataclasses import dataclass

import pulumi
from account import StackAccount, stack_account

from components.bedrock.endpoints import account_only_endpoint_policy
from components.guardrails import AccountGuardrails, AccountGuardrailsArgs, PlatformBudget
from components.network import Network, NetworkArgs
from components.scope import AwsScope
from components.storage import (
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from plinth.spec.bedrock import endpoint_services
from policies.profiles import settings_for


@dataclass(frozen=True)
class Foundation:
    """The account, its provider and the platform key every later layer encrypts with."""

    prefix: str
    account: StackAccount
    platform_key: EncryptionKey

    @property
    def scope(self) -> AwsScope:
        return self.account.scope

    @property
    def on_aws(self) -> pulumi.ResourceOptions:
        return self.account.on_aws


@dataclass(frozen=True)
class DataLayer:
    access_logs: SecureBucket
    """The stack region's S3 access-log target."""
    data_buckets: dict[str, SecureBucket]


def bedrock_region(spec: PlinthSpec) -> str:
    return spec.bedrock.region or spec.aws.region


def foundation(spec: PlinthSpec) -> Foundation:
    """The stack's AWS provider (pinned to the account when asked) and the platform key."""
    prefix = spec.name_prefix
    account = stack_account(spec)
    platform_key = EncryptionKey(
        f"{prefix}-platform",
        EncryptionKeyArgs(
            scope=account.scope,
            description=f"Plinth {spec.environment}: platform logs and data",
            tags=spec.common_tags(),
            administrators=spec.kms.administrators,
            allow_cloudwatch_logs=True,
            allow_bedrock_logging=spec.bedrock.enabled and bedrock_region(spec) == spec.aws.region,
            protect=spec.protect,
        ),
        account.on_aws,
    )
    return Foundation(prefix=prefix, account=account, platform_key=platform_key)


def network_layer(spec: PlinthSpec, base: Foundation) -> Network:
    """The VPC, with the Bedrock endpoints the spec asks for, locked to the account."""
    bedrock_endpoints = endpoint_services(spec.bedrock)
    network = Network(
        f"{base.prefix}-net",
        NetworkArgs(
            scope=base.scope,
            cidr=spec.network.cidr,
            az_count=spec.network.az_count,
            nat_gateways=spec.network.nat_gateways,
            interface_endpoints=(*spec.network.interface_endpoints, *bedrock_endpoints),
            endpoint_policies={
                service: account_only_endpoint_policy(base.scope) for service in bedrock_endpoints
            },
            flow_log_key_arn=base.platform_key.arn,
            flow_log_retention_days=spec.network.flow_logs.retention_days,
            flow_log_traffic_type=spec.network.flow_logs.traffic_type,
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )
    origins.record(network, stack_entry("network", "plinth:network"))
    return network


def access_log_bucket(
    spec: PlinthSpec, name: str, bucket_scope: AwsScope, opts: pulumi.ResourceOptions
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


def data_layer(spec: PlinthSpec, base: Foundation) -> DataLayer:
    """The access-log bucket and the data buckets of `plinth:storage.buckets`."""
    access_logs = access_log_bucket(spec, f"{base.prefix}-access-logs", base.scope, base.on_aws)
    data_buckets = {
        key: SecureBucket(
            f"{base.prefix}-{key}",
            SecureBucketArgs(
                scope=base.scope,
                tags=spec.common_tags(bucket.data_classification),
                kms_key_arn=base.platform_key.arn,
                access_logs=access_logs.log_destination(f"{key}/"),
                noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
                object_lock=(
                    ObjectLock(mode=bucket.object_lock.mode, days=bucket.object_lock.days)
                    if bucket.object_lock
                    else None
                ),
                protect=spec.protect,
            ),
            base.on_aws,
        )
        for key, bucket in spec.storage.buckets.items()
    }
    for key, data_bucket in data_buckets.items():
        origins.record(data_bucket, stack_entry("bucket", f"plinth:storage.buckets.{key}"))
    return DataLayer(access_logs=access_logs, data_buckets=data_buckets)


def guardrails_layer(spec: PlinthSpec, base: Foundation, data: DataLayer) -> AccountGuardrails:
    """The account guardrails, shaped by the stack's compliance profiles."""
    profile = settings_for(spec.compliance.profiles)
    guardrails = spec.guardrails
    account_guardrails = AccountGuardrails(
        f"{base.prefix}-guardrails",
        AccountGuardrailsArgs(
            scope=base.scope,
            name_prefix=base.prefix,
            tags=spec.common_tags(),
            audit_log_days=profile.audit_log_days,
            audit_log_lock=profile.audit_log_lock,
            log_group_days=profile.log_group_days,
            security_hub_standards=profile.security_hub_standards,
            access_logs=data.access_logs.log_destination("audit-logs/"),
            subscribers=guardrails.subscribers,
            data_bucket_arns=[bucket.arn for bucket in data.data_buckets.values()],
            kms_administrators=spec.kms.administrators,
            budget=(
                PlatformBudget(guardrails.budget.monthly_usd, guardrails.budget.alert_thresholds)
                if guardrails.budget
                else None
            ),
            anomaly_threshold_usd=guardrails.anomaly_threshold_usd,
            external=frozenset(guardrails.external),
            trail_alarms=profile.trail_alarms,
            metric_alerts=spec.observability is not None,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        base.on_aws,
    )
    origins.record(account_guardrails, stack_entry("guardrails", "plinth:guardrails"))
    return account_guardrails
