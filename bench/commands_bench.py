"""Whole commands as a user runs them, each in a fresh process, against the dev program under
the Pulumi SDK's own mocks (no capture, no contract check, no policies, no cost).

Runs alternate (SDK, audit, diff, help, SDK, ...) so the machine's load falls on all alike,
on a clean checkout of HEAD (a temporary git worktree: a diff of an unchanged tree). Prints
the medians and the ratios issue 18 targets:

- `plinth audit --no-cache` / SDK run <= 1.0;
- `plinth diff --base HEAD` after one audit / that audit <= 0.5;
- `plinth --help` / SDK run <= 0.05.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3

# The dev program under pulumi.runtime.set_mocks with the engine's mocked answers, and
# nothing else: what the SDK itself costs to run this program.
SDK_RUN = """
import runpy, sys
from pathlib import Path
import pulumi
from pulumi.runtime import config as runtime_config
from plinth.engine.project import find_project, load_stack_config
from plinth.engine.runtime import CloudMocks

project = find_project(Path("infra"))
config = load_stack_config(project, "dev")
runtime_config.set_all_config(config.values, config.secret_keys)
pulumi.runtime.set_mocks(CloudMocks("us-east-1", {}), project="plinth", stack="dev", preview=False)
sys.path.insert(0, str(project.program))
runpy.run_path(str(project.program / "__main__.py"), run_name="__main__")
"""


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as temporary:
        tree = Path(temporary) / "head"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), "HEAD"],
            check=True,
        )
        try:
            plinth = [python, "-m", "plinth"]
            times: dict[str, list[float]] = {"sdk": [], "audit": [], "diff": [], "help": []}
            for _ in range(RUNS):
                times["sdk"].append(timed([python, "-c", SDK_RUN], tree))
                times["audit"].append(timed([*plinth, "audit", "--no-cache", "-f", "json"], tree))
                times["diff"].append(timed([*plinth, "diff", "--base", "HEAD"], tree))
                times["help"].append(timed([*plinth, "--help"], tree))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
            )
    sdk, audit, diff, help_ = (
        statistics.median(times[k]) for k in ("sdk", "audit", "diff", "help")
    )
    print(f"commands on the dev stack, whole processes, median of {RUNS} alternating runs")
    rows = [
        ("SDK's own mocks, the program alone", sdk, ""),
        ("plinth audit --no-cache", audit, f"{audit / sdk:.2f} x SDK (target <= 1.0)"),
        (
            "plinth diff --base HEAD after audit",
            diff,
            f"{diff / audit:.2f} x audit (target <= 0.5)",
        ),
        ("plinth --help", help_, f"{help_ / sdk:.3f} x SDK (target <= 0.05)"),
    ]
    for label, seconds, ratio in rows:
        print(f"{label + ':':38} {seconds:5.2f} s   {ratio}")


if __name__ == "__main__":
    main()
