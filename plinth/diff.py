"""`plinth diff`: what a change to the program or its stack files would do, offline.

The base revision is checked out into a temporary git worktree and previewed with its own code
(in a separate process, so neither side's modules leak into the other), the working tree is
previewed as it is on disk (uncommitted edits included), and the two captures are compared
resource by resource, keyed by URN:

- added and removed resources;
- changed resources, with each changed input path and its old and new values. Inputs that hold
  JSON documents (IAM and bucket policies, Helm values) are compared inside the document, so a
  one-condition change shows as that condition. Secret values are masked on both sides (the
  preview never prints them), so a changed secret shows as unchanged;
- warnings for what a reviewer must not miss: a stateful resource (bucket, key, database, file
  system, log group...) removed, and a protected or retained-on-delete resource changed.

What it cannot know offline: whether the provider replaces a resource for a change (that needs
the provider's schema; `pulumi preview --diff` with credentials shows it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from plinth import cost_render as costing
from plinth.audit.render import summary_verdict
from plinth.engine import cache
from plinth.engine.project import find_project
from plinth.errors import UserError
from policies.rules.protection import STATEFUL

DATA_TYPES = (*STATEFUL, "aws:cloudwatch/logGroup:LogGroup")
"""Resources whose removal loses data: the pack's stateful types, and log groups."""

Document = dict[str, Any]


class DiffError(UserError):
    """The diff could not be made (bad ref, not a git repository, a side failed to preview)."""


class _Absent:
    """Marks the side of a change where the input (or list item) does not exist."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Change:
    """One input that differs: its path (`tags.owner`, `rules[0].expiration.days`). An input
    added or removed has ABSENT on the other side (left out of the JSON form)."""

    path: str
    old: Any
    new: Any

    def to_json(self) -> Document:
        sides = {"old": self.old, "new": self.new}
        return {"path": self.path, **{k: v for k, v in sides.items() if v is not ABSENT}}


@dataclass(frozen=True)
class ResourceChange:
    """A resource added, removed or changed between the base and the working tree."""

    kind: str  # added, removed, changed
    urn: str
    type: str
    name: str
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> Document:
        return {
            "kind": self.kind,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "changes": [change.to_json() for change in self.changes],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class StackDiff:
    """Every resource difference of one stack, in URN order."""

    stack: str
    base: str
    resources: tuple[ResourceChange, ...]
    base_total: int
    head_total: int
    head_policy: Document | None = None
    """The policy pack's summary on the working tree (the preview's `policy`)."""
    base_cost: Document | None = None
    head_cost: Document | None = None
    """Each side's cost estimate (the preview's `cost`), when that side's code makes one."""

    def of_kind(self, kind: str) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind == kind]

    @property
    def warnings(self) -> list[str]:
        return [f"{r.name} ({r.type}): {w}" for r in self.resources for w in r.warnings]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in ("added", "removed", "changed")}

    def to_json(self) -> Document:
        return {
            "stack": self.stack,
            "base": self.base,
            "resources": {"base": self.base_total, "head": self.head_total},
            "summary": {**self.counts(), "warnings": len(self.warnings)},
            "changes": [r.to_json() for r in self.resources],
            "policy": self.head_policy,
            "cost": {
                side: estimate["total"] if estimate else None
                for side, estimate in (("base", self.base_cost), ("head", self.head_cost))
            },
        }


@dataclass
class Revision:
    """A checked-out copy of the project at a git revision (a temporary worktree)."""

    repo: Path
    commit: str
    root: Path
    _temp: tempfile.TemporaryDirectory[str] = field(repr=False)

    def close(self) -> None:
        try:
            _git(self.repo, "worktree", "remove", "--force", str(self.root))
        finally:
            self._temp.cleanup()
            # A worktree whose folder is gone is pruned from the repository's list.
            subprocess.run(["git", "-C", str(self.repo), "worktree", "prune"], check=False)


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DiffError(f"git {args[0]} failed", result.stderr.strip().splitlines()[-3:])
    return result.stdout.strip()


def check_out(project_root: Path, ref: str) -> Revision:
    """`ref` of the repository holding `project_root`, in a temporary worktree at the same
    place inside the repository."""
    try:
        top = Path(_git(project_root, "rev-parse", "--show-toplevel"))
    except DiffError as error:
        raise DiffError(f"{project_root} is not in a git repository", error.lines) from None
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except DiffError:
        raise DiffError(
            f"--base {ref!r} is not a commit of {top}",
            ["give a branch, tag or commit, e.g. --base origin/main or --base HEAD~1"],
        ) from None
    temp = tempfile.TemporaryDirectory(prefix="plinth-diff-")
    checkout = Path(temp.name) / "base"
    _git(top, "worktree", "add", "--detach", "--quiet", str(checkout), commit)
    root = checkout / project_root.resolve().relative_to(top.resolve())
    return Revision(repo=top, commit=commit, root=root, _temp=temp)


def preview_json(
    project_root: Path,
    program: Path,
    stack: str,
    stack_outputs: Path | None = None,
    cache_directory: Path | None = None,
) -> Document:
    """The offline preview of `stack` of the program at `program`, as the code at
    `project_root` makes it, run in its own process with that code first on the import path.

    With `cache_directory`, a document cached under the tree's key is used instead (the base
    revision of an unchanged tree hashes like the working tree), and a new one is cached."""
    key = None
    if cache_directory is not None:
        # The child imports plinth from `project_root` when the tree has it (this
        # repository), else from where this process has it.
        own_engine = (project_root / "plinth").is_dir()
        key = cache.preview_key(
            find_project(program).root,
            stack,
            stack_outputs_file=stack_outputs,
            **({"engine": project_root} if own_engine else {}),
        )
        hit = cache.cached_document(cache_directory, key)
        if hit is not None:
            return hit
    command = [
        sys.executable,
        "-m",
        "plinth",
        "preview",
        "--format",
        "json",
        "--stack",
        stack,
        "--program",
        str(program),
    ]
    if stack_outputs is not None:
        command += ["--stack-outputs", str(stack_outputs.resolve())]
    env = {**os.environ, "PYTHONPATH": str(project_root)}
    if cache_directory is None:
        command.append("--no-cache")
    else:  # the child caches its preview where this process looks
        env[cache.CACHE_ENV] = str(cache_directory)
    result = subprocess.run(
        command, cwd=project_root, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DiffError(
            f"cannot preview stack {stack!r} at {project_root}",
            result.stderr.strip().splitlines()[-6:],
        )
    try:
        document: Document = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise DiffError(
            f"the preview of stack {stack!r} at {project_root} printed more than its JSON",
            [str(error), *result.stdout.strip().splitlines()[:3]],
        ) from None
    if cache_directory is not None and key is not None:
        cache.store_document(cache_directory, key, document)
    return document


def _document(value: str) -> Any:
    """A JSON object or array held in a string input, parsed; None for any other string."""
    if value[:1] not in ("{", "["):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, Mapping | list) else None


def changed_paths(old: Any, new: Any, path: str = "") -> Iterator[Change]:
    """Each leaf that differs between two input values. Two strings that both hold JSON
    documents are compared inside; list items are compared by position, items beyond the
    shorter list showing as added or removed."""
    if isinstance(old, str) and isinstance(new, str):
        documents = _document(old), _document(new)
        if None not in documents:
            old, new = documents
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            yield from changed_paths(old.get(key, ABSENT), new.get(key, ABSENT), child)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else ABSENT
            after = new[index] if index < len(new) else ABSENT
            yield from changed_paths(before, after, f"{path}[{index}]")
    elif old != new:
        yield Change(path or "(value)", old, new)


def compare(stack: str, base_ref: str, base: Document, head: Document) -> StackDiff:
    """The resource differences between two preview JSON documents of the same stack."""
    before = {r["urn"]: r for r in base["resources"]}
    after = {r["urn"]: r for r in head["resources"]}
    changes: list[ResourceChange] = []
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        if old is None and new is not None:
            changes.append(ResourceChange("added", urn, new["type"], new["name"]))
        elif new is None and old is not None:
            changes.append(
                ResourceChange(
                    "removed", urn, old["type"], old["name"], warnings=_removal_warnings(old)
                )
            )
        elif old is not None and new is not None:
            found = [
                *changed_paths(old["inputs"], new["inputs"]),
                *(
                    Change(f"({option})", old[option], new[option])
                    for option in ("protect", "retainOnDelete")
                    if old[option] != new[option]
                ),
            ]
            if found:
                changes.append(
                    ResourceChange(
                        "changed",
                        urn,
                        new["type"],
                        new["name"],
                        tuple(found),
                        _change_warnings(old, new),
                    )
                )
    return StackDiff(
        stack=stack,
        base=base_ref,
        resources=tuple(changes),
        base_total=len(base["resources"]),
        head_total=len(head["resources"]),
        head_policy=head.get("policy"),
        base_cost=base.get("cost"),
        head_cost=head.get("cost"),
    )


def _removal_warnings(old: Document) -> tuple[str, ...]:
    warnings = []
    if old["protect"]:
        warnings.append("removes a protected resource: pulumi up refuses until it is unprotected")
    if old.get("retainOnDelete"):
        warnings.append("removed but retained on delete: AWS keeps it, Pulumi forgets it")
    elif old["type"] in DATA_TYPES:
        warnings.append("removes a resource that holds data: its data is deleted")
    return tuple(warnings)


def _change_warnings(old: Document, new: Document) -> tuple[str, ...]:
    warnings = []
    if old["protect"]:
        warnings.append("changes a protected resource")
    elif old.get("retainOnDelete"):
        warnings.append("changes a resource retained on delete")
    if old.get("retainOnDelete") and not new.get("retainOnDelete"):
        warnings.append("no longer retained on delete: pulumi destroy would delete it")
    if old["protect"] and not new["protect"]:
        warnings.append("no longer protected")
    return tuple(warnings)


def _base_preview(
    revision: Revision,
    inside: Path,
    stack: str,
    stack_outputs: Path | None,
    cache_directory: Path | None,
) -> Document:
    """The base's preview of `stack`; a stack the base does not have yet has no resources (the
    change adds all of them)."""
    if not find_project(revision.root / inside).stack_file(stack).is_file():
        return {"resources": []}
    return preview_json(
        revision.root, revision.root / inside, stack, stack_outputs, cache_directory
    )


def head_document(
    program: Path, stack: str, stack_outputs: Path | None, cache_directory: Path | None
) -> Document:
    """The working tree's document of `stack`, made in this process (this process's code is
    the working tree's): from the document cache, else from a (cached) preview. What the
    program prints goes to stderr, as with `plinth preview`."""
    from plinth.document import stack_document

    key = None
    if cache_directory is not None:
        key = cache.preview_key(find_project(program).root, stack, stack_outputs_file=stack_outputs)
        hit = cache.cached_document(cache_directory, key)
        if hit is not None:
            return hit
    with contextlib.redirect_stdout(sys.stderr):
        document = stack_document(
            program,
            stack,
            stack_outputs_file=stack_outputs,
            use_cache=cache_directory is not None,
        )
    if cache_directory is not None and key is not None:
        cache.store_document(cache_directory, key, document)
    return document


def diff_stacks(
    project_root: Path,
    base_ref: str,
    stacks: Sequence[str],
    stack_outputs: Path | None = None,
    program: Path | None = None,
    *,
    use_cache: bool = True,
    heads: Mapping[str, Document] | None = None,
) -> list[StackDiff]:
    """Each stack previewed at `base_ref` and in the working tree (or taken from `heads`, a
    saved preview's document), compared. `program` is the program folder (default
    `<project_root>/infra`); the base uses the same place. Both sides use the preview cache
    unless `use_cache` is false: the working tree's side first, so a base revision whose
    tree hashes the same is not previewed again."""
    program = (program or project_root / "infra").resolve()
    inside = program.relative_to(project_root.resolve())
    directory = cache.cache_dir(project_root) if use_cache else None
    revision = check_out(project_root, base_ref)
    try:
        diffs = []
        for stack in stacks:
            head = (heads or {}).get(stack) or head_document(
                program, stack, stack_outputs, directory
            )
            base = _base_preview(revision, inside, stack, stack_outputs, directory)
            diffs.append(compare(stack, f"{base_ref} ({revision.commit[:12]})", base, head))
        return diffs
    finally:
        revision.close()


# ---- rendering -------------------------------------------------------------------------------

VALUE_WIDTH = 80
"""Longer old/new values are cut in the table and Markdown (JSON keeps them whole)."""


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def headline(diff: StackDiff) -> str:
    counts = diff.counts()
    return (
        f"stack {diff.stack} against {diff.base}: {counts['added']} to add, "
        f"{counts['removed']} to remove, {counts['changed']} to change, "
        f"{len(diff.warnings)} warning(s)"
    )


def to_json(diffs: Sequence[StackDiff]) -> str:
    return json.dumps({"stacks": [d.to_json() for d in diffs]}, indent=2, default=str) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diffs: Sequence[StackDiff]) -> str:
    """A pull-request comment: per stack, warnings first, the changes (collapsed), then the
    cost estimate with its change from the base."""
    return "\n".join(_stack_markdown(diff) for diff in diffs)


def _stack_markdown(diff: StackDiff) -> str:
    lines = [f"### Plinth diff: `{diff.stack}`", "", f"**{_md(headline(diff))}**", ""]
    if diff.head_policy is not None:
        lines += [f"**Policies:** {summary_verdict(diff.head_policy)}", ""]
    lines += [f"- :warning: {_md(w)}" for w in diff.warnings]
    if diff.warnings:
        lines.append("")
    if not diff.resources:
        lines += ["No resource changes.", ""]
    else:
        lines += [
            f"<details><summary>{len(diff.resources)} resource change(s)</summary>",
            "",
            "| | resource | type | input | old | new |",
            "|---|---|---|---|---|---|",
        ]
        marks = {"added": "+", "removed": "-", "changed": "~"}
        for resource in diff.resources:
            for change in resource.changes or (Change("", "", ""),):
                lines.append(
                    f"| {marks[resource.kind]} | `{_md(resource.name)}` | `{resource.type}` | "
                    f"{_md(change.path)} | {_md(_value(change.old)) if change.path else ''} | "
                    f"{_md(_value(change.new)) if change.path else ''} |"
                )
        lines += ["", "</details>", ""]
    if diff.head_cost is not None:
        lines.append(costing.to_markdown(diff.head_cost, diff.base_cost))
    return "\n".join(lines)


def to_table(diffs: Sequence[StackDiff]) -> Group:
    """The terminal view: one table per stack, then its warnings."""
    parts: list[Any] = []
    styles = {"added": "green", "removed": "red", "changed": "yellow"}
    for diff in diffs:
        table = Table(title=headline(diff), title_justify="left")
        for column in ("", "resource", "input", "old", "new"):
            table.add_column(column, overflow="fold")
        for resource in diff.resources:
            mark = Text(resource.kind, style=styles[resource.kind])
            label = f"{resource.name}\n{resource.type}"
            if not resource.changes:
                table.add_row(mark, label, "", "", "")
            for index, change in enumerate(resource.changes):
                table.add_row(
                    mark if index == 0 else "",
                    label if index == 0 else "",
                    change.path,
                    _value(change.old),
                    _value(change.new),
                )
        if not diff.resources:
            parts.append(Text(headline(diff)))
        else:
            parts.append(table)
        if diff.head_policy is not None:
            parts.append(Text(f"Policies: {summary_verdict(diff.head_policy)}"))
        parts += [Text(f"warning: {w}", style="bold yellow") for w in diff.warnings]
        if diff.head_cost is not None:
            parts.append(costing.to_table(diff.head_cost, diff.base_cost))
    return Group(*parts)
