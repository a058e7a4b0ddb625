"""Audit reports for people (table, Markdown) and for tools (JSON, SARIF 2.1.0, JUnit XML)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite
from rich.console import Group
from rich.table import Table
from rich.text import Text

from plinth.audit.findings import AuditReport, Finding, rules_for_framework
from plinth.engine.render import short_type
from plinth.origins import key_pattern
from policies.catalog import FRAMEWORKS, PROFILES
from policies.rule import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/plinth-platform/plinth#policy-pack"
# GitHub code scanning ranks security results by this CVSS-like score.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "advisory": "yellow",
    "waived": "cyan",
    "disabled": "dim",
}


def verdict(report: AuditReport) -> str:
    """One line: passed or failed, the finding counts, rules, resources and profiles."""
    return summary_verdict(report.summary())


def summary_verdict(s: Mapping[str, Any]) -> str:
    """`verdict` from an audit summary (the `policy` of a preview's JSON)."""
    head = "PASSED" if s["passed"] else "FAILED"
    if s.get("failOn"):
        head += f" (--fail-on {s['failOn']})"
    return (
        f"{head}: {s['mandatory']} mandatory, {s['advisory']} advisory, {s['waived']} waived "
        f"finding(s); {s['rules']} rules on {s['resources']} resources; "
        f"profiles {'+'.join(s['profiles'])}"
    )


def _resource(finding: Finding) -> str:
    return f"{finding.name} ({short_type(finding.type)})" if finding.name else "(stack)"


def grouped(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings of one rule with one message (so one fix) and one outcome, together, in the
    order their first one comes: a rule that fails on 17 buckets is one entry, not 17."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in findings:
        key = (finding.policy, finding.message, finding.blocking, finding.waiver, finding.fix)
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


def _resources(group: Sequence[Finding]) -> str:
    names = [_resource(f) for f in group]
    return names[0] if len(names) == 1 else f"{len(names)} resources:\n" + "\n".join(names)


def _controls_text(finding: Finding) -> str:
    return "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in finding.controls.items())


# ---- table -------------------------------------------------------------------------------


def to_table(report: AuditReport) -> Group:
    table = Table(title=f"Policy audit of {report.project}/{report.stack}", title_justify="left")
    table.add_column("result", no_wrap=True)
    table.add_column("policy / resource", overflow="fold", ratio=2)
    table.add_column("finding", overflow="fold", ratio=3)
    for group in grouped(report.findings):
        f = group[0]
        status = "waived" if f.waived else "fail" if f.blocking else "advisory"
        label = {"fail": "MANDATORY"}.get(status, status)
        result = Text(f"{label}\n{f.severity}", style=STATUS_STYLE[status])
        where = Text(f.policy, style="bold")
        where.append(f"\n{_resources(group)}", style="dim")
        message = f.message + (f"\nfix: {f.fix.text()}" if f.fix else "")
        message += f"\nwaiver: {f.waiver.justification}" if f.waiver else ""
        table.add_row(result, where, message)
    line = Text(verdict(report), style="bold green" if report.passed else "bold red")
    parts: list[Any] = [table] if report.findings else []
    return Group(*parts, line)


def summary_line(report: AuditReport) -> Text:
    """The one line `plinth preview` prints under the resource tree."""
    return Text(f"Policies: {verdict(report)}", style="green" if report.passed else "red")


# ---- JSON --------------------------------------------------------------------------------


def to_json(report: AuditReport) -> str:
    return json.dumps(report.to_json(), indent=2)


# ---- Markdown ----------------------------------------------------------------------------


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def to_markdown(report: AuditReport) -> str:
    """A pull-request comment: verdict, blocking findings, then the rest folded away."""
    mark = "✅" if report.passed else "❌"
    lines = [
        f"### {mark} Plinth policy audit: `{report.project}/{report.stack}`",
        "",
        verdict(report),
        "",
    ]
    groups = (
        ("Mandatory findings", [f for f in report.findings if f.blocking], False),
        (
            "Advisory findings",
            [f for f in report.findings if not f.waived and not f.blocking],
            True,
        ),
        ("Waived findings", [f for f in report.findings if f.waived], True),
    )
    for title, findings, folded in groups:
        if not findings:
            continue
        lines += (
            [f"<details><summary>{title} ({len(findings)})</summary>", ""]
            if folded
            else [f"#### {title}", ""]
        )
        lines += ["| severity | policy | resource | finding | controls |", "|---|---|---|---|---|"]
        for group in grouped(findings):
            f = group[0]
            finding = md_cell(f.message)
            if f.fix:
                finding += f"<br>fix: {md_cell(f.fix.text())}"
            if f.waiver:
                finding += (
                    f"<br>waived: {md_cell(f.waiver.justification)} "
                    f"({md_cell(f.waiver.approver)}, until {f.waiver.expires})"
                )
            where = "<br>".join(f"`{md_cell(_resource(each))}`" for each in group)
            if len(group) > 1:
                where = f"{len(group)} resources:<br>{where}"
            cells = (f.severity, f"`{f.policy}`", where, finding)
            lines.append(f"| {' | '.join(cells)} | {md_cell(_controls_text(f))} |")
        lines += ["", "</details>", ""] if folded else [""]
    return "\n".join(lines)


# ---- SARIF 2.1.0 -------------------------------------------------------------------------


def plinth_keys(rule: Rule) -> str:
    """The stack- or tenant-file keys that fix the rule's findings in a Plinth stack."""
    return ", ".join(key_pattern(kind, key) for kind, key in rule.fix.items())


def _help(rule: Rule) -> str:
    keys = f"In a Plinth stack, edit {plinth_keys(rule)}. Otherwise: " if rule.fix else ""
    return keys + rule.remediation


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    tags = [rule.area, *(f"{fw}:{c}" for fw, ids in rule.controls.items() for c in ids)]
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description},
        "help": {"text": _help(rule), "markdown": _help(rule)},
        "defaultConfiguration": {
            "level": "error" if rule.enforcement["baseline"] == "mandatory" else "warning"
        },
        "properties": {
            "tags": ["security", *tags],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }


def to_sarif(report: AuditReport, artifact: str) -> str:
    """SARIF for GitHub code scanning; `artifact` is the stack file, relative to the repo."""
    rules = report.rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in report.findings:
        fix = f"; fix: {f.fix.text()}" if f.fix else ""
        result: dict[str, Any] = {
            "ruleId": f.policy,
            "level": "error" if f.enforcement == "mandatory" else "warning",
            "message": {"text": f"{f.message}{fix} [{f.urn}]"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.fix.file if f.fix else artifact},
                        "region": {"startLine": f.fix.line if f.fix and f.fix.line else 1},
                    },
                    "logicalLocations": [
                        {"fullyQualifiedName": f.urn, "name": f.name or "stack", "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {
                "plinthFinding/v1": hashlib.sha256(
                    f"{f.policy}|{f.urn}|{f.message}".encode()
                ).hexdigest()
            },
        }
        if f.policy in index:
            result["ruleIndex"] = index[f.policy]
        if f.waiver is not None:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{f.waiver.justification} (approved by {f.waiver.approver}, "
                    f"expires {f.waiver.expires.isoformat()})",
                }
            ]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "plinth",
                        "informationUri": INFORMATION_URI,
                        "rules": [_sarif_rule(rule) for rule in rules],
                    }
                },
                "automationDetails": {"id": f"plinth-audit/{report.project}/{report.stack}/"},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)


# ---- JUnit XML ---------------------------------------------------------------------------


def to_junit(report: AuditReport) -> str:
    """One test case per rule: failed by unwaived mandatory findings, skipped when disabled."""
    suite = TestSuite(f"plinth policy audit {report.project}/{report.stack}")
    for rule in report.rules:
        case = TestCase(rule.id, classname=f"plinth.{rule.area}")
        found = report.findings_of(rule.id)
        if report.status(rule) == "disabled":
            case.result = [Skipped("disabled under the stack's profiles")]
        blocking = [f for f in found if f.blocking]
        if blocking:
            failure = Failure(f"{len(blocking)} mandatory finding(s)", type_=rule.severity)
            failure.text = "\n".join(f"{f.urn}: {f.message}" for f in blocking)
            case.result = [failure]
        others = [f for f in found if not f.blocking]
        if others:
            case.system_out = "\n".join(
                f"{'waived' if f.waived else f.enforcement}: {f.urn}: {f.message}" for f in others
            )
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    text: bytes = xml.tostring()  # type: ignore[no-untyped-call]
    return text.decode()


# ---- the rule catalogue ------------------------------------------------------------------


def rules_table(rules: Sequence[Rule]) -> Group:
    """Every rule as a short block: id, severity, enforcement per profile, controls, fix."""
    blocks: list[Any] = [Text(f"Plinth policy pack: {len(rules)} rules", style="bold")]
    for rule in rules:
        block = Text()
        block.append(f"\n{rule.id}", style="bold")
        block.append(f"  {rule.severity}, {rule.kind} rule\n", style="dim")
        block.append(f"  {rule.description}\n")
        levels = ", ".join(f"{p} {rule.level(['baseline', p]).value}" for p in PROFILES)
        block.append(f"  enforcement: {levels}\n")
        for framework, ids in rule.controls.items():
            block.append(f"  {framework}: {', '.join(ids)}\n")
        if rule.fix:
            block.append(f"  in a Plinth stack, edit: {plinth_keys(rule)}\n", style="green")
        block.append(f"  fix: {rule.remediation}", style="green")
        blocks.append(block)
    return Group(*blocks)


def rules_json(rules: Sequence[Rule]) -> str:
    return json.dumps(
        [
            {
                "id": rule.id,
                "area": rule.area,
                "kind": rule.kind,
                "description": rule.description,
                "severity": rule.severity,
                "enforcement": {p: rule.level(["baseline", p]).value for p in PROFILES},
                "thresholds": {
                    param.name: {p: param.value_for(["baseline", p]) for p in PROFILES}
                    for param in rule.params
                },
                "remediation": rule.remediation,
                "plinthKeys": [key_pattern(kind, key) for kind, key in rule.fix.items()],
                "controls": {fw: list(ids) for fw, ids in rule.controls.items()},
                "types": list(rule.types),
            }
            for rule in rules
        ],
        indent=2,
    )


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"a table of {len(value)} entries (see the rule)"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "any"
    return md_cell(json.dumps(value) if isinstance(value, bool) else str(value))


def rules_markdown(rules: Sequence[Rule]) -> str:
    """The rule list and controls matrix of docs/policies.md (generated: `make docs`)."""
    lines = [
        f"{len(rules)} rules. Enforcement per profile: **M** mandatory, A advisory, - disabled.",
        "",
        "| rule | area | severity | " + " | ".join(PROFILES) + " | what it checks |",
        "|---|---|---|" + "---|" * len(PROFILES) + "---|",
    ]
    marks = {"mandatory": "**M**", "advisory": "A", "disabled": "-"}
    for rule in rules:
        levels = " | ".join(marks[rule.level(["baseline", p]).value] for p in PROFILES)
        row = (f"`{rule.id}`", rule.area, rule.severity, levels, md_cell(rule.description))
        lines.append(f"| {' | '.join(row)} |")
    lines += [
        "",
        "#### Thresholds by profile",
        "",
        "Set through each policy's config; a stack claiming several profiles gets the strictest.",
        "",
        "| rule | threshold | " + " | ".join(PROFILES) + " |",
        "|---|---|" + "---|" * len(PROFILES),
    ]
    for rule in rules:
        for param in rule.params:
            values = [_value(param.value_for(["baseline", p])) for p in PROFILES]
            cells = (
                values
                if len(set(values)) > 1
                else [f"{values[0]} (every profile)", *[""] * (len(PROFILES) - 1)]
            )
            lines.append(f"| `{rule.id}` | `{param.name}` | {' | '.join(cells)} |")
    for fw in FRAMEWORKS.values():
        mapped = rules_for_framework(rules, fw.key)
        lines += [
            "",
            f"#### {fw.name} ({fw.version})",
            "",
            "| control | title | rules |",
            "|---|---|---|",
        ]
        for control, title in fw.controls.items():
            ids = ", ".join(f"`{r.id}`" for r in mapped.get(control, [])) or "none yet"
            lines.append(f"| {control} | {md_cell(title)} | {ids} |")
    return "\n".join(lines) + "\n"
