"""A previewed stack in the formats other scanners read.

`kubernetes`: every Kubernetes object the program registers, as the manifests `kubectl apply`
would send (apiVersion, kind and the object's fields), one YAML document each, for
kubeconform, checkov's and trivy's Kubernetes scanners. Helm releases are left out and
listed: their objects are rendered from the chart at install, which needs Helm and the chart.
Values known only after deployment are left out; secret values are replaced by a placeholder,
so an export never holds a credential the preview resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from plinth.engine.result import Preview, ResourceRecord
from plinth.engine.values import UNKNOWN, Secret

SECRET_PLACEHOLDER = "<secret>"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_KUBERNETES_TYPE = re.compile(r"kubernetes:(?P<group>[^/]+)/(?P<version>[^:]+):(?P<kind>.+)")


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


def _kubernetes_objects(preview: Preview) -> Iterator[tuple[ResourceRecord, str, str]]:
    """(record, apiVersion, kind) of every Kubernetes object the program registers."""
    for record in preview.resources:
        match = _KUBERNETES_TYPE.fullmatch(record.type)
        if not record.custom or record.read or match is None:
            continue
        group, version, kind = match.group("group"), match.group("version"), match.group("kind")
        yield record, version if group == "core" else f"{group}/{version}", kind


def kubernetes_manifests(preview: Preview) -> Export:
    export = Export()
    for record, api_version, kind in _kubernetes_objects(preview):
        if record.type == HELM_RELEASE:
            chart = exported_value(record.inputs.get("chart"))
            export.left_out.append(
                f"{record.name}: Helm release of chart {chart} (rendered from the chart at "
                "install)"
            )
            continue
        body = exported_value(record.inputs)
        export.documents.append({"apiVersion": api_version, "kind": kind, **body})
    return export
