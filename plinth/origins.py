"""Which entry of the stack's files each Plinth component was built from.

The program (`infra/`, the only code that reads config) records, as it builds, that the
network came from `plinth:network` of `Pulumi.dev.yaml`, a GPU pool's NodePool from
`plinth:clusters[0].gpuPools[1]`, a tenant from `projects/search.yaml`. The offline engine
collects the records with the preview, so an audit finding on a resource (or on any resource
below it) can point at the file, line and key a user edits to fix it, not at an SDK argument.
Under the real engine nothing reads them: recording is a dictionary insert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

OriginKind = Literal[
    "network",
    "bucket",
    "cluster",
    "gpuPool",
    "bedrock",
    "guardrails",
    "gateway",
    "servedModel",
    "observability",
    "mlops",
    "tenant",
]
"""The kind of entry: a rule names, per kind, the key under the entry that fixes it."""


ENTRY_KEYS: dict[str, str] = {
    "network": "plinth:network",
    "bucket": "plinth:storage.buckets.<name>",
    "cluster": "plinth:clusters[<i>]",
    "gpuPool": "plinth:clusters[<i>].gpuPools[<j>]",
    "bedrock": "plinth:bedrock",
    "guardrails": "plinth:guardrails",
    "gateway": "plinth:gateway",
    "servedModel": "plinth:gateway.servedModels[<i>]",
    "observability": "plinth:observability",
    "mlops": "plinth:mlops",
    "tenant": "",
}
"""Each kind of entry as a pattern of keys; a tenant is a whole tenant file (or an inline
`plinth:tenants[<i>]` entry)."""


def key_pattern(kind: str, key: str) -> str:
    """A rule's fix key for a kind of entry, as a user finds it in the reference:
    `plinth:clusters[<i>].gpuPools[<j>].maxNodes`, `budget.monthlyUsd (tenant file)`."""
    if kind == "tenant":
        return f"{key} (tenant file)"
    entry = ENTRY_KEYS.get(kind, "")
    return f"{entry}.{key}" if entry else key


@dataclass(frozen=True)
class Origin:
    """An entry of a stack file or tenant file: `key` in the notation of the error messages
    (`plinth:clusters[0].gpuPools[1]`), empty for a tenant file's whole document."""

    kind: OriginKind
    file: str
    """Relative to the project directory: `Pulumi.dev.yaml`, `projects/search.yaml`."""
    key: str

    def child(self, kind: OriginKind, key: str) -> Origin:
        """An entry below this one (`gpuPools[1]` of a cluster), in the same file."""
        return Origin(kind, self.file, f"{self.key}.{key}" if self.key else key)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "file": self.file, "key": self.key}


class _Named(Protocol):
    @property
    def pulumi_resource_type(self) -> str: ...

    @property
    def pulumi_resource_name(self) -> str: ...


_recorded: dict[tuple[str, str], Origin] = {}


def record(resource: _Named, origin: Origin) -> None:
    """Note that `resource` (and what it parents) was built from `origin`."""
    _recorded[(resource.pulumi_resource_type, resource.pulumi_resource_name)] = origin


def take() -> dict[tuple[str, str], Origin]:
    """What the program recorded since the last call, by (type, name); starts afresh."""
    taken = dict(_recorded)
    _recorded.clear()
    return taken


def stack_file(stack: str) -> str:
    """The stack's settings file, as Pulumi names it."""
    return f"Pulumi.{stack}.yaml"


def stack_entry(kind: OriginKind, key: str) -> Origin:
    """An entry of the running stack's settings file."""
    import pulumi

    return Origin(kind, stack_file(pulumi.get_stack()), key)
