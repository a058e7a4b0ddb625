"""Where a finding is fixed: the stack-file or tenant-file key a user of a Plinth stack edits.

A rule names, per kind of entry (plinth.origins), the key under the entry that decides what it
checks (`cost-gpu-node-cap` on a GPU pool: `maxNodes`), or one key of the stack file for any
resource (`protection-stateful-resources`: `plinth:protect`). The finding's resource, or its
nearest ancestor, was recorded as built from an entry (`plinth:clusters[0].gpuPools[1]`), so the
key is `plinth:clusters[0].gpuPools[1].maxNodes`, found in the file by its line; a key the file
leaves at its default points at the line of the nearest entry above it, to add it there.
Programs that are not Plinth's record no entries and get no fix: their findings name SDK
arguments, in the rule's remediation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from plinth.engine import Preview
from plinth.origins import stack_file
from policies.rule import ANY_ENTRY, Rule


@dataclass(frozen=True)
class Fix:
    """A key in a file of the project, and the line to look at."""

    key: str
    file: str
    """Relative to the project directory."""
    line: int | None
    """Of the key, or of the nearest entry above it when the file leaves the key out; None
    when neither is in the file (the value comes from `--config` or the environment)."""
    present: bool
    decides: bool
    """The key decides what the rule checks; else it is just the entry the resource came from."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def text(self) -> str:
        if not self.decides:
            return f"built from `{self.key}` ({self.where})"
        if self.present:
            return f"edit `{self.key}` ({self.where})"
        return f"set `{self.key}` in {self.file}" + (
            f" (under line {self.line})" if self.line else ""
        )

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "file": self.file,
            "line": self.line,
            "present": self.present,
            "decides": self.decides,
        }


class FixFinder:
    """Finds fixes for the findings of one audit, reading each file of the project once."""

    def __init__(self, preview: Preview, project_root: Path, config_file: Path | None) -> None:
        """`config_file`: the file given with `--config`, which stands for the stack file."""
        self._preview = preview
        self._root = project_root
        self._documents: dict[str, yaml.Node | None] = {}
        self._stack_file = stack_file(preview.stack)
        self._config_file = config_file

    def fix_for(self, rule: Rule | None, urn: str) -> Fix | None:
        """The key to edit for `rule`'s finding on `urn`, when the program is Plinth's."""
        if not self._preview.origins:
            return None
        origin = self._preview.origin_of(urn)
        keys: Mapping[str, str] = rule.fix if rule else {}
        if origin is not None and origin.kind in keys:
            return self._locate(origin.file, _join(origin.key, keys[origin.kind]), True)
        if ANY_ENTRY in keys:
            return self._locate(self._stack_file, keys[ANY_ENTRY], True)
        if origin is not None:
            return self._locate(origin.file, origin.key, False)
        return None

    def _locate(self, file: str, key: str, decides: bool) -> Fix:
        node = self._document(file)
        line = None
        in_stack_file = key.startswith("plinth:")
        if node is not None and in_stack_file:
            config = _child(node, "config")
            node, line = config if config else (None, None)
        present = node is not None
        for segment in _segments(key):
            found = _child(node, segment) if node is not None else None
            if found is None:
                present = False
                break
            node, line = found
        return Fix(key=key, file=self._shown(file), line=line, present=present, decides=decides)

    def _path(self, file: str) -> Path:
        if file == self._stack_file and self._config_file is not None:
            return self._config_file
        return self._root / file

    def _shown(self, file: str) -> str:
        path = self._path(file).resolve()
        root = self._root.resolve()
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    def _document(self, file: str) -> yaml.Node | None:
        """The file's YAML node tree (with line marks); None when it cannot be read."""
        if file not in self._documents:
            try:
                text = self._path(file).read_text(encoding="utf-8")
                self._documents[file] = yaml.compose(text)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                self._documents[file] = None
        return self._documents[file]


def _join(entry: str, key: str) -> str:
    return f"{entry}.{key}" if entry else key


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _segments(key: str) -> Iterator[str | int]:
    """`plinth:clusters[0].gpuPools[1].maxNodes` -> plinth:clusters, 0, gpuPools, 1, maxNodes."""
    for name, index in _SEGMENT.findall(key):
        yield int(index) if index else name


def _child(node: yaml.Node, segment: str | int) -> tuple[yaml.Node, int] | None:
    """A mapping's value at key `segment`, or a sequence's item, with the line a user reads
    for it (a key's own line: a block mapping's value starts on the line below)."""
    if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                return value, key.start_mark.line + 1
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(segment, int)
        and segment < len(node.value)
    ):
        item = node.value[segment]
        return item, item.start_mark.line + 1
    return None
