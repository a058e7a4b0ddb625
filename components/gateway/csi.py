"""The Secrets Store CSI driver with the AWS provider (ASCP) on an EKS cluster: how pods mount
Secrets Manager secrets with their own Pod Identity, with no static credential anywhere."""

from __future__ import annotations

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
