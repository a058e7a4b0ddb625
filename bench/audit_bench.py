"""Policy audit speed: what `plinth audit` adds on top of the offline preview.

Prints
- the dev stack: warm preview, warm audit (the pack over the captured resources), the ratio;
- a synthetic stack of about 1,000 resources (secure buckets, each with its encryption,
  public-access block, versioning, policy, lifecycle and logging resources): its preview,
  its audit, the audit time per 1,000 resources and the ratio.

The audit runs the whole pack: every profile claimed, so no rule is disabled.
Target (issue 22): the whole pack adds under 20% to a preview (ratio audit / preview < 0.2).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from plinth.audit import StackCompliance, audit_preview
from plinth.engine import Preview, preview_stack, run_callable
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID
from policies.catalog import PROFILES

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
SYNTHETIC_BUCKETS = 125  # 8 resources each (component included): 1,000 plus the key and stack
COMPLIANCE = StackCompliance(profiles=list(PROFILES), waivers=[])

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def median_seconds(action: Callable[[], object]) -> float:
    action()  # warm imports and caches
    return statistics.median(timed(action)[0] for _ in range(RUNS))


def synthetic_program() -> None:
    from components.scope import AwsScope
    from components.storage import EncryptionKey, EncryptionKeyArgs, SecureBucket, SecureBucketArgs

    scope = AwsScope(account_id=EXAMPLE_ACCOUNT_ID, region="us-east-1")
    tags = {"owner": "o", "cost-center": "c", "environment": "e", "data-classification": "d"}
    key = EncryptionKey("bench", EncryptionKeyArgs(scope=scope, description="bench", tags=tags))
    for index in range(SYNTHETIC_BUCKETS):
        SecureBucket(
            f"bench-{index}", SecureBucketArgs(scope=scope, tags=tags, kms_key_arn=key.arn)
        )


def synthetic_preview() -> Preview:
    return run_callable(synthetic_program, project="bench", stack="bench", config={})


def report(label: str, preview_seconds: float, audit_seconds: float, resources: int) -> None:
    print(f"{label}: {resources} resources")
    print(f"  warm preview, median of {RUNS}:      {preview_seconds:.3f} s")
    print(f"  warm audit, median of {RUNS}:        {audit_seconds:.3f} s")
    print(f"  audit per 1,000 resources:         {audit_seconds * 1000 / resources:.3f} s")
    ratio = audit_seconds / preview_seconds
    print(f"  ratio audit / preview:             {ratio:.2f}  (target < 0.2)")


def main() -> None:
    dev = preview_stack(ROOT / "infra", "dev")
    report(
        "dev stack",
        median_seconds(lambda: preview_stack(ROOT / "infra", "dev")),
        median_seconds(lambda: audit_preview(dev, COMPLIANCE)),
        len(dev.resources),
    )
    synthetic = synthetic_preview()
    report(
        "synthetic stack",
        median_seconds(synthetic_preview),
        median_seconds(lambda: audit_preview(synthetic, COMPLIANCE)),
        len(synthetic.resources),
    )


if __name__ == "__main__":
    main()
