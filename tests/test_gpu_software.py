"""GpuSoftware on three cluster profiles (EKS Auto Mode, EKS node groups, CoreWeave), asserted
on the inputs the offline engine captures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml
from support import of_type, one, run_components

from components.cluster.contract import (
    GPU_TAINT,
    POOL_LABEL,
    GpuClusterOutputs,
    GpuNodePool,
    HelmChart,
    Mig,
    NodeGpuSoftware,
    Taint,
    TimeSlicing,
)
from components.cluster.software import (
    PRIORITY_CLASSES,
    GpuSoftware,
    GpuSoftwareArgs,
    sharing_node_labels,
)
from plinth.engine import Preview
from plinth.engine.errors import ProgramError
from plinth.engine.result import ResourceRecord

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
K8S_PROVIDER = "pulumi:providers:kubernetes"
COMPONENT = "plinth:cluster:GpuSoftware"
ADDON = "aws:eks/addon:Addon"

SHARED_TAINT = Taint("plinth.dev/shared", "true", "NoSchedule")


def pool(
    name: str,
    gpu: str,
    gpus_per_node: int,
    max_nodes: int,
    *,
    sharing: TimeSlicing | Mig | None = None,
    taints: tuple[Taint, ...] = (GPU_TAINT,),
) -> GpuNodePool:
    return GpuNodePool(name, gpu, gpus_per_node, 0, max_nodes, {POOL_LABEL: name}, taints, sharing)


UPSTREAM_KUEUE = HelmChart("oci://registry.k8s.io/kueue/charts/kueue", "0.18.8")
COREWEAVE_KUEUE = HelmChart(
    "cks-kueue", "1.4.0", "https://charts.core-services.ingress.coreweave.com"
)

AUTO_MODE_POOLS = (pool("h100", "H100", 8, 4), pool("l40s", "L40S", 1, 10))
AUTO_MODE = NodeGpuSoftware(
    driver=True,
    device_plugin=True,
    gpu_operator_managed_by_cloud=False,
    kueue=UPSTREAM_KUEUE,
    kueue_api_version="kueue.x-k8s.io/v1beta2",
)
NODE_GROUP_POOLS = (
    pool("a10g", "A10G", 4, 3),
    pool("l4-shared", "L4", 8, 2, sharing=TimeSlicing(4), taints=(GPU_TAINT, SHARED_TAINT)),
    pool("a100-mig", "A100", 8, 2, sharing=Mig("all-1g.10gb")),
)
NODE_GROUPS = NodeGpuSoftware(
    driver=True,
    device_plugin=False,
    gpu_operator_managed_by_cloud=False,
    kueue=UPSTREAM_KUEUE,
    kueue_api_version="kueue.x-k8s.io/v1beta2",
)
COREWEAVE_POOLS = (pool("h100", "H100", 8, 16),)
COREWEAVE = NodeGpuSoftware(
    driver=True,
    device_plugin=True,
    gpu_operator_managed_by_cloud=True,
    kueue=COREWEAVE_KUEUE,
    kueue_api_version="kueue.x-k8s.io/v1beta1",
)

# `nvidia.com/gpu` units per pool at full scale, from the numbers above:
# max nodes x GPUs per node (x time-slicing replicas, or x 7 slices for all-1g MIG).
EXPECTED_QUOTAS = {
    "auto": {"h100": 4 * 8, "l40s": 10 * 1},
    "node-groups": {"a10g": 3 * 4, "l4-shared": 2 * 8 * 4, "a100-mig": 2 * 8 * 7},
    "coreweave": {"h100": 16 * 8},
}


@dataclass
class Installed:
    preview: Preview
    software: GpuSoftware
    pools: tuple[GpuNodePool, ...]

    @property
    def provider(self) -> ResourceRecord:
        return one(self.preview, K8S_PROVIDER)

    @property
    def ready(self) -> ResourceRecord:
        return one(self.preview, ADDON)

    def release(self, chart_contains: str) -> ResourceRecord:
        found = [
            r for r in of_type(self.preview, RELEASE) if chart_contains in r.plain_inputs["chart"]
        ]
        assert len(found) == 1, f"expected one release of *{chart_contains}*, got {len(found)}"
        return found[0]

    def operator_values(self) -> dict[str, Any]:
        values: dict[str, Any] = self.release("gpu-operator").plain_inputs["values"]
        return values

    def custom(self, kind: str) -> list[ResourceRecord]:
        return [r for r in self.preview.resources if r.type.endswith(f":{kind}")]

    def cluster_queue_spec(self) -> dict[str, Any]:
        (queue,) = self.custom("ClusterQueue")
        spec: dict[str, Any] = queue.plain_inputs["spec"]
        return spec


def cluster_outputs(
    cloud: str,
    provider: k8s.Provider,
    pools: tuple[GpuNodePool, ...],
    software: NodeGpuSoftware,
    ready: Sequence[pulumi.Resource],
) -> GpuClusterOutputs:
    return GpuClusterOutputs(
        cloud="aws" if cloud == "aws" else "coreweave",
        cluster_name=pulumi.Output.from_input("plinth-test-main"),
        endpoint=pulumi.Output.from_input("https://example.invalid"),
        oidc_issuer_url=pulumi.Output.from_input("https://oidc.example.invalid"),
        kubernetes_version="1.34",
        kubernetes_provider=provider,
        gpu_pools=pools,
        node_software=software,
        ready=list(ready),
    )


def install(cloud: str, pools: tuple[GpuNodePool, ...], software: NodeGpuSoftware) -> Installed:
    built: list[GpuSoftware] = []

    def body() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # Stands in for what a cluster says Kubernetes objects must wait for.
        addon = aws.eks.Addon("coredns", cluster_name="plinth-test-main", addon_name="coredns")
        outputs = cluster_outputs(cloud, provider, pools, software, [addon])
        built.append(GpuSoftware("main", GpuSoftwareArgs(outputs)))

    preview = run_components(body)
    return Installed(preview, built[0], pools)


@pytest.fixture(scope="module")
def auto_mode() -> Installed:
    return install("aws", AUTO_MODE_POOLS, AUTO_MODE)


@pytest.fixture(scope="module")
def node_groups() -> Installed:
    return install("aws", NODE_GROUP_POOLS, NODE_GROUPS)


@pytest.fixture(scope="module")
def coreweave() -> Installed:
    return install("coreweave", COREWEAVE_POOLS, COREWEAVE)


@pytest.fixture(scope="module")
def profiles(
    auto_mode: Installed, node_groups: Installed, coreweave: Installed
) -> dict[str, Installed]:
    return {"auto": auto_mode, "node-groups": node_groups, "coreweave": coreweave}


def tolerates(toleration: Mapping[str, str], taint: Taint) -> bool:
    """Kubernetes' matching rule: does `toleration` let a pod onto a node with `taint`?"""
    if toleration.get("effect") and toleration["effect"] != taint.effect:
        return False
    operator = toleration.get("operator", "Equal")
    if not toleration.get("key"):
        return operator == "Exists"
    if toleration["key"] != taint.key:
        return False
    return operator == "Exists" or toleration.get("value", "") == taint.value


# --- GPU Operator -------------------------------------------------------------------------


def test_operator_is_installed_unless_the_cloud_runs_it(profiles: dict[str, Installed]) -> None:
    for key in ("auto", "node-groups"):
        release = profiles[key].release("gpu-operator").plain_inputs
        assert release["chart"] == "gpu-operator"
        assert release["version"] == "v25.10.1"
        assert release["repositoryOpts"] == {"repo": "https://helm.ngc.nvidia.com/nvidia"}
        assert release["namespace"] == "gpu-operator"
        assert release["createNamespace"] is False
        assert profiles[key].software.gpu_operator is not None

    coreweave = profiles["coreweave"]
    assert [r.plain_inputs["chart"] for r in of_type(coreweave.preview, RELEASE)] == ["cks-kueue"]
    assert coreweave.software.gpu_operator is None
    names = {r.plain_inputs["metadata"]["name"] for r in of_type(coreweave.preview, NAMESPACE)}
    assert names == {"kueue-system"}


def test_operator_namespace_admits_privileged_pods(node_groups: Installed) -> None:
    namespace = one(node_groups.preview, NAMESPACE, "gpu-operator").plain_inputs["metadata"]
    assert namespace["name"] == "gpu-operator"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_auto_mode_operator_adds_only_metrics(auto_mode: Installed) -> None:
    values = auto_mode.operator_values()
    assert values["driver"] == {"enabled": False}
    assert values["toolkit"] == {"enabled": False}
    # The cloud's device plugin serves the GPUs: no plugin, config or MIG manager of ours.
    assert values["devicePlugin"] == {"enabled": False}
    assert values["migManager"] == {"enabled": False}
    assert values["dcgmExporter"] == {"enabled": True, "serviceMonitor": {"enabled": False}}
    assert of_type(auto_mode.preview, CONFIG_MAP) == []


def test_node_group_operator_runs_device_plugin_and_mig_manager(node_groups: Installed) -> None:
    values = node_groups.operator_values()
    assert values["driver"] == {"enabled": False}
    assert values["toolkit"] == {"enabled": False}
    assert values["devicePlugin"]["enabled"] is True
    assert values["mig"] == {"strategy": "single"}
    assert values["migManager"] == {
        "enabled": True,
        "env": [{"name": "WITH_REBOOT", "value": "true"}],
    }
    assert values["dcgmExporter"] == {"enabled": True, "serviceMonitor": {"enabled": False}}


def test_time_slicing_config_map(node_groups: Installed) -> None:
    config_map = one(node_groups.preview, CONFIG_MAP).plain_inputs
    assert config_map["metadata"] == {
        "name": "plinth-device-plugin-config",
        "namespace": "gpu-operator",
    }
    assert node_groups.operator_values()["devicePlugin"]["config"] == {
        "name": "plinth-device-plugin-config",
        "default": "default",
    }
    configs = {key: yaml.safe_load(text) for key, text in config_map["data"].items()}
    assert set(configs) == {"l4-shared", "default"}
    assert configs["l4-shared"] == {
        "version": "v1",
        "flags": {"migStrategy": "none"},
        "sharing": {
            "timeSlicing": {
                "renameByDefault": False,
                "failRequestsGreaterThanOne": False,
                "resources": [{"name": "nvidia.com/gpu", "replicas": 4}],
            }
        },
    }
    assert configs["default"]["version"] == "v1"
    assert "sharing" not in configs["default"]


def test_sharing_node_labels_select_each_pools_config() -> None:
    whole, shared, mig = NODE_GROUP_POOLS
    assert sharing_node_labels(whole) == {}
    assert sharing_node_labels(shared) == {"nvidia.com/device-plugin.config": "l4-shared"}
    assert sharing_node_labels(mig) == {"nvidia.com/mig.config": "all-1g.10gb"}


def test_time_sliced_pool_cannot_take_the_default_configs_name() -> None:
    pools = (pool("default", "L4", 8, 2, sharing=TimeSlicing(2)),)
    with pytest.raises(ProgramError, match="rename the pool"):
        install("aws", pools, NODE_GROUPS)


# --- Scheduling of the layer's own pods ---------------------------------------------------


def controller_tolerations(installed: Installed) -> dict[str, list[dict[str, str]]]:
    """Tolerations of every Deployment-level component, by values path."""
    kueue_values = installed.release("kueue").plain_inputs["values"]
    kueue_values = kueue_values.get("kueue", kueue_values)  # cks-kueue wraps the chart
    found = {"kueue controllerManager": kueue_values["controllerManager"]["tolerations"]}
    if installed.software.gpu_operator is not None:
        values = installed.operator_values()
        nfd = values["node-feature-discovery"]
        found |= {
            "operator": values["operator"]["tolerations"],
            "nfd master": nfd["master"]["tolerations"],
            "nfd gc": nfd["gc"]["tolerations"],
        }
    return found


def test_controllers_never_tolerate_gpu_taints(profiles: dict[str, Installed]) -> None:
    for key, installed in profiles.items():
        taints = {taint for p in installed.pools for taint in p.taints}
        assert GPU_TAINT in taints
        controllers = controller_tolerations(installed)
        expected = {"kueue controllerManager"}
        if key != "coreweave":
            expected |= {"operator", "nfd master", "nfd gc"}
        assert set(controllers) == expected
        for path, tolerations in controllers.items():
            bad = [t for t in tolerations for taint in taints if tolerates(t, taint)]
            assert bad == [], f"{key}: {path} tolerates GPU node taints: {bad}"


def test_node_agents_tolerate_every_pool_taint_once(
    auto_mode: Installed, node_groups: Installed
) -> None:
    for installed in (auto_mode, node_groups):
        values = installed.operator_values()
        agents = {
            "daemonsets": values["daemonsets"]["tolerations"],
            "nfd worker": values["node-feature-discovery"]["worker"]["tolerations"],
        }
        for path, tolerations in agents.items():
            for p in installed.pools:
                for taint in p.taints:
                    assert any(tolerates(t, taint) for t in tolerations), (path, p.name, taint)
            as_tuples = [tuple(sorted(t.items())) for t in tolerations]
            assert len(as_tuples) == len(set(as_tuples)), f"{path} repeats tolerations"
    shared = node_groups.operator_values()["daemonsets"]["tolerations"]
    assert len(shared) == 2  # GPU taint of all three pools + the shared pool's own taint


# --- Priority classes ---------------------------------------------------------------------


def test_priority_classes(node_groups: Installed) -> None:
    captured = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in of_type(node_groups.preview, PRIORITY_CLASS)
    }
    assert {name: pc["value"] for name, pc in captured.items()} == {
        "plinth-inference": 100000,
        "plinth-training": 10000,
        "plinth-batch": 1000,
    }
    assert {n: pc["value"] for n, pc in captured.items()} == PRIORITY_CLASSES
    assert captured["plinth-inference"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert captured["plinth-training"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert captured["plinth-batch"]["preemptionPolicy"] == "Never"
    for pc in captured.values():
        assert pc["globalDefault"] is False
        assert pc["description"]
    assert set(node_groups.software.priority_classes) == set(PRIORITY_CLASSES)


# --- Kueue --------------------------------------------------------------------------------


def test_kueue_release_per_chart_source(auto_mode: Installed, coreweave: Installed) -> None:
    upstream = auto_mode.release("kueue").plain_inputs
    assert upstream["chart"] == "oci://registry.k8s.io/kueue/charts/kueue"
    assert upstream["version"] == "0.18.8"
    assert "repositoryOpts" not in upstream  # an OCI reference names its registry itself
    assert upstream["namespace"] == "kueue-system"
    assert upstream["createNamespace"] is False
    assert set(upstream["values"]) == {"controllerManager"}

    wrapped = coreweave.release("cks-kueue").plain_inputs
    assert wrapped["version"] == "1.4.0"
    assert wrapped["repositoryOpts"] == {
        "repo": "https://charts.core-services.ingress.coreweave.com"
    }
    assert wrapped["namespace"] == "kueue-system"
    assert set(wrapped["values"]) == {"kueue"}
    assert set(wrapped["values"]["kueue"]) == {"controllerManager"}


def test_flavors_select_pools_and_carry_their_tolerations(profiles: dict[str, Installed]) -> None:
    for key, installed in profiles.items():
        flavors = {
            r.plain_inputs["metadata"]["name"]: r.plain_inputs
            for r in installed.custom("ResourceFlavor")
        }
        assert set(flavors) == {f"gpu-{p.name}" for p in installed.pools} | {"plinth-any"}, key
        assert installed.software.flavor_names == {p.name: f"gpu-{p.name}" for p in installed.pools}
        for p in installed.pools:
            spec = flavors[f"gpu-{p.name}"]["spec"]
            assert spec["nodeLabels"] == {"plinth.dev/gpu-pool": p.name}
            for taint in p.taints:
                assert any(tolerates(t, taint) for t in spec["tolerations"]), (key, p.name)
        assert flavors["plinth-any"]["spec"] == {}


def test_gpu_quotas_are_each_pools_full_capacity(profiles: dict[str, Installed]) -> None:
    for key, installed in profiles.items():
        gpu_group, cpu_group = installed.cluster_queue_spec()["resourceGroups"]
        assert gpu_group["coveredResources"] == ["nvidia.com/gpu"]
        quotas = {}
        for flavor in gpu_group["flavors"]:
            (resource,) = flavor["resources"]
            assert resource["name"] == "nvidia.com/gpu"
            quotas[flavor["name"]] = resource["nominalQuota"]
        assert quotas == {f"gpu-{p}": n for p, n in EXPECTED_QUOTAS[key].items()}, key
        assert cpu_group == {
            "coveredResources": ["cpu", "memory"],
            "flavors": [
                {
                    "name": "plinth-any",
                    "resources": [
                        {"name": "cpu", "nominalQuota": "100000"},
                        {"name": "memory", "nominalQuota": "1000Ti"},
                    ],
                }
            ],
        }


def test_cluster_queue_serves_tenants_with_preemption(node_groups: Installed) -> None:
    (queue,) = node_groups.custom("ClusterQueue")
    assert queue.plain_inputs["metadata"] == {"name": "plinth-gpu"}
    assert node_groups.software.cluster_queue_name == "plinth-gpu"
    spec = node_groups.cluster_queue_spec()
    # Kueue reads a missing (null) namespaceSelector as "no namespace" and `{}` as "every
    # namespace": the shared queue only lends, tenants reach it through their own queues.
    assert "namespaceSelector" not in spec
    assert spec["queueingStrategy"] == "BestEffortFIFO"
    assert spec["preemption"] == {
        "reclaimWithinCohort": "Any",
        "borrowWithinCohort": {"policy": "LowerPriority"},
        "withinClusterQueue": "LowerPriority",
    }


def test_cohort_field_follows_kueue_api_version(auto_mode: Installed, coreweave: Installed) -> None:
    for installed, api_version, field, other in (
        (auto_mode, "kueue.x-k8s.io/v1beta2", "cohortName", "cohort"),
        (coreweave, "kueue.x-k8s.io/v1beta1", "cohort", "cohortName"),
    ):
        spec = installed.cluster_queue_spec()
        assert spec[field] == "plinth"
        assert other not in spec
        kueue_objects = installed.custom("ClusterQueue") + installed.custom("ResourceFlavor")
        assert {r.plain_inputs["apiVersion"] for r in kueue_objects} == {api_version}


def test_unknown_kueue_api_version_is_refused() -> None:
    software = NodeGpuSoftware(True, True, True, UPSTREAM_KUEUE, "kueue.x-k8s.io/v1alpha1")
    with pytest.raises(ProgramError, match="unsupported Kueue API version"):
        install("aws", AUTO_MODE_POOLS, software)


# --- Wiring -------------------------------------------------------------------------------


def test_every_child_uses_the_clusters_provider(profiles: dict[str, Installed]) -> None:
    for key, installed in profiles.items():
        component = one(installed.preview, COMPONENT)
        children = [r for r in installed.preview.resources if r.parent == component.urn]
        assert len(children) >= 8, key
        provider = installed.provider
        for child in children:
            assert child.type.startswith("kubernetes:"), child.type
            assert child.provider == f"{provider.urn}::{provider.id}", (key, child.name)


def test_first_objects_wait_for_the_cluster(node_groups: Installed) -> None:
    ready = node_groups.ready.urn
    firsts = of_type(node_groups.preview, NAMESPACE) + of_type(node_groups.preview, PRIORITY_CLASS)
    assert len(firsts) == 5
    for record in firsts:
        assert ready in record.depends_on, record.name
    by_name = {r.name: r.urn for r in node_groups.preview.resources}
    operator = node_groups.release("gpu-operator")
    assert by_name["main-gpu-operator-ns"] in operator.property_dependencies["namespace"]
    assert by_name["main-device-plugin-config"] in operator.depends_on
    kueue = node_groups.release("kueue")
    for flavor in node_groups.custom("ResourceFlavor"):
        assert kueue.urn in flavor.depends_on, flavor.name
    (queue,) = node_groups.custom("ClusterQueue")
    assert {f.urn for f in node_groups.custom("ResourceFlavor")} <= set(queue.depends_on)


def test_two_clusters_fit_in_one_stack() -> None:
    def body() -> None:
        for name, pools, software in (
            ("east", NODE_GROUP_POOLS, NODE_GROUPS),
            ("cw", COREWEAVE_POOLS, COREWEAVE),
        ):
            provider = k8s.Provider(f"{name}-k8s", kubeconfig="{}")
            outputs = cluster_outputs(name, provider, pools, software, [])
            GpuSoftware(name, GpuSoftwareArgs(outputs))

    # The engine raises on duplicate URNs, as the real engine does.
    preview = run_components(body)
    assert len(of_type(preview, COMPONENT)) == 2
    assert len(of_type(preview, PRIORITY_CLASS)) == 6


# --- Core manifests against the Kubernetes API schemas ------------------------------------

CORE_TYPES = (NAMESPACE, CONFIG_MAP, PRIORITY_CLASS)


def core_manifests(installed: Installed) -> list[dict[str, Any]]:
    manifests = []
    for record in installed.preview.resources:
        if record.type in CORE_TYPES:
            inputs = record.plain_inputs
            manifest = {"apiVersion": inputs["apiVersion"], "kind": inputs["kind"]}
            manifests.append(manifest | {k: v for k, v in inputs.items() if k not in manifest})
    return manifests


@pytest.mark.parametrize("kubernetes_version", ["1.33.0", "1.34.0", "1.35.0"])
def test_core_manifests_are_valid_kubernetes(
    profiles: dict[str, Installed], kubernetes_version: str
) -> None:
    kinds = set()
    for installed in profiles.values():
        for manifest in core_manifests(installed):
            kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
            kinds.add(manifest["kind"])
    assert kinds == {"Namespace", "ConfigMap", "PriorityClass"}


def test_manifest_validation_is_strict() -> None:
    manifest = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "x"},
        "value": 1,
        "preemptionPolcy": "Never",
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.34.0", strict=True)
