"""The stack's metrics workspace (`plinth:observability`): what the dev stack builds for it, how
its alerts reach the alarm topic, and the spec's refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest
import yaml
from support import KMS_KEY, ROOT, of_type, one, preview_dev

from components.observability.alerts import rule_groups
from plinth.engine import Preview
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
