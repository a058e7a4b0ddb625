"""Runs every benchmark and writes what they print to docs/benchmarks.md (`make bench`): the
figures in the docs come from a run, never from a hand."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "benchmarks.md"
BENCHES = (
    ("Preview against the mock runtime's floor", "preview_bench.py"),
    ("Audit against preview", "audit_bench.py"),
    ("Tenants: 0, 10 and 100", "tenant_bench.py"),
    ("The contract check's share of a preview", "contracts_bench.py"),
    ("Whole commands against the SDK's own mocks", "commands_bench.py"),
    ("The test suite on a fresh clone", "suite_bench.py"),
)


def main() -> None:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    sections = []
    missed = []
    for title, script in BENCHES:
        run = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script)],
            check=False, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        printed = run.stdout
        if run.returncode:
            # A missed target is a result to publish, not a reason to lose the other figures.
            missed.append(script)
            printed += f"{run.stderr}(exited {run.returncode}: a target above was missed)\n"
        sys.stdout.write(f"== {title}\n{printed}")
        sections.append(f"## {title}\n\n`bench/{script}`:\n\n```\n{printed.rstrip()}\n```\n")
    header = (
        "# Benchmarks\n\n"
        "<!-- written by `make bench` (bench/write_page.py): do not edit by hand -->\n\n"
        f"Run on {dt.date.today().isoformat()} at commit `{commit}`, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Each section is what its script printed; the "
        "scripts say what they measure and their targets.\n\n"
    )
    PAGE.write_text(header + "\n".join(sections))
    print(f"wrote {PAGE.relative_to(ROOT)}")
    if missed:
        sys.exit(f"targets missed in: {', '.join(missed)}")


if __name__ == "__main__":
    main()
