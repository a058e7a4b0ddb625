"""Observability: the metrics and Grafana workspaces under a customer key, a trace store that is
private and signs its users in, prompts in traces only where the data classification allows,
and alerts wherever GPU pools run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import yaml
from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.gateway.contract import (
    CLASSIFICATION_TAG,
    DYNAMIC_RESOURCE_TYPE,
    LOGGABLE_CLASSIFICATIONS,
    TENANT_METADATA,
    TENANT_TAG,
)
from components.observability.trace_config import TEAM_ATTRIBUTE
from policies.props import ROOT_STACK, as_list, dig, known, of_type
from policies.report import Report
from policies.rule import Config, Param, advisory, all_of, resource_rule, stack_rule
from policies.rules.gpu import gpu_node_groups, gpu_node_pools
from policies.rules.kubernetes import SERVICE, WORKLOADS, pod_spec_of

WORKSPACE = "aws:amp/workspace:Workspace"
GRAFANA_WORKSPACE = "aws:grafana/workspace:Workspace"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
PHOENIX_IMAGE = "arizephoenix/phoenix"
OPT_OUT = "allow_client_message_redaction_opt_out"
"""The gateway team metadata that lets a team's requests keep their messages."""


@resource_rule(
    id="metrics-workspace-customer-key",
    area="observability",
    description="Amazon Managed Service for Prometheus workspaces are encrypted with a "
    "customer-managed KMS key, which the account can audit and revoke (AMP's default is an "
    "AWS owned key).",
    severity="medium",
    remediation="Give aws.amp.Workspace kms_key_arn a customer-managed key (Plinth uses the "
    "platform key under plinth:observability); an existing workspace is replaced to change it.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["SC-28"],
    },
    types=(WORKSPACE,),
)
def workspace_customer_key(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsKeyArn"):
        report("the workspace is encrypted with an AWS owned key, not a customer key")


@resource_rule(
    id="grafana-workspace-least-privilege",
    area="observability",
    description="Amazon Managed Grafana workspaces keep their data under a customer-managed KMS "
    "key and read through a role the platform writes: with service-managed permissions Grafana "
    "attaches AWS's broad managed policies (every workspace of a data source type in the "
    "account, or the organization).",
    severity="medium",
    remediation="Set permission_type CUSTOMER_MANAGED with a role_arn granting what the "
    "dashboards query, and kms_key_id a customer-managed key (plinth:observability.grafana "
    "does both).",
    controls={
        "hipaa": ["164.312(a)(1)", "164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1", "CC6.3"],
        "nist-800-53": ["AC-6", "SC-28"],
    },
    types=(GRAFANA_WORKSPACE,),
)
def grafana_least_privilege(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "permissionType") != "CUSTOMER_MANAGED":
        report("Grafana manages the workspace's permissions itself (AWS managed policies)")
    if not dig(args.props, "kmsKeyId"):
        report("the workspace is encrypted with an AWS owned key, not a customer key")


def _is_phoenix(image: object) -> bool:
    return isinstance(image, str) and image.split("@")[0].rsplit(":", 1)[0].endswith(PHOENIX_IMAGE)


@resource_rule(
    id="trace-store-private-and-authenticated",
    area="observability",
    description="A Phoenix trace store signs its users in and is reachable only inside the "
    "cluster: traces hold who asked what of which model, and Phoenix without authentication "
    "lets anyone who reaches it read them and delete them.",
    severity="high",
    remediation="Set PHOENIX_ENABLE_AUTH=true on the Phoenix container and keep its Service "
    "ClusterIP (plinth:observability.traces does both); reach it with kubectl port-forward.",
    controls={
        "hipaa": ["164.312(a)(1)", "164.312(d)"],
        "soc2": ["CC6.1", "CC6.6"],
        "nist-800-53": ["AC-3", "IA-2", "SC-7"],
        "nist-ai-rmf": ["MEASURE 2.7"],
    },
    types=(*WORKLOADS, SERVICE),
    params=(
        Param(
            name="phoenixLabels",
            description="Pod labels (key=value) any one of which marks Phoenix's pods.",
            schema={"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.*$"}},
            default=["app.kubernetes.io/name=phoenix", "app=phoenix"],
            merge=all_of,
        ),
    ),
)
def trace_store_private(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == SERVICE:
        selector = dig(args.props, "spec", "selector", default={})
        marks = [pair.partition("=") for pair in config["phoenixLabels"]]
        kind = dig(args.props, "spec", "type", default="ClusterIP")
        if any(selector.get(key) == value for key, _, value in marks) and kind != "ClusterIP":
            report(f"the trace store's Service is {kind}: reachable from outside the cluster")
        return
    for container in as_list(dig(pod_spec_of(args.resource_type, args.props), "containers")):
        if not _is_phoenix(dig(container, "image")):
            continue
        env = {dig(e, "name"): known(e, "value") for e in as_list(dig(container, "env"))}
        if str(env.get("PHOENIX_ENABLE_AUTH", "false")).lower() != "true":
            report("Phoenix runs without authentication (PHOENIX_ENABLE_AUTH is not true)")


def _classifications(args: StackValidationArgs) -> dict[str, str]:
    """Each tenant's data classification, from the tags its resources carry."""
    found: dict[str, str] = {}
    for resource in args.resources:
        if resource.resource_type == ROOT_STACK:
            continue  # its properties are the stack outputs, not inputs with tags
        tags = known(resource.props, "tags")
        if isinstance(tags, Mapping) and TENANT_TAG in tags and CLASSIFICATION_TAG in tags:
            found.setdefault(str(tags[TENANT_TAG]), str(tags[CLASSIFICATION_TAG]))
    return found


def _collector_kept_teams(resource: PolicyResource) -> Iterator[str]:
    """The teams a collector configuration keeps prompts for: the names in its redaction's
    `IsMatch(attributes["litellm.team_id"], "^(a|b)$")` conditions."""
    for text in dig(resource.props, "data", default={}).values():
        for processor in dig(_yaml(text), "processors", default={}).values():
            for group in as_list(dig(processor, "trace_statements")):
                for statement in as_list(dig(group, "statements")):
                    marker = f'attributes["{TEAM_ATTRIBUTE}"], "^('
                    if marker in str(statement):
                        names = str(statement).split(marker, 1)[1].split(")$", 1)[0]
                        yield from (n for n in names.split("|") if n)


@stack_rule(
    id="traces-prompts-only-where-allowed",
    area="observability",
    description="Prompts and completions stay out of the gateway's logs and traces for every "
    "tenant whose data is confidential or restricted: no gateway team of such a tenant may "
    "keep its messages, and no trace collector keeps them for it.",
    severity="high",
    remediation="Set gateway.logMessages to false in the tenant file (Plinth refuses true for "
    "confidential and restricted tenants), or lower the tenant's dataClassification if its data "
    "allows.",
    fix={"tenant": "gateway.logMessages"},
    controls={
        "hipaa": ["164.312(a)(1)"],
        "gdpr": ["Art. 5(1)(c)", "Art. 25"],
        "soc2": ["C1.1"],
        "nist-800-53": ["SI-12"],
        "nist-ai-rmf": ["MEASURE 2.10"],
    },
)
def traces_prompts_only_where_allowed(args: StackValidationArgs, report: Report, _: Config) -> None:
    classification = _classifications(args)

    def forbidden(tenant: str) -> str | None:
        found = classification.get(tenant)
        return found if found and found not in LOGGABLE_CLASSIFICATIONS else None

    for team in of_type(args, DYNAMIC_RESOURCE_TYPE):
        metadata: Any = dig(team.props, "metadata", default={})
        tenant = known(metadata, TENANT_METADATA)
        if tenant and known(metadata, OPT_OUT) is True and (kind := forbidden(str(tenant))):
            report(f"gateway team of {kind} tenant {tenant!r} may keep its messages", team.urn)
    for config_map in of_type(args, CONFIG_MAP):
        for tenant in _collector_kept_teams(config_map):
            if kind := forbidden(tenant):
                report(
                    f"the trace collector keeps prompts of {kind} tenant {tenant!r}", config_map.urn
                )


@stack_rule(
    id="gpu-pools-alerting",
    area="observability",
    description="A stack that runs GPU pools has alert rules that page on idle GPU pools and GPU "
    "faults, and an alert manager that delivers them: idle GPUs are the largest waste an AI "
    "platform has, and an XID error is a lost GPU.",
    severity="medium",
    remediation="Set plinth:observability in the stack file (the platform's rules, including "
    "GpuPoolIdle and GpuXidError, and an alert manager to the alarm topic).",
    fix={"*": "plinth:observability"},
    controls={
        "soc2": ["CC7.2"],
        "nist-800-53": ["SI-4", "CA-7"],
        "nist-ai-rmf": ["MEASURE 2.4", "MANAGE 4.1"],
    },
    enforcement=advisory(),
)
def gpu_pools_alerting(args: StackValidationArgs, report: Report, _: Config) -> None:
    pools = [*gpu_node_groups(args), *gpu_node_pools(args)]
    if not pools:
        return
    alerts = {
        str(rule.get("alert"))
        for namespace in of_type(args, RULE_GROUPS)
        for group in as_list(dig(_yaml(dig(namespace.props, "data")), "groups"))
        for rule in as_list(dig(group, "rules"))
        if isinstance(rule, Mapping)
    }
    missing = sorted({"GpuPoolIdle", "GpuXidError"} - alerts)
    if missing:
        report(f"{len(pools)} GPU pool(s) run with no alert rule {', '.join(missing)}")
    elif not of_type(args, ALERT_MANAGER):
        report("the GPU alert rules have no alert manager to deliver them")


def _yaml(text: object) -> Any:
    return _parsed(text) if isinstance(text, str) else None


@lru_cache(maxsize=256)
def _parsed(text: str) -> Any:
    """A document parsed once per audit however many rules read it (read-only: shared)."""
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        return None


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it."""
