"""Compute for an EksGpuCluster: Auto Mode GPU NodePools (here), or managed node groups
(`eks_nodegroups`), and the access entries both use.

Both modes keep everything but GPU workloads off GPU nodes (an `nvidia.com/gpu` NoSchedule
taint on every GPU node), cap each pool's GPUs, and let idle GPU nodes go away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.contract import GPU_RESOURCE, GpuNodePool
from components.cluster.eks_args import EksClusterParts, EksGpuPool

KARPENTER_CAPACITY_TYPES = {
    "on-demand": "on-demand",
    "spot": "spot",
    "reserved": "reserved",
    "capacity-block": "reserved",
}
NODE_GROUP_CAPACITY_TYPES = {
    "on-demand": "ON_DEMAND",
    "spot": "SPOT",
    "reserved": "ON_DEMAND",  # launched into the reservation by the launch template
    "capacity-block": "CAPACITY_BLOCK",
}
NODE_GROUP_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")


def cluster_access(
    name: str,
    cluster_name: pulumi.Input[str],
    principal_arn: pulumi.Input[str],
    *,
    access_policy: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    namespaces: Sequence[str] | None = None,
    kubernetes_groups: Sequence[str] = (),
) -> aws.eks.AccessPolicyAssociation:
    """An access entry for `principal_arn` (in `kubernetes_groups`) and its access policy,
    limited to `namespaces` (cluster-wide when None)."""
    entry = aws.eks.AccessEntry(
        name,
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        type="STANDARD",
        kubernetes_groups=list(kubernetes_groups) or None,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    access_scope = (
        aws.eks.AccessPolicyAssociationAccessScopeArgs(
            type="namespace", namespaces=list(namespaces)
        )
        if namespaces is not None
        else aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
    )
    return aws.eks.AccessPolicyAssociation(
        name,
        cluster_name=cluster_name,
        principal_arn=entry.principal_arn,
        policy_arn=access_policy,
        access_scope=access_scope,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _karpenter_taints(pool: GpuNodePool) -> list[dict[str, str]]:
    return [
        {"key": taint.key, "value": taint.value, "effect": taint.effect} for taint in pool.taints
    ]


class EksAutoCompute(pulumi.ComponentResource):
    """EKS Auto Mode GPU capacity: one Karpenter NodePool per GPU pool.

    Each NodePool launches only the pool's instance types and capacity type, taints its nodes
    with `nvidia.com/gpu`, caps the pool's GPUs in `limits`, and consolidates empty nodes
    after ten minutes (WhenEmpty, so running training pods are never moved to save cost).
    Pools on capacity reservations get their own NodeClass selecting the reservations, with
    the cluster's node role. That role needs no access entry of ours: EKS creates the EC2
    entry for the `computeConfig` node role with the cluster, and a second entry for the
    same principal fails ("An IAM principal can't be included in more than one access
    entry"); only a NodeClass with a different role would need one (EKS user guide,
    create-node-class: "If you change the Node IAM Role associated with a NodeClass, you
    will need to create a new Access Entry").

    It also turns on Auto Mode's network policy controller (the `amazon-vpc-cni` ConfigMap
    AWS documents for Auto Mode), so NetworkPolicies are enforced on every node; NodeClasses
    keep the default `networkPolicy: DefaultAllow`, leaving isolation to the policies.
    """

    def __init__(
        self, name: str, cluster: EksClusterParts, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:cluster:EksAutoCompute", name, None, opts)
        args = cluster.args
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[cluster.cluster]
        )
        # What Auto Mode nodes need, and nothing more (no CNI or EBS rights on the node).
        self.node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=cluster.node_role.name,
                policy_arn=args.scope.managed_policy_arn(policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in AUTO_MODE_NODE_POLICIES
        ]
        reserved = [pool for pool in args.pools if pool.capacity_reservation_ids]
        self.node_classes = {
            pool.pool.name: k8s.apiextensions.CustomResource(
                f"{name}-{pool.pool.name}-class",
                api_version="eks.amazonaws.com/v1",
                kind="NodeClass",
                metadata={"name": f"gpu-{pool.pool.name}"},
                spec={
                    "role": cluster.node_role.name,
                    "subnetSelectorTerms": [{"id": subnet} for subnet in args.subnet_ids],
                    "securityGroupSelectorTerms": [
                        {"id": cluster.cluster.vpc_config.cluster_security_group_id}
                    ],
                    "capacityReservationSelectorTerms": [
                        {"id": reservation} for reservation in pool.capacity_reservation_ids
                    ],
                },
                opts=on_cluster,
            )
            for pool in reserved
        }
        self.node_pools = {
            pool.pool.name: k8s.apiextensions.CustomResource(
                f"{name}-{pool.pool.name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": f"gpu-{pool.pool.name}"},
                spec=self._node_pool_spec(pool),
                opts=pulumi.ResourceOptions.merge(
                    on_cluster,
                    pulumi.ResourceOptions(depends_on=list(self.node_classes.values())),
                ),
            )
            for pool in args.pools
        }
        # Auto Mode accepts NetworkPolicies either way but enforces them only once this is
        # on; tenant namespaces' default-deny isolation depends on it.
        self.network_policy = k8s.core.v1.ConfigMap(
            f"{name}-network-policy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="amazon-vpc-cni", namespace="kube-system"),
            data={"enable-network-policy-controller": "true"},
            opts=on_cluster,
        )
        self.ready: list[pulumi.Resource] = [
            cluster.cluster,
            *self.node_policies,
            self.network_policy,
        ]
        self.register_outputs({"nodePools": [f"gpu-{pool.pool.name}" for pool in args.pools]})

    def _node_pool_spec(self, pool: EksGpuPool) -> dict[str, Any]:
        gpu_pool = pool.pool
        families = sorted({instance.split(".")[0] for instance in pool.instance_types})
        return {
            "template": {
                "metadata": {"labels": dict(gpu_pool.labels)},
                "spec": {
                    "nodeClassRef": {
                        "group": "eks.amazonaws.com",
                        "kind": "NodeClass",
                        "name": f"gpu-{gpu_pool.name}"
                        if pool.capacity_reservation_ids
                        else "default",
                    },
                    "requirements": [
                        {
                            "key": "eks.amazonaws.com/instance-family",
                            "operator": "In",
                            "values": families,
                        },
                        {
                            "key": "node.kubernetes.io/instance-type",
                            "operator": "In",
                            "values": list(pool.instance_types),
                        },
                        {
                            "key": "karpenter.sh/capacity-type",
                            "operator": "In",
                            "values": [KARPENTER_CAPACITY_TYPES[pool.capacity_type]],
                        },
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    ],
                    "taints": _karpenter_taints(gpu_pool),
                },
            },
            "limits": {GPU_RESOURCE: str(gpu_pool.max_gpus)},
            "disruption": {
                "consolidationPolicy": "WhenEmpty",
                # A Capacity Block is paid for whether or not its nodes run; keeping them
                # saves the re-provisioning wait (AWS's own guidance).
                "consolidateAfter": "Never" if pool.capacity_type == "capacity-block" else "10m",
            },
        }
