"""The observability layer: the stack's Prometheus workspace, its rules and alerts."""

from platform_layers import Foundation

from components.guardrails import AccountGuardrails
from components.observability.metrics import MetricsWorkspace, MetricsWorkspaceArgs
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from policies.profiles import settings_for


def observability_layer(
    spec: PlinthSpec, base: Foundation, guardrails: AccountGuardrails
) -> MetricsWorkspace | None:
    """The workspace `plinth:observability` asks for, paging the stack's alarm topic."""
    wanted = spec.observability
    if wanted is None:
        return None
    workspace = MetricsWorkspace(
        f"{base.prefix}-metrics",
        MetricsWorkspaceArgs(
            name_prefix=base.prefix,
            region=spec.aws.region,
            key_arn=base.platform_key.arn,
            retention_days=wanted.retention_days,
            log_retention_days=settings_for(spec.compliance.profiles).log_group_days,
            thresholds=wanted.alerts.thresholds(),
            alarm_topic_arn=guardrails.alarm_topic.arn if guardrails.alarm_topic else None,
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )
    origins.record(workspace, stack_entry("observability", "plinth:observability"))
    return workspace
