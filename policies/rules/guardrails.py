"""Account guardrails: the account baseline exists, not only its parts are well configured.

The audit and storage rules check how a trail, a recorder or a bucket is set up *where the stack
has one*; these rules check that the stack has them at all: a trail (and, where the profiles ask
for continuous review, its CloudWatch alarms), a configuration recorder with the managed rules
that re-check the pack, GuardDuty with the protections an AI platform needs, Security Hub with
the profile's standards, Access Analyzer, the account's S3 public access block, EBS encryption
by default, and spend alerts.

A guardrail another party provides in the account (an organization trail, a delegated GuardDuty
administrator) is declared in `plinth:guardrails.external`; `plinth policy-config` and `plinth
audit` pass that list as each rule's `externalGuardrails`, and `plinth preflight` checks that
the guardrail really exists. A Plinth tenant stack (StackReference `platform`) is covered by its
platform stack and skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from components.guardrails.alarms import CIS_ALARMS
from components.guardrails.config import MANAGED_RULES
from components.guardrails.detection import DETECTOR_FEATURES
from components.guardrails.singletons import ACCOUNT_GUARDRAILS, AccountGuardrail
from components.tenant.contract import PLATFORM_REFERENCE
from policies.catalog import Profile
from policies.profiles import PROFILE_SETTINGS, by_profile
from policies.props import as_list, depends_via, dig, known, of_type, referencing
from policies.report import Report
from policies.rule import Config, Param, advisory, all_of, at_least, stack_rule
from policies.rules.audit import ACTIVITY_LOGGING, LOG_GROUP, RECORDER, TRAIL

STACK_REFERENCE = "pulumi:pulumi:StackReference"
CONFIG_RULE = "aws:cfg/rule:Rule"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
SECURITY_HUB = "aws:securityhub/account:Account"
STANDARDS_SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
EBS_ENCRYPTION_BY_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
BUDGET = "aws:budgets/budget:Budget"
ANOMALY_MONITOR = "aws:costexplorer/anomalyMonitor:AnomalyMonitor"
ANOMALY_SUBSCRIPTION = "aws:costexplorer/anomalySubscription:AnomalySubscription"
INVOCATION_LOGGING = (
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
)
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"

EXTERNAL_GUARDRAILS = Param(
    name="externalGuardrails",
    description="Account guardrails provided outside this stack (plinth:guardrails.external): "
    "accepted as present.",
    schema={"type": "array", "items": {"type": "string", "enum": list(ACCOUNT_GUARDRAILS)}},
    default=[],
    merge=all_of,
)
"""Set per stack (not per profile) by `pack_config(external_guardrails=...)`."""


def provided_elsewhere(
    args: StackValidationArgs, config: Config, guardrail: AccountGuardrail | None = None
) -> bool:
    """Whether the stack need not have the guardrail: a Plinth tenant stack (its platform
    stack has it), or the stack declares it external."""
    if any(ref.name == PLATFORM_REFERENCE for ref in of_type(args, STACK_REFERENCE)):
        return True
    return guardrail is not None and guardrail in config.get("externalGuardrails", ())


# The trail is also the GDPR Art. 32 record of who processed what, and the AI RMF's
# post-deployment monitoring of who changed or called the AI services.
ACCOUNT_ACTIVITY = {**ACTIVITY_LOGGING, "gdpr": ["Art. 32"], "nist-ai-rmf": ["MANAGE 4.1"]}


@stack_rule(
    id="guardrails-audit-trail",
    area="guardrails",
    description="The account has a logging, multi-region CloudTrail trail: every API call in "
    "every region is recorded (the audit rules check how it is set up).",
    severity="high",
    remediation="Keep Plinth's account guardrails (AuditTrail), or list cloudTrail in "
    "plinth:guardrails.external when an organization trail covers the account.",
    fix={"*": "plinth:guardrails.external"},
    controls=ACCOUNT_ACTIVITY,
    params=(EXTERNAL_GUARDRAILS,),
)
def audit_trail(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.CLOUDTRAIL):
        return
    logging = [
        trail
        for trail in of_type(args, TRAIL)
        if dig(trail.props, "isMultiRegionTrail") is True
        and dig(trail.props, "enableLogging") is not False
    ]
    if not logging:
        report("no logging multi-region CloudTrail trail records the account's API calls")


def _given(resource: PolicyResource, prop: str) -> bool:
    """Whether an input is set: computed from another resource (unknown during a real
    preview), or a known value."""
    return bool(resource.property_dependencies.get(prop)) or bool(known(resource.props, prop))


def _trail_log_groups(args: StackValidationArgs) -> list[PolicyResource]:
    """The stack's log groups a trail delivers to, with a role to deliver as."""
    groups = of_type(args, LOG_GROUP)
    return [
        group
        for trail in of_type(args, TRAIL)
        if _given(trail, "cloudWatchLogsRoleArn")
        for group in groups
        if depends_via(trail, "cloudWatchLogsGroupArn", group)
    ]


def _customer_key_encrypted(args: StackValidationArgs, topic: PolicyResource) -> bool:
    """A topic encrypted with a KMS key of the stack, or one named outright that is not AWS
    managed (`alias/aws/sns` cannot let CloudWatch publish)."""
    if any(depends_via(topic, "kmsMasterKeyId", key) for key in of_type(args, KMS_KEY)):
        return True
    key_id = str(known(topic.props, "kmsMasterKeyId", default=""))
    return bool(key_id) and not key_id.startswith("alias/aws/")


def _alarm_metric(alarm: PolicyResource) -> tuple[Any, Any]:
    return dig(alarm.props, "namespace"), dig(alarm.props, "metricName")


def _filter_metric(metric_filter: PolicyResource) -> tuple[Any, Any]:
    transformation = dig(metric_filter.props, "metricTransformation")
    return dig(transformation, "namespace"), dig(transformation, "name")


def _topic_problems(
    args: StackValidationArgs, topics: list[PolicyResource]
) -> list[tuple[str, str]]:
    """(topic URN, problem) for alarm topics that cannot or do not reach anyone."""
    subscriptions = of_type(args, TOPIC_SUBSCRIPTION)
    problems = []
    for topic in topics:
        if not _customer_key_encrypted(args, topic):
            problems.append(
                (
                    topic.urn,
                    "the alarm topic is not encrypted with a customer-managed KMS key "
                    "(kms_master_key_id; its key policy must let cloudwatch.amazonaws.com use it)",
                )
            )
        if not referencing(subscriptions, "topic", topic):
            problems.append(
                (
                    topic.urn,
                    "the alarm topic has no subscription: alarms reach no one "
                    "(plinth:guardrails.subscribers)",
                )
            )
    return problems


@stack_rule(
    id="guardrails-trail-cloudwatch-alarms",
    area="guardrails",
    description="Where the profiles ask for continuous review, the audit trail also delivers "
    "to CloudWatch Logs, and each CIS AWS Foundations monitoring recommendation (unauthorized "
    "calls, sign-in without MFA, root use, IAM, CloudTrail, KMS, S3 policy, Config, network "
    "and Organizations changes) has its exact metric filter on that log group and an alarm "
    "notifying a subscribed SNS topic encrypted with a customer-managed key.",
    severity="medium",
    remediation="Keep Plinth's account guardrails: under a profile with trail_alarms "
    "(policies/profiles.py; plinth:compliance.profiles soc2, hipaa or pci) AuditTrail gets "
    "TrailLogGroup, TrailAlarms and AlarmTopic (components/guardrails/alarms.py CIS_ALARMS). "
    "Set plinth:guardrails.subscribers (each must confirm AWS's email), or list cloudTrail in "
    "plinth:guardrails.external when an organization trail and its alarms cover the account.",
    fix={"*": "plinth:guardrails.subscribers"},
    controls={
        "soc2": ["CC7.2"],
        "pci": ["10.4.1", "10.4.1.1", "10.7.2"],
        "hipaa": ["164.308(a)(1)(ii)(D)", "164.312(b)"],
        "nist-800-53": ["AU-6", "SI-4"],
    },
    params=(
        EXTERNAL_GUARDRAILS,
        Param(
            name="trailAlarms",
            description="Whether the trail must deliver to CloudWatch Logs with the CIS metric "
            "filters and alarms (the profiles' trail_alarms).",
            schema={"type": "boolean"},
            default=PROFILE_SETTINGS[Profile.BASELINE].trail_alarms,
            merge=at_least,
            by_profile=by_profile("trail_alarms"),
        ),
        Param(
            name="requiredTrailAlarms",
            description="CIS AWS Foundations recommendations (v1.4.0 numbers) that need a "
            "metric filter and an alarm.",
            schema={"type": "array", "items": {"type": "string"}},
            default=[alarm.cis for alarm in CIS_ALARMS],
            merge=all_of,
        ),
    ),
)
def trail_cloudwatch_alarms(args: StackValidationArgs, report: Report, config: Config) -> None:
    if not config["trailAlarms"] or provided_elsewhere(args, config, AccountGuardrail.CLOUDTRAIL):
        return
    log_groups = _trail_log_groups(args)
    if not log_groups:
        report(
            "the audit trail delivers to no CloudWatch Logs log group of the stack "
            "(cloud_watch_logs_group_arn and cloud_watch_logs_role_arn on aws.cloudtrail.Trail)"
        )
        return
    filters = [
        f
        for f in of_type(args, METRIC_FILTER)
        if any(depends_via(f, "logGroupName", group) for group in log_groups)
    ]
    alarms = [a for a in of_type(args, METRIC_ALARM) if dig(a.props, "actionsEnabled") is not False]
    topics = of_type(args, TOPIC)
    by_cis = {alarm.cis: alarm for alarm in CIS_ALARMS}
    no_filter, no_alarm, silent = [], [], []
    notified: dict[str, PolicyResource] = {}
    for cis in config["requiredTrailAlarms"]:
        wanted = by_cis.get(cis)
        label = f"{cis} ({wanted.title})" if wanted else f"{cis} (not a known CIS recommendation)"
        metrics = {
            _filter_metric(f)
            for f in filters
            if wanted and dig(f.props, "pattern") == wanted.pattern
        }
        watching = [a for a in alarms if _alarm_metric(a) in metrics]
        targets = [t for a in watching for t in topics if depends_via(a, "alarmActions", t)]
        if not metrics:
            no_filter.append(label)
        elif not watching:
            no_alarm.append(label)
        elif not targets:
            silent.append(label)
        notified.update((t.urn, t) for t in targets)
    if no_filter:
        report(
            "no metric filter with the exact CIS pattern on the trail's log group for: "
            + ", ".join(no_filter)
        )
    if no_alarm:
        report("no enabled alarm on the CIS metric for: " + ", ".join(no_alarm))
    if silent:
        report("alarms notify no SNS topic of the stack (alarm_actions) for: " + ", ".join(silent))
    for urn, problem in _topic_problems(args, list(notified.values())):
        report(problem, urn)


@stack_rule(
    id="guardrails-config-recorder",
    area="guardrails",
    description="The region has an AWS Config configuration recorder, so every resource's "
    "configuration history is kept and Config rules can evaluate it.",
    severity="medium",
    remediation="Keep Plinth's ConfigRecording, or list awsConfig in plinth:guardrails.external "
    "when the organization records configuration in this account.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "soc2": ["CC7.1"],
        "pci": ["12.5.1"],
        "nist-800-53": ["CM-8", "CA-7"],
        "hipaa": ["164.308(a)(1)(ii)(D)"],
    },
    params=(EXTERNAL_GUARDRAILS,),
)
def config_recorder(args: StackValidationArgs, report: Report, config: Config) -> None:
    if not provided_elsewhere(args, config, AccountGuardrail.AWS_CONFIG) and not of_type(
        args, RECORDER
    ):
        report("no AWS Config configuration recorder in the stack's region")


@stack_rule(
    id="guardrails-config-rules",
    area="guardrails",
    description="AWS Config managed rules re-check the pack's most important rules (encryption, "
    "public access, CloudTrail, EKS endpoint, IAM admin, ...) on the live account, so a change "
    "made after deploy, by anyone, is caught.",
    severity="medium",
    remediation="Keep Plinth's ConfigRules (components/guardrails/config.py MANAGED_RULES), or "
    "list awsConfig in plinth:guardrails.external when the organization runs Config and its "
    "rules (conformance packs) in this account.",
    fix={"*": "plinth:guardrails.external"},
    controls={"soc2": ["CC7.1"], "nist-800-53": ["CM-3", "CM-6", "CA-7"]},
    params=(
        EXTERNAL_GUARDRAILS,
        Param(
            name="requiredConfigRules",
            description="AWS Config managed rule identifiers the account must run.",
            schema={"type": "array", "items": {"type": "string"}},
            default=[rule.identifier for rule in MANAGED_RULES],
            merge=all_of,
        ),
    ),
)
def config_rules(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.AWS_CONFIG):
        return
    running = {
        dig(rule.props, "source", "sourceIdentifier")
        for rule in of_type(args, CONFIG_RULE)
        if dig(rule.props, "source", "owner") == "AWS"
    }
    missing = [rule for rule in config["requiredConfigRules"] if rule not in running]
    if missing:
        report(f"AWS Config managed rules missing: {', '.join(missing)}")


def _enabled_features(args: StackValidationArgs, detector: PolicyResource) -> set[str]:
    return {
        dig(feature.props, "name")
        for feature in referencing(of_type(args, DETECTOR_FEATURE), "detectorId", detector)
        if dig(feature.props, "status") == "ENABLED"
    }


@stack_rule(
    id="guardrails-threat-detection",
    area="guardrails",
    description="GuardDuty is enabled with the protections an AI platform needs: S3 data events "
    "(reads of training data and models), EKS audit logs, and runtime monitoring of the nodes.",
    severity="high",
    remediation="Keep Plinth's ThreatDetection (an aws.guardduty.Detector and an "
    "aws.guardduty.DetectorFeature per protection, status ENABLED), or list guardDuty in "
    "plinth:guardrails.external when a delegated administrator enables it.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "hipaa": ["164.308(a)(1)(ii)(D)"],
        "soc2": ["CC7.2"],
        "pci": ["11.5.1"],
        "nist-800-53": ["SI-4"],
        "gdpr": ["Art. 32"],
    },
    params=(
        EXTERNAL_GUARDRAILS,
        Param(
            name="requiredDetectorFeatures",
            description="GuardDuty features that must be ENABLED on the detector.",
            schema={"type": "array", "items": {"type": "string"}},
            default=list(DETECTOR_FEATURES),
            merge=all_of,
        ),
    ),
)
def threat_detection(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.GUARDDUTY):
        return
    detectors = [d for d in of_type(args, DETECTOR) if dig(d.props, "enable") is not False]
    if not detectors:
        report("no enabled GuardDuty detector in the stack's region")
    for detector in detectors:
        enabled = _enabled_features(args, detector)
        missing = [f for f in config["requiredDetectorFeatures"] if f not in enabled]
        if missing:
            report(f"GuardDuty protections not enabled: {', '.join(missing)}", detector.urn)


@stack_rule(
    id="guardrails-security-hub-standards",
    area="guardrails",
    description="Security Hub is enabled and subscribed to the standards the stack's profiles "
    "choose, so the account is scored continuously against them.",
    severity="medium",
    remediation="Keep Plinth's SecurityHub (standards follow plinth:compliance.profiles), or "
    "list securityHub in plinth:guardrails.external when a delegated administrator manages it "
    "and subscribes the account.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "soc2": ["CC7.1"],
        "pci": ["2.2.1"],
        "nist-800-53": ["CA-7", "CM-6"],
        "hipaa": ["164.308(a)(1)(ii)(D)"],
    },
    params=(
        EXTERNAL_GUARDRAILS,
        Param(
            name="requiredStandards",
            description="Security Hub standards (path after `standards/`) the account subscribes.",
            schema={"type": "array", "items": {"type": "string"}},
            default=list(PROFILE_SETTINGS[Profile.BASELINE].security_hub_standards),
            merge=all_of,
            by_profile=by_profile("security_hub_standards"),
        ),
    ),
)
def security_hub_standards(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.SECURITY_HUB):
        return
    if not of_type(args, SECURITY_HUB):
        report("Security Hub is not enabled (no aws.securityhub.Account)")
        return
    subscribed = [
        dig(s.props, "standardsArn", default="") for s in of_type(args, STANDARDS_SUBSCRIPTION)
    ]
    missing = [
        standard
        for standard in config["requiredStandards"]
        if not any(arn.endswith(f"::standards/{standard}") for arn in subscribed)
    ]
    if missing:
        report(f"Security Hub is not subscribed to: {', '.join(missing)}")


@stack_rule(
    id="guardrails-access-analyzer",
    area="guardrails",
    description="An IAM Access Analyzer reports every resource shared with a principal outside "
    "the account (or organization).",
    severity="medium",
    remediation="Keep Plinth's AccountDefaults access analyzer, or list accessAnalyzer in "
    "plinth:guardrails.external when an organization analyzer covers the account.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "soc2": ["CC6.3"],
        "hipaa": ["164.308(a)(4)(i)"],
        "pci": ["7.2.1"],
        "nist-800-53": ["AC-6", "CA-7"],
    },
    params=(EXTERNAL_GUARDRAILS,),
)
def access_analyzer(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.ACCESS_ANALYZER):
        return
    external_access = [
        analyzer
        for analyzer in of_type(args, ANALYZER)
        if dig(analyzer.props, "type", default="ACCOUNT") in ("ACCOUNT", "ORGANIZATION")
    ]
    if not external_access:
        report("no IAM Access Analyzer for external access (type ACCOUNT or ORGANIZATION)")


PUBLIC_ACCESS_SETTINGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@stack_rule(
    id="guardrails-account-public-access-block",
    area="guardrails",
    description="The account-level S3 public access block has all four settings on, so no "
    "bucket of the account can be made public, whatever its own settings.",
    severity="high",
    remediation="Keep Plinth's AccountDefaults (aws.s3.AccountPublicAccessBlock with all four "
    "settings True), or list s3PublicAccessBlock in plinth:guardrails.external.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "hipaa": ["164.312(a)(1)"],
        "gdpr": ["Art. 25", "Art. 32"],
        "soc2": ["CC6.1", "CC6.6"],
        "pci": ["1.4.2"],
        "nist-800-53": ["AC-3", "SC-7"],
    },
    params=(EXTERNAL_GUARDRAILS,),
)
def account_public_access_block(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK):
        return
    blocks = of_type(args, ACCOUNT_PUBLIC_ACCESS_BLOCK)
    if not blocks:
        report("no account-level S3 public access block")
    for block in blocks:
        off = [s for s in PUBLIC_ACCESS_SETTINGS if dig(block.props, s) is not True]
        if off:
            report(f"account public access block settings off: {', '.join(off)}", block.urn)


@stack_rule(
    id="guardrails-ebs-default-encryption",
    area="guardrails",
    description="EBS encryption by default is on in the region, so every new volume and snapshot "
    "(GPU nodes' included) is encrypted.",
    severity="medium",
    remediation="Keep Plinth's AccountDefaults (aws.ebs.EncryptionByDefault enabled=True), or "
    "list ebsEncryption in plinth:guardrails.external.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "pci": ["3.5.1"],
        "nist-800-53": ["SC-28"],
    },
    params=(EXTERNAL_GUARDRAILS,),
)
def ebs_default_encryption(args: StackValidationArgs, report: Report, config: Config) -> None:
    if provided_elsewhere(args, config, AccountGuardrail.EBS_ENCRYPTION):
        return
    if not any(
        dig(setting.props, "enabled") is not False
        for setting in of_type(args, EBS_ENCRYPTION_BY_DEFAULT)
    ):
        report("EBS encryption by default is not enabled in the stack's region")


def account_wide(budget_inputs: Mapping[str, Any]) -> bool:
    """Whether a budget covers the account's spend, not one tenant's (filtered to its tag)."""
    filters = as_list(dig(budget_inputs, "costFilters"))
    return not any(dig(f, "name") == "TagKeyValue" for f in filters)


def _platform_budgets(args: StackValidationArgs) -> list[PolicyResource]:
    """Account-wide budgets that alert someone."""
    return [
        budget
        for budget in of_type(args, BUDGET)
        if account_wide(budget.props)
        and any(
            dig(n, "subscriberEmailAddresses") or dig(n, "subscriberSnsTopicArns")
            for n in as_list(dig(budget.props, "notifications"))
        )
    ]


@stack_rule(
    id="guardrails-spend-alerts",
    area="guardrails",
    description="The account's spend is watched: a budget over the whole account that alerts "
    "someone, and cost anomaly detection. A sudden GPU or Bedrock spend spike is also a sign "
    "of stolen credentials.",
    severity="low",
    remediation="Set plinth:guardrails.budget and plinth:guardrails.subscribers (or list "
    "accountBudget in plinth:guardrails.external), and keep the cost anomaly monitor (or list "
    "costAnomalyMonitor there).",
    fix={"*": "plinth:guardrails.budget"},
    controls={"soc2": ["CC7.2"], "nist-800-53": ["SI-4"]},
    enforcement=advisory(mandatory_in=("soc2",)),
    params=(EXTERNAL_GUARDRAILS,),
)
def spend_alerts(args: StackValidationArgs, report: Report, config: Config) -> None:
    if not provided_elsewhere(args, config, AccountGuardrail.ACCOUNT_BUDGET) and not (
        _platform_budgets(args)
    ):
        report("no account-wide budget with alert subscribers")
    if provided_elsewhere(args, config, AccountGuardrail.COST_ANOMALY_MONITOR):
        return
    monitors = of_type(args, ANOMALY_MONITOR)
    if not monitors:
        report("no cost anomaly monitor")
    for monitor in monitors:
        if not referencing(of_type(args, ANOMALY_SUBSCRIPTION), "monitorArnLists", monitor):
            report("cost anomalies alert no one (no subscription to this monitor)", monitor.urn)


@dataclass(frozen=True)
class GuardrailEvidence:
    """What shows an account guardrail to an auditor: the resources that make it up and the
    rules that check it (`plinth audit --framework` lists both per guardrail)."""

    guardrail: AccountGuardrail
    types: tuple[str, ...]
    rules: tuple[str, ...]
    selects: Callable[[Mapping[str, Any]], bool] = lambda _inputs: True
    """Which resources of those types are this guardrail's, by their inputs."""


GUARDRAIL_EVIDENCE: tuple[GuardrailEvidence, ...] = (
    GuardrailEvidence(
        AccountGuardrail.CLOUDTRAIL,
        (TRAIL,),
        (
            "guardrails-audit-trail",
            "audit-cloudtrail-multi-region",
            "audit-cloudtrail-log-validation",
            "audit-cloudtrail-kms",
            "storage-audit-log-object-lock",
            "guardrails-trail-cloudwatch-alarms",
        ),
    ),
    GuardrailEvidence(
        AccountGuardrail.AWS_CONFIG,
        (RECORDER, CONFIG_RULE),
        ("guardrails-config-recorder", "audit-config-recording", "guardrails-config-rules"),
    ),
    GuardrailEvidence(
        AccountGuardrail.GUARDDUTY, (DETECTOR, DETECTOR_FEATURE), ("guardrails-threat-detection",)
    ),
    GuardrailEvidence(
        AccountGuardrail.SECURITY_HUB,
        (SECURITY_HUB, STANDARDS_SUBSCRIPTION),
        ("guardrails-security-hub-standards",),
    ),
    GuardrailEvidence(
        AccountGuardrail.ACCESS_ANALYZER, (ANALYZER,), ("guardrails-access-analyzer",)
    ),
    GuardrailEvidence(
        AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK,
        (ACCOUNT_PUBLIC_ACCESS_BLOCK,),
        ("guardrails-account-public-access-block",),
    ),
    GuardrailEvidence(
        AccountGuardrail.EBS_ENCRYPTION,
        (EBS_ENCRYPTION_BY_DEFAULT,),
        ("guardrails-ebs-default-encryption",),
    ),
    GuardrailEvidence(
        AccountGuardrail.COST_ANOMALY_MONITOR,
        (ANOMALY_MONITOR, ANOMALY_SUBSCRIPTION),
        ("guardrails-spend-alerts",),
    ),
    GuardrailEvidence(
        AccountGuardrail.ACCOUNT_BUDGET, (BUDGET,), ("guardrails-spend-alerts",), account_wide
    ),
    GuardrailEvidence(
        AccountGuardrail.INVOCATION_LOGGING,
        (INVOCATION_LOGGING,),
        ("bedrock-invocation-logging", "bedrock-invocation-logs-encrypted"),
    ),
)
