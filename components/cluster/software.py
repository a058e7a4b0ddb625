"""The cloud-agnostic GPU layer every Plinth cluster runs on top of its GpuCluster contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.cluster.contract import (
    GPU_RESOURCE,
    POOL_LABEL,
    GpuClusterOutputs,
    GpuNodePool,
    Mig,
    Taint,
    TimeSlicing,
)

GPU_OPERATOR_NAMESPACE = "gpu-operator"
GPU_OPERATOR_CHART = "gpu-operator"
# Confirmed: NVIDIA/gpu-operator tag v25.10.1 and its gh-pages stable/index.yaml entry.
GPU_OPERATOR_VERSION = "v25.10.1"
GPU_OPERATOR_REPOSITORY = "https://helm.ngc.nvidia.com/nvidia"
DEVICE_PLUGIN_CONFIG = "plinth-device-plugin-config"
DEFAULT_DEVICE_PLUGIN_CONFIG = "default"
"""The device-plugin configuration of nodes without a sharing label: whole GPUs."""
DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
MIG_CONFIG_LABEL = "nvidia.com/mig.config"

KUEUE_NAMESPACE = "kueue-system"
CLUSTER_QUEUE = "plinth-gpu"
COHORT = "plinth"
ANY_FLAVOR = "plinth-any"
"""The ResourceFlavor that covers CPU and memory, wherever they run."""

# Kueue v1beta2 renamed the ClusterQueue's `cohort` field; nothing else Plinth sets changed.
_COHORT_FIELD = {"kueue.x-k8s.io/v1beta1": "cohort", "kueue.x-k8s.io/v1beta2": "cohortName"}


def kueue_cohort_field(api_version: str) -> str:
    """The ClusterQueue field that names its cohort in Kueue API `api_version`."""
    if api_version not in _COHORT_FIELD:
        raise ValueError(
            f"unsupported Kueue API version {api_version!r} (supported: {', '.join(_COHORT_FIELD)})"
        )
    return _COHORT_FIELD[api_version]


# Charts that wrap the upstream Kueue chart as a subchart, with the key its values live under.
_KUEUE_SUBCHART_KEY = {"cks-kueue": "kueue"}

# Cluster add-ons may run on a node pool reserved for them (EKS Auto Mode's built-in `system`
# pool carries this taint), but never on GPU nodes: idle GPU nodes must be able to scale away.
SYSTEM_TOLERATIONS: tuple[dict[str, str], ...] = (
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
)


@dataclass(frozen=True)
class _Priority:
    value: int
    preemption_policy: str
    description: str


_PRIORITIES = {
    "plinth-inference": _Priority(
        100000,
        "PreemptLowerPriority",
        "Online inference: serves users, so it may preempt training and batch pods.",
    ),
    "plinth-training": _Priority(
        10000,
        "PreemptLowerPriority",
        "Training jobs: may preempt batch pods; yields to inference.",
    ),
    "plinth-batch": _Priority(
        1000,
        "Never",
        "Batch and experiments: fills idle capacity, waits instead of preempting anything.",
    ),
}
PRIORITY_CLASSES: dict[str, int] = {name: p.value for name, p in _PRIORITIES.items()}
"""PriorityClass names and values, highest first; workloads set priorityClassName to one."""


def sharing_node_labels(pool: GpuNodePool) -> dict[str, str]:
    """The node labels that select a pool's GPU sharing: its device-plugin configuration for
    time-slicing, its MIG layout for MIG; none for whole GPUs. Cluster implementations put
    them on the pool's nodes."""
    if isinstance(pool.sharing, TimeSlicing):
        return {DEVICE_PLUGIN_CONFIG_LABEL: pool.name}
    if isinstance(pool.sharing, Mig):
        return {MIG_CONFIG_LABEL: pool.sharing.profile}
    return {}


@dataclass(frozen=True)
class GpuSoftwareArgs:
    """Inputs of GpuSoftware: the cluster it installs on."""

    cluster: GpuClusterOutputs


class GpuSoftware(pulumi.ComponentResource):
    """The Kubernetes GPU layer of a cluster, installed through its Kubernetes provider:

    - the NVIDIA GPU Operator (v25.10.1), unless the cloud runs it already. It installs only
      what the nodes lack: no driver or container toolkit where the node image has them, no
      device plugin where the cloud runs one. It always runs the DCGM exporter (GPU metrics,
      without a ServiceMonitor: no Prometheus Operator is assumed), and the MIG manager when
      a pool uses MIG with our device plugin. Time-slicing pools get their device-plugin
      configuration from a ConfigMap, selected per node by `sharing_node_labels`;
    - PriorityClasses for inference, training and batch (`PRIORITY_CLASSES`);
    - Kueue from the chart the cloud names, with one ResourceFlavor per GPU pool (the pool's
      tolerations ride on it, so jobs need not spell them out), a `plinth-any` flavor for CPU
      and memory, and the `plinth-gpu` ClusterQueue in cohort `plinth`: every pool's full
      GPU capacity as nominal quota, lent to the cohort. It selects no namespace (Kueue reads
      a null selector as none), so nothing is admitted to it directly, not even through a
      LocalQueue pointing at it: each tenant's own ClusterQueue borrows from it, up to that
      tenant's share.

    Controllers (GPU Operator, NFD master and GC, Kueue) never tolerate GPU taints; the
    per-node DaemonSets tolerate exactly the taints the pools carry.
    """

    gpu_operator: k8s.helm.v3.Release | None
    kueue: k8s.helm.v3.Release
    cluster_queue: k8s.apiextensions.CustomResource
    cluster_queue_name: str
    priority_classes: dict[str, k8s.scheduling.v1.PriorityClass]
    flavor_names: dict[str, str]
    """Kueue ResourceFlavor name by GPU pool name."""

    def __init__(
        self, name: str, args: GpuSoftwareArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:cluster:GpuSoftware", name, None, opts)
        cluster = args.cluster
        self._name = name
        self._provider = cluster.kubernetes_provider
        self._ready = list(cluster.ready)

        self.priority_classes = {
            class_name: k8s.scheduling.v1.PriorityClass(
                f"{name}-priority-{class_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=class_name),
                value=priority.value,
                preemption_policy=priority.preemption_policy,
                global_default=False,
                description=priority.description,
                opts=self._opts(first=True),
            )
            for class_name, priority in _PRIORITIES.items()
        }
        self.gpu_operator = (
            None
            if cluster.node_software.gpu_operator_managed_by_cloud
            else self._gpu_operator(cluster)
        )
        self.kueue = self._kueue(cluster)
        self.flavor_names = {pool.name: f"gpu-{pool.name}" for pool in cluster.gpu_pools}
        self.cluster_queue_name = CLUSTER_QUEUE
        self.cluster_queue = self._queues(cluster)
        self.register_outputs(
            {
                "clusterQueueName": self.cluster_queue_name,
                "flavorNames": self.flavor_names,
                "priorityClasses": list(PRIORITY_CLASSES),
                "gpuOperatorInstalled": self.gpu_operator is not None,
            }
        )

    def _opts(
        self, *, first: bool = False, depends_on: Iterable[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        # Objects with no other dependency wait for the cluster's nodes and core add-ons.
        after = [*self._ready, *depends_on] if first else list(depends_on)
        return pulumi.ResourceOptions(parent=self, provider=self._provider, depends_on=after)

    def _namespace(
        self, suffix: str, namespace: str, labels: Mapping[str, str]
    ) -> pulumi.Output[str]:
        created = k8s.core.v1.Namespace(
            f"{self._name}-{suffix}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=dict(labels) or None),
            opts=self._opts(first=True),
        )
        return created.metadata.name

    def _gpu_operator(self, cluster: GpuClusterOutputs) -> k8s.helm.v3.Release:
        software = cluster.node_software
        pools = cluster.gpu_pools
        # The operator's DaemonSets mount host paths and run privileged, which the Pod Security
        # Admission `restricted` or `baseline` levels a cluster may default to would reject.
        namespace = self._namespace(
            "gpu-operator-ns",
            GPU_OPERATOR_NAMESPACE,
            {
                f"pod-security.kubernetes.io/{mode}": "privileged"
                for mode in ("enforce", "audit", "warn")
            },
        )
        own_device_plugin = not software.device_plugin
        mig_manager = own_device_plugin and any(isinstance(p.sharing, Mig) for p in pools)
        replicas = {p.name: p.sharing.replicas for p in pools if isinstance(p.sharing, TimeSlicing)}
        node_agents = pool_tolerations(pools)

        device_plugin: dict[str, Any] = {"enabled": own_device_plugin}
        if own_device_plugin and replicas:
            config = k8s.core.v1.ConfigMap(
                f"{self._name}-device-plugin-config",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=DEVICE_PLUGIN_CONFIG, namespace=namespace),
                data=_device_plugin_configs(replicas),
                opts=self._opts(),
            )
            device_plugin["config"] = {
                "name": config.metadata.name,
                "default": DEFAULT_DEVICE_PLUGIN_CONFIG,
            }

        mig_manager_values: dict[str, Any] = {"enabled": mig_manager}
        if mig_manager:
            # Cloud VMs cannot reset a GPU into MIG mode in place; NVIDIA's documented setting
            # for cloud providers lets the MIG manager reboot the node instead.
            mig_manager_values["env"] = [{"name": "WITH_REBOOT", "value": "true"}]

        values = {
            "operator": {"tolerations": list(SYSTEM_TOLERATIONS)},
            "daemonsets": {"tolerations": node_agents},
            "node-feature-discovery": {
                "master": {"tolerations": list(SYSTEM_TOLERATIONS)},
                "gc": {"tolerations": list(SYSTEM_TOLERATIONS)},
                "worker": {"tolerations": node_agents},
            },
            # The node image ships the driver and the toolkit together.
            "driver": {"enabled": not software.driver},
            "toolkit": {"enabled": not software.driver},
            "devicePlugin": device_plugin,
            "mig": {"strategy": "single"},
            "migManager": mig_manager_values,
            "dcgmExporter": {"enabled": True, "serviceMonitor": {"enabled": False}},
        }
        return k8s.helm.v3.Release(
            f"{self._name}-gpu-operator",
            name="gpu-operator",
            chart=GPU_OPERATOR_CHART,
            version=GPU_OPERATOR_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=GPU_OPERATOR_REPOSITORY),
            namespace=namespace,
            create_namespace=False,
            values=values,
            opts=self._opts(),
        )

    def _kueue(self, cluster: GpuClusterOutputs) -> k8s.helm.v3.Release:
        chart = cluster.node_software.kueue
        namespace = self._namespace("kueue-ns", KUEUE_NAMESPACE, {})
        controller = {"controllerManager": {"tolerations": list(SYSTEM_TOLERATIONS)}}
        subchart = _KUEUE_SUBCHART_KEY.get(chart.chart.rsplit("/", 1)[-1])
        return k8s.helm.v3.Release(
            f"{self._name}-kueue",
            name="kueue",
            chart=chart.chart,
            version=chart.version,
            # Without a repository the chart is an OCI reference, which Helm pulls directly.
            repository_opts=(
                k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository) if chart.repository else None
            ),
            namespace=namespace,
            create_namespace=False,
            values={subchart: controller} if subchart else controller,
            opts=self._opts(),
        )

    def _queues(self, cluster: GpuClusterOutputs) -> k8s.apiextensions.CustomResource:
        api_version = cluster.node_software.kueue_api_version
        cohort_field = kueue_cohort_field(api_version)
        # The Kueue CRDs and admission webhooks arrive with the release (Helm waits for them).
        after_kueue = self._opts(depends_on=[self.kueue])
        flavors = [
            k8s.apiextensions.CustomResource(
                f"{self._name}-flavor-{pool.name}",
                api_version=api_version,
                kind="ResourceFlavor",
                metadata={"name": self.flavor_names[pool.name]},
                spec={
                    "nodeLabels": {POOL_LABEL: pool.name},
                    "tolerations": _tolerations(pool.taints),
                },
                opts=after_kueue,
            )
            for pool in cluster.gpu_pools
        ]
        flavors.append(
            k8s.apiextensions.CustomResource(
                f"{self._name}-flavor-{ANY_FLAVOR}",
                api_version=api_version,
                kind="ResourceFlavor",
                metadata={"name": ANY_FLAVOR},
                spec={},
                opts=after_kueue,
            )
        )
        gpu_flavors = [
            {
                "name": self.flavor_names[pool.name],
                "resources": [{"name": GPU_RESOURCE, "nominalQuota": pool.max_schedulable_gpus}],
            }
            for pool in cluster.gpu_pools
        ]
        # No namespaceSelector: Kueue reads a null selector as "no namespace", so workloads
        # reach this capacity only through tenant queues that borrow it within their limits.
        spec = {
            cohort_field: COHORT,
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [
                {"coveredResources": [GPU_RESOURCE], "flavors": gpu_flavors},
                # Kueue admits a workload only if the queue covers every resource it requests,
                # and GPU pods request CPU and memory too. These quotas are set far above any
                # cluster's size, so what caps a tenant is its own queue's borrowing limits.
                {
                    "coveredResources": ["cpu", "memory"],
                    "flavors": [
                        {
                            "name": ANY_FLAVOR,
                            "resources": [
                                {"name": "cpu", "nominalQuota": "100000"},
                                {"name": "memory", "nominalQuota": "1000Ti"},
                            ],
                        }
                    ],
                },
            ],
            "preemption": {
                "reclaimWithinCohort": "Any",
                "borrowWithinCohort": {"policy": "LowerPriority"},
                "withinClusterQueue": "LowerPriority",
            },
        }
        # Kueue keeps a flavor until no ClusterQueue references it: the queue goes first on
        # delete, and exists only after its flavors on create (so it starts out active).
        return k8s.apiextensions.CustomResource(
            f"{self._name}-cluster-queue",
            api_version=api_version,
            kind="ClusterQueue",
            metadata={"name": CLUSTER_QUEUE},
            spec=spec,
            opts=self._opts(depends_on=[self.kueue, *flavors]),
        )


def _tolerations(taints: Iterable[Taint]) -> list[dict[str, str]]:
    """Tolerations for `taints`, each once, in first-seen order."""
    seen: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for taint in taints:
        toleration = taint.toleration()
        seen.setdefault(tuple(sorted(toleration.items())), toleration)
    return list(seen.values())


def pool_tolerations(pools: Iterable[GpuNodePool]) -> list[dict[str, str]]:
    return _tolerations(taint for pool in pools for taint in pool.taints)


def _device_plugin_configs(replicas: Mapping[str, int]) -> dict[str, str]:
    """The device plugin's configuration files: one per time-sliced pool (`replicas` by pool
    name), keyed by the value of its nodes' DEVICE_PLUGIN_CONFIG_LABEL, and the whole-GPU
    default."""
    if DEFAULT_DEVICE_PLUGIN_CONFIG in replicas:
        raise ValueError(
            f"GPU pool {DEFAULT_DEVICE_PLUGIN_CONFIG!r} is time-sliced: its device-plugin "
            "configuration would replace the whole-GPU default of the same name; rename the pool"
        )
    configs: dict[str, Any] = {
        DEFAULT_DEVICE_PLUGIN_CONFIG: {"version": "v1", "flags": {"migStrategy": "single"}}
    }
    for pool, count in replicas.items():
        configs[pool] = {
            "version": "v1",
            "flags": {"migStrategy": "none"},
            "sharing": {
                "timeSlicing": {
                    "renameByDefault": False,
                    "failRequestsGreaterThanOne": False,
                    "resources": [{"name": GPU_RESOURCE, "replicas": count}],
                }
            },
        }
    return {key: yaml.safe_dump(config, sort_keys=False) for key, config in configs.items()}
