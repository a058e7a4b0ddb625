"""Fixtures for policies/rules/observability.py."""

from __future__ import annotations

from typing import Any

import yaml

from components.observability.alerts import AlertThresholds, rule_groups
from components.observability.trace_config import collector_config
from rule_cases import complies, res, violates

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WORKSPACE = "aws:amp/workspace:Workspace"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
DYNAMIC = "pulumi-python:dynamic:Resource"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"

KEYED = "metrics-workspace-customer-key"
GRAFANA = "grafana-workspace-least-privilege"
GRAFANA_WORKSPACE = "aws:grafana/workspace:Workspace"
HARDENED_GRAFANA = {"permissionType": "CUSTOMER_MANAGED", "kmsKeyId": KEY}
PRIVATE = "trace-store-private-and-authenticated"
PROMPTS = "traces-prompts-only-where-allowed"
ALERTING = "gpu-pools-alerting"


def phoenix(env: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    container = {"name": "phoenix", "image": "arizephoenix/phoenix:version-20.26.1-nonroot"}
    template = {
        "metadata": {"labels": {"app.kubernetes.io/name": "phoenix"}},
        "spec": {"containers": [{**container, "env": env}]},
    }
    return res(
        DEPLOYMENT, "phoenix", {"metadata": {"namespace": "obs"}, "spec": {"template": template}}
    )


def service(kind: str):  # type: ignore[no-untyped-def]
    spec = {
        "type": kind,
        "selector": {"app.kubernetes.io/name": "phoenix"},
        "ports": [{"port": 6006}],
    }
    return res(SERVICE, "phoenix", {"metadata": {"namespace": "obs"}, "spec": spec})


def tenant_key(tenant: str, classification: str):  # type: ignore[no-untyped-def]
    tags = {"project": tenant, "data-classification": classification}
    return res("aws:kms/key:Key", f"{tenant}-key", {"tags": tags})


def team(tenant: str, keeps_messages: bool):  # type: ignore[no-untyped-def]
    metadata = {"plinth_tenant": tenant, "allow_client_message_redaction_opt_out": keeps_messages}
    return res(DYNAMIC, f"{tenant}-gateway-team", {"team_id": tenant, "metadata": metadata})


def collector(*kept: str):  # type: ignore[no-untyped-def]
    data = {"config.yaml": yaml.safe_dump(collector_config(list(kept), "plinth-gateway"))}
    return res(CONFIG_MAP, "otel-collector", {"metadata": {"namespace": "obs"}, "data": data})


def gpu_group():  # type: ignore[no-untyped-def]
    return res(
        NODE_GROUP,
        "gpu",
        {"instanceTypes": ["g6e.xlarge"], "scalingConfig": {"minSize": 0, "maxSize": 2}},
    )


def rules(**changes: Any):  # type: ignore[no-untyped-def]
    return res(
        RULE_GROUPS, "rules", {"data": yaml.safe_dump(rule_groups(AlertThresholds())), **changes}
    )


CASES = [
    complies(KEYED, "the platform key", res(WORKSPACE, "metrics", {"kmsKeyArn": KEY})),
    violates(KEYED, "AWS owned key", res(WORKSPACE, "metrics", {}), expect="AWS owned key"),
    complies(
        GRAFANA, "own role and platform key", res(GRAFANA_WORKSPACE, "grafana", HARDENED_GRAFANA)
    ),
    violates(
        GRAFANA,
        "service-managed permissions",
        res(
            GRAFANA_WORKSPACE, "grafana", {**HARDENED_GRAFANA, "permissionType": "SERVICE_MANAGED"}
        ),
        expect="AWS managed policies",
    ),
    violates(
        GRAFANA,
        "AWS owned key",
        res(GRAFANA_WORKSPACE, "grafana", {"permissionType": "CUSTOMER_MANAGED"}),
        expect="AWS owned key",
    ),
    complies(
        PRIVATE, "authentication on", phoenix([{"name": "PHOENIX_ENABLE_AUTH", "value": "true"}])
    ),
    violates(PRIVATE, "authentication left off", phoenix([]), expect="without authentication"),
    violates(
        PRIVATE,
        "authentication turned off",
        phoenix([{"name": "PHOENIX_ENABLE_AUTH", "value": "False"}]),
    ),
    complies(PRIVATE, "a ClusterIP Service", service("ClusterIP")),
    violates(PRIVATE, "a LoadBalancer Service", service("LoadBalancer"), expect="LoadBalancer"),
    complies(
        PROMPTS,
        "an internal tenant keeps its messages",
        tenant_key("search", "internal"),
        team("search", True),
        collector("search"),
    ),
    complies(
        PROMPTS,
        "a confidential tenant's messages are redacted",
        tenant_key("fraud", "confidential"),
        team("fraud", False),
        collector(),
    ),
    violates(
        PROMPTS,
        "a confidential tenant's team keeps messages",
        tenant_key("fraud", "confidential"),
        team("fraud", True),
        expect="confidential tenant 'fraud'",
    ),
    violates(
        PROMPTS,
        "the collector keeps a restricted tenant's prompts",
        tenant_key("vision", "restricted"),
        collector("vision"),
        expect="trace collector keeps prompts of restricted tenant 'vision'",
    ),
    complies(
        ALERTING,
        "GPU pools with their alerts",
        gpu_group(),
        rules(),
        res(ALERT_MANAGER, "alerts", {}),
    ),
    complies(
        ALERTING,
        "no GPU pool, no alerts needed",
        res(NODE_GROUP, "system", {"instanceTypes": ["m7i.large"]}),
    ),
    violates(ALERTING, "GPU pools and no alert rules", gpu_group(), expect="GpuPoolIdle"),
    violates(
        ALERTING,
        "alert rules that reach no one",
        gpu_group(),
        rules(),
        expect="no alert manager",
    ),
]
