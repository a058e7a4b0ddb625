"""Audit results: findings with their compliance controls, and the summary that gates CI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plinth.audit.analyzer import Analysis
from plinth.audit.fixes import Fix, FixFinder
from plinth.engine.result import STACK_TYPE, Preview
from policies.rule import Rule
from policies.rules import RULES_BY_ID
from policies.waivers import Waiver

SEVERITY_ORDER = ("critical", "high", "medium", "low", "unspecified")
ENFORCEMENT_ORDER = ("mandatory", "advisory")


@dataclass(frozen=True)
class Finding:
    policy: str
    severity: str
    enforcement: str
    urn: str
    type: str
    name: str
    message: str
    controls: Mapping[str, tuple[str, ...]]
    waiver: Waiver | None = None
    fix: Fix | None = None
    """In a Plinth stack, the stack- or tenant-file key to edit (plinth/audit/fixes.py)."""

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocking(self) -> bool:
        """A mandatory finding no waiver covers: it fails the audit."""
        return self.enforcement == "mandatory" and not self.waived

    def sort_key(self) -> tuple[int, int, str, str]:
        return (
            ENFORCEMENT_ORDER.index(self.enforcement)
            if self.enforcement in ENFORCEMENT_ORDER
            else 9,
            SEVERITY_ORDER.index(self.severity),
            self.policy,
            self.urn,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "policy": self.policy,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "controls": {fw: list(ids) for fw, ids in self.controls.items()},
            "waived": self.waived,
        }
        if self.waiver is not None:
            data["waiver"] = self.waiver.to_config()
        if self.fix is not None:
            data["fix"] = self.fix.to_json()
        return data


@dataclass
class AuditReport:
    project: str
    stack: str
    profiles: list[str]
    rules: list[Rule]
    levels: dict[str, str]
    """Each rule's enforcement level under the profiles."""
    findings: list[Finding]
    preview: Preview = field(repr=False)
    external_guardrails: tuple[str, ...] = ()
    """Account guardrails the stack declares provided outside it."""
    waivers: tuple[Waiver, ...] = ()
    """The waivers the audit applied."""
    fail_on: str | None = None
    """`--fail-on`: a severity at which unwaived findings fail the audit, advisory or not."""

    @property
    def unused_waivers(self) -> list[Waiver]:
        """Waivers that waived nothing: a finding fixed since, or a resource pattern that
        matches no resource; either way the waiver is worth removing or correcting."""
        used = {f.waiver for f in self.findings if f.waiver is not None}
        return [w for w in self.waivers if w not in used]

    def warnings(self) -> list[str]:
        return [
            f"warning: the waiver of {w.policy} for {w.resource!r} matches no finding: "
            "remove it, or correct its resource"
            for w in self.unused_waivers
        ]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def failing(self) -> list[Finding]:
        """What fails the audit: unwaived mandatory findings and, with `fail_on`, unwaived
        findings of that severity or worse, advisory ones included."""
        if self.fail_on is None:
            return self.blocking
        # SEVERITY_ORDER runs from the worst: "or worse" is "at or before it".
        floor = SEVERITY_ORDER.index(self.fail_on)
        return [
            f
            for f in self.findings
            if f.blocking or (not f.waived and SEVERITY_ORDER.index(f.severity) <= floor)
        ]

    @property
    def passed(self) -> bool:
        return not self.failing

    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def findings_of(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.policy == rule_id]

    def checked(self, rule: Rule) -> int:
        """How many resources a resource rule looked at (all of them for stack rules)."""
        resources = [r for r in self.preview.resources if r.type != STACK_TYPE]
        if rule.kind == "stack" or not rule.types:
            return len(resources)
        return sum(1 for r in resources if r.type in rule.types)

    def status(self, rule: Rule) -> str:
        """pass, fail, advisory, waived or disabled: the rule's result on this stack."""
        if self.levels.get(rule.id) == "disabled":
            return "disabled"
        found = self.findings_of(rule.id)
        if any(f.blocking for f in found):
            return "fail"
        if any(not f.waived for f in found):
            return "advisory"
        return "waived" if found else "pass"

    def summary(self) -> dict[str, Any]:
        unwaived = [f for f in self.findings if not f.waived]
        return {
            "passed": self.passed,
            "failOn": self.fail_on,
            "profiles": self.profiles,
            "resources": len(self.preview.resources),
            "rules": sum(1 for r in self.rules if self.levels.get(r.id) != "disabled"),
            "findings": len(self.findings),
            "mandatory": len(self.blocking),
            "advisory": sum(1 for f in unwaived if f.enforcement != "mandatory"),
            "waived": sum(1 for f in self.findings if f.waived),
            "bySeverity": dict(Counter(f.severity for f in unwaived)),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "findings": [f.to_json() for f in self.findings],
            "summary": self.summary(),
            "unusedWaivers": [w.to_config() for w in self.unused_waivers],
        }


def build_findings(
    analysis: Analysis, preview: Preview, levels: Mapping[str, str], fixes: FixFinder | None
) -> list[Finding]:
    """Findings from the analyzer's diagnostics and the waiver ledger, most serious first;
    with `fixes`, each says the key of the project's files to edit."""
    by_urn = {r.urn: r for r in preview.resources}
    root = preview.root

    def finding(
        policy: str, urn: str, message: str, enforcement: str, waiver: Waiver | None
    ) -> Finding:
        rule = RULES_BY_ID.get(policy)
        record = by_urn.get(urn) or root
        return Finding(
            policy=policy,
            severity=rule.severity if rule else "unspecified",
            enforcement=enforcement,
            urn=record.urn if record else urn,
            type=record.type if record else STACK_TYPE,
            name=record.name if record else "",
            message=message,
            controls=rule.controls if rule else {},
            waiver=waiver,
            fix=fixes.fix_for(rule, urn) if fixes else None,
        )

    findings = [
        finding(d.policy, d.urn, d.message, d.enforcement, None) for d in analysis.diagnostics
    ]
    findings += [
        finding(w.policy, w.urn, w.message, levels.get(w.policy, "mandatory"), w.waiver)
        for w in analysis.waived
    ]
    return sorted(findings, key=Finding.sort_key)


def rules_for_framework(rules: Sequence[Rule], framework: str) -> dict[str, list[Rule]]:
    """Control id -> the rules that support it, for one framework."""
    controls: dict[str, list[Rule]] = {}
    for rule in rules:
        for control in rule.controls.get(framework, ()):
            controls.setdefault(control, []).append(rule)
    return controls
