"""Account guardrails: the audit trail, configuration recording, detection, account-wide
defaults and spend alerts that auditors ask of the account an AI platform runs in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

import pulumi

from components.guardrails.account import AccountDefaults, AccountDefaultsArgs
from components.guardrails.alarms import AlarmTopic, AlarmTopicArgs, TrailAlarms, TrailAlarmsArgs
from components.guardrails.config import (
    ConfigRecording,
    ConfigRecordingArgs,
    ConfigRules,
    ConfigRulesArgs,
)
from components.guardrails.detection import (
    SecurityHub,
    SecurityHubArgs,
    ThreatDetection,
    ThreatDetectionArgs,
)
from components.guardrails.singletons import (
    AccountGuardrail,
    analyzer_name,
    recorder_name,
    trail_name,
)
from components.guardrails.spend import PlatformBudget, PlatformSpend, PlatformSpendArgs
from components.guardrails.trail import (
    TRAIL_PREFIX,
    AuditTrail,
    AuditTrailArgs,
    TrailLogGroup,
    TrailLogGroupArgs,
    trail_log_group_name,
)
from components.scope import AwsScope
from components.storage import (
    AccessLogDestination,
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
    ServiceWriter,
)

__all__ = ["AccountGuardrail", "AccountGuardrails", "AccountGuardrailsArgs", "PlatformBudget"]


@dataclass(frozen=True)
class AccountGuardrailsArgs:
    """Inputs of AccountGuardrails.

    The retention, lock mode, log retention, standards and `trail_alarms` come from the
    stack's compliance profiles (`policies.profiles.settings_for`); `external` are the
    guardrails someone else provides in this account (see `singletons`). `subscribers` hear
    about spend and, with `trail_alarms`, about security alarms.
    """

    scope: AwsScope
    name_prefix: str
    tags: Mapping[str, str]
    audit_log_days: int
    audit_log_lock: str
    log_group_days: int
    security_hub_standards: Sequence[str]
    access_logs: AccessLogDestination
    subscribers: Sequence[str]
    anomaly_threshold_usd: int
    data_bucket_arns: Sequence[pulumi.Input[str]] = ()
    kms_administrators: Sequence[str] = ()
    budget: PlatformBudget | None = None
    external: Set[AccountGuardrail] = field(default_factory=frozenset)
    trail_alarms: bool = False
    metric_alerts: bool = False
    """The stack's Prometheus workspace sends its alerts to the alarm topic: have one, and let
    the workspace publish."""
    noncurrent_version_days: int = 90
    protect: bool = False


class AccountGuardrails(pulumi.ComponentResource):
    """The account baseline, each part only where this stack owns it:

    - an audit key and an audit-log bucket (SSE-KMS, versioned, object lock with the profile's
      mode and retention, objects expiring after it, access-logged) for CloudTrail and Config;
    - AuditTrail (CloudTrail); with `trail_alarms`, also TrailLogGroup (its copy in
      CloudWatch Logs, encrypted with the audit key), TrailAlarms (the CIS metric filters and
      alarms) and AlarmTopic (the encrypted SNS topic they email the subscribers through);
    - with `metric_alerts`, that AlarmTopic even without trail alarms, open to the stack's
      Prometheus workspace too;
    - ConfigRecording and ConfigRules (AWS Config: the recorder and
      the managed rules that re-check the pack on the live account), ThreatDetection
      (GuardDuty), SecurityHub,
      AccountDefaults (S3 public access block, EBS encryption, Access Analyzer) and
      PlatformSpend (budget, cost anomaly alerts).

    The audit key is its own, not the platform key: auditors can be let read the logs without
    being able to read any data, and data administrators cannot read the logs of their actions.
    """

    audit_bucket: SecureBucket | None
    trail: AuditTrail | None
    alarm_topic: AlarmTopic | None

    def __init__(
        self, name: str, args: AccountGuardrailsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:AccountGuardrails", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        owned = set(AccountGuardrail) - set(args.external)
        scope, prefix, tags = args.scope, args.name_prefix, args.tags
        trail = trail_name(prefix)

        self.audit_bucket = self.trail = self.alarm_topic = None
        recording: ConfigRecording | None = None
        if owned & {AccountGuardrail.CLOUDTRAIL, AccountGuardrail.AWS_CONFIG}:
            owns_trail = AccountGuardrail.CLOUDTRAIL in owned
            # An external trail's delivery and alarms are its owner's.
            trail_alarms = owns_trail and args.trail_alarms
            trail_log_group = trail_log_group_name(prefix)
            key = EncryptionKey(
                f"{prefix}-audit",
                EncryptionKeyArgs(
                    scope=scope,
                    description=f"{prefix}: audit trail and configuration history",
                    tags=tags,
                    administrators=args.kms_administrators,
                    cloudtrail_trails=(trail,) if owns_trail else (),
                    cloudwatch_log_groups=(trail_log_group,) if trail_alarms else (),
                    protect=args.protect,
                ),
                child,
            )
            self.audit_bucket = SecureBucket(
                f"{prefix}-audit-logs",
                SecureBucketArgs(
                    scope=scope,
                    tags=tags,
                    kms_key_arn=key.arn,
                    access_logs=args.access_logs,
                    noncurrent_version_days=args.noncurrent_version_days,
                    expire_objects_after_days=args.audit_log_days,
                    object_lock=ObjectLock(mode=args.audit_log_lock, days=args.audit_log_days),
                    retain_retention_rules=True,
                    service_writers=(
                        (
                            ServiceWriter(
                                "cloudtrail",
                                source_arn_like=scope.arn("cloudtrail", f"trail/{trail}"),
                                key_prefix=pulumi.Output.concat(
                                    TRAIL_PREFIX, "/AWSLogs/", scope.account_id, "/"
                                ),
                                reads_bucket_acl=True,
                            ),
                        )
                        if owns_trail
                        else ()
                    ),
                    protect=args.protect,
                ),
                child,
            )
            if owns_trail:
                trail_logs = (
                    TrailLogGroup(
                        f"{prefix}-trail-logs",
                        TrailLogGroupArgs(
                            scope=scope,
                            log_group_name=trail_log_group,
                            key_arn=key.arn,
                            retention_days=args.log_group_days,
                            tags=tags,
                            protect=args.protect,
                        ),
                        child,
                    )
                    if trail_alarms
                    else None
                )
                self.trail = AuditTrail(
                    f"{prefix}-audit",
                    AuditTrailArgs(
                        trail_name=trail,
                        bucket_name=self.audit_bucket.name,
                        key_arn=key.arn,
                        data_bucket_arns=args.data_bucket_arns,
                        tags=tags,
                        ready=(self.audit_bucket.policy, key.key),
                        cloud_watch_logs=trail_logs,
                        protect=args.protect,
                    ),
                    child,
                )
                if trail_logs is not None:
                    topic = self._alarm_topic(args, child)
                    TrailAlarms(
                        f"{prefix}-trail-alarms",
                        TrailAlarmsArgs(
                            name_prefix=prefix,
                            log_group_name=trail_logs.log_group.name,
                            topic_arn=topic.arn,
                            tags=tags,
                        ),
                        child,
                    )
            if AccountGuardrail.AWS_CONFIG in owned:
                recording = ConfigRecording(
                    f"{prefix}-config",
                    ConfigRecordingArgs(
                        scope=scope,
                        recorder_name=recorder_name(prefix),
                        bucket_name=self.audit_bucket.name,
                        bucket_arn=self.audit_bucket.arn,
                        key_arn=key.arn,
                        tags=tags,
                        protect=args.protect,
                    ),
                    child,
                )
                ConfigRules(
                    f"{prefix}-config-rules",
                    ConfigRulesArgs(
                        name_prefix=prefix,
                        log_retention_days=args.log_group_days,
                        tags=tags,
                        recorder=recording.status,
                    ),
                    child,
                )
        if AccountGuardrail.GUARDDUTY in owned:
            ThreatDetection(
                f"{prefix}-guardduty", ThreatDetectionArgs(tags=tags, protect=args.protect), child
            )
        if AccountGuardrail.SECURITY_HUB in owned:
            SecurityHub(
                f"{prefix}-security-hub",
                SecurityHubArgs(
                    scope=scope, standards=args.security_hub_standards, protect=args.protect
                ),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[recording.status] if recording else None
                ),
            )
        AccountDefaults(
            f"{prefix}-account",
            AccountDefaultsArgs(
                analyzer_name=analyzer_name(prefix),
                tags=tags,
                public_access_block=AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK in owned,
                ebs_encryption=AccountGuardrail.EBS_ENCRYPTION in owned,
                access_analyzer=AccountGuardrail.ACCESS_ANALYZER in owned,
            ),
            child,
        )
        if args.budget or AccountGuardrail.COST_ANOMALY_MONITOR in owned:
            PlatformSpend(
                f"{prefix}-spend",
                PlatformSpendArgs(
                    name_prefix=prefix,
                    subscribers=args.subscribers,
                    tags=tags,
                    budget=args.budget,
                    anomaly_monitor=AccountGuardrail.COST_ANOMALY_MONITOR in owned,
                    anomaly_threshold_usd=args.anomaly_threshold_usd,
                ),
                child,
            )
        if args.metric_alerts:
            self._alarm_topic(args, child)
        self.register_outputs(
            {
                "auditBucket": self.audit_bucket.name if self.audit_bucket else None,
                "trailArn": self.trail.arn if self.trail else None,
                "alarmTopicArn": self.alarm_topic.arn if self.alarm_topic else None,
                "external": sorted(args.external),
            }
        )

    def _alarm_topic(self, args: AccountGuardrailsArgs, opts: pulumi.ResourceOptions) -> AlarmTopic:
        """The stack's one alarm topic, made on first use (trail alarms, metric alerts)."""
        if self.alarm_topic is None:
            topic_name = f"{args.name_prefix}-security-alarms"
            self.alarm_topic = AlarmTopic(
                topic_name,
                AlarmTopicArgs(
                    scope=args.scope,
                    topic_name=topic_name,
                    subscribers=args.subscribers,
                    tags=args.tags,
                    kms_administrators=args.kms_administrators,
                    prometheus_alerts=args.metric_alerts,
                    protect=args.protect,
                ),
                opts,
            )
        return self.alarm_topic
