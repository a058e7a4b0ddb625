"""The `e2e` mark is kept honest: a test that starts Plinth or a server in its own process
without the mark fails (tests/conftest.py), so `make test-quick` leaves out every slow one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import starts_a_whole_process
from support import ROOT


def test_an_unmarked_test_cannot_start_plinth_in_its_own_process() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest.mark.e2e"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


@pytest.mark.e2e
def test_a_marked_test_can() -> None:
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


def test_an_unmarked_test_may_run_other_tools() -> None:
    assert subprocess.run(["git", "--version"], capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize(
    ("args", "whole"),
    [([sys.executable, "-m", "plinth"], True), (["/x/.venv/bin/plinth", "audit"], True),
     ("python3 -c pass", True), (["redis-server", "--port", "0"], True), (["postgres"], True),
     (["git", "status"], False), (["/usr/bin/actionlint"], False)],
)  # fmt: skip
def test_what_counts_as_a_whole_process(args: list[str] | str, whole: bool) -> None:
    assert starts_a_whole_process(args) is whole


def test_make_test_runs_the_marked_tests_and_test_quick_leaves_them_out() -> None:
    recipes = {
        block.split(":")[0]: block.split()
        for block in (ROOT / "Makefile").read_text().split("\n\n")
    }
    assert "pytest" in recipes["test"]  # `make test` (CI's command) runs the pytest target
    assert "-m" not in recipes["pytest"]
    assert '"not e2e"' in " ".join(recipes["test-quick"])
