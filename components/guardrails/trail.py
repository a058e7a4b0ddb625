"""The account's audit trail: every API call, in every region, signed and encrypted; and,
where the profiles ask for continuous review, its copy in CloudWatch Logs that alarms watch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import policy_document
from components.scope import AwsScope

TRAIL_PREFIX = "cloudtrail"
"""Key prefix of CloudTrail's log files in the audit bucket (`cloudtrail/AWSLogs/...`)."""

# What CloudTrail's role does in its log group, as the CloudTrail User Guide's role policy
# documents ("Role policy document for CloudTrail to use CloudWatch Logs for monitoring",
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html):
TRAIL_LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogStream",  # CloudTrail creates its `<account>_CloudTrail_<region>` streams
    "logs:PutLogEvents",  # and delivers the trail's events to them
)


def trail_log_group_name(name_prefix: str) -> str:
    """`/plinth-dev/cloudtrail`: fixed, so the audit key's policy can name the log group
    before it exists (CloudWatch Logs checks the key when the group is created)."""
    return f"/{name_prefix}/cloudtrail"


@dataclass(frozen=True)
class TrailLogGroupArgs:
    """Inputs of a TrailLogGroup.

    `key_arn`'s policy must let CloudWatch Logs use it for this log group
    (EncryptionKeyArgs.cloudwatch_log_groups); `retention_days` is the profile's shortest log
    group retention (a value CloudWatch Logs accepts).
    """

    scope: AwsScope
    log_group_name: str
    key_arn: pulumi.Input[str]
    retention_days: int
    tags: Mapping[str, str]
    protect: bool = False


class TrailLogGroup(pulumi.ComponentResource):
    """Where the audit trail also delivers its events, for metric filters and alarms to watch
    within minutes (S3 delivery alone is batched and read by nobody in real time):

    - a CloudWatch Logs log group encrypted with the audit key (the same records as the audit
      bucket, so the same readers), keeping events for the profile's log retention;
    - the role CloudTrail delivers as, allowed only to create this trail's streams in that
      log group and write to them.

    Retained on delete, with the role, like the trail itself: the retained trail keeps
    delivering as that role, and the log group holds audit records.
    """

    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    delivery: aws.iam.RolePolicy
    trail_log_group_arn: pulumi.Output[str]
    """The log group ARN with the `:*` (all streams) CloudTrail requires."""

    def __init__(
        self, name: str, args: TrailLogGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:TrailLogGroup", name, None, opts)
        scope = args.scope
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        # The trust CloudTrail's guide documents, without aws:SourceArn / aws:SourceAccount:
        # "Confused deputy prevention is not applicable to the role policy for CloudWatch Logs
        # monitoring. The role policy doesn't support the use of aws:SourceArn and
        # aws:SourceAccount." (the role policy page above; trust: "Sending events to
        # CloudWatch Logs", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html).
        # The permissions below name this log group's CloudTrail streams only.
        self.role = aws.iam.Role(
            f"{name}-delivery",
            description="CloudTrail delivers the audit trail's events to its CloudWatch log group",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "AssumedByCloudTrail",
                        "Effect": "Allow",
                        "Principal": {
                            "Service": scope.service_principal("cloudtrail", parent=self)
                        },
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=kept,
        )
        # CloudTrail names its streams `<account>_CloudTrail_<home region>[_<n>]` (CloudTrail
        # User Guide, "CloudWatch log group and log stream naming for CloudTrail").
        streams = pulumi.Output.concat(
            scope.arn("logs", f"log-group:{args.log_group_name}:log-stream:"),
            scope.account_id,
            f"_CloudTrail_{scope.region}*",
        )
        self.delivery = aws.iam.RolePolicy(
            f"{name}-delivery",
            role=self.role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "DeliverToTheTrailsStreamsOnly",
                        "Effect": "Allow",
                        "Action": list(TRAIL_LOG_DELIVERY_ACTIONS),
                        "Resource": streams,
                    }
                ]
            ),
            opts=kept,
        )
        self.trail_log_group_arn = pulumi.Output.concat(self.log_group.arn, ":*")
        self.register_outputs({"logGroup": self.log_group.name, "roleArn": self.role.arn})


@dataclass(frozen=True)
class AuditTrailArgs:
    """Inputs of an AuditTrail.

    The bucket must let CloudTrail check its ACL and write under `cloudtrail/AWSLogs/<account>/`
    for this trail (SecureBucket `service_writers`, `reads_bucket_acl=True`), and `key_arn`'s
    policy must let CloudTrail encrypt for it (EncryptionKeyArgs.cloudtrail_trails): CloudTrail
    checks both when the trail is created, so `ready` (the bucket policy) comes first.
    """

    trail_name: str
    bucket_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    data_bucket_arns: Sequence[pulumi.Input[str]]
    tags: Mapping[str, str]
    ready: Sequence[pulumi.Resource] = ()
    cloud_watch_logs: TrailLogGroup | None = None
    """Also deliver to this log group (CloudTrail checks the role when the trail is saved, so
    its policy comes first)."""
    protect: bool = False


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail with global service events and log file validation
    (signed hourly digests prove that no delivered log was altered or removed), encrypted with
    the audit key, recording:

    - every management event, read and write, in every region: IAM and STS calls, the EKS and
      Bedrock control planes (clusters, access entries, guardrails, model access) included;
    - S3 object-level data events (reads and writes) on the platform's data buckets, the
      evidence of who read which training data or model. Data events cost per event, so only
      the data buckets are selected, not the log buckets.

    Given `cloud_watch_logs`, it also delivers every event to that log group, as its role.

    Retained on delete: an audit trail that stops with `pulumi destroy` leaves a gap auditors
    ask about. Remove it by hand (`aws cloudtrail delete-trail`) once that is intended.
    """

    trail: aws.cloudtrail.Trail
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:AuditTrail", name, None, opts)
        selectors: list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict] = [
            {
                "name": "All management events",
                "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
            }
        ]
        if args.data_bucket_arns:
            selectors.append(
                {
                    "name": "Object reads and writes on the platform's data buckets",
                    "field_selectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                        {
                            "field": "resources.ARN",
                            "starts_withs": [
                                pulumi.Output.concat(arn, "/") for arn in args.data_bucket_arns
                            ],
                        },
                    ],
                }
            )
        logs = args.cloud_watch_logs
        self.trail = aws.cloudtrail.Trail(
            name,
            name=args.trail_name,
            s3_bucket_name=args.bucket_name,
            s3_key_prefix=TRAIL_PREFIX,
            kms_key_id=args.key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            advanced_event_selectors=selectors,
            cloud_watch_logs_group_arn=logs.trail_log_group_arn if logs else None,
            cloud_watch_logs_role_arn=logs.role.arn if logs else None,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*args.ready, *([logs.delivery] if logs else [])],
                protect=args.protect,
                retain_on_delete=True,
            ),
        )
        self.arn = self.trail.arn
        self.register_outputs({"arn": self.arn})
