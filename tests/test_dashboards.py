"""The platform's dashboards: every panel's query is valid PromQL to Prometheus's own checker,
and the ones that do arithmetic give the right numbers on synthetic series (`promtool`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from components.observability.alerts import AlertThresholds, rule_groups
from components.observability.dashboards import dashboards, panel_queries


def _promtool(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: run `make test-tools` (Debian's prometheus package)"
    return subprocess.run(
        [promtool, *arguments], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    queries = panel_queries()
    rules = [
        {"record": "panel:" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"), "expr": expr}
        for name, expr in queries.items()
    ]
    (tmp_path / "panels.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]})
    )
    result = _promtool("check", "rules", "panels.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_one_dashboard_per_concern_each_reading_the_workspace_picked() -> None:
    boards = dashboards()
    assert sorted(board["title"] for board in boards.values()) == [
        "Plinth / GPU pools and tenants",
        "Plinth / Guardrail interventions",
        "Plinth / Kueue admission",
        "Plinth / LLM gateway per team",
    ]
    for board in boards.values():
        assert board["templating"]["list"][0]["type"] == "datasource"
        assert {panel["datasource"]["uid"] for panel in board["panels"]} == {"${datasource}"}
        assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])


def _evaluate(tmp_path: Path, series: list[dict[str, str]], checks: list[dict[str, Any]]) -> None:
    """Evaluate panel queries on `series` with the platform's recording rules loaded."""
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(AlertThresholds())))
    test = {"interval": "1m", "input_series": series, "promql_expr_test": checks}
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [test]})
    )
    result = _promtool("test", "rules", "tests.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gpu_panels_count_held_and_idle_gpus(tmp_path: Path) -> None:
    queries = panel_queries()
    gpu = 'DCGM_FI_DEV_GPU_UTIL{{Hostname="{node}", gpu="{gpu}"{extra}}}'
    series = [
        {
            "series": 'kube_node_labels{node="n1", label_plinth_dev_gpu_pool="l40s"}',
            "values": "1x90",
        },
        {"series": gpu.format(node="n1", gpu="0", extra=', namespace="search"'), "values": "80x90"},
        {"series": gpu.format(node="n1", gpu="1", extra=', namespace="search"'), "values": "0x90"},
        {"series": gpu.format(node="n1", gpu="2", extra=""), "values": "0x90"},
    ]
    _evaluate(
        tmp_path,
        series,
        [
            {
                "expr": queries["plinth-gpu/GPUs held per tenant namespace"],
                "eval_time": "80m",
                "exp_samples": [{"labels": '{namespace="search"}', "value": 2}],
            },
            {
                "expr": queries["plinth-gpu/Idle GPUs per pool (0% for the last hour)"],
                "eval_time": "80m",
                "exp_samples": [{"labels": '{gpu_pool="l40s"}', "value": 2}],
            },
        ],
    )


def test_gateway_and_guardrail_panels_compute_shares_and_spend(tmp_path: Path) -> None:
    queries = panel_queries()
    guardrail = 'litellm_guardrail_requests_total{{guardrail_name="g", status="{status}"}}'
    series = [
        {"series": 'litellm_spend_metric_total{team_alias="search"}', "values": "0+0.5x1500"},
        {"series": guardrail.format(status="success"), "values": "0+75x30"},
        {"series": guardrail.format(status="intervened"), "values": "0+25x30"},
        {"series": 'litellm_remaining_team_budget_metric{team_alias="search"}', "values": "150x5"},
        {"series": 'litellm_team_max_budget_metric{team_alias="search"}', "values": "500x5"},
    ]
    _evaluate(
        tmp_path,
        series,
        [
            {
                # 0.5 USD a minute for a day.
                "expr": queries["plinth-gateway/Spend per team, last 24 hours"],
                "eval_time": "1440m",
                "exp_samples": [{"labels": '{team_alias="search"}', "value": 720}],
            },
            {
                "expr": queries["plinth-guardrails/Intervened share of checks"],
                "eval_time": "20m",
                "exp_samples": [{"labels": '{guardrail_name="g"}', "value": 0.25}],
            },
            {
                "expr": queries["plinth-gateway/Budget spent per team"],
                "eval_time": "2m",
                "exp_samples": [{"labels": '{team_alias="search"}', "value": 0.7}],
            },
        ],
    )
