"""`plinth export`: a previewed stack in a format other scanners read (plinth/export.py)."""

from __future__ import annotations

import contextlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from plinth.cli_options import (
    PROJECT_ROOT,
    ConfigOption,
    Debug,
    NoCacheOption,
    ProgramOption,
    StackOption,
    StackOutputsOption,
    fail,
    one_of,
    run_guarded,
    stderr,
)


class ExportFormat(StrEnum):
    KUBERNETES = "kubernetes"
    TERRAFORM_PLAN = "terraform-plan"


def export(
    export_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            parser=one_of(ExportFormat),
            help="What to write: kubernetes (manifests) or terraform-plan (plan JSON).",
        ),
    ],
    stack: StackOption = "dev",
    program: ProgramOption = PROJECT_ROOT / "infra",
    config: ConfigOption = None,
    stack_outputs: StackOutputsOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    no_cache: NoCacheOption = False,
    debug: Debug = False,
) -> None:
    """Write the previewed stack for other scanners: `kubernetes`, its Kubernetes objects as
    YAML manifests (Helm releases are listed on standard error, not rendered);
    `terraform-plan`, its AWS resources as Terraform plan JSON (types with no Terraform
    mapping are listed on standard error)."""
    from plinth.engine import preview_stack
    from plinth.export import kubernetes_manifests, terraform_plan

    with contextlib.redirect_stdout(sys.stderr):
        result = run_guarded(
            lambda: preview_stack(
                program,
                stack,
                config_file=config,
                stack_outputs_file=stack_outputs,
                use_cache=not no_cache,
            ),
            stack,
            debug,
        )
    if export_format is ExportFormat.KUBERNETES:
        written = kubernetes_manifests(result)
        text, left_out = written.yaml(), written.left_out
    else:
        plan, unmapped = terraform_plan(result)
        text = json.dumps(plan, indent=2, default=str) + "\n"
        left_out = [f"{token}: no Terraform type mapped" for token in unmapped]
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            fail("cannot write --output", [f"{output}: {error.strerror}"])
    for line in left_out:
        stderr.print(f"not exported: {line}", highlight=False, soft_wrap=True)
