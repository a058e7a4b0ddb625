"""Waivers: approved, expiring exceptions to a rule for named resources.

A waiver names a rule id, a resource (its URN or a glob over URN or name), a justification,
an approver and an expiry date. The same matching runs in both engines:

- `plinth audit --waivers FILE` validates the file (an expired or malformed waiver is an
  error), puts each waiver into its rule's policy config and reports waived findings as waived;
- with the real engine, `plinth policy-config --waivers FILE` writes that same policy config for
  `pulumi preview --policy-pack policies --policy-pack-config FILE`. A waived violation is then
  not reported by its rule; the advisory `waivers-in-effect` policy lists it instead, so it
  stays visible. A waiver that expired since the config was written no longer applies.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator

from policies.report import Report

CONFIG_KEY = "waivers"

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Approved exceptions to this rule (written by `plinth policy-config`).",
    "default": [],
    "items": {
        "type": "object",
        "required": ["policy", "resource", "justification", "approver", "expires"],
        "additionalProperties": False,
        "properties": {
            "policy": {"type": "string"},
            "resource": {"type": "string", "minLength": 1},
            "justification": {"type": "string", "minLength": 10},
            "approver": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "format": "date"},
        },
    },
}


class Waiver(BaseModel):
    """One entry of a waivers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1, description="The rule id the waiver applies to.")
    resource: str = Field(min_length=1, description="A URN, or a glob over URNs or names.")
    justification: str = Field(min_length=10, description="Why the exception is acceptable.")
    approver: str = Field(min_length=1, description="Who approved the exception.")
    expires: dt.date = Field(description="Last day the waiver applies (YYYY-MM-DD).")

    @field_validator("justification", "approver", "resource")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("resource")
    @classmethod
    def _names_something(cls, value: str) -> str:
        if not value.strip("*?[]! "):
            raise ValueError(
                "must name resources; a pattern of wildcards only would switch the rule off"
            )
        return value

    def covers(self, policy: str, urn: str) -> bool:
        name = urn.rsplit("::", 1)[-1]
        return policy == self.policy and (
            fnmatchcase(urn, self.resource) or fnmatchcase(name, self.resource)
        )

    def to_config(self) -> dict[str, str]:
        return {**self.model_dump(exclude={"expires"}), "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class WaivedViolation:
    policy: str
    urn: str
    message: str
    waiver: Waiver


class _Ledger:
    """Waived violations of this policy-pack process, for `waivers-in-effect` and the audit.

    The analyzer runs every resource policy before the stack policies, in one process, so
    the stack policy that lists waived violations sees all of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], WaivedViolation] = {}

    def add(self, entry: WaivedViolation) -> None:
        with self._lock:
            self._entries[(entry.policy, entry.urn, entry.message)] = entry

    def entries(self) -> list[WaivedViolation]:
        with self._lock:
            return list(self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


LEDGER = _Ledger()


def active(config: Mapping[str, Any] | None, today: dt.date | None = None) -> list[Waiver]:
    """The unexpired waivers in a policy's config."""
    today = today or dt.date.today()
    entries: Sequence[Any] = (config or {}).get(CONFIG_KEY) or []
    parsed = [Waiver.model_validate(dict(entry)) for entry in entries]
    return [waiver for waiver in parsed if waiver.expires >= today]


def guard(
    policy: str, config: Mapping[str, Any] | None, report: ReportViolation, *, default_urn: str
) -> Report:
    """`report`, except that violations covered by an active waiver go to the ledger."""
    in_force = active(config)

    def report_unless_waived(message: str, urn: str | None = None) -> None:
        target = urn or default_urn
        waiver = next((w for w in in_force if w.covers(policy, target)), None)
        if waiver is None:
            report(message, urn)
        else:
            LEDGER.add(WaivedViolation(policy, target, message, waiver))

    return report_unless_waived


def _report_waived(args: StackValidationArgs, report: ReportViolation) -> None:
    for entry in LEDGER.entries():
        waiver = entry.waiver
        report(
            f"waived {entry.policy}: {entry.message} (justification: {waiver.justification}; "
            f"approved by {waiver.approver}; expires {waiver.expires.isoformat()})",
            entry.urn or None,
        )


WAIVERS_IN_EFFECT_POLICY = StackValidationPolicy(
    name="waivers-in-effect",
    description="Lists every violation that an approved waiver exempts, so none is hidden.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_report_waived,
)
