"""Saved previews and the preview cache: a cached preview is exactly the preview, any input
that can change a preview changes its key, and the commands reuse it (`--no-cache` does not).
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import PROGRAMS, ROOT
from typer.testing import CliRunner

from plinth.cli import app
from plinth.engine import cache, preview_stack, saved
from plinth.engine.values import UNKNOWN, Secret

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the `options` program (secrets, options, a provider, outputs)."""
    copy = tmp_path / "project"
    # Other tests' runs of the program may have left a cache in it.
    shutil.copytree(PROGRAMS / "options", copy, ignore=shutil.ignore_patterns(".plinth"))
    return copy


def key(project: Path, **kwargs: Any) -> str:
    return cache.preview_key(project, "test", **kwargs)


def test_a_saved_preview_is_the_preview(project: Path, tmp_path: Path) -> None:
    preview = preview_stack(project, "test")
    path = tmp_path / "saved.json"
    saved.write(preview, path)
    again = saved.read(path)
    assert again == preview
    token = next(r for r in again.resources if r.name == "first").inputs["tags"]["token"]
    assert isinstance(token, Secret)  # secrets stay marked, not revealed
    assert saved.load(saved.dump(preview)) == preview
    marked = {"a": [UNKNOWN, Secret({"b": UNKNOWN})]}
    assert saved._decode(saved._encode(marked)) == marked


@pytest.mark.parametrize(
    "changed",
    [
        "__main__.py",  # the program
        "helpers.py",  # a new module
        "Pulumi.test.yaml",  # the stack file
        "Pulumi.yaml",  # the project
        "projects/ml.yaml",  # a tenant file
        "waivers.yaml",  # a waivers file
        "uv.lock",  # the locked dependencies
    ],
)
def test_changing_any_file_of_the_project_changes_the_key(project: Path, changed: str) -> None:
    before = key(project)
    path = project / changed
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "") + "\n# changed\n")
    assert key(project) != before


def test_tool_and_cache_folders_are_not_content(project: Path) -> None:
    before = key(project)
    for folder in (".git", ".venv", ".plinth", "__pycache__", ".mypy_cache"):
        (project / folder).mkdir()
        (project / folder / "x").write_text("changes nothing")
    (project / ".git.d").mkdir()  # a folder merely starting with the name is content
    assert key(project) == before
    (project / ".git.d" / "x").write_text("content")
    assert key(project) != before


def test_files_given_on_the_command_line_and_the_environment_change_the_key(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, outputs = tmp_path / "config.yaml", tmp_path / "outputs.json"
    config.write_text("config: {}\n")
    outputs.write_text("{}\n")
    base = key(project, config_file=config, stack_outputs_file=outputs)
    assert base != key(project)
    config.write_text("config: {a: 1}\n")
    assert key(project, config_file=config, stack_outputs_file=outputs) != base
    config.write_text("config: {}\n")
    outputs.write_text('{"o/p/s": {}}\n')
    assert key(project, config_file=config, stack_outputs_file=outputs) != base
    outputs.write_text("{}\n")
    assert key(project, config_file=config, stack_outputs_file=outputs) == base
    monkeypatch.setenv("PULUMI_CONFIG", "{}")
    assert key(project, config_file=config, stack_outputs_file=outputs) != base
    monkeypatch.delenv("PULUMI_CONFIG")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))  # where, not what
    assert key(project, config_file=config, stack_outputs_file=outputs) == base


def test_the_engine_s_code_and_the_installed_packages_change_the_key(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project is not where the engine is: the engine's files count.
    engine = tmp_path / "engine"
    (engine / "plinth").mkdir(parents=True)
    (engine / "plinth" / "runtime.py").write_text("A = 1\n")
    before = key(project, engine=engine)
    (engine / "plinth" / "runtime.py").write_text("A = 2\n")
    assert key(project, engine=engine) != before
    assert key(project, engine=engine) != key(project, engine=engine / "elsewhere")

    real = list(importlib.metadata.distributions())
    cache._environment_fingerprint.cache_clear()
    first = key(project)
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: real[:-1])
    cache._environment_fingerprint.cache_clear()
    try:
        assert key(project) != first
    finally:
        monkeypatch.undo()
        cache._environment_fingerprint.cache_clear()


def test_previews_are_cached_and_no_cache_runs_the_program(project: Path) -> None:
    (project / "__main__.py").write_text(
        (project / "__main__.py").read_text() + '\nprint("the program ran", flush=True)\n'
    )
    command = ["preview", "--program", str(project), "--stack", "test", "-f", "json"]
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.stderr
    assert "the program ran" in first.stderr
    assert list((project / ".plinth" / "cache").glob("*.json"))
    again = runner.invoke(app, command)
    assert again.exit_code == 0
    assert "the program ran" not in again.stderr  # served from the cache
    assert json.loads(again.stdout) == json.loads(first.stdout)
    forced = runner.invoke(app, [*command, "--no-cache"])
    assert "the program ran" in forced.stderr


def test_preview_out_then_audit_from(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    made = runner.invoke(
        app, ["preview", "--program", str(project), "--stack", "test", "--out", str(path)]
    )
    assert made.exit_code == 0, made.stderr
    shutil.rmtree(project / ".plinth")
    (project / "__main__.py").write_text("raise SystemExit('must not run')\n")
    audited = runner.invoke(
        app,
        ["audit", "--program", str(project), "--stack", "test", "--from", str(path), "-f", "json"],
    )
    assert audited.exit_code in (0, 1), audited.stderr
    assert json.loads(audited.stdout)["summary"]["resources"] == len(saved.read(path).resources)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "plinth-preview/0"}', "not a saved preview (format 'plinth-preview/2')"),
        ('{"format": "plinth-preview/2", "project": "p"}', "missing or malformed field"),
    ],
)
def test_a_bad_saved_preview_is_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    result = runner.invoke(app, ["audit", "--from", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


def test_the_repository_key_covers_the_shipped_program() -> None:
    # The dev stack's key moves with the components it is built from.
    components = {p.relative_to(ROOT).as_posix() for p in cache._files(ROOT)}
    assert "components/storage/kms.py" in components
    assert "projects/search.yaml" in components
    assert "uv.lock" in components
    assert not any(name.startswith((".venv/", ".git/", ".plinth/")) for name in components)
