"""The account guardrails section (`plinth:guardrails`) and the checks compliance profiles add
to the rest of the spec."""

from __future__ import annotations

from pydantic import Field, field_validator

from components.guardrails.singletons import AccountGuardrail
from components.tenant.budget import EMAIL_SUBSCRIBER_LIMIT
from plinth.spec.base import SpecModel, without_duplicates
from plinth.spec.tenants import BudgetSpec, Email


class GuardrailsSpec(SpecModel):
    """Account guardrails: CloudTrail, AWS Config, GuardDuty, Security Hub, Access Analyzer,
    account S3 public access block, EBS encryption by default, budget and cost anomaly alerts.
    Their settings (retention, lock mode, standards) follow `plinth:compliance.profiles`."""

    subscribers: tuple[Email, ...] = Field(default=(), max_length=EMAIL_SUBSCRIBER_LIMIT)
    """Emails alerted by the platform budget, by cost anomalies and, under the soc2, hipaa and
    pci profiles, by the audit trail's security alarms (each must confirm SNS's email)."""
    budget: BudgetSpec | None = None
    """Monthly budget over the whole account's spend (the platform and its tenants)."""
    anomaly_threshold_usd: int = Field(default=100, ge=1, le=1_000_000)
    """Cost anomalies with at least this total impact (USD) are emailed, daily."""
    external: tuple[AccountGuardrail, ...] = ()
    """Guardrails provided outside this stack (an organization trail, a delegated GuardDuty or
    Security Hub administrator, another stack in the account): not created here, accepted by
    the policy pack, and checked to exist by `plinth preflight`."""

    @field_validator("subscribers", "external")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)
