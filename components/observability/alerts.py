"""The platform's Prometheus recording and alerting rules, as pure data.

One document serves the stack's Amazon Managed Service for Prometheus rule group namespace and
the tests, which evaluate every rule with Prometheus's own evaluator (`promtool test rules`)
against series that should and should not fire. The metrics come from:

- the GPU Operator's DCGM exporter (`DCGM_FI_DEV_*`, one series per GPU, `Hostname` = node);
- kube-state-metrics (`kube_node_labels` with the pool label allow-listed, see
  POOL_NODE_LABEL);
- the gateway (LiteLLM's `prometheus` callback: `litellm_*` per team and model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.cluster.contract import POOL_LABEL

POOL_NODE_LABEL = "label_" + "".join(ch if ch.isalnum() else "_" for ch in POOL_LABEL)
"""How kube-state-metrics spells the pool label on `kube_node_labels` (its allow-list turns
`plinth.dev/gpu-pool` into `label_plinth_dev_gpu_pool`)."""
BUDGET_WARNING = 0.8
"""The share of a team's monthly LLM budget at which its owners are warned."""
RATE_WINDOW = "15m"
"""The window error and intervention rates are averaged over: long enough that one failed
call among few does not page, short enough to page within the quarter hour."""


@dataclass(frozen=True)
class AlertThresholds:
    """What counts as worth a page (see plinth.spec.observability for each field)."""

    gpu_idle_hours: float = 2
    gateway_error_rate: float = 0.05
    guardrail_intervention_rate: float = 0.2


def _duration(hours: float) -> str:
    """A Prometheus duration for a number of hours (whole minutes)."""
    return f"{round(hours * 60)}m"


def recording_rules() -> dict[str, Any]:
    """Per-pool GPU use, from DCGM's per-GPU series joined to the node's pool."""
    node_pool = (
        f'label_replace(label_replace(kube_node_labels{{{POOL_NODE_LABEL}!=""}}, '
        f'"Hostname", "$1", "node", "(.+)"), "gpu_pool", "$1", "{POOL_NODE_LABEL}", "(.+)")'
    )
    return {
        "name": "plinth-gpu",
        "rules": [
            {
                "record": "plinth:node_gpu_pool:info",
                "expr": f"max by (Hostname, gpu_pool) ({node_pool})",
            },
            {
                "record": "plinth:gpu_pool_utilization:max",
                "expr": "max by (gpu_pool) (DCGM_FI_DEV_GPU_UTIL"
                " * on (Hostname) group_left (gpu_pool) plinth:node_gpu_pool:info)",
            },
            {
                "record": "plinth:gpu_utilization:namespace_avg",
                "expr": 'avg by (namespace) (DCGM_FI_DEV_GPU_UTIL{namespace!=""})',
            },
        ],
    }


def _alert(name: str, expr: str, duration: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def alerting_rules(thresholds: AlertThresholds) -> dict[str, Any]:
    """The alerts the platform team is paged for."""
    # The share spent, for teams that have a budget at all.
    team_spent = (
        "((1 - litellm_remaining_team_budget_metric / litellm_team_max_budget_metric)"
        " and litellm_team_max_budget_metric > 0)"
    )
    requests = f"sum by (guardrail_name) (rate(litellm_guardrail_requests_total[{RATE_WINDOW}]))"
    interventions = (
        'sum by (guardrail_name) (rate(litellm_guardrail_requests_total{status="intervened"}'
        f"[{RATE_WINDOW}]))"
    )
    # Server-side failures only: a refused key, a spent budget or a rate limit (4xx) is the
    # gateway doing its job.
    failed = (
        'sum(rate(litellm_proxy_failed_requests_metric_total{exception_status=~"5.."}'
        f"[{RATE_WINDOW}]))"
    )
    total = f"sum(rate(litellm_proxy_total_requests_metric_total[{RATE_WINDOW}]))"
    return {
        "name": "plinth-alerts",
        "rules": [
            _alert(
                "GpuPoolIdle",
                "plinth:gpu_pool_utilization:max < 1",
                _duration(thresholds.gpu_idle_hours),
                "warning",
                "GPU pool {{ $labels.gpu_pool }} has run nodes with idle GPUs for "
                f"{thresholds.gpu_idle_hours:g} hours: scale it down or release the work "
                "holding it",
            ),
            _alert(
                "TenantLlmBudgetNearlySpent",
                f"{team_spent} >= {BUDGET_WARNING} < 1",
                "0m",
                "warning",
                "Team {{ $labels.team_alias }} has spent {{ $value | humanizePercentage }} "
                "of its monthly LLM budget",
            ),
            _alert(
                "TenantLlmBudgetSpent",
                f"{team_spent} >= 1",
                "0m",
                "critical",
                "Team {{ $labels.team_alias }} has spent its monthly LLM budget: the gateway "
                "refuses its calls until the month ends or the budget grows",
            ),
            _alert(
                "GuardrailInterventionsHigh",
                f"({interventions} / {requests}) > {thresholds.guardrail_intervention_rate:g}",
                RATE_WINDOW,
                "warning",
                "Guardrail {{ $labels.guardrail_name }} intervened in "
                "{{ $value | humanizePercentage }} of checks: misuse, or a guardrail too strict",
            ),
            _alert(
                "GatewayErrorRateHigh",
                f"({failed} / {total}) > {thresholds.gateway_error_rate:g}",
                "10m",
                "critical",
                "{{ $value | humanizePercentage }} of gateway requests fail",
            ),
            # The gauge holds the last XID seen: page when it changes, not while it stays.
            _alert(
                "GpuXidError",
                "DCGM_FI_DEV_XID_ERRORS > 0 and changes(DCGM_FI_DEV_XID_ERRORS[10m]) > 0",
                "0m",
                "critical",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID "
                "{{ $value }}: drain the node if it repeats (XID 48, 79: the GPU is lost)",
            ),
        ],
    }


def rule_groups(thresholds: AlertThresholds) -> dict[str, Any]:
    """The rule file: recording rules first (alerts read them), then the alerts."""
    return {"groups": [recording_rules(), alerting_rules(thresholds)]}
