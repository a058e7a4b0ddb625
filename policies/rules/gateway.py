"""The LLM gateway: the LiteLLM release it runs is past the 2026 advisories, and no tenant's
gateway budget exceeds its AWS budget."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.gateway.release import advisory_problem
from components.gateway.contract import DYNAMIC_RESOURCE_TYPE, TENANT_METADATA
from policies.props import dig, known, of_type
from policies.report import Report
from policies.rule import Config, resource_rule, stack_rule
from policies.rules.cost import tenant_budgets

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LITELLM_CHARTS = ("litellm-helm",)
"""The official chart's name, however it is referenced (OCI path or repository name)."""


def _is_litellm(chart: object) -> bool:
    return isinstance(chart, str) and chart.rstrip("/").rsplit("/", 1)[-1] in LITELLM_CHARTS


@resource_rule(
    id="gateway-litellm-past-advisories",
    area="gateway",
    description="A LiteLLM proxy chart and image are pinned to a release from 1.83.7 on, past "
    "the pre-auth SQL injection (CVE-2026-42208) and command injection (CVE-2026-42271), and "
    "never a compromised release.",
    severity="critical",
    remediation="Set plinth:gateway.version to 1.83.7 or later (Plinth pins 1.104.0); with "
    "the chart directly, pin its `version` and `image.tag` to such a release.",
    controls={
        "soc2": ["CC7.1", "CC8.1"],
        "pci": ["6.3.3"],
        "nist-800-53": ["SI-2"],
        "nist-ai-rmf": ["MANAGE 3.1"],
    },
    types=(HELM_RELEASE,),
)
def litellm_past_advisories(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not _is_litellm(dig(args.props, "chart")):
        return
    version = dig(args.props, "version")
    if not version:
        report("the chart version is not pinned")
    elif problem := advisory_problem(str(version)):
        report(f"chart: {problem}")
    tag = dig(args.props, "values", "image", "tag")
    if tag and (problem := advisory_problem(str(tag))):
        report(f"image tag: {problem}")


def _gateway_teams(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, str, float]]:
    """(resource, tenant, monthly budget) of every gateway team a Plinth stack creates."""
    for resource in of_type(args, DYNAMIC_RESOURCE_TYPE):
        tenant = known(dig(resource.props, "metadata", default={}), TENANT_METADATA)
        budget = known(resource.props, "max_budget")
        if tenant and isinstance(budget, (int, float)):
            yield resource, str(tenant), float(budget)


@stack_rule(
    id="gateway-budget-within-tenant-budget",
    area="gateway",
    description="A tenant's monthly LLM budget in the gateway is no larger than its monthly AWS "
    "budget: both come from the tenant file, and a gateway budget above the AWS one would "
    "let the team spend what its owner never agreed to.",
    severity="medium",
    remediation="Lower the tenant's gateway.monthlyBudgetUsd or raise its budget.monthlyUsd, "
    "in the tenant file.",
    fix={"tenant": "gateway.monthlyBudgetUsd"},
    controls={"soc2": ["CC6.1"], "nist-800-53": ["SC-6"], "nist-ai-rmf": ["MANAGE 1.3"]},
)
def gateway_budget_within_tenant_budget(
    args: StackValidationArgs, report: Report, _: Config
) -> None:
    budgets = tenant_budgets(args)
    for team, tenant, gateway_budget in _gateway_teams(args):
        if tenant not in budgets:
            report(f"tenant {tenant!r} has a gateway budget but no AWS budget", team.urn)
            continue
        _, limit = budgets[tenant]
        if gateway_budget > limit:
            report(
                f"gateway budget {gateway_budget:g} USD is above the tenant's AWS budget "
                f"{limit:g} USD",
                team.urn,
            )
