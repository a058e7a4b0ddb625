"""Fixtures shared by every test module (helpers live in support.py), and the guard that keeps
the `e2e` mark honest."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

from plinth.engine import Preview, preview_stack

# Programs whose start makes a test end-to-end: Plinth in its own process, or a real server.
WHOLE_PROCESSES = frozenset(
    {"plinth", "postgres", "pg_ctl", "initdb", "runuser", "redis-server", "valkey-server",
     "litellm", "phoenix", "mlflow", "nginx"}
)  # fmt: skip
_running: list[pytest.Item] = []


def _program(args: Any) -> str:
    first = args[0] if isinstance(args, list | tuple) else str(args).split()[0]
    return str(first)


def starts_a_whole_process(args: Any) -> bool:
    program = _program(args)
    name = Path(program).name
    return program == sys.executable or name.startswith("python") or name in WHOLE_PROCESSES


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def pytest_configure(config: pytest.Config) -> None:
    """Fail a test that starts Plinth or a server without the `e2e` mark (in its setup, its
    body or a fixture it uses), so `make test-quick` really leaves every slow one out."""
    popen_init = subprocess.Popen.__init__

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        test = _running[-1] if _running else None
        if test is not None and not test.get_closest_marker("e2e") and starts_a_whole_process(args):
            raise pytest.fail.Exception(
                f"{test.nodeid} starts {_program(args)!r}: mark it @pytest.mark.e2e"
            )
        popen_init(self, args, *rest, **options)

    subprocess.Popen.__init__ = guarded  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def dev_preview() -> Preview:
    """The built-in dev stack, previewed once per test session."""
    return preview_stack(ROOT / "infra", "dev")


@pytest.fixture(scope="session")
def coreweave_preview() -> Preview:
    """The built-in coreweave stack, previewed once per test session."""
    return preview_stack(ROOT / "infra", "coreweave")
