"""The Secrets Store CSI driver with the AWS provider (ASCP) on an EKS cluster: how pods mount
Secrets Manager secrets with their own Pod Identity, with no static credential anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import HelmChart

ASCP_CHART = HelmChart(
    chart="secrets-store-csi-driver-provider-aws",
    version="3.1.1",
    repository="https://aws.github.io/secrets-store-csi-driver-provider-aws",
)
"""Chart 3.1.1 (aws/secrets-store-csi-driver-provider-aws, charts/.../Chart.yaml, app 3.1.1);
it installs the driver chart (kubernetes-sigs secrets-store-csi-driver ^1, 1.6.0 current) as a
dependency and requests tokens for the pods.eks.amazonaws.com audience Pod Identity needs."""
NAMESPACE = "kube-system"
ROTATION_POLL = "3600s"
"""How often mounted secrets are refreshed; each poll calls Secrets Manager once per mount
(the provider's README recommends an hour)."""


class SecretsStoreCsi(pulumi.ComponentResource):
    """The driver and provider, with syncing to Kubernetes Secrets (for charts that read a
    secret from `secretKeyRef`) and rotation on."""

    release: k8s.helm.v3.Release

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("plinth:gateway:SecretsStoreCsi", name, None, opts)
        self.release = k8s.helm.v3.Release(
            name,
            name="secrets-store-csi-aws",
            chart=ASCP_CHART.chart,
            version=ASCP_CHART.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ASCP_CHART.repository),
            namespace=NAMESPACE,
            create_namespace=False,
            values={
                "secrets-store-csi-driver": {
                    "install": True,
                    "syncSecret": {"enabled": True},
                    "enableSecretRotation": True,
                    "rotationPollInterval": ROTATION_POLL,
                }
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release": self.release.name})


SECRETS_API = "secrets-store.csi.x-k8s.io/v1"
SECRETS_MOUNT = "/mnt/secrets-store"


def secret_provider_class(
    resource_name: str,
    name: str,
    namespace: str,
    region: str,
    objects: Sequence[dict[str, Any]],
    *,
    opts: pulumi.ResourceOptions,
    sync_to: str | None = None,
) -> k8s.apiextensions.CustomResource:
    """A SecretProviderClass for the AWS provider with Pod Identity (the pod's own role reads
    the secrets); `sync_to` also mirrors the objects into a Kubernetes Secret (encrypted by the
    cluster's KMS key) while a pod mounts them, for environment variables from secretKeyRef."""
    spec: dict[str, Any] = {
        "provider": "aws",
        "parameters": {
            "region": region,
            "usePodIdentity": "true",
            "objects": pulumi.Output.json_dumps(list(objects)),
        },
    }
    if sync_to:
        spec["secretObjects"] = [
            {
                "secretName": sync_to,
                "type": "Opaque",
                "data": [{"objectName": alias, "key": alias} for alias in _aliases(objects)],
            }
        ]
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=SECRETS_API,
        kind="SecretProviderClass",
        metadata={"name": name, "namespace": namespace},
        spec=spec,
        opts=opts,
    )


def _aliases(objects: Sequence[dict[str, Any]]) -> list[str]:
    """The file names the objects mount as: each object's alias, or its jmesPath entries'."""
    return [
        alias
        for found in objects
        for alias in (
            [entry["objectAlias"] for entry in found["jmesPath"]]
            if "jmesPath" in found
            else [found["objectAlias"]]
        )
    ]


def csi_volume(name: str, provider_class: str) -> dict[str, Any]:
    """A pod volume that mounts a SecretProviderClass's secrets, read-only."""
    return {
        "name": name,
        "csi": {
            "driver": "secrets-store.csi.k8s.io",
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": provider_class},
        },
    }
