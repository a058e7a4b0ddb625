"""The offline engine: previews a Pulumi Python program with no CLI, plugins or cloud."""

from __future__ import annotations

from pathlib import Path

from plinth.engine import cache
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
    use_cache: bool = False,
) -> Preview:
    """Preview one stack of the project at or above `program_dir`, as `pulumi preview` would.

    Everything given on the command line is read and checked before the program runs. With
    `use_cache`, a preview cached under the same key (see `cache`) is returned instead of
    running the program again, and a new one is cached.
    """
    project = find_project(program_dir)
    key = directory = None
    if use_cache:
        directory = cache.cache_dir(project.root)
        key = cache.preview_key(
            project.root, stack, config_file=config_file, stack_outputs_file=stack_outputs_file
        )
        hit = cache.cached(directory, key)
        if hit is not None:
            return hit
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
    if directory is not None and key is not None:
        cache.store(directory, key, preview)
    return preview
