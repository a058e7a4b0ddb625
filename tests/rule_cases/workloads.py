"""Fixtures for policies/rules/workloads.py: a hardened pod complies with every rule; each
weakness, as a program written without Plinth's components would have it, violates one."""

from __future__ import annotations

from typing import Any

from rule_cases import complies, res, violates

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"

HOST_PATH = "k8s-no-host-path-volumes"
HOST_PORTS = "k8s-no-host-ports"
CAPABILITIES = "k8s-no-added-capabilities"
NON_ROOT = "k8s-run-as-non-root"
ESCALATION = "k8s-no-privilege-escalation"
READ_ONLY = "k8s-read-only-root-filesystem"
MEMORY = "k8s-memory-limits"
GPU_TOLERATION = "k8s-gpu-pods-tolerate-the-gpu-taint"
PINNED = "k8s-images-pinned"
TOKEN = "k8s-default-service-account-token"
EVERY_RULE = (
    HOST_PATH,
    HOST_PORTS,
    CAPABILITIES,
    NON_ROOT,
    ESCALATION,
    READ_ONLY,
    MEMORY,
    GPU_TOLERATION,
    PINNED,
    TOKEN,
)

HARDENED_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def container(**changes: Any) -> dict[str, Any]:
    """A hardened container, with `changes` (a None value removes the field)."""
    found: dict[str, Any] = {
        "name": "app",
        "image": "registry.example.com/team/app:1.4.2",
        "securityContext": dict(HARDENED_CONTEXT),
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
    }
    for key, value in changes.items():
        if value is None:
            found.pop(key, None)
        else:
            found[key] = value
    return found


def pod(*containers: dict[str, Any], **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceAccountName": "app",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": list(containers) or [container()],
        "volumes": [{"name": "scratch", "emptyDir": {}}],
    }
    spec.update(changes)
    return spec


def deployment(spec: dict[str, Any], namespace: str = "team-a"):  # type: ignore[no-untyped-def]
    template = {"metadata": {"labels": {"app": "app"}}, "spec": spec}
    body = {"selector": {"matchLabels": {"app": "app"}}, "template": template}
    return res(DEPLOYMENT, "app", {"metadata": {"namespace": namespace}, "spec": body})


def context(**changes: Any) -> dict[str, Any]:
    return {**HARDENED_CONTEXT, **changes}


GPU_LIMITS = {"nvidia.com/gpu": 1, "cpu": "8", "memory": "32Gi"}
GPU_TOLERATION_ENTRY = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

CASES = [
    *(complies(rule, "a hardened deployment", deployment(pod())) for rule in EVERY_RULE),
    violates(
        HOST_PATH,
        "the container runtime's socket mounted",
        deployment(pod(volumes=[{"name": "sock", "hostPath": {"path": "/run/containerd"}}])),
        expect="'/run/containerd'",
    ),
    complies(
        HOST_PATH,
        "a node agent in a system namespace",
        deployment(
            pod(volumes=[{"name": "dev", "hostPath": {"path": "/dev"}}]), namespace="kube-system"
        ),
    ),
    violates(
        HOST_PORTS,
        "a host port",
        deployment(pod(container(ports=[{"containerPort": 8080, "hostPort": 8080}]))),
        expect="host port 8080",
    ),
    violates(
        CAPABILITIES,
        "SYS_ADMIN added",
        deployment(pod(container(securityContext=context(capabilities={"add": ["SYS_ADMIN"]})))),
        expect="SYS_ADMIN",
    ),
    complies(
        CAPABILITIES,
        "NET_BIND_SERVICE only",
        deployment(
            pod(container(securityContext=context(capabilities={"add": ["NET_BIND_SERVICE"]})))
        ),
    ),
    violates(
        NON_ROOT,
        "no runAsNonRoot anywhere",
        deployment(pod(securityContext={})),
        expect="runAsNonRoot is not true",
    ),
    violates(
        NON_ROOT,
        "a container that overrides the pod with user 0",
        deployment(pod(container(securityContext=context(runAsUser=0)))),
        expect="runs as user 0",
    ),
    violates(
        ESCALATION,
        "an init container without the setting",
        deployment(pod(initContainers=[container(name="init", securityContext={})])),
        expect="'init'",
    ),
    violates(
        READ_ONLY,
        "a writable root filesystem",
        deployment(pod(container(securityContext=context(readOnlyRootFilesystem=False)))),
        expect="writable root filesystem",
    ),
    violates(
        MEMORY,
        "no memory limit",
        deployment(pod(container(resources={"requests": {"cpu": "1"}}))),
        expect="no memory limit",
    ),
    violates(
        GPU_TOLERATION,
        "a GPU job that does not tolerate the GPU taint",
        res(
            JOB,
            "train",
            {
                "metadata": {"namespace": "team-a"},
                "spec": {"template": {"spec": pod(container(resources={"limits": GPU_LIMITS}))}},
            },
        ),
        expect="does not tolerate",
    ),
    complies(
        GPU_TOLERATION,
        "a GPU pod with the toleration",
        deployment(
            pod(
                container(resources={"limits": GPU_LIMITS}),
                tolerations=[GPU_TOLERATION_ENTRY],
            )
        ),
    ),
    violates(
        PINNED,
        "no tag",
        deployment(pod(container(image="registry.example.com/team/app"))),
        expect="no tag",
    ),
    violates(
        PINNED,
        "latest, on a registry with a port",
        deployment(pod(container(image="registry.example.com:5000/team/app:latest"))),
        expect="moving tag 'latest'",
    ),
    complies(
        PINNED,
        "by digest",
        deployment(pod(container(image="registry.example.com/team/app@sha256:" + "a" * 64))),
    ),
    violates(
        TOKEN,
        "the default account, token mounted (a CronJob)",
        res(
            CRON_JOB,
            "report",
            {
                "metadata": {"namespace": "team-a"},
                "spec": {
                    "schedule": "0 * * * *",
                    "jobTemplate": {"spec": {"template": {"spec": pod(serviceAccountName=None)}}},
                },
            },
        ),
        expect="default service account",
    ),
    complies(
        TOKEN,
        "the default account without its token",
        deployment(pod(serviceAccountName="default", automountServiceAccountToken=False)),
    ),
]
