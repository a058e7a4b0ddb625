"""Account guardrails (components/guardrails, infra/platform_stack.py) on what the offline
engine captures: the settings each compliance profile sets, what a stack provisions or leaves to
others, and the policy pack's verdict when a guardrail is there, declared external or dropped."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import (
    BUCKET,
    KMS_KEY,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    ROOT,
    dev_stack_document,
    document,
    iam_findings,
    named,
    one,
    preview_dev,
    statement,
    trust_policy_with_resource,
)
from typer.testing import CliRunner

from components.guardrails.config import MANAGED_RULES, rule_retention_days
from plinth.audit import AuditReport, StackCompliance, audit_preview, stack_compliance
from plinth.audit.evidence import evidence
from plinth.cli import app
from plinth.engine import Preview, ResourceRecord, preview_stack
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID
from plinth.spec import SpecError
from policies.pack import pack_config
from policies.rules import RULES_BY_ID

ACCOUNT = EXAMPLE_ACCOUNT_ID
TRAIL = "aws:cloudtrail/trail:Trail"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
CONFIG_RULE = "aws:cfg/rule:Rule"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
BUDGET = "aws:budgets/budget:Budget"
MONITOR = "aws:costexplorer/anomalyMonitor:AnomalyMonitor"
ANOMALY_ALERTS = "aws:costexplorer/anomalySubscription:AnomalySubscription"
INVOCATION_LOGGING = (
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
)
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SINGLETON_TYPES = (
    TRAIL,
    RECORDER,
    CHANNEL,
    RECORDER_STATUS,
    CONFIG_RULE,
    DETECTOR,
    FEATURE,
    HUB,
    SUBSCRIPTION,
    ANALYZER,
    ACCOUNT_BLOCK,
    EBS_DEFAULT,
    MONITOR,
)

FOUNDATIONAL = "aws-foundational-security-best-practices/v/1.0.0"
CIS = "cis-aws-foundations-benchmark/v/3.0.0"
NIST = "nist-800-53/v/5.0.0"
PCI = "pci-dss/v/4.0.1"

# What each profile must set (docs/policies.md, "Compliance profiles"): audit-log object lock
# mode and days, Security Hub standards, and the minimum log retention the Config rule re-checks.
PROFILE_EXPECTATIONS: dict[str, tuple[str, int, list[str], int]] = {
    "baseline": ("GOVERNANCE", 365, [FOUNDATIONAL], 90),
    "soc2": ("GOVERNANCE", 365, [FOUNDATIONAL, CIS], 365),
    "hipaa": ("COMPLIANCE", 2192, [FOUNDATIONAL, NIST], 2192),
    "pci": ("COMPLIANCE", 365, [FOUNDATIONAL, PCI], 365),
    "gdpr": ("GOVERNANCE", 365, [FOUNDATIONAL], 90),
}


# Whether each profile asks for the trail's CloudWatch alarms (docs/policies.md, "Compliance
# profiles").
TRAIL_ALARMS = {"baseline": False, "soc2": True, "hipaa": True, "pci": True, "gdpr": False}

TRAIL_LOG_GROUP = "/plinth-dev/cloudtrail"
TRAIL_LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{TRAIL_LOG_GROUP}"

# The CIS AWS Foundations Benchmark v1.4.0 monitoring recommendations -> the Security Hub
# control that checks each and its exact filter pattern, as Security Hub's remediation gives
# them ("Security Hub CSPM controls for Amazon CloudWatch", CloudWatch.1-14,
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html; .4 and
# .13 in AWS's current form, with $.eventSource). 4.15 has no Security Hub control: its pattern
# is the benchmark's own. Written out here, not taken from components/guardrails/alarms.py.
DOCUMENTED_FILTERS: dict[str, tuple[str | None, str]] = {
    "4.1": (
        "CloudWatch.2",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    ),
    "4.2": (
        "CloudWatch.3",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") '
        '&& ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "4.3": (
        "CloudWatch.1",
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType !="AwsServiceEvent"}',
    ),
    "4.4": (
        "CloudWatch.4",
        "{($.eventSource=iam.amazonaws.com) && (($.eventName=DeleteGroupPolicy) "
        "|| ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) "
        "|| ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) "
        "|| ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) "
        "|| ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) "
        "|| ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) "
        "|| ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) "
        "|| ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) "
        "|| ($.eventName=DetachGroupPolicy))}",
    ),
    "4.5": (
        "CloudWatch.5",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) "
        "|| ($.eventName=DeleteTrail) || ($.eventName=StartLogging) "
        "|| ($.eventName=StopLogging)}",
    ),
    "4.6": (
        "CloudWatch.6",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    ),
    "4.7": (
        "CloudWatch.7",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) "
        "|| ($.eventName=ScheduleKeyDeletion))}",
    ),
    "4.8": (
        "CloudWatch.8",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) "
        "|| ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) "
        "|| ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) "
        "|| ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) "
        "|| ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    ),
    "4.9": (
        "CloudWatch.9",
        "{($.eventSource=config.amazonaws.com) "
        "&& (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) "
        "|| ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    ),
    "4.10": (
        "CloudWatch.10",
        "{($.eventName=AuthorizeSecurityGroupIngress) "
        "|| ($.eventName=AuthorizeSecurityGroupEgress) "
        "|| ($.eventName=RevokeSecurityGroupIngress) "
        "|| ($.eventName=RevokeSecurityGroupEgress) "
        "|| ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    ),
    "4.11": (
        "CloudWatch.11",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) "
        "|| ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) "
        "|| ($.eventName=ReplaceNetworkAclEntry) "
        "|| ($.eventName=ReplaceNetworkAclAssociation)}",
    ),
    "4.12": (
        "CloudWatch.12",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) "
        "|| ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) "
        "|| ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    ),
    "4.13": (
        "CloudWatch.13",
        "{($.eventSource=ec2.amazonaws.com) && (($.eventName=CreateRoute) "
        "|| ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) "
        "|| ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) "
        "|| ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable))}",
    ),
    "4.14": (
        "CloudWatch.14",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) "
        "|| ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) "
        "|| ($.eventName=CreateVpcPeeringConnection) "
        "|| ($.eventName=DeleteVpcPeeringConnection) "
        "|| ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) "
        "|| ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) "
        "|| ($.eventName=EnableVpcClassicLink)}",
    ),
    "4.15": (
        None,
        "{ ($.eventSource = organizations.amazonaws.com) && "
        '(($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") '
        '|| ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") '
        '|| ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") '
        '|| ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") '
        '|| ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") '
        '|| ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") '
        '|| ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") '
        '|| ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") '
        '|| ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
    ),
}


def bucket_arn(bucket: ResourceRecord) -> str:
    return f"arn:aws:s3:::{bucket.id}"


def key_arn(key: ResourceRecord) -> str:
    return f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key.id}"


def profile_preview(tmp_path: Path, *profiles: str) -> Preview:
    """The dev stack claiming `profiles`, without tenants; in the EU when GDPR is claimed."""
    changes: dict[str, Any] = {"plinth:compliance": {"profiles": list(profiles)}}
    if "gdpr" in profiles:
        bedrock = dev_stack_document()["config"]["plinth:bedrock"]
        changes["plinth:aws"] = {"region": "eu-central-1"}
        changes["plinth:bedrock"] = {
            **bedrock,
            "models": ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0"],
        }
    # Without metric alerts, whose topic would stand in for the trail alarms' missing one.
    return preview_dev(tmp_path, changes, removals=("plinth:tenants", "plinth:observability"))


def audit_bucket_settings(preview: Preview) -> tuple[str, int, int]:
    lock = named(preview, LOCK, "plinth-dev-audit-logs-object-lock").plain_inputs
    retention = lock["rule"]["defaultRetention"]
    lifecycle = named(preview, LIFECYCLE, "plinth-dev-audit-logs-lifecycle").plain_inputs
    [rule] = lifecycle["rules"]
    return retention["mode"], retention["days"], rule["expiration"]["days"]


def subscribed_standards(preview: Preview) -> list[str]:
    arns = [r.plain_inputs["standardsArn"] for r in preview.of_type(SUBSCRIPTION)]
    region = one(preview, "pulumi:providers:aws").inputs["region"]
    prefix = f"arn:aws:securityhub:{region}::standards/"
    assert all(arn.startswith(prefix) for arn in arns), arns
    return [arn.removeprefix(prefix) for arn in arns]


def trail_alarm_resources(preview: Preview) -> dict[str, int]:
    """How many of each part of the trail's CloudWatch alarms a preview has."""
    log_groups = [r for r in preview.of_type(LOG_GROUP) if r.name == "plinth-dev-trail-logs"]
    trail = one(preview, TRAIL).plain_inputs
    return {
        "logGroup": len(log_groups),
        "trailDelivers": int("cloudWatchLogsGroupArn" in trail),
        "filters": len(preview.of_type(METRIC_FILTER)),
        "alarms": len(preview.of_type(METRIC_ALARM)),
        "topics": len(preview.of_type(TOPIC)),
        "subscriptions": len(preview.of_type(TOPIC_SUBSCRIPTION)),
    }


def retention_rule_minimum(preview: Preview) -> int:
    rule = one(preview, CONFIG_RULE, "cw-loggroup-retention-period-check")
    return int(json.loads(rule.plain_inputs["inputParameters"])["MinRetentionTime"])


# ---- compliance profiles ----------------------------------------------------------------


@pytest.mark.parametrize("profile", list(PROFILE_EXPECTATIONS))
def test_each_profile_sets_the_guardrails_and_the_pack_asks_the_same(
    tmp_path: Path, profile: str
) -> None:
    mode, days, standards, log_days = PROFILE_EXPECTATIONS[profile]
    preview = profile_preview(tmp_path, profile)
    assert audit_bucket_settings(preview) == (mode, days, days)
    assert subscribed_standards(preview) == standards
    # AWS Config's rule accepts fewer retention values than CloudWatch: six years is checked
    # as five on the live account, exactly by the pack before deploy.
    assert retention_rule_minimum(preview) == rule_retention_days(log_days)
    # The trail's CloudWatch alarms exist exactly under the profiles that ask for them.
    alarms = TRAIL_ALARMS[profile]
    subscribers = len(dev_stack_document()["config"]["plinth:guardrails"]["subscribers"])
    assert trail_alarm_resources(preview) == {
        "logGroup": alarms,
        "trailDelivers": alarms,
        "filters": 15 * alarms,
        "alarms": 15 * alarms,
        "topics": alarms,
        "subscriptions": subscribers * alarms,
    }
    if alarms:
        trail_logs = named(preview, LOG_GROUP, "plinth-dev-trail-logs").plain_inputs
        assert trail_logs["retentionInDays"] == log_days
    config = pack_config([profile])
    assert config["storage-audit-log-object-lock"]["minRetentionDays"] == days
    assert config["storage-audit-log-object-lock"]["requireComplianceMode"] == (
        mode == "COMPLIANCE"
    )
    assert config["audit-log-retention"]["minRetentionDays"] == log_days
    assert config["guardrails-security-hub-standards"]["requiredStandards"] == standards
    assert config["guardrails-trail-cloudwatch-alarms"]["trailAlarms"] is alarms
    # What is provisioned passes the guardrail rules under that profile.
    report = audit_preview(preview, StackCompliance(profiles=[profile], waivers=[]))
    guardrail_rules = [r for r in report.rules if r.area == "guardrails"]
    guardrail_rules.append(RULES_BY_ID["storage-audit-log-object-lock"])
    statuses = {rule.id: report.status(rule) for rule in guardrail_rules}
    assert set(statuses.values()) <= {"pass", "advisory"}, statuses
    assert statuses["storage-audit-log-object-lock"] == "pass"


def test_several_profiles_take_the_strictest_of_each(tmp_path: Path) -> None:
    preview = profile_preview(tmp_path, "soc2", "pci")
    assert audit_bucket_settings(preview) == ("COMPLIANCE", 365, 365)
    assert subscribed_standards(preview) == [FOUNDATIONAL, CIS, PCI]
    assert retention_rule_minimum(preview) == 365


def test_rule_retention_takes_the_longest_value_the_config_rule_accepts() -> None:
    assert [rule_retention_days(d) for d in (90, 365, 1096, 2192, 3653)] == [
        90,
        365,
        731,
        1827,
        3653,
    ]


def test_gdpr_refuses_regions_outside_the_eu(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        preview_dev(
            tmp_path, {"plinth:compliance": {"profiles": ["gdpr"]}}, removals=("plinth:tenants",)
        )
    [problem] = caught.value.problems
    assert problem.path == "plinth:aws.region"
    assert problem.message == (
        "'us-east-1' is outside the regions the profiles (gdpr) allow: eu-central-1, "
        "eu-west-1, eu-west-3, eu-south-1, eu-south-2, eu-north-1"
    )


# ---- what the dev stack provisions ----------------------------------------------------------


def test_the_trail_records_everything_into_the_locked_audit_bucket(dev_preview: Preview) -> None:
    trail = one(dev_preview, TRAIL).plain_inputs
    assert trail["name"] == "plinth-dev-audit"
    assert (trail["isMultiRegionTrail"], trail["includeGlobalServiceEvents"]) == (True, True)
    assert trail["enableLogFileValidation"] is True
    audit_key = named(dev_preview, KMS_KEY, "plinth-dev-audit")
    assert trail["kmsKeyId"] == key_arn(audit_key)
    audit_bucket = named(dev_preview, BUCKET, "plinth-dev-audit-logs")
    assert trail["s3BucketName"] == audit_bucket.id
    management, data = trail["advancedEventSelectors"]
    assert management["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    # Object-level events on exactly the platform's data buckets (plinth:storage.buckets).
    data_buckets = dev_stack_document()["config"]["plinth:storage"]["buckets"]
    arns = {bucket_arn(named(dev_preview, BUCKET, f"plinth-dev-{key}")) for key in data_buckets}
    [by_arn] = [s for s in data["fieldSelectors"] if s["field"] == "resources.ARN"]
    assert set(by_arn["startsWiths"]) == {f"{arn}/" for arn in arns}
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/plinth-dev-audit"
    bucket_policy = document(
        one(dev_preview, "aws:s3/bucketPolicy:BucketPolicy", "audit-logs"), "policy"
    )
    write = statement(bucket_policy, "WritesFromCloudtrailForThisAccount")
    assert write["Resource"] == f"{bucket_arn(audit_bucket)}/cloudtrail/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["ArnLike"]["aws:SourceArn"] == trail_arn
    acl = statement(bucket_policy, "AclCheckByCloudtrailForThisAccount")
    assert (acl["Action"], acl["Resource"]) == ("s3:GetBucketAcl", bucket_arn(audit_bucket))
    key_policy = document(audit_key, "policy")
    encrypt = statement(key_policy, "CloudTrailEncryptsLogsOfThisAccountsTrails")
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == [trail_arn]
    # CloudTrail checks the bucket policy when the trail is created.
    bucket_policy_urn = one(dev_preview, "aws:s3/bucketPolicy:BucketPolicy", "audit-logs").urn
    assert bucket_policy_urn in one(dev_preview, TRAIL).depends_on


def test_the_trail_also_delivers_to_an_encrypted_log_group(dev_preview: Preview) -> None:
    trail = one(dev_preview, TRAIL)
    # CloudTrail requires the log-stream wildcard after the log group ARN.
    assert trail.plain_inputs["cloudWatchLogsGroupArn"] == f"{TRAIL_LOG_GROUP_ARN}:*"
    role = named(dev_preview, ROLE, "plinth-dev-trail-logs-delivery")
    assert trail.plain_inputs["cloudWatchLogsRoleArn"] == (f"arn:aws:iam::{ACCOUNT}:role/{role.id}")
    delivery = named(dev_preview, ROLE_POLICY, "plinth-dev-trail-logs-delivery")
    # CloudTrail checks the role when the trail is saved.
    assert delivery.urn in trail.depends_on
    log_group = named(dev_preview, LOG_GROUP, "plinth-dev-trail-logs")
    assert log_group.plain_inputs["name"] == TRAIL_LOG_GROUP
    assert log_group.plain_inputs["retentionInDays"] == 365  # soc2
    audit_key = named(dev_preview, KMS_KEY, "plinth-dev-audit")
    assert log_group.plain_inputs["kmsKeyId"] == key_arn(audit_key)
    # The documented trust (CloudTrail User Guide, "Sending events to CloudWatch Logs"), with
    # no aws:SourceArn/SourceAccount, which the role policy page says it does not support.
    assert document(role, "assumeRolePolicy")["Statement"] == [
        {
            "Sid": "AssumedByCloudTrail",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    # The documented permissions, on this trail's streams of this log group only.
    [write] = document(delivery, "policy")["Statement"]
    assert sorted(write["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"] == (
        f"{TRAIL_LOG_GROUP_ARN}:log-stream:{ACCOUNT}_CloudTrail_us-east-1*"
    )
    assert iam_findings(delivery.plain_inputs["policy"]) == []
    assert iam_findings(trust_policy_with_resource(role)) == []
    # CloudWatch Logs may use the audit key for this log group only.
    logs = statement(document(audit_key, "policy"), "CloudWatchLogsForTheNamedLogGroupsOnly")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [TRAIL_LOG_GROUP_ARN]}
    }
    assert "kms:Decrypt" in logs["Action"]
    assert "kms:GenerateDataKey" in logs["Action"]
    # Retained on delete like the trail, which keeps delivering as its role.
    assert all(r.retain_on_delete for r in (log_group, role, delivery))


def test_cis_alarms_notify_the_subscribers_through_an_encrypted_topic(
    dev_preview: Preview,
) -> None:
    topic = one(dev_preview, TOPIC)
    topic_key = named(dev_preview, KMS_KEY, "plinth-dev-security-alarms-key")
    assert topic.plain_inputs["kmsMasterKeyId"] == key_arn(topic_key)
    assert topic_key.plain_inputs["enableKeyRotation"] is True
    assert topic_key.retain_on_delete
    # The AWS managed alias/aws/sns key cannot let CloudWatch publish; this key does.
    publish = statement(
        document(topic_key, "policy"), "CloudWatchAlarmsPublishToTopicsEncryptedWithIt"
    )
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(publish["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # Only this account's alarms publish (CloudWatch User Guide, confused deputy prevention).
    allowed = statement(document(topic, "policy"), "PublishedByThisAccountsAlarms")
    assert allowed["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allowed["Action"] == "sns:Publish"
    assert allowed["Resource"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:plinth-dev-security-alarms"
    assert allowed["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    subscribers = dev_stack_document()["config"]["plinth:guardrails"]["subscribers"]
    subscriptions = dev_preview.of_type(TOPIC_SUBSCRIPTION)
    assert sorted(s.plain_inputs["endpoint"] for s in subscriptions) == sorted(subscribers)
    assert {s.plain_inputs["protocol"] for s in subscriptions} == {"email"}
    assert {s.property_dependencies["topic"] for s in subscriptions} == {(topic.urn,)}
    alarms = dev_preview.of_type(METRIC_ALARM)
    assert {a.property_dependencies["alarmActions"] for a in alarms} == {(topic.urn,)}


def test_each_cis_recommendation_has_its_documented_filter_and_alarm(
    dev_preview: Preview,
) -> None:
    filters = {r.plain_inputs["name"]: r.plain_inputs for r in dev_preview.of_type(METRIC_FILTER)}
    alarms = {r.plain_inputs["name"]: r.plain_inputs for r in dev_preview.of_type(METRIC_ALARM)}
    assert len(filters) == len(alarms) == len(DOCUMENTED_FILTERS)
    [topic_arn] = {s.plain_inputs["topic"] for s in dev_preview.of_type(TOPIC_SUBSCRIPTION)}
    for name, metric_filter in filters.items():
        cis = name.removeprefix("plinth-dev-cis-").split("-", 1)[0]
        control, pattern = DOCUMENTED_FILTERS[cis]
        assert metric_filter["pattern"] == pattern, cis
        assert metric_filter["logGroupName"] == TRAIL_LOG_GROUP
        # Filter and metric names refuse ':' and '*' (PutMetricFilter), metric names '$'.
        assert not set(name) & set(":*$")
        assert metric_filter["metricTransformation"] == {
            "name": name,
            "namespace": "CISBenchmark",
            "value": "1",
        }
        # CIS's alarm: the sum over five minutes reaches 1, notifying the subscribed topic.
        alarm = alarms[name]
        assert (alarm["namespace"], alarm["metricName"]) == ("CISBenchmark", name)
        assert (alarm["statistic"], alarm["period"], alarm["evaluationPeriods"]) == (
            "Sum",
            300,
            1,
        )
        assert alarm["threshold"] == 1
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm.get("actionsEnabled", True) is True
        assert alarm["alarmActions"] == [topic_arn]
        assert len(name) <= 255
        if control:
            assert f"Security Hub {control}:" in alarm["alarmDescription"]
    assert {name.removeprefix("plinth-dev-cis-").split("-", 1)[0] for name in filters} == set(
        DOCUMENTED_FILTERS
    )


def test_config_records_everything_through_its_own_role(dev_preview: Preview) -> None:
    recorder = one(dev_preview, RECORDER).plain_inputs
    assert recorder["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}
    channel = one(dev_preview, CHANNEL)
    audit_bucket = named(dev_preview, BUCKET, "plinth-dev-audit-logs")
    audit_key = named(dev_preview, KMS_KEY, "plinth-dev-audit")
    assert channel.plain_inputs["s3BucketName"] == audit_bucket.id
    assert channel.plain_inputs["s3KmsKeyArn"] == key_arn(audit_key)
    status = one(dev_preview, RECORDER_STATUS)
    assert status.plain_inputs["isEnabled"] is True
    assert channel.urn in status.depends_on
    role = one(dev_preview, ROLE, "plinth-dev-config")
    trust = document(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "config.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    delivery = one(dev_preview, ROLE_POLICY, "plinth-dev-config")
    assert iam_findings(delivery.plain_inputs["policy"]) == []
    writes = statement(document(delivery, "policy"), "DeliverUnderConfigPrefix")
    assert writes["Resource"] == f"{bucket_arn(audit_bucket)}/config/AWSLogs/{ACCOUNT}/*"
    rules = {r.plain_inputs["source"]["sourceIdentifier"] for r in dev_preview.of_type(CONFIG_RULE)}
    assert rules == {rule.identifier for rule in MANAGED_RULES}
    # Every managed rule names a rule of the pack it re-checks on the live account.
    assert {rule.mirrors for rule in MANAGED_RULES} <= set(RULES_BY_ID)


def test_guardduty_security_hub_and_account_defaults(dev_preview: Preview) -> None:
    assert one(dev_preview, DETECTOR).plain_inputs["findingPublishingFrequency"] == (
        "FIFTEEN_MINUTES"
    )
    features = {r.plain_inputs["name"]: r.plain_inputs for r in dev_preview.of_type(FEATURE)}
    assert set(features) == {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RUNTIME_MONITORING"}
    assert features["RUNTIME_MONITORING"]["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
    ]
    assert all(f["status"] == "ENABLED" for f in features.values())
    hub = one(dev_preview, HUB).plain_inputs
    assert hub["enableDefaultStandards"] is False
    assert hub["controlFindingGenerator"] == "SECURITY_CONTROL"
    block = one(dev_preview, ACCOUNT_BLOCK).plain_inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy"))
    assert all(block[k] is True for k in ("ignorePublicAcls", "restrictPublicBuckets"))
    assert one(dev_preview, EBS_DEFAULT).plain_inputs["enabled"] is True
    assert one(dev_preview, ANALYZER).plain_inputs["type"] == "ACCOUNT"


def test_spend_alerts_follow_the_spec(dev_preview: Preview) -> None:
    guardrails = dev_stack_document()["config"]["plinth:guardrails"]
    budget = named(dev_preview, BUDGET, "plinth-dev-spend-budget").plain_inputs
    assert budget["limitAmount"] == str(guardrails["budget"]["monthlyUsd"])
    assert "costFilters" not in budget
    thresholds = [n["threshold"] for n in budget["notifications"]]
    assert thresholds == [*map(float, guardrails["budget"]["alertThresholds"]), 100.0]
    assert all(
        n["subscriberEmailAddresses"] == guardrails["subscribers"] for n in budget["notifications"]
    )
    monitor = one(dev_preview, MONITOR).plain_inputs
    assert (monitor["monitorType"], monitor["monitorDimension"]) == ("DIMENSIONAL", "SERVICE")
    alerts = one(dev_preview, ANOMALY_ALERTS).plain_inputs
    assert alerts["frequency"] == "DAILY"  # email subscribers take DAILY or WEEKLY only
    assert [s["address"] for s in alerts["subscribers"]] == guardrails["subscribers"]
    assert alerts["thresholdExpression"]["dimension"]["values"] == [
        str(guardrails["anomalyThresholdUsd"])
    ]


def test_guardrails_outlive_pulumi_destroy(dev_preview: Preview) -> None:
    kept = [
        r
        for r in dev_preview.resources
        if r.type in SINGLETON_TYPES and r.type not in (CONFIG_RULE, MONITOR)
    ]
    assert {r.type for r in kept} == set(SINGLETON_TYPES) - {CONFIG_RULE, MONITOR}
    # The recorder keeps running as its role; the trail keeps writing to the audit bucket,
    # whose new objects must stay locked and expire.
    config = [r for r in dev_preview.resources if r.name.startswith("plinth-dev-config-")]
    kept += [r for r in config if r.type.startswith("aws:iam/")]
    audit_bucket = [r for r in dev_preview.resources if r.name.startswith("plinth-dev-audit-logs")]
    kept += [r for r in audit_bucket if r.custom]
    assert len([r for r in kept if r.type.startswith("aws:iam/")]) == 3
    assert {LOCK, LIFECYCLE, BUCKET} <= {r.type for r in kept}
    assert [r.name for r in kept if not r.retain_on_delete] == [
        "plinth-dev-audit-logs-logging"  # access logging stops with the stack, by design
    ]
    assert named(dev_preview, KMS_KEY, "plinth-dev-audit").retain_on_delete


# ---- external guardrails, and the pack on every example stack -------------------------------


def test_an_external_trail_gets_no_alarms_here(tmp_path: Path) -> None:
    """The soc2 dev stack with an organization trail: its delivery and alarms are the trail
    owner's, and the pack accepts that."""
    preview = preview_dev(
        tmp_path,
        {"plinth:guardrails": {"external": ["cloudTrail"]}},
        removals=("plinth:tenants", "plinth:observability"),
    )
    assert preview.of_type(TRAIL) == []
    for kind in (METRIC_FILTER, METRIC_ALARM, TOPIC, TOPIC_SUBSCRIPTION):
        assert preview.of_type(kind) == [], kind
    assert not [r for r in preview.of_type(LOG_GROUP) if r.name == "plinth-dev-trail-logs"]
    audit_key = document(named(preview, KMS_KEY, "plinth-dev-audit"), "policy")
    assert not [s for s in audit_key["Statement"] if "Logs" in s.get("Sid", "")]
    compliance = StackCompliance(
        profiles=["baseline", "soc2"], waivers=[], external_guardrails=("cloudTrail",)
    )
    report = audit_preview(preview, compliance)
    assert report.status(RULES_BY_ID["guardrails-trail-cloudwatch-alarms"]) == "pass"


def test_external_guardrails_are_not_created(tmp_path: Path) -> None:
    coreweave = preview_stack(ROOT, "coreweave")
    assert [r.type for r in coreweave.resources if r.type in SINGLETON_TYPES] == []
    assert not [r for r in coreweave.of_type(BUCKET) if "audit" in r.name]
    external = ["invocationLogging", "guardDuty"]
    guardrails = {"external": external, "subscribers": ["platform@example.com"]}
    dev = preview_dev(tmp_path, {"plinth:guardrails": guardrails})
    assert dev.of_type(INVOCATION_LOGGING) == []
    assert dev.of_type(DETECTOR) == []
    assert len(dev.of_type(TRAIL)) == len(dev.of_type(HUB)) == 1


def example_stack_reports(dev_preview: Preview, tmp_path: Path) -> dict[str, Any]:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(dev_preview.as_stack_outputs()))
    previews = {
        "dev": dev_preview,
        "coreweave": preview_stack(ROOT, "coreweave"),
        "dev-vision": preview_stack(ROOT, "dev-vision", stack_outputs_file=outputs),
    }
    return {
        stack: audit_preview(preview, stack_compliance(ROOT, stack))
        for stack, preview in previews.items()
    }


def test_the_pack_passes_every_example_stack_under_its_profiles(
    dev_preview: Preview, tmp_path: Path
) -> None:
    reports = example_stack_reports(dev_preview, tmp_path)
    assert {stack: report.passed for stack, report in reports.items()} == {
        "dev": True,
        "coreweave": True,
        "dev-vision": True,
    }
    assert reports["dev"].profiles == ["baseline", "soc2"]
    # A tenant stack's account guardrails are its platform stack's.
    tenant_evidence = evidence(reports["dev-vision"], "soc2")["guardrails"]
    assert {g["providedBy"] for g in tenant_evidence} == {"platform stack"}
    assert reports["coreweave"].external_guardrails == (
        "cloudTrail",
        "awsConfig",
        "guardDuty",
        "securityHub",
        "accessAnalyzer",
        "s3PublicAccessBlock",
        "ebsEncryption",
        "costAnomalyMonitor",
        "accountBudget",
    )


@pytest.mark.parametrize(
    ("dropped", "rule"),
    [
        (TRAIL, "guardrails-audit-trail"),  # and its alarms: see below
        (RECORDER, "guardrails-config-recorder"),
        (CONFIG_RULE, "guardrails-config-rules"),
        (DETECTOR, "guardrails-threat-detection"),
        (FEATURE, "guardrails-threat-detection"),
        (HUB, "guardrails-security-hub-standards"),
        (SUBSCRIPTION, "guardrails-security-hub-standards"),
        (ANALYZER, "guardrails-access-analyzer"),
        (ACCOUNT_BLOCK, "guardrails-account-public-access-block"),
        (EBS_DEFAULT, "guardrails-ebs-default-encryption"),
        (BUDGET, "guardrails-spend-alerts"),
        (ANOMALY_ALERTS, "guardrails-spend-alerts"),
        (INVOCATION_LOGGING, "bedrock-invocation-logging"),
        (METRIC_FILTER, "guardrails-trail-cloudwatch-alarms"),
        (METRIC_ALARM, "guardrails-trail-cloudwatch-alarms"),
        (TOPIC_SUBSCRIPTION, "guardrails-trail-cloudwatch-alarms"),
    ],
)
def test_a_stack_that_drops_a_guardrail_fails(
    dev_preview: Preview, dropped: str, rule: str
) -> None:
    # The dev stack itself passes (test_the_pack_passes_every_example_stack_under_its_profiles).
    compliance = stack_compliance(ROOT, "dev")
    without = dataclasses.replace(
        dev_preview, resources=[r for r in dev_preview.resources if r.type != dropped]
    )
    report = audit_preview(without, compliance)
    assert not report.passed
    blocking = {f.policy for f in report.blocking}
    if dropped == TRAIL:  # a soc2 stack without a trail has no trail alarms either
        blocking.discard("guardrails-trail-cloudwatch-alarms")
    if dropped == BUDGET:  # the tenants' budgets go too, which the gateway teams' rule sees
        blocking.discard("gateway-budget-within-tenant-budget")
    assert blocking == {rule}


@pytest.mark.parametrize(
    ("dropped", "expect"),
    [
        ("plinth-dev-trail-logs", "delivers to no CloudWatch Logs log group"),
        ("plinth-dev-cis-4.3-root-account-usage", '4.3 (Usage of the "root" user)'),
        ("plinth-dev-security-alarms", "notify no SNS topic of the stack"),
    ],
)
def test_a_soc2_stack_that_drops_part_of_the_trail_alarms_fails(
    dev_preview: Preview, dropped: str, expect: str
) -> None:
    """The log group, one CIS alarm (its filter stays), or the topic."""
    without = dataclasses.replace(
        dev_preview,
        resources=[
            r
            for r in dev_preview.resources
            if not (r.name == dropped and r.type in (LOG_GROUP, METRIC_ALARM, TOPIC))
        ],
    )
    report = audit_preview(without, stack_compliance(ROOT, "dev"))
    assert not report.passed
    assert {f.policy for f in report.blocking} == {"guardrails-trail-cloudwatch-alarms"}
    assert any(expect in f.message for f in report.blocking), report.blocking


def test_declaring_a_guardrail_external_satisfies_the_pack(dev_preview: Preview) -> None:
    without = dataclasses.replace(
        dev_preview, resources=[r for r in dev_preview.resources if r.type != DETECTOR]
    )
    compliance = dataclasses.replace(
        stack_compliance(ROOT, "dev"), external_guardrails=("guardDuty",)
    )
    assert audit_preview(without, compliance).passed


# ---- evidence, policy config and spec errors --------------------------------------------------


runner = CliRunner()


EVIDENCE = {
    "hipaa": {"cloudTrail", "awsConfig", "guardDuty", "securityHub", "accessAnalyzer",
              "s3PublicAccessBlock", "ebsEncryption", "invocationLogging"},
    "gdpr": {"cloudTrail", "guardDuty", "s3PublicAccessBlock", "ebsEncryption",
             "invocationLogging"},
    "soc2": {"cloudTrail", "awsConfig", "guardDuty", "securityHub", "accessAnalyzer",
             "s3PublicAccessBlock", "ebsEncryption", "costAnomalyMonitor", "accountBudget",
             "invocationLogging"},
    "pci": {"cloudTrail", "awsConfig", "guardDuty", "securityHub", "accessAnalyzer",
            "s3PublicAccessBlock", "ebsEncryption"},
    "nist-800-53": {"cloudTrail", "awsConfig", "guardDuty", "securityHub", "accessAnalyzer",
                    "s3PublicAccessBlock", "ebsEncryption", "costAnomalyMonitor",
                    "accountBudget", "invocationLogging"},
    "nist-ai-rmf": {"cloudTrail", "invocationLogging"},
}  # fmt: skip
"""The guardrails whose checks support a control of each framework (catalog mapping)."""


@pytest.fixture(scope="module")
def dev_report(dev_preview: Preview) -> AuditReport:
    return audit_preview(dev_preview, stack_compliance(ROOT, "dev"))


def test_plinth_audit_framework_prints_the_guardrail_evidence() -> None:
    result = runner.invoke(app, ["audit", "--framework", "hipaa", "--format", "json"])
    assert result.exit_code == 0, result.output
    guardrails = {g["guardrail"]: g for g in json.loads(result.stdout)["guardrails"]}
    assert set(guardrails) == EVIDENCE["hipaa"]
    assert guardrails["guardDuty"] == {
        "guardrail": "guardDuty",
        "providedBy": "this stack",
        "resources": {DETECTOR: 1, FEATURE: 3},
        "controls": ["164.308(a)(1)(ii)(D)"],
        "status": "pass",
    }


@pytest.mark.parametrize("framework", list(EVIDENCE))
def test_framework_evidence_lists_the_guardrails(dev_report: AuditReport, framework: str) -> None:
    guardrails = {g["guardrail"]: g for g in evidence(dev_report, framework)["guardrails"]}
    assert set(guardrails) == EVIDENCE[framework]
    assert {g["providedBy"] for g in guardrails.values()} == {"this stack"}
    assert {g["status"] for g in guardrails.values()} <= {"pass", "advisory"}
    assert guardrails["cloudTrail"]["resources"] == {TRAIL: 1}
    assert guardrails["cloudTrail"]["controls"]


def test_coreweave_evidence_shows_guardrails_provided_outside() -> None:
    result = runner.invoke(
        app, ["audit", "--stack", "coreweave", "--framework", "soc2", "--format", "markdown"]
    )
    assert result.exit_code == 0, result.output
    assert "| guardDuty | outside this stack | none | CC7.2 | pass |" in result.stdout
    assert "| invocationLogging | not needed |" in result.stdout


def test_policy_config_carries_the_external_guardrails() -> None:
    result = runner.invoke(app, ["policy-config", "--stack", "coreweave"])
    assert result.exit_code == 0, result.output
    config = json.loads(result.stdout)
    stack = yaml.safe_load((ROOT / "Pulumi.coreweave.yaml").read_text())
    declared = stack["config"]["plinth:guardrails"]["external"]
    assert config["guardrails-threat-detection"]["externalGuardrails"] == declared
    assert config["bedrock-invocation-logging"]["externalGuardrails"] == declared
    assert "externalGuardrails" not in config["kms-key-rotation"]


def test_guardrail_spec_errors_are_reported_together(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        preview_dev(
            tmp_path,
            {
                "plinth:guardrails": {
                    "budget": {"monthlyUsd": 100},
                    "external": ["guardDuty", "firewall"],
                    "subscribers": [],
                }
            },
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == ["plinth:guardrails.external[1]"]
    with pytest.raises(SpecError) as caught:
        preview_dev(
            tmp_path,
            {"plinth:guardrails": {"budget": {"monthlyUsd": 100}, "external": ["accountBudget"]}},
        )
    assert {p.path for p in caught.value.problems} == {
        "plinth:guardrails.subscribers",
        "plinth:guardrails.budget",
    }


def test_trail_alarms_need_someone_to_alert(tmp_path: Path) -> None:
    # dev claims soc2: its trail alarms must email someone, unless the trail is external.
    with pytest.raises(SpecError) as caught:
        preview_dev(tmp_path, {"plinth:guardrails": {"subscribers": []}})
    (problem,) = caught.value.problems
    assert problem.path == "plinth:guardrails.subscribers"
    assert "alarm on the audit trail's security events" in problem.message
    external = preview_dev(
        tmp_path, {"plinth:guardrails": {"subscribers": [], "external": ["cloudTrail"]}}
    )
    assert external.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") == []
