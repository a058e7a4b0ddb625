"""A stack's preview document: what `plinth preview --format json` prints and `plinth diff`
compares (the preview, the policy summary, the cost estimate of a Plinth stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plinth import cost as costing
from plinth.audit import AuditReport, audit_stack
from plinth.engine import cache
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import PlinthSpec, load_spec

PLINTH_PROGRAM = Path(__file__).resolve().parent.parent / "infra"


def load_stack_spec(program_dir: Path, stack: str, config_file: Path | None = None) -> PlinthSpec:
    """The stack's whole validated spec (a SpecError lists every problem), read the way
    `plinth preview` reads it."""
    project = find_project(program_dir)
    config = load_stack_config(project, stack, config_file)
    return load_spec(config.values, project.root)


def estimate(stack: str, config_file: Path | None = None) -> dict[str, Any]:
    """The monthly cost estimate (JSON form) of a stack of Plinth's own program."""
    spec = load_stack_spec(PLINTH_PROGRAM, stack, config_file)
    platform = None
    if spec.platform is not None:
        # A tenant stack's pools are its platform stack's: priced from that stack's file,
        # when this project has it (`<org>/<project>/<stack>` names it).
        name = spec.platform.stack.rsplit("/", 1)[-1]
        if find_project(PLINTH_PROGRAM).stack_file(name).is_file():
            platform = load_stack_spec(PLINTH_PROGRAM, name)
    return costing.estimate(spec, stack, platform=platform).to_json()


def cost_of(program: Path, stack: str, config_file: Path | None) -> dict[str, Any] | None:
    """The cost estimate of a stack of Plinth's program; other programs have no Plinth spec to
    estimate from."""
    if program.resolve() != PLINTH_PROGRAM:
        return None
    return estimate(stack, config_file)


def preview_document(report: AuditReport, cost: dict[str, Any] | None) -> dict[str, Any]:
    """What `plinth preview --format json` prints (and `plinth diff` compares)."""
    document = {**report.preview.to_json(), "policy": report.summary()}
    if cost is not None:
        document["cost"] = cost
    return document


def remember(
    program: Path,
    stack: str,
    report: AuditReport,
    cost: dict[str, Any] | None,
    *,
    stack_outputs_file: Path | None = None,
) -> None:
    """Cache the stack's document (what `plinth diff` compares) after a command that made
    it anyway, so a diff of an unchanged tree runs nothing."""
    directory = cache.cache_dir(find_project(program).root)
    key = cache.preview_key(
        find_project(program).root, stack, stack_outputs_file=stack_outputs_file
    )
    cache.store_document(directory, key, preview_document(report, cost))


def stack_document(
    program: Path,
    stack: str,
    *,
    stack_outputs_file: Path | None = None,
    preview_file: Path | None = None,
    use_cache: bool = False,
) -> dict[str, Any]:
    """The stack's preview document, previewed (or cached, or read from a saved preview)."""
    report = audit_stack(
        program,
        stack,
        stack_outputs_file=stack_outputs_file,
        preview_file=preview_file,
        use_cache=use_cache,
    )
    return preview_document(report, cost_of(program, stack, None))
