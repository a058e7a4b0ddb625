"""What the `plinth` commands share: their consoles, output formats and options, and the one
way bad input ends a command (a clear error on standard error, exit code 2)."""

from __future__ import annotations

import atexit
import difflib
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from policies.catalog import Profile

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Plain Click help (rich_markup_mode=None): wrapped to the terminal, never cut when piped.
HELP = {"help_option_names": ["-h", "--help"]}

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=True)

BAD_INPUT = 2
ORGANIZATION = re.compile(r"^[\w.-]+$")


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


Choice = TypeVar("Choice", bound=StrEnum)


def one_of(kind: type[Choice]) -> Callable[[str], Choice]:
    """An option parser for `kind`: the error lists the allowed values (and the closest one)
    in plain words (Typer's own enum check prefixes pydantic's "Value error,")."""

    def parse(value: str) -> Choice:
        if isinstance(value, kind):
            return value
        allowed = [member.value for member in kind]
        if value in allowed:
            return kind(value)
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}{hint}")

    return parse


class StacksFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"


class PreflightFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class FrameworkName(StrEnum):
    HIPAA = "hipaa"
    GDPR = "gdpr"
    SOC2 = "soc2"
    PCI = "pci"
    NIST_800_53 = "nist-800-53"
    NIST_AI_RMF = "nist-ai-rmf"


AuditFormatOption = Annotated[
    AuditFormat, typer.Option("--format", "-f", parser=one_of(AuditFormat), help="Output format.")
]
OutputFormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", parser=one_of(OutputFormat), help="Output format.")
]
PreflightFormatOption = Annotated[
    PreflightFormat,
    typer.Option("--format", "-f", parser=one_of(PreflightFormat), help="Output format."),
]
StacksFormatOption = Annotated[
    StacksFormat, typer.Option("--format", "-f", parser=one_of(StacksFormat), help="Output format.")
]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]
StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack to use.")]
ProgramOption = Annotated[
    Path,
    typer.Option(
        "--program",
        help="Pulumi Python program or project folder (default: this repo's infra/).",
    ),
]


def _config_from_stdin(value: Path | None) -> Path | None:
    """`--config -`: the stack file comes on standard input (kept in a private temporary
    folder for the run, since every reader of the stack file takes a path)."""
    if value is None or str(value) != "-":
        return value
    folder = Path(tempfile.mkdtemp(prefix="plinth-stdin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "standard-input.yaml"
    path.write_text(sys.stdin.read(), encoding="utf-8")
    return path


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Stack config file to use instead of Pulumi.<stack>.yaml ('-': standard input).",
        callback=_config_from_stdin,
    ),
]
StackOutputsOption = Annotated[
    Path | None,
    typer.Option(
        "--stack-outputs",
        help='JSON answering StackReferences: {"org/project/stack": {"output": value}}.',
    ),
]
ProfilesOption = Annotated[
    list[Profile] | None,
    typer.Option(
        "--profile",
        "-p",
        help="Compliance profile (repeatable); default: the stack's plinth:compliance.profiles.",
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Run the program even when a cached preview is current (.plinth/cache/).",
    ),
]
FromOption = Annotated[
    Path | None,
    typer.Option(
        "--from", help="Use this saved preview (`plinth preview --out FILE`) instead of running."
    ),
]
WaiversOption = Annotated[
    Path | None,
    typer.Option("--waivers", help="Waivers file; default: the stack's plinth:compliance.waivers."),
]


def fail(title: str, lines: list[str], *, debug_text: str | None = None) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {title}", highlight=False)
    for line in lines:
        stderr.print(f"  {line}", highlight=False, markup=False)
    if debug_text:
        stderr.print(debug_text, highlight=False, markup=False)
    raise typer.Exit(BAD_INPUT)


def run_guarded(action: Callable[[], T], stack: str, debug: bool) -> T:
    """Run `action`, turning bad input into one clear error and exit code 2."""
    from plinth.engine import ProgramError
    from plinth.errors import UserError
    from plinth.spec.errors import SpecError

    try:
        return action()
    except SpecError as error:
        fail(
            f"invalid {error.source} for stack {stack!r}",
            [str(p) for p in error.problems],
            debug_text=traceback.format_exc() if debug else None,
        )
    except ProgramError as error:
        fail(error.title, error.lines, debug_text=error.traceback_text if debug else None)
    except UserError as error:
        fail(error.title, error.lines, debug_text=traceback.format_exc() if debug else None)
