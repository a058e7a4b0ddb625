"""What each compliance profile sets: the concrete values behind `baseline`, `soc2`, `hipaa`,
`pci` and `gdpr`.

One table serves both sides: the account guardrails a platform stack provisions (audit-log
retention and object lock, Security Hub standards, the trail's CloudWatch alarms) and the
policy pack's thresholds for the same things (`audit-log-retention`,
`storage-audit-log-object-lock`, `residency-*`, `guardrails-security-hub-standards`,
`guardrails-trail-cloudwatch-alarms`), so what Plinth builds is exactly what its pack demands.
A stack claiming several profiles gets the strictest of each value (`settings_for`).
docs/policies.md ("Compliance profiles") explains every value with its control IDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from policies.catalog import Profile
from policies.rule import narrowest

EU_REGIONS = ("eu-central-1", "eu-west-1", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1")
"""AWS regions in EU member states (London and Zurich are in Europe but outside the EU)."""

# Security Hub standards, as the path after `arn:<partition>:securityhub:<region>::standards/`.
FOUNDATIONAL = "aws-foundational-security-best-practices/v/1.0.0"
CIS = "cis-aws-foundations-benchmark/v/3.0.0"
NIST_800_53 = "nist-800-53/v/5.0.0"
PCI_DSS = "pci-dss/v/4.0.1"

ObjectLockMode = Literal["GOVERNANCE", "COMPLIANCE"]


@dataclass(frozen=True)
class ProfileSettings:
    """The values one profile (or the merge of several) sets."""

    audit_log_days: int
    """How long CloudTrail and AWS Config history is kept, locked against deletion."""
    audit_log_lock: ObjectLockMode
    """COMPLIANCE: no one, root included, can shorten the lock; GOVERNANCE: privileged users can."""
    log_group_days: int
    """Shortest retention of CloudWatch log groups (flow, control-plane, invocation logs)."""
    allowed_regions: tuple[str, ...]
    """Where resources may live and prompts be processed; empty means anywhere."""
    security_hub_standards: tuple[str, ...]
    """Security Hub standards the account subscribes to."""
    trail_alarms: bool
    """Whether the audit trail also delivers to CloudWatch Logs, with the CIS metric filters
    and alarms that notify someone of root use, IAM, trail, key and network changes within
    minutes: the profiles whose controls ask for security events to be reviewed continuously
    (SOC 2 CC7.2, PCI DSS 10.4.1.1, HIPAA 164.308(a)(1)(ii)(D)). The others keep the trail's
    S3 history only, reviewed by GuardDuty and Security Hub."""
    database_backup_days: int
    """Automated backup retention of the platform's databases (the gateway's Aurora cluster):
    the window in which a point-in-time restore is possible (Aurora allows 1 to 35)."""
    database_deletion_protection: bool
    """Whether databases refuse deletion even when `plinth:protect` is off: the profiles whose
    controls ask for recoverable records (SOC 2 A1.2, HIPAA 164.308(a)(7), PCI DSS 10.5)."""


PROFILE_SETTINGS: Mapping[str, ProfileSettings] = MappingProxyType(
    {
        Profile.BASELINE: ProfileSettings(
            audit_log_days=365,
            audit_log_lock="GOVERNANCE",
            log_group_days=90,
            allowed_regions=(),
            security_hub_standards=(FOUNDATIONAL,),
            trail_alarms=False,
            database_backup_days=7,
            database_deletion_protection=False,
        ),
        Profile.SOC2: ProfileSettings(
            audit_log_days=365,
            audit_log_lock="GOVERNANCE",
            log_group_days=365,
            allowed_regions=(),
            security_hub_standards=(FOUNDATIONAL, CIS),
            trail_alarms=True,
            database_backup_days=14,
            database_deletion_protection=True,
        ),
        Profile.HIPAA: ProfileSettings(
            audit_log_days=2192,
            audit_log_lock="COMPLIANCE",
            log_group_days=2192,
            allowed_regions=(),
            security_hub_standards=(FOUNDATIONAL, NIST_800_53),
            trail_alarms=True,
            database_backup_days=35,
            database_deletion_protection=True,
        ),
        Profile.PCI: ProfileSettings(
            audit_log_days=365,
            audit_log_lock="COMPLIANCE",
            log_group_days=365,
            allowed_regions=(),
            security_hub_standards=(FOUNDATIONAL, PCI_DSS),
            trail_alarms=True,
            database_backup_days=35,
            database_deletion_protection=True,
        ),
        Profile.GDPR: ProfileSettings(
            audit_log_days=365,
            audit_log_lock="GOVERNANCE",
            log_group_days=90,
            allowed_regions=EU_REGIONS,
            security_hub_standards=(FOUNDATIONAL,),
            trail_alarms=False,
            database_backup_days=7,
            database_deletion_protection=False,
        ),
    }
)


def settings_for(profiles: Iterable[str]) -> ProfileSettings:
    """The strictest of each value across `profiles` (baseline always included)."""
    chosen = [PROFILE_SETTINGS[Profile.BASELINE]] + [
        PROFILE_SETTINGS[p] for p in profiles if p != Profile.BASELINE
    ]
    return ProfileSettings(
        audit_log_days=max(s.audit_log_days for s in chosen),
        audit_log_lock=(
            "COMPLIANCE" if any(s.audit_log_lock == "COMPLIANCE" for s in chosen) else "GOVERNANCE"
        ),
        log_group_days=max(s.log_group_days for s in chosen),
        allowed_regions=tuple(narrowest([s.allowed_regions for s in chosen])),
        security_hub_standards=tuple(
            dict.fromkeys(standard for s in chosen for standard in s.security_hub_standards)
        ),
        trail_alarms=any(s.trail_alarms for s in chosen),
        database_backup_days=max(s.database_backup_days for s in chosen),
        database_deletion_protection=any(s.database_deletion_protection for s in chosen),
    )


def by_profile(field: str) -> dict[str, object]:
    """One ProfileSettings field per profile, as a policy Param's `by_profile` (tuples become
    lists, as policy config holds JSON)."""
    values = {str(p): getattr(s, field) for p, s in PROFILE_SETTINGS.items()}
    return {p: list(v) if isinstance(v, tuple) else v for p, v in values.items()}
