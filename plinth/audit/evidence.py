"""`plinth audit --framework`: evidence per control of a compliance framework, for an auditor:
each control Plinth's rules support, the rules' results and the account guardrails behind it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from components.tenant.contract import PLATFORM_REFERENCE
from plinth.audit.findings import AuditReport, rules_for_framework
from plinth.audit.render import STATUS_STYLE, md_cell, verdict
from plinth.engine.render import short_type
from policies.catalog import FRAMEWORKS, Framework
from policies.rule import Rule
from policies.rules import RULES_BY_ID
from policies.rules.guardrails import GUARDRAIL_EVIDENCE, STACK_REFERENCE


def evidence(report: AuditReport, framework: str) -> dict[str, Any]:
    """For each control of `framework` that Plinth's rules support: the rules and results."""
    fw = FRAMEWORKS[framework]
    mapped = rules_for_framework(report.rules, framework)
    controls = []
    for control, title in fw.controls.items():
        rules = mapped.get(control, [])
        controls.append(
            {
                "control": control,
                "title": title,
                "status": _control_status([report.status(r) for r in rules]),
                "rules": [
                    {
                        "policy": r.id,
                        "status": report.status(r),
                        "enforcement": report.levels.get(r.id, "mandatory"),
                        "resourcesChecked": report.checked(r),
                        "kind": r.kind,
                        "findings": [f.to_json() for f in report.findings_of(r.id)],
                    }
                    for r in rules
                ],
            }
        )
    return {
        "guardrails": _guardrail_evidence(report, fw, mapped),
        "framework": {
            "key": fw.key,
            "name": fw.name,
            "version": fw.version,
            "reference": fw.reference,
        },
        "project": report.project,
        "stack": report.stack,
        "profiles": report.profiles,
        "controls": controls,
        "summary": report.summary(),
    }


def _guardrail_evidence(
    report: AuditReport, framework: Framework, mapped: Mapping[str, Sequence[Rule]]
) -> list[dict[str, Any]]:
    """The account guardrails behind the framework's controls: who provides each (this stack,
    outside it, or no one), the resources that make it up, and the controls its rules support."""
    tenant_stack = any(
        r.type == STACK_REFERENCE and r.name == PLATFORM_REFERENCE for r in report.preview.resources
    )
    evidence = []
    for entry in GUARDRAIL_EVIDENCE:
        # In the framework's own order (the catalog's), as the controls table lists them.
        controls = [
            control
            for control in framework.controls
            if any(rule.id in entry.rules for rule in mapped.get(control, ()))
        ]
        if not controls:
            continue
        resources = [
            r
            for r in report.preview.resources
            if r.type in entry.types and entry.selects(r.plain_inputs)
        ]
        status = _control_status([report.status(RULES_BY_ID[r]) for r in entry.rules])
        if entry.guardrail in report.external_guardrails:
            provided = "outside this stack"
        elif resources:
            provided = "this stack"
        elif tenant_stack:
            provided = "platform stack"
        else:
            # e.g. invocation logging in a stack that does not use Bedrock
            provided = "not needed" if status == "pass" else "missing"
        evidence.append(
            {
                "guardrail": entry.guardrail.value,
                "providedBy": provided,
                "resources": dict(Counter(r.type for r in resources)),
                "controls": controls,
                "status": status,
            }
        )
    return evidence


def _resource_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} × {short_type(type_)}" for type_, n in counts.items()) or "none"


def _checked(rule: Mapping[str, Any]) -> str:
    if rule["kind"] == "stack":
        return "stack-wide"
    return f"{rule['resourcesChecked']} checked"


def _control_status(statuses: Sequence[str]) -> str:
    if not statuses:
        return "no rules"
    for status in ("fail", "advisory", "waived"):
        if status in statuses:
            return status
    return "pass" if "pass" in statuses else "disabled"


def evidence_table(report: AuditReport, framework: str) -> Group:
    data = evidence(report, framework)
    fw = data["framework"]
    table = Table(
        title=f"{fw['name']} ({fw['version']}) evidence for {report.project}/{report.stack}",
        title_justify="left",
    )
    for column in ("control", "title", "status", "rules (result, resources checked)"):
        table.add_column(column, overflow="fold")
    for c in data["controls"]:
        rules = "\n".join(f"{r['policy']}: {r['status']} ({_checked(r)})" for r in c["rules"])
        table.add_row(
            c["control"],
            c["title"],
            Text(c["status"], style=STATUS_STYLE.get(c["status"], "")),
            rules,
        )
    guardrails = Table(title="Account guardrails behind these controls", title_justify="left")
    for column in ("guardrail", "provided by", "resources", "controls", "status"):
        guardrails.add_column(column, overflow="fold")
    for g in data["guardrails"]:
        guardrails.add_row(
            g["guardrail"],
            g["providedBy"],
            _resource_counts(g["resources"]),
            ", ".join(g["controls"]),
            Text(g["status"], style=STATUS_STYLE.get(g["status"], "")),
        )
    return Group(
        table,
        guardrails,
        Text(verdict(report), style="bold green" if report.passed else "bold red"),
    )


def evidence_markdown(report: AuditReport, framework: str) -> str:
    data = evidence(report, framework)
    fw = data["framework"]
    lines = [
        f"### {fw['name']} ({fw['version']}) evidence: `{report.project}/{report.stack}`",
        "",
        f"Reference: {fw['reference']}",
        "",
        verdict(report),
        "",
        "| control | title | status | rules |",
        "|---|---|---|---|",
    ]
    for c in data["controls"]:
        rules = "<br>".join(f"`{r['policy']}`: {r['status']} ({_checked(r)})" for r in c["rules"])
        lines.append(f"| {c['control']} | {md_cell(c['title'])} | {c['status']} | {rules} |")
    lines += [
        "",
        "#### Account guardrails behind these controls",
        "",
        "| guardrail | provided by | resources | controls | status |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {g['guardrail']} | {g['providedBy']} | {md_cell(_resource_counts(g['resources']))} "
        f"| {', '.join(g['controls'])} | {g['status']} |"
        for g in data["guardrails"]
    ]
    return "\n".join(lines) + "\n"
