"""JSON Schema for whole stack files, so editors validate `Pulumi.<stack>.yaml` as you type."""

from __future__ import annotations

from typing import Any

from plinth.spec import NAMESPACE, PROJECTS_DIR
from plinth.spec.model import json_schema
from plinth.spec.tenants import TenantSpec


def stack_file_schema() -> dict[str, Any]:
    """Schema of a stack file: `plinth:<key>` entries follow the spec, other namespaces pass.

    Required keys are not enforced here: they may come from Pulumi.yaml's project config.
    """
    spec = json_schema()
    definitions = spec.pop("$defs", {})
    # A tenant entry may also name its file, which the loader reads in before validation.
    tenants = spec["properties"]["tenants"]
    tenants["items"] = {
        "anyOf": [
            {"type": "string", "description": f"A tenant file: {PROJECTS_DIR}/<name>.yaml"},
            tenants["items"],
        ]
    }
    # Pulumi reads an unqualified key in a stack file as the project's own: `owner` is
    # `plinth:owner`.
    properties = {}
    for key, value in spec.get("properties", {}).items():
        properties[f"{NAMESPACE}:{key}"] = value
        properties[key] = value
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Plinth stack configuration (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "patternProperties": {f"^(?!{NAMESPACE}:)[^:]+:.+$": {}},
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": definitions,
    }


def tenant_file_schema() -> dict[str, Any]:
    """Schema of a tenant file (`projects/<name>.yaml`)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Plinth tenant file (projects/<name>.yaml)",
        **TenantSpec.model_json_schema(by_alias=True),
    }
