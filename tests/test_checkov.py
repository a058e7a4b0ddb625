"""A second opinion: checkov (tests/checkov, `make test-tools`) on `plinth export` of every
shipped stack (dev, coreweave, and the dev-vision tenant stack on dev's outputs). Every check
it fails is fixed or explained in tests/checkov/explained.yaml; a new failure fails this test,
and so does an explanation nothing needs any more. Injected weaknesses are caught, so the
scanner really reads what the export writes."""

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


FRAMEWORKS = {"kubernetes": ("kubernetes", "yaml"), "terraform-plan": ("terraform_plan", "json")}
"""`plinth export --format` -> the checkov framework that reads it, and the file suffix checkov
recognises it by."""


SHIPPED = {"dev": None, "coreweave": None, "dev-vision": "dev"}
"""Every stack the project ships, with the platform stack whose outputs a tenant stack reads."""


def export(stack: str, target: Path, export_format: str = "kubernetes", *extra: str) -> Path:
    result = CliRunner().invoke(
        app,
        ["export", "--format", export_format, "--stack", stack, "--output", str(target), *extra],
    )
    assert result.exit_code == 0, result.stderr
    return target


def failed_checks(exported: Path, framework: str = "kubernetes") -> list[tuple[str, str]]:
    """(check id, resource id) of every check checkov fails on an export (a file), or on
    every export in a folder."""
    assert CHECKOV.is_file(), "run `make test-tools` (checkov's virtualenv)"
    done = subprocess.run(
        [
            *(str(CHECKOV), "-d" if exported.is_dir() else "-f", str(exported)),
            *("--framework", framework, "--quiet"),
            *("--compact", "--skip-download", "--output", "json"),
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


def explanation(framework: str, check: str, resource: str) -> dict[str, Any] | None:
    for entry in EXPLAINED:
        if (entry["framework"], entry["check"]) == (framework, check) and any(
            fnmatchcase(resource, pattern) for pattern in entry["resources"]
        ):
            found: dict[str, Any] = entry
            return found
    return None


@pytest.fixture(scope="module")
def shipped_failures(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """(framework, check, resource) of every failure on the shipped stacks' exports: one
    checkov run per format over a folder holding every stack's export."""
    folder = tmp_path_factory.mktemp("export")
    outputs = folder / "dev-outputs.json"
    saved = CliRunner().invoke(
        app, ["preview", "--stack", "dev", "--save-outputs", str(outputs), "--format", "json"]
    )
    assert saved.exit_code == 0, saved.stderr
    failures = []
    for export_format, (framework, suffix) in FRAMEWORKS.items():
        (folder / export_format).mkdir()
        for stack, platform in SHIPPED.items():
            extra = ("--stack-outputs", str(outputs)) if platform else ()
            export(stack, folder / export_format / f"{stack}.{suffix}", export_format, *extra)
        checked = failed_checks(folder / export_format, framework)
        failures += [(framework, check, resource) for check, resource in checked]
    return failures


def test_every_failed_check_is_explained(shipped_failures: list[tuple[str, str, str]]) -> None:
    unexplained = [f for f in shipped_failures if explanation(*f) is None]
    assert unexplained == []


def test_every_explanation_is_still_needed(
    shipped_failures: list[tuple[str, str, str]],
) -> None:
    used = {id(e) for e in EXPLAINED for f in shipped_failures if explanation(*f) == e}
    stale = [e["check"] for e in EXPLAINED if id(e) not in used]
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


def test_the_plan_links_a_bucket_to_its_companions(tmp_path: Path) -> None:
    """checkov judges a bucket's public access block, encryption and logging from the
    companion resources that reference it: a bucket whose public access block is taken out
    of the plan fails the check the linked one passes."""
    plan_file = export("dev", tmp_path / "dev.json", "terraform-plan")
    assert ("CKV2_AWS_6", "aws_s3_bucket.plinth-dev-datasets") not in failed_checks(
        plan_file, "terraform_plan"
    )
    plan = json.loads(plan_file.read_text())
    blocks = [
        r["address"]
        for r in plan["configuration"]["root_module"]["resources"]
        if r["type"] == "aws_s3_bucket_public_access_block"
        and "aws_s3_bucket.plinth-dev-datasets"
        in r["expressions"].get("bucket", {}).get("references", [])
    ]
    assert len(blocks) == 1
    for section in (plan["planned_values"]["root_module"], plan["configuration"]["root_module"]):
        section["resources"] = [r for r in section["resources"] if r["address"] != blocks[0]]
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] != blocks[0]]
    plan_file.write_text(json.dumps(plan))
    assert ("CKV2_AWS_6", "aws_s3_bucket.plinth-dev-datasets") in failed_checks(
        plan_file, "terraform_plan"
    )
