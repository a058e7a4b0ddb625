"""The `plinth` commands about one AI project: `plinth tenant new` writes its tenant file, and
`plinth lineage` reads what produced its registered models from its tracking server."""

from __future__ import annotations

import json
import sys
import traceback
from typing import Annotated

import typer

from plinth.cli_options import (
    HELP,
    PROJECT_ROOT,
    Debug,
    ProgramOption,
    StacksFormat,
    StacksFormatOption,
    fail,
    stderr,
    stdout,
)


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
        fail("invalid --tracking-uri", [str(error)])
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
        fail(str(error), [])
    except SpecError as error:
        fail(
            f"cannot scaffold tenant {name!r}",
            [str(p) for p in error.problems],
            debug_text=traceback.format_exc() if debug else None,
        )
    except FileExistsError as error:
        fail(f"{error.args[0]} exists; edit it, or remove it first", [])
    stdout.print(f"wrote {path}", highlight=False)
    stdout.print(
        f"next: name its clusters in the file, list `{name}` under plinth:tenants, then "
        "`make preview`",
        markup=False,
    )
