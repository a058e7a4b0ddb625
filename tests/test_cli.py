"""The `plinth` command line: formats, exit codes and error reporting."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import PROGRAMS, ROOT, dev_bucket_names, dev_stack_document
from typer.testing import CliRunner

from plinth.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def bad_stack_file(tmp_path: Path) -> Path:
    document = dev_stack_document()
    document["config"]["plinth:network"]["cidr"] = "10.0.0.0/33"
    document["config"]["plinth:netwrk"] = {}
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_json_format() -> None:
    code, out, _ = invoke("preview", "--format", "json")
    assert code == 0
    printed = json.loads(out)
    assert printed["project"] == "plinth"
    assert printed["stack"] == "dev"
    assert printed["summary"]["total"] == len(printed["resources"]) > 60


def test_table_format_shows_the_component_tree() -> None:
    code, out, _ = invoke("preview", "--stack", "dev")
    assert code == 0
    assert "resources would be created in stack plinth/dev" in out
    assert "plinth-dev-net plinth:network:Network" in out
    assert "6 × aws:ec2:Subnet" in out
    assert "Resources by type" in out


def test_markdown_format_is_a_pr_comment() -> None:
    code, out, _ = invoke("preview", "--format", "markdown")
    assert code == 0
    assert out.startswith("### Plinth preview: `plinth` / `dev`\n")
    assert "| Type | Count | Options |" in out
    # Every bucket the stack file asks for (platform and tenants'), all retained on delete.
    assert f"| `aws:s3:Bucket` | {len(dev_bucket_names())} | retain |" in out
    assert "<details><summary>Resources by component</summary>" in out


def test_bad_flag_value_exits_2() -> None:
    code, _, err = invoke("preview", "--format", "xml")
    assert code == 2
    assert "xml" in err


def test_unknown_stack_exits_2_and_lists_stacks() -> None:
    code, _, err = invoke("preview", "--stack", "prod")
    assert code == 2
    assert "stack 'prod' has no config file Pulumi.prod.yaml" in err
    assert "(stacks with config files: coreweave, dev, dev-vision)" in err


def test_spec_errors_exit_2_with_every_problem(tmp_path: Path) -> None:
    code, out, err = invoke("preview", "--config", str(bad_stack_file(tmp_path)))
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "error: invalid stack configuration for stack 'dev'"
    assert lines[1:] == [
        "  plinth:network.cidr: '10.0.0.0/33' is not an IPv4 network (CIDR such as 10.0.0.0/16)",
        "  plinth:netwrk: unknown key 'netwrk' (did you mean 'network'?); allowed keys: "
        "activateCostAllocationTags, auditors, aws, bedrock, clusters, compliance, costCenter, "
        "dataClassification, environment, extraTags, gateway, guardrails, identityCenter, kms, "
        "mlops, network, observability, owner, platform, protect, storage, tenants",
    ]


def test_program_error_exits_2_with_location_and_traceback_only_with_debug() -> None:
    program = str(PROGRAMS / "broken")
    code, _, err = invoke("preview", "--program", program, "--stack", "test")
    assert code == 2
    assert f"program error at {PROGRAMS / 'broken' / 'helpers.py'}:" in err
    assert "ValueError: need at least one AZ, got 0" in err
    assert "Traceback" not in err
    code, _, err = invoke("preview", "--program", program, "--stack", "test", "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err


def test_stack_outputs_flag(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"acme/plinth/prod": {"vpcId": "vpc-0abc"}}))
    code, out, _ = invoke(
        "preview", "--program", str(PROGRAMS / "stackref"), "--stack", "test",
        "--stack-outputs", str(outputs), "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["outputs"] == {"platformVpc": "vpc-0abc"}


def test_schema_command() -> None:
    code, out, _ = invoke("schema")
    assert code == 0
    schema = json.loads(out)
    network = schema["properties"]["config"]["properties"]["plinth:network"]
    assert network == schema["properties"]["config"]["properties"]["network"]


@pytest.mark.e2e
@pytest.mark.parametrize("debug", [False, True])
def test_console_script_end_to_end(tmp_path: Path, debug: bool) -> None:
    """The installed `plinth` script, as a user runs it: exit 2, a traceback only with --debug."""
    script = Path(sys.executable).parent / "plinth"
    command = [str(script), "preview", "--config", str(bad_stack_file(tmp_path))]
    result = subprocess.run(
        command + (["--debug"] if debug else []),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "plinth:network.cidr: '10.0.0.0/33' is not an IPv4 network" in result.stderr
    assert ("Traceback (most recent call last)" in result.stderr) is debug
    ok = subprocess.run(
        [str(script), "preview", "--format", "json"], capture_output=True, text=True,
        cwd=tmp_path, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    by_type = json.loads(ok.stdout)["summary"]["byType"]
    assert by_type["aws:s3/bucket:Bucket"] == len(dev_bucket_names())


def test_version_and_short_help_flag() -> None:
    from importlib.metadata import version

    code, out, _ = invoke("--version")
    assert (code, out) == (0, f"plinth {version('plinth')}\n")
    code, out, _ = invoke("-h")
    assert code == 0
    assert "Usage: plinth [OPTIONS] COMMAND" in out


@pytest.mark.parametrize(
    "command",
    [[], ["preview"], ["audit"], ["diff"], ["cost"], ["rules"], ["policy-config"],
     ["preflight"], ["schema"], ["tenant"], ["tenant", "new"]],
)  # fmt: skip
def test_help_is_whole_when_piped(command: list[str]) -> None:
    # CliRunner is not a terminal: what `plinth ... --help | less` shows.
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert "…" not in out
    # "[ARGS]..." in the usage line is Click's syntax; anywhere else "..." is a cut text.
    assert [line for line in out.splitlines() if "..." in line and "Usage:" not in line] == []
    assert max(len(line) for line in out.splitlines()) <= 80
    # Wrapped between words only: no option name split after one of its hyphens.
    assert [line for line in out.splitlines() if re.search(r"[\w`]-$", line)] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [(["audit", "--fail-on", "hihg"], "'hihg' is not one of low, medium, high, critical (did "
      "you mean 'high'?)"),
     (["preview", "--format", "yaml"], "'yaml' is not one of table, json, markdown"),
     (["audit", "--framework", "hipa"], "'hipa' is not one of hipaa, gdpr, soc2, pci, "
      "nist-800-53, nist-ai-rmf (did you mean 'hipaa'?)")],
)  # fmt: skip
def test_a_bad_choice_lists_the_allowed_values_in_plain_words(
    args: list[str], message: str
) -> None:
    code, _, err = invoke(*args)
    assert code == 2
    assert message in " ".join(err.split())
    assert "Value error" not in err


def test_config_dash_reads_the_stack_file_from_standard_input() -> None:
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text()
    result = runner.invoke(app, ["preview", "--config", "-", "--format", "json"], input=stack_file)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"
    broken = runner.invoke(app, ["preview", "--config", "-"], input="config: [1, 2]\n")
    assert broken.exit_code == 2
    assert "'config' must be a mapping of keys to values" in broken.stderr


def test_stacks_lists_every_stack_file_and_the_platform_a_tenant_stack_reads(
    tmp_path: Path,
) -> None:
    code, out, _ = invoke("stacks", "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {"stack": "coreweave", "platform": None},
        {"stack": "dev", "platform": None},
        {"stack": "dev-vision", "platform": "organization/plinth/dev"},
    ]
    # A new stack file is a new stack: the pull-request workflow's matrix comes from here.
    project = tmp_path / "project"
    (project / "infra").mkdir(parents=True)
    (project / "infra" / "__main__.py").write_text("")
    (project / "Pulumi.yaml").write_text("name: plinth\nruntime: python\nmain: infra\n")
    (project / "Pulumi.prod.yaml").write_text("config:\n  plinth:environment: prod\n")
    tenant = "config:\n  plinth:platform: {stack: acme/plinth/prod}\n"
    (project / "Pulumi.prod-ml.yaml").write_text(tenant)
    code, out, _ = invoke("stacks", "--program", str(project / "infra"), "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {"stack": "prod", "platform": None},
        {"stack": "prod-ml", "platform": "acme/plinth/prod"},
    ]


HEAVY = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_policy", "boto3", "botocore")


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["-h"], ["preview", "--help"], ["preview", "--format", "yaml"],
     ["audit", "--fail-on", "sometimes"], ["nosuchcommand"]],
)  # fmt: skip
def test_help_version_and_argument_errors_import_no_provider(args: list[str]) -> None:
    probe = (
        "import sys\n"
        f"sys.argv = ['plinth', *{args!r}]\n"
        "from plinth.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
