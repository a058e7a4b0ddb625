"""The `plinth` command line.

Exit codes: 0 success, 2 bad input (flags, stack config, program error, engine rejection),
1 an unexpected internal error. Tracebacks only with --debug.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import difflib
import gc
import json
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from typer._click import _textwrap

from policies.catalog import Profile

if TYPE_CHECKING:
    from rich.table import Table

    from plinth.preflight import PreflightReport

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Plain Click help (rich_markup_mode=None): wrapped to the terminal, never cut when piped.
HELP = {"help_option_names": ["-h", "--help"]}


class _WholeWordWrapper(_textwrap.TextWrapper):
    """Help text wraps between words only: the default also breaks after a hyphen, which
    splits option names (`--policy-` / `pack`) so a command copied from help fails."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **{**options, "break_on_hyphens": False})


# Typer's help formatter looks its wrapper up here on every call (tests/test_cli.py checks it).
_textwrap.TextWrapper = _WholeWordWrapper  # type: ignore[misc]
app = typer.Typer(
    name="plinth",
    help="Plinth: the AI platform blueprint. Offline preview and tooling for its Pulumi stacks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"plinth {version('plinth')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Plinth: the AI platform blueprint. Offline preview and tooling for its Pulumi stacks."""


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


def _fail(title: str, lines: list[str], *, debug_text: str | None = None) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {title}", highlight=False)
    for line in lines:
        stderr.print(f"  {line}", highlight=False, markup=False)
    if debug_text:
        stderr.print(debug_text, highlight=False, markup=False)
    raise typer.Exit(BAD_INPUT)


def _run_guarded(action: Callable[[], T], stack: str, debug: bool) -> T:
    """Run `action`, turning bad input into one clear error and exit code 2."""
    from plinth.engine import ProgramError
    from plinth.errors import UserError
    from plinth.spec.errors import SpecError

    try:
        return action()
    except SpecError as error:
        _fail(
            f"invalid {error.source} for stack {stack!r}",
            [str(p) for p in error.problems],
            debug_text=traceback.format_exc() if debug else None,
        )
    except ProgramError as error:
        _fail(error.title, error.lines, debug_text=error.traceback_text if debug else None)
    except UserError as error:
        _fail(error.title, error.lines, debug_text=traceback.format_exc() if debug else None)


@app.command(short_help="Show what `pulumi up` would create, offline.")
def preview(
    stack: StackOption = "dev",
    program: ProgramOption = PROJECT_ROOT / "infra",
    config: ConfigOption = None,
    stack_outputs: StackOutputsOption = None,
    output_format: OutputFormatOption = OutputFormat.TABLE,
    save_outputs: Annotated[
        Path | None,
        typer.Option(
            "--save-outputs",
            help="Also write the stack's outputs as a --stack-outputs file, for previewing "
            "stacks that reference this one (tenant stacks).",
        ),
    ] = None,
    organization: Annotated[
        str,
        typer.Option(
            "--organization",
            help="Organization the saved outputs are filed under: <organization>/<project>/"
            "<stack>, as the referencing stack names it.",
        ),
    ] = "organization",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also save the preview to this file, for `audit --from` and `diff --from`.",
        ),
    ] = None,
    no_cache: NoCacheOption = False,
    debug: Debug = False,
) -> None:
    """Show what `pulumi up` would create, with no Pulumi CLI, plugins or credentials.

    The policy pack runs on the result too (the stack's profiles and waivers); its summary
    follows the resources. `plinth audit` shows the findings and gates on them.
    """
    if not ORGANIZATION.match(organization):
        _fail(
            "invalid --organization",
            [f"{organization!r}: letters, digits, '-', '_' and '.' only (such as acme)"],
        )
    from plinth import cost_render as costing
    from plinth.audit import audit_stack
    from plinth.audit import render as audit_render
    from plinth.engine import render

    # What the program prints is not the preview: it goes to stderr, so `--format json` stays
    # parseable.
    with contextlib.redirect_stdout(sys.stderr):
        report = _run_guarded(
            lambda: audit_stack(
                program,
                stack,
                config_file=config,
                stack_outputs_file=stack_outputs,
                use_cache=not no_cache,
            ),
            stack,
            debug,
        )
    result = report.preview
    cost = _cost_of(program, stack, config, debug)
    if not no_cache and config is None:
        from plinth.document import remember

        remember(program, stack, report, cost, stack_outputs_file=stack_outputs)
    if out is not None:
        from plinth.engine import saved as saved_preview

        try:
            saved_preview.write(result, out)
        except OSError as error:
            _fail("cannot write --out", [f"{out}: {error.strerror}"])
    if save_outputs is not None:
        saved = json.dumps(result.as_stack_outputs(organization), indent=2, default=str)
        try:
            save_outputs.write_text(saved + "\n", encoding="utf-8")
        except OSError as error:
            _fail("cannot write --save-outputs", [f"{save_outputs}: {error.strerror}"])
    if output_format is OutputFormat.JSON:
        from plinth.document import preview_document

        sys.stdout.write(json.dumps(preview_document(report, cost), indent=2) + "\n")
    elif output_format is OutputFormat.MARKDOWN:
        sys.stdout.write(render.to_markdown(result))
        sys.stdout.write(f"\n**Policies:** {audit_render.verdict(report)}\n")
        if cost is not None:
            sys.stdout.write("\n" + costing.to_markdown(cost))
    else:
        stdout.print(render.to_table(result))
        stdout.print(audit_render.summary_line(report))
        if cost is not None:
            stdout.print(costing.to_table(cost))


def _cost_of(program: Path, stack: str, config: Path | None, debug: bool) -> dict[str, Any] | None:
    from plinth.document import cost_of

    return _run_guarded(lambda: cost_of(program, stack, config), stack, debug)


@app.command(short_help="Monthly cost estimate at the smallest and largest scale.")
def cost(
    stack: StackOption = "dev",
    config: ConfigOption = None,
    output_format: OutputFormatOption = OutputFormat.TABLE,
    debug: Debug = False,
) -> None:
    """Monthly cost estimate of a stack at its smallest and largest scale (GPU pools, EKS,
    NAT gateways and their addresses, interface endpoints, KMS keys, alarms, vector stores,
    provisioned throughput) from its region's price table, what it leaves out (usage-based or
    not in the table), and each tenant's largest GPU spend against its budget. Offline."""
    from plinth import cost_render as costing
    from plinth.document import estimate as estimate_cost

    estimate = _run_guarded(lambda: estimate_cost(stack, config), stack, debug)
    if output_format is OutputFormat.JSON:
        sys.stdout.write(json.dumps(estimate, indent=2) + "\n")
    elif output_format is OutputFormat.MARKDOWN:
        sys.stdout.write(costing.to_markdown(estimate))
    else:
        stdout.print(costing.to_table(estimate))


@app.command(short_help="Run the policy pack on a stack offline; exit 1 on a mandatory finding.")
def audit(
    stack: StackOption = "dev",
    program: ProgramOption = PROJECT_ROOT / "infra",
    profile: ProfilesOption = None,
    framework: Annotated[
        FrameworkName | None,
        typer.Option(
            "--framework",
            parser=one_of(FrameworkName),
            help="Print the compliance evidence report for a framework.",
        ),
    ] = None,
    waivers: WaiversOption = None,
    config: ConfigOption = None,
    stack_outputs: StackOutputsOption = None,
    output_format: AuditFormatOption = AuditFormat.TABLE,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            parser=one_of(Severity),
            help="Also exit 1 on an unwaived finding of this severity or worse, advisory or not.",
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Do not run this rule (repeatable); it shows as disabled."),
    ] = None,
    from_file: FromOption = None,
    no_cache: NoCacheOption = False,
    debug: Debug = False,
) -> None:
    """Run the policy pack on a stack offline. Exit 1 on any unwaived mandatory finding (and,
    with --fail-on, on findings of that severity or worse)."""
    from plinth.audit import audit_stack
    from plinth.audit import evidence as audit_evidence
    from plinth.audit import render as audit_render

    if framework is not None and output_format in (AuditFormat.SARIF, AuditFormat.JUNIT):
        _fail(
            "invalid options",
            [
                f"--framework prints an evidence report as table, json or markdown; "
                f"--format {output_format.value} lists findings: drop one of them"
            ],
        )
    report = _run_guarded(
        lambda: audit_stack(
            program,
            stack,
            profiles=profile,
            waivers_file=waivers,
            config_file=config,
            stack_outputs_file=stack_outputs,
            skip=skip or (),
            preview_file=from_file,
            use_cache=not no_cache,
        ),
        stack,
        debug,
    )
    for warning in report.warnings():
        stderr.print(warning)
    if not (no_cache or from_file or profile or waivers or skip or config):
        # What `plinth preview` would have made: a later `plinth diff` reuses it.
        from plinth.document import remember

        remember(
            program,
            stack,
            report,
            _cost_of(program, stack, None, debug),
            stack_outputs_file=stack_outputs,
        )
    # After remember: the document a later diff shows is the stack's, without this run's gate.
    report = dataclasses.replace(report, fail_on=fail_on.value if fail_on else None)
    if output_format is AuditFormat.SARIF:
        artifact = str(config) if config else find_stack_file(program, stack)
        sys.stdout.write(audit_render.to_sarif(report, artifact) + "\n")
    elif output_format is AuditFormat.JUNIT:
        sys.stdout.write(audit_render.to_junit(report) + "\n")
    elif framework is not None:
        if output_format is AuditFormat.JSON:
            document = audit_evidence.evidence(report, framework)
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        elif output_format is AuditFormat.MARKDOWN:
            sys.stdout.write(audit_evidence.evidence_markdown(report, framework))
        else:
            stdout.print(audit_evidence.evidence_table(report, framework))
    elif output_format is AuditFormat.JSON:
        sys.stdout.write(audit_render.to_json(report) + "\n")
    elif output_format is AuditFormat.MARKDOWN:
        sys.stdout.write(audit_render.to_markdown(report))
    else:
        stdout.print(audit_render.to_table(report))
    raise typer.Exit(report.exit_code())


def find_stack_file(program: Path, stack: str) -> str:
    """The stack file's path relative to the project root (SARIF artifact location)."""
    from plinth.engine.project import find_project

    project = find_project(program)
    return str(project.stack_file(stack).relative_to(project.root))


@app.command(short_help="What the working tree changes against --base: resources, policies, cost.")
def diff(
    base: Annotated[
        str,
        typer.Option("--base", help="Git revision to compare with (branch, tag or commit)."),
    ],
    stack: Annotated[
        list[str] | None,
        typer.Option("--stack", "-s", help="Stack to compare (repeat for several; default dev)."),
    ] = None,
    program: ProgramOption = PROJECT_ROOT / "infra",
    stack_outputs: StackOutputsOption = None,
    output_format: OutputFormatOption = OutputFormat.TABLE,
    from_file: FromOption = None,
    no_cache: NoCacheOption = False,
    debug: Debug = False,
) -> None:
    """What the working tree changes against --base, offline: resources added, removed and
    changed (input paths, old and new values, secrets masked), with warnings for removed
    stateful resources and changed protected or retained ones. Both sides come from the
    preview cache when it is current; `--from` takes the working tree's side from a saved
    preview (one --stack)."""
    from plinth import diff as differ
    from plinth.engine.project import find_project

    project = _run_guarded(lambda: find_project(program), "", debug)
    stacks = stack or ["dev"]
    missing = [name for name in stacks if not project.stack_file(name).is_file()]
    if missing:
        _fail(
            "invalid --stack",
            [f"{name!r} has no stack file {project.stack_file(name)}" for name in missing],
        )
    heads = {}
    if from_file is not None:
        if len(stacks) != 1:
            _fail("invalid options", ["--from is one stack's saved preview: give one --stack"])
        from plinth.document import stack_document

        saved = from_file
        heads[stacks[0]] = _run_guarded(
            lambda: stack_document(program, stacks[0], preview_file=saved), stacks[0], debug
        )
    diffs = _run_guarded(
        lambda: differ.diff_stacks(
            project.root,
            base,
            stacks,
            stack_outputs,
            project.program,
            use_cache=not no_cache,
            heads=heads,
        ),
        ",".join(stacks),
        debug,
    )
    if output_format is OutputFormat.JSON:
        sys.stdout.write(differ.to_json(diffs))
    elif output_format is OutputFormat.MARKDOWN:
        sys.stdout.write(differ.to_markdown(diffs))
    else:
        stdout.print(differ.to_table(diffs))


@app.command(short_help="List every rule with its severity, enforcement and controls.")
def rules(
    output_format: OutputFormatOption = OutputFormat.TABLE,
) -> None:
    """List every rule: severity, enforcement per profile, controls and remediation."""
    from plinth.audit import render as audit_render
    from policies.rules import ALL_RULES

    if output_format is OutputFormat.JSON:
        sys.stdout.write(audit_render.rules_json(ALL_RULES) + "\n")
    elif output_format is OutputFormat.MARKDOWN:
        sys.stdout.write(audit_render.rules_markdown(ALL_RULES))
    else:
        stdout.print(audit_render.rules_table(ALL_RULES))


@app.command(
    "policy-config", short_help="Write the policy-pack config for `pulumi preview --policy-pack`."
)
def policy_config(
    stack: StackOption = "dev",
    program: ProgramOption = PROJECT_ROOT / "infra",
    profile: ProfilesOption = None,
    waivers: WaiversOption = None,
    config: ConfigOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    debug: Debug = False,
) -> None:
    """Write the policy-pack config of a stack's profiles, waivers and external guardrails
    for the real engine:
    `pulumi preview --policy-pack policies --policy-pack-config FILE`."""
    from plinth.audit import stack_compliance

    compliance = _run_guarded(
        lambda: stack_compliance(
            program, stack, profiles=profile, waivers_file=waivers, config_file=config
        ),
        stack,
        debug,
    )
    text = json.dumps(compliance.pack_config(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        stderr.print(f"wrote {output}", highlight=False)


@app.command(short_help="Check with AWS credentials, read-only, that `pulumi up` will work.")
def preflight(
    stack: StackOption = "dev",
    config: ConfigOption = None,
    output_format: PreflightFormatOption = PreflightFormat.TABLE,
    debug: Debug = False,
) -> None:
    """Check with your AWS credentials, read-only, that `pulumi up` will work: the account,
    Bedrock models offered and accessible in the region, and the account guardrails (which
    already exist, whose they are, and whether external ones are really there). Exit 1 on any
    blocker."""
    from plinth.document import load_stack_spec
    from plinth.preflight import run_preflight

    spec = _run_guarded(
        lambda: load_stack_spec(PROJECT_ROOT / "infra", stack, config), stack, debug
    )
    report = _run_guarded(lambda: run_preflight(spec, stack), stack, debug)
    nothing = (
        f"stack {stack!r} is a tenant stack without Bedrock: nothing to check (its platform "
        "stack's preflight covers the account)"
    )
    if output_format is PreflightFormat.JSON:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
        if not report.checks:
            stderr.print(nothing, highlight=False)
    elif not report.checks:
        stdout.print(nothing, highlight=False)
    else:
        stdout.print(_preflight_table(report))
        stdout.print(f"{report.blockers} blocker(s), {report.warnings} warning(s)", highlight=False)
    raise typer.Exit(report.exit_code)


_STATUS_STYLES = {"OK": "green", "WARN": "yellow", "BLOCKER": "bold red"}


def _preflight_table(report: PreflightReport) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Preflight: stack {report.stack}, {report.region}, account {report.account}",
        title_justify="left",
    )
    for column in ("Check", "Subject", "Status", "Detail"):
        # Fold rather than cut: a model ID or ARN is useless once ellipsized.
        table.add_column(column, overflow="fold")
    for check in report.checks:
        table.add_row(
            Text(check.check),
            Text(check.subject),
            Text(check.status, style=_STATUS_STYLES[check.status]),
            Text(check.detail),
        )
    return table


@app.command(short_help="List the project's stacks; tenant stacks with their platform stack.")
def stacks(
    program: ProgramOption = PROJECT_ROOT / "infra",
    output_format: StacksFormatOption = StacksFormat.TABLE,
    debug: Debug = False,
) -> None:
    """List the stacks that have a stack file (Pulumi.<stack>.yaml). A tenant stack names
    the platform stack whose outputs it reads (`plinth:platform.stack`, as
    <organization>/<project>/<stack>): CI previews that one first, with `--save-outputs
    --organization <organization>`, to preview the tenant stack offline."""
    from plinth.engine.project import find_project, stack_platforms

    project = _run_guarded(lambda: find_project(program), "", debug)
    found = _run_guarded(lambda: stack_platforms(project), "", debug)
    if output_format is StacksFormat.JSON:
        entries = [{"stack": name, "platform": platform} for name, platform in found.items()]
        sys.stdout.write(json.dumps(entries) + "\n")
        return
    for name, platform in found.items():
        stdout.print(f"{name}  (tenant stack on {platform})" if platform else name, markup=False)


@app.command(short_help="Print the JSON Schema of stack files (or tenant files).")
def schema(
    tenant: Annotated[
        bool, typer.Option("--tenant", help="The schema of tenant files (projects/<name>.yaml).")
    ] = False,
) -> None:
    """Print the JSON Schema of stack config files (Pulumi.<stack>.yaml), for editors."""
    from plinth.spec.schema import stack_file_schema, tenant_file_schema

    document = tenant_file_schema() if tenant else stack_file_schema()
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@app.command(short_help="The run, dataset versions and commit behind a registered model version.")
def lineage(
    model: Annotated[str, typer.Argument(help="The registered model's name.")],
    version: Annotated[str, typer.Argument(help="Its version number.")],
    tracking_uri: Annotated[
        str,
        typer.Option(
            "--tracking-uri",
            envvar="MLFLOW_TRACKING_URI",
            help="An MLflow server's http(s):// URL, or a SageMaker tracking server ARN.",
        ),
    ],
    output_format: StacksFormatOption = StacksFormat.TABLE,
    debug: Debug = False,
) -> None:
    """Print what produced a registered model version: its run, the dataset object versions
    the run read, and the code revision it ran (docs/mlops.md). A self-hosted server's basic
    authentication reads MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; a SageMaker
    server is called with your AWS credentials. Exit 1 when the server cannot answer."""
    from plinth.lineage import LineageError, TrackingServer, model_lineage

    try:
        server = TrackingServer(tracking_uri)
    except ValueError as error:
        _fail("invalid --tracking-uri", [str(error)])
    try:
        found = model_lineage(server, model, version)
    except LineageError as error:
        if debug:
            raise
        stderr.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from error
    if output_format is StacksFormat.JSON:
        sys.stdout.write(json.dumps(found.to_json(), indent=2) + "\n")
        return
    stdout.print(
        f"{found.model} version {found.version} ({found.status}) from run {found.run_id} "
        f"({found.run_name}) in experiment {found.experiment_id}",
        highlight=False,
        soft_wrap=True,
    )
    stdout.print(
        f"code: {found.commit or 'no commit recorded'} {found.source or ''}",
        highlight=False,
        soft_wrap=True,
    )
    for dataset in found.datasets:
        stdout.print(
            f"dataset {dataset.name} ({dataset.context or 'input'}): {dataset.source} "
            f"version {dataset.version_id or 'not recorded'}",
            highlight=False,
            soft_wrap=True,
        )


tenant_app = typer.Typer(
    help="Tenants: one AI project each (projects/<name>.yaml).",
    rich_markup_mode=None,
    context_settings=HELP,
)
app.add_typer(tenant_app, name="tenant")


@tenant_app.command("new", short_help="Write projects/<name>.yaml for a new tenant.")
def tenant_new(
    name: Annotated[str, typer.Argument(help="The project's name: its namespace and prefix.")],
    owner: Annotated[
        str, typer.Option("--owner", help="Owner email (budget alerts).")
    ] = "owner@example.com",
    cost_center: Annotated[
        str, typer.Option("--cost-center", help="The cost-center tag.")
    ] = "cc-unassigned",
    budget: Annotated[int, typer.Option("--budget", help="Monthly budget in USD.", min=1)] = 1000,
    program: ProgramOption = PROJECT_ROOT / "infra",
    debug: Debug = False,
) -> None:
    """Write a commented, valid projects/NAME.yaml; never overwrites an existing file."""
    from plinth.engine.errors import ProjectError
    from plinth.engine.project import find_project
    from plinth.scaffold import tenant_file_text, write_tenant_file
    from plinth.spec.errors import SpecError

    try:
        text = tenant_file_text(name, owner, cost_center, budget)
        path = write_tenant_file(find_project(program).root, name, text)
    except ProjectError as error:
        _fail(str(error), [])
    except SpecError as error:
        _fail(
            f"cannot scaffold tenant {name!r}",
            [str(p) for p in error.problems],
            debug_text=traceback.format_exc() if debug else None,
        )
    except FileExistsError as error:
        _fail(f"{error.args[0]} exists; edit it, or remove it first", [])
    stdout.print(f"wrote {path}", highlight=False)
    stdout.print(
        f"next: name its clusters in the file, list `{name}` under plinth:tenants, then "
        "`make preview`",
        markup=False,
    )


def main() -> None:
    """Console-script entry point: unexpected errors exit 1, tracebacks only with --debug."""
    # A command is a short process whose heap is mostly the provider SDKs' module objects
    # (~500,000 after a preview's imports). CPython's full collections re-scan all of them
    # whenever imports grow the heap by a quarter: about a quarter of `plinth audit`'s time.
    # One run makes few reference cycles (peak RSS of a dev-stack audit +2% without
    # collection), so automatic collection stays off for the process.
    gc.disable()
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
