"""`plinth export --format kubernetes` on the dev preview: every Kubernetes object but the
Helm releases (listed instead), secrets masked (checkov parsing them: test_checkov.py)."""

from __future__ import annotations

import json
from typing import Any

from plinth.engine import Preview
from plinth.export import HELM_RELEASE, SECRET_PLACEHOLDER, kubernetes_manifests, terraform_plan


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


def test_the_plan_maps_every_aws_type_of_the_stack(dev_preview: Preview) -> None:
    plan, unmapped = terraform_plan(dev_preview)
    assert unmapped == []
    aws = [r for r in dev_preview.resources if r.type.startswith("aws:") and r.custom]
    assert len(plan["planned_values"]["root_module"]["resources"]) == len(aws)
    assert len(plan["resource_changes"]) == len(aws)


def test_the_plan_writes_terraform_names_and_blocks(dev_preview: Preview) -> None:
    plan, _ = terraform_plan(dev_preview)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in plan["planned_values"]["root_module"]["resources"]:
        by_type.setdefault(resource["type"], []).append(resource["values"])
    # Pulumi's `rules` (a list) is Terraform's `rule` block; its one default is a list of one.
    encryption = by_type["aws_s3_bucket_server_side_encryption_configuration"][0]
    (rule,) = encryption["rule"]
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    # Map values keep their keys (tags are not renamed).
    key = by_type["aws_kms_key"][0]
    assert key["enable_key_rotation"] is True
    assert "data-classification" in key["tags"]


def test_inputs_from_other_resources_are_references(dev_preview: Preview) -> None:
    plan, _ = terraform_plan(dev_preview)
    blocks = [
        r
        for r in plan["configuration"]["root_module"]["resources"]
        if r["type"] == "aws_s3_bucket_public_access_block"
    ]
    assert blocks
    for block in blocks:
        (bucket,) = [
            ref
            for ref in block["expressions"]["bucket"]["references"]
            if "." in ref and not ref.endswith(".id")
        ]
        assert bucket.startswith("aws_s3_bucket.")
