"""The pack's contents and its policy config per compliance profile.

`policies()` is what `__main__.py` hands to `PolicyPack`, and what `plinth audit` runs offline.
`pack_config()` is the policy config a profile (or several) stands for: each policy's
enforcement level and thresholds, plus the waivers that apply to it. It is exactly the JSON
that `pulumi preview --policy-pack policies --policy-pack-config FILE` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import Policy

from policies.catalog import PROFILES
from policies.rules import ALL_RULES
from policies.rules.guardrails import EXTERNAL_GUARDRAILS
from policies.waivers import CONFIG_KEY, WAIVERS_IN_EFFECT_POLICY, Waiver

PACK_NAME = "plinth"


def policies() -> list[Policy]:
    return [rule.policy() for rule in ALL_RULES] + [WAIVERS_IN_EFFECT_POLICY]


def checked_types() -> dict[str, tuple[str, ...]]:
    """The resource types each rule that names them checks, by policy name: the offline audit
    offers a resource only to the rules that check its type (the rest would return at once)."""
    return {rule.id: rule.types for rule in ALL_RULES if rule.types}


def check_profiles(profiles: Sequence[str]) -> list[str]:
    """The profiles to apply, baseline always included, in catalog order."""
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        raise ValueError(f"unknown profiles {unknown}; allowed: {', '.join(PROFILES)}")
    return [p for p in PROFILES if p == "baseline" or p in profiles]


def pack_config(
    profiles: Sequence[str],
    waivers: Sequence[Waiver] = (),
    external_guardrails: Sequence[str] = (),
) -> dict[str, Any]:
    """The policy-pack config for a stack that claims `profiles`: every policy's strictest
    enforcement and thresholds across those profiles, its waivers, and the account guardrails
    the stack declares provided outside it (`plinth:guardrails.external`)."""
    claimed = check_profiles(profiles)
    config: dict[str, Any] = {}
    for rule in ALL_RULES:
        entry: dict[str, Any] = {"enforcementLevel": rule.level(claimed).value}
        entry.update(rule.thresholds(claimed))
        if EXTERNAL_GUARDRAILS in rule.params:
            entry[EXTERNAL_GUARDRAILS.name] = list(external_guardrails)
        granted = [w.to_config() for w in waivers if w.policy == rule.id]
        if granted:
            entry[CONFIG_KEY] = granted
        config[rule.id] = entry
    config[WAIVERS_IN_EFFECT_POLICY.name] = {"enforcementLevel": "advisory"}
    return config
