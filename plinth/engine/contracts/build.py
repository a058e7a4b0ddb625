"""Writes `aws_models.json`: the constraints of every operation `aws_table.yaml` names, taken
from the AWS API models botocore ships, in a compact form the engine loads in milliseconds
(botocore's own loader takes half a second for these services).

    python -m plinth.engine.contracts.build      # after changing the table or botocore

A test regenerates it in memory and compares, so it never drifts from either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plinth.engine.contracts.aws_table import (
    Table,
    load_table,
    member_paths,
    split_member_path,
)

MODELS_FILE = Path(__file__).with_name("aws_models.json")

Shape = dict[str, Any]


def _compact(shape: Any) -> Shape:
    """One botocore shape as the engine needs it."""
    entry: Shape = {"type": shape.type_name}
    for key in ("min", "max", "pattern"):
        if key in shape.metadata:
            entry[key] = shape.metadata[key]
    if getattr(shape, "enum", None):
        entry["enum"] = list(shape.enum)
    if shape.type_name == "structure":
        entry["members"] = {name: member.name for name, member in shape.members.items()}
        if shape.required_members:
            entry["required"] = list(shape.required_members)
    elif shape.type_name == "list":
        entry["member"] = shape.member.name
    elif shape.type_name == "map":
        entry["key"] = shape.key.name
        entry["value"] = shape.value.name
    return entry


def _reachable(root: Any) -> dict[str, Shape]:
    """Every shape reachable from `root`, by name."""
    found: dict[str, Shape] = {}
    pending = [root]
    while pending:
        shape = pending.pop()
        if shape.name in found:
            continue
        found[shape.name] = _compact(shape)
        if shape.type_name == "structure":
            pending.extend(shape.members.values())
        elif shape.type_name == "list":
            pending.append(shape.member)
        elif shape.type_name == "map":
            pending.extend((shape.key, shape.value))
    return found


def _operations(table: Table) -> dict[str, set[str]]:
    """Operations by service: each type's own, and those its member paths name."""
    used: dict[str, set[str]] = {}
    for mapping in table.types.values():
        operations = used.setdefault(mapping.service, set())
        operations.add(mapping.operation)
        for path in member_paths(mapping.properties):
            operations.add(split_member_path(mapping.operation, path)[0])
    return used


def build(table: Table | None = None) -> dict[str, Any]:
    """The compact models document for `table` (the shipped one by default)."""
    import botocore
    import botocore.session

    table = table or load_table()
    session = botocore.session.get_session()
    services: dict[str, Any] = {}
    for service, operations in sorted(_operations(table).items()):
        model = session.get_service_model(service)
        shapes: dict[str, Shape] = {}
        inputs: dict[str, str] = {}
        for operation in sorted(operations):
            input_shape = model.operation_model(operation).input_shape
            inputs[operation] = input_shape.name
            shapes.update(_reachable(input_shape))
        services[service] = {
            "apiVersion": model.api_version,
            "operations": inputs,
            "shapes": dict(sorted(shapes.items())),
        }
    return {"botocore": botocore.__version__, "services": services}


def main() -> None:
    document = build()
    MODELS_FILE.write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
    count = sum(len(s["shapes"]) for s in document["services"].values())
    print(f"wrote {MODELS_FILE} ({len(document['services'])} services, {count} shapes)")


if __name__ == "__main__":
    main()
