"""Fixtures for policies/rules/kubernetes.py."""

from __future__ import annotations

from typing import Any

from rule_cases import complies, res, violates

POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
CRON_JOB = "kubernetes:batch/v1:CronJob"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

PRIVILEGED = "k8s-no-privileged-containers"
GPU_LIMITS = "k8s-gpu-resource-limits"
DEFAULT_DENY = "k8s-tenant-default-deny"
INTERNAL_LB = "k8s-loadbalancer-internal"


def container(name: str = "app", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "registry.example.com/app:1.0", **fields}


def deployment(name: str, pod_spec: dict[str, Any], namespace: str = "team-a"):  # type: ignore[no-untyped-def]
    template = {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
    spec = {"selector": {"matchLabels": {"app": name}}, "template": template}
    return res(DEPLOYMENT, name, {"metadata": {"namespace": namespace}, "spec": spec})


def gpu_container(limits: dict[str, Any], requests: dict[str, Any] | None = None) -> dict[str, Any]:
    return container("trainer", resources={"limits": limits, "requests": requests or {}})


FULL_LIMITS = {"nvidia.com/gpu": 1, "cpu": "8", "memory": "32Gi"}

tenant = res(
    NAMESPACE, "tenant-a", {"metadata": {"name": "tenant-a", "labels": {"plinth.dev/tenant": "a"}}}
)


def network_policy(
    name, namespace=None, deps=(), selector=None, types=("Ingress", "Egress"), **rules
):  # type: ignore[no-untyped-def]
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    spec = {"podSelector": selector or {}, "policyTypes": list(types), **rules}
    return res(
        NETWORK_POLICY, name, {"metadata": metadata, "spec": spec}, deps={"metadata": list(deps)}
    )


def service(type_: str = "LoadBalancer", **annotations: str):  # type: ignore[no-untyped-def]
    metadata = {"name": "api", "namespace": "team-a", "annotations": annotations}
    spec = {"type": type_, "selector": {"app": "api"}, "ports": [{"port": 443}]}
    return res(SERVICE, "api", {"metadata": metadata, "spec": spec})


AWS_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"

CASES = [
    violates(
        PRIVILEGED,
        "privileged container in a Deployment",
        deployment("app", {"containers": [container(securityContext={"privileged": True})]}),
        expect="'app' runs privileged",
    ),
    violates(
        PRIVILEGED,
        "privileged init container of a CronJob",
        res(
            CRON_JOB,
            "job",
            {
                "metadata": {"namespace": "team-a"},
                "spec": {
                    "schedule": "0 * * * *",
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "initContainers": [
                                        container("setup", securityContext={"privileged": True})
                                    ],
                                    "containers": [container()],
                                    "restartPolicy": "Never",
                                }
                            }
                        }
                    },
                },
            },
        ),
        expect="'setup' runs privileged",
    ),
    violates(
        PRIVILEGED,
        "pod on the host network",
        res(POD, "p", {"metadata": {}, "spec": {"hostNetwork": True, "containers": [container()]}}),
        expect="hostNetwork",
    ),
    violates(
        PRIVILEGED,
        "system namespaces can be narrowed by config",
        deployment("agent", {"hostPID": True, "containers": [container()]}, "gpu-operator"),
        config={"systemNamespaces": ["kube-system"]},
        expect="hostPID",
    ),
    complies(
        PRIVILEGED,
        "unprivileged workload",
        deployment("app", {"containers": [container(securityContext={"privileged": False})]}),
    ),
    complies(
        PRIVILEGED,
        "device plugin DaemonSet in gpu-operator",
        res(
            DAEMON_SET,
            "device-plugin",
            {
                "metadata": {"namespace": "gpu-operator"},
                "spec": {
                    "template": {
                        "spec": {
                            "hostPID": True,
                            "containers": [container(securityContext={"privileged": True})],
                        }
                    }
                },
            },
        ),
    ),
    violates(
        GPU_LIMITS,
        "GPU without CPU and memory limits",
        deployment("train", {"containers": [gpu_container({"nvidia.com/gpu": 1})]}),
        expect="no limits for: cpu, memory",
    ),
    violates(
        GPU_LIMITS,
        "GPU only requested",
        deployment(
            "train",
            {"containers": [gpu_container({"cpu": "8", "memory": "32Gi"}, {"nvidia.com/gpu": 1})]},
        ),
        expect="nvidia.com/gpu",
    ),
    violates(
        GPU_LIMITS,
        "GPU request differs from its limit",
        deployment("train", {"containers": [gpu_container(FULL_LIMITS, {"nvidia.com/gpu": "2"})]}),
        expect="requests 2 GPUs but limits 1",
    ),
    complies(
        GPU_LIMITS,
        "GPU, CPU and memory limited; request equals limit",
        deployment("train", {"containers": [gpu_container(FULL_LIMITS, {"nvidia.com/gpu": "1"})]}),
        deployment("web", {"containers": [container()]}),
    ),
    violates(
        DEFAULT_DENY, "tenant namespace without policies", tenant, expect="Ingress and Egress"
    ),
    violates(
        DEFAULT_DENY,
        "policy denies ingress only",
        tenant,
        network_policy("deny", "tenant-a", types=("Ingress",)),
        expect="for Egress",
    ),
    violates(
        DEFAULT_DENY,
        "policy selects only some pods",
        tenant,
        network_policy("deny", "tenant-a", selector={"matchLabels": {"app": "web"}}),
    ),
    violates(
        DEFAULT_DENY,
        "an empty ingress rule admits everyone",
        tenant,
        network_policy("allow-all", "tenant-a", ingress=[{}]),
        expect="for Ingress",
    ),
    violates(
        DEFAULT_DENY,
        "default deny in another namespace",
        tenant,
        network_policy("deny", "tenant-b"),
    ),
    complies(
        DEFAULT_DENY, "default deny by namespace name", tenant, network_policy("deny", "tenant-a")
    ),
    complies(
        DEFAULT_DENY,
        "default deny placed through a dependency on the namespace (name unknown in preview)",
        tenant,
        network_policy("deny", deps=[tenant]),
        network_policy(
            "allow-dns",
            "kube-system",
            egress=[
                {"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]}
            ],
        ),
    ),
    complies(
        DEFAULT_DENY,
        "non-tenant namespaces need no policy",
        res(NAMESPACE, "tools", {"metadata": {"name": "tools"}}),
    ),
    violates(INTERNAL_LB, "LoadBalancer without annotations", service(), expect="internal"),
    violates(
        INTERNAL_LB,
        "internet-facing scheme",
        service(**{AWS_SCHEME: "internet-facing"}),
    ),
    complies(
        INTERNAL_LB,
        "AWS Load Balancer Controller internal scheme",
        service(**{AWS_SCHEME: "internal"}),
    ),
    complies(INTERNAL_LB, "legacy internal annotation", service(**{LEGACY_INTERNAL: "true"})),
    complies(INTERNAL_LB, "ClusterIP Service", service("ClusterIP")),
    complies(
        INTERNAL_LB,
        "another provider's annotation added by config",
        service(**{"networking.gke.io/load-balancer-type": "Internal"}),
        config={"internalAnnotations": ["networking.gke.io/load-balancer-type=Internal"]},
    ),
    violates(
        DEFAULT_DENY,
        "a baseline policy with rules admits what its rules allow",
        tenant,
        network_policy(
            "open",
            "tenant-a",
            ingress=[{"from": [{"namespaceSelector": {}}]}],
            egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        ),
        expect="Ingress and Egress",
    ),
]

PLAINTEXT = "k8s-no-plaintext-credentials"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def release(values: dict[str, Any]):  # type: ignore[no-untyped-def]
    return res(HELM_RELEASE, "app", {"chart": "app", "version": "1.0.0", "values": values})


SECRET_REF = {"secretKeyRef": {"name": "app", "key": "password"}}
CASES += [
    violates(
        PLAINTEXT,
        "an API key in a container's env",
        deployment(
            "app", {"containers": [container(env=[{"name": "OPENAI_API_KEY", "value": "sk-1"}])]}
        ),
        expect="OPENAI_API_KEY",
    ),
    violates(
        PLAINTEXT,
        "a database password in an init container's env",
        deployment(
            "app",
            {
                "initContainers": [container("init", env=[{"name": "PGPASSWORD", "value": "x"}])],
                "containers": [container()],
            },
        ),
    ),
    complies(
        PLAINTEXT,
        "the password comes from a Secret",
        deployment(
            "app",
            {"containers": [container(env=[{"name": "DB_PASSWORD", "valueFrom": SECRET_REF}])]},
        ),
    ),
    complies(
        PLAINTEXT,
        "a variable that only names where the token is",
        deployment(
            "app", {"containers": [container(env=[{"name": "TOKEN_FILE", "value": "/var/run/t"}])]}
        ),
    ),
    violates(
        PLAINTEXT,
        "a master key as a Helm value",
        release({"masterkey": "sk-1234", "image": {"tag": "v1"}}),
        expect="values.masterkey",
    ),
    violates(
        PLAINTEXT,
        "a nested password Helm value",
        release({"db": {"auth": {"password": "hunter2"}}}),
        expect="values.db.auth.password",
    ),
    complies(
        PLAINTEXT,
        "Helm values that reference an existing secret",
        release(
            {
                "masterkeySecretName": "gateway",
                "masterkeySecretKey": "masterkey",
                "db": {"existingSecret": "db"},
            }
        ),
    ),
    violates(
        PLAINTEXT,
        "an API key as a command-line option",
        deployment("app", {"containers": [container(args=["serve", "--api-key=sk-live-1"])]}),
        expect="args[1] (--api-key)",
    ),
    violates(
        PLAINTEXT,
        "a password as the word after its option",
        deployment("app", {"containers": [container(command=["db", "--password", "hunter2"])]}),
        expect="command[2] (--password)",
    ),
    complies(
        PLAINTEXT,
        "options that point at a credential or switch one off",
        deployment(
            "app",
            {
                "containers": [
                    container(
                        args=["--api-key=$(API_KEY)", "--token-file", "/var/run/t", "--port=80"],
                        env=[{"name": "HF_HUB_DISABLE_TOKEN", "value": "1"}],
                    )
                ]
            },
        ),
    ),
    violates(
        PLAINTEXT,
        "an env list inside Helm values",
        release({"extraEnv": [{"name": "OPENAI_API_KEY", "value": "sk-1"}]}),
        expect="values.extraEnv[0] (OPENAI_API_KEY)",
    ),
    violates(
        PLAINTEXT,
        "a credential option in a chart's extra arguments",
        release({"server": {"extraArgs": ["--client-secret=abc"]}}),
        expect="values.server.extraArgs[0] (--client-secret)",
    ),
    complies(
        PLAINTEXT,
        "Helm env entries that read a Secret",
        release({"extraEnv": [{"name": "OPENAI_API_KEY", "valueFrom": SECRET_REF}]}),
    ),
    violates(
        PLAINTEXT,
        "a token in a ConfigMap",
        res(CONFIG_MAP, "app", {"data": {"slack_token": "xoxb-1", "region": "us-east-1"}}),
    ),
    complies(
        PLAINTEXT,
        "a ConfigMap of settings",
        res(CONFIG_MAP, "app", {"data": {"region": "us-east-1"}}),
    ),
]
