"""Fixtures for policies/rules/guardrails.py."""

from __future__ import annotations

from components.guardrails.config import MANAGED_RULES
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
