"""`make test` on a fresh clone of HEAD, as CI runs it: the setup (uv and the locked
virtualenv, from the machine's uv cache) and the test command itself, timed apart.

Target (issue 18): `make test` under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, capture_output=True, env={**os.environ, "CI": "true"}
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        clone = Path(temporary) / "plinth"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        setup = timed(["make", "setup"], clone)
        tests = timed(["make", "test"], clone)
    print(f"fresh clone of HEAD, {os.cpu_count()} cores")
    print(f"make setup (uv, the locked virtualenv):  {setup:6.1f} s")
    print(f"make test (lint, types, the suite):      {tests:6.1f} s   (target < 180 s)")


if __name__ == "__main__":
    main()
