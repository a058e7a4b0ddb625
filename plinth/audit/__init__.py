"""`plinth audit`: the offline engine's capture, checked by the policy pack.

Inputs (profiles, the waivers file, the stack's `plinth:compliance` settings) are validated
before the program runs; every problem is reported at once as a SpecError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from plinth import yaml_files
from plinth.audit.analyzer import analyze, audit_resources
from plinth.audit.findings import AuditReport, Finding, build_findings
from plinth.audit.fixes import FixFinder
from plinth.engine import Preview, preview_stack, saved
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import NAMESPACE, namespace_values
from plinth.spec.errors import Problem, SpecError, problems_from_validation_error
from plinth.spec.guardrails import GuardrailsSpec
from plinth.spec.model import ComplianceSpec
from policies.pack import PACK_NAME, check_profiles, checked_types, pack_config, policies
from policies.rules import ALL_RULES, RULES_BY_ID
from policies.waivers import Waiver

__all__ = ["AuditReport", "Finding", "StackCompliance", "audit_preview", "audit_stack"]


@dataclass(frozen=True)
class StackCompliance:
    """The profiles, waivers and external account guardrails an audit applies."""

    profiles: list[str]
    waivers: list[Waiver]
    external_guardrails: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    """Rules switched off for this audit (`--skip`)."""

    def pack_config(self) -> dict[str, Any]:
        """The policy-pack config these stand for (`plinth policy-config` writes it)."""
        config = pack_config(self.profiles, self.waivers, self.external_guardrails)
        for rule in self.skipped:
            config[rule]["enforcementLevel"] = "disabled"
        return config


def not_a_rule(rule: str) -> str:
    """Why `rule` is refused as a rule id, with the closest id when there is one."""
    close = difflib.get_close_matches(rule, sorted(RULES_BY_ID), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{rule!r} is not a rule id ({hint}see `plinth rules`)"


def check_rule_ids(ids: Sequence[str], option: str) -> tuple[str, ...]:
    """`ids` if each is a rule id, else one SpecError listing every unknown one."""
    problems = [
        Problem(f"{option}[{index}]", not_a_rule(rule))
        for index, rule in enumerate(ids)
        if rule not in RULES_BY_ID
    ]
    if problems:
        raise SpecError(problems, f"{option} option")
    return tuple(ids)


def load_waivers(path: Path, today: dt.date | None = None) -> list[Waiver]:
    """Read and check a waivers file: malformed, expired or unknown-rule waivers are errors,
    all of them reported together (an entry's format and its rule and date at once)."""
    source = f"waivers file {path}"
    try:
        raw = yaml_files.load(path) or {}
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError([Problem(str(path), f"cannot read: {error}")], source) from None
    except yaml.YAMLError as error:
        where = "\n".join(f"    {line}" for line in str(error).splitlines())
        raise SpecError([Problem(str(path), f"not valid YAML:\n{where}")], source) from None
    entries = raw.get("waivers") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or set(raw) - {"waivers"} or not isinstance(entries, list):
        raise SpecError(
            [Problem("waivers", "the file must be a mapping with one key, waivers: a list")], source
        )
    today = today or dt.date.today()
    problems: list[Problem] = []
    waivers: list[Waiver] = []
    for index, entry in enumerate(entries):
        where = f"waivers[{index}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, f"{entry!r} is not a waiver: {WAIVER_KEYS}"))
            continue
        try:
            waivers.append(Waiver.model_validate(entry))
        except ValidationError as error:
            problems += problems_from_validation_error(error, Waiver, f"{where}.")
        problems += _waiver_content_problems(where, entry, today)
    if problems:
        raise SpecError(problems, source)
    return waivers


WAIVER_KEYS = "a mapping of policy, resource, justification, approver and expires"


def _waiver_content_problems(where: str, entry: Mapping[str, Any], today: dt.date) -> list[Problem]:
    """An unknown rule or a past expiry date, checked whenever the value is readable, so they
    come out with the entry's format problems instead of on the next run."""
    problems = []
    policy, expires = entry.get("policy"), entry.get("expires")
    if isinstance(policy, str) and policy and policy not in RULES_BY_ID:
        problems.append(Problem(f"{where}.policy", not_a_rule(policy)))
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = dt.date.fromisoformat(expires)
    if isinstance(expires, dt.date) and expires < today:
        problems.append(
            Problem(
                f"{where}.expires",
                f"expired on {expires.isoformat()}; renew it with a new approval or remove it",
            )
        )
    return problems


def stack_compliance(
    program_dir: Path,
    stack: str,
    *,
    profiles: Sequence[str] | None = None,
    waivers_file: Path | None = None,
    config_file: Path | None = None,
    skip: Sequence[str] = (),
) -> StackCompliance:
    """Profiles (flag, else the stack's `plinth:compliance.profiles`, else baseline) and
    waivers (flag, else `plinth:compliance.waivers`), all checked before anything runs."""
    project = find_project(program_dir)
    config = load_stack_config(project, stack, config_file)
    values = namespace_values(config.values)
    spec = _section(ComplianceSpec, values, "compliance")
    guardrails = _section(GuardrailsSpec, values, "guardrails")
    chosen = list(profiles) if profiles else [p.value for p in spec.profiles]
    if waivers_file is None and spec.waivers:
        waivers_file = project.root / spec.waivers
    waivers = load_waivers(waivers_file) if waivers_file else []
    return StackCompliance(
        profiles=check_profiles(chosen),
        waivers=waivers,
        external_guardrails=tuple(g.value for g in guardrails.external),
        skipped=check_rule_ids(skip, "--skip"),
    )


Section = TypeVar("Section", bound=BaseModel)


def _section(model: type[Section], values: Mapping[str, Any], key: str) -> Section:
    """One section of the stack's `plinth:` namespace, validated on its own (so `plinth audit
    --program` works on programs whose other keys Plinth does not know)."""
    try:
        return model.model_validate(values.get(key, {}))
    except ValidationError as error:
        problems = problems_from_validation_error(error, model, f"{NAMESPACE}:{key}.")
        raise SpecError(problems) from None


def audit_preview(
    preview: Preview, compliance: StackCompliance, fixes: FixFinder | None = None
) -> AuditReport:
    """Run every rule of the pack on a captured preview; with `fixes`, each finding on a
    Plinth stack names the key of the stack or tenant file that fixes it."""
    config = compliance.pack_config()
    analysis = analyze(audit_resources(preview), policies(), config, PACK_NAME, checked_types())
    levels = {name: entry["enforcementLevel"] for name, entry in config.items()}
    return AuditReport(
        project=preview.project,
        stack=preview.stack,
        profiles=compliance.profiles,
        rules=list(ALL_RULES),
        levels=levels,
        findings=build_findings(analysis, preview, levels, fixes),
        preview=preview,
        external_guardrails=compliance.external_guardrails,
        waivers=tuple(compliance.waivers),
    )


def audit_stack(
    program_dir: Path,
    stack: str,
    *,
    profiles: Sequence[str] | None = None,
    waivers_file: Path | None = None,
    config_file: Path | None = None,
    stack_outputs_file: Path | None = None,
    skip: Sequence[str] = (),
    preview_file: Path | None = None,
    use_cache: bool = False,
) -> AuditReport:
    """The stack's preview (run, cached, or read from `preview_file`, a saved preview) under
    the pack, with the stack's profiles and waivers."""
    compliance = stack_compliance(
        program_dir,
        stack,
        profiles=profiles,
        waivers_file=waivers_file,
        config_file=config_file,
        skip=skip,
    )
    preview = (
        saved.read(preview_file)
        if preview_file is not None
        else preview_stack(
            program_dir,
            stack,
            config_file=config_file,
            stack_outputs_file=stack_outputs_file,
            use_cache=use_cache,
        )
    )
    fixes = FixFinder(preview, find_project(program_dir).root, config_file)
    return audit_preview(preview, compliance, fixes)
