"""A preview saved to a file, reused like a saved plan: `plinth preview --out FILE`, then
`plinth audit --from FILE` or `plinth diff --from FILE`; the preview cache stores the same.

The file keeps everything a later step needs, secrets included (marked, as the engine holds
them): keep saved previews where the stack's secrets may be.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from plinth.engine.errors import ProjectError
from plinth.engine.result import Preview, ResourceRecord
from plinth.engine.values import UNKNOWN, Secret
from plinth.origins import Origin

FORMAT = "plinth-preview/2"
_SECRET = "plinth:secret"
_UNKNOWN = "plinth:unknown"


def _encode(value: Any) -> Any:
    if isinstance(value, Secret):
        return {_SECRET: _encode(value.value)}
    if value is UNKNOWN:
        return {_UNKNOWN: True}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_SECRET}:
            return Secret(_decode(value[_SECRET]))
        if set(value) == {_UNKNOWN}:
            return UNKNOWN
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def dump(preview: Preview) -> dict[str, Any]:
    """The preview as a JSON document, losing nothing."""
    return {
        "format": FORMAT,
        "project": preview.project,
        "stack": preview.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "parent": r.parent,
                "provider": r.provider,
                "inputs": _encode(r.inputs),
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "dependsOn": list(r.depends_on),
                "ignoreChanges": list(r.ignore_changes),
                "id": r.id,
                "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                "read": r.read,
            }
            for r in preview.resources
        ],
        "outputs": _encode(preview.outputs),
        "diagnostics": list(preview.diagnostics),
        "origins": {urn: origin.to_json() for urn, origin in preview.origins.items()},
    }


def load(document: Any) -> Preview:
    """A preview from `dump`'s document; ValueError when it is not one."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not a saved preview (format {FORMAT!r})")
    try:
        return Preview(
            project=str(document["project"]),
            stack=str(document["stack"]),
            resources=[
                ResourceRecord(
                    urn=r["urn"],
                    type=r["type"],
                    name=r["name"],
                    custom=bool(r["custom"]),
                    parent=r["parent"],
                    provider=r["provider"],
                    inputs=_decode(r["inputs"]),
                    protect=bool(r["protect"]),
                    retain_on_delete=bool(r["retainOnDelete"]),
                    depends_on=tuple(r["dependsOn"]),
                    ignore_changes=tuple(r["ignoreChanges"]),
                    id=r["id"],
                    property_dependencies={
                        k: tuple(v) for k, v in r["propertyDependencies"].items()
                    },
                    read=bool(r["read"]),
                )
                for r in document["resources"]
            ],
            outputs=_decode(document["outputs"]),
            diagnostics=list(document["diagnostics"]),
            origins={
                urn: Origin(kind=o["kind"], file=o["file"], key=o["key"])
                for urn, o in document["origins"].items()
            },
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"a saved preview with a missing or malformed field ({error})") from None


def write(preview: Preview, path: Path) -> None:
    """Save atomically: a reader (another process sharing the cache) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(dump(preview), file, separators=(",", ":"))
    os.replace(temporary, path)


def read(path: Path) -> Preview:
    """A saved preview file (`--from FILE`); ProjectError saying what is wrong with it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProjectError(f"saved preview {str(path)!r}: {error.strerror}") from None
    except ValueError as error:
        raise ProjectError(f"saved preview {str(path)!r}: not valid JSON ({error})") from None
    try:
        return load(document)
    except ValueError as error:
        raise ProjectError(
            f"saved preview {str(path)!r}: {error}; write one with `plinth preview --out FILE`"
        ) from None
