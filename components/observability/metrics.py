"""The stack's Amazon Managed Service for Prometheus workspace, its rules and where they page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components.observability.alerts import AlertThresholds, rule_groups

RULES_NAMESPACE = "plinth"
ALERT_ROUTE_REPEAT = "4h"
"""How often a firing alert is sent again (AMP caps repeat_interval at 5 days)."""


def log_group_name(name_prefix: str) -> str:
    """Under /aws/vendedlogs/, where CloudWatch Logs' resource policy for vended log
    deliveries covers every group with one statement (it has a size limit)."""
    return f"/aws/vendedlogs/prometheus/{name_prefix}"


def alert_manager_definition(topic_arn: str, region: str) -> str:
    """AMP's alert manager document: every alert to one SNS topic, signed for its region
    (AMP requires the sigv4 region; SNS is its only receiver, in the same account)."""
    config = {
        "route": {
            "receiver": "platform",
            "group_by": ["alertname", "gpu_pool", "team_alias", "guardrail_name"],
            "repeat_interval": ALERT_ROUTE_REPEAT,
        },
        "receivers": [
            {
                "name": "platform",
                "sns_configs": [
                    {
                        "topic_arn": topic_arn,
                        "sigv4": {"region": region},
                        "attributes": {"source": "plinth-prometheus"},
                    }
                ],
            }
        ],
    }
    return yaml.safe_dump({"alertmanager_config": yaml.safe_dump(config, sort_keys=False)})


@dataclass(frozen=True)
class MetricsWorkspaceArgs:
    """Inputs of a MetricsWorkspace. `key_arn` encrypts the metrics and the workspace's own
    logs; `alarm_topic_arn` is the stack's alarm topic, which must let AMP publish."""

    name_prefix: str
    region: str
    key_arn: pulumi.Input[str]
    retention_days: int
    log_retention_days: int
    thresholds: AlertThresholds
    alarm_topic_arn: pulumi.Input[str] | None
    tags: Mapping[str, str]
    protect: bool = False


class MetricsWorkspace(pulumi.ComponentResource):
    """One Amazon Managed Service for Prometheus workspace for the stack:

    - encrypted with the platform key (AMP's default is an AWS owned key, which the account
      cannot audit or revoke), its rule evaluation and alert manager logs in a KMS-encrypted
      log group;
    - metrics kept `retention_days` (AMP's default is 150);
    - the platform's recording and alerting rules (components/observability/alerts.py);
    - an alert manager that sends every alert to the stack's alarm topic, where the security
      alarms already go (no alert manager without a topic: the rules still record, and the
      alerts show in the workspace).

    The workspace is retained on `pulumi destroy`: its metrics are the record of what the
    platform did.
    """

    workspace: aws.amp.Workspace
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: MetricsWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:observability:MetricsWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(args.name_prefix),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        self.workspace = aws.amp.Workspace(
            name,
            alias=args.name_prefix,
            kms_key_arn=args.key_arn,
            # AMP writes to the log group's streams: the ARN with its `:*` suffix.
            logging_configuration={"log_group_arn": log_group.arn.apply(lambda arn: f"{arn}:*")},
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        aws.amp.WorkspaceConfiguration(
            f"{name}-retention",
            workspace_id=self.workspace.id,
            retention_period_in_days=args.retention_days,
            opts=child,
        )
        aws.amp.RuleGroupNamespace(
            f"{name}-rules",
            name=RULES_NAMESPACE,
            workspace_id=self.workspace.id,
            data=yaml.safe_dump(rule_groups(args.thresholds), sort_keys=False),
            tags=dict(args.tags),
            opts=child,
        )
        if args.alarm_topic_arn is not None:
            aws.amp.AlertManagerDefinition(
                f"{name}-alerts",
                workspace_id=self.workspace.id,
                definition=pulumi.Output.from_input(args.alarm_topic_arn).apply(
                    lambda arn: alert_manager_definition(arn, args.region)
                ),
                opts=child,
            )
        self.arn = self.workspace.arn
        # The endpoint ends with a slash (`.../workspaces/ws-.../`).
        self.remote_write_url = self.workspace.prometheus_endpoint.apply(
            lambda endpoint: f"{endpoint.rstrip('/')}/api/v1/remote_write"
        )
        self.register_outputs(
            {"arn": self.arn, "prometheusEndpoint": self.workspace.prometheus_endpoint}
        )
