"""A CoreWeave Kubernetes Service (CKS) cluster for GPU workloads, meeting the GpuCluster
contract: its own CoreWeave VPC, the CKS control plane, and GPU pools as CoreWeave NodePool
custom resources."""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_coreweave as coreweave
import pulumi_kubernetes as k8s

from components.cluster.contract import (
    GpuCluster,
    GpuClusterOutputs,
    GpuNodePool,
    HelmChart,
    NodeGpuSoftware,
)
from components.cluster.instances import COREWEAVE_GPU_MACHINES
from components.cluster.kubeconfig import cluster_provider

# CoreWeave's own Kueue chart: upstream Kueue's webhooks would intercept CKS system pods.
# cks-kueue 1.4.0 serves the v1beta1 Kueue API. The chart is CoreWeave's (docs.coreweave.com,
# CKS > CoreWeave charts > Kueue); CoreWeave publishes no version list, so 1.4.0 is confirmed
# only by public infrastructure code pinning it (marin-community/marin, "v1beta1 for
# cks-kueue 1.4.0"). Check with `helm search repo coreweave/cks-kueue --versions`.
CKS_KUEUE = HelmChart("cks-kueue", "1.4.0", "https://charts.core-services.ingress.coreweave.com")
CKS_KUEUE_API = "kueue.x-k8s.io/v1beta1"
POD_PREFIX, SERVICE_PREFIX, INTERNAL_LB_PREFIX = "pod-cidr", "service-cidr", "internal-lb-cidr"

# Record who did what to every object (request metadata, never secret payloads).
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [{"level": "Metadata"}],
}


@dataclass(frozen=True)
class CoreWeaveGpuPool:
    """One GPU pool: a CoreWeave NodePool of a single instance type."""

    pool: GpuNodePool
    instance_type: str


@dataclass(frozen=True)
class CoreWeaveGpuClusterArgs:
    """Inputs of a CoreWeaveGpuCluster.

    - `vpc_prefix` (a private /16 or larger) is split into the pod range (first half), the
      service range and the internal load-balancer range.
    - `public_endpoint` False keeps the API server reachable only from the CoreWeave VPC;
      `pulumi up` must then run from there to apply the node pools and GPU layer.
    - `protect` protects the cluster and its VPC from `pulumi destroy`.
    """

    cluster_name: str
    kubernetes_version: str
    zone: str
    vpc_prefix: str
    pools: Sequence[CoreWeaveGpuPool]
    public_endpoint: bool = False
    protect: bool = False


def vpc_prefixes(vpc_prefix: str) -> dict[str, str]:
    """The named ranges CKS takes from the VPC: pods, services, internal load balancers."""
    network = ipaddress.IPv4Network(vpc_prefix)
    pods, rest = network.subnets(prefixlen_diff=1)
    service, internal_lb = list(rest.subnets(new_prefix=22))[:2]
    return {
        POD_PREFIX: str(pods),
        SERVICE_PREFIX: str(service),
        INTERNAL_LB_PREFIX: str(internal_lb),
    }


class CoreWeaveGpuCluster(GpuCluster):
    """A CKS cluster:

    - a CoreWeave VPC whose public LoadBalancer services are disabled (services are exposed
      through the platform's gateway, not one by one);
    - the CKS cluster at the given Kubernetes minor, private API server by default, with an
      audit policy logging request metadata;
    - one `compute.coreweave.com/v1alpha1` NodePool per GPU pool, tainted `nvidia.com/gpu`,
      labelled, autoscaling between min and max nodes (rack-scale GB200/GB300 pools are
      fixed at whole racks, as CKS requires);
    - a Kubernetes provider authenticating with COREWEAVE_API_TOKEN from the environment.

    CoreWeave runs the NVIDIA driver, device plugin, GPU Operator and DCGM exporter on its
    nodes itself, so the GPU layer installs none of them here.
    """

    def __init__(
        self,
        name: str,
        args: CoreWeaveGpuClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("plinth:cluster:CoreWeaveGpuCluster", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        prefixes = vpc_prefixes(args.vpc_prefix)
        self.vpc = coreweave.NetworkingVpc(
            f"{name}-vpc",
            name=args.cluster_name,
            zone=args.zone,
            vpc_prefixes=[
                coreweave.NetworkingVpcVpcPrefixArgs(name=key, value=value)
                for key, value in prefixes.items()
            ],
            ingress=coreweave.NetworkingVpcIngressArgs(disable_public_services=True),
            opts=stateful,
        )
        self.cluster = coreweave.CksCluster(
            name,
            name=args.cluster_name,
            zone=args.zone,
            version=f"v{args.kubernetes_version}",
            vpc_id=self.vpc.id,
            public=args.public_endpoint,
            pod_cidr_name=POD_PREFIX,
            service_cidr_name=SERVICE_PREFIX,
            internal_lb_cidr_names=[INTERNAL_LB_PREFIX],
            audit_policy=base64.b64encode(json.dumps(AUDIT_POLICY).encode()).decode(),
            opts=stateful,
        )
        endpoint = pulumi.Output.concat("https://", self.cluster.api_server_endpoint)
        self.provider = cluster_provider(
            f"{name}-k8s",
            cloud="coreweave",
            endpoint=endpoint,
            cluster_name=self.cluster.name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_pools = {
            pool.pool.name: k8s.apiextensions.CustomResource(
                f"{name}-{pool.pool.name}",
                api_version="compute.coreweave.com/v1alpha1",
                kind="NodePool",
                metadata={"name": f"gpu-{pool.pool.name}"},
                spec=node_pool_spec(pool),
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.provider, depends_on=[self.cluster]
                ),
            )
            for pool in args.pools
        }
        self._register(
            GpuClusterOutputs(
                cloud="coreweave",
                cluster_name=self.cluster.name,
                endpoint=endpoint,
                oidc_issuer_url=self.cluster.service_account_oidc_issuer_url,
                kubernetes_version=args.kubernetes_version,
                kubernetes_provider=self.provider,
                gpu_pools=tuple(pool.pool for pool in args.pools),
                node_software=NodeGpuSoftware(
                    driver=True,
                    device_plugin=True,
                    gpu_operator_managed_by_cloud=True,
                    kueue=CKS_KUEUE,
                    kueue_api_version=CKS_KUEUE_API,
                ),
                ready=[self.cluster],
                pool_resources=self.node_pools,
            )
        )


def node_pool_spec(pool: CoreWeaveGpuPool) -> dict[str, Any]:
    """The NodePool spec: rack-scale types are fixed at their size, others autoscale."""
    gpu_pool = pool.pool
    scaling: dict[str, Any]
    if COREWEAVE_GPU_MACHINES[pool.instance_type].rack_nodes:
        scaling = {"targetNodes": gpu_pool.max_nodes, "autoscaling": False}
    else:
        scaling = {
            "targetNodes": gpu_pool.min_nodes,
            "autoscaling": True,
            "minNodes": gpu_pool.min_nodes,
            "maxNodes": gpu_pool.max_nodes,
        }
    return {
        "instanceType": pool.instance_type,
        **scaling,
        "nodeLabels": dict(gpu_pool.labels),
        "nodeTaints": [
            {"key": taint.key, "value": taint.value, "effect": taint.effect}
            for taint in gpu_pool.taints
        ],
    }
