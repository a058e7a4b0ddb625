"""Fixtures for policies/rules/audit.py."""

from __future__ import annotations

from rule_cases import complies, res, violates

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

GOOD_TRAIL = {
    "s3BucketName": "audit",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogging": True,
    "enableLogFileValidation": True,
    "kmsKeyId": KEY_ARN,
}


def trail(**changes):  # type: ignore[no-untyped-def]
    props = {key: value for key, value in {**GOOD_TRAIL, **changes}.items() if value is not None}
    return res(TRAIL, "trail", props)


recorder = res(RECORDER, "recorder", {"name": "default", "recordingGroup": {"allSupported": True}})
channel = res(CHANNEL, "channel", {"name": "default", "s3BucketName": "config"})


def status(target, enabled=True):  # type: ignore[no-untyped-def]
    return res(
        STATUS,
        "recorder-status",
        {"name": "default", "isEnabled": enabled},
        deps={"name": [target]},
    )


def log_group(days=None, key=None):  # type: ignore[no-untyped-def]
    props = {"retentionInDays": days, "kmsKeyId": key}
    return res(LOG_GROUP, "logs", {k: v for k, v in props.items() if v is not None})


CASES = [
    violates(
        "audit-cloudtrail-multi-region",
        "single-region trail",
        trail(isMultiRegionTrail=None),
        expect="home region",
    ),
    violates(
        "audit-cloudtrail-multi-region",
        "global service events off",
        trail(includeGlobalServiceEvents=False),
        expect="IAM and STS",
    ),
    violates(
        "audit-cloudtrail-multi-region",
        "logging stopped",
        trail(enableLogging=False),
        expect="enable_logging=False",
    ),
    complies("audit-cloudtrail-multi-region", "multi-region, global events, logging", trail()),
    complies(
        "audit-cloudtrail-multi-region",
        "defaults of global events and logging are on",
        trail(includeGlobalServiceEvents=None, enableLogging=None),
    ),
    violates(
        "audit-cloudtrail-log-validation",
        "validation left at its default (off)",
        trail(enableLogFileValidation=None),
        expect="log file validation is off",
    ),
    complies("audit-cloudtrail-log-validation", "digest files on", trail()),
    violates(
        "audit-cloudtrail-kms",
        "SSE-S3 only",
        trail(kmsKeyId=None),
        expect="kms_key_id",
    ),
    complies("audit-cloudtrail-kms", "customer-managed key", trail()),
    violates(
        "audit-config-recording",
        "recorder never started and no delivery channel",
        recorder,
        expect="is_enabled=True",
    ),
    violates(
        "audit-config-recording",
        "recorder status stopped",
        recorder,
        status(recorder, enabled=False),
        channel,
        expect="is_enabled=True",
    ),
    violates(
        "audit-config-recording",
        "no delivery channel",
        recorder,
        status(recorder),
        expect="DeliveryChannel",
    ),
    violates(
        "audit-config-recording",
        "selected resource types only",
        res(
            RECORDER,
            "recorder",
            {
                "name": "default",
                "recordingGroup": {
                    "allSupported": False,
                    "resourceTypes": ["AWS::S3::Bucket"],
                },
            },
        ),
        status(recorder),
        channel,
        expect="all_supported=False",
        profiles=("soc2",),
    ),
    complies(
        "audit-config-recording",
        "all resources, started, delivering",
        recorder,
        status(recorder),
        channel,
        profiles=("soc2",),
    ),
    complies(
        "audit-config-recording",
        "recording group left at the provider default",
        res(RECORDER, "recorder", {"name": "default"}),
        status(res(RECORDER, "recorder")),
        channel,
    ),
    complies("audit-config-recording", "a stack without a recorder", channel),
    violates(
        "audit-log-retention",
        "a month under baseline",
        log_group(30),
        expect="under 90",
    ),
    violates(
        "audit-log-retention",
        "one year under HIPAA",
        log_group(365),
        profiles=("hipaa",),
        expect="set retention_in_days to 2192",
    ),
    violates(
        "audit-log-retention",
        "the strictest profile wins",
        log_group(400),
        profiles=("pci", "hipaa"),
        expect="under 2192",
    ),
    violates(
        "audit-log-retention",
        "suggests the next valid CloudWatch value",
        log_group(365),
        config={"minRetentionDays": 500},
        expect="set retention_in_days to 545",
    ),
    complies("audit-log-retention", "one year under PCI", log_group(365), profiles=("pci",)),
    complies("audit-log-retention", "six years under HIPAA", log_group(2192), profiles=("hipaa",)),
    complies("audit-log-retention", "never expires", log_group(), profiles=("hipaa",)),
    complies("audit-log-retention", "zero also never expires", log_group(0), profiles=("hipaa",)),
    violates(
        "audit-log-group-encrypted",
        "no key",
        log_group(90),
        profiles=("hipaa",),
        expect="kms_key_id",
    ),
    complies("audit-log-group-encrypted", "customer-managed key", log_group(90, KEY_ARN)),
]
