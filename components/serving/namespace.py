"""The namespace self-hosted models run in: its Kueue queues and its network fence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import GPU_RESOURCE
from components.cluster.software import ANY_FLAVOR, PRIORITY_CLASSES, kueue_cohort_field
from components.gateway.network import (
    BASE_EGRESS,
    DEFAULT_DENY,
    PUBLIC_HTTPS,
    namespace_network_policies,
    restricted_namespace,
)
from components.serving.contract import (
    METRICS_PORT,
    MODEL_PORT,
    MODEL_SERVER_LABEL,
    SERVING_CLUSTER_QUEUE,
    SERVING_NAMESPACE,
    SERVING_QUEUE,
)
from components.tenant.contract import TenantCluster
from components.tenant.kubernetes import NAMESPACE_NAME_LABEL

TRAINING_PRIORITY = PRIORITY_CLASSES["plinth-training"]
"""Model servers (priority plinth-inference) may preempt tenant workloads up to this priority
to take back the GPUs they need: training and batch, never another tenant's inference."""


@dataclass(frozen=True)
class ModelServingArgs:
    """Where the models run and what they may borrow.

    - `gpus`: `nvidia.com/gpu` units all served models need at their replica counts, per pool.
    - `cpu`, `memory`: the same for CPU cores and memory (Kubernetes quantities).
    - `gateway_namespace`, `gateway_pods`: the only pods allowed to call a model server.
    - `metrics_scrapers`: address ranges allowed to read the model servers' metrics sidecars
      (the metrics collector's), and nothing else of them.
    """

    cluster: TenantCluster
    gpus: Mapping[str, int]
    cpu: str
    memory: str
    gateway_namespace: str
    gateway_pods: Mapping[str, str]
    metrics_scrapers: Sequence[str] = ()


class ModelServing(pulumi.ComponentResource):
    """The `plinth-models` namespace of the gateway's cluster, shared by every served model:

    - `restricted` Pod Security, like the gateway's namespace;
    - Kueue: a ClusterQueue for this namespace alone in the platform cohort, with no quota
      of its own and a borrowing limit of exactly what the served models need, and the
      `serving` LocalQueue the model Deployments name. Model pods are plinth-inference
      priority and may reclaim GPUs tenants borrowed for training or batch work (never
      another tenant's inference), so a model that scales up finds its GPUs;
    - NetworkPolicies: default deny; ingress to model pods only from the gateway's proxy pods
      on the model port, and from `metrics_scrapers` on the metrics sidecar's; egress only
      to DNS, the Pod Identity agent and HTTPS outside the VPC's private ranges (S3 for the
      weights, through the VPC's gateway endpoint), so a model server reaches no other
      service of the cluster or the VPC.
    """

    namespace: str

    def __init__(
        self, name: str, args: ModelServingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:serving:ModelServing", name, None, opts)
        self._name, self._args = name, args
        self.namespace = SERVING_NAMESPACE
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.cluster.kubernetes_provider)
        namespace = restricted_namespace(
            f"{name}-namespace",
            SERVING_NAMESPACE,
            pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=list(args.cluster.ready))
            ),
        )
        self.in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        self._network_policies()
        cluster_queue = k8s.apiextensions.CustomResource(
            f"{name}-cluster-queue",
            api_version=args.cluster.kueue_api_version,
            kind="ClusterQueue",
            metadata={"name": SERVING_CLUSTER_QUEUE},
            spec=self._cluster_queue_spec(),
            opts=self.in_namespace,
        )
        self.local_queue = k8s.apiextensions.CustomResource(
            f"{name}-local-queue",
            api_version=args.cluster.kueue_api_version,
            kind="LocalQueue",
            metadata={"name": SERVING_QUEUE, "namespace": SERVING_NAMESPACE},
            spec={"clusterQueue": SERVING_CLUSTER_QUEUE},
            opts=pulumi.ResourceOptions.merge(
                self.in_namespace, pulumi.ResourceOptions(depends_on=[cluster_queue])
            ),
        )
        self.register_outputs({"namespace": self.namespace, "queue": SERVING_QUEUE})

    def _cluster_queue_spec(self) -> dict[str, Any]:
        args = self._args
        resource_groups: list[dict[str, Any]] = []
        if args.gpus:
            resource_groups.append(
                {
                    "coveredResources": [GPU_RESOURCE],
                    "flavors": [
                        {"name": args.cluster.gpu_flavors[pool], "resources": [_borrowed(gpus)]}
                        for pool, gpus in args.gpus.items()
                    ],
                }
            )
        resource_groups.append(
            {
                "coveredResources": ["cpu", "memory"],
                "flavors": [
                    {
                        "name": ANY_FLAVOR,
                        "resources": [
                            _borrowed(args.cpu, "cpu"),
                            _borrowed(args.memory, "memory"),
                        ],
                    }
                ],
            }
        )
        return {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: SERVING_NAMESPACE}},
            kueue_cohort_field(args.cluster.kueue_api_version): args.cluster.cohort,
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": resource_groups,
            "preemption": {
                # Kueue accepts borrowWithinCohort only with reclaiming allowed; with no
                # nominal quota there is nothing to reclaim, so borrowing decides.
                "reclaimWithinCohort": "Any",
                "borrowWithinCohort": {
                    "policy": "LowerPriority",
                    "maxPriorityThreshold": TRAINING_PRIORITY,
                },
                "withinClusterQueue": "LowerPriority",
            },
        }

    def _network_policies(self) -> None:
        args = self._args
        model_pods = {"matchExpressions": [{"key": MODEL_SERVER_LABEL, "operator": "Exists"}]}
        gateway = {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: args.gateway_namespace}},
            "podSelector": {"matchLabels": dict(args.gateway_pods)},
        }
        policies: dict[str, dict[str, Any]] = {
            "default-deny": DEFAULT_DENY,
            "allow-gateway": {
                "podSelector": model_pods,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [gateway], "ports": [{"protocol": "TCP", "port": MODEL_PORT}]}
                ],
            },
            "allow-egress": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [*BASE_EGRESS, PUBLIC_HTTPS],
            },
        }
        if args.metrics_scrapers:
            policies["allow-metrics-scrape"] = {
                "podSelector": model_pods,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"ipBlock": {"cidr": cidr}} for cidr in args.metrics_scrapers],
                        "ports": [{"protocol": "TCP", "port": METRICS_PORT}],
                    }
                ],
            }
        namespace_network_policies(self._name, SERVING_NAMESPACE, policies, self.in_namespace)


def _borrowed(limit: int | str, resource: str = GPU_RESOURCE) -> dict[str, Any]:
    return {"name": resource, "nominalQuota": 0, "borrowingLimit": limit}
