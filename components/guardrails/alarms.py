"""Alarms on the audit trail: the CIS AWS Foundations Benchmark's monitoring recommendations
(metric filters on the trail's CloudWatch log group, an alarm on each) and the encrypted SNS
topic that tells people within minutes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document
from components.scope import AwsScope
from components.storage import EncryptionKey, EncryptionKeyArgs


@dataclass(frozen=True)
class CisAlarm:
    """One monitoring recommendation of the CIS AWS Foundations Benchmark: a metric filter on
    the trail's log group counting the events it names, and an alarm on that count."""

    cis: str
    """The recommendation in CIS v1.4.0 (section 4; v3.0.0 and v5.0.0 keep the numbers)."""
    security_hub: str | None
    """The Security Hub control that checks it on the live account, if any."""
    slug: str
    """Names the filter, its metric and the alarm (`plinth-dev-cis-4.3-root-account-usage`)."""
    title: str
    pattern: str
    """The filter pattern, character for character: Security Hub's check "fails if the exact
    metric filters prescribed by CIS are not used"."""


# The patterns are the ones Security Hub's CloudWatch.1-14 remediation gives ("Security Hub
# CSPM controls for Amazon CloudWatch",
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html), the checker
# that evaluates these alarms on the live account, copied verbatim as AWS's own Automated
# Security Response does. For CloudWatch.4 and .13 that is AWS's newer form, which also matches
# `$.eventSource` ("Our recommended filters target only events coming from IAM API calls");
# those two controls do not require CIS's exact string. CIS 4.15 (Organizations) has no Security
# Hub control: its pattern is the benchmark's own (CIS v1.4.0-v5.0.0, 4.15).
CIS_ALARMS: tuple[CisAlarm, ...] = (
    CisAlarm(
        "4.1",
        "CloudWatch.2",
        "unauthorized-api-calls",
        "Unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    ),
    CisAlarm(
        "4.2",
        "CloudWatch.3",
        "console-signin-without-mfa",
        "Management Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    CisAlarm(
        "4.3",
        "CloudWatch.1",
        "root-account-usage",
        'Usage of the "root" user',
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent"}',
    ),
    CisAlarm(
        "4.4",
        "CloudWatch.4",
        "iam-policy-changes",
        "IAM policy changes",
        "{($.eventSource=iam.amazonaws.com) && (($.eventName=DeleteGroupPolicy) || "
        "($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || "
        "($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || "
        "($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || "
        "($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || "
        "($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || "
        "($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || "
        "($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || "
        "($.eventName=DetachGroupPolicy))}",
    ),
    CisAlarm(
        "4.5",
        "CloudWatch.5",
        "cloudtrail-changes",
        "CloudTrail configuration changes",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
        "($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    ),
    CisAlarm(
        "4.6",
        "CloudWatch.6",
        "console-auth-failures",
        "Management Console authentication failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    ),
    CisAlarm(
        "4.7",
        "CloudWatch.7",
        "cmk-disabled-or-deleted",
        "Disabling or scheduled deletion of customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
        "($.eventName=ScheduleKeyDeletion))}",
    ),
    CisAlarm(
        "4.8",
        "CloudWatch.8",
        "s3-bucket-policy-changes",
        "S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || "
        "($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || "
        "($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || "
        "($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    ),
    CisAlarm(
        "4.9",
        "CloudWatch.9",
        "config-changes",
        "AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder))}",
    ),
    CisAlarm(
        "4.10",
        "CloudWatch.10",
        "security-group-changes",
        "Security group changes",
        "{($.eventName=AuthorizeSecurityGroupIngress) || "
        "($.eventName=AuthorizeSecurityGroupEgress) || "
        "($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || "
        "($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    ),
    CisAlarm(
        "4.11",
        "CloudWatch.11",
        "nacl-changes",
        "Network access control list (NACL) changes",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || "
        "($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
    ),
    CisAlarm(
        "4.12",
        "CloudWatch.12",
        "network-gateway-changes",
        "Network gateway changes",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || "
        "($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || "
        "($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    ),
    CisAlarm(
        "4.13",
        "CloudWatch.13",
        "route-table-changes",
        "Route table changes",
        "{($.eventSource=ec2.amazonaws.com) && (($.eventName=CreateRoute) || "
        "($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || "
        "($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || "
        "($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable))}",
    ),
    CisAlarm(
        "4.14",
        "CloudWatch.14",
        "vpc-changes",
        "VPC changes",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || "
        "($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || "
        "($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || "
        "($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || "
        "($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || "
        "($.eventName=EnableVpcClassicLink)}",
    ),
    # Organizations logs most of these in the management account only; in a member account
    # the alarm still sees LeaveOrganization and AcceptHandshake, the calls that move the
    # account out of (or into) an organization's guardrails. One more alarm costs little.
    CisAlarm(
        "4.15",
        None,
        "organizations-changes",
        "AWS Organizations changes",
        '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || '
        '($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || '
        '($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || '
        '($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || '
        '($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || '
        '($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || '
        '($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || '
        '($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || '
        '($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || '
        '($.eventName = "UpdateOrganizationalUnit")) }',
    ),
)

METRIC_NAMESPACE = "CISBenchmark"
"""The namespace the benchmark's own remediation uses, grouping these metrics apart from any
application's. Security Hub's check finds the alarm by metric name only, so it is free."""

# The alarm CIS prescribes for every recommendation (`put-metric-alarm --statistic Sum
# --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold
# --evaluation-periods 1`): one matching event in five minutes alarms.
ALARM_STATISTIC = "Sum"
ALARM_PERIOD_SECONDS = 300
ALARM_THRESHOLD = 1.0
ALARM_COMPARISON = "GreaterThanOrEqualToThreshold"
ALARM_EVALUATION_PERIODS = 1
ALARM_MISSING_DATA = "notBreaching"
"""No matching event publishes no data point: quiet periods are OK, not INSUFFICIENT_DATA."""


def cis_alarm_name(name_prefix: str, alarm: CisAlarm) -> str:
    """`plinth-dev-cis-4.3-root-account-usage`: the filter's, metric's and alarm's name (no
    `:`, `*` or `$`, which filter and metric names refuse); prefixed, as two platform stacks in
    one account and region would otherwise share a metric."""
    return f"{name_prefix}-cis-{alarm.cis}-{alarm.slug}"


@dataclass(frozen=True)
class AlarmTopicArgs:
    """Inputs of an AlarmTopic. `subscribers` are emails (plinth:guardrails.subscribers);
    each must confirm the subscription AWS emails them before anything is delivered."""

    scope: AwsScope
    topic_name: str
    subscribers: Sequence[str]
    tags: Mapping[str, str]
    kms_administrators: Sequence[str] = ()
    prometheus_alerts: bool = False
    """Also let this account's Amazon Managed Service for Prometheus workspaces publish their
    alerts here."""
    protect: bool = False


# What AMP's alert manager calls on the topic (AMP-alertmanager-receiver-AMPpermission).
PROMETHEUS_TOPIC_ACTIONS = ("sns:Publish", "sns:GetTopicAttributes")


class AlarmTopic(pulumi.ComponentResource):
    """The SNS topic security alarms notify, with an email subscription per subscriber.

    Encrypted with a KMS key of its own whose policy lets CloudWatch alarms use it: with the
    AWS managed `alias/aws/sns` key, CloudWatch cannot publish and alarms notify no one. Not
    the audit key: the grant to CloudWatch carries no condition (see EncryptionKey), so it is
    kept off any key that protects records. The topic policy lets only this account's alarms
    publish (aws:SourceAccount, aws:SourceArn), as CloudWatch's guide recommends ("Setting up
    Amazon SNS notifications", confused deputy prevention).
    """

    topic: aws.sns.Topic
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:AlarmTopic", name, None, opts)
        scope = args.scope
        child = pulumi.ResourceOptions(parent=self)
        key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                scope=scope,
                description=f"{args.topic_name}: security alarm notifications",
                tags=args.tags,
                administrators=args.kms_administrators,
                allow_cloudwatch_alarms=True,
                allow_prometheus_alerts=args.prometheus_alerts,
                protect=args.protect,
            ),
            child,
        )
        self.topic = aws.sns.Topic(
            name,
            name=args.topic_name,
            display_name="Plinth security alarms",
            kms_master_key_id=key.arn,
            policy=policy_document(self._publishers(args)),
            tags=dict(args.tags),
            opts=child,
        )
        for email in args.subscribers:
            # Pending until the recipient confirms it. AWS cannot unsubscribe a pending email,
            # so a destroy before confirmation only forgets it (TopicSubscription's docs).
            aws.sns.TopicSubscription(
                f"{name}-{email}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})

    def _publishers(self, args: AlarmTopicArgs) -> list[Statement]:
        scope = args.scope
        statements: list[Statement] = [
            {
                "Sid": "PublishedByThisAccountsAlarms",
                "Effect": "Allow",
                "Principal": {"Service": scope.service_principal("cloudwatch", parent=self)},
                "Action": "sns:Publish",
                "Resource": scope.arn("sns", args.topic_name),
                "Condition": {
                    "ArnLike": {"aws:SourceArn": scope.arn("cloudwatch", "alarm:*")},
                    "StringEquals": {"aws:SourceAccount": scope.account_id},
                },
            }
        ]
        if args.prometheus_alerts:
            statements.append(
                {
                    "Sid": "PublishedByThisAccountsPrometheusWorkspaces",
                    "Effect": "Allow",
                    "Principal": {"Service": scope.service_principal("aps", parent=self)},
                    "Action": list(PROMETHEUS_TOPIC_ACTIONS),
                    "Resource": scope.arn("sns", args.topic_name),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": scope.arn("aps", "workspace/*")},
                        "StringEquals": {"aws:SourceAccount": scope.account_id},
                    },
                }
            )
        return statements


@dataclass(frozen=True)
class TrailAlarmsArgs:
    """Inputs of TrailAlarms: the trail's log group and the topic its alarms notify."""

    name_prefix: str
    log_group_name: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    alarms: Sequence[CisAlarm] = CIS_ALARMS


class TrailAlarms(pulumi.ComponentResource):
    """For each CIS monitoring recommendation (CIS_ALARMS), a metric filter on the trail's
    log group counting its events in METRIC_NAMESPACE, and an alarm that notifies the topic
    as soon as one happens (CIS's alarm settings: the sum over five minutes reaches 1).

    Not retained: they hold no records, and `pulumi up` recreates them.
    """

    def __init__(
        self, name: str, args: TrailAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:TrailAlarms", name, None, opts)
        for alarm in args.alarms:
            alarm_name = cis_alarm_name(args.name_prefix, alarm)
            metric_filter = aws.cloudwatch.LogMetricFilter(
                alarm_name,
                name=alarm_name,
                log_group_name=args.log_group_name,
                pattern=alarm.pattern,
                metric_transformation={
                    "name": alarm_name,
                    "namespace": METRIC_NAMESPACE,
                    "value": "1",
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            checked_by = f", Security Hub {alarm.security_hub}" if alarm.security_hub else ""
            aws.cloudwatch.MetricAlarm(
                alarm_name,
                name=alarm_name,
                alarm_description=f"CIS AWS Foundations {alarm.cis}{checked_by}: {alarm.title}",
                namespace=METRIC_NAMESPACE,
                metric_name=alarm_name,
                statistic=ALARM_STATISTIC,
                period=ALARM_PERIOD_SECONDS,
                threshold=ALARM_THRESHOLD,
                comparison_operator=ALARM_COMPARISON,
                evaluation_periods=ALARM_EVALUATION_PERIODS,
                treat_missing_data=ALARM_MISSING_DATA,
                alarm_actions=[args.topic_arn],
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[metric_filter]),
            )
        self.register_outputs(
            {"alarms": [cis_alarm_name(args.name_prefix, a) for a in args.alarms]}
        )
