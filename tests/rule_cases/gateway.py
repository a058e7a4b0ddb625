"""Fixtures for policies/rules/gateway.py."""

from __future__ import annotations

from rule_cases import complies, res, violates

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "oci://ghcr.io/berriai/litellm-helm"


def release(version: str | None, tag: str | None = None, chart: str = CHART):  # type: ignore[no-untyped-def]
    values = {"image": {"tag": tag}} if tag else {}
    props = {"chart": chart, "values": values, **({"version": version} if version else {})}
    return res(RELEASE, "litellm", props)


RULE = "gateway-litellm-past-advisories"
CASES = [
    complies(RULE, "Plinth's pin", release("1.104.0", "v1.104.0")),
    complies(RULE, "the first fixed release", release("1.83.7", "v1.83.7-stable")),
    complies(RULE, "another chart", release("1.0.0", chart="gpu-operator")),
    violates(RULE, "chart before the fix", release("1.83.6")),
    violates(RULE, "chart unpinned", release(None)),
    violates(RULE, "image tag before the fix", release("1.104.0", "v1.81.16")),
    violates(RULE, "a compromised release", release("1.82.8")),
    violates(RULE, "chart by repository name", release("1.80.0", chart="litellm-helm")),
]

BUDGET_RULE = "gateway-budget-within-tenant-budget"
BUDGET = "aws:budgets/budget:Budget"
DYNAMIC = "pulumi-python:dynamic:Resource"


def tenant_budget(tenant: str, limit: str):  # type: ignore[no-untyped-def]
    cost_filters = [{"name": "TagKeyValue", "values": [f"user:project${tenant}"]}]
    return res(BUDGET, f"{tenant}-budget", {"limitAmount": limit, "costFilters": cost_filters})


def team(tenant: str, budget: float):  # type: ignore[no-untyped-def]
    props = {"team_id": tenant, "max_budget": budget, "metadata": {"plinth_tenant": tenant}}
    return res(DYNAMIC, f"{tenant}-gateway-team", props)


CASES += [
    complies(BUDGET_RULE, "within", tenant_budget("search", "2000"), team("search", 500)),
    complies(BUDGET_RULE, "equal", tenant_budget("search", "500"), team("search", 500)),
    violates(
        BUDGET_RULE,
        "above",
        tenant_budget("search", "400"),
        team("search", 500),
        expect="above the tenant's AWS budget 400",
    ),
    violates(BUDGET_RULE, "no AWS budget", team("search", 500), expect="no AWS budget"),
    complies(
        BUDGET_RULE,
        "another dynamic resource",
        res(DYNAMIC, "other", {"max_budget": 1e9}),
    ),
]
