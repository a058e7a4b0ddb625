"""`plinth diff` on a real temporary git repository with two commits: a small Pulumi program
whose second commit adds, changes and removes resources, changes a protected one and edits an
IAM document, so every kind of difference and warning appears."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plinth.diff import DiffError, changed_paths, compare, diff_stacks, to_markdown

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
print("the program's own output goes to stderr, not into the preview's JSON")
aws.ssm.Parameter(
    "token", type="SecureString", value=pulumi.Output.secret(config.require("apiToken"))
)
data = aws.s3.Bucket(
    "data",
    tags={"owner": config.require("owner")},
    opts=pulumi.ResourceOptions(protect=config.get_bool("protectData") or False),
)
aws.s3.BucketPolicy(
    "data-policy",
    bucket=data.id,
    policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": config.require("tlsFlag")}}}]}),
)
if config.get_bool("withScratch"):
    aws.s3.Bucket("scratch", opts=pulumi.ResourceOptions(retain_on_delete=True))
if config.get_bool("withKey"):
    aws.kms.Key("logs", enable_key_rotation=True)
if config.get_bool("withTopic"):
    aws.sns.Topic("alerts")
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def write_stack(repo: Path, **config: object) -> None:
    lines = ["config:"] + [f"  demo:{key}: {json.dumps(value)}" for key, value in config.items()]
    (repo / "Pulumi.dev.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commit 1: data (unprotected), its policy, scratch (retained), logs key.
    Commit 2: data protected with a new owner, policy condition changed, scratch and the key
    removed, a topic added."""
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")
    (root / "Pulumi.yaml").write_text("name: demo\nruntime: python\nmain: infra/\n")
    (root / "infra").mkdir()
    (root / "infra" / "__main__.py").write_text(PROGRAM)
    write_stack(
        root,
        owner="team-a",
        tlsFlag="false",
        withScratch=True,
        withKey=True,
        protectData=False,
        apiToken="s3cr3t-one",
    )
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "base")
    write_stack(
        root,
        owner="team-b",
        tlsFlag="true",
        withTopic=True,
        protectData=True,
        apiToken="s3cr3t-two",
    )
    git(root, "commit", "--quiet", "-am", "change")
    return root


@pytest.fixture(scope="module")
def stack_diff(repo: Path):  # type: ignore[no-untyped-def]
    [diff] = diff_stacks(repo, "HEAD~1", ["dev"])
    return diff


def by_name(diff, name):  # type: ignore[no-untyped-def]
    [found] = [r for r in diff.resources if r.name == name]
    return found


@pytest.mark.e2e
def test_added_removed_and_changed_resources(stack_diff) -> None:  # type: ignore[no-untyped-def]
    assert {(r.kind, r.name) for r in stack_diff.resources} == {
        ("added", "alerts"),
        ("removed", "scratch"),
        ("removed", "logs"),
        ("changed", "data"),
        ("changed", "data-policy"),
    }
    assert stack_diff.counts() == {"added": 1, "removed": 2, "changed": 2}
    assert stack_diff.base.startswith("HEAD~1 (")


@pytest.mark.e2e
def test_changed_inputs_name_their_paths_and_values(stack_diff) -> None:  # type: ignore[no-untyped-def]
    data = by_name(stack_diff, "data")
    assert {(c.path, c.old, c.new) for c in data.changes} == {
        ("tags.owner", "team-a", "team-b"),
        ("(protect)", False, True),
    }
    # Inside the JSON policy document, down to the changed condition.
    [change] = by_name(stack_diff, "data-policy").changes
    assert change.path == "policy.Statement[0].Condition.Bool.aws:SecureTransport"
    assert (change.old, change.new) == ("false", "true")


@pytest.mark.e2e
def test_warnings_for_stateful_removals_and_protected_changes(stack_diff) -> None:  # type: ignore[no-untyped-def]
    assert by_name(stack_diff, "logs").warnings == (
        "removes a resource that holds data: its data is deleted",
    )
    assert by_name(stack_diff, "scratch").warnings == (
        "removed but retained on delete: AWS keeps it, Pulumi forgets it",
    )
    # Turning protection on is no risk; changing a resource already protected is.
    assert by_name(stack_diff, "data").warnings == ()
    assert by_name(stack_diff, "alerts").warnings == ()
    assert len(stack_diff.warnings) == 2


def resource(name: str, inputs: dict[str, object], *, protect: bool = False, retain: bool = False):  # type: ignore[no-untyped-def]
    return {
        "urn": f"urn:pulumi:dev::demo::aws:s3/bucket:Bucket::{name}",
        "type": "aws:s3/bucket:Bucket",
        "name": name,
        "inputs": inputs,
        "protect": protect,
        "retainOnDelete": retain,
    }


def test_warnings_for_protected_and_retained_resources() -> None:
    base = {"resources": [
        resource("kept", {"tags": {"a": "1"}}, protect=True, retain=True),
        resource("guarded", {}, protect=True),
        resource("vpc-like", {}, protect=True),
    ]}  # fmt: skip
    head = {"resources": [
        resource("kept", {"tags": {"a": "2"}}, protect=False, retain=False),
        resource("guarded", {}, protect=True),
    ]}  # fmt: skip
    diff = compare("dev", "main", {**base}, head)
    kept = by_name(diff, "kept")
    assert kept.warnings == (
        "changes a protected resource",
        "no longer retained on delete: pulumi destroy would delete it",
        "no longer protected",
    )
    # Any protected resource removed is refused by pulumi up, whatever it holds.
    assert by_name(diff, "vpc-like").warnings[0].startswith("removes a protected resource")


def test_lists_of_different_lengths_show_each_added_item() -> None:
    old = {"Statement": [{"Sid": "A"}]}
    new = {"Statement": [{"Sid": "A"}, {"Sid": "B", "Effect": "Allow"}]}
    changes = list(changed_paths(json.dumps(old), json.dumps(new), "policy"))
    assert [(c.path, c.to_json()) for c in changes] == [
        (
            "policy.Statement[1]",
            {"path": "policy.Statement[1]", "new": {"Sid": "B", "Effect": "Allow"}},
        )
    ]
    # A string that became a list is a change, not a document to look into.
    assert [c.path for c in changed_paths({"x": "[1]"}, {"x": [1]})] == ["x"]


@pytest.mark.e2e
def test_the_markdown_comment(stack_diff) -> None:  # type: ignore[no-untyped-def]
    comment = to_markdown([stack_diff])
    assert comment.startswith("### Plinth diff: `dev`\n")
    assert "1 to add, 2 to remove, 2 to change, 2 warning(s)" in comment
    assert "- :warning: logs (aws:kms/key:Key): removes a resource that holds data" in comment
    assert "| ~ | `data` | `aws:s3/bucket:Bucket` | tags.owner | team-a | team-b |" in comment
    assert "| + | `alerts` | `aws:sns/topic:Topic` |" in comment


@pytest.mark.e2e
def test_the_command_end_to_end(repo: Path) -> None:
    """`plinth diff` as a user runs it, from the repository, JSON out; the worktree is gone."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "plinth",
            "diff",
            "--base",
            "main~1",
            "--format",
            "json",
            "--program",
            str(repo),
        ],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The token changed, but secrets are masked on both sides: neither value is printed.
    assert "s3cr3t" not in result.stdout
    [stack] = json.loads(result.stdout)["stacks"]
    assert "token" not in {change["name"] for change in stack["changes"]}
    assert stack["summary"] == {"added": 1, "removed": 2, "changed": 2, "warnings": 2}
    assert git(repo, "worktree", "list").count("\n") == 0  # only the main worktree


def test_a_bad_base_is_one_clear_error(repo: Path) -> None:
    with pytest.raises(DiffError) as caught:
        diff_stacks(repo, "no-such-branch", ["dev"])
    assert caught.value.title == f"--base 'no-such-branch' is not a commit of {repo}"


def test_a_stack_the_base_does_not_have_is_all_added(repo: Path) -> None:
    (repo / "Pulumi.staging.yaml").write_text((repo / "Pulumi.dev.yaml").read_text())
    try:
        [diff] = diff_stacks(repo, "HEAD~1", ["staging"])
    finally:
        (repo / "Pulumi.staging.yaml").unlink()
    assert diff.counts() == {"added": diff.head_total, "removed": 0, "changed": 0}
    assert diff.base_total == 0


@pytest.mark.e2e
def test_an_unchanged_tree_is_previewed_once_and_its_base_reuses_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The working tree is HEAD: its base tree hashes the same, so the base's preview is the
    # cached one and no process is started for it.
    monkeypatch.setattr("plinth.diff.sys.executable", "/bin/false")  # a child would fail
    [diff] = diff_stacks(repo, "HEAD", ["dev"])
    assert diff.resources == ()
    assert list((repo / ".plinth" / "cache").glob("*.document.json"))
    with pytest.raises(DiffError, match="cannot preview stack 'dev'"):
        diff_stacks(repo, "HEAD", ["dev"], use_cache=False)


@pytest.mark.e2e
def test_diff_from_a_saved_preview(repo: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from plinth.cli import app

    runner = CliRunner()
    plan = tmp_path / "plan.json"
    made = runner.invoke(app, ["preview", "--program", str(repo), "--out", str(plan)])
    assert made.exit_code == 0, made.stderr
    command = ["diff", "--program", str(repo), "--base", "main~1", "--format", "json"]
    saved = runner.invoke(app, [*command, "--from", str(plan), "--no-cache"])
    assert saved.exit_code == 0, saved.stderr
    [stack] = json.loads(saved.stdout)["stacks"]
    assert stack["summary"] == {"added": 1, "removed": 2, "changed": 2, "warnings": 2}
    two = runner.invoke(app, [*command, "--from", str(plan), "--stack", "dev", "--stack", "dev"])
    assert two.exit_code == 2
    assert "--from is one stack's saved preview: give one --stack" in two.stderr
