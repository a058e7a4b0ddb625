"""Tenant scale: offline previews of the dev stack with 10 and 100 synthetic tenants.

Prints, for 0, 10 and 100 tenants: resources and the median preview time, then
- the ratio of the 100-tenant to the 10-tenant preview (target, issue 6: at most 11, i.e.
  ten times the tenants costs at most about ten times the time);
- the cost of one more tenant, measured between 0 and 10 and between 10 and 100 tenants:
  a growing per-tenant cost would mean something scans all tenants for each tenant.

Each synthetic tenant is like the example `fraud-detection` project (every component:
personas, a cluster quota, Bedrock models, vector store, feature store, budget).
"""

from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from plinth.engine import preview_stack

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
TARGET_RATIO = 11


def stack_with_tenants(count: int) -> dict[str, Any]:
    """The dev stack file with `count` inline copies of the fraud-detection tenant."""
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    template = yaml.safe_load((ROOT / "projects" / "fraud-detection.yaml").read_text())
    tenants = []
    for index in range(count):
        tenant = copy.deepcopy(template)
        tenant["name"] = f"team-{index:03d}"
        tenants.append(tenant)
    stack["config"]["plinth:tenants"] = tenants
    return stack


def median_preview(count: int, folder: Path) -> tuple[int, float]:
    """(resources, median seconds) of previewing the dev stack with `count` tenants."""
    config = folder / f"Pulumi.bench-{count}.yaml"
    config.write_text(yaml.safe_dump(stack_with_tenants(count)))
    times, resources = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        preview = preview_stack(ROOT / "infra", "dev", config_file=config)
        times.append(time.perf_counter() - start)
        resources = len(preview.resources)
    return resources, statistics.median(times)


def main() -> int:
    print(f"median of {RUNS} in-process previews each")
    with tempfile.TemporaryDirectory() as folder:
        figures = {count: median_preview(count, Path(folder)) for count in (0, 10, 100)}
    for count, (resources, seconds) in figures.items():
        print(f"{count:>3} tenants: {resources:>6} resources, preview {seconds:6.2f} s")
    (_, base), (_, ten), (_, hundred) = figures[0], figures[10], figures[100]
    ratio = hundred / ten
    print(f"100 / 10 tenants: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(
        f"one more tenant: {(ten - base) / 10 * 1000:.0f} ms (0 -> 10), "
        f"{(hundred - ten) / 90 * 1000:.0f} ms (10 -> 100)"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
