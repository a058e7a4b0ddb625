"""The platform's Grafana dashboards, one per concern, as pure data (Grafana's dashboard JSON
model). Every panel's query reads the stack's Prometheus workspace through one data source
variable; tests evaluate the queries with Prometheus's own engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

RATE = "5m"
"""The window rates are taken over on the dashboards (two scrapes at the slowest interval)."""
PROMETHEUS_TYPE = "prometheus"
"""Grafana's core Prometheus data source, which a Grafana on the cluster points at the
workspace (SigV4 where its version still signs with it)."""
SIDECAR_LABEL = {"grafana_dashboard": "1"}
"""The label Grafana's dashboard sidecar (the Grafana chart's `sidecar.dashboards`, on in
kube-prometheus-stack) loads ConfigMaps by."""
FOLDER_ANNOTATION = {"grafana_folder": "Plinth"}


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str
    legend: str
    unit: str = "short"


def _dashboard(uid: str, title: str, panels: list[Panel], source_type: str) -> dict[str, Any]:
    """A dashboard of time-series panels, two to a row, with a picker of the data sources of
    `source_type`."""
    source = {"type": source_type, "uid": "${datasource}"}
    return {
        "uid": uid,
        "title": title,
        "tags": ["plinth"],
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": source_type,
                    "label": "Prometheus workspace",
                }
            ]
        },
        "panels": [
            {
                "id": index + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": source,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "targets": [
                    {
                        "refId": "A",
                        "datasource": source,
                        "expr": panel.expr,
                        "legendFormat": panel.legend,
                    }
                ],
            }
            for index, panel in enumerate(panels)
        ],
    }


GPU_PANELS = [
    Panel(
        "GPU use per pool (busiest GPU)",
        "plinth:gpu_pool_utilization:max",
        "{{gpu_pool}}",
        "percent",
    ),
    Panel(
        "GPU use per tenant namespace",
        "plinth:gpu_utilization:namespace_avg",
        "{{namespace}}",
        "percent",
    ),
    Panel(
        "GPUs held per tenant namespace",
        'count by (namespace) (DCGM_FI_DEV_GPU_UTIL{namespace!=""})',
        "{{namespace}}",
    ),
    Panel(
        "Idle GPUs per pool (0% for the last hour)",
        "count by (gpu_pool) (max_over_time(DCGM_FI_DEV_GPU_UTIL[1h])"
        " * on (Hostname) group_left (gpu_pool) plinth:node_gpu_pool:info == 0)",
        "{{gpu_pool}}",
    ),
]
KUEUE_PANELS = [
    Panel(
        "Pending workloads per queue",
        "sum by (cluster_queue) (kueue_pending_workloads)",
        "{{cluster_queue}}",
    ),
    Panel(
        "Admitted workloads per queue",
        "sum by (cluster_queue) (kueue_admitted_active_workloads)",
        "{{cluster_queue}}",
    ),
    Panel(
        "Admission wait, 90th percentile",
        "histogram_quantile(0.9, sum by (le, cluster_queue) "
        f"(rate(kueue_admission_wait_time_seconds_bucket[{RATE}])))",
        "{{cluster_queue}}",
        "s",
    ),
    Panel(
        "Workloads holding quota per queue",
        "sum by (cluster_queue) (kueue_reserving_active_workloads)",
        "{{cluster_queue}}",
    ),
]
GATEWAY_PANELS = [
    Panel(
        "Requests per team",
        f"sum by (team_alias) (rate(litellm_proxy_total_requests_metric_total[{RATE}]))",
        "{{team_alias}}",
        "reqps",
    ),
    Panel(
        "Failed share of requests",
        f"sum(rate(litellm_proxy_failed_requests_metric_total[{RATE}]))"
        f" / sum(rate(litellm_proxy_total_requests_metric_total[{RATE}]))",
        "failed",
        "percentunit",
    ),
    Panel(
        "Latency per model, 95th percentile",
        "histogram_quantile(0.95, sum by (le, requested_model) "
        f"(rate(litellm_request_total_latency_metric_bucket[{RATE}])))",
        "{{requested_model}}",
        "s",
    ),
    Panel(
        "Tokens per team",
        f"sum by (team_alias) (rate(litellm_total_tokens_metric_total[{RATE}]))",
        "{{team_alias}}",
    ),
    Panel(
        "Spend per team, last 24 hours",
        "sum by (team_alias) (increase(litellm_spend_metric_total[1d]))",
        "{{team_alias}}",
        "currencyUSD",
    ),
    Panel(
        "Budget spent per team",
        "1 - litellm_remaining_team_budget_metric / litellm_team_max_budget_metric",
        "{{team_alias}}",
        "percentunit",
    ),
]
GUARDRAIL_PANELS = [
    Panel(
        "Guardrail checks per outcome",
        f"sum by (guardrail_name, status) (rate(litellm_guardrail_requests_total[{RATE}]))",
        "{{guardrail_name}} {{status}}",
        "reqps",
    ),
    Panel(
        "Intervened share of checks",
        "sum by (guardrail_name) "
        f'(rate(litellm_guardrail_requests_total{{status="intervened"}}[{RATE}]))'
        f" / sum by (guardrail_name) (rate(litellm_guardrail_requests_total[{RATE}]))",
        "{{guardrail_name}}",
        "percentunit",
    ),
]


def dashboards(source_type: str = PROMETHEUS_TYPE) -> dict[str, dict[str, Any]]:
    """The dashboards by file name: GPU pools and tenants, Kueue, the gateway, guardrails,
    reading data sources of `source_type`."""
    concerns = {
        "plinth-gpu": ("Plinth / GPU pools and tenants", GPU_PANELS),
        "plinth-kueue": ("Plinth / Kueue admission", KUEUE_PANELS),
        "plinth-gateway": ("Plinth / LLM gateway per team", GATEWAY_PANELS),
        "plinth-guardrails": ("Plinth / Guardrail interventions", GUARDRAIL_PANELS),
    }
    return {
        f"{uid}.json": _dashboard(uid, title, panels, source_type)
        for uid, (title, panels) in concerns.items()
    }


def panel_queries() -> dict[str, str]:
    """Every panel's query, by `<dashboard uid>/<panel title>`."""
    return {
        f"{board['uid']}/{panel['title']}": panel["targets"][0]["expr"]
        for board in dashboards().values()
        for panel in board["panels"]
    }


def dashboard_config_maps(
    name: str, namespace: str, opts: pulumi.ResourceOptions
) -> list[k8s.core.v1.ConfigMap]:
    """One ConfigMap per dashboard, labelled for Grafana's dashboard sidecar: a stack without
    Amazon Managed Grafana loads them into any Grafana on the cluster pointed at the
    workspace."""
    return [
        k8s.core.v1.ConfigMap(
            f"{name}-{file_name.removesuffix('.json')}",
            metadata={
                "name": file_name.removesuffix(".json"),
                "namespace": namespace,
                "labels": SIDECAR_LABEL,
                "annotations": FOLDER_ANNOTATION,
            },
            data={file_name: json.dumps(board, indent=1)},
            opts=opts,
        )
        for file_name, board in dashboards().items()
    ]
