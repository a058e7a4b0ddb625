"""Amazon Managed Grafana (`plinth:observability.grafana`): the workspace the coreweave stack
builds, its role, who signs in, and the dashboards provisioned through Grafana's API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from support import ROLE, ROLE_POLICY, ROOT, iam_findings, named, of_type, one

from components.observability.dashboards import dashboards
from components.observability.grafana import token_generation
from plinth.cost import estimate
from plinth.engine import Preview
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import SpecError, load_spec

WORKSPACE = "aws:grafana/workspace:Workspace"
PROMETHEUS = "aws:amp/workspace:Workspace"


def test_people_sign_in_through_identity_center_to_a_workspace_under_the_platform_key(
    coreweave_preview: Preview,
) -> None:
    workspace = one(coreweave_preview, WORKSPACE).plain_inputs
    assert workspace["authenticationProviders"] == ["AWS_SSO"]
    assert workspace["accountAccessType"] == "CURRENT_ACCOUNT"
    assert workspace["permissionType"] == "CUSTOMER_MANAGED"
    assert workspace["grafanaVersion"] == "12.4"
    platform_key = named(coreweave_preview, "aws:kms/key:Key", "plinth-cw-platform")
    assert workspace["kmsKeyId"].endswith(platform_key.id)
    assert json.loads(workspace["configuration"]) == {
        "unifiedAlerting": {"enabled": False},
        "plugins": {"pluginAdminEnabled": False},
    }
    roles = {
        r.plain_inputs["role"]: r.plain_inputs["groupIds"]
        for r in of_type(coreweave_preview, "aws:grafana/roleAssociation:RoleAssociation")
    }
    assert set(roles) == {"ADMIN", "VIEWER"}
    assert all(len(ids) == 1 and ids[0] for ids in roles.values())
    assert roles["ADMIN"] != roles["VIEWER"]


def test_the_workspace_role_queries_the_platform_workspace_only(
    coreweave_preview: Preview,
) -> None:
    role = named(coreweave_preview, ROLE, "plinth-cw-grafana")
    (trust,) = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "grafana.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:grafana:us-east-1:123456789012:/workspaces/*"},
    }
    policy = one(coreweave_preview, ROLE_POLICY, "plinth-cw-grafana-queries")
    query, key = json.loads(policy.plain_inputs["policy"])["Statement"]
    prometheus = one(coreweave_preview, PROMETHEUS)
    assert prometheus.urn in policy.property_dependencies["policy"]
    assert query["Action"] == [
        "aps:QueryMetrics",
        "aps:GetSeries",
        "aps:GetLabels",
        "aps:GetMetricMetadata",
    ]
    assert query["Resource"].startswith("arn:aws:aps:us-east-1:123456789012:workspace/ws-")
    assert key["Action"] == ["kms:Decrypt"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "aps.us-east-1.amazonaws.com"}}
    assert iam_findings(policy.plain_inputs["policy"]) == []
    workspace = one(coreweave_preview, WORKSPACE)
    assert workspace.plain_inputs["roleArn"] == ("arn:aws:iam::123456789012:role/plinth-cw-grafana")


def test_the_dashboards_reach_grafana_through_its_api_reading_the_workspace_with_sigv4(
    coreweave_preview: Preview,
) -> None:
    source = one(coreweave_preview, "grafana:oss/dataSource:DataSource").plain_inputs
    # From Amazon Managed Grafana 12 only this plugin signs with SigV4, not the core one.
    assert source["type"] == "grafana-amazonprometheus-datasource"
    assert source["isDefault"] is True
    assert source["url"].startswith("https://aps-workspaces.us-east-1.amazonaws.com/workspaces/")
    assert not source["url"].endswith("/")
    assert json.loads(source["jsonDataEncoded"]) == {
        "httpMethod": "POST",
        "sigV4Auth": True,
        "sigV4AuthType": "ec2_iam_role",
        "sigV4Region": "us-east-1",
    }
    provided = {
        json.loads(d.plain_inputs["configJson"])["uid"]: json.loads(d.plain_inputs["configJson"])
        for d in of_type(coreweave_preview, "grafana:oss/dashboard:Dashboard")
    }
    expected = dashboards("grafana-amazonprometheus-datasource")
    assert provided == {board["uid"]: board for board in expected.values()}
    # Every panel picks among data sources of that plugin, not the core one.
    for board in provided.values():
        (picker,) = board["templating"]["list"]
        assert picker["query"] == "grafana-amazonprometheus-datasource"
        assert {p["datasource"]["type"] for p in board["panels"]} == {
            "grafana-amazonprometheus-datasource"
        }
    folder = one(coreweave_preview, "grafana:oss/folder:Folder").plain_inputs
    assert folder["uid"] == "plinth"
    for dashboard in of_type(coreweave_preview, "grafana:oss/dashboard:Dashboard"):
        assert dashboard.plain_inputs["folder"] == "plinth"
        assert "$pulumi:providers:grafana::plinth-cw-grafana-api::" in dashboard.provider
    token = one(
        coreweave_preview,
        "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
    ).plain_inputs
    assert token["secondsToLive"] == 30 * 24 * 3600
    assert token["name"] == f"plinth-provisioner-{token_generation(date.today())}"
    # No ConfigMaps: the dashboards live in the managed workspace.
    assert not of_type(coreweave_preview, "kubernetes:core/v1:ConfigMap", "dashboard")


def test_the_token_is_renewed_every_fortnight_within_its_30_days() -> None:
    assert token_generation(date(2026, 12, 7)) == token_generation(date(2026, 12, 13))
    assert token_generation(date(2026, 12, 13)) != token_generation(date(2026, 12, 14))
    assert token_generation(date(2026, 12, 7)) == "2026-f25"


def _coreweave_config() -> dict[str, object]:
    project = find_project(ROOT)
    return dict(load_stack_config(project, "coreweave").values)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"plinth:identityCenter": None},
            "plinth:observability.grafana: Amazon Managed Grafana signs people in through IAM "
            "Identity Center: set plinth:identityCenter, or remove grafana",
        ),
        (
            {"plinth:observability": {"grafana": {"adminGroups": []}}},
            "plinth:observability.grafana.adminGroups: needs at least 1 entry",
        ),
        (
            {"plinth:observability": {"grafana": {"adminGroups": ["Ops\tTeam"]}}},
            "plinth:observability.grafana.adminGroups[0]: 'Ops\\tTeam' is not an IAM Identity "
            "Center group display name",
        ),
    ],
)
def test_the_spec_refuses_a_grafana_it_cannot_build(
    change: dict[str, object], expected: str
) -> None:
    config = _coreweave_config()
    for key, value in change.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = json.dumps(value)
    with pytest.raises(SpecError) as refused:
        load_spec(config, find_project(ROOT).root)
    assert expected in str(refused.value)


def test_the_cost_estimate_names_the_seats(tmp_path: Path) -> None:
    spec = load_spec(_coreweave_config(), find_project(ROOT).root)
    (line,) = [item for item in estimate(spec, "coreweave").not_estimated if "Grafana" in item.kind]
    assert line.count == 1
    assert "Platform Engineers (admin), ML Engineers (viewer)" in line.detail
