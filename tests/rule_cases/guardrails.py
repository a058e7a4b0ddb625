"""Fixtures for policies/rules/guardrails.py."""

from __future__ import annotations

from components.guardrails.alarms import CIS_ALARMS, CisAlarm
from components.guardrails.config import MANAGED_RULES
from plinth.audit.analyzer import AuditResource
from rule_cases import complies, res, violates

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
CONFIG_RULE = "aws:cfg/rule:Rule"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
BUDGET = "aws:budgets/budget:Budget"
MONITOR = "aws:costexplorer/anomalyMonitor:AnomalyMonitor"
ANOMALY_ALERTS = "aws:costexplorer/anomalySubscription:AnomalySubscription"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"

tenant_stack = res(STACK_REFERENCE, "platform", {"name": "acme/plinth/prod"})


def external(*guardrails: str) -> dict[str, list[str]]:
    return {"externalGuardrails": list(guardrails)}


detector = res(DETECTOR, "detector", {"enable": True})


def feature(name: str, status: str = "ENABLED"):  # type: ignore[no-untyped-def]
    return res(
        FEATURE,
        f"feature-{name}",
        {"detectorId": "d-1", "name": name, "status": status},
        deps={"detectorId": [detector]},
    )


ALL_FEATURES = [
    feature(name) for name in ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RUNTIME_MONITORING")
]


def standard(path: str):  # type: ignore[no-untyped-def]
    return res(
        SUBSCRIPTION,
        path.split("/", maxsplit=1)[0],
        {"standardsArn": f"arn:aws:securityhub:us-east-1::standards/{path}"},
    )


FOUNDATIONAL = "aws-foundational-security-best-practices/v/1.0.0"
PCI = "pci-dss/v/4.0.1"


def config_rule(identifier: str):  # type: ignore[no-untyped-def]
    return res(
        CONFIG_RULE,
        identifier.lower(),
        {"source": {"owner": "AWS", "sourceIdentifier": identifier}},
    )


ALL_CONFIG_RULES = [config_rule(rule.identifier) for rule in MANAGED_RULES]

NOTIFY = [{"notificationType": "ACTUAL", "subscriberEmailAddresses": ["finops@example.com"]}]
account_budget = res(BUDGET, "platform", {"budgetType": "COST", "notifications": NOTIFY})
tenant_budget = res(
    BUDGET,
    "tenant",
    {
        "notifications": NOTIFY,
        "costFilters": [{"name": "TagKeyValue", "values": ["user:project$search"]}],
    },
)
monitor = res(MONITOR, "services", {"monitorType": "DIMENSIONAL", "monitorDimension": "SERVICE"})
alerts = res(ANOMALY_ALERTS, "alerts", {"frequency": "DAILY"}, deps={"monitorArnLists": [monitor]})
other_monitor = res(MONITOR, "other", {"monitorType": "CUSTOM"})
alerts_elsewhere = res(
    ANOMALY_ALERTS, "alerts", {"frequency": "DAILY"}, deps={"monitorArnLists": [other_monitor]}
)

# The trail's CloudWatch Logs delivery and its CIS alarms.
trail_logs = res(LOG_GROUP, "trail-logs", {"name": "/plinth-test/cloudtrail"})
other_logs = res(LOG_GROUP, "app-logs", {"name": "/app"})
trail_role = res(ROLE, "trail-delivery")
alarm_key = res(KMS_KEY, "alarms-key", {"enableKeyRotation": True})


def delivering_trail(
    group: AuditResource | None = trail_logs, role: AuditResource | None = trail_role
) -> AuditResource:
    deps = {}
    if group:
        deps["cloudWatchLogsGroupArn"] = [group]
    if role:
        deps["cloudWatchLogsRoleArn"] = [role]
    return res(TRAIL, "trail", {"isMultiRegionTrail": True}, deps=deps)


def alarm_topic(key: AuditResource | None = alarm_key, key_id: str = "") -> AuditResource:
    props = {"name": "security-alarms", **({"kmsMasterKeyId": key_id} if key_id else {})}
    return res(TOPIC, "security-alarms", props, deps={"kmsMasterKeyId": [key]} if key else {})


def emailed(topic: AuditResource) -> AuditResource:
    return res(
        TOPIC_SUBSCRIPTION,
        "security-alarms-email",
        {"protocol": "email", "endpoint": "secops@example.com"},
        deps={"topic": [topic]},
    )


def cis_filter(
    alarm: CisAlarm, group: AuditResource = trail_logs, pattern: str = ""
) -> AuditResource:
    return res(
        METRIC_FILTER,
        f"cis-{alarm.cis}",
        {
            "pattern": pattern or alarm.pattern,
            "metricTransformation": {
                "name": f"cis-{alarm.cis}",
                "namespace": "CISBenchmark",
                "value": "1",
            },
        },
        deps={"logGroupName": [group]},
    )


def cis_alarm(alarm: CisAlarm, topic: AuditResource | None) -> AuditResource:
    return res(
        METRIC_ALARM,
        f"cis-{alarm.cis}",
        {
            "namespace": "CISBenchmark",
            "metricName": f"cis-{alarm.cis}",
            "statistic": "Sum",
            "period": 300,
            "threshold": 1,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "evaluationPeriods": 1,
        },
        deps={"alarmActions": [topic]} if topic else {},
    )


def watched(
    topic: AuditResource,
    *,
    skip: str = "",
    silent: str = "",
    filters_on: AuditResource = trail_logs,
) -> list[AuditResource]:
    """A filter and an alarm per CIS recommendation (but `skip`), each alarm notifying
    `topic` (but `silent`'s)."""
    return [
        resource
        for alarm in CIS_ALARMS
        if alarm.cis != skip
        for resource in (
            cis_filter(alarm, filters_on),
            cis_alarm(alarm, None if alarm.cis == silent else topic),
        )
    ]


topic = alarm_topic()
DELIVERY = [delivering_trail(), trail_logs, trail_role, alarm_key]
ALARMED = [*DELIVERY, topic, emailed(topic)]
unencrypted_topic = alarm_topic(key=None)
ROOT_USE = next(alarm for alarm in CIS_ALARMS if alarm.cis == "4.3")
# CIS's spaced form of 4.5: the same events, not the exact string Security Hub looks for.
CIS_SPACED_TRAIL_CHANGES = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
    "($.eventName = StopLogging) }"
)

CASES = [
    # audit trail
    violates("guardrails-audit-trail", "no trail", expect="no logging multi-region"),
    violates(
        "guardrails-audit-trail",
        "a single-region trail does not count",
        res(TRAIL, "trail", {"isMultiRegionTrail": False}),
    ),
    violates(
        "guardrails-audit-trail",
        "a stopped trail does not count",
        res(TRAIL, "trail", {"isMultiRegionTrail": True, "enableLogging": False}),
    ),
    complies(
        "guardrails-audit-trail",
        "a multi-region trail",
        res(TRAIL, "trail", {"isMultiRegionTrail": True}),
    ),
    complies("guardrails-audit-trail", "an organization trail", config=external("cloudTrail")),
    complies("guardrails-audit-trail", "a tenant stack: its platform's trail", tenant_stack),
    # the trail's CloudWatch alarms
    complies(
        "guardrails-trail-cloudwatch-alarms",
        "every CIS alarm notifies an encrypted, subscribed topic",
        *ALARMED,
        *watched(topic),
        profiles=("soc2",),
    ),
    complies(
        "guardrails-trail-cloudwatch-alarms",
        "a topic on a customer-managed key named by its ARN",
        *DELIVERY,
        alarm_topic(key=None, key_id="arn:aws:kms:us-east-1:123456789012:key/1234abcd"),
        emailed(unencrypted_topic),
        *watched(unencrypted_topic),
        profiles=("soc2",),
    ),
    complies(
        "guardrails-trail-cloudwatch-alarms",
        "baseline does not ask for them",
        res(TRAIL, "trail", {"isMultiRegionTrail": True}),
    ),
    complies(
        "guardrails-trail-cloudwatch-alarms",
        "an organization trail is someone else's, with its alarms",
        profiles=("pci",),
        config=external("cloudTrail"),
    ),
    complies(
        "guardrails-trail-cloudwatch-alarms",
        "a tenant stack: its platform's trail",
        tenant_stack,
        profiles=("hipaa",),
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "the trail has no log group",
        res(TRAIL, "trail", {"isMultiRegionTrail": True}),
        profiles=("soc2",),
        expect="delivers to no CloudWatch Logs log group",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "a log group but no role to deliver as",
        delivering_trail(role=None),
        trail_logs,
        *watched(topic),
        topic,
        emailed(topic),
        profiles=("hipaa",),
        expect="delivers to no CloudWatch Logs log group",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "the root-use filter is missing",
        *ALARMED,
        *watched(topic, skip="4.3"),
        profiles=("pci",),
        expect=f"4.3 ({ROOT_USE.title})",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "a pattern that is not the exact one",
        *ALARMED,
        *watched(topic, skip="4.5"),
        cis_filter(CIS_ALARMS[4], pattern=CIS_SPACED_TRAIL_CHANGES),
        cis_alarm(CIS_ALARMS[4], topic),
        profiles=("soc2",),
        expect="no metric filter with the exact CIS pattern on the trail's log group for: 4.5",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "the filters watch another log group",
        *ALARMED,
        other_logs,
        *watched(topic, filters_on=other_logs),
        profiles=("soc2",),
        expect="no metric filter",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "an alarm without an action",
        *ALARMED,
        *watched(topic, silent="4.7"),
        profiles=("soc2",),
        expect="notify no SNS topic of the stack (alarm_actions) for: 4.7",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "a filter without an alarm",
        *ALARMED,
        *[r for r in watched(topic) if r.name != "cis-4.1" or r.type != METRIC_ALARM],
        profiles=("soc2",),
        expect="no enabled alarm on the CIS metric for: 4.1",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "an unencrypted topic",
        *DELIVERY,
        unencrypted_topic,
        emailed(unencrypted_topic),
        *watched(unencrypted_topic),
        profiles=("soc2",),
        expect="not encrypted with a customer-managed KMS key",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "a topic on the AWS managed SNS key, which CloudWatch cannot use",
        *DELIVERY,
        alarm_topic(key=None, key_id="alias/aws/sns"),
        emailed(unencrypted_topic),
        *watched(unencrypted_topic),
        profiles=("soc2",),
        expect="not encrypted with a customer-managed KMS key",
    ),
    violates(
        "guardrails-trail-cloudwatch-alarms",
        "a topic no one subscribes to",
        *DELIVERY,
        topic,
        *watched(topic),
        profiles=("soc2",),
        expect="no subscription",
    ),
    # config recorder
    violates("guardrails-config-recorder", "no recorder", expect="no AWS Config"),
    complies("guardrails-config-recorder", "a recorder", res(RECORDER, "recorder", {"name": "r"})),
    complies("guardrails-config-recorder", "recorded elsewhere", config=external("awsConfig")),
    # config rules
    violates(
        "guardrails-config-rules",
        "one managed rule missing",
        *ALL_CONFIG_RULES[1:],
        expect=MANAGED_RULES[0].identifier,
    ),
    violates(
        "guardrails-config-rules",
        "a custom rule with the same name is not the managed rule",
        *ALL_CONFIG_RULES[1:],
        res(
            CONFIG_RULE,
            "lookalike",
            {"source": {"owner": "CUSTOM_LAMBDA", "sourceIdentifier": MANAGED_RULES[0].identifier}},
        ),
        expect=MANAGED_RULES[0].identifier,
    ),
    complies("guardrails-config-rules", "every managed rule", *ALL_CONFIG_RULES),
    complies(
        "guardrails-config-rules",
        "the organization runs Config and its rules",
        config=external("awsConfig"),
    ),
    # threat detection
    violates("guardrails-threat-detection", "no detector", expect="no enabled GuardDuty"),
    violates(
        "guardrails-threat-detection",
        "a suspended detector",
        res(DETECTOR, "detector", {"enable": False}),
        expect="no enabled GuardDuty",
    ),
    violates(
        "guardrails-threat-detection",
        "runtime monitoring off",
        detector,
        feature("S3_DATA_EVENTS"),
        feature("EKS_AUDIT_LOGS"),
        feature("RUNTIME_MONITORING", "DISABLED"),
        expect="RUNTIME_MONITORING",
    ),
    complies("guardrails-threat-detection", "all protections on", detector, *ALL_FEATURES),
    complies(
        "guardrails-threat-detection", "a delegated administrator", config=external("guardDuty")
    ),
    # security hub
    violates("guardrails-security-hub-standards", "no hub", expect="not enabled"),
    violates(
        "guardrails-security-hub-standards",
        "PCI profile without the PCI DSS standard",
        res(HUB, "hub"),
        standard(FOUNDATIONAL),
        profiles=("pci",),
        expect=PCI,
    ),
    complies(
        "guardrails-security-hub-standards",
        "PCI profile with foundational and PCI DSS",
        res(HUB, "hub"),
        standard(FOUNDATIONAL),
        standard(PCI),
        profiles=("pci",),
    ),
    complies(
        "guardrails-security-hub-standards",
        "baseline needs the foundational standard only",
        res(HUB, "hub"),
        standard(FOUNDATIONAL),
    ),
    # access analyzer
    violates("guardrails-access-analyzer", "no analyzer", expect="no IAM Access Analyzer"),
    violates(
        "guardrails-access-analyzer",
        "an unused-access analyzer does not report external access",
        res(ANALYZER, "unused", {"type": "ACCOUNT_UNUSED_ACCESS"}),
    ),
    complies(
        "guardrails-access-analyzer", "an account analyzer", res(ANALYZER, "a", {"type": "ACCOUNT"})
    ),
    # account public access block
    violates(
        "guardrails-account-public-access-block",
        "no account block",
        expect="no account-level",
    ),
    violates(
        "guardrails-account-public-access-block",
        "policies may still be public",
        res(
            ACCOUNT_BLOCK,
            "block",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": False,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        expect="blockPublicPolicy",
    ),
    complies(
        "guardrails-account-public-access-block",
        "all four on",
        res(
            ACCOUNT_BLOCK,
            "block",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
    ),
    # EBS encryption by default
    violates(
        "guardrails-ebs-default-encryption",
        "turned off",
        res(EBS_DEFAULT, "ebs", {"enabled": False}),
        expect="not enabled",
    ),
    complies(
        "guardrails-ebs-default-encryption", "turned on", res(EBS_DEFAULT, "ebs", {"enabled": True})
    ),
    complies(
        "guardrails-ebs-default-encryption",
        "another stack owns it",
        config=external("ebsEncryption"),
    ),
    # spend alerts
    violates(
        "guardrails-spend-alerts",
        "a tenant's budget is not the account's",
        tenant_budget,
        monitor,
        alerts,
        expect="no account-wide budget",
    ),
    violates(
        "guardrails-spend-alerts",
        "anomalies alert no one",
        account_budget,
        monitor,
        expect="alert no one",
    ),
    complies(
        "guardrails-spend-alerts", "budget, monitor and alerts", account_budget, monitor, alerts
    ),
    violates(
        "guardrails-spend-alerts",
        "the only subscription watches another monitor",
        account_budget,
        monitor,
        other_monitor,
        alerts_elsewhere,
        expect="no subscription to this monitor",
    ),
    complies(
        "guardrails-spend-alerts",
        "the account's budget is someone else's (FinOps)",
        monitor,
        alerts,
        config=external("accountBudget"),
    ),
    complies(
        "guardrails-spend-alerts",
        "the account's services monitor is someone else's",
        account_budget,
        config=external("costAnomalyMonitor"),
    ),
]
