"""The observability layer: the stack's Prometheus workspace, its rules and alerts, a managed
collector per EKS cluster and a Prometheus agent per CoreWeave cluster."""

from datetime import UTC, datetime

import pulumi
import pulumi_kubernetes as k8s
from platform_clusters import ClustersLayer
from platform_layers import Foundation

from components.cluster.contract import GpuCluster
from components.cluster.eks import EksGpuCluster
from components.gateway.network import restricted_namespace
from components.guardrails import AccountGuardrails
from components.network import Network
from components.observability.agent import ClusterMetricsAgent, ClusterMetricsAgentArgs
from components.observability.collection import ClusterMetrics, ClusterMetricsArgs
from components.observability.dashboards import dashboard_config_maps
from components.observability.grafana import (
    ManagedGrafana,
    ManagedGrafanaArgs,
    token_generation,
)
from components.observability.metrics import MetricsWorkspace, MetricsWorkspaceArgs
from components.observability.trace_config import NAMESPACE as OBSERVABILITY_NAMESPACE
from components.observability.traces import TraceStore
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from policies.profiles import settings_for


def observability_layer(
    spec: PlinthSpec,
    base: Foundation,
    *,
    guardrails: AccountGuardrails,
    network: Network,
    clusters: ClustersLayer,
    traces: TraceStore | None,
) -> MetricsWorkspace | None:
    """The workspace `plinth:observability` asks for, paging the stack's alarm topic, fed by
    each EKS cluster's managed collector and each CoreWeave cluster's Prometheus agent."""
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
    for name, cluster in clusters.clusters.items():
        if not isinstance(cluster, EksGpuCluster):
            _metrics_agent(
                spec,
                base,
                name,
                clusters=clusters,
                workspace=workspace,
                interval_seconds=wanted.scrape_interval_seconds,
            )
            continue
        ClusterMetrics(
            f"{base.prefix}-{name}-metrics",
            ClusterMetricsArgs(
                scope=base.scope,
                name_prefix=base.prefix,
                cluster_name=name,
                cluster_arn=cluster.cluster.arn,
                subnet_ids=[subnet.id for subnet in network.private_subnets],
                security_group_ids=[cluster.cluster.vpc_config.cluster_security_group_id],
                workspace_arn=workspace.arn,
                interval_seconds=wanted.scrape_interval_seconds,
                kubernetes_provider=cluster.outputs.kubernetes_provider,
                tags=spec.common_tags(),
                ready=cluster.outputs.ready,
            ),
            base.on_aws,
        )
    if wanted.grafana is not None and spec.identity_center is not None:
        grafana = ManagedGrafana(
            f"{base.prefix}-grafana",
            ManagedGrafanaArgs(
                scope=base.scope,
                name_prefix=base.prefix,
                region=spec.aws.region,
                prometheus_workspace_arn=workspace.arn,
                prometheus_endpoint=workspace.workspace.prometheus_endpoint,
                prometheus_key_arn=base.platform_key.arn,
                identity_store_id=spec.identity_center.identity_store_id,
                admin_groups=wanted.grafana.admin_groups,
                viewer_groups=wanted.grafana.viewer_groups,
                token_generation=token_generation(datetime.now(UTC).date()),
                tags=spec.common_tags(),
            ),
            base.on_aws,
        )
        origins.record(grafana, stack_entry("observability", "plinth:observability.grafana"))
    else:
        _dashboards(spec, base, clusters, traces)
    return workspace


def _metrics_agent(
    spec: PlinthSpec,
    base: Foundation,
    name: str,
    *,
    clusters: ClustersLayer,
    workspace: MetricsWorkspace,
    interval_seconds: int,
) -> None:
    """A Prometheus agent on a cluster the managed collector cannot reach (CoreWeave), writing
    with a role it assumes through the cluster's OIDC provider."""
    cluster, federation = clusters.clusters[name], clusters.tenant_clusters[name]
    if federation.oidc_provider_arn is None:
        raise ValueError(f"cluster {name!r} has no OIDC provider for its metrics agent")
    ClusterMetricsAgent(
        f"{base.prefix}-{name}-metrics-agent",
        ClusterMetricsAgentArgs(
            name_prefix=base.prefix,
            cluster_name=name,
            kubernetes_provider=cluster.outputs.kubernetes_provider,
            ready=list(cluster.outputs.ready),
            oidc_provider_arn=federation.oidc_provider_arn,
            oidc_issuer_url=federation.oidc_issuer_url,
            workspace_arn=workspace.arn,
            remote_write_url=workspace.remote_write_url,
            region=spec.aws.region,
            interval_seconds=interval_seconds,
            tags=spec.common_tags(),
        ),
        base.on_aws,
    )


def observability_namespace(base: Foundation, cluster: GpuCluster) -> k8s.core.v1.Namespace:
    """`plinth-observability` on the cluster that hosts the trace store and the dashboards:
    one resource whichever of them asks for it, so turning traces on or off keeps it."""
    return restricted_namespace(
        f"{base.prefix}-observability-namespace",
        OBSERVABILITY_NAMESPACE,
        pulumi.ResourceOptions.merge(
            base.on_aws,
            pulumi.ResourceOptions(
                provider=cluster.outputs.kubernetes_provider, depends_on=cluster.outputs.ready
            ),
        ),
    )


def _dashboards(
    spec: PlinthSpec, base: Foundation, clusters: ClustersLayer, traces: TraceStore | None
) -> None:
    """The dashboards as ConfigMaps in `plinth-observability`: the trace store's namespace on
    the gateway's cluster, or one of their own on the first EKS cluster."""
    eks = [c for c in clusters.clusters.values() if isinstance(c, EksGpuCluster)]
    home = (
        clusters.clusters[spec.gateway.cluster] if traces is not None and spec.gateway else None
    ) or (eks[0] if eks else None)
    if home is None:
        return
    on_cluster = pulumi.ResourceOptions(provider=home.outputs.kubernetes_provider)
    namespace = traces.namespace if traces is not None else observability_namespace(base, home)
    dashboard_config_maps(
        f"{base.prefix}-dashboard",
        OBSERVABILITY_NAMESPACE,
        pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[namespace])),
    )
