"""The offline engine: what it captures, what it rejects, and that it never touches a network."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pulumi
import pytest
import pytest_socket
from support import BUCKET, PROGRAMS, ROOT, dev_bucket_names, one, preview_dev

from plinth.engine import (
    EngineRejection,
    Preview,
    ProgramError,
    ProjectError,
    preview_stack,
    run_callable,
    run_program,
)
from plinth.engine.project import SECRET_PLACEHOLDER
from plinth.engine.runtime import CapturingMonitor
from plinth.engine.values import UNKNOWN, Secret, decode
from plinth.spec import SpecError


@pytest.fixture(scope="module")
def options() -> Preview:
    return preview_stack(PROGRAMS / "options", "test")


def test_captures_resource_options(options: Preview) -> None:
    first = one(options, BUCKET, "first")
    second = one(options, BUCKET, "second")
    assert (second.protect, second.retain_on_delete) == (True, True)
    assert (first.protect, first.retain_on_delete) == (False, False)
    assert second.depends_on == (first.urn,)
    assert second.ignore_changes == ("tags",)
    assert second.parent == options.root.urn if options.root else False
    assert second.urn == "urn:pulumi:test::options-demo::aws:s3/bucket:Bucket::second"
    assert second.custom is True


def test_secrets_are_kept_for_checks_but_printed_masked(options: Preview) -> None:
    first = one(options, BUCKET, "first")
    assert first.inputs["tags"] == {"token": Secret(SECRET_PLACEHOLDER)}
    assert first.plain_inputs["tags"] == {"token": SECRET_PLACEHOLDER}
    printed = options.to_json()
    record = next(r for r in printed["resources"] if r["urn"] == first.urn)
    assert record["inputs"]["tags"] == {"token": "[secret]"}
    assert printed["outputs"]["hidden"] == "[secret]"
    shown = json.dumps([printed["resources"], printed["outputs"]])
    assert "s3cr3t" not in shown
    assert SECRET_PLACEHOLDER not in shown


def test_stack_outputs_config_defaults_and_notes(options: Preview) -> None:
    second = one(options, BUCKET, "second")
    assert options.outputs["secondBucket"] == second.id
    assert options.outputs["greeting"] == "hello from Pulumi.yaml"
    assert any("options-demo:token" in note and "decrypted" in note for note in options.diagnostics)
    assert "warning: this warning reaches the preview's diagnostics" in options.diagnostics


def test_outputs_follow_each_provider_s_region(options: Preview) -> None:
    log_group = one(options, "aws:cloudwatch/logGroup:LogGroup")
    assert options.outputs["logGroupArn"] == (
        f"arn:aws:logs:eu-west-1:123456789012:log-group:{log_group.id}"
    )
    assert log_group.provider.startswith("urn:pulumi:test::options-demo::pulumi:providers:aws::")
    assert re.fullmatch(r"logs-[0-9a-f]{7}", log_group.id)


def test_json_has_the_documented_shape(options: Preview) -> None:
    printed = options.to_json()
    assert list(printed) == ["project", "stack", "resources", "outputs", "summary", "diagnostics"]
    assert printed["project"] == "options-demo"
    assert printed["stack"] == "test"
    assert set(printed["resources"][0]) == {
        "urn", "type", "name", "custom", "parent", "provider", "inputs",
        "protect", "retainOnDelete", "dependsOn", "ignoreChanges",
    }  # fmt: skip
    assert printed["summary"]["total"] == len(printed["resources"])
    assert sum(printed["summary"]["byType"].values()) == printed["summary"]["total"]
    assert printed["summary"]["byType"][BUCKET] == 2


def test_stack_reference_reads_the_outputs_file(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"acme/plinth/prod": {"vpcId": "vpc-0123456789abcdef0"}}))
    preview = preview_stack(PROGRAMS / "stackref", "test", stack_outputs_file=outputs)
    assert one(preview, "aws:ec2/subnet:Subnet").inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert preview.outputs["platformVpc"] == "vpc-0123456789abcdef0"
    reference = one(preview, "pulumi:pulumi:StackReference")
    assert reference.name == "acme/plinth/prod"


def test_stack_reference_without_outputs_is_an_error() -> None:
    with pytest.raises(EngineRejection) as caught:
        preview_stack(PROGRAMS / "stackref", "test")
    assert "StackReference 'acme/plinth/prod' has no outputs offline" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "top level must be an object"),
        ('{"acme/plinth/prod": 3}', "'acme/plinth/prod': outputs must be an object, got int"),
    ],
)
def test_bad_stack_outputs_file(tmp_path: Path, content: str, message: str) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(content)
    with pytest.raises(ProjectError, match=re.escape(message)):
        preview_stack(PROGRAMS / "stackref", "test", stack_outputs_file=outputs)


def test_duplicate_urns_are_rejected_like_the_real_engine() -> None:
    with pytest.raises(EngineRejection) as caught:
        preview_stack(PROGRAMS / "duplicate", "test")
    assert caught.value.lines == [
        "urn:pulumi:test::duplicate-demo::aws:s3/bucket:Bucket::data "
        "(give the resource a unique name)"
    ]


def test_program_error_points_at_the_program_s_file_and_line() -> None:
    helpers = PROGRAMS / "broken" / "helpers.py"
    line = next(
        number
        for number, text in enumerate(helpers.read_text().splitlines(), start=1)
        if "the failing line" in text
    )
    with pytest.raises(ProgramError) as caught:
        preview_stack(PROGRAMS / "broken", "test")
    assert caught.value.location == f"{helpers}:{line}"
    assert caught.value.lines == ["ValueError: need at least one AZ, got 0"]
    assert "Traceback" in caught.value.traceback_text


@pytest.mark.timeout(60)  # the regression was a hang
def test_a_run_that_fails_in_an_apply_leaves_nothing_for_the_next_run() -> None:
    """A failure inside an apply leaves other outputs pending; the next run in the same
    process (the test suite, `plinth diff`) must not wait on them."""
    import pulumi_aws as aws

    def too_large(arn: str) -> str:
        raise ValueError(f"policy for {arn} too large")

    def failing() -> None:
        aws.s3.BucketPolicy(
            "data-policy", bucket="data", policy=pulumi.Output.from_input("data").apply(too_large)
        )
        for index in range(100):
            pulumi.export(f"data-{index}", aws.s3.Bucket(f"data-{index}").arn)

    def healthy() -> None:
        pulumi.export("name", aws.s3.Bucket("logs").bucket)

    with pytest.raises(ProgramError, match="too large"):
        run_callable(failing, project="test", stack="test", config={})
    preview = run_callable(healthy, project="test", stack="test", config={})
    assert [record.name for record in preview.resources] == ["test-test", "logs"]
    assert preview.outputs["name"].startswith("logs")


def test_program_modules_do_not_leak_between_runs() -> None:
    with pytest.raises(ProgramError):
        preview_stack(PROGRAMS / "broken", "test")
    import sys

    assert "helpers" not in sys.modules


def test_spec_errors_stop_the_program_before_any_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[str] = []
    original = CapturingMonitor.RegisterResource

    def spy(self: CapturingMonitor, request: Any) -> Any:
        registered.append(request.type)
        return original(self, request)

    monkeypatch.setattr(CapturingMonitor, "RegisterResource", spy)
    with pytest.raises(SpecError) as caught:
        preview_dev(tmp_path, {"plinth:network": {"cidr": "10.0.0.0/33"}, "plinth:netwrk": {}})
    assert len(caught.value.problems) == 2
    assert registered == ["pulumi:pulumi:Stack"]


def test_no_network_is_touched() -> None:
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        with (
            pytest.warns(UserWarning, match="tried to use socket"),
            pytest.raises(pytest_socket.SocketBlockedError),
        ):
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        preview = preview_stack(ROOT, "dev")
    finally:
        pytest_socket.enable_socket()
    # The whole program ran, tenants included.
    assert {r.name for r in preview.of_type(BUCKET)} == dev_bucket_names()


def test_previews_are_deterministic() -> None:
    first = preview_stack(PROGRAMS / "options", "test").to_json()
    second = preview_stack(PROGRAMS / "options", "test").to_json()
    assert first == second


def test_missing_stack_names_the_stacks_that_exist() -> None:
    with pytest.raises(ProjectError) as caught:
        preview_stack(ROOT, "prod")
    assert str(caught.value) == (
        f"stack 'prod' has no config file Pulumi.prod.yaml in '{ROOT}' "
        "(stacks with config files: coreweave, dev, dev-vision)"
    )


def test_project_problems(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=re.escape("no Pulumi.yaml in")):
        preview_stack(tmp_path, "dev")
    with pytest.raises(ProjectError, match="does not exist"):
        preview_stack(tmp_path / "missing", "dev")
    (tmp_path / "Pulumi.yaml").write_text("name: js\nruntime: nodejs\n")
    with pytest.raises(ProjectError, match="runtime is 'nodejs'"):
        preview_stack(tmp_path, "dev")
    (tmp_path / "Pulumi.yaml").write_text("name: py\nruntime: python\n")
    with pytest.raises(ProjectError, match=re.escape("has no __main__.py")):
        preview_stack(tmp_path, "dev")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: [unclosed\n")
    bad_yaml = r'(?s)Pulumi\.dev\.yaml: not valid YAML:\n.*Pulumi\.dev\.yaml", line 1'
    with pytest.raises(ProjectError, match=bad_yaml):
        preview_stack(tmp_path, "dev")
    with pytest.raises(ProjectError, match=r"config file '.*nope\.yaml' does not exist"):
        preview_stack(tmp_path, "dev", config_file=tmp_path / "nope.yaml")


def test_any_program_folder_runs(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime:\n  name: python\nmain: src/\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__main__.py").write_text(
        "import pulumi\nimport pulumi_aws as aws\n"
        "role = aws.iam.Role('r', assume_role_policy='{}', path='/svc/')\n"
        "pulumi.export('arn', role.arn)\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  tiny:size: 3\n")
    preview = run_program(tmp_path / "src", project="tiny", stack="dev", config={"tiny:size": "3"})
    role = one(preview, "aws:iam/role:Role")
    assert preview.outputs["arn"] == f"arn:aws:iam::123456789012:role/svc/{role.id}"
    assert preview_stack(tmp_path / "src", "dev").outputs == preview.outputs


def test_wire_values_decode() -> None:
    sig = "4dabf18193072939515e22adb298388d"
    assert decode(443.0) == 443
    assert decode(0.5) == 0.5
    assert decode("04da6b54-80e4-46f7-96ec-b56ff0331ba9") is UNKNOWN
    assert decode({sig: "1b47061264138c4ac30d75fd1eb44270", "value": "pw"}) == Secret("pw")
    assert decode({sig: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x"}) == "urn:x"
    output = {sig: "d0e6a833031e9bbcd3f4e8bde6ca49a4"}
    assert decode(output) is UNKNOWN
    assert decode({**output, "value": "v", "secret": True}) == Secret("v")
    assert decode({"list": [1.0, {"k": "v"}]}) == {"list": [1, {"k": "v"}]}


def test_linear_wait_is_active_for_the_pinned_sdk_and_scoped_to_a_run() -> None:
    from pulumi.runtime import stack as sdk_stack

    from plinth.engine import quiescence

    original = sdk_stack.wait_for_rpcs
    assert quiescence.sdk_fingerprint() == quiescence.SDK_WAIT_FINGERPRINT
    with quiescence.linear_wait() as active:
        assert active is True
        assert sdk_stack.wait_for_rpcs is quiescence.wait_for_rpcs
    assert sdk_stack.wait_for_rpcs is original


def test_linear_wait_steps_aside_for_another_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime import stack as sdk_stack

    from plinth.engine import quiescence

    monkeypatch.setattr(quiescence, "SDK_WAIT_FINGERPRINT", "another-sdk")
    with quiescence.linear_wait() as active:
        assert active is False
        assert sdk_stack.wait_for_rpcs is not quiescence.wait_for_rpcs


def test_a_preview_is_the_same_every_run(dev_preview: Preview) -> None:
    # The SDK gathers dependencies in sets; the engine sorts them, so two previews of one
    # program are byte-identical (what `plinth diff` and refactorings rely on).
    again = preview_stack(ROOT / "infra", "dev")
    assert json.dumps(again.to_json()) == json.dumps(dev_preview.to_json())


def test_a_credential_in_plain_config_is_refused(tmp_path: Path) -> None:
    """Every key at once, each with what it holds (never the value); a secure: value is
    fine."""
    project = tmp_path / "app"
    shutil.copytree(PROGRAMS / "options", project)
    openai = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    access_key = "AKIA" + "IOSFODNN7EXAMPLE"
    (project / "Pulumi.leaky.yaml").write_text(
        "config:\n"
        f"  app:llmKey: {openai}\n"
        f"  app:settings:\n    clients: [{{name: etl, key: {access_key}}}]\n"
        "  app:safe:\n    secure: AAABAGVuY3J5cHRlZA==\n"
    )
    with pytest.raises(ProjectError) as caught:
        preview_stack(project, "leaky")
    message = str(caught.value)
    assert "Pulumi.leaky.yaml holds credentials as plain text" in message
    assert "app:llmKey: an OpenAI key" in message
    assert "app:settings.clients[0].key: an AWS access key ID" in message
    assert openai not in message
    assert "app:safe" not in message
