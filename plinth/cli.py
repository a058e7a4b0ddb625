"""The `plinth` command line.

Exit codes: 0 success, 2 bad input (flags, stack config, program error, engine rejection),
1 an unexpected internal error. Tracebacks only with --debug.
"""

from __future__ import annotations

import json
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from plinth.spec.errors import SpecError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(
    name="plinth",
    help="Plinth: the AI platform blueprint. Offline preview and tooling for its Pulumi stacks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=True)

BAD_INPUT = 2


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]


def _fail(title: str, lines: list[str], *, debug_text: str | None = None) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {title}", highlight=False)
    for line in lines:
        stderr.print(f"  {line}", highlight=False, markup=False)
    if debug_text:
        stderr.print(debug_text, highlight=False, markup=False)
    raise typer.Exit(BAD_INPUT)


@app.command()
def preview(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to preview.")] = "dev",
    program: Annotated[
        Path,
        typer.Option(
            "--program",
            help="Pulumi Python program or project folder (default: this repo's infra/).",
        ),
    ] = PROJECT_ROOT / "infra",
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Stack config file to use instead of Pulumi.<stack>.yaml."),
    ] = None,
    stack_outputs: Annotated[
        Path | None,
        typer.Option(
            "--stack-outputs",
            help='JSON answering StackReferences: {"org/project/stack": {"output": value}}.',
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
    debug: Debug = False,
) -> None:
    """Show what `pulumi up` would create, with no Pulumi CLI, plugins or credentials."""
    from plinth.engine import PreviewError, ProgramError, preview_stack, render

    try:
        result = preview_stack(program, stack, config_file=config, stack_outputs_file=stack_outputs)
    except SpecError as error:
        _fail(
            f"invalid {error.source} for stack {stack!r}",
            [str(p) for p in error.problems],
            debug_text=traceback.format_exc() if debug else None,
        )
    except ProgramError as error:
        _fail(error.title, error.lines, debug_text=error.traceback_text if debug else None)
    except PreviewError as error:
        _fail(error.title, error.lines)

    if output_format is OutputFormat.JSON:
        sys.stdout.write(render.to_json(result) + "\n")
    elif output_format is OutputFormat.MARKDOWN:
        sys.stdout.write(render.to_markdown(result))
    else:
        stdout.print(render.to_table(result))


@app.command()
def schema() -> None:
    """Print the JSON Schema of stack config files (Pulumi.<stack>.yaml), for editors."""
    from plinth.spec.schema import stack_file_schema

    sys.stdout.write(json.dumps(stack_file_schema(), indent=2) + "\n")


def main() -> None:
    """Console-script entry point: unexpected errors exit 1, tracebacks only with --debug."""
    debug = "--debug" in sys.argv
    try:
        app()
    except SystemExit:
        raise
    except Exception as error:
        if debug:
            raise
        stderr.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error} "
            "(run again with --debug for the traceback)",
            highlight=False,
        )
        sys.exit(1)
