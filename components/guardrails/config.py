"""AWS Config: the configuration history of every resource, and managed rules that re-check
the policy pack's most important rules on the live account, so drift after deploy is caught."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_trust_policy
from components.scope import AwsScope

CONFIG_PREFIX = "config"
"""Key prefix of Config's snapshots and history in the audit bucket."""


@dataclass(frozen=True)
class ManagedRule:
    """An AWS Config managed rule and the policy-pack rule it re-checks after deploy."""

    identifier: str
    """The managed rule's source identifier (AWS Config Developer Guide, "List of AWS Config
    Managed Rules")."""
    mirrors: str
    """The id of the pack rule that checks the same thing before deploy."""


LOG_RETENTION_RULE = "CW_LOGGROUP_RETENTION_PERIOD_CHECK"
"""Takes the profile's log retention as its `MinRetentionTime` parameter."""
# The values its MinRetentionTime parameter accepts, per the rule's documentation: fewer than
# CloudWatch Logs itself offers (no 1096 or 2192).
RULE_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)


def rule_retention_days(days: int) -> int:
    """The longest minimum the rule accepts that does not exceed `days`: for six years (2192)
    it checks five (1827); the pack checks the exact value before deploy."""
    return max(value for value in RULE_RETENTION_DAYS if value <= days)


MANAGED_RULES: tuple[ManagedRule, ...] = (
    ManagedRule("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "storage-bucket-public-access-block"),
    ManagedRule(
        "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC", "guardrails-account-public-access-block"
    ),
    ManagedRule("S3_BUCKET_SSL_REQUESTS_ONLY", "storage-bucket-tls-only"),
    ManagedRule("S3_BUCKET_VERSIONING_ENABLED", "storage-bucket-versioning"),
    ManagedRule("MULTI_REGION_CLOUD_TRAIL_ENABLED", "audit-cloudtrail-multi-region"),
    ManagedRule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "audit-cloudtrail-log-validation"),
    ManagedRule("CLOUD_TRAIL_ENCRYPTION_ENABLED", "audit-cloudtrail-kms"),
    ManagedRule("EKS_ENDPOINT_NO_PUBLIC_ACCESS", "eks-endpoint-private"),
    ManagedRule("EKS_SECRETS_ENCRYPTED", "eks-secrets-encryption"),
    ManagedRule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "iam-no-admin-wildcard"),
    ManagedRule("CMK_BACKING_KEY_ROTATION_ENABLED", "kms-key-rotation"),
    ManagedRule("EC2_EBS_ENCRYPTION_BY_DEFAULT", "guardrails-ebs-default-encryption"),
    ManagedRule("VPC_FLOW_LOGS_ENABLED", "network-vpc-flow-logs"),
    ManagedRule("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "network-default-security-group-closed"),
    ManagedRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "audit-log-group-encrypted"),
    ManagedRule(LOG_RETENTION_RULE, "audit-log-retention"),
    ManagedRule("GUARDDUTY_ENABLED_CENTRALIZED", "guardrails-threat-detection"),
    ManagedRule("SECURITYHUB_ENABLED", "guardrails-security-hub-standards"),
)


def config_rule_name(name_prefix: str, identifier: str) -> str:
    """`plinth-dev-s3-bucket-versioning-enabled`: Config rule names are unique per region."""
    return f"{name_prefix}-{identifier.lower().replace('_', '-')}"


@dataclass(frozen=True)
class ConfigRecordingArgs:
    """Inputs of a ConfigRecording.

    `key_arn` encrypts what Config delivers; the account-root statement of its key policy
    lets the recorder's role use it.
    """

    scope: AwsScope
    recorder_name: str
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    protect: bool = False


class ConfigRecording(pulumi.ComponentResource):
    """The region's configuration recorder, recording every supported resource type
    continuously, with its delivery channel (daily snapshots to the audit bucket, SSE-KMS) and
    started by a RecorderStatus.

    The recorder runs as its own role (the AWS managed `AWS_ConfigRole` to read resource
    configurations, plus writing under `config/` and using the audit key) rather than the
    service-linked role, which is account-wide and may already exist.

    Global resources (IAM) are recorded too: a platform stack is usually its account's only
    one; a second platform stack in another region of the account records IAM again (a few
    duplicate configuration items, not a gap).

    Retained on delete, with its role, like the other guardrails: configuration history must
    not stop because a stack is destroyed.
    """

    recorder: aws.cfg.Recorder
    status: aws.cfg.RecorderStatus

    def __init__(
        self, name: str, args: ConfigRecordingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:ConfigRecording", name, None, opts)
        scope = args.scope
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True)
        # The role outlives destroy with the recorder, which keeps running as it.
        kept_role = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        role = aws.iam.Role(
            f"{name}-recorder",
            description="AWS Config reads resource configurations and delivers their history",
            assume_role_policy=service_trust_policy(
                scope.service_principal("config", parent=self),
                source_account=scope.account_id,
                source_arn_like=None,
            ),
            tags=dict(args.tags),
            opts=kept_role,
        )
        reads_configurations = aws.iam.RolePolicyAttachment(
            f"{name}-read-configurations",
            role=role.name,
            policy_arn=scope.managed_policy_arn("service-role/AWS_ConfigRole"),
            opts=kept_role,
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-delivery",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "CheckTheAuditBucket",
                        "Effect": "Allow",
                        "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                        "Resource": args.bucket_arn,
                    },
                    {
                        "Sid": "DeliverUnderConfigPrefix",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:PutObjectAcl"],
                        "Resource": pulumi.Output.concat(
                            args.bucket_arn, f"/{CONFIG_PREFIX}/AWSLogs/", scope.account_id, "/*"
                        ),
                    },
                    {
                        "Sid": "EncryptWithTheAuditKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": args.key_arn,
                    },
                ]
            ),
            opts=kept_role,
        )
        self.recorder = aws.cfg.Recorder(
            name,
            name=args.recorder_name,
            role_arn=role.arn,
            recording_group={
                "all_supported": True,
                "include_global_resource_types": True,
            },
            recording_mode={"recording_frequency": "CONTINUOUS"},
            opts=kept,
        )
        channel = aws.cfg.DeliveryChannel(
            name,
            name=args.recorder_name,
            s3_bucket_name=args.bucket_name,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=args.key_arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            opts=pulumi.ResourceOptions.merge(
                kept,
                pulumi.ResourceOptions(depends_on=[self.recorder, delivery, reads_configurations]),
            ),
        )
        self.status = aws.cfg.RecorderStatus(
            name,
            name=self.recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[channel])),
        )
        self.register_outputs({"recorder": self.recorder.name})


@dataclass(frozen=True)
class ConfigRulesArgs:
    """Inputs of ConfigRules. `log_retention_days` is the profile's shortest log retention
    (a CloudWatch Logs retention value). `recorder` is what starts the recorder: AWS refuses
    rules in a region without one."""

    name_prefix: str
    log_retention_days: int
    tags: Mapping[str, str]
    recorder: pulumi.Resource


class ConfigRules(pulumi.ComponentResource):
    """The AWS Config managed rules of MANAGED_RULES, each re-checking on the live account what
    a pack rule checks before deploy. AWS evaluates them on every configuration change (or
    daily, for the periodic ones), whoever made the change, so a console edit that undoes a
    guardrail shows up as a noncompliant resource in Config and Security Hub."""

    rules: dict[str, aws.cfg.Rule]

    def __init__(
        self, name: str, args: ConfigRulesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:ConfigRules", name, None, opts)
        after_recorder = pulumi.ResourceOptions(parent=self, depends_on=[args.recorder])
        parameters = {
            LOG_RETENTION_RULE: {
                "MinRetentionTime": str(rule_retention_days(args.log_retention_days))
            }
        }
        self.rules = {
            rule.identifier: aws.cfg.Rule(
                config_rule_name(name, rule.identifier),
                name=config_rule_name(args.name_prefix, rule.identifier),
                description=f"Plinth: re-checks the pack rule {rule.mirrors} on the live account",
                source={"owner": "AWS", "source_identifier": rule.identifier},
                input_parameters=(
                    pulumi.Output.json_dumps(parameters[rule.identifier])
                    if rule.identifier in parameters
                    else None
                ),
                tags=dict(args.tags),
                opts=after_recorder,
            )
            for rule in MANAGED_RULES
        }
        self.register_outputs({"rules": [rule.name for rule in self.rules.values()]})
