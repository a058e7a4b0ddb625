"""The contract every GPU cluster meets, whichever cloud hosts it.

Later components (the GPU software layer, tenants) take a `GpuCluster` and never look at
the cloud behind it: they get a Kubernetes provider, the cluster's name, endpoint and
identity details, and the GPU pools with the labels and taints their nodes carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
POOL_LABEL = "plinth.dev/gpu-pool"
"""Every node of a GPU pool carries this label with the pool's name; Kueue flavors and
workloads select pools by it."""
POD_IDENTITY_AGENT = "169.254.170.23/32"
"""Where the EKS Pod Identity agent on each node serves pods their credentials (HTTP); pods'
egress NetworkPolicies must admit it."""

Cloud = Literal["aws", "coreweave"]


@dataclass(frozen=True)
class Taint:
    """A Kubernetes node taint (Kubernetes spelling of the effect)."""

    key: str
    value: str
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

    def toleration(self) -> dict[str, str]:
        """The toleration that lets a pod onto nodes with this taint."""
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


GPU_TAINT = Taint(GPU_TAINT_KEY, "true", "NoSchedule")
"""Keeps everything but GPU workloads off GPU nodes, so idle GPU nodes can scale away."""


@dataclass(frozen=True)
class TimeSlicing:
    """Each physical GPU is advertised `replicas` times (no memory isolation)."""

    replicas: int


@dataclass(frozen=True)
class Mig:
    """Each GPU is partitioned by the MIG manager with `profile` (single strategy: slices are
    still advertised as nvidia.com/gpu)."""

    profile: str

    @property
    def slices_per_gpu(self) -> int:
        """Slices of one GPU under an all-<N>g profile (7 compute slices per GPU)."""
        if not self.profile.startswith("all-") or "g." not in self.profile:
            return 1
        compute = int(self.profile.removeprefix("all-").split("g.")[0])
        return {1: 7, 2: 3, 3: 2, 4: 1, 7: 1}.get(compute, 1)


@dataclass(frozen=True)
class GpuNodePool:
    """One pool of identical-purpose GPU nodes, as workloads and quotas see it."""

    name: str
    gpu: str
    """GPU model, e.g. H100."""
    gpus_per_node: int
    min_nodes: int
    max_nodes: int
    labels: Mapping[str, str]
    """Labels every node of the pool carries (includes POOL_LABEL)."""
    taints: Sequence[Taint] = (GPU_TAINT,)
    sharing: TimeSlicing | Mig | None = None

    @property
    def gpus_per_node_advertised(self) -> int:
        """`nvidia.com/gpu` units one node offers after time-slicing or MIG."""
        if isinstance(self.sharing, TimeSlicing):
            return self.gpus_per_node * self.sharing.replicas
        if isinstance(self.sharing, Mig):
            return self.gpus_per_node * self.sharing.slices_per_gpu
        return self.gpus_per_node

    @property
    def max_gpus(self) -> int:
        """Physical GPUs at full scale: the cap the pool's limits enforce."""
        return self.max_nodes * self.gpus_per_node

    @property
    def max_schedulable_gpus(self) -> int:
        """`nvidia.com/gpu` units at full scale: the pool's Kueue quota."""
        return self.max_nodes * self.gpus_per_node_advertised


@dataclass(frozen=True)
class HelmChart:
    """A pinned Helm chart: repository URL (empty for an OCI chart reference) and version."""

    chart: str
    version: str
    repository: str = ""


@dataclass(frozen=True)
class NodeGpuSoftware:
    """What a cloud's GPU nodes bring, so the GPU layer installs only what is missing."""

    driver: bool
    """NVIDIA driver and container toolkit are on the node image."""
    device_plugin: bool
    """The cloud runs the device plugin itself; its configuration (time-slicing, MIG) is
    not exposed."""
    gpu_operator_managed_by_cloud: bool
    """The cloud runs the NVIDIA GPU Operator (and DCGM exporter) itself; installing another
    copy conflicts with it."""
    kueue: HelmChart
    """The Kueue chart suited to this cloud."""
    kueue_api_version: str
    """The Kueue API version that chart serves (kueue.x-k8s.io/v1beta1 or v1beta2)."""


@dataclass
class GpuClusterOutputs:
    """The values a GpuCluster hands to later components."""

    cloud: Cloud
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubernetes_version: str
    kubernetes_provider: k8s.Provider
    gpu_pools: tuple[GpuNodePool, ...]
    node_software: NodeGpuSoftware
    ready: list[pulumi.Resource] = field(default_factory=list)
    """Resources Kubernetes objects must wait for (node compute, core add-ons)."""
    certificate_authority: pulumi.Output[str] | None = None
    """The API server's CA bundle (base64), where it is not publicly trusted (EKS)."""
    service_cidr: pulumi.Output[str] | None = None
    """The Service CIDR: the kube-dns ClusterIP is in it."""
    node_local_dns: bool = False
    """DNS is served on each node rather than by kube-dns pods (EKS Auto Mode), so a
    NetworkPolicy must allow DNS by address instead of by pod selector."""
    pool_resources: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    """By pool name, the resource that sizes the pool (its node group or NodePool)."""


class GpuCluster(pulumi.ComponentResource):
    """Base of the cloud implementations: they fill `outputs` and register them."""

    outputs: GpuClusterOutputs

    def _register(self, outputs: GpuClusterOutputs) -> None:
        self.outputs = outputs
        self.register_outputs(
            {
                "cloud": outputs.cloud,
                "clusterName": outputs.cluster_name,
                "endpoint": outputs.endpoint,
                "oidcIssuerUrl": outputs.oidc_issuer_url,
                "kubernetesVersion": outputs.kubernetes_version,
                "gpuPools": [pool.name for pool in outputs.gpu_pools],
            }
        )


def pool_labels(pool_name: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The node labels of a pool: the user's labels plus the pool label."""
    return {**extra, POOL_LABEL: pool_name}
