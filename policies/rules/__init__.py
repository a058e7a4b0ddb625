"""Every rule of the pack, gathered from the area modules of this package in file order."""

from __future__ import annotations

from types import ModuleType

from policies.rule import Rule
from policies.rules import (
    audit,
    bedrock,
    cost,
    database,
    eks,
    gateway,
    gpu,
    guardrails,
    iam,
    kms,
    kubernetes,
    messaging,
    mlops,
    network,
    observability,
    protection,
    rbac,
    residency,
    secrets,
    storage,
    workloads,
)

AREA_MODULES: tuple[ModuleType, ...] = (
    storage,
    kms,
    iam,
    secrets,
    network,
    eks,
    gpu,
    kubernetes,
    workloads,
    rbac,
    database,
    messaging,
    bedrock,
    gateway,
    observability,
    mlops,
    audit,
    guardrails,
    residency,
    protection,
    cost,
)


def _rules_of(module: ModuleType) -> list[Rule]:
    return [value for value in vars(module).values() if isinstance(value, Rule)]


ALL_RULES: tuple[Rule, ...] = tuple(rule for module in AREA_MODULES for rule in _rules_of(module))
RULES_BY_ID = {rule.id: rule for rule in ALL_RULES}
