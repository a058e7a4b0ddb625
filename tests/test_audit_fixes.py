"""Findings on a Plinth stack point at the stack- or tenant-file key that fixes them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import PROGRAMS, ROOT
from typer.testing import CliRunner

from plinth.cli import app
from plinth.origins import ENTRY_KEYS
from plinth.spec.schema import stack_file_schema, tenant_file_schema
from policies.rule import ANY_ENTRY
from policies.rules import ALL_RULES

runner = CliRunner()

# Each rule broken through one key of the copied project: (file, the key, its line's text).
BROKEN = {
    "cost-gpu-node-cap": (
        "Pulumi.dev.yaml",
        "plinth:clusters[0].gpuPools[0].maxNodes",
        ("maxNodes: 2", "maxNodes: 80"),
    ),
    "audit-log-retention": (
        "Pulumi.dev.yaml",
        "plinth:network.flowLogs.retentionDays",
        ("retentionDays: 365", "retentionDays: 30"),  # the first one is the flow logs'
    ),
    "cost-tenant-gpu-budget": (
        "projects/fraud-detection.yaml",
        "budget.monthlyUsd",
        ("monthlyUsd: 4000", "monthlyUsd: 10"),
    ),
}


def _edit_first(path: Path, old: str, new: str) -> int:
    """Replace `old` on the first line holding it; that line's number (1-based)."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if old in line)
    lines[index] = lines[index].replace(old, new)
    path.write_text("".join(lines))
    return index + 1


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A copy of the project whose dev stack breaks each rule of BROKEN; the broken lines."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "infra", project / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "projects", project / "projects")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, project / name)
    lines = {
        rule: _edit_first(project / file, old, new)
        for rule, (file, _, (old, new)) in BROKEN.items()
    }
    return project, lines


def audit(program: Path, output_format: str, stack: str = "dev") -> str:
    result = runner.invoke(
        app, ["audit", "--program", str(program), "--stack", stack, "-f", output_format]
    )
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def fixes(broken: tuple[Path, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Each BROKEN rule's one finding's fix."""
    project, _ = broken
    report = json.loads(audit(project / "infra", "json"))
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["policy"], []).append(finding)
    assert set(BROKEN) <= set(found)
    return {rule: next(f["fix"] for f in found[rule] if "fix" in f) for rule in BROKEN}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_a_finding_names_the_key_and_the_line_that_broke_it(
    rule: str, broken: tuple[Path, dict[str, int]], fixes: dict[str, dict[str, Any]]
) -> None:
    _, lines = broken
    file, key, _ = BROKEN[rule]
    assert fixes[rule] == {
        "key": key,
        "file": file,
        "line": lines[rule],
        "present": True,
        "decides": True,
    }


def test_sarif_and_markdown_point_at_the_key(broken: tuple[Path, dict[str, int]]) -> None:
    project, lines = broken
    sarif = json.loads(audit(project / "infra", "sarif"))
    located = {
        (r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"])
        for r in sarif["runs"][0]["results"]
        for loc in [r["locations"][0]["physicalLocation"]]
    }
    for rule, (file, _, _) in BROKEN.items():
        assert (rule, file, lines[rule]) in located
    markdown = audit(project / "infra", "markdown")
    node_cap_line = lines["cost-gpu-node-cap"]
    assert (
        f"fix: edit `plinth:clusters[0].gpuPools[0].maxNodes` (Pulumi.dev.yaml:{node_cap_line})"
        in markdown
    )


def test_a_key_left_at_its_default_points_at_the_entry_to_add_it_to(
    broken: tuple[Path, dict[str, int]], fixes: dict[str, dict[str, Any]]
) -> None:
    """`plinth:protect` set, then removed: the fix says where to add it."""
    project, _ = broken
    stack = project / "Pulumi.dev.yaml"
    original = stack.read_text()
    try:
        stack.write_text(original.replace("  plinth:protect: false\n", ""))
        report = json.loads(audit(project / "infra", "json"))
    finally:
        stack.write_text(original)
    unprotected = [f for f in report["findings"] if f["policy"] == "protection-stateful-resources"]
    assert unprotected
    config_line = original.splitlines().index("config:") + 1
    assert {json.dumps(f["fix"], sort_keys=True) for f in unprotected} == {
        json.dumps(
            {
                "key": "plinth:protect",
                "file": "Pulumi.dev.yaml",
                "line": config_line,
                "present": False,
                "decides": True,
            },
            sort_keys=True,
        )
    }


def test_programs_other_than_plinths_get_no_stack_keys() -> None:
    report = json.loads(audit(PROGRAMS / "insecure", "json", stack="test"))
    assert report["findings"]
    assert all("fix" not in f for f in report["findings"])


def _resolve(schema: dict[str, Any], node: dict[str, Any], path: list[str]) -> bool:
    """Whether the JSON Schema `node` has the key path (`<i>` an item, `<name>` any key)."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    for choice in node.get("anyOf", []) + node.get("oneOf", []):
        if _resolve(schema, choice, path):
            return True
    if not path:
        return True
    head, rest = path[0], path[1:]
    if head.startswith("<") and "items" in node:
        return _resolve(schema, node["items"], rest)
    if head.startswith("<") and isinstance(node.get("additionalProperties"), dict):
        return _resolve(schema, node["additionalProperties"], rest)
    if head in node.get("properties", {}):
        return _resolve(schema, node["properties"][head], rest)
    return False


def _key_path(key: str) -> list[str]:
    return key.replace("[", ".").replace("]", "").split(".")


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.fix], ids=lambda r: r.id)
def test_every_fix_key_is_a_key_of_the_stack_or_tenant_file(rule: Any) -> None:
    stack = stack_file_schema()
    for kind, key in rule.fix.items():
        if kind == "tenant":
            tenant = tenant_file_schema()
            assert _resolve(tenant, tenant, _key_path(key)), key
            continue
        full = key if kind == ANY_ENTRY else f"{ENTRY_KEYS[kind]}.{key}"
        assert _resolve(stack, stack["properties"]["config"], _key_path(full)), full
