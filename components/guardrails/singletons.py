"""The account guardrails a stack may leave to someone else.

Most are one per account (and region): a second Config recorder, GuardDuty detector or
Security Hub subscription cannot be created, and a second public access block or EBS default
would overwrite the first. In an AWS Organization the security account often runs them for
every member (Control Tower, delegated administrators, an organization trail). A stack names
the ones provided that way in `plinth:guardrails.external`: it does not create them, the
policy pack accepts them as provided, and `plinth preflight` checks that they exist.
"""

from __future__ import annotations

from enum import StrEnum


class AccountGuardrail(StrEnum):
    """An account-level guardrail, by the name stack files use."""

    CLOUDTRAIL = "cloudTrail"
    """A multi-region trail (an organization trail covers the account too)."""
    AWS_CONFIG = "awsConfig"
    """The configuration recorder and its delivery channel (one per region)."""
    GUARDDUTY = "guardDuty"
    """The GuardDuty detector (one per region)."""
    SECURITY_HUB = "securityHub"
    """Security Hub and its standards subscriptions (one hub per region)."""
    ACCESS_ANALYZER = "accessAnalyzer"
    """An IAM Access Analyzer for external access (an organization analyzer covers it too)."""
    S3_PUBLIC_ACCESS_BLOCK = "s3PublicAccessBlock"
    """The account-level S3 public access block (one per account)."""
    EBS_ENCRYPTION = "ebsEncryption"
    """EBS encryption by default (one setting per region)."""
    COST_ANOMALY_MONITOR = "costAnomalyMonitor"
    """The AWS services cost anomaly monitor (one per account)."""
    ACCOUNT_BUDGET = "accountBudget"
    """A budget over the whole account's spend (another stack's, or the FinOps team's)."""
    INVOCATION_LOGGING = "invocationLogging"
    """Bedrock model invocation logging (one configuration per region)."""


ACCOUNT_GUARDRAILS: tuple[str, ...] = tuple(g.value for g in AccountGuardrail)


# The physical names the guardrails get, so `plinth preflight` can tell this stack's own
# (an earlier `pulumi up`) from someone else's.
def trail_name(name_prefix: str) -> str:
    return f"{name_prefix}-audit"


def recorder_name(name_prefix: str) -> str:
    return f"{name_prefix}-recorder"


def analyzer_name(name_prefix: str) -> str:
    return f"{name_prefix}-external-access"


def anomaly_monitor_name(name_prefix: str) -> str:
    return f"{name_prefix}-aws-services"


def budget_name(name_prefix: str) -> str:
    return f"{name_prefix}-platform"
