"""A customer-managed KMS key with rotation and a least-privilege key policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document
from components.scope import AwsScope

# What key administrators may do: manage the key, never use it for data.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)

# What CloudWatch Logs needs to encrypt and read back a log group's events: the exact
# actions behind the wildcards in AWS's documented logs key policy, minus asymmetric ones.
LOGS_KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

# What CloudWatch alarms need to publish to an SNS topic encrypted with the key: SNS encrypts
# each message under a data key it generates, and reads it back, with the publisher's
# permissions (SNS Developer Guide, "Enable compatibility between event sources from AWS
# services and encrypted topics"; AWS re:Post, "How do I configure a CloudWatch alarm with an
# encrypted SNS topic?"). Kept as documented: SNS picks the GenerateDataKey variant.
ALARM_TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Inputs of an EncryptionKey.

    `retain_on_delete` defaults to True: deleting the key makes every object and log it ever
    encrypted unreadable, so `pulumi destroy` leaves it and its alias (and schedules nothing).
    `deletion_window_days` only matters for a key created with `retain_on_delete=False`.
    """

    scope: AwsScope
    description: str
    tags: Mapping[str, str]
    administrators: Sequence[str] = ()
    allow_cloudwatch_logs: bool = False
    cloudwatch_log_groups: Sequence[str] = ()
    allow_bedrock_logging: bool = False
    allow_cloudwatch_alarms: bool = False
    allow_prometheus_alerts: bool = False
    cloudtrail_trails: Sequence[str] = ()
    deletion_window_days: int = 30
    retain_on_delete: bool = True
    protect: bool = False
    alias: str | None = None


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key, rotated yearly, with an alias and a key policy that:

    - lets the account's IAM policies grant use of the key (the account root statement);
      without it a key can become unmanageable;
    - gives the named administrators management rights only, no encrypt/decrypt;
    - when asked, lets CloudWatch Logs use it only for log groups of this account and region
      (scoped by the `kms:EncryptionContext:aws:logs:arn` condition); given
      `cloudwatch_log_groups` (names), only for those log groups;
    - when asked, lets Bedrock generate data keys for invocation logs it writes to SSE-KMS
      buckets, only on behalf of this account's Bedrock resources;
    - when given `cloudtrail_trails` (names), lets CloudTrail encrypt log files for those
      trails of this account only, and describe the key (it checks the key on create);
    - when asked, lets CloudWatch alarms publish to SNS topics encrypted with it (an AWS
      managed `alias/aws/sns` key cannot allow that, so alarm topics need a key of their own);
    - when asked, lets Amazon Managed Service for Prometheus's alert manager do the same.
    """

    key: aws.kms.Key
    alias: aws.kms.Alias
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:storage:EncryptionKey", name, None, opts)
        self.key = aws.kms.Key(
            name,
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy_document(self._key_policy(args)),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.retain_on_delete
            ),
        )
        # A retained key keeps its alias, so it stays recognisable after `pulumi destroy`.
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias or name}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete),
        )
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id, "alias": self.alias.name})

    def _key_policy(self, args: EncryptionKeyArgs) -> list[Statement]:
        scope = args.scope
        statements: list[Statement] = [
            {
                "Sid": "AccountIamPoliciesGovernUse",
                "Effect": "Allow",
                "Principal": {"AWS": scope.account_root_arn},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        if args.administrators:
            statements.append(
                {
                    "Sid": "AdministratorsManageOnly",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(args.administrators)},
                    "Action": list(KEY_ADMIN_ACTIONS),
                    "Resource": "*",
                }
            )
        if args.allow_cloudwatch_logs:
            statements.append(
                {
                    "Sid": "CloudWatchLogsForThisAccountOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.regional_service_principal("logs", parent=self)},
                    "Action": list(LOGS_KEY_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": scope.arn("logs", "log-group:*")
                        }
                    },
                }
            )
        if args.cloudwatch_log_groups:
            statements.append(
                {
                    "Sid": "CloudWatchLogsForTheNamedLogGroupsOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.regional_service_principal("logs", parent=self)},
                    "Action": list(LOGS_KEY_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "kms:EncryptionContext:aws:logs:arn": [
                                scope.arn("logs", f"log-group:{name}")
                                for name in args.cloudwatch_log_groups
                            ]
                        }
                    },
                }
            )
        if args.allow_bedrock_logging:
            statements.append(
                {
                    # Bedrock writes invocation logs to SSE-KMS buckets as itself.
                    "Sid": "BedrockInvocationLogsForThisAccountOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.service_principal("bedrock", parent=self)},
                    "Action": "kms:GenerateDataKey",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": scope.account_id},
                        "ArnLike": {"aws:SourceArn": scope.arn("bedrock", "*")},
                    },
                }
            )
        if args.cloudtrail_trails:
            statements += self._cloudtrail_statements(scope, args.cloudtrail_trails)
        if args.allow_cloudwatch_alarms:
            statements.append(
                {
                    # As documented, without aws:SourceAccount / aws:SourceArn: AWS does not say
                    # that CloudWatch sends them to KMS, and a condition it does not meet would
                    # silently drop every notification. The topic policy pins the account and
                    # its alarms; a key of its own keeps this grant off any data.
                    "Sid": "CloudWatchAlarmsPublishToTopicsEncryptedWithIt",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.service_principal("cloudwatch", parent=self)},
                    "Action": list(ALARM_TOPIC_KEY_ACTIONS),
                    "Resource": "*",
                }
            )
        if args.allow_prometheus_alerts:
            statements.append(
                {
                    # AMP's documented statement for SSE topics ("Give Amazon Managed Service
                    # for Prometheus permission to send alert messages to your Amazon SNS
                    # topic"); the topic policy pins this account's workspaces.
                    "Sid": "PrometheusAlertsPublishToTopicsEncryptedWithIt",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.service_principal("aps", parent=self)},
                    "Action": list(ALARM_TOPIC_KEY_ACTIONS),
                    "Resource": "*",
                }
            )
        return statements

    def _cloudtrail_statements(self, scope: AwsScope, trails: Sequence[str]) -> list[Statement]:
        """CloudTrail encrypts for the named trails of this account only (the source ARN and
        the encryption context both name them), and reads the key when a trail is saved."""
        cloudtrail = scope.service_principal("cloudtrail", parent=self)
        trail_arns = [scope.arn("cloudtrail", f"trail/{trail}") for trail in trails]
        return [
            {
                "Sid": "CloudTrailEncryptsLogsOfThisAccountsTrails",
                "Effect": "Allow",
                "Principal": {"Service": cloudtrail},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arns},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                            "arn:", scope.partition, ":cloudtrail:*:", scope.account_id, ":trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": cloudtrail},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arns}},
            },
        ]
