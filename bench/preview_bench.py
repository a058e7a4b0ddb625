"""Offline preview speed: the dev stack against the mock runtime's own floor.

Prints
- the dev stack's resource count;
- the first in-process preview (imports included) and the median of warm previews;
- the floor: the SDK's plain mock runtime registering the same number of bare resources
  (no capture, no plausible outputs, no program logic), run the same way, and the ratio;
- `make preview` as a whole process, as a user runs it.

Targets (issue 2): ratio under 2, warm preview under 1 s on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import runpy
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack

from plinth.engine import preview_stack
from plinth.engine.project import find_project, load_stack_config
from plinth.engine.runtime import CloudMocks, install_monitor

ROOT = Path(__file__).resolve().parent.parent

RUNS = 7


class BareMocks(mocks.Mocks):
    """The least a mock can do: echo inputs, answer invokes with nothing."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


def timed_run(program: Callable[[], Any]) -> float:
    """Seconds to run `program` under the monitor installed last, as the language host does."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    start = time.perf_counter()
    loop.run_until_complete(run_in_stack(program))
    elapsed = time.perf_counter() - start
    loop.close()
    settings.ROOT.set(None)
    return elapsed


def floor_once(count: int) -> float:
    """Seconds for the plain mock runtime to register `count` bare custom resources."""
    monitor = mocks.MockMonitor(BareMocks())
    install_monitor(monitor, project="bench", stack="floor")

    def program() -> None:
        for index in range(count - 1):  # the stack itself is the last one
            pulumi.CustomResource("bench:index:Bare", f"bare-{index}", {"value": index})

    elapsed = timed_run(program)
    if len(monitor.resources) != count - 1:
        raise RuntimeError(f"floor registered {len(monitor.resources)}, expected {count - 1}")
    return elapsed


def sdk_mocks_once() -> float:
    """The same program under the SDK's plain mock monitor and wait loop, no capture.

    It still needs the engine's plausible outputs (the program builds ARNs from them). The
    gap between this and the floor is what the SDK itself spends on real resource classes.
    """
    project = find_project(ROOT / "infra")
    config = load_stack_config(project, "dev")
    runtime_config.set_all_config(config.values, config.secret_keys)
    monitor = mocks.MockMonitor(CloudMocks("us-east-1", {}))
    install_monitor(monitor, project="plinth", stack="dev")
    return timed_run(lambda: runpy.run_path(str(project.program), run_name="__main__"))


def preview_once() -> tuple[float, int]:
    start = time.perf_counter()
    preview = preview_stack(ROOT / "infra", "dev")
    return time.perf_counter() - start, len(preview.resources)


def make_preview_seconds() -> float:
    start = time.perf_counter()
    subprocess.run(
        ["make", "--no-print-directory", "preview"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    cold, count = preview_once()
    warm = statistics.median(preview_once()[0] for _ in range(RUNS))
    floor_once(count)  # warm the SDK paths the floor uses
    floor = statistics.median(floor_once(count) for _ in range(RUNS))
    sdk_mocks_once()
    sdk_program = statistics.median(sdk_mocks_once() for _ in range(RUNS))
    whole = make_preview_seconds()

    print(f"dev stack resources:                 {count}")
    print(f"first preview (imports included):    {cold:.3f} s")
    print(f"warm preview, median of {RUNS}:          {warm:.3f} s   (target < 1 s)")
    print(f"floor: bare mock registrations x{count}: {floor:.3f} s")
    print(f"ratio preview / floor:               {warm / floor:.2f}    (target < 2)")
    print(f"same program, SDK's plain mocks:     {sdk_program:.3f} s")
    print(f"  of which the SDK (vs floor):       {sdk_program / floor:.2f} x")
    print(f"  engine (capture, linear wait):     {warm / sdk_program:.2f} x")
    print(f"`make preview` whole process:        {whole:.3f} s")


if __name__ == "__main__":
    main()
