"""The `observability` section: the platform's metrics workspace, its alert rules and where
they page, and the thresholds behind each alert (components/observability/alerts.py)."""

from __future__ import annotations

from pydantic import Field, field_validator

from components.observability.alerts import AlertThresholds
from plinth.spec.base import SpecModel, without_duplicates
from plinth.spec.tenants import SsoGroup


class AlertsSpec(SpecModel):
    """When the platform team is paged (alerts go to the stack's security alarm topic)."""

    gpu_idle_hours: float = Field(default=2, gt=0, le=72)
    """Hours a GPU pool may keep nodes up with every GPU idle before it pages."""
    gateway_error_rate: float = Field(default=0.05, gt=0, lt=1)
    """Share of gateway requests failing over 15 minutes that pages."""
    guardrail_intervention_rate: float = Field(default=0.2, gt=0, lt=1)
    """Share of guardrail checks ending in an intervention over 15 minutes that pages: misuse,
    or a guardrail too strict for its users."""

    def thresholds(self) -> AlertThresholds:
        return AlertThresholds(
            gpu_idle_hours=self.gpu_idle_hours,
            gateway_error_rate=self.gateway_error_rate,
            guardrail_intervention_rate=self.guardrail_intervention_rate,
        )


class TracesSpec(SpecModel):
    """The trace store (Phoenix behind an OpenTelemetry collector) on the gateway's cluster,
    its database on the gateway's Aurora cluster; the gateway sends it one trace per request."""

    retention_days: int = Field(default=30, ge=1, le=3650)
    """Days Phoenix keeps traces (its default retention policy)."""


class GrafanaSpec(SpecModel):
    """An Amazon Managed Grafana workspace, signed in to through IAM Identity Center (needs
    `plinth:identityCenter`), reading the stack's Prometheus workspace, with the platform's
    dashboards provisioned into it. Without it the dashboards are ConfigMaps for a Grafana of
    your own on the cluster."""

    admin_groups: tuple[SsoGroup, ...] = Field(min_length=1)
    """Identity Center groups (display names) that administer the workspace."""
    viewer_groups: tuple[SsoGroup, ...] = ()
    """Identity Center groups (display names) that may view the dashboards."""

    @field_validator("admin_groups", "viewer_groups")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)


class ObservabilitySpec(SpecModel):
    """Amazon Managed Service for Prometheus for the stack: one workspace fed by a managed
    collector per EKS cluster, the platform's recording and alerting rules in it, and its alert
    manager routing to the alarm topic."""

    retention_days: int = Field(default=150, ge=1, le=1095)
    """Days the workspace keeps metrics (AMP's default is 150; at most 1095)."""
    scrape_interval_seconds: int = Field(default=30, ge=30, le=120)
    """How often each EKS cluster's managed collector scrapes its targets (AMP's collectors
    scrape every 30 seconds at most; the dashboards' 5-minute rates need two samples): more
    often sees more, and ingests (and bills) proportionally more samples."""
    alerts: AlertsSpec = AlertsSpec()
    traces: TracesSpec | None = None
    """The gateway's traces in a trace store of the platform's own (needs plinth:gateway)."""
    grafana: GrafanaSpec | None = None
    """Amazon Managed Grafana for the dashboards (needs plinth:identityCenter)."""
