"""docs/troubleshooting.md shows the messages the commands really print: each case here makes
one of its errors happen and finds every line of the output on the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT
from typer.testing import CliRunner, Result

from plinth.cli import app

DEV_STACK = (ROOT / "Pulumi.dev.yaml").read_text()
# How the page writes the paths that differ between machines.
REPOSITORY_SHOWN_AS = "/path/to/plinth"
PROJECT_SHOWN_AS = "/path/to/project"

Case = Callable[[Path, pytest.MonkeyPatch], Result]


def _invoke(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=stdin)


def _dev_stack_with(*changes: tuple[str, str]) -> Case:
    """A preview of the dev stack file with each (old, new) text replaced, from stdin."""

    def case(_tmp_path: Path, _monkeypatch: pytest.MonkeyPatch) -> Result:
        text = DEV_STACK
        for old, new in changes:
            assert old in text
            text = text.replace(old, new)
        return _invoke(["preview", "--config", "-"], text)

    return case


def _bad_tenant_file(tmp_path: Path, _monkeypatch: pytest.MonkeyPatch) -> Result:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "infra", "projects"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    tenant = tmp_path / "projects" / "search.yaml"
    tenant.write_text(tenant.read_text().replace("      l40s: 1", "      h100: 1"))
    return _invoke(["preview", "--program", str(tmp_path), "--no-cache"])


def _program_error(tmp_path: Path, _monkeypatch: pytest.MonkeyPatch) -> Result:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        'import pulumi\n\nbucket_name = pulumi.Config().require("bucketName")\n'
    )
    return _invoke(["preview", "--program", str(tmp_path), "--no-cache"])


def _not_a_saved_preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(tmp_path)
    Path("plan.json").write_text("{}")
    return _invoke(["audit", "--from", "plan.json"])


def _no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """Whatever the machine has, preflight finds no credentials (and asks no metadata service)."""
    for variable in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return _invoke(["preflight", "--stack", "dev"])


CASES: dict[str, Case] = {
    "invalid stack configuration": _dev_stack_with(
        ("cidr: 10.40.0.0/16", "cidr: 10.40.0.0/33"),
        ("plinth:protect: false", "plinth:protec: false"),
    ),
    "misspelled namespace": _dev_stack_with(("plinth:owner:", "plinht:owner:")),
    "unquoted kubernetesVersion": _dev_stack_with(
        ('kubernetesVersion: "1.35"', "kubernetesVersion: 1.30")
    ),
    "unquoted account ID": _dev_stack_with(
        ("    region: us-east-1\n", "    region: us-east-1\n    accountId: 123456789012\n")
    ),
    "tenant file": _bad_tenant_file,
    "unknown flag": lambda _t, _m: _invoke(["preview", "--formt", "json"]),
    "no stack file": lambda _t, _m: _invoke(["preview", "--stack", "prod"]),
    "tenant stack without outputs": lambda _t, _m: _invoke(
        ["preview", "--stack", "dev-vision", "--no-cache"]
    ),
    "program error": _program_error,
    "unknown rule to skip": lambda _t, _m: _invoke(["audit", "--skip", "kms-key-rotaton"]),
    "not a saved preview": _not_a_saved_preview,
    "base not a commit": lambda _t, _m: _invoke(["diff", "--base", "no-such-ref"]),
    "no AWS credentials": _no_credentials,
    "tenant file exists": lambda _t, _m: _invoke(["tenant", "new", "fraud-detection"]),
}
# Pages other than troubleshooting.md that show a case's output.
ALSO_SHOWN_ON = {"invalid stack configuration": ["stack-reference.md"]}


@pytest.mark.parametrize("case", CASES)
def test_troubleshooting_shows_what_the_command_prints(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CASES[case](tmp_path, monkeypatch)
    assert result.exit_code == 2, result.output
    printed = result.stderr
    for path in (str(tmp_path.resolve()), str(tmp_path)):
        printed = printed.replace(path, PROJECT_SHOWN_AS)
    printed = printed.replace(str(ROOT), REPOSITORY_SHOWN_AS)
    for page in ["troubleshooting.md", *ALSO_SHOWN_ON.get(case, [])]:
        shown = set((ROOT / "docs" / page).read_text().splitlines())
        missing = [line for line in printed.splitlines() if line.strip() and line not in shown]
        assert missing == [], f"docs/{page} does not show what `{case}` prints"
