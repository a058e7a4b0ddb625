"""What the platform stack owns of the MLOps layer: Lake Formation's settings and tags, and the
record of model approvals.

Both are account-wide (one data lake settings object per account and region; approval events
from every tenant's model package group), so they live in the platform stack, and tenant
stacks build on them by name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import policy_document
from components.mlops.contract import (
    CLASSIFICATION_LF_TAG,
    CLASSIFICATION_ORDER,
)
from components.scope import AwsScope

APPROVAL_EVENT = "SageMaker Model Package State Change"
"""The EventBridge detail type SageMaker sends when a model package is created or its
approval status changes."""
APPROVAL_LOG_WRITERS = ("events.amazonaws.com", "delivery.logs.amazonaws.com")
"""EventBridge hands log-group targets to CloudWatch Logs' delivery service; both must be let
write (EventBridge User Guide, CloudWatch Logs permissions for rule targets)."""


def approval_log_group_name(name_prefix: str) -> str:
    """EventBridge's console writes under /aws/events/; the same place keeps them together."""
    return f"/aws/events/{name_prefix}-model-approvals"


def approval_event_pattern() -> str:
    """Every model package state change in the account and region: tenant stacks name their
    groups with their own prefix, and an approval outside any tenant's group is evidence too."""
    return json.dumps({"source": ["aws.sagemaker"], "detail-type": [APPROVAL_EVENT]})


@dataclass(frozen=True)
class ApprovalRecordArgs:
    """Inputs of an ApprovalRecord. `key_arn` encrypts the log group (a key CloudWatch Logs
    may use); `retention_days` is the compliance profile's log retention."""

    scope: AwsScope
    name_prefix: str
    key_arn: pulumi.Input[str]
    retention_days: int
    tags: Mapping[str, str]
    protect: bool = False


class ApprovalRecord(pulumi.ComponentResource):
    """Records every model registration and approval decision of the platform's tenants:

    - a CloudWatch Logs group `/aws/events/<prefix>-model-approvals`, encrypted with the
      platform key, kept for the profile's log retention and retained on destroy (it is
      evidence of who promoted what to production);
    - an EventBridge rule matching every SageMaker model package state change in the account
      and region (tenant stacks' groups carry their own prefix), targeting that group;
    - the log group's resource policy letting only that rule put events in it (EventBridge's
      stream creation carries no rule ARN, so only putting events is pinned to the rule, as
      AWS's own EventBridge-to-Logs pattern does).

    An event carries the group, the version and its approval status; who made the change is in
    the CloudTrail record of the CreateModelPackage or UpdateModelPackage call behind it.
    CloudWatch Logs allows 10 resource policies per account and region: this is one.
    """

    log_group: aws.cloudwatch.LogGroup
    rule: aws.cloudwatch.EventRule

    def __init__(
        self, name: str, args: ApprovalRecordArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:ApprovalRecord", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=approval_log_group_name(args.name_prefix),
            retention_in_days=args.retention_days,
            kms_key_id=args.key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        self.rule = aws.cloudwatch.EventRule(
            name,
            name=f"{args.name_prefix}-model-approvals",
            description="SageMaker model package registrations and approval decisions",
            event_pattern=approval_event_pattern(),
            tags=dict(args.tags),
            opts=child,
        )
        streams = self.log_group.arn.apply(lambda arn: f"{arn}:*")
        writers = aws.cloudwatch.LogResourcePolicy(
            name,
            policy_name=f"{args.name_prefix}-model-approvals",
            policy_document=policy_document(
                [
                    {
                        # EventBridge creates its stream without naming the rule it delivers
                        # for: a SourceArn condition here would refuse every delivery.
                        "Sid": "EventBridgeCreatesItsStream",
                        "Effect": "Allow",
                        "Principal": {"Service": list(APPROVAL_LOG_WRITERS)},
                        "Action": "logs:CreateLogStream",
                        "Resource": streams,
                    },
                    {
                        "Sid": "ApprovalEventsFromTheRuleOnly",
                        "Effect": "Allow",
                        "Principal": {"Service": list(APPROVAL_LOG_WRITERS)},
                        "Action": "logs:PutLogEvents",
                        "Resource": streams,
                        "Condition": {
                            "ArnEquals": {"aws:SourceArn": self.rule.arn},
                            "StringEquals": {"aws:SourceAccount": args.scope.account_id},
                        },
                    },
                ]
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            name,
            rule=self.rule.name,
            arn=self.log_group.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[writers]),
        )
        self.register_outputs({"logGroup": self.log_group.name, "rule": self.rule.arn})


@dataclass(frozen=True)
class DataLakeArgs:
    """Inputs of a DataLake. `admins` are Lake Formation administrators (IAM role or user
    ARNs); `deployer_arn` (the role running Pulumi) joins them. `auditor_arn`, when the platform
    has an auditor role, may see every tenant catalog's metadata."""

    admins: Sequence[pulumi.Input[str]]
    deployer_arn: pulumi.Input[str]
    auditor_arn: pulumi.Input[str] | None = None


class DataLake(pulumi.ComponentResource):
    """Lake Formation in control of the account's catalog:

    - data lake settings with the administrators and no default permissions for new databases
      and tables: without them, Lake Formation grants `IAM_ALLOWED_PRINCIPALS` on everything
      new, and IAM policies alone (any `glue:*` and `s3:GetObject`) decide who reads it;
    - the `data-classification` LF-tag (public, internal, confidential, restricted) that
      tenants' catalogs and their tables carry, and grants are expressed in;
    - DESCRIBE on every classified database for the platform auditor (metadata, not data).

    The settings replace the account's whole settings: anyone made administrator outside this
    stack is removed, and settings left out (read-only admins, cross-account version
    parameters) are reset. `pulumi destroy` leaves the settings as they are (AWS has no
    "unset"), so the catalog stays governed.
    """

    classification_tag: aws.lakeformation.LfTag
    settings: aws.lakeformation.DataLakeSettings

    def __init__(
        self, name: str, args: DataLakeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:DataLake", name, None, opts)
        admins = pulumi.Output.all(args.deployer_arn, *args.admins).apply(
            lambda arns: sorted(set(arns))
        )
        self.settings = aws.lakeformation.DataLakeSettings(
            name,
            admins=admins,
            # Written out though left-out defaults are cleared too (the resource replaces the
            # whole settings): no IAM_ALLOWED_PRINCIPALS default, on purpose.
            create_database_default_permissions=[],
            create_table_default_permissions=[],
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        after_settings = pulumi.ResourceOptions(parent=self, depends_on=[self.settings])
        self.classification_tag = aws.lakeformation.LfTag(
            f"{name}-classification",
            key=CLASSIFICATION_LF_TAG,
            values=list(CLASSIFICATION_ORDER),
            opts=after_settings,
        )
        if args.auditor_arn is not None:
            aws.lakeformation.Permissions(
                f"{name}-auditor",
                principal=args.auditor_arn,
                permissions=["DESCRIBE"],
                lf_tag_policy={
                    "resource_type": "DATABASE",
                    "expressions": [
                        {"key": self.classification_tag.key, "values": list(CLASSIFICATION_ORDER)}
                    ],
                },
                opts=after_settings,
            )
        self.register_outputs(
            {"classificationTag": self.classification_tag.key, "admins": self.settings.admins}
        )
