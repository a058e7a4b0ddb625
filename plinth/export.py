"""A previewed stack in the formats other scanners read.

`terraform-plan`: the AWS resources as Terraform plan JSON (`terraform show -json` of a plan
that creates them), which checkov's and trivy's Terraform-plan scanners read: each Pulumi type
mapped to its Terraform resource type, inputs under their Terraform attribute names (snake
case, with the provider's renames), the blocks Pulumi flattens to one object written back as
lists of one, and each input computed from another resource written in the plan's
configuration as a reference to it, so scanners link companions (a bucket and its public
access block, a key and what it encrypts). Types with no mapping are listed, not guessed.

`kubernetes`: every Kubernetes object the program registers, as the manifests `kubectl apply`
would send (apiVersion, kind and the object's fields), one YAML document each, for
kubeconform, checkov's and trivy's Kubernetes scanners. Helm releases are left out and
listed: their objects are rendered from the chart at install, which needs Helm and the chart.
Values known only after deployment are left out; secret values are replaced by a placeholder,
so an export never holds a credential the preview resolved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from plinth.engine.contracts.kubernetes import kubernetes_type
from plinth.engine.result import Preview, ResourceRecord
from plinth.engine.values import UNKNOWN, Secret

SECRET_PLACEHOLDER = "<secret>"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass
class Export:
    """What an export wrote, and what it left out with the reason."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def yaml(self) -> str:
        return yaml.safe_dump_all(self.documents, sort_keys=False, default_flow_style=False)


def exported_value(value: Any) -> Any:
    """A captured value as an export writes it: unknowns dropped, secrets masked."""
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: exported_value(v) for k, v in value.items() if v is not UNKNOWN}
    if isinstance(value, list):
        return [exported_value(v) for v in value if v is not UNKNOWN]
    return value


def kubernetes_manifests(preview: Preview) -> Export:
    export = Export()
    for record in preview.resources:
        found = kubernetes_type(record.type)
        if not record.custom or record.read or found is None:
            continue
        if record.type == HELM_RELEASE:
            chart = exported_value(record.inputs.get("chart"))
            export.left_out.append(
                f"{record.name}: Helm release of chart {chart} (rendered from the chart at install)"
            )
            continue
        body = exported_value(record.inputs)
        export.documents.append({"apiVersion": found.api_version, "kind": found.kind, **body})
    return export


TERRAFORM_TYPES = Path(__file__).with_name("terraform_types.json")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
PLAN_FORMAT = "1.2"
TERRAFORM_VERSION = "1.9.8"
"""What the plan says produced it: checkov and trivy read format 1.x plans."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_-]")


@cache
def terraform_types() -> Mapping[str, Any]:
    types: Mapping[str, Any] = json.loads(TERRAFORM_TYPES.read_text())["resources"]
    return types


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _address_name(record: ResourceRecord) -> str:
    """A Terraform resource name for the Pulumi resource: its name, made an identifier."""
    name = _IDENTIFIER.sub("_", record.name)
    return name if re.match(r"[A-Za-z_]", name) else f"r_{name}"


@dataclass(frozen=True)
class _Mapping:
    terraform: str
    renamed: Mapping[str, str]
    blocks: frozenset[str]
    """Dotted Pulumi paths Terraform holds as a list of one block."""


def _mapping(token: str) -> _Mapping | None:
    found = terraform_types().get(token)
    if not found or not found.get("terraform"):
        return None
    return _Mapping(
        found["terraform"],
        found.get("renamed", {}),
        frozenset(found.get("maxItemsOne", ())),
    )


def _attribute(mapping: _Mapping, path: str, name: str) -> str:
    return mapping.renamed.get(path, snake(name))


def _terraform_value(value: Any, mapping: _Mapping, path: str) -> Any:
    """An exported value (exported_value: no unknowns, secrets masked) with Terraform's
    attribute names and block shapes. Map values (tags, variables) keep their keys: only
    camelCase identifiers are renamed."""
    if isinstance(value, list):
        return [_terraform_value(v, mapping, path) for v in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, Any] = {}
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        name = _attribute(mapping, child, key) if re.fullmatch(r"[a-z][A-Za-z0-9]*", key) else key
        converted[name] = _terraform_value(item, mapping, child)
        if child in mapping.blocks and isinstance(converted[name], dict):
            converted[name] = [converted[name]]
    return converted


@dataclass(frozen=True)
class _Planned:
    record: ResourceRecord
    mapping: _Mapping
    address: str
    values: dict[str, Any]


def terraform_plan(preview: Preview) -> tuple[dict[str, Any], list[str]]:
    """The plan JSON, and the AWS types left out (no mapping)."""
    planned: list[_Planned] = []
    unmapped: set[str] = set()
    used: set[str] = set()
    for record in preview.resources:
        if not record.custom or record.read or not record.type.startswith("aws:"):
            continue
        mapping = _mapping(record.type)
        if mapping is None:
            unmapped.add(record.type)
            continue
        name = _address_name(record)
        address = f"{mapping.terraform}.{name}"
        while address in used:
            name += "_"
            address = f"{mapping.terraform}.{name}"
        used.add(address)
        values = _terraform_value(exported_value(record.inputs), mapping, "")
        planned.append(_Planned(record, mapping, address, values))
    addresses = {p.record.urn: p.address for p in planned}
    resources, changes, configured = [], [], []
    for item in planned:
        kind, name = item.address.split(".", 1)
        common = {"address": item.address, "mode": "managed", "type": kind, "name": name}
        common["provider_name"] = AWS_PROVIDER
        resources.append({**common, "schema_version": 0, "values": item.values})
        changes.append(
            {
                **common,
                "change": {"actions": ["create"], "before": None, "after": item.values},
            }
        )
        expressions: dict[str, Any] = {}
        for key, urns in item.record.property_dependencies.items():
            targets = [addresses[u] for u in urns if u in addresses]
            if targets:
                attribute = _attribute(item.mapping, key, key)
                references = [ref for t in targets for ref in (f"{t}.id", t)]
                expressions[attribute] = {"references": references}
        configured.append(
            {
                "address": item.address,
                "mode": "managed",
                "type": kind,
                "name": name,
                "provider_config_key": "aws",
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    plan = {
        "format_version": PLAN_FORMAT,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": AWS_PROVIDER}},
            "root_module": {"resources": configured},
        },
    }
    return plan, sorted(unmapped)
