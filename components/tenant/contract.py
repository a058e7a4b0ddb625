"""What the tenant components share: personas, names, labels and the cluster a tenant runs on.

A tenant is one AI project: its people (personas), its namespace on each cluster it uses, its
workload identity, its data and its budget. The pieces live in sibling modules (identity,
kubernetes, data, budget) and `Tenant` composes them; this module holds the vocabulary they
agree on, so none imports another's internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import Cloud

Persona = Literal["admin", "developer", "viewer"]
PERSONAS: tuple[Persona, ...] = ("admin", "developer", "viewer")
"""Per-tenant personas, most to least privileged."""

TENANT_LABEL = "plinth.dev/tenant"
"""Label on every tenant namespace (value: the tenant name). The policy pack finds tenant
namespaces by it."""
GATEWAY_LABEL = "plinth.dev/gateway"
"""Label (value "true") on the namespaces of the platform gateway, the one way traffic enters
and leaves tenant namespaces besides DNS and the cloud's APIs."""
PERSONA_GROUP_PREFIX = "plinth"
WORKLOAD_SERVICE_ACCOUNT = "workload"
"""The service account in the tenant namespace that carries the tenant's workload identity."""
PLATFORM_REFERENCE = "platform"
"""The StackReference through which a tenant stack reads its platform stack's outputs; the
policy pack recognises a tenant stack by it."""
LOCAL_QUEUE = "gpu"
"""The Kueue LocalQueue in each tenant namespace (`kueue.x-k8s.io/queue-name: gpu`)."""


def persona_group(tenant: str, persona: Persona) -> str:
    """The Kubernetes group a persona's members are in: EKS access entries put the persona's
    IAM role in it, and the namespace's RoleBindings bind it."""
    return f"{PERSONA_GROUP_PREFIX}:{tenant}:{persona}"


def tenant_cluster_queue(tenant: str) -> str:
    """The tenant's Kueue ClusterQueue (cluster-scoped, so named after the tenant)."""
    return f"plinth-{tenant}"


@dataclass(frozen=True)
class PersonaMembers:
    """Who holds a persona.

    `iam_principals` (role or user ARNs) may assume the persona's IAM role; `sso_groups` are IAM
    Identity Center groups (display names) given a permission set that may assume it;
    `kubernetes_groups` are groups as the cluster's own authenticator presents them
    (CoreWeave), bound directly by the namespace's RoleBindings.
    """

    iam_principals: Sequence[str] = ()
    sso_groups: Sequence[str] = ()
    kubernetes_groups: Sequence[str] = ()


@dataclass(frozen=True)
class TenantCluster:
    """A cluster a tenant runs on, as this stack or a StackReference describes it.

    `gpu_flavors` maps each GPU pool to its Kueue ResourceFlavor; `oidc_provider_arn` is the
    IAM OIDC provider that trusts the cluster's service-account tokens (CoreWeave, where EKS
    Pod Identity does not exist; None on EKS).
    """

    key: str
    """The cluster's name in the platform spec (`clusters[].name`)."""
    cloud: Cloud
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    gpu_flavors: Mapping[str, str]
    cohort: str
    kueue_api_version: str
    """The Kueue API the cluster serves (`kueue.x-k8s.io/v1beta1` or `v1beta2`)."""
    oidc_issuer_url: pulumi.Input[str] = ""
    oidc_provider_arn: pulumi.Input[str] | None = None
    ready: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources Kubernetes objects must wait for (the GPU layer's queues)."""
    dns_cidrs: Sequence[pulumi.Input[str]] = ()
    """Where pods' DNS queries go when the cluster has no kube-dns pods to select (EKS Auto
    Mode runs CoreDNS on each node): the Service CIDR holding the DNS ClusterIP and the node
    network. Empty where kube-dns pods in kube-system answer."""
