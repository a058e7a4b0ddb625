"""A second opinion: checkov (tests/checkov, `make test-tools`) on `plinth export` of the
shipped stacks. Every check it fails is fixed or explained in tests/checkov/explained.yaml; a
new failure fails this test, and so does an explanation nothing needs any more. An injected
weakness is caught, so the scanner really reads what the export writes."""

from __future__ import annotations

import json
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROOT
from typer.testing import CliRunner

from plinth.cli import app

pytestmark = pytest.mark.e2e

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
EXPLAINED = yaml.safe_load((ROOT / "tests" / "checkov" / "explained.yaml").read_text())["explained"]


def export(stack: str, target: Path) -> Path:
    result = CliRunner().invoke(
        app, ["export", "--format", "kubernetes", "--stack", stack, "--output", str(target)]
    )
    assert result.exit_code == 0, result.stderr
    return target


def failed_checks(manifests: Path) -> list[tuple[str, str]]:
    """(check id, resource id) of every check checkov fails on the manifests."""
    assert CHECKOV.is_file(), "run `make test-tools` (checkov's virtualenv)"
    done = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            str(manifests),
            "--framework",
            "kubernetes",
            "--quiet",
            "--compact",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report: Any = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 0
    return [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]


def explanation(check: str, resource: str) -> dict[str, Any] | None:
    for entry in EXPLAINED:
        if entry["check"] == check and any(fnmatchcase(resource, p) for p in entry["resources"]):
            return dict(entry)
    return None


@pytest.fixture(scope="module")
def dev_failures(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    return failed_checks(export("dev", tmp_path_factory.mktemp("export") / "dev.yaml"))


def test_every_failed_check_is_explained(dev_failures: list[tuple[str, str]]) -> None:
    unexplained = [f for f in dev_failures if explanation(*f) is None]
    assert unexplained == []


def test_every_explanation_is_still_needed(dev_failures: list[tuple[str, str]]) -> None:
    used = {(e["check"], tuple(e["resources"])) for f in dev_failures if (e := explanation(*f))}
    stale = [e["check"] for e in EXPLAINED if (e["check"], tuple(e["resources"])) not in used]
    assert stale == []


def test_every_explanation_gives_its_reason() -> None:
    assert all(len(entry["reason"].split()) >= 10 for entry in EXPLAINED)


def test_an_injected_weakness_is_caught(tmp_path: Path) -> None:
    manifests = export("dev", tmp_path / "dev.yaml")
    documents = list(yaml.safe_load_all(manifests.read_text()))
    phoenix = next(
        d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "phoenix"
    )
    pod = phoenix["spec"]["template"]["spec"]
    pod["hostNetwork"] = True
    pod["containers"][0]["securityContext"]["privileged"] = True
    manifests.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    failures = failed_checks(manifests)
    resource = "Deployment.plinth-observability.phoenix"
    assert ("CKV_K8S_16", resource) in failures  # privileged containers
    assert ("CKV_K8S_19", resource) in failures  # host network
