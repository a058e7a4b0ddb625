"""`plinth export --format kubernetes` on the dev preview: every Kubernetes object but the
Helm releases (listed instead), secrets masked (checkov parsing them: test_checkov.py)."""

from __future__ import annotations

import json

from plinth.engine import Preview
from plinth.export import HELM_RELEASE, SECRET_PLACEHOLDER, kubernetes_manifests


def test_every_object_but_the_releases_is_written(dev_preview: Preview) -> None:
    objects = [r for r in dev_preview.resources if r.type.startswith("kubernetes:") and r.custom]
    releases = [r for r in objects if r.type == HELM_RELEASE]
    export = kubernetes_manifests(dev_preview)
    assert len(export.documents) == len(objects) - len(releases)
    assert len(export.left_out) == len(releases)
    assert all("Helm release of chart" in line for line in export.left_out)
    kinds = {(d["apiVersion"], d["kind"]) for d in export.documents}
    assert ("v1", "Namespace") in kinds
    assert ("networking.k8s.io/v1", "NetworkPolicy") in kinds
    assert ("kueue.x-k8s.io/v1beta2", "ClusterQueue") in kinds


def test_secret_values_never_reach_the_export(dev_preview: Preview) -> None:
    export = kubernetes_manifests(dev_preview)
    (key,) = [
        d
        for d in export.documents
        if d["kind"] == "Secret"
        and d["metadata"]["name"] == "llm-gateway"
        and d["metadata"]["namespace"] == "search"
    ]
    # The team's key is a secret output: the whole value is masked.
    assert SECRET_PLACEHOLDER in json.dumps(key["stringData"])
    assert "sk-" not in export.yaml()
