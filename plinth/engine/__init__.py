"""The offline engine: previews a Pulumi Python program with no CLI, plugins or cloud."""

from __future__ import annotations

from pathlib import Path

from plinth.engine.errors import EngineRejection, PreviewError, ProgramError, ProjectError
from plinth.engine.project import find_project, load_stack_config, load_stack_outputs
from plinth.engine.result import Preview, ResourceRecord
from plinth.engine.runtime import run_callable, run_program

__all__ = [
    "EngineRejection",
    "Preview",
    "PreviewError",
    "ProgramError",
    "ProjectError",
    "ResourceRecord",
    "preview_stack",
    "run_callable",
    "run_program",
]


def preview_stack(
    program_dir: Path,
    stack: str,
    *,
    config_file: Path | None = None,
    stack_outputs_file: Path | None = None,
) -> Preview:
    """Preview one stack of the project at or above `program_dir`, as `pulumi preview` would.

    Everything given on the command line is read and checked before the program runs.
    """
    project = find_project(program_dir)
    config = load_stack_config(project, stack, config_file)
    stack_outputs = load_stack_outputs(stack_outputs_file) if stack_outputs_file else {}
    preview = run_program(
        project.program,
        project=project.name,
        stack=stack,
        config=config.values,
        secret_keys=config.secret_keys,
        stack_outputs=stack_outputs,
    )
    preview.diagnostics[:0] = config.notes
    return preview
