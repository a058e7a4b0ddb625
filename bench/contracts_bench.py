"""What checking the cloud's API contracts adds to an offline preview of the dev stack.

Every preview checks what the program registers against the AWS API models, the documented
limits and the Kubernetes/CRD schemas (plinth/engine/contracts). This measures that check's
share of the preview, both ways a user meets it:

- a fresh process (`plinth preview` as run from a shell): the first preview, where the check
  also loads its models and schemas and imports its libraries;
- a warm process (tests, repeated previews): the median of several previews.

Target (issue 17): the check adds under 10% to a dev-stack preview.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def timed_previews(count: int) -> list[tuple[float, float]]:
    """(whole preview, contract check within it) in seconds, for `count` previews in this
    process."""
    from plinth.engine import preview_stack, runtime

    spent: list[float] = []
    check: Callable[..., Any] = runtime.check_contracts

    def timed_check(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return check(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    runtime.check_contracts = timed_check  # type: ignore[assignment]
    results = []
    for _ in range(count):
        start = time.perf_counter()
        preview_stack(ROOT / "infra", "dev")
        results.append((time.perf_counter() - start, spent[-1]))
    return results


def fresh_process() -> tuple[float, float]:
    """The first preview of a new process, and the check's part of it (imports included)."""
    output = subprocess.run(
        [sys.executable, __file__, "--first"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    whole, check = json.loads(output.splitlines()[-1])
    return float(whole), float(check)


def main() -> None:
    if sys.argv[1:] == ["--first"]:
        print(json.dumps(timed_previews(1)[0]))
        return
    first_whole, first_check = statistics.median_low(fresh_process() for _ in range(3))
    timed_previews(1)  # warm this process
    warm = timed_previews(RUNS)
    warm_whole = statistics.median(whole for whole, _ in warm)
    warm_check = statistics.median(check for _, check in warm)
    print("contract check on the dev stack preview (target: adds under 10%)")
    print(f"fresh process: preview {first_whole:.3f} s, of which the check {first_check:.3f} s")
    print(f"  the check adds {first_check / (first_whole - first_check):.1%} to the preview")
    print(f"warm, median of {RUNS}: preview {warm_whole:.3f} s, check {warm_check:.3f} s")
    print(f"  the check adds {warm_check / (warm_whole - warm_check):.1%} to the preview")


if __name__ == "__main__":
    main()
