"""Model invocation logging: every prompt and completion, kept encrypted for audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_trust_policy
from components.scope import AwsScope
from components.storage import AccessLogDestination, SecureBucket, SecureBucketArgs, ServiceWriter

LOG_STREAM = "aws/bedrock/modelinvocations"
"""The one log stream Bedrock writes invocation logs to."""
S3_PREFIX = "bedrock/"


def invocation_logging_name(name_prefix: str) -> str:
    """The InvocationLogging component's name in a stack (`plinth preflight` recognises the
    stack's log bucket by it)."""
    return f"{name_prefix}-bedrock"


def log_bucket_name_prefix(logging_name: str) -> str:
    """How the log bucket's physical name starts (Pulumi appends a random suffix)."""
    return f"{logging_name}-logs"


def invocation_log_group_name(environment: str) -> str:
    """The log group of an environment's invocation logs (`plinth preflight` recognises it)."""
    return f"/plinth/{environment}/bedrock/model-invocations"


@dataclass(frozen=True)
class InvocationLoggingArgs:
    """Inputs of an InvocationLogging.

    `key_arn` encrypts the log bucket and the log group: its policy must let CloudWatch Logs
    and Bedrock use it (EncryptionKeyArgs.allow_cloudwatch_logs and allow_bedrock_logging).
    """

    scope: AwsScope
    key_arn: pulumi.Input[str]
    log_group_name: str
    retention_days: int
    access_logs: AccessLogDestination
    tags: Mapping[str, str]
    image_data: bool = False
    embedding_data: bool = False
    video_data: bool = False
    noncurrent_version_days: int = 90
    protect: bool = False


class InvocationLogging(pulumi.ComponentResource):
    """Bedrock model invocation logging for the account and region, to two destinations:

    - a SecureBucket (SSE-KMS, versioned, TLS-only, access-logged) whose policy lets only
      Bedrock, acting for this account, write under `bedrock/`; objects expire after the
      retention, like the log group's events;
    - a KMS-encrypted log group with that retention, written through a role only Bedrock in
      this account and region can assume, allowed only to write to that group's stream.

    Text is always logged; images, embeddings and video only when asked (they are large).
    The setting is a singleton per account and region: `plinth preflight` reports one that
    `pulumi up` would overwrite. Destroy stops logging and keeps the bucket and log group.
    """

    bucket: SecureBucket
    key_arn: pulumi.Input[str]
    """The key that encrypts the bucket and the log group."""
    region: str
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    configuration: aws.bedrockmodel.InvocationLoggingConfiguration

    def __init__(
        self, name: str, args: InvocationLoggingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:bedrock:InvocationLogging", name, None, opts)
        scope = args.scope
        self.key_arn, self.region = args.key_arn, scope.region
        child = pulumi.ResourceOptions(parent=self)
        any_bedrock_resource = scope.arn("bedrock", "*")
        self.bucket = SecureBucket(
            log_bucket_name_prefix(name),
            SecureBucketArgs(
                scope=scope,
                tags=args.tags,
                kms_key_arn=args.key_arn,
                access_logs=args.access_logs,
                noncurrent_version_days=args.noncurrent_version_days,
                expire_objects_after_days=args.retention_days,
                service_writers=(
                    ServiceWriter("bedrock", any_bedrock_resource, key_prefix=S3_PREFIX),
                ),
                protect=args.protect,
            ),
            child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        self.role = aws.iam.Role(
            f"{name}-delivery",
            description="Bedrock writes model invocation logs to CloudWatch Logs",
            assume_role_policy=service_trust_policy(
                scope.service_principal("bedrock", parent=self),
                source_account=scope.account_id,
                source_arn_like=any_bedrock_resource,
            ),
            tags=dict(args.tags),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-delivery",
            role=self.role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "WriteInvocationLogStream",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(
                            self.log_group.arn, ":log-stream:", LOG_STREAM
                        ),
                    }
                ]
            ),
            opts=child,
        )
        # Bedrock checks that it can write to both destinations when the setting is saved.
        self.configuration = aws.bedrockmodel.InvocationLoggingConfiguration(
            name,
            logging_config={
                "text_data_delivery_enabled": True,
                "image_data_delivery_enabled": args.image_data,
                "embedding_data_delivery_enabled": args.embedding_data,
                "video_data_delivery_enabled": args.video_data,
                "s3_config": {"bucket_name": self.bucket.name, "key_prefix": S3_PREFIX.rstrip("/")},
                "cloudwatch_config": {
                    "log_group_name": self.log_group.name,
                    "role_arn": self.role.arn,
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket.policy, role_policy]),
        )
        self.register_outputs(
            {"bucket": self.bucket.name, "logGroup": self.log_group.name, "role": self.role.arn}
        )
