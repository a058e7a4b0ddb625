"""The stack's metrics workspace (`plinth:observability`): what the dev stack builds for it, how
its alerts reach the alarm topic, and the spec's refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from support import (
    KMS_KEY,
    ROLE_POLICY,
    ROOT,
    dev_stack_document,
    dev_tenants,
    iam_findings,
    named,
    of_type,
    one,
    preview_dev,
)

from components.gateway.bootstrap import owner_of_new_database
from components.observability.alerts import rule_groups
from components.observability.dashboards import dashboards
from components.observability.trace_config import TRACES_ENDPOINT, redaction_statements
from plinth.cost import ingestion_estimate
from plinth.engine import Preview, ResourceRecord, preview_stack
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import PlinthSpec, SpecError, load_spec

WORKSPACE = "aws:amp/workspace:Workspace"
TOPIC = "aws:sns/topic:Topic"


def _dev_spec() -> PlinthSpec:
    project = find_project(ROOT)
    return load_spec(load_stack_config(project, "dev").values, project.root)


def _operation_pattern(operation: str, member: str) -> str:
    model = botocore.session.get_session().get_service_model("amp")
    pattern: str = model.operation_model(operation).input_shape.members[member].metadata["pattern"]
    return pattern


def test_the_workspace_is_encrypted_with_the_platform_key_and_logs_to_its_group(
    dev_preview: Preview,
) -> None:
    workspace = one(dev_preview, WORKSPACE)
    platform_key = one(dev_preview, KMS_KEY, "plinth-dev-platform")
    assert workspace.property_dependencies["kmsKeyArn"] == (platform_key.urn,)
    assert workspace.plain_inputs["alias"] == "plinth-dev"
    log_group = one(dev_preview, "aws:cloudwatch/logGroup:LogGroup", "plinth-dev-metrics-logs")
    assert log_group.plain_inputs["name"] == "/aws/vendedlogs/prometheus/plinth-dev"
    assert log_group.property_dependencies["kmsKeyId"] == (platform_key.urn,)
    # AMP's CreateLoggingConfiguration wants the group's ARN with `:*` (its own pattern).
    log_group_arn = workspace.plain_inputs["loggingConfiguration"]["logGroupArn"]
    assert re.fullmatch(
        _operation_pattern("CreateLoggingConfiguration", "logGroupArn"), log_group_arn
    )
    retention = one(dev_preview, "aws:amp/workspaceConfiguration:WorkspaceConfiguration")
    assert retention.plain_inputs["retentionPeriodInDays"] == 150


def test_the_rules_are_the_platforms_with_the_stacks_thresholds(dev_preview: Preview) -> None:
    rules = one(dev_preview, "aws:amp/ruleGroupNamespace:RuleGroupNamespace")
    spec = _dev_spec()
    assert spec.observability is not None
    assert yaml.safe_load(rules.plain_inputs["data"]) == rule_groups(
        spec.observability.alerts.thresholds()
    )
    alerts = {
        r["alert"]
        for g in yaml.safe_load(rules.plain_inputs["data"])["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert alerts == {
        "GpuPoolIdle",
        "TenantLlmBudgetNearlySpent",
        "TenantLlmBudgetSpent",
        "GuardrailInterventionsHigh",
        "GatewayErrorRateHigh",
        "GpuXidError",
    }


def test_alerts_page_the_alarm_topic_which_lets_only_this_accounts_workspaces_publish(
    dev_preview: Preview,
) -> None:
    topic = one(dev_preview, TOPIC, "plinth-dev-security-alarms")
    definition = one(dev_preview, "aws:amp/alertManagerDefinition:AlertManagerDefinition")
    config = yaml.safe_load(
        yaml.safe_load(definition.plain_inputs["definition"])["alertmanager_config"]
    )
    (receiver,) = config["receivers"]
    (sns,) = receiver["sns_configs"]
    # The topic's ARN, read from the topic (the mocks make up its value).
    assert definition.property_dependencies["definition"] == (topic.urn,)
    assert sns["topic_arn"].startswith("arn:aws:sns:us-east-1:123456789012:")
    assert sns["sigv4"] == {"region": "us-east-1"}
    assert config["route"]["receiver"] == receiver["name"]
    statements = {s["Sid"]: s for s in json.loads(topic.plain_inputs["policy"])["Statement"]}
    amp = statements["PublishedByThisAccountsPrometheusWorkspaces"]
    assert amp["Principal"] == {"Service": "aps.amazonaws.com"}
    assert sorted(amp["Action"]) == ["sns:GetTopicAttributes", "sns:Publish"]
    assert amp["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:aps:us-east-1:123456789012:workspace/*"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    key = one(dev_preview, KMS_KEY, "plinth-dev-security-alarms-key")
    key_statements = {s["Sid"]: s for s in json.loads(key.plain_inputs["policy"])["Statement"]}
    publish = key_statements["PrometheusAlertsPublishToTopicsEncryptedWithIt"]
    assert publish["Principal"] == {"Service": "aps.amazonaws.com"}
    assert publish["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_a_stack_without_trail_alarms_still_gets_a_topic_for_its_alerts(tmp_path: Path) -> None:
    preview = preview_dev(tmp_path, {"plinth:compliance": {"profiles": ["baseline"]}})
    assert not of_type(preview, "aws:cloudwatch/metricAlarm:MetricAlarm")
    topic = one(preview, TOPIC, "plinth-dev-security-alarms")
    definition = one(preview, "aws:amp/alertManagerDefinition:AlertManagerDefinition")
    assert topic.plain_inputs["name"] in definition.plain_inputs["definition"]


def test_without_observability_no_workspace_and_no_grant_to_prometheus(tmp_path: Path) -> None:
    preview = preview_dev(tmp_path, removals=("plinth:observability",))
    assert not [r for r in preview.resources if r.type.startswith("aws:amp/")]
    topic = one(preview, TOPIC, "plinth-dev-security-alarms")
    assert "aps.amazonaws.com" not in topic.plain_inputs["policy"]


@pytest.mark.parametrize(
    ("observability", "where"),
    [
        ({"retentionDays": 2000}, "plinth:observability.retentionDays"),
        ({"alerts": {"gatewayErrorRate": 1.5}}, "plinth:observability.alerts.gatewayErrorRate"),
        ({"alerts": {"gpuIdleHours": 0}}, "plinth:observability.alerts.gpuIdleHours"),
        ({"scrape": True}, "plinth:observability.scrape"),
    ],
)
def test_the_spec_refuses_bad_observability_settings(
    observability: dict[str, object], where: str
) -> None:
    project = find_project(ROOT)
    config = dict(load_stack_config(project, "dev").values)
    config["plinth:observability"] = json.dumps(observability)
    with pytest.raises(SpecError) as refused:
        load_spec(config, project.root)
    assert where in str(refused.value)


def test_a_tenant_stack_leaves_observability_to_its_platform() -> None:
    project = find_project(ROOT)
    config = dict(load_stack_config(project, "dev-vision").values)
    config["plinth:observability"] = "{}"
    with pytest.raises(SpecError) as refused:
        load_spec(config, project.root)
    assert "plinth:observability" in str(refused.value)


# --- collection -------------------------------------------------------------------------------

SCRAPER = "aws:amp/scraper:Scraper"


def test_each_eks_cluster_has_a_managed_collector_writing_to_the_workspace(
    dev_preview: Preview,
) -> None:
    scraper = one(dev_preview, SCRAPER)
    workspace = one(dev_preview, WORKSPACE)
    cluster = one(dev_preview, "aws:eks/cluster:Cluster", "plinth-dev-gpu")
    source = scraper.plain_inputs["source"]["eks"]
    assert (
        scraper.property_dependencies["source"] == (cluster.urn,)
        or cluster.urn in (scraper.property_dependencies["source"])
    )
    subnets = {s.id for s in of_type(dev_preview, "aws:ec2/subnet:Subnet", "private")}
    assert set(source["subnetIds"]) == subnets
    assert len(subnets) >= 2  # the collector needs two zones
    assert source["clusterArn"] == "arn:aws:eks:us-east-1:123456789012:cluster/plinth-dev-gpu"
    assert workspace.urn in scraper.property_dependencies["destination"]
    assert re.fullmatch(
        r"arn:aws:aps:us-east-1:123456789012:workspace/ws-[0-9a-f-]{36}",
        scraper.plain_inputs["destination"]["amp"]["workspaceArn"],
    )
    assert scraper.plain_inputs["alias"] == "plinth-dev-gpu"


def test_the_collector_writes_through_roles_only_this_accounts_collectors_reach(
    dev_preview: Preview,
) -> None:
    source = one(dev_preview, "aws:iam/role:Role", "plinth-dev-gpu-metrics-collector-source")
    target = one(dev_preview, "aws:iam/role:Role", "plinth-dev-gpu-metrics-collector-target")
    (trusted,) = json.loads(source.plain_inputs["assumeRolePolicy"])["Statement"]
    assert trusted["Principal"] == {"Service": "scraper.aps.amazonaws.com"}
    assert trusted["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:aps:us-east-1:123456789012:scraper/*"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    (assumed,) = json.loads(target.plain_inputs["assumeRolePolicy"])["Statement"]
    assert target.property_dependencies["assumeRolePolicy"] == (source.urn,)
    assert assumed["Condition"] == {
        "StringLike": {"sts:ExternalId": "arn:aws:aps:us-east-1:123456789012:scraper/*"}
    }
    writes = one(dev_preview, ROLE_POLICY, "plinth-dev-gpu-metrics-collector-target-writes")
    (write,) = json.loads(writes.plain_inputs["policy"])["Statement"]
    assert write["Action"] == ["aps:RemoteWrite"]
    assert (
        write["Resource"]
        == one(dev_preview, SCRAPER).plain_inputs["destination"]["amp"]["workspaceArn"]
    )
    assert iam_findings(writes.plain_inputs["policy"]) == []
    scraper = one(dev_preview, SCRAPER)
    roles = scraper.plain_inputs["roleConfiguration"]
    assert set(scraper.property_dependencies["roleConfiguration"]) == {source.urn, target.urn}
    assert roles["sourceRoleArn"].endswith(":role/" + source.plain_inputs.get("name", source.id))


def test_the_collector_scrapes_gpus_per_tenant_kueue_and_the_gateway(dev_preview: Preview) -> None:
    config = yaml.safe_load(one(dev_preview, SCRAPER).plain_inputs["scrapeConfiguration"])
    assert config["global"]["scrape_interval"] == "30s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"kube-state-metrics", "dcgm-exporter", "kueue", "vllm", "llm-gateway"}
    # DCGM's namespace and pod labels name the GPU's workload, not the exporter.
    assert jobs["dcgm-exporter"]["honor_labels"] is True
    keep = jobs["dcgm-exporter"]["relabel_configs"][0]
    assert keep["regex"] == "gpu-operator;nvidia-dcgm-exporter;gpu-metrics"
    assert jobs["llm-gateway"]["metrics_path"] == "/metrics/"
    assert all(
        {"target_label": "cluster", "replacement": "gpu"} in job["relabel_configs"]
        for job in jobs.values()
    )
    release = one(dev_preview, "kubernetes:helm.sh/v3:Release", "kube-state-metrics")
    assert (release.plain_inputs["chart"], release.plain_inputs["version"]) == (
        "kube-state-metrics",
        "8.4.0",
    )
    assert release.plain_inputs["values"]["metricLabelsAllowlist"] == [
        "nodes=[plinth.dev/gpu-pool]"
    ]
    gateway = one(dev_preview, "kubernetes:helm.sh/v3:Release", "gateway")
    assert (
        "prometheus"
        in gateway.plain_inputs["values"]["proxy_config"]["litellm_settings"]["callbacks"]
    )


def test_a_coreweave_cluster_gets_no_managed_collector() -> None:
    preview = preview_stack(ROOT / "infra", "coreweave")
    assert not of_type(preview, SCRAPER)


# --- traces -----------------------------------------------------------------------------------

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _env(deployment: ResourceRecord) -> dict[str, Any]:
    (container,) = deployment.plain_inputs["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_phoenix_signs_in_to_its_own_database_with_iam_and_keeps_secrets_out_of_its_spec(
    dev_preview: Preview,
) -> None:
    phoenix = one(dev_preview, DEPLOYMENT, "plinth-dev-traces-phoenix")
    (container,) = phoenix.plain_inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "arizephoenix/phoenix:version-20.26.1-nonroot"
    env = _env(phoenix)
    assert env["PHOENIX_POSTGRES_USE_AWS_IAM_AUTH"] == "true"
    assert (env["PHOENIX_POSTGRES_USER"], env["PHOENIX_POSTGRES_DB"]) == ("phoenix", "phoenix")
    assert "PHOENIX_POSTGRES_PASSWORD" not in env
    assert env["PHOENIX_ENABLE_AUTH"] == "true"
    assert env["PHOENIX_DEFAULT_RETENTION_POLICY_DAYS"] == "30"
    for secret in (
        "PHOENIX_SECRET",
        "PHOENIX_ADMIN_SECRET",
        "PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD",
    ):
        assert env[secret] == {"secretKeyRef": {"name": "phoenix-secrets", "key": ANY_KEY[secret]}}
    role = named(dev_preview, ROLE_POLICY, "plinth-dev-traces-phoenix-policy")
    statements = json.loads(role.plain_inputs["policy"])["Statement"]
    connect = next(s for s in statements if s["Action"] == ["rds-db:connect"])
    assert connect["Resource"].endswith("/phoenix")
    assert connect["Resource"].startswith("arn:aws:rds-db:us-east-1:123456789012:dbuser:")
    secrets = [s.name for s in of_type(dev_preview, "aws:secretsmanager/secret:Secret", "traces")]
    assert sorted(secrets) == [
        "plinth-dev-traces-admin-password",
        "plinth-dev-traces-admin-secret",
        "plinth-dev-traces-jwt-secret",
    ]
    job = one(dev_preview, "kubernetes:batch/v1:Job", "plinth-dev-traces-db-bootstrap")
    (psql,) = job.plain_inputs["spec"]["template"]["spec"]["containers"]
    script = next(e["value"] for e in psql["env"] if e["name"] == "BOOTSTRAP_SQL")
    assert script == owner_of_new_database("phoenix", "phoenix")


ANY_KEY = {
    "PHOENIX_SECRET": "jwt-secret",
    "PHOENIX_ADMIN_SECRET": "admin-secret",
    "PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD": "admin-password",
}


def test_only_the_gateway_and_tenants_reach_the_collector_and_only_it_reaches_phoenix(
    dev_preview: Preview,
) -> None:
    senders = one(dev_preview, POLICY, "plinth-dev-traces-allow-senders").plain_inputs["spec"]
    (rule,) = senders["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "plinth-gateway"}}},
        {
            "namespaceSelector": {
                "matchExpressions": [{"key": "plinth.dev/tenant", "operator": "Exists"}]
            }
        },
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 4318}]
    to_phoenix = named(dev_preview, POLICY, "plinth-dev-traces-allow-collector").plain_inputs[
        "spec"
    ]
    (rule,) = to_phoenix["ingress"]
    assert rule["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}
    ]
    gateway_egress = one(dev_preview, POLICY, "plinth-dev-gateway-allow-egress").plain_inputs[
        "spec"
    ]
    assert {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "plinth-observability"}
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": 4318}],
    } in gateway_egress["egress"]
    services = of_type(dev_preview, "kubernetes:core/v1:Service", "plinth-dev-traces")
    assert {s.plain_inputs["spec"]["type"] for s in services} == {"ClusterIP"}


def test_the_gateway_sends_its_traces_to_the_collector_which_redacts_unallowed_teams(
    dev_preview: Preview,
) -> None:
    values = one(dev_preview, "kubernetes:helm.sh/v3:Release", "gateway").plain_inputs["values"]
    assert "arize_phoenix" in values["proxy_config"]["litellm_settings"]["callbacks"]
    assert values["envVars"]["PHOENIX_COLLECTOR_HTTP_ENDPOINT"] == TRACES_ENDPOINT
    assert values["envVars"]["PHOENIX_PROJECT_NAME"] == "plinth-gateway"
    config_map = one(
        dev_preview, "kubernetes:core/v1:ConfigMap", "plinth-dev-traces-otel-collector"
    )
    config = yaml.safe_load(config_map.plain_inputs["data"]["config.yaml"])
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["processors"] == [
        "memory_limiter",
        "transform/strip",
        "k8sattributes",
        "transform/tenant",
        "transform/redact",
        "batch",
    ]
    spans, events = config["processors"]["transform/redact"]["trace_statements"]
    assert (spans["context"], events["context"]) == ("span", "spanevent")
    allowed = sorted(
        name
        for name, tenant in dev_tenants().items()
        if tenant.get("gateway", {}).get("logMessages")
    )
    assert spans["statements"] == redaction_statements(allowed, "plinth-gateway")
    assert events["statements"] == redaction_statements(allowed, "plinth-gateway", on_events=True)


def test_the_collector_names_the_sender_from_its_pod_not_from_its_claims(
    dev_preview: Preview,
) -> None:
    config_map = one(
        dev_preview, "kubernetes:core/v1:ConfigMap", "plinth-dev-traces-otel-collector"
    )
    config = yaml.safe_load(config_map.plain_inputs["data"]["config.yaml"])
    # What a sender may not claim is dropped first: k8sattributes keeps what a sender set.
    (strip,) = config["processors"]["transform/strip"]["trace_statements"]
    assert strip == {
        "context": "resource",
        "statements": [
            'delete_matching_keys(attributes, "^k8s\\\\.")',
            'delete_key(attributes, "plinth.tenant")',
        ],
    }
    pipeline = config["service"]["pipelines"]["traces"]["processors"]
    assert pipeline.index("transform/strip") < pipeline.index("k8sattributes")
    lookup = config["processors"]["k8sattributes"]
    assert lookup["pod_association"] == [{"sources": [{"from": "connection"}]}]
    assert lookup["extract"]["metadata"] == ["k8s.namespace.name"]
    resource, span = config["processors"]["transform/tenant"]["trace_statements"]
    assert resource["context"] == "resource"
    assert resource["statements"][1] == (
        'set(attributes["openinference.project.name"], attributes["k8s.namespace.name"]) '
        'where attributes["k8s.namespace.name"] != nil '
        'and attributes["k8s.namespace.name"] != "plinth-gateway"'
    )
    # A tenant the sender wrote is dropped before the collector writes its own.
    assert span["statements"][0] == 'delete_key(attributes, "plinth.tenant")'
    reader = one(dev_preview, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "pod-reader")
    (rule,) = reader.plain_inputs["rules"]
    assert rule == {
        "apiGroups": [""],
        "resources": ["pods", "namespaces"],
        "verbs": ["get", "list", "watch"],
    }
    deployment = one(dev_preview, "kubernetes:apps/v1:Deployment", "traces-otel-collector")
    assert deployment.plain_inputs["spec"]["template"]["spec"]["automountServiceAccountToken"]
    phoenix = one(dev_preview, "kubernetes:apps/v1:Deployment", "traces-phoenix")
    assert not phoenix.plain_inputs["spec"]["template"]["spec"]["automountServiceAccountToken"]


def test_redaction_keeps_content_only_for_allowed_tenants_by_team_or_sending_namespace() -> None:
    (first, *_) = redaction_statements(["search"], "plinth-gateway")
    namespace = 'resource.attributes["k8s.namespace.name"]'
    assert first == (
        'delete_matching_keys(attributes, "^(input|output)\\\\.value$") where not '
        f'(({namespace} == "plinth-gateway" and '
        'IsMatch(attributes["litellm.team_id"], "^(search)$")) '
        f'or IsMatch({namespace}, "^(search)$"))'
    )
    # On span events the team is the span's attribute.
    (on_event, *_) = redaction_statements(["search"], "plinth-gateway", on_events=True)
    assert 'IsMatch(span.attributes["litellm.team_id"], "^(search)$")' in on_event
    # No tenant allowed: every span loses its content, with no condition at all.
    nobody = redaction_statements([], "plinth-gateway")
    assert all(" where " not in statement for statement in nobody)
    assert len(nobody) == len(redaction_statements(["search"], "plinth-gateway"))


def test_traces_need_the_gateway() -> None:
    project = find_project(ROOT)
    config = dict(load_stack_config(project, "dev").values)
    del config["plinth:gateway"]
    config["plinth:tenants"] = "[]"
    with pytest.raises(SpecError) as refused:
        load_spec(config, project.root)
    assert "plinth:observability.traces" in str(refused.value)


# --- dashboards -------------------------------------------------------------------------------


def test_the_dashboards_are_config_maps_for_grafanas_sidecar(dev_preview: Preview) -> None:
    maps = [
        m
        for m in of_type(dev_preview, "kubernetes:core/v1:ConfigMap", "plinth-dev-dashboard")
        if m.plain_inputs["metadata"].get("labels") == {"grafana_dashboard": "1"}
    ]
    assert {m.plain_inputs["metadata"]["namespace"] for m in maps} == {"plinth-observability"}
    loaded = {
        file_name: json.loads(text)
        for m in maps
        for file_name, text in m.plain_inputs["data"].items()
    }
    assert loaded == dashboards()
    namespace = one(dev_preview, "kubernetes:core/v1:Namespace", "plinth-dev-observability")
    assert all(namespace.urn in m.depends_on for m in maps)


def test_without_traces_the_dashboards_get_a_namespace_of_their_own(
    dev_preview: Preview, tmp_path: Path
) -> None:
    document = dev_stack_document()["config"]["plinth:observability"]
    preview = preview_dev(
        tmp_path, {"plinth:observability": {k: v for k, v in document.items() if k != "traces"}}
    )
    namespace = one(preview, "kubernetes:core/v1:Namespace", "plinth-dev-observability-namespace")
    # The same resource as with traces, so turning traces on or off keeps the namespace.
    with_traces = one(dev_preview, "kubernetes:core/v1:Namespace", "plinth-dev-observ")
    assert namespace.urn == with_traces.urn
    assert namespace.plain_inputs["metadata"]["name"] == "plinth-observability"
    assert namespace.plain_inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    assert len(of_type(preview, "kubernetes:core/v1:ConfigMap", "plinth-dev-dashboard")) == 4
    assert not of_type(preview, DEPLOYMENT, "plinth-dev-traces")


def test_the_cost_estimate_sizes_ingestion_from_targets_and_interval() -> None:
    spec = _dev_spec()
    # The dev stack: pool l40s at 2 single-GPU nodes, one EKS cluster, search granted 2 models,
    # one served model replica: 26 x 2 GPUs + 25 x 2 nodes + 1,700 for the cluster + 100 x 2
    # grants + 500 for the replica = 2,502 series, each sampled every 30 s for a 730-hour
    # month: 2,502 x 87,600 = 219.2 million samples.
    assert ingestion_estimate(spec) == (
        "about 219 million samples a month at 30 s (2,502 series: 2 GPUs at the pools' "
        "largest, 2 GPU nodes, 1 cluster(s), 2 gateway team-model grants, 1 served model "
        "replica(s))"
    )
    assert spec.observability is not None
    faster = spec.model_copy(
        update={
            "observability": spec.observability.model_copy(update={"scrape_interval_seconds": 15})
        }
    )
    assert ingestion_estimate(faster).startswith("about 438 million samples a month at 15 s")
