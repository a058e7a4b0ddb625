"""Preview output: a terminal tree (table), JSON for tools, Markdown for pull requests."""

from __future__ import annotations

import json
from collections import Counter
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


def _components(preview: Preview, parent: str) -> list[ResourceRecord]:
    return [r for r in preview.children(parent) if not r.custom]


def to_table(preview: Preview) -> Group:
    """A tree by component, each listing its own resources as counts by type."""
    root = preview.root
    tree = Tree(f"[bold]{escape(_headline(preview))}[/bold]")
    if root is not None:
        _grow(tree, preview, root)
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


def _grow(branch: Tree, preview: Preview, component: ResourceRecord) -> None:
    label = f"[bold cyan]{escape(component.name)}[/] [dim]{escape(short_type(component.type))}[/]"
    node = branch.add(label)
    own = [r for r in preview.children(component.urn) if r.custom]
    for type_, count, protected, retained in _type_counts(own):
        marks = _markers(count, protected, retained)
        suffix = f" [magenta]{', '.join(marks)}[/]" if marks else ""
        node.add(f"{count} × {escape(short_type(type_))}{suffix}")
    for child in _components(preview, component.urn):
        _grow(node, preview, child)


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
    root = preview.root
    if root is not None:
        lines.extend(_markdown_tree(preview, root, depth=0))
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


def _markdown_tree(preview: Preview, component: ResourceRecord, depth: int) -> list[str]:
    own = [r for r in preview.children(component.urn) if r.custom]
    counts = ", ".join(
        f"{count} × `{short_type(type_)}`"
        + (f" ({', '.join(_markers(count, p, r))})" if p or r else "")
        for type_, count, p, r in _type_counts(own)
    )
    indent = "  " * depth
    line = f"{indent}- **{component.name}** `{component.type}`"
    lines = [line + (f": {counts}" if counts else "")]
    for child in _components(preview, component.urn):
        lines.extend(_markdown_tree(preview, child, depth + 1))
    return lines
