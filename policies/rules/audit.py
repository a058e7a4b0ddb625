"""Audit trail: CloudTrail coverage and integrity, AWS Config recording, CloudWatch log retention.

Auditors ask three things of an account's logs: that every API call everywhere is recorded,
that the records cannot be altered or read by the wrong people, and that they are kept long
enough to investigate. The trail rules check the first two on each trail; the Config rule
checks that a recorder, when the stack has one, keeps the history of every resource; the log
group rules check retention and encryption where the logs themselves live.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policies.catalog import Profile
from policies.profiles import PROFILE_SETTINGS, by_profile
from policies.props import dig, of_type, referencing
from policies.report import Report
from policies.rule import Config, Param, advisory, at_least, resource_rule, stack_rule

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# The only retention periods CloudWatch Logs accepts (0, or unset, means never expire).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip

ACTIVITY_LOGGING = {
    "hipaa": ["164.312(b)", "164.308(a)(1)(ii)(D)"],
    "soc2": ["CC7.2"],
    "pci": ["10.2.1"],
    "nist-800-53": ["AU-2", "AU-12"],
}


@resource_rule(
    id="audit-cloudtrail-multi-region",
    area="audit",
    description="CloudTrail trails record management events in every region, global services "
    "(IAM, STS, CloudFront) included, and are logging.",
    severity="high",
    remediation="Set is_multi_region_trail=True on aws.cloudtrail.Trail and leave "
    "include_global_service_events and enable_logging at their default (True).",
    controls=ACTIVITY_LOGGING,
    types=(TRAIL,),
)
def cloudtrail_multi_region(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    props = args.props
    if dig(props, "isMultiRegionTrail") is not True:
        report("the trail records only its home region (is_multi_region_trail is not True)")
    if dig(props, "includeGlobalServiceEvents") is False:
        report("include_global_service_events=False: IAM and STS calls go unrecorded")
    if dig(props, "enableLogging") is False:
        report("enable_logging=False: the trail records nothing")


@resource_rule(
    id="audit-cloudtrail-log-validation",
    area="audit",
    description="CloudTrail writes signed digest files, which prove that log files were not "
    "modified or deleted after delivery.",
    severity="high",
    remediation="Set enable_log_file_validation=True on aws.cloudtrail.Trail.",
    controls={"pci": ["10.3.4"], "nist-800-53": ["AU-9", "SI-7"]},
    types=(TRAIL,),
)
def cloudtrail_log_validation(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "enableLogFileValidation") is not True:
        report("log file validation is off: tampering with delivered logs goes undetected")


@resource_rule(
    id="audit-cloudtrail-kms",
    area="audit",
    description="CloudTrail encrypts its log files with a customer-managed KMS key (SSE-KMS), "
    "so reading them needs kms:Decrypt on that key as well as access to the bucket.",
    severity="high",
    remediation="Set kms_key_id on aws.cloudtrail.Trail to the ARN of a customer-managed key "
    "whose policy lets cloudtrail.amazonaws.com encrypt for this trail.",
    controls={"soc2": ["CC6.1"], "pci": ["10.3.1"], "nist-800-53": ["AU-9", "SC-28"]},
    types=(TRAIL,),
)
def cloudtrail_kms(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsKeyId"):
        report("log files are not encrypted with a KMS key (kms_key_id is not set)")


def _recorder_problems(args: StackValidationArgs, recorder: PolicyResource) -> list[str]:
    problems = []
    # The provider defaults all_supported to True; only an explicit False narrows recording.
    if dig(recorder.props, "recordingGroup", "allSupported", default=True) is not True:
        problems.append("the recorder records only selected resource types (all_supported=False)")
    statuses = referencing(of_type(args, RECORDER_STATUS), "name", recorder)
    if not any(dig(status.props, "isEnabled") is True for status in statuses):
        problems.append("no aws.cfg.RecorderStatus with is_enabled=True starts the recorder")
    if not of_type(args, DELIVERY_CHANNEL):
        problems.append("no aws.cfg.DeliveryChannel: the recorder has nowhere to deliver history")
    return problems


@stack_rule(
    id="audit-config-recording",
    area="audit",
    description="An AWS Config recorder, where the stack has one, records every supported "
    "resource type, is started, and delivers to a delivery channel, so the configuration "
    "history of every resource is kept.",
    severity="medium",
    remediation="Leave recording_group.all_supported at True on aws.cfg.Recorder, add an "
    "aws.cfg.RecorderStatus with name=recorder.name and is_enabled=True, and an "
    "aws.cfg.DeliveryChannel to an S3 bucket.",
    controls={
        "soc2": ["CC7.1"],
        "pci": ["12.5.1"],
        "nist-800-53": ["CM-8", "CA-7"],
    },
    enforcement=advisory(mandatory_in=("soc2", "hipaa", "pci")),
)
def config_recording(args: StackValidationArgs, report: Report, _: Config) -> None:
    for recorder in of_type(args, RECORDER):
        for problem in _recorder_problems(args, recorder):
            report(problem, recorder.urn)


def _valid_retention(minimum: int) -> int:
    """The shortest retention CloudWatch accepts that is at least `minimum` (0: never expire)."""
    return next((days for days in LOG_RETENTION_DAYS if days >= minimum), 0)


@resource_rule(
    id="audit-log-retention",
    area="audit",
    description="CloudWatch log groups keep events at least as long as the profile requires "
    "(never expiring complies). The HIPAA profile's six years is Plinth's choice: the Security "
    "Rule sets no log retention period, and six years matches its documentation period.",
    severity="medium",
    remediation="Set retention_in_days on aws.cloudwatch.LogGroup to a value CloudWatch accepts "
    "that meets the profile: 90 (baseline), 365 (SOC 2, PCI DSS), 2192 (HIPAA), or 0 to never "
    "expire.",
    fix={
        "network": "flowLogs.retentionDays",
        "bedrock": "logging.retentionDays",
        "cluster": "logRetentionDays",
    },
    controls={
        "hipaa": ["164.312(b)"],
        "pci": ["10.5.1"],
        "nist-800-53": ["AU-11"],
    },
    types=(LOG_GROUP,),
    params=(
        Param(
            name="minRetentionDays",
            description="Shortest log group retention, in days (0 or unset never expires).",
            schema={"type": "integer", "minimum": 1},
            default=PROFILE_SETTINGS[Profile.BASELINE].log_group_days,
            merge=at_least,
            by_profile=by_profile("log_group_days"),
        ),
    ),
)
def log_retention(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    days = dig(args.props, "retentionInDays", default=0)
    minimum = config["minRetentionDays"]
    if 0 < days < minimum:
        report(
            f"retention {days} days is under {minimum}: set retention_in_days to "
            f"{_valid_retention(minimum)}"
        )


@resource_rule(
    id="audit-log-group-encrypted",
    area="audit",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key, so log "
    "events (which often carry personal or sensitive data) need kms:Decrypt to read.",
    severity="medium",
    remediation="Set kms_key_id on aws.cloudwatch.LogGroup to the ARN of a customer-managed key "
    "whose policy lets logs.<region>.amazonaws.com use it.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["SC-28", "AU-9"],
    },
    enforcement=advisory(mandatory_in=("hipaa", "pci", "soc2")),
    types=(LOG_GROUP,),
)
def log_group_encrypted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsKeyId"):
        report("the log group is not encrypted with a KMS key (kms_key_id is not set)")
