"""`plinth cost` and the cost sections: the estimate from the spec and a price table, checked
with a table of round prices so every figure below can be worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from support import ROOT, dev_stack_document
from typer.testing import CliRunner

from components.cluster.instances import AWS_GPU_MACHINES, COREWEAVE_GPU_MACHINES
from plinth.cli import app
from plinth.cost import CostEstimate, estimate, to_markdown, to_table
from plinth.diff import compare
from plinth.diff import to_markdown as diff_markdown
from plinth.diff import to_table as diff_table
from plinth.document import load_stack_spec
from plinth.spec import PlinthSpec
from policies.prices import PriceTable, price_table

SOURCE = {"url": "https://example.com/prices", "retrieved": "2026-11-01", "asOf": "2026-10-01"}
runner = CliRunner()

ROUND_PRICES = PriceTable.model_validate(
    {
        "version": "test",
        "currency": "USD",
        "hoursPerMonth": 730,
        "aws": {
            "region": "us-east-1",
            "source": SOURCE,
            "instances": {"g6e.xlarge": 1.0, "g6e.2xlarge": 2.0, "g6e.12xlarge": 8.0},
            "natGatewayHour": 0.05,
            "interfaceEndpointHour": 0.01,
            "eksClusterHour": 0.1,
            "bedrockSource": SOURCE,
            "provisionedThroughput": {"amazon.titan-embed-text-v2:0": {"OneMonth": 10.0}},
        },
        "coreweave": {"source": SOURCE, "instances": {"gd-8xl40s-i128": 16.0}},
    }
)


def spec_with(tmp_path: Path, **changes: Any) -> PlinthSpec:
    document = dev_stack_document()
    document["config"].update(changes)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_stack_spec(ROOT / "infra", "dev", path)


def lines(result: CostEstimate) -> dict[str, tuple[float | None, float | None]]:
    return {line.item: (line.minimum, line.maximum) for line in result.lines}


def test_the_dev_stack_at_its_smallest_and_largest(tmp_path: Path) -> None:
    result = estimate(spec_with(tmp_path), "dev", ROUND_PRICES)
    assert lines(result) == {
        "cluster gpu: EKS control plane": (73.0, 73.0),
        # 0 to 2 nodes, the dearer type (2.0 an hour) at the top: 2 x 2.0 x 730
        "cluster gpu: pool l40s": (0.0, 2920.0),
        "NAT gateways": (36.5, 36.5),  # one gateway (natGateways: single)
        # sts, ecr.api, ecr.dkr, logs and the two Bedrock endpoints, in 3 AZs: 18 x 0.01 x 730
        "interface endpoints": (131.4, 131.4),
    }
    assert (result.total("minimum"), result.total("maximum")) == (240.9, 3160.9)
    tenants = {t.name: (t.max_gpu_usd, t.budget_usd, t.over_budget) for t in result.tenants}
    # fraud-detection may use 2 L40S, search 1, each at 2.0 an hour (the dearer machine)
    assert tenants == {"fraud-detection": (2920.0, 4000, False), "search": (1460.0, 2000, False)}


def test_a_quota_beyond_the_budget_is_flagged(tmp_path: Path) -> None:
    spec = spec_with(tmp_path)
    search = spec.tenants[1]
    smaller = search.budget.model_copy(update={"monthly_usd": 1000})
    spec = spec.model_copy(
        update={"tenants": (spec.tenants[0], search.model_copy(update={"budget": smaller}))}
    )
    result = estimate(spec, "dev", ROUND_PRICES)
    assert [t.over_budget for t in result.tenants] == [False, True]
    assert "| search | 1 on gpu/l40s | $1,460.00 :warning: over budget | $1,000.00 |" in (
        to_markdown(result.to_json())
    )


def test_shared_gpus_are_priced_per_slice(tmp_path: Path) -> None:
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["mode"] = "nodegroups"
    cluster["gpuPools"][0].update(
        {"instanceTypes": ["g6e.12xlarge"], "sharing": {"mode": "timeSlicing", "replicas": 4}}
    )
    spec = spec_with(tmp_path, **{"plinth:clusters": [cluster]})
    result = estimate(spec, "dev", ROUND_PRICES)
    # g6e.12xlarge: 4 GPUs x 4 slices = 16 units for 8.0 an hour, so 0.5 a unit
    fraud = next(t for t in result.tenants if t.name == "fraud-detection")
    assert fraud.max_gpu_usd == 2 * 0.5 * 730


def test_an_unpriced_machine_makes_the_total_unknown(tmp_path: Path) -> None:
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["gpuPools"][0]["instanceTypes"] = ["g6e.48xlarge"]
    spec = spec_with(tmp_path, **{"plinth:clusters": [cluster]}, **{"plinth:tenants": []})
    result = estimate(spec, "dev", ROUND_PRICES)
    assert lines(result)["cluster gpu: pool l40s"] == (0.0, None)
    assert result.total("maximum") is None
    assert "| **total** | | **$240.90** | **unknown** |" in to_markdown(result.to_json())


def test_coreweave_pools_and_provisioned_throughput(tmp_path: Path) -> None:
    coreweave = load_stack_spec(ROOT / "infra", "coreweave")
    assert lines(estimate(coreweave, "coreweave", ROUND_PRICES))["cluster train: pool l40s"] == (
        0.0,
        2 * 16.0 * 730,
    )
    bedrock = dev_stack_document()["config"]["plinth:bedrock"]
    bedrock["provisionedThroughput"] = [
        {"name": "embed", "model": "amazon.titan-embed-text-v2:0", "modelUnits": 2,
         "commitment": "OneMonth"}
    ]  # fmt: skip
    spec = spec_with(tmp_path, **{"plinth:bedrock": bedrock})
    assert lines(estimate(spec, "dev", ROUND_PRICES))["provisioned throughput embed"] == (
        14600.0,
        14600.0,
    )


def test_a_tenant_stack_is_priced_on_its_platform_s_pools(tmp_path: Path) -> None:
    spec = load_stack_spec(ROOT / "infra", "dev-vision")
    priced = estimate(spec, "dev-vision", ROUND_PRICES, platform=spec_with(tmp_path))
    assert priced.lines == ()
    # vision may use 2 L40S of the dev platform, at 2.0 an hour each
    [vision] = priced.tenants
    assert (vision.name, vision.max_gpu_usd, vision.budget_usd) == ("vision", 2920.0, 4000)
    assert "| platform | a tenant stack:" in to_markdown(priced.to_json())
    [unknown] = estimate(spec, "dev-vision", ROUND_PRICES).tenants
    assert unknown.max_gpu_usd is None


def test_plinth_cost_finds_a_tenant_stack_s_platform() -> None:
    result = runner.invoke(app, ["cost", "--stack", "dev-vision", "--format", "json"])
    assert result.exit_code == 0, result.output
    [vision] = json.loads(result.stdout)["tenants"]
    assert vision["maxGpuUsd"] is not None


def test_the_price_table_is_dated_sourced_and_names_real_machines() -> None:
    table = price_table()
    assert dt.date.fromisoformat(table.version) <= dt.date.today()
    for source in (table.aws.source, table.aws.bedrock_source, table.coreweave.source):
        assert source.url.startswith("https://")
        assert source.as_of is None or source.as_of <= source.retrieved
    assert set(table.aws.instances) <= set(AWS_GPU_MACHINES)
    assert set(table.coreweave.instances) <= set(COREWEAVE_GPU_MACHINES)
    prices = [*table.aws.instances.values(), *table.coreweave.instances.values()]
    assert all(price > 0 for price in prices)


def test_plinth_cost_and_the_preview_cost_section() -> None:
    result = runner.invoke(app, ["cost", "--format", "json"])
    assert result.exit_code == 0, result.output
    cost = json.loads(result.stdout)
    assert cost["stack"] == "dev"
    assert cost["prices"]["version"] == price_table().version
    preview = runner.invoke(app, ["preview", "--format", "json"])
    assert json.loads(preview.stdout)["cost"] == cost
    markdown = runner.invoke(app, ["preview", "--format", "markdown"]).stdout
    assert "#### Monthly cost estimate: stack dev" in markdown


def test_a_program_that_is_not_plinth_s_has_no_cost_section() -> None:
    program = str(ROOT / "tests" / "programs" / "options")
    result = runner.invoke(
        app, ["preview", "--program", program, "--stack", "test", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert "cost" not in json.loads(result.stdout)


def test_the_diff_comment_shows_the_cost_change(tmp_path: Path) -> None:
    base_spec = spec_with(tmp_path)
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["gpuPools"][0]["maxNodes"] = 4
    head_spec = spec_with(tmp_path, **{"plinth:clusters": [cluster]})
    policy = {"passed": True, "mandatory": 0, "advisory": 1, "waived": 0, "rules": 67,
              "resources": 1, "profiles": ["baseline"]}  # fmt: skip
    base = {"resources": [], "cost": estimate(base_spec, "dev", ROUND_PRICES).to_json()}
    head = {
        "resources": [],
        "cost": estimate(head_spec, "dev", ROUND_PRICES).to_json(),
        "policy": policy,
    }
    comment = diff_markdown([compare("dev", "main", base, head)])
    # two more nodes at 2.0 an hour: +2,920 at the top of the range
    assert "| change from base | | +$0.00 | +$2,920.00 |" in comment
    assert "**Policies:** PASSED: 0 mandatory, 1 advisory, 0 waived finding(s)" in comment
    assert compare("dev", "main", base, head).to_json()["cost"]["head"]["maxUsd"] == 6080.9
    # The terminal view says the same as the comment: the policy verdict and the change.
    console = Console(record=True, width=200)
    console.print(diff_table([compare("dev", "main", base, head)]))
    text = console.export_text()
    assert "Policies: PASSED: 0 mandatory, 1 advisory, 0 waived finding(s)" in text
    assert re.search(r"change from base +│ +│ \+\$0\.00 +│ \+\$2,920\.00", text)


def test_the_terminal_table(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    console.print(to_table(estimate(spec_with(tmp_path), "dev", ROUND_PRICES).to_json()))
    text = console.export_text()
    assert "Monthly cost estimate: stack dev (prices test" in text
    assert re.search(r"total +│ +│ \$240\.90 +│ \$3,160\.90", text)
    assert re.search(
        r"tenant search +│ max GPU spend \(1 on gpu/l40s\) vs budget \$2,000\.00", text
    )
