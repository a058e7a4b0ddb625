"""Kubernetes pod hardening: what the `restricted` Pod Security Standard asks of every pod
(no host paths or ports, no added capabilities, non-root, no privilege escalation), plus a
read-only root filesystem, memory limits, the GPU toleration, pinned images and no API token
on the default service account.

They judge every workload in any namespace but the system ones (`systemNamespaces`), whoever
wrote it: Plinth's components meet them all. Pod Security Admission refuses some of this at
`kubectl apply` time in a `restricted` namespace; these rules say it at preview, and in
namespaces that enforce nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies.props import as_list, dig
from policies.report import Report
from policies.rule import Config, Param, advisory, first, resource_rule
from policies.rules.kubernetes import (
    GPU_RESOURCE,
    SYSTEM_NAMESPACES,
    WORKLOADS,
    containers_of,
    in_system_namespace,
    pod_spec_of,
    uses_gpus,
)

ALLOWED_CAPABILITIES = ("NET_BIND_SERVICE",)
"""The one capability the `restricted` Pod Security Standard lets a container add."""
GPU_TAINT_KEY = "nvidia.com/gpu"
"""The taint Plinth's GPU pools (and EKS Auto Mode's GPU nodes) carry."""
DEFAULT_SERVICE_ACCOUNT = "default"
HARDENING = {"soc2": ["CC6.1"], "nist-800-53": ["AC-6", "CM-7"], "pci": ["2.2.1"]}
"""The controls a pod's least privilege serves."""


def _pods(args: ResourceValidationArgs, config: Config) -> Mapping[str, Any] | None:
    """The pod spec of a workload outside the system namespaces (None inside them)."""
    if in_system_namespace(args.props, config):
        return None
    return pod_spec_of(args.resource_type, args.props)


def _containers(args: ResourceValidationArgs, config: Config) -> Iterator[Mapping[str, Any]]:
    """Every container of a workload outside the system namespaces."""
    pod = _pods(args, config)
    return containers_of(pod) if pod is not None else iter(())


def _number(value: Any) -> Any:
    """A number as written (the engine sends integers as floats)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _named(container: Mapping[str, Any]) -> str:
    return f"container {dig(container, 'name')!r}"


def _setting(pod: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """A security setting as the kubelet applies it: the container's, else the pod's."""
    found = dig(container, "securityContext", key)
    return dig(pod, "securityContext", key) if found is None else found


@resource_rule(
    id="k8s-no-host-path-volumes",
    area="kubernetes",
    description="Pods mount no hostPath volume: a node's files (its kubelet credentials, "
    "container runtime socket, other pods' data) are outside every tenant's isolation.",
    severity="high",
    remediation="Use an emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret instead of "
    "hostPath; node agents that need the host belong in a system namespace.",
    controls=HARDENING,
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def no_host_path_volumes(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    pod = _pods(args, config)
    for volume in as_list(dig(pod, "volumes")) if pod is not None else []:
        if dig(volume, "hostPath") is not None:
            path = dig(volume, "hostPath", "path")
            report(f"volume {dig(volume, 'name')!r} mounts the node's {path!r}")


@resource_rule(
    id="k8s-no-host-ports",
    area="kubernetes",
    description="Containers bind no host port: a hostPort opens the node's address to the "
    "pod, past the Service and the NetworkPolicies that guard it.",
    severity="medium",
    remediation="Remove ports[].hostPort and reach the pod through a Service.",
    controls={**HARDENING, "nist-800-53": ["SC-7", "CM-7"]},
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def no_host_ports(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        for port in as_list(dig(container, "ports")):
            host_port = dig(port, "hostPort")
            if host_port:
                report(f"{_named(container)} binds host port {_number(host_port)}")


@resource_rule(
    id="k8s-no-added-capabilities",
    area="kubernetes",
    description="Containers add no Linux capability beyond NET_BIND_SERVICE (what the "
    "restricted Pod Security Standard allows): SYS_ADMIN, NET_ADMIN and the like reach the "
    "node's kernel.",
    severity="high",
    remediation="Remove securityContext.capabilities.add (keep drop: [ALL]); a node agent "
    "that needs more belongs in a system namespace.",
    controls=HARDENING,
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def no_added_capabilities(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        added = [str(c) for c in as_list(dig(container, "securityContext", "capabilities", "add"))]
        extra = [c for c in added if c.removeprefix("CAP_") not in ALLOWED_CAPABILITIES]
        if extra:
            report(f"{_named(container)} adds capabilities {', '.join(extra)}")


@resource_rule(
    id="k8s-run-as-non-root",
    area="kubernetes",
    description="Every container runs as a non-root user (runAsNonRoot, and no runAsUser 0): "
    "root in a container is root on the node once anything lets it out.",
    severity="high",
    remediation="Set securityContext.runAsNonRoot: true (on the pod or each container) and a "
    "non-zero runAsUser the image's files allow.",
    controls=HARDENING,
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def run_as_non_root(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    pod = _pods(args, config)
    if pod is None:
        return
    for container in containers_of(pod):
        if _setting(pod, container, "runAsUser") in (0, 0.0):
            report(f"{_named(container)} runs as user 0")
        elif _setting(pod, container, "runAsNonRoot") is not True:
            report(f"{_named(container)} may run as root (runAsNonRoot is not true)")


@resource_rule(
    id="k8s-no-privilege-escalation",
    area="kubernetes",
    description="Every container sets allowPrivilegeEscalation: false, so no setuid binary or "
    "file capability gives a process more than it started with.",
    severity="high",
    remediation="Set securityContext.allowPrivilegeEscalation: false on each container "
    "(init containers too).",
    controls=HARDENING,
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def no_privilege_escalation(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        if dig(container, "securityContext", "allowPrivilegeEscalation") is not False:
            report(f"{_named(container)} does not set allowPrivilegeEscalation: false")


@resource_rule(
    id="k8s-read-only-root-filesystem",
    area="kubernetes",
    description="Containers run with a read-only root filesystem, so an intruder cannot "
    "replace the image's programs or leave tools behind; writable space is an explicit volume.",
    severity="medium",
    remediation="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where "
    "the program writes (/tmp, caches).",
    controls={**HARDENING, "nist-800-53": ["CM-7", "SI-7"]},
    enforcement=advisory(),
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def read_only_root_filesystem(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        if dig(container, "securityContext", "readOnlyRootFilesystem") is not True:
            report(f"{_named(container)} has a writable root filesystem")


@resource_rule(
    id="k8s-memory-limits",
    area="kubernetes",
    description="Every container has a memory limit: memory cannot be reclaimed from a running "
    "process, so one container without a limit can push its neighbours on a shared node "
    "into OOM kills.",
    severity="medium",
    remediation="Set resources.limits.memory (and requests) on each container; Plinth's tenant "
    "namespaces give containers a default through their LimitRange.",
    controls={"nist-800-53": ["SC-6"], "soc2": ["CC6.1"]},
    enforcement=advisory(),
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def memory_limits(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        if dig(container, "resources", "limits", "memory") is None:
            report(f"{_named(container)} has no memory limit")


def _tolerates_gpus(pod: Mapping[str, Any]) -> bool:
    for toleration in as_list(dig(pod, "tolerations")):
        key, operator = dig(toleration, "key"), dig(toleration, "operator", default="Equal")
        if key in (None, "") and operator == "Exists":
            return True  # tolerates every taint
        if key == GPU_TAINT_KEY:
            return True
    return False


@resource_rule(
    id="k8s-gpu-pods-tolerate-the-gpu-taint",
    area="kubernetes",
    description="A pod that asks for GPUs tolerates the nvidia.com/gpu taint GPU nodes carry; "
    "without it the pod never schedules, while the autoscaler may keep GPU nodes up for it.",
    severity="medium",
    remediation="Add tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}] "
    "to the pod spec (Plinth's GPU pools are tainted so only GPU work lands on them).",
    controls={"nist-800-53": ["SC-6"]},
    types=WORKLOADS,
)
def gpu_pods_tolerate_the_taint(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    pod = pod_spec_of(args.resource_type, args.props)
    if any(uses_gpus(c) for c in containers_of(pod)) and not _tolerates_gpus(pod):
        report(f"the pod asks for {GPU_RESOURCE} but does not tolerate the {GPU_TAINT_KEY} taint")


def image_tag(image: str) -> str | None:
    """The tag of an image reference, "" when it has none, None when it is pinned by digest."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


@resource_rule(
    id="k8s-images-pinned",
    area="kubernetes",
    description="Images are named by digest or by a release tag, never by no tag or a moving "
    "one (latest, main, stable...): what a node pulls must be what was reviewed, and the same "
    "on every node.",
    severity="medium",
    remediation="Name the image by its version tag (registry/app:1.4.2) or, better, by digest "
    "(registry/app@sha256:...).",
    controls={"nist-800-53": ["CM-6", "SI-7"], "soc2": ["CC8.1"], "pci": ["6.3.3"]},
    types=WORKLOADS,
    params=(
        SYSTEM_NAMESPACES,
        Param(
            name="movingTags",
            description="Image tags that name whatever was pushed last.",
            schema={"type": "array", "items": {"type": "string"}},
            default=["latest", "main", "master", "stable", "nightly", "edge", "dev"],
            merge=first,
        ),
    ),
)
def images_pinned(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for container in _containers(args, config):
        image = dig(container, "image")
        if not isinstance(image, str):
            continue  # not known until deployment
        tag = image_tag(image)
        if tag == "":
            report(f"{_named(container)} names {image!r} with no tag (latest)")
        elif tag is not None and tag.lower() in config["movingTags"]:
            report(f"{_named(container)} names {image!r} by the moving tag {tag!r}")


@resource_rule(
    id="k8s-default-service-account-token",
    area="kubernetes",
    description="Pods that run as the namespace's default service account do not mount its "
    "API token: a pod that needs the Kubernetes API gets an account of its own, with a Role "
    "that says what for.",
    severity="medium",
    remediation="Set automountServiceAccountToken: false on the pod, or give it a "
    "serviceAccountName of its own (Plinth's tenant namespaces have `workload`, with no token "
    "mounted unless a pod asks).",
    controls={"nist-800-53": ["AC-6", "IA-5"], "soc2": ["CC6.1"]},
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def default_service_account_token(
    args: ResourceValidationArgs, report: Report, config: Config
) -> None:
    pod = _pods(args, config)
    if pod is None:
        return
    account = dig(pod, "serviceAccountName") or dig(pod, "serviceAccount")
    if (account or DEFAULT_SERVICE_ACCOUNT) == DEFAULT_SERVICE_ACCOUNT and (
        dig(pod, "automountServiceAccountToken") is not False
    ):
        report("the pod runs as the default service account with its API token mounted")
