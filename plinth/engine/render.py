"""Preview output: a terminal tree (table), JSON for tools, Markdown for pull requests."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from plinth.engine.result import Preview, ResourceRecord
from plinth.engine.values import masked

# Names of the option markers shown next to resource counts.
PROTECTED = "protect"
RETAINED = "retain"


def to_json(preview: Preview) -> str:
    return json.dumps(preview.to_json(), indent=2, sort_keys=False)


def _type_counts(records: list[ResourceRecord]) -> list[tuple[str, int, int, int]]:
    """(type, count, protected, retained) for the custom resources among `records`."""
    counts = Counter(r.type for r in records)
    protected = Counter(r.type for r in records if r.protect)
    retained = Counter(r.type for r in records if r.retain_on_delete)
    return [(t, n, protected[t], retained[t]) for t, n in sorted(counts.items())]


def short_type(type_: str) -> str:
    """`aws:s3/bucket:Bucket` -> `aws:s3:Bucket`, the form Pulumi's own display uses."""
    parts = type_.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        parts[1] = parts[1].split("/")[0]
    return ":".join(parts)


def _markers(count: int, protected: int, retained: int) -> list[str]:
    """`protect`, `retain`, or e.g. `retain 2/3` when only some resources have the option."""
    marks = []
    for label, n in ((PROTECTED, protected), (RETAINED, retained)):
        if n:
            marks.append(label if n == count else f"{label} {n}/{count}")
    return marks


def _headline(preview: Preview) -> str:
    return (
        f"{len(preview.resources)} resources would be created in stack "
        f"{preview.project}/{preview.stack} (offline preview: mock runtime, no cloud calls)"
    )


def _component_tree(
    preview: Preview,
) -> Iterator[tuple[int, ResourceRecord, list[ResourceRecord]]]:
    """(depth, component, its own custom resources) for every component, parents first."""
    children: dict[str, list[ResourceRecord]] = defaultdict(list)
    for record in preview.resources:
        children[record.parent].append(record)

    def visit(
        component: ResourceRecord, depth: int
    ) -> Iterator[tuple[int, ResourceRecord, list[ResourceRecord]]]:
        own = children[component.urn]
        yield depth, component, [r for r in own if r.custom]
        for child in own:
            if not child.custom:
                yield from visit(child, depth + 1)

    if preview.root is not None:
        yield from visit(preview.root, 0)


def to_table(preview: Preview) -> Group:
    """A tree by component, each listing its own resources as counts by type."""
    tree = Tree(f"[bold]{escape(_headline(preview))}[/bold]")
    branches = [tree]  # branches[d] holds the components at depth d
    for depth, component, own in _component_tree(preview):
        name, kind = escape(component.name), escape(short_type(component.type))
        node = branches[depth].add(f"[bold cyan]{name}[/] [dim]{kind}[/]")
        for type_, count, protected, retained in _type_counts(own):
            marks = _markers(count, protected, retained)
            suffix = f" [magenta]{', '.join(marks)}[/]" if marks else ""
            node.add(f"{count} × {escape(short_type(type_))}{suffix}")
        del branches[depth + 1 :]
        branches.append(node)
    types = Table(title="Resources by type", show_footer=True)
    types.add_column("Type", footer="Total")
    types.add_column("Count", justify="right", footer=str(len(preview.resources)))
    types.add_column("Options")
    for type_, count, protected, retained in _type_counts(preview.resources):
        types.add_row(
            short_type(type_), str(count), ", ".join(_markers(count, protected, retained))
        )
    parts: list[Any] = [tree, types]
    if preview.outputs:
        outputs = Table(title="Stack outputs")
        outputs.add_column("Output")
        outputs.add_column("Value", overflow="fold")
        for key, value in sorted(masked(preview.outputs).items()):
            outputs.add_row(key, escape(_short(value)))
        parts.append(outputs)
    parts.extend(f"[yellow]{escape(line)}[/yellow]" for line in preview.diagnostics)
    return Group(*parts)


def _short(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def to_markdown(preview: Preview) -> str:
    """A pull-request comment: headline, components, counts by type, outputs, notes."""
    lines = [
        f"### Plinth preview: `{preview.project}` / `{preview.stack}`",
        "",
        f"**{len(preview.resources)} resources** would be created "
        "(offline preview: mock runtime, no cloud calls).",
        "",
        "<details><summary>Resources by component</summary>",
        "",
    ]
    for depth, component, own in _component_tree(preview):
        counts = ", ".join(
            f"{count} × `{short_type(type_)}`"
            + (f" ({', '.join(_markers(count, p, r))})" if p or r else "")
            for type_, count, p, r in _type_counts(own)
        )
        line = f"{'  ' * depth}- **{component.name}** `{component.type}`"
        lines.append(line + (f": {counts}" if counts else ""))
    lines += ["", "</details>", "", "| Type | Count | Options |", "| --- | ---: | --- |"]
    for type_, count, protected, retained in _type_counts(preview.resources):
        marks = ", ".join(_markers(count, protected, retained))
        lines.append(f"| `{short_type(type_)}` | {count} | {marks} |")
    lines.append(f"| **Total** | **{len(preview.resources)}** | |")
    if preview.outputs:
        lines += ["", "| Output | Value |", "| --- | --- |"]
        for key, value in sorted(masked(preview.outputs).items()):
            cell = _short(value).replace("|", "\\|")
            lines.append(f"| `{key}` | `{cell}` |")
    if preview.diagnostics:
        lines += ["", *[f"> {line}" for line in preview.diagnostics]]
    return "\n".join(lines) + "\n"
