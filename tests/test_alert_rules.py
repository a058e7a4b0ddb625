"""The platform's alert rules, evaluated by Prometheus's own rule engine (`promtool test
rules`, Debian's `prometheus` package, installed by `make test-tools`) against synthetic
series: each alert fires where it should and stays quiet where it should not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.observability.alerts import (
    POOL_NODE_LABEL,
    AlertThresholds,
    rule_groups,
)

THRESHOLDS = AlertThresholds(
    gpu_idle_hours=2, gateway_error_rate=0.05, guardrail_intervention_rate=0.2
)


def _promtool(tests: list[dict[str, Any]], folder: Path) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: run `make test-tools` (Debian's prometheus package)"
    (folder / "rules.yaml").write_text(yaml.safe_dump(rule_groups(THRESHOLDS)))
    (folder / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests})
    )
    return subprocess.run(
        [promtool, "test", "rules", "tests.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _passes(tests: list[dict[str, Any]], folder: Path) -> None:
    result = _promtool(tests, folder)
    assert result.returncode == 0, result.stdout + result.stderr


POOL = {"gpu_pool": "l40s"}
NODE = f'kube_node_labels{{node="ip-10-0-1-5", {POOL_NODE_LABEL}="l40s"}}'
CPU_NODE = 'kube_node_labels{node="ip-10-0-9-9"}'


def _gpu(util: str, gpu: str = "0", **labels: str) -> dict[str, str]:
    extra = "".join(f', {k}="{v}"' for k, v in labels.items())
    return {
        "series": f'DCGM_FI_DEV_GPU_UTIL{{Hostname="ip-10-0-1-5", gpu="{gpu}"{extra}}}',
        "values": util,
    }


def test_the_rules_are_valid_prometheus_rules(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(THRESHOLDS)))
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: run `make test-tools`"
    result = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "rules.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 9 rules found" in result.stdout


def test_an_idle_gpu_pool_pages_after_its_idle_hours_and_a_busy_one_never(tmp_path: Path) -> None:
    idle = {
        "interval": "1m",
        "input_series": [
            {"series": NODE, "values": "1x200"},
            {"series": CPU_NODE, "values": "1x200"},
            _gpu("0x200", "0"),
            _gpu("0x200", "1"),
        ],
        "alert_rule_test": [
            {"eval_time": "100m", "alertname": "GpuPoolIdle", "exp_alerts": []},
            {
                "eval_time": "125m",
                "alertname": "GpuPoolIdle",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", **POOL},
                        "exp_annotations": {
                            "summary": "GPU pool l40s has run nodes with idle GPUs for 2 hours:"
                            " scale it down or release the work holding it"
                        },
                    }
                ],
            },
        ],
    }
    # One of the two GPUs works: the pool is not idle.
    busy = {
        "interval": "1m",
        "input_series": [
            {"series": NODE, "values": "1x200"},
            _gpu("0x200", "0"),
            _gpu("85x200", "1"),
        ],
        "alert_rule_test": [{"eval_time": "190m", "alertname": "GpuPoolIdle", "exp_alerts": []}],
    }
    _passes([idle, busy], tmp_path)


def test_gpu_use_is_attributed_to_the_tenant_namespace(tmp_path: Path) -> None:
    attributed = {
        "interval": "1m",
        "input_series": [
            _gpu("90x10", "0", namespace="search", pod="trainer-0"),
            _gpu("30x10", "1", namespace="search", pod="trainer-1"),
            _gpu("0x10", "2"),
        ],
        "promql_expr_test": [
            {
                "expr": "plinth:gpu_utilization:namespace_avg",
                "eval_time": "5m",
                "exp_samples": [
                    {
                        "labels": 'plinth:gpu_utilization:namespace_avg{namespace="search"}',
                        "value": 60,
                    }
                ],
            }
        ],
    }
    _passes([attributed], tmp_path)


def _budget(remaining: str, team: str = "search") -> list[dict[str, str]]:
    labels = f'team="{team}", team_alias="{team}"'
    return [
        {"series": f"litellm_team_max_budget_metric{{{labels}}}", "values": "500x30"},
        {"series": f"litellm_remaining_team_budget_metric{{{labels}}}", "values": remaining},
    ]


def test_a_team_is_warned_at_80_percent_of_its_budget_and_paged_at_100(tmp_path: Path) -> None:
    spending = {
        "interval": "1m",
        # 500 USD budget: 300 left, then 75 left (85% spent), then nothing left.
        "input_series": _budget("300x9 75x10 0x10") + _budget("490x30", team="vision"),
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "TenantLlmBudgetNearlySpent", "exp_alerts": []},
            {
                "eval_time": "15m",
                "alertname": "TenantLlmBudgetNearlySpent",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "warning",
                            "team": "search",
                            "team_alias": "search",
                        },
                        "exp_annotations": {
                            "summary": "Team search has spent 85% of its monthly LLM budget"
                        },
                    }
                ],
            },
            {"eval_time": "15m", "alertname": "TenantLlmBudgetSpent", "exp_alerts": []},
            {"eval_time": "25m", "alertname": "TenantLlmBudgetNearlySpent", "exp_alerts": []},
            {
                "eval_time": "25m",
                "alertname": "TenantLlmBudgetSpent",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "critical",
                            "team": "search",
                            "team_alias": "search",
                        },
                        "exp_annotations": {
                            "summary": "Team search has spent its monthly LLM budget: the gateway"
                            " refuses its calls until the month ends or the budget grows"
                        },
                    }
                ],
            },
        ],
    }
    _passes([spending], tmp_path)


def _guardrail(checks: str, interventions: str) -> list[dict[str, str]]:
    labels = 'guardrail_name="plinth-platform-guardrail", hook_type="pre_call"'
    return [
        {
            "series": f'litellm_guardrail_requests_total{{{labels}, status="success"}}',
            "values": checks,
        },
        {
            "series": f'litellm_guardrail_requests_total{{{labels}, status="intervened"}}',
            "values": interventions,
        },
    ]


def test_guardrail_interventions_page_above_the_threshold_rate(tmp_path: Path) -> None:
    # 100 checks a minute; 10 interventions a minute is 9%, 40 a minute is 29%.
    quiet = {
        "interval": "1m",
        "input_series": _guardrail("0+90x60", "0+10x60"),
        "alert_rule_test": [
            {"eval_time": "55m", "alertname": "GuardrailInterventionsHigh", "exp_alerts": []}
        ],
    }
    attacked = {
        "interval": "1m",
        "input_series": _guardrail("0+70x60", "0+30x60"),
        "alert_rule_test": [
            # The rate needs its window filled and then holds for 15 minutes before paging.
            {"eval_time": "10m", "alertname": "GuardrailInterventionsHigh", "exp_alerts": []},
            {
                "eval_time": "45m",
                "alertname": "GuardrailInterventionsHigh",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "warning",
                            "guardrail_name": "plinth-platform-guardrail",
                        },
                        "exp_annotations": {
                            "summary": "Guardrail plinth-platform-guardrail intervened in 30% of"
                            " checks: misuse, or a guardrail too strict"
                        },
                    }
                ],
            },
        ],
    }
    _passes([quiet, attacked], tmp_path)


def test_the_gateway_pages_when_its_error_rate_stays_high(tmp_path: Path) -> None:
    def traffic(failures_per_minute: int, refused_per_minute: int = 0) -> list[dict[str, str]]:
        failed = "litellm_proxy_failed_requests_metric_total"
        return [
            {"series": "litellm_proxy_total_requests_metric_total", "values": "0+100x60"},
            {
                "series": f'{failed}{{exception_status="500"}}',
                "values": f"0+{failures_per_minute}x60",
            },
            # Refusals (a spent budget, a rate limit) are the gateway working, not failing.
            {
                "series": f'{failed}{{exception_status="429"}}',
                "values": f"0+{refused_per_minute}x60",
            },
        ]

    healthy = {
        "interval": "1m",
        "input_series": traffic(2, refused_per_minute=40),
        "alert_rule_test": [
            {"eval_time": "50m", "alertname": "GatewayErrorRateHigh", "exp_alerts": []}
        ],
    }
    failing = {
        "interval": "1m",
        "input_series": traffic(20),
        "alert_rule_test": [
            {
                "eval_time": "30m",
                "alertname": "GatewayErrorRateHigh",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical"},
                        "exp_annotations": {"summary": "20% of gateway requests fail"},
                    }
                ],
            }
        ],
    }
    _passes([healthy, failing], tmp_path)


def test_a_gpu_xid_error_pages_at_once(tmp_path: Path) -> None:
    xid = {
        "interval": "1m",
        "input_series": [
            {
                "series": 'DCGM_FI_DEV_XID_ERRORS{Hostname="ip-10-0-1-5", gpu="3"}',
                "values": "0 0 79x20",
            },
            {
                "series": 'DCGM_FI_DEV_XID_ERRORS{Hostname="ip-10-0-1-5", gpu="2"}',
                "values": "0 0 0 0",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "GpuXidError", "exp_alerts": []},
            {
                "eval_time": "2m",
                "alertname": "GpuXidError",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "critical",
                            "Hostname": "ip-10-0-1-5",
                            "gpu": "3",
                        },
                        "exp_annotations": {
                            "summary": "GPU 3 on ip-10-0-1-5 reported XID 79: drain the node if it"
                            " repeats (XID 48, 79: the GPU is lost)"
                        },
                    }
                ],
            },
            # The gauge keeps showing the last XID; the page is for the change only.
            {"eval_time": "20m", "alertname": "GpuXidError", "exp_alerts": []},
        ],
    }
    _passes([xid], tmp_path)


@pytest.mark.parametrize("broken", ["GpuPoolIdle", "TenantLlmBudgetSpent"])
def test_a_wrong_expectation_fails_the_evaluation(broken: str, tmp_path: Path) -> None:
    # The harness can fail: expecting silence where the rule fires is reported by promtool.
    series = [{"series": NODE, "values": "1x200"}, _gpu("0x200"), *_budget("0x30")]
    wrong = {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {
                "eval_time": "150m" if broken == "GpuPoolIdle" else "20m",
                "alertname": broken,
                "exp_alerts": [],
            }
        ],
    }
    result = _promtool([wrong], tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout + result.stderr
