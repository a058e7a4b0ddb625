"""Every rule reaches its verdict on its violating and compliant fixtures (tests/rule_cases)."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter

import pytest
import rule_cases
from rule_cases import Case

from plinth.audit.analyzer import analyze
from policies.pack import PACK_NAME, checked_types, pack_config, policies
from policies.rules import ALL_RULES


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in pkgutil.iter_modules(rule_cases.__path__):
        cases.extend(importlib.import_module(f"rule_cases.{module.name}").CASES)
    return cases


CASES = _all_cases()


def _run(case: Case) -> list[str]:
    config = pack_config(case.profiles)
    config[case.rule] = {**config[case.rule], **case.config}
    result = analyze(case.resources, policies(), config, PACK_NAME, checked_types())
    return [d.message for d in result.diagnostics if d.policy == case.rule]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.verdict}:{c.note}" for c in CASES])
def test_rule_verdict(case: Case) -> None:
    messages = _run(case)
    if case.verdict == "complies":
        # No violation, and no "can't run policy during preview" note either: a rule that
        # stopped on an unknown value has not shown compliance.
        assert messages == []
    else:
        verdicts = [m for m in messages if not m.startswith("can't run policy")]
        assert verdicts, f"the rule reported no violation: {messages}"
        assert any(case.expect in m for m in verdicts), verdicts


def test_every_rule_has_both_fixtures() -> None:
    seen = Counter((case.rule, case.verdict) for case in CASES)
    missing = [
        f"{rule.id}:{verdict}"
        for rule in ALL_RULES
        for verdict in ("violates", "complies")
        if not seen[(rule.id, verdict)]
    ]
    assert missing == []


def test_cases_name_real_rules() -> None:
    known = {rule.id for rule in ALL_RULES}
    assert {case.rule for case in CASES} <= known
