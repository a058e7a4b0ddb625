"""What an offline preview captured: every resource registration and the stack outputs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from plinth.engine.values import masked, reveal
from plinth.origins import Origin

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class ResourceRecord:
    """One registered resource, as the engine received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    depends_on: tuple[str, ...]
    ignore_changes: tuple[str, ...]
    id: str = ""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each input, the URNs of the resources whose outputs it was computed from."""
    read: bool = False
    """Read from the cloud (`Resource.get`, a stack reference): the program creates nothing."""

    @property
    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with secrets revealed: what a policy pack sees in a real preview."""
        result: dict[str, Any] = reveal(self.inputs)
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": masked(self.inputs),
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "dependsOn": list(self.depends_on),
            "ignoreChanges": list(self.ignore_changes),
        }


@dataclass
class Preview:
    """The result of running a program under the offline engine."""

    project: str
    stack: str
    resources: list[ResourceRecord] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[str] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)
    """By URN, the stack- or tenant-file entry a Plinth component was built from."""

    def origin_of(self, urn: str) -> Origin | None:
        """The entry `urn` or its nearest ancestor with one was built from."""
        parents = {r.urn: r.parent for r in self.resources}
        seen = set()
        while urn and urn not in seen:
            if urn in self.origins:
                return self.origins[urn]
            seen.add(urn)
            urn = parents.get(urn, "")
        return None

    def by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(r.type for r in self.resources).items()))

    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    @property
    def root(self) -> ResourceRecord | None:
        return next((r for r in self.resources if r.type == STACK_TYPE), None)

    def as_stack_outputs(self, organization: str = "organization") -> dict[str, Any]:
        """These outputs as a `--stack-outputs` file for stacks referencing this one. The
        offline engine's secrets are placeholders, so they are written as they are.
        "organization" is what self-managed backends call every stack's organization."""
        return {f"{organization}/{self.project}/{self.stack}": reveal(self.outputs)}

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [record.to_json() for record in self.resources],
            "outputs": masked(self.outputs),
            "summary": {"total": len(self.resources), "byType": self.by_type()},
            "diagnostics": list(self.diagnostics),
        }
