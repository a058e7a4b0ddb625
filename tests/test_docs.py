"""The docs (README.md and docs/*.md) are exact: every stack config key is in the reference,
every command shown is real, every relative link resolves and the generated parts are current.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel
from support import ROOT
from typer.testing import CliRunner

from plinth.cli import app
from plinth.engine import Preview
from plinth.spec.errors import _unwrap_optional
from plinth.spec.model import PlinthSpec
from plinth.spec.schema import stack_file_schema

DOCS = ROOT / "docs"
# Written by `make bench` (bench/write_page.py) from a benchmark run: no commands to check, and
# a fresh clone may not have it yet.
BENCHMARKS_PAGE = DOCS / "benchmarks.md"
PAGES = [ROOT / "README.md", *sorted(set(DOCS.glob("*.md")) - {BENCHMARKS_PAGE})]
README = (ROOT / "README.md").read_text()

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL_LANGUAGES = {"sh", "bash", "console"}

# Commands the docs show that no test runs: each needs the Pulumi CLI, a Pulumi backend or
# cloud credentials, which the tests never have. Only commands of other tools belong here.
NEEDS_PULUMI_OR_CREDENTIALS = {
    "pulumi login": "logs in to a Pulumi backend",
    "pulumi stack init dev": "creates a stack in a Pulumi backend",
    "pulumi install": "the Pulumi CLI (it runs `uv sync`)",
    "pulumi preview --policy-pack policies": "the Pulumi CLI, AWS credentials, a backend",
    "pulumi preview --stack dev --policy-pack policies --policy-pack-config policy-config.json": (
        "the Pulumi CLI, AWS credentials, a backend"
    ),
    "pulumi preview --stack prod --policy-pack policies --policy-pack-config policy-config.json": (
        "the Pulumi CLI, AWS credentials, a backend"
    ),
    "pulumi up": "the Pulumi CLI, AWS credentials, a backend",
    "aws secretsmanager get-secret-value --secret-id plinth-dev-search/mlflow/admin --query "
    "SecretString --output text": "AWS credentials and the deployed stack",
    "kubectl --namespace search port-forward service/mlflow 5000:80": (
        "the deployed cluster and its kubeconfig"
    ),
}
# Read-only and quick: these run in full, and must succeed; other plinth commands are parsed.
RUN_IN_FULL = {"rules", "schema", "stacks", "--version"}
PLINTH = {"plinth", ".venv/bin/plinth"}
PYTHON = {"python", "python3", ".venv/bin/python"}
MAKEFILE = (ROOT / "Makefile").read_text()
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))
MAKE_VARIABLES = set(re.findall(r"^([A-Z_]+) \??=", MAKEFILE, re.MULTILINE))


def spec_keys(model: type[BaseModel], prefix: str = "plinth:") -> list[str]:
    """Every leaf key path: sections expanded, entries of a mapping written as `<name>`."""
    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        annotation = _unwrap_optional(field.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(spec_keys(annotation, f"{key}."))
            continue
        keys.append(key)
        if typing.get_origin(annotation) is dict:
            values = _unwrap_optional(typing.get_args(annotation)[1])
            if isinstance(values, type) and issubclass(values, BaseModel):
                keys.extend(spec_keys(values, f"{key}.<name>."))
    return keys


def test_every_spec_key_is_in_the_config_reference() -> None:
    reference = (DOCS / "stack-reference.md").read_text()
    keys = spec_keys(PlinthSpec)
    assert len(keys) > 20
    undocumented = [key for key in keys if f"| `{key}`" not in reference]
    assert undocumented == []


def test_readme_gives_the_setup_commands() -> None:
    assert "make preview" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "plinth.schema.json").read_text())
    assert committed == stack_file_schema(), "run `make schema` and commit plinth.schema.json"


def test_policies_page_rules_and_controls_matrix_is_current() -> None:
    from plinth.docs import splice

    page = (DOCS / "policies.md").read_text()
    assert splice(page) == page, "run `make docs`"
    assert "| `kms-key-rotation` | kms | high |" in page
    assert "| 164.312(b) | Audit controls |" in page


def test_readme_quick_start_shows_the_dev_stack_s_resource_count(dev_preview: Preview) -> None:
    shown = f"{len(dev_preview.resources)} resources would be created in stack plinth/dev"
    assert shown in README


# Commands shown in the docs.


def shown_commands(text: str) -> list[str]:
    """The command lines of a page's shell blocks (in `console` blocks, the `$ ` lines)."""
    commands = []
    for language, body in FENCE.findall(text):
        if language not in SHELL_LANGUAGES:
            continue
        for line in body.replace("\\\n", " ").splitlines():
            if language == "console" and not line.startswith("$ "):
                continue  # the command's output
            command = line.removeprefix("$ ").strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def simple_commands(line: str) -> list[list[str]]:
    """A command line split at pipes and `&&`/`;`, without redirections or `VAR=value`s."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    tokens = iter(lexer)
    for token in tokens:
        if token in {"|", "||", "&&", ";", "&"}:
            commands.append([])
        elif token in {"<", ">", ">>"}:
            next(tokens)  # the redirection's file
        elif commands[-1] or not re.match(r"[A-Za-z_]\w*=", token):
            commands[-1].append(token)
    return [argv for argv in commands if argv]


def _leaf_commands(command: Any) -> Iterator[Any]:
    subcommands = getattr(command, "commands", None)
    if isinstance(subcommands, dict):
        for subcommand in subcommands.values():
            yield from _leaf_commands(subcommand)
    else:
        yield command


def _do_nothing(**_: object) -> None:
    """Stands in for a command's body: parsing alone is under test."""


def plinth_usage_error(args: list[str]) -> str | None:
    """What the real command line refuses in `args` (flags, values, required options), found
    by parsing them exactly as `plinth` would, without running the command."""
    cli = typer.main.get_command(app)  # a fresh copy: changing it leaves `app` alone
    for command in _leaf_commands(cli):
        command.callback = _do_nothing
    try:
        # Isolated as CliRunner isolates: `--help` output captured, `--config -` reads nothing.
        with CliRunner().isolation(input=""):
            cli.main(args, prog_name="plinth", standalone_mode=False)
    except Exception as error:
        if getattr(error, "exit_code", None) == 2:
            return str(error.format_message())
        raise
    return None


def command_problem(argv: list[str]) -> str | None:
    """Why the command `argv` shown in the docs is not real, or None when it is."""
    program, args = argv[0], argv[1:]
    if program in PLINTH:
        if args[:1] and args[0] in RUN_IN_FULL:
            result = CliRunner().invoke(app, args)
            return None if result.exit_code == 0 else f"exit {result.exit_code}: {result.stderr}"
        return plinth_usage_error(args)
    if program == "make":
        variables = [arg.partition("=")[0] for arg in args if "=" in arg]
        targets = [arg for arg in args if "=" not in arg]
        unknown = [t for t in targets if t not in MAKE_TARGETS]
        unknown += [v for v in variables if v not in MAKE_VARIABLES]
        if not targets:
            return "names no make target"
        return f"not in the Makefile: {unknown}" if unknown else None
    if program in PYTHON and args[:1] == ["-m"]:
        return None if importlib.util.find_spec(args[1]) else f"no module {args[1]}"
    if shlex.join(argv) in NEEDS_PULUMI_OR_CREDENTIALS:
        return None
    return "not tested: not a plinth, make or python -m command, nor listed as needing Pulumi"


def all_shown_commands() -> list[tuple[str, list[str]]]:
    return [
        (f"{page.relative_to(ROOT)}: {line}", argv)
        for page in PAGES
        for line in shown_commands(page.read_text())
        for argv in simple_commands(line)
    ]


def test_the_docs_show_commands_of_every_kind() -> None:
    programs = {argv[0] for _, argv in all_shown_commands()}
    assert {"plinth", ".venv/bin/plinth", "make", "pulumi"} <= programs


def test_every_command_shown_in_the_docs_is_real() -> None:
    problems = {where: command_problem(argv) for where, argv in all_shown_commands()}
    assert {where: problem for where, problem in problems.items() if problem} == {}


def test_the_untested_commands_are_other_tools_commands_the_docs_still_show() -> None:
    shown = {shlex.join(argv) for _, argv in all_shown_commands()}
    assert set(NEEDS_PULUMI_OR_CREDENTIALS) <= shown
    assert all(c.split()[0] not in PLINTH | PYTHON | {"make"} for c in NEEDS_PULUMI_OR_CREDENTIALS)


@pytest.mark.parametrize(
    "line",
    [
        "plinth preview --formt json",  # unknown flag
        "plinth previw",  # unknown command
        "plinth audit --format yaml",  # bad value
        "plinth diff --stack dev",  # missing --base
        "AWS_PROFILE=x .venv/bin/plinth preflight --stack",  # flag without its value
        "plinth stacks --program /nonexistent",  # runs in full, and fails
        "make previw",
        "make preview STAK=dev",
        "make STACK=dev",
        ".venv/bin/python -m plinth.no_such_module",
        "pulumi destroy --yes",  # not listed as needing Pulumi
    ],
)
def test_the_command_checker_catches_a_bad_command(line: str) -> None:
    assert any(command_problem(argv) for argv in simple_commands(line))


def test_the_command_reader_finds_commands_in_every_shell_block() -> None:
    page = (
        "```sh\nmake preview   # offline\n# a comment\n```\n"
        "```console\n$ plinth rules \\\n  --format json\n{...}\n```\n"
        "```yaml\nplinth: not a command\n```\n"
    )
    assert shown_commands(page) == ["make preview   # offline", "plinth rules    --format json"]
    line = "AWS_PROFILE=p plinth preview --config - < Pulumi.dev.yaml | jq . && make test  # x"
    assert simple_commands(line) == [
        ["plinth", "preview", "--config", "-"],
        ["jq", "."],
        ["make", "test"],
    ]


def test_the_cli_page_synopsis_lists_every_option_of_every_command() -> None:
    page = (DOCS / "cli.md").read_text()
    synopsis = next(body for lang, body in FENCE.findall(page) if body.startswith("plinth "))
    shown: dict[str, set[str]] = {}
    command = ""
    for line in synopsis.splitlines():
        if started := re.match(r"plinth ((?:tenant )?[a-z-]+)", line):
            command = started.group(1)
        shown.setdefault(command, set()).update(re.findall(r"--[a-z][a-z-]*", line))
    cli = typer.main.get_command(app)
    commands = {name: c for name, c in cli.commands.items() if name != "tenant"}
    commands |= {f"tenant {name}": c for name, c in cli.commands["tenant"].commands.items()}
    actual = {
        name: {option for param in c.params for option in param.opts if option.startswith("--")}
        for name, c in commands.items()
    }
    assert shown == actual


# Links.


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets `-1`, `-2`... as on GitHub."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", text), re.MULTILINE):
        anchor = slug = _slug(heading)
        repeats = 0
        while anchor in found:
            repeats += 1
            anchor = f"{slug}-{repeats}"
        found.add(anchor)
    return found


def broken_links(page: Path, text: str) -> list[str]:
    """The relative links of `text` (as if at `page`) whose file or heading does not exist."""
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", FENCE.sub("", text)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if file == BENCHMARKS_PAGE:
            continue  # generated by `make bench`; test_the_benchmarks_page_is_generated
        if not file.exists() or (fragment and fragment not in anchors(file.read_text())):
            broken.append(target)
    return broken


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken = {page.name: broken_links(page, page.read_text()) for page in PAGES}
    assert {page: links for page, links in broken.items() if links} == {}


def test_the_link_checker_catches_a_missing_file_or_heading() -> None:
    page = DOCS / "concepts.md"
    text = "[a](clusters.md) [b](nope.md) [c](clusters.md#no-such-heading) [d](#what-runs-where)"
    assert broken_links(page, text) == ["nope.md", "clusters.md#no-such-heading"]


def test_the_readme_links_every_docs_page() -> None:
    linked = set(re.findall(r"\]\(docs/([^)#]+)", README))
    assert linked == {page.name for page in DOCS.glob("*.md")} | {BENCHMARKS_PAGE.name}


def test_the_benchmarks_page_is_generated_by_make_bench() -> None:
    writer = (ROOT / "bench" / "write_page.py").read_text()
    assert 'PAGE = ROOT / "docs" / "benchmarks.md"' in writer
    assert "bench/write_page.py" in MAKEFILE
    assert "(docs/benchmarks.md)" in README
