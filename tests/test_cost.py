"""`plinth cost` and the cost sections: the estimate from the spec and a price table, checked
with a table of round prices so every figure below can be worked out by hand, and with the real
tables where a test is about which region's prices a stack gets."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from rich.console import Console
from support import ROOT, dev_stack_document, follow_the_gateway
from typer.testing import CliRunner

from components.cluster.instances import AWS_GPU_MACHINES, COREWEAVE_GPU_MACHINES
from plinth.cli import app
from plinth.cost import CostEstimate, estimate
from plinth.cost_render import to_markdown, to_table
from plinth.diff import compare
from plinth.diff import to_markdown as diff_markdown
from plinth.diff import to_table as diff_table
from plinth.document import load_stack_spec
from plinth.spec import PlinthSpec
from policies.prices import TABLES_DIR, AwsRegionPrices, CoreWeavePrices, PriceBook, price_book

SOURCE = {"url": "https://example.com/prices", "retrieved": "2026-11-01", "asOf": "2026-10-01"}
TABLE = {
    "version": "2026-11-01",
    "currency": "USD",
    "note": "round prices",
    "sources": {"s": SOURCE},
}
runner = CliRunner()


FIXED = {
    "natGatewayHour": 0.05,
    "interfaceEndpointHour": 0.01,
    "publicIpv4Hour": 0.005,
    "eksClusterHour": 0.1,
    "kmsKeyMonth": 1.0,
    "cloudwatchAlarmMonth": 0.1,
    "opensearchOcuHour": 0.25,
    "auroraAcuHour": 0.1,
    "valkeyServerlessGbHour": 0.1,
    "valkeyServerlessMillionEcpu": 0.002,
    "secretMonth": 0.5,
}
US_EAST_1 = AwsRegionPrices.model_validate(
    {
        **TABLE,
        "region": "us-east-1",
        "instances": {
            "source": "s",
            "hourly": {"g6e.xlarge": 1.0, "g6e.2xlarge": 2.0, "g6e.12xlarge": 8.0},
        },
        "fixed": {name: {"usd": usd, "source": "s"} for name, usd in FIXED.items()},
        "provisionedThroughput": {
            "source": "s",
            "unitHour": {"amazon.titan-embed-text-v2:0": {"OneMonth": 10.0}},
        },
    }
)
COREWEAVE = CoreWeavePrices.model_validate(
    {**TABLE, "instances": {"source": "s", "hourly": {"gd-8xl40s-i128": 16.0}}}
)
ROUND_PRICES = PriceBook({"us-east-1": US_EAST_1}, COREWEAVE)


def spec_with(tmp_path: Path, **changes: Any) -> PlinthSpec:
    document = dev_stack_document()
    document["config"].update(changes)
    follow_the_gateway(document["config"])
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_stack_spec(ROOT / "infra", "dev", path)


def lines(result: CostEstimate) -> dict[str, tuple[float | None, float | None]]:
    return {line.item: (line.minimum, line.maximum) for line in result.lines}


def left_out(result: CostEstimate) -> dict[str, tuple[int, str]]:
    return {item.kind: (item.count, item.reason) for item in result.not_estimated}


def test_the_dev_stack_at_its_smallest_and_largest(tmp_path: Path) -> None:
    result = estimate(spec_with(tmp_path), "dev", ROUND_PRICES)
    assert lines(result) == {
        "cluster gpu: EKS control plane": (73.0, 73.0),
        # minNodes 0, but the served model keeps one node (the cheaper type, 1.0 an hour) up;
        # 2 nodes of the dearer type (2.0 an hour) at the top: 2 x 2.0 x 730
        "cluster gpu: pool l40s": (730.0, 2920.0),
        "NAT gateways": (36.5, 36.5),  # one gateway (natGateways: single)
        "public IPv4 addresses": (3.65, 3.65),  # its Elastic IP: 0.005 x 730
        # sts, ecr.api, ecr.dkr, logs and the two Bedrock endpoints, in 3 AZs: 18 x 0.01 x 730
        "interface endpoints": (131.4, 131.4),
        # the platform, audit and alarm-topic keys, and one per tenant
        "KMS keys": (5.0, 5.0),
        "CloudWatch alarms": (1.5, 1.5),  # the 15 CIS alarms of the soc2 profile, 0.1 each
        # standby replicas off: 0.5 indexing + 0.5 search OCU, 1 x 0.25 x 730
        "tenant fraud-detection: vector store": (182.5, 182.5),
        # 0.5 to 4 ACUs at 0.1 an hour
        "gateway database": (36.5, 292.0),
        # 100 MB metered at least; at most 5 GB (365.0) and 5000 ECPUs a second all month
        # (13,140 million at 0.002: 26.28)
        "gateway cache": (7.3, 391.28),
        # master and salt keys, the search team's key (keyInSecretsManager), the trace
        # store's three and the search team's MLflow admin sign-in (tracking.server: cluster)
        "Secrets Manager secrets": (3.5, 3.5),
    }
    assert (result.total("minimum"), result.total("maximum")) == (1210.85, 4040.33)
    tenants = {t.name: (t.max_gpu_usd, t.budget_usd, t.over_budget) for t in result.tenants}
    # fraud-detection may use 2 L40S, search 1, each at 2.0 an hour (the dearer machine)
    assert tenants == {"fraud-detection": (2920.0, 4000, False), "search": (1460.0, 2000, False)}


def test_what_bills_by_use_is_named_with_its_count_never_priced(tmp_path: Path) -> None:
    result = estimate(spec_with(tmp_path), "dev", ROUND_PRICES)
    usage = {
        kind: count for kind, (count, reason) in left_out(result).items() if reason == "usage-based"
    }
    # access logs, the two data buckets, audit logs, Bedrock logs and 3 per tenant
    assert usage["S3 buckets"] == 11
    # flow logs, control plane, trail copy, Bedrock, Prometheus, model approvals
    assert usage["log groups"] == 6
    assert usage["AWS Config rules"] == 18
    assert usage["SageMaker feature groups"] == 1  # fraud-detection's transactions
    assert {"CloudTrail trails", "GuardDuty detectors", "Security Hub"} <= set(usage)
    assert left_out(result)["OpenSearch Serverless VPC endpoints"] == (1, "no price in the table")
    # Nothing named under "not estimated" is also a priced line.
    assert not set(left_out(result)) & set(lines(result))
    markdown = to_markdown(result.to_json())
    assert "| S3 buckets | 11 | usage-based: storage, requests, transfer |" in markdown
    assert "**Not estimated** (billed by use, or no price in the table" in markdown


@pytest.mark.parametrize(("standby", "ocus"), [(False, 1), (True, 2)])
def test_a_vector_store_is_priced_at_its_minimum_ocus(
    tmp_path: Path, standby: bool, ocus: int
) -> None:
    tenant = yaml.safe_load((ROOT / "projects" / "fraud-detection.yaml").read_text())
    tenant["dataStores"]["vectorStore"]["standbyReplicas"] = standby
    spec = spec_with(tmp_path, **{"plinth:tenants": [tenant, "search"]})
    [line] = [line for line in estimate(spec, "dev", ROUND_PRICES).lines if "vector" in line.item]
    assert (line.minimum, line.maximum) == (ocus * 0.25 * 730, ocus * 0.25 * 730)
    assert f"floor: {ocus} OCU" in line.detail


def stack_in(tmp_path: Path, region: str, machine: str) -> PlinthSpec:
    """The dev stack moved to `region`, its pool on `machine` (no Bedrock or tenants, whose
    models are the US geography's)."""
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["gpuPools"][0]["instanceTypes"] = [machine]
    return spec_with(
        tmp_path,
        **{
            "plinth:aws": {"region": region},
            "plinth:clusters": [cluster],
            "plinth:bedrock": {"enabled": False},
            "plinth:tenants": [],
        },
    )


@pytest.mark.parametrize(
    ("region", "machine", "hourly", "updated"),
    [
        # From each region's table: the same machine costs differently in each.
        ("us-east-1", "p4d.24xlarge", 21.957642, "2026-12-05"),
        ("us-west-2", "p4d.24xlarge", 21.95764, "2026-12-04"),
        ("eu-west-1", "g5.xlarge", 1.123, "2026-12-04"),
        ("ap-northeast-1", "g5.xlarge", 1.459, "2026-12-04"),
    ],
)
def test_a_stack_gets_its_own_region_s_prices(
    tmp_path: Path, region: str, machine: str, hourly: float, updated: str
) -> None:
    result = estimate(stack_in(tmp_path, region, machine), "dev", price_book())
    assert lines(result)["cluster gpu: pool l40s"] == (0.0, round(2 * hourly * 730, 2))
    assert result.to_json()["prices"] == {
        "awsRegion": region,
        "awsTable": updated,
        "coreweaveTable": "2026-11-21",
        "currency": "USD",
        "note": price_book().aws[region].note,
    }


def test_tokyo_s_nat_gateway_and_a_price_its_table_lacks(tmp_path: Path) -> None:
    result = estimate(stack_in(tmp_path, "ap-northeast-1", "g5.xlarge"), "dev", price_book())
    assert lines(result)["NAT gateways"] == (45.26, 45.26)  # 0.062 x 730, not us-east-1's
    # No source gave Tokyo's interface endpoint price: unknown, listed, and the total unknown.
    assert lines(result)["interface endpoints"] == (None, None)
    # sts, ecr.api, ecr.dkr and logs in 3 AZs
    assert left_out(result)["interface endpoint-AZs"] == (
        12,
        "no price in the ap-northeast-1 table",
    )
    assert result.total("minimum") is None


def test_a_region_without_a_table_prices_nothing_on_aws_and_says_so(tmp_path: Path) -> None:
    result = estimate(stack_in(tmp_path, "sa-east-1", "g5.xlarge"), "dev", price_book())
    amounts = {amount for line in result.lines for amount in (line.minimum, line.maximum)}
    assert amounts == {None, 0.0}  # a pool at 0 nodes costs nothing, priced or not
    note = result.to_json()["prices"]
    assert note["awsTable"] is None
    assert note["note"].startswith("no AWS price table for sa-east-1: every AWS price is unknown")
    reasons = left_out(result)
    assert reasons["EKS clusters"] == (1, "no price in any table")
    assert reasons["GPU instance types"] == (1, "no price in any table")
    assert "no AWS price table for sa-east-1" in to_markdown(result.to_json())


def test_an_unpriced_machine_makes_the_total_unknown(tmp_path: Path) -> None:
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["gpuPools"][0]["instanceTypes"] = ["g6e.48xlarge"]
    spec = spec_with(tmp_path, **{"plinth:clusters": [cluster]}, **{"plinth:tenants": []})
    result = estimate(spec, "dev", ROUND_PRICES)
    # the served model keeps a node of the unpriced type up, so even the minimum is unknown
    assert lines(result)["cluster gpu: pool l40s"] == (None, None)
    assert left_out(result)["GPU instance types"] == (1, "no price in the us-east-1 table")
    assert result.total("minimum") is None
    assert result.total("maximum") is None
    assert "| **total** | | **unknown** | **unknown** |" in to_markdown(result.to_json())


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
    # nodegroups mode: a system node group of CPU instances, which no table prices
    assert left_out(result)["EKS system node groups"] == (1, "no price in the table")


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


def test_a_tenant_stack_prices_its_tenants_own_resources(tmp_path: Path) -> None:
    spec = load_stack_spec(ROOT / "infra", "dev-vision")
    priced = estimate(spec, "dev-vision", ROUND_PRICES, platform=spec_with(tmp_path))
    # vision's key, and its vector store's floor (no standby replicas): 1 OCU x 0.25 x 730
    assert lines(priced) == {"KMS keys": (1.0, 1.0), "tenant vision: vector store": (182.5, 182.5)}
    assert left_out(priced)["S3 buckets"] == (3, "usage-based")
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


def test_the_price_tables_are_dated_sourced_and_name_real_machines() -> None:
    book = price_book()
    assert set(book.aws) == {"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"}
    for table in (*book.aws.values(), book.coreweave):
        assert table.version <= dt.date.today()
        assert table.note
        for source in table.sources.values():
            assert source.url.startswith("https://")
            assert source.retrieved <= dt.date.today()
    for table in book.aws.values():
        assert set(table.instances.hourly) <= set(AWS_GPU_MACHINES)
        assert all(price > 0 for price in table.instances.hourly.values())
    assert set(book.coreweave.instances.hourly) <= set(COREWEAVE_GPU_MACHINES)


def table_file(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((TABLES_DIR / "aws-eu-west-1.yaml").read_text())
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": None}, "version"),
        ({"sources": {}}, "sources"),
        ({"fixed": {"kmsKeyMonth": {"usd": 1.0, "source": "nowhere"}}}, "'nowhere'"),
        ({"fixed": {"kmsKeyMnth": {"usd": 1.0, "source": "kms-pricing"}}}, "kmsKeyMnth"),
        ({"fixed": {"kmsKeyMonth": {"usd": 0, "source": "kms-pricing"}}}, "greater than 0"),
    ],
)
def test_a_table_without_its_date_or_sources_is_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        AwsRegionPrices.model_validate(table_file(**changes))


def test_a_source_needs_an_address_and_the_day_it_was_read() -> None:
    sources = table_file()["sources"]
    for field, value in (("url", "http://example.com"), ("retrieved", None)):
        broken = {**sources, "kms-pricing": {**sources["kms-pricing"], field: value}}
        with pytest.raises(ValidationError, match=field):
            AwsRegionPrices.model_validate(table_file(sources=broken))


def test_a_table_file_names_its_region(tmp_path: Path) -> None:
    (tmp_path / "coreweave.yaml").write_text((TABLES_DIR / "coreweave.yaml").read_text())
    (tmp_path / "aws-eu-west-2.yaml").write_text((TABLES_DIR / "aws-eu-west-1.yaml").read_text())
    with pytest.raises(ValueError, match=r"aws-eu-west-2\.yaml holds the prices of eu-west-1"):
        price_book(tmp_path)


def test_plinth_cost_and_the_preview_cost_section() -> None:
    result = runner.invoke(app, ["cost", "--format", "json"])
    assert result.exit_code == 0, result.output
    cost = json.loads(result.stdout)
    assert cost["stack"] == "dev"
    assert cost["prices"]["awsTable"] == price_book().aws["us-east-1"].version.isoformat()
    assert {"kind": "S3 buckets", "count": 11} in [
        {"kind": item["kind"], "count": item["count"]} for item in cost["notEstimated"]
    ]
    preview = runner.invoke(app, ["preview", "--format", "json"])
    assert json.loads(preview.stdout)["cost"] == cost
    markdown = runner.invoke(app, ["preview", "--format", "markdown"]).stdout
    assert "#### Monthly cost estimate: stack dev (AWS us-east-1 prices of" in markdown


def test_a_program_that_is_not_plinth_s_has_no_cost_section() -> None:
    program = str(ROOT / "tests" / "programs" / "options")
    # --no-cache: a cached preview would land in tests/programs/options, which test_cache copies.
    result = runner.invoke(
        app,
        ["preview", "--program", program, "--stack", "test", "--format", "json", "--no-cache"],
    )
    assert result.exit_code == 0, result.output
    assert "cost" not in json.loads(result.stdout)


POLICY = {"passed": True, "mandatory": 0, "advisory": 1, "waived": 0, "rules": 67,
          "resources": 1, "profiles": ["baseline"]}  # fmt: skip


def test_the_diff_comment_shows_the_cost_change(tmp_path: Path) -> None:
    base_spec = spec_with(tmp_path)
    cluster = dev_stack_document()["config"]["plinth:clusters"][0]
    cluster["gpuPools"][0]["maxNodes"] = 4
    head_spec = spec_with(tmp_path, **{"plinth:clusters": [cluster]})
    base = {"resources": [], "cost": estimate(base_spec, "dev", ROUND_PRICES).to_json()}
    head = {
        "resources": [],
        "cost": estimate(head_spec, "dev", ROUND_PRICES).to_json(),
        "policy": POLICY,
    }
    comment = diff_markdown([compare("dev", "main", base, head)])
    # two more nodes at 2.0 an hour: +2,920 at the top of the range
    assert "| change from base | | +$0.00 | +$2,920.00 |" in comment
    assert "**Policies:** PASSED: 0 mandatory, 1 advisory, 0 waived finding(s)" in comment
    assert "| log groups | 6 | usage-based: ingestion, storage |" in comment
    assert compare("dev", "main", base, head).to_json()["cost"]["head"]["maxUsd"] == 6960.33
    # The terminal view says the same as the comment: the policy verdict and the change.
    console = Console(record=True, width=200)
    console.print(diff_table([compare("dev", "main", base, head)]))
    text = console.export_text()
    assert "Policies: PASSED: 0 mandatory, 1 advisory, 0 waived finding(s)" in text
    assert re.search(r"change from base +│ +│ \+\$0\.00 +│ \+\$2,920\.00", text)
    assert re.search(r"S3 buckets × 11 +│ usage-based: storage, requests, transfer", text)


def test_a_base_from_before_the_price_tables_still_diffs(tmp_path: Path) -> None:
    """A base revision's cost is rendered by this revision's code: only its totals are read,
    so a base estimate in the older form (one price version, no notEstimated) still diffs."""
    head = estimate(spec_with(tmp_path), "dev", ROUND_PRICES).to_json()
    old_base = {"stack": "dev", "prices": {"version": "2026-11-21", "currency": "USD",
                "awsRegion": "us-east-1"}, "tenantStack": False, "lines": [],
                "total": {"minUsd": 240.9, "maxUsd": 3160.9}, "tenants": []}  # fmt: skip
    comment = diff_markdown(
        [
            compare(
                "dev", "main", {"resources": [], "cost": old_base}, {"resources": [], "cost": head}
            )
        ]
    )
    assert "| change from base | | +$969.95 | +$879.43 |" in comment


def test_the_terminal_table(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    console.print(to_table(estimate(spec_with(tmp_path), "dev", ROUND_PRICES).to_json()))
    text = console.export_text()
    assert "Monthly cost estimate: stack dev (AWS us-east-1 prices of 2026-11-01" in text
    assert re.search(r"total +│ +│ \$1,210\.85 +│ \$4,040\.33", text)
    assert re.search(
        r"tenant search +│ max GPU spend \(1 on gpu/l40s\) vs budget \$2,000\.00", text
    )
    assert re.search(r"not estimated +│ billed by use, or no price in the table", text)
    assert "Price table: round prices" in text
