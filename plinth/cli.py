"""The `plinth` command line.

Exit codes: 0 success, 2 bad input (flags, stack config, program error, engine rejection),
1 an unexpected internal error. Tracebacks only with --debug.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click import _textwrap

from plinth.cli_export import export
from plinth.cli_options import (
    HELP,
    ORGANIZATION,
    PROJECT_ROOT,
    AuditFormat,
    AuditFormatOption,
    ConfigOption,
    Debug,
    FrameworkName,
    FromOption,
    NoCacheOption,
    OutputFormat,
    OutputFormatOption,
    PreflightFormat,
    PreflightFormatOption,
    ProfilesOption,
    ProgramOption,
    Severity,
    StackOption,
    StackOutputsOption,
    StacksFormat,
    StacksFormatOption,
    WaiversOption,
    fail,
    one_of,
    run_guarded,
    stderr,
    stdout,
)
from plinth.cli_projects import lineage, tenant_app

if TYPE_CHECKING:
    from rich.table import Table

    from plinth.preflight import PreflightReport

T = TypeVar("T")


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
        fail(
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
        report = run_guarded(
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
            fail("cannot write --out", [f"{out}: {error.strerror}"])
    if save_outputs is not None:
        saved = json.dumps(result.as_stack_outputs(organization), indent=2, default=str)
        try:
            save_outputs.write_text(saved + "\n", encoding="utf-8")
        except OSError as error:
            fail("cannot write --save-outputs", [f"{save_outputs}: {error.strerror}"])
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

    return run_guarded(lambda: cost_of(program, stack, config), stack, debug)


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

    estimate = run_guarded(lambda: estimate_cost(stack, config), stack, debug)
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
        fail(
            "invalid options",
            [
                f"--framework prints an evidence report as table, json or markdown; "
                f"--format {output_format.value} lists findings: drop one of them"
            ],
        )
    report = run_guarded(
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

    project = run_guarded(lambda: find_project(program), "", debug)
    stacks = stack or ["dev"]
    missing = [name for name in stacks if not project.stack_file(name).is_file()]
    if missing:
        fail(
            "invalid --stack",
            [f"{name!r} has no stack file {project.stack_file(name)}" for name in missing],
        )
    heads = {}
    if from_file is not None:
        if len(stacks) != 1:
            fail("invalid options", ["--from is one stack's saved preview: give one --stack"])
        from plinth.document import stack_document

        saved = from_file
        heads[stacks[0]] = run_guarded(
            lambda: stack_document(program, stacks[0], preview_file=saved), stacks[0], debug
        )
    diffs = run_guarded(
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

    compliance = run_guarded(
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

    spec = run_guarded(lambda: load_stack_spec(PROJECT_ROOT / "infra", stack, config), stack, debug)
    report = run_guarded(lambda: run_preflight(spec, stack), stack, debug)
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

    project = run_guarded(lambda: find_project(program), "", debug)
    found = run_guarded(lambda: stack_platforms(project), "", debug)
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


app.command(short_help="The run, dataset versions and commit behind a registered model version.")(
    lineage
)
app.command(short_help="Write the previewed stack for other scanners (Kubernetes manifests).")(
    export
)
app.add_typer(tenant_app, name="tenant")


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
