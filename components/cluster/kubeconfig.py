"""Kubeconfigs for Plinth's clusters that hold no credential.

The Kubernetes provider stores its kubeconfig in the stack state, so both kinds fetch a
short-lived token at connect time through an exec plugin instead of embedding one. The
platform stack builds its providers with these, and so does a tenant stack from the
platform's outputs (endpoint, certificate, name).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import Cloud

# Hands the CoreWeave API token (also a CKS bearer token) to the provider from the
# environment, so the token never lands in the state file.
COREWEAVE_TOKEN_FROM_ENVIRONMENT = (
    'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
    '"status":{"token":"%s"}}\' "$COREWEAVE_API_TOKEN"'
)


def eks_kubeconfig(endpoint: str, certificate_authority: str, cluster: str, *, region: str) -> str:
    """A kubeconfig that gets tokens from `aws eks get-token` (AWS CLI v2) with the caller's
    AWS credentials; the cluster's access entries decide what they may do."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                cluster,
                "--region",
                region,
                "--output",
                "json",
            ],
            "interactiveMode": "Never",
        }
    }
    return _kubeconfig(
        cluster, {"server": endpoint, "certificate-authority-data": certificate_authority}, user
    )


def coreweave_kubeconfig(server: str, cluster: str) -> str:
    """A kubeconfig for a CKS cluster that reads COREWEAVE_API_TOKEN at connect time. The CKS
    API server presents a publicly trusted certificate: no CA data is needed."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh",
            "args": ["-c", COREWEAVE_TOKEN_FROM_ENVIRONMENT],
            "interactiveMode": "Never",
        }
    }
    return _kubeconfig(cluster, {"server": server}, user)


def cluster_provider(
    name: str,
    *,
    cloud: Cloud,
    endpoint: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    region: str | None = None,
    certificate_authority: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.Provider:
    """A Kubernetes provider for a Plinth cluster known by its endpoint and name (EKS: also
    its certificate authority data and region)."""
    if cloud == "aws":
        if certificate_authority is None or region is None:
            raise ValueError(f"{name}: an EKS cluster needs its certificate authority and region")
        eks_region = region
        kubeconfig = pulumi.Output.all(endpoint, certificate_authority, cluster_name).apply(
            lambda values: eks_kubeconfig(*values, region=eks_region)
        )
    else:
        kubeconfig = pulumi.Output.all(endpoint, cluster_name).apply(
            lambda values: coreweave_kubeconfig(*values)
        )
    return k8s.Provider(name, kubeconfig=kubeconfig, opts=opts)


def _kubeconfig(cluster: str, server: dict[str, str], user: dict[str, Any]) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": server}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
            "current-context": cluster,
            "users": [{"name": cluster, "user": user}],
        }
    )
