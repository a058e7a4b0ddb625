"""The LLM gateway: the LiteLLM release it runs is past the 2026 advisories, no tenant's
gateway budget exceeds its AWS budget, and self-hosted models are reachable only through it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.gateway.contract import DYNAMIC_RESOURCE_TYPE, TENANT_METADATA
from components.gateway.release import advisory_problem
from components.serving.contract import MODEL_SERVER_LABEL
from policies.props import as_list, dig, known, of_type
from policies.report import Report
from policies.rule import Config, Param, narrowest, resource_rule, stack_rule
from policies.rules.cost import tenant_budgets
from policies.rules.kubernetes import (
    NETWORK_POLICY,
    POD_SPEC_PATHS,
    WORKLOADS,
    denied_directions,
    pod_spec_of,
    policy_types,
)

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
METRICS_PORT_NAME = "metrics"
"""The container port name of a model server's metrics-only endpoint (its sidecar's)."""

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
        limit = budgets[tenant][1]
        if gateway_budget > limit:
            report(
                f"gateway budget {gateway_budget:g} USD is above the tenant's AWS budget "
                f"{limit:g} USD",
                team.urn,
            )


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether a label selector matches pods with `labels` (Exists, In and equality terms; an
    expression this check does not model counts as matching, the cautious reading)."""
    if any(
        labels.get(key) != value for key, value in dig(selector, "matchLabels", default={}).items()
    ):
        return False
    for expression in as_list(dig(selector, "matchExpressions")):
        key, operator = dig(expression, "key"), dig(expression, "operator")
        if operator == "Exists" and key not in labels:
            return False
        if operator == "In" and labels.get(key) not in as_list(dig(expression, "values")):
            return False
    return True


def _from_gateway(peer: Mapping[str, Any], gateway_namespaces: Sequence[str]) -> bool:
    """A peer naming the gateway's namespace by name and some of its pods by label."""
    namespace = dig(peer, "namespaceSelector", "matchLabels", NAMESPACE_NAME_LABEL)
    pods = dig(peer, "podSelector", "matchLabels", default={})
    return namespace in gateway_namespaces and bool(pods) and not dig(peer, "ipBlock")


def _model_servers(
    args: StackValidationArgs,
) -> Iterator[tuple[PolicyResource, str, Mapping[str, Any]]]:
    """(workload, namespace, pod labels) of every workload whose pods are model servers."""
    for workload in of_type(args, *WORKLOADS):
        # The pod template's metadata sits next to its spec (a Pod's own metadata for a Pod).
        template = POD_SPEC_PATHS[workload.resource_type][:-1]
        labels = dig(workload.props, *template, "metadata", "labels", default={})
        if MODEL_SERVER_LABEL in labels:
            yield (
                workload,
                str(dig(workload.props, "metadata", "namespace", default="default")),
                labels,
            )


def _metrics_ports(workload: PolicyResource) -> set[object]:
    """The ports, by number and by name, of the workload's containers' `metrics` ports."""
    pod = pod_spec_of(workload.resource_type, workload.props)
    found: set[object] = set()
    for container in as_list(dig(pod, "containers")):
        for port in as_list(dig(container, "ports")):
            if dig(port, "name") == METRICS_PORT_NAME:
                found |= {METRICS_PORT_NAME, dig(port, "containerPort")}
    return found


def _metrics_only(rule: Any, metrics_ports: set[object]) -> bool:
    """An ingress rule that opens metrics ports and nothing else (no ports means all)."""
    ports = as_list(dig(rule, "ports"))
    return bool(ports) and all(dig(p, "port") in metrics_ports for p in ports)


@stack_rule(
    id="gateway-model-servers-only-from-gateway",
    area="gateway",
    description="Self-hosted model servers (pods labelled plinth.dev/model-server) accept "
    "traffic only from the gateway's pods: their namespace denies ingress by default and no "
    "NetworkPolicy admits any other peer, so no team bypasses the gateway's keys, budgets, "
    "limits, guardrail and logs by calling a model directly. Only a metrics port (a container "
    "port named `metrics`) may admit others, such as a metrics collector.",
    severity="high",
    remediation="Keep the model servers in plinth-models (plinth:gateway.servedModels); for "
    "your own, add a default-deny NetworkPolicy to their namespace and admit only peers with a "
    "namespaceSelector on kubernetes.io/metadata.name of the gateway namespace and a "
    "podSelector on the proxy pods (others only on a port named `metrics` that serves "
    "nothing but metrics).",
    controls={
        "soc2": ["CC6.1", "CC6.6"],
        "nist-800-53": ["AC-4", "SC-7"],
        "nist-ai-rmf": ["GOVERN 6.1"],
    },
    params=(
        Param(
            name="gatewayNamespaces",
            description="Namespaces the LLM gateway runs in.",
            schema={"type": "array", "items": {"type": "string"}},
            default=["plinth-gateway"],
            merge=narrowest,
        ),
    ),
)
def model_servers_only_from_gateway(
    args: StackValidationArgs, report: Report, config: Config
) -> None:
    policies = of_type(args, NETWORK_POLICY)
    for workload, namespace, labels in _model_servers(args):
        metrics_ports = _metrics_ports(workload)
        placed = [p for p in policies if dig(p.props, "metadata", "namespace") == namespace]
        if not any("Ingress" in denied_directions(p) for p in placed):
            report(
                f"namespace {namespace!r} has no default-deny ingress NetworkPolicy", workload.urn
            )
        for policy in placed:
            spec = dig(policy.props, "spec", default={})
            if "Ingress" not in policy_types(spec) or not _selects(
                dig(spec, "podSelector", default={}), labels
            ):
                continue
            for rule in as_list(dig(spec, "ingress")):
                peers = as_list(dig(rule, "from"))
                if _metrics_only(rule, metrics_ports):
                    continue
                if not peers or not all(
                    _from_gateway(p, config["gatewayNamespaces"]) for p in peers
                ):
                    name = dig(policy.props, "metadata", "name")
                    report(
                        f"NetworkPolicy {name!r} admits peers other than the gateway's pods",
                        workload.urn,
                    )
