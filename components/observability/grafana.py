"""Amazon Managed Grafana for the platform's dashboards: a workspace people sign in to through
IAM Identity Center, reading the stack's Prometheus workspace with a role of its own, with the
data source, folder and dashboards provisioned through Grafana's API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pulumi
import pulumi_aws as aws
import pulumiverse_grafana as grafana

from components.iam import key_through, policy_document, service_trust_policy
from components.observability.dashboards import dashboards
from components.scope import AwsScope
from components.tenant.identity import group_id

GRAFANA_VERSION = "12.4"
"""A version pulumi_aws 7.51 lists (9.4, 10.4, 12.4, 13.2) whose Amazon Managed Service for
Prometheus data source plugin AWS documents; pinned so an upgrade is a reviewed change."""
DATA_SOURCE_TYPE = "grafana-amazonprometheus-datasource"
"""The Amazon Managed Service for Prometheus data source: from Amazon Managed Grafana 12 the
core Prometheus plugin no longer signs with SigV4 (AMG user guide, adding the data source
manually; Grafana 13 migrates such data sources to this plugin on its own)."""
QUERY_ACTIONS = ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata")
"""What Grafana's queries call (AWS managed policy AmazonPrometheusQueryAccess), on the one
workspace, not the List/Describe discovery the console's wizard also grants."""
WORKSPACE_KEY_ACTIONS = ("kms:Decrypt",)
"""The Prometheus workspace is encrypted with the platform key: reading it back needs the key,
through AMP only (AMP user guide, encryption at rest: give Grafana access to the key)."""
WORKSPACE_SETTINGS = {
    # Alerts are AMP's (rules and alert manager to the alarm topic): one place pages.
    "unifiedAlerting": {"enabled": False},
    # Plugins are what AWS ships: nobody installs code into the workspace from its UI.
    "plugins": {"pluginAdminEnabled": False},
}
TOKEN_SECONDS = 30 * 24 * 3600
"""The longest a Grafana service account token may live (30 days)."""
DATA_SOURCE_UID = "plinth-amp"
FOLDER_UID = "plinth"


def token_generation(day: date) -> str:
    """The two-week period `day` falls in (`2026-f25`): a deployment in a new period makes a
    new provisioning token, which the next 30 days can use."""
    year, week, _ = day.isocalendar()
    return f"{year}-f{(week + 1) // 2:02d}"


@dataclass(frozen=True)
class ManagedGrafanaArgs:
    """Inputs of a ManagedGrafana.

    `token_generation` names the provisioning token: a new value (infra/ gives the fortnight
    of the deployment, `token_generation`) makes a new token, so a stack is never provisioned
    with an expired one, however long since its last deployment."""

    scope: AwsScope
    name_prefix: str
    region: str
    prometheus_workspace_arn: pulumi.Input[str]
    prometheus_endpoint: pulumi.Input[str]
    prometheus_key_arn: pulumi.Input[str]
    identity_store_id: pulumi.Input[str]
    admin_groups: Sequence[str]
    token_generation: str
    viewer_groups: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class ManagedGrafana(pulumi.ComponentResource):
    """An Amazon Managed Grafana workspace (`<prefix>`, Grafana 12.4):

    - sign-in through IAM Identity Center only; the admin groups get ADMIN, the viewer groups
      VIEWER; nobody else gets in;
    - its data encrypted with the platform key; Grafana alerting and plugin installation off;
    - a role of its own (customer managed permissions: Grafana creates none) that only this
      account's Grafana workspaces assume, allowed to query the stack's Prometheus workspace
      and to decrypt with its key through AMP, and nothing else;
    - through Grafana's API, with a service account token that lives 30 days: the workspace as
      the default data source (SigV4 with the workspace role), a `Plinth` folder and the
      platform's dashboards (the ones the ConfigMaps carry where there is no Grafana here).
    """

    workspace: aws.grafana.Workspace

    def __init__(
        self, name: str, args: ManagedGrafanaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:observability:ManagedGrafana", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        role = aws.iam.Role(
            name,
            name=f"{args.name_prefix}-grafana",
            description="Amazon Managed Grafana: queries the platform's Prometheus workspace",
            assume_role_policy=service_trust_policy(
                scope.service_principal("grafana", parent=self),
                source_account=scope.account_id,
                source_arn_like=scope.arn("grafana", "/workspaces/*"),
            ),
            tags=dict(args.tags),
            opts=child,
        )
        queries = aws.iam.RolePolicy(
            f"{name}-queries",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "QueryThePlatformWorkspace",
                        "Effect": "Allow",
                        "Action": list(QUERY_ACTIONS),
                        "Resource": args.prometheus_workspace_arn,
                    },
                    key_through(
                        "ReadItThroughAmpOnly",
                        args.prometheus_key_arn,
                        WORKSPACE_KEY_ACTIONS,
                        service="aps",
                        region=args.region,
                    ),
                ]
            ),
            opts=child,
        )
        self.workspace = aws.grafana.Workspace(
            name,
            name=args.name_prefix,
            description="Plinth platform dashboards",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=["AWS_SSO"],
            permission_type="CUSTOMER_MANAGED",
            role_arn=role.arn,
            grafana_version=GRAFANA_VERSION,
            kms_key_id=args.prometheus_key_arn,
            configuration=json.dumps(WORKSPACE_SETTINGS),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queries]),
        )
        for grafana_role, groups in (("ADMIN", args.admin_groups), ("VIEWER", args.viewer_groups)):
            if groups:
                aws.grafana.RoleAssociation(
                    f"{name}-{grafana_role.lower()}s",
                    role=grafana_role,
                    workspace_id=self.workspace.id,
                    group_ids=[group_id(args.identity_store_id, g, self) for g in groups],
                    opts=child,
                )
        self._provision(name, args)
        self.register_outputs(
            {"workspaceId": self.workspace.id, "endpoint": self.workspace.endpoint}
        )

    def _provision(self, name: str, args: ManagedGrafanaArgs) -> None:
        """The data source, folder and dashboards, through Grafana's API."""
        child = pulumi.ResourceOptions(parent=self)
        # ADMIN: only an administrator may manage data sources.
        provisioner = aws.grafana.WorkspaceServiceAccount(
            f"{name}-provisioner",
            name="plinth-provisioner",
            grafana_role="ADMIN",
            workspace_id=self.workspace.id,
            opts=child,
        )
        token = aws.grafana.WorkspaceServiceAccountToken(
            f"{name}-provisioner-token",
            name=f"plinth-provisioner-{args.token_generation}",
            seconds_to_live=TOKEN_SECONDS,
            service_account_id=provisioner.service_account_id,
            workspace_id=self.workspace.id,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        api = grafana.Provider(
            f"{name}-api",
            url=self.workspace.endpoint.apply(lambda host: f"https://{host}"),
            auth=token.key,
            opts=child,
        )
        # Deleted with the workspace: a later token may not reach them (a `pulumi destroy`
        # long after the last deployment would find this one expired).
        on_api = pulumi.ResourceOptions(parent=self, provider=api, deleted_with=self.workspace)
        grafana.oss.DataSource(
            f"{name}-prometheus",
            type=DATA_SOURCE_TYPE,
            name="Platform metrics (Amazon Managed Service for Prometheus)",
            uid=DATA_SOURCE_UID,
            is_default=True,
            url=pulumi.Output.from_input(args.prometheus_endpoint).apply(
                lambda endpoint: endpoint.rstrip("/")
            ),
            json_data_encoded=json.dumps(
                {
                    "httpMethod": "POST",
                    "sigV4Auth": True,
                    # The workspace's own role (what the console calls "Workspace IAM role").
                    "sigV4AuthType": "ec2_iam_role",
                    "sigV4Region": args.region,
                }
            ),
            opts=on_api,
        )
        folder = grafana.oss.Folder(f"{name}-folder", title="Plinth", uid=FOLDER_UID, opts=on_api)
        for file_name, board in dashboards(DATA_SOURCE_TYPE).items():
            grafana.oss.Dashboard(
                f"{name}-{file_name.removesuffix('.json')}",
                config_json=json.dumps(board),
                folder=folder.uid,
                overwrite=True,
                opts=on_api,
            )
