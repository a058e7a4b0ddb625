"""One open model served by vLLM's OpenAI-compatible server, behind the gateway."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import GPU_RESOURCE, POOL_LABEL, Taint
from components.gateway.identity import PodRole, PodRoleArgs
from components.iam import Statement, key_through, suffixed
from components.scope import AwsScope
from components.serving.contract import (
    MODEL_PORT,
    MODEL_SERVER_LABEL,
    SERVING_NAMESPACE,
    SERVING_QUEUE,
)
from components.serving.metrics_proxy import metrics_sidecar, proxy_config

VLLM_IMAGE = "vllm/vllm-openai"
# v0.31.0 (2026-10) built for CUDA 12.9, which the R570 drivers of current EKS GPU node images
# run (the plain v0.31.0 tag needs CUDA 13 and an R580 driver). The vLLM repository is too
# large to fetch here; confirmed through public pins of vllm/vllm-openai:v0.31.0-cu129 by
# digest (sha256:b18abb2d...) and the image's ENTRYPOINT ["vllm", "serve"] in
# docker/Dockerfile of vllm-project/vllm.
VLLM_TAG = "v0.31.0-cu129"
VLLM_USER = 2000
"""The image's built-in non-root `vllm` user (docs/deployment/docker.md)."""
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
"""On the Deployment itself: Kueue's deployment integration (on by default since 0.9) admits
each pod as its own workload through this LocalQueue."""
INFERENCE_PRIORITY = "plinth-inference"

# Reading the weights: the streamer lists the prefix, then reads objects in ranges.
WEIGHTS_LIST_ACTIONS = ("s3:ListBucket",)
WEIGHTS_READ_ACTIONS = ("s3:GetObject",)
WEIGHTS_KEY_ACTIONS = ("kms:Decrypt",)
"""The weights are SSE-KMS objects under the platform key: S3 decrypts them for the reader."""

SCRATCH = "/tmp"
"""The one writable directory (an emptyDir): caches of Hugging Face, vLLM, Triton and torch."""
SHARED_MEMORY_GB = 16
"""/dev/shm for tensor-parallel workers (vLLM's docs: --ipc=host or a large --shm-size); it
is memory, so at most a quarter of the replica's memory."""
STREAMER_BUFFER_SHARE = 4
"""The Run:ai streamer's CPU buffer gets a quarter of the replica's memory. Its default (-1)
holds every weight file whole in memory at once (runai-model-streamer docs, "CPU Memory
Capping"), so an 8B model in bf16 (16 GB) would kill a 12 GiB replica; a bounded buffer is
reused, and only has to hold the largest tensor (about 1 GB for an 8B model's embeddings,
2 GB for a 70B model's)."""
GIB = 1024**3
STARTUP_MINUTES = 30
"""How long a replica may take to stream its weights and warm up before it is restarted."""
NODE_START_MINUTES = 15
"""A GPU node's launch and the image pull, before the startup probe's clock starts."""
SKIP_AWAIT = "pulumi.com/skipAwait"


@dataclass(frozen=True)
class ServedModelArgs:
    """One served model (see plinth.spec.gateway.ServedModelSpec for each field's meaning)."""

    scope: AwsScope
    name_prefix: str
    cluster_name: pulumi.Input[str]
    name: str
    pool: str
    taints: Sequence[Taint]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    bucket_key_arn: pulumi.Input[str]
    path: str
    gpus: int
    replicas: int
    cpus: int
    memory_gb: int
    max_model_len: int | None
    gpu_memory_utilization: float
    tags: Mapping[str, str]
    kubernetes_provider: k8s.Provider
    after: Sequence[pulumi.Resource] = ()
    """Kubernetes objects to wait for (the serving namespace's queue)."""


def weights_statements(
    bucket_arn: pulumi.Input[str], path: str, key_arn: pulumi.Input[str], region: str
) -> list[Statement]:
    """List and read the objects under one prefix of one bucket, nothing else in it, and
    decrypt them only as S3 reads them (plain JSON-ready dicts when the ARNs are strings, so
    tests evaluate these very statements)."""
    return [
        {
            "Sid": "ListTheModelWeights",
            "Effect": "Allow",
            "Action": list(WEIGHTS_LIST_ACTIONS),
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [path, f"{path}/*"]}},
        },
        {
            "Sid": "ReadTheModelWeights",
            "Effect": "Allow",
            "Action": list(WEIGHTS_READ_ACTIONS),
            "Resource": suffixed(bucket_arn, f"/{path}/*"),
        },
        key_through(
            "DecryptTheWeightsThroughS3", key_arn, WEIGHTS_KEY_ACTIONS, service="s3", region=region
        ),
    ]


def vllm_arguments(args: ServedModelArgs) -> list[pulumi.Input[str]]:
    """`vllm serve` arguments: the weights streamed straight from S3 (Run:ai Model Streamer,
    credentials from boto3's chain, which serves Pod Identity), one server per replica with
    tensor parallelism over its GPUs."""
    arguments: list[pulumi.Input[str]] = [
        pulumi.Output.concat("s3://", args.bucket_name, f"/{args.path}"),
        "--load-format=runai_streamer",
        f"--served-model-name={args.name}",
        f"--port={MODEL_PORT}",
        f"--tensor-parallel-size={args.gpus}",
        f"--gpu-memory-utilization={args.gpu_memory_utilization}",
    ]
    if args.max_model_len:
        arguments.append(f"--max-model-len={args.max_model_len}")
    return arguments


class ServedModel(pulumi.ComponentResource):
    """A Deployment of vLLM's OpenAI-compatible server for one model, and its Service:

    - weights streamed from the models bucket at start through a Pod Identity role that may
      read only the model's prefix (no copy on node disk, no Hugging Face Hub access);
    - GPUs per replica matching the pool (tensor parallelism within a node), the pool's node
      label and GPU taint tolerations, CPU and memory limits;
    - admitted by Kueue through the serving queue at plinth-inference priority;
    - readiness on vLLM's `/health` (the server answers only once the model is loaded), a
      startup allowance for streaming the weights;
    - non-root (the image's `vllm` user), no privilege escalation, no capabilities, no
      service account token; the Service is ClusterIP, reachable only from the gateway;
    - a metrics sidecar (NGINX, `metrics` port 8081) that answers vLLM's `/metrics` and
      nothing else, for the metrics collector (components/serving/metrics_proxy.py);
    - replicas 0 scales the model to zero: its pool's nodes scale away, the gateway's
      fallbacks answer. Rollouts replace pods one at a time without a surge pod, which
      would need a GPU more than the model holds.
    """

    service_url: str

    def __init__(
        self, name: str, args: ServedModelArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:serving:ServedModel", name, None, opts)
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=list(args.after)
        )
        service_account = f"model-{args.name}"
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": service_account, "namespace": SERVING_NAMESPACE},
            automount_service_account_token=False,
            opts=on_cluster,
        )
        role = PodRole(
            f"{name}-role",
            PodRoleArgs(
                scope=args.scope,
                role_name=f"{args.name_prefix}-model-{args.name}",
                description=f"Served model {args.name}: reads its weights",
                cluster_name=args.cluster_name,
                namespace=SERVING_NAMESPACE,
                service_account=service_account,
                statements=weights_statements(
                    args.bucket_arn, args.path, args.bucket_key_arn, args.scope.region
                ),
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        proxy = k8s.core.v1.ConfigMap(
            f"{name}-metrics-proxy",
            metadata={"name": f"{args.name}-metrics-proxy", "namespace": SERVING_NAMESPACE},
            data={"default.conf": proxy_config()},
            opts=on_cluster,
        )
        labels = {MODEL_SERVER_LABEL: args.name}
        deployment: Any = {
            "replicas": args.replicas,
            "progressDeadlineSeconds": (STARTUP_MINUTES + NODE_START_MINUTES) * 60,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": self._pod_spec(args, account, f"{args.name}-metrics-proxy"),
            },
        }
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": args.name,
                "namespace": SERVING_NAMESPACE,
                "labels": {**labels, QUEUE_LABEL: SERVING_QUEUE},
                # A GPU node, the image and the weights take longer than Pulumi's 10-minute
                # wait; readiness is the startup probe's (and the gateway's fallbacks') job.
                "annotations": {SKIP_AWAIT: "true"},
            },
            spec=deployment,
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[role, account, proxy])
            ),
        )
        service: Any = {
            "type": "ClusterIP",
            "selector": labels,
            "ports": [
                {"name": "http", "port": MODEL_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        }
        k8s.core.v1.Service(
            f"{name}-service",
            metadata={
                "name": args.name,
                "namespace": SERVING_NAMESPACE,
                "labels": labels,
                "annotations": {SKIP_AWAIT: "true"},
            },
            spec=service,
            opts=on_cluster,
        )
        self.service_url = f"http://{args.name}.{SERVING_NAMESPACE}.svc.cluster.local:{MODEL_PORT}"
        self.register_outputs({"serviceUrl": self.service_url, "replicas": args.replicas})

    @staticmethod
    def _pod_spec(
        args: ServedModelArgs, account: k8s.core.v1.ServiceAccount, proxy_config_map: str
    ) -> dict[str, Any]:
        resources = {
            GPU_RESOURCE: str(args.gpus),
            "cpu": str(args.cpus),
            "memory": f"{args.memory_gb}Gi",
        }
        health = {"httpGet": {"path": "/health", "port": "http"}}
        shared_memory_gb = max(1, min(SHARED_MEMORY_GB, args.memory_gb // 4))
        streamer_buffer_bytes = args.memory_gb * GIB // STREAMER_BUFFER_SHARE
        sidecar, sidecar_volumes = metrics_sidecar(proxy_config_map)
        return {
            "serviceAccountName": account.metadata.name,
            "automountServiceAccountToken": False,
            "priorityClassName": INFERENCE_PRIORITY,
            "nodeSelector": {POOL_LABEL: args.pool},
            "tolerations": [taint.toleration() for taint in args.taints],
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": VLLM_USER,
                "runAsGroup": VLLM_USER,
                "fsGroup": VLLM_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "vllm",
                    "image": f"{VLLM_IMAGE}:{VLLM_TAG}",
                    "args": vllm_arguments(args),
                    "ports": [{"name": "http", "containerPort": MODEL_PORT}],
                    "env": [
                        {"name": "AWS_REGION", "value": args.scope.region},
                        {"name": "HOME", "value": SCRATCH},
                        {"name": "XDG_CACHE_HOME", "value": f"{SCRATCH}/cache"},
                        {"name": "HF_HOME", "value": f"{SCRATCH}/huggingface"},
                        # Never fetch from the Hub: the weights come from the bucket only.
                        {"name": "HF_HUB_OFFLINE", "value": "1"},
                        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
                        {"name": "DO_NOT_TRACK", "value": "1"},
                        {
                            "name": "RUNAI_STREAMER_MEMORY_LIMIT",
                            "value": str(streamer_buffer_bytes),
                        },
                    ],
                    "resources": {"requests": resources, "limits": resources},
                    "startupProbe": {
                        **health,
                        "periodSeconds": 10,
                        "failureThreshold": STARTUP_MINUTES * 6,
                    },
                    "readinessProbe": {**health, "periodSeconds": 10, "failureThreshold": 3},
                    "livenessProbe": {**health, "periodSeconds": 30, "failureThreshold": 4},
                    # Read-only but for SCRATCH (HOME and every cache point there) and
                    # /dev/shm.
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "runAsNonRoot": True,
                        "readOnlyRootFilesystem": True,
                    },
                    "volumeMounts": [
                        {"name": "scratch", "mountPath": SCRATCH},
                        {"name": "shm", "mountPath": "/dev/shm"},
                    ],
                },
                sidecar,
            ],
            "volumes": [
                {"name": "scratch", "emptyDir": {"sizeLimit": "20Gi"}},
                {
                    "name": "shm",
                    "emptyDir": {"medium": "Memory", "sizeLimit": f"{shared_memory_gb}Gi"},
                },
                *sidecar_volumes,
            ],
        }
