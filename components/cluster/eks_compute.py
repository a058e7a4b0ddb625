"""Compute for an EksGpuCluster: Auto Mode GPU NodePools, or managed node groups.

Both modes keep everything but GPU workloads off GPU nodes (an `nvidia.com/gpu` NoSchedule
taint on every GPU node), cap each pool's GPUs, and let idle GPU nodes go away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.contract import GPU_RESOURCE, GpuNodePool
from components.cluster.software import sharing_node_labels
from components.iam import policy_document, service_trust_policy

if TYPE_CHECKING:
    from components.cluster.eks import EksGpuCluster, EksGpuPool

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
AUTO_NODE_ACCESS_POLICY = "AmazonEKSAutoNodePolicy"
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")


def cluster_access(
    name: str,
    cluster_name: pulumi.Input[str],
    principal_arn: pulumi.Input[str],
    *,
    access_policy: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    entry_type: str = "STANDARD",
    namespaces: Sequence[str] | None = None,
    kubernetes_groups: Sequence[str] = (),
) -> aws.eks.AccessPolicyAssociation:
    """An access entry for `principal_arn` (in `kubernetes_groups`) and its access policy,
    limited to `namespaces` (cluster-wide when None)."""
    entry = aws.eks.AccessEntry(
        name,
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        type=entry_type,
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
    Pools on capacity reservations get their own NodeClass selecting the reservations, and
    the node role an EC2 access entry, as Auto Mode requires for custom NodeClasses.

    It also turns on Auto Mode's network policy controller (the `amazon-vpc-cni` ConfigMap
    AWS documents for Auto Mode), so NetworkPolicies are enforced on every node; NodeClasses
    keep the default `networkPolicy: DefaultAllow`, leaving isolation to the policies.
    """

    def __init__(
        self, name: str, cluster: EksGpuCluster, opts: pulumi.ResourceOptions | None = None
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
        node_access = (
            [
                cluster_access(
                    f"{name}-nodes",
                    cluster.cluster.name,
                    cluster.node_role.arn,
                    entry_type="EC2",
                    access_policy=args.scope.eks_access_policy_arn(AUTO_NODE_ACCESS_POLICY),
                    tags=args.tags,
                    parent=self,
                )
            ]
            if reserved
            else []
        )
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
                opts=pulumi.ResourceOptions.merge(
                    on_cluster, pulumi.ResourceOptions(depends_on=node_access)
                ),
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


# Pinned EKS add-on builds per Kubernetes minor (from AWS's add-on version tables); a stack
# can override any of them. Check with `aws eks describe-addon-versions --addon-name NAME
# --kubernetes-version X.Y` before bumping the cluster.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.33.10-eksbuild.13",
        "coredns": "v1.13.2-eksbuild.4",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
        "aws-ebs-csi-driver": "v1.54.0-eksbuild.1",
    },
    "1.34": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.34.6-eksbuild.13",
        "coredns": "v1.13.2-eksbuild.4",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
        "aws-ebs-csi-driver": "v1.54.0-eksbuild.1",
    },
    "1.35": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.35.3-eksbuild.13",
        "coredns": "v1.13.2-eksbuild.4",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
        "aws-ebs-csi-driver": "v1.54.0-eksbuild.1",
    },
}
# Add-ons nodes need to become Ready (networking, pod credentials): installed before nodes.
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# The VPC CNI enforces NetworkPolicies (its eBPF node agent) only when asked to; tenant
# isolation depends on them.
ADDON_CONFIGURATION: dict[str, dict[str, str]] = {"vpc-cni": {"enableNetworkPolicy": "true"}}

CLUSTER_AUTOSCALER_CHART = (
    "cluster-autoscaler",
    "9.58.0",
    "https://kubernetes.github.io/autoscaler",
)
# The autoscaler's minor must match the cluster's.
CLUSTER_AUTOSCALER_IMAGES = {"1.33": "v1.33.0", "1.34": "v1.34.2", "1.35": "v1.35.0"}
SYSTEM_LABEL = {"plinth.dev/node-role": "system"}


class EksNodeGroupCompute(pulumi.ComponentResource):
    """Managed node groups for an EksGpuCluster:

    - a small on-demand system node group (2 to 3 nodes, untainted) for add-ons;
    - one GPU node group per pool on the NVIDIA AL2023 AMI (drivers and container toolkit
      on the image), tainted, labelled, min size as low as 0; EFA pools get a launch template
      with an EFA interface and a cluster placement group in one subnet, reserved pools
      launch into their reservation or Capacity Block;
    - the core add-ons at pinned versions, with IAM through EKS Pod Identity (the VPC CNI and
      the EBS CSI driver get their own roles; the node role keeps only what nodes need), and
      the VPC CNI enforcing NetworkPolicies (`enableNetworkPolicy`);
    - the Cluster Autoscaler, which scales the GPU node groups from zero on demand and back.
    """

    def __init__(
        self,
        name: str,
        cluster: EksGpuCluster,
        addon_versions: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("plinth:cluster:EksNodeGroupCompute", name, None, opts)
        self._cluster = cluster
        self._name = name
        args = cluster.args
        versions = {**ADDON_VERSIONS[args.kubernetes_version], **(addon_versions or {})}
        child = pulumi.ResourceOptions(parent=self)

        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=cluster.node_role.name,
                policy_arn=args.scope.managed_policy_arn(policy),
                opts=child,
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]
        cni_role = self._pod_role("vpc-cni", managed_policy="AmazonEKS_CNI_Policy")
        ebs_role = self._pod_role("ebs-csi", managed_policy="service-role/AmazonEBSCSIDriverPolicy")
        pod_roles = {
            "vpc-cni": ("aws-node", cni_role),
            "aws-ebs-csi-driver": ("ebs-csi-controller-sa", ebs_role),
        }

        self.addons: dict[str, aws.eks.Addon] = {}
        for addon in BEFORE_NODES:
            self.addons[addon] = self._addon(addon, versions[addon], pod_roles.get(addon))

        self.system_nodes = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.cluster.name,
            node_role_arn=cluster.node_role.arn,
            subnet_ids=list(args.subnet_ids),
            ami_type="AL2023_x86_64_STANDARD",
            instance_types=[args.system_instance_type],
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=2, max_size=3, desired_size=2
            ),
            labels=SYSTEM_LABEL,
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*node_policies, *self.addons.values()]
            ),
        )
        after_nodes = pulumi.ResourceOptions(depends_on=[self.system_nodes])
        for addon in ("coredns", "aws-ebs-csi-driver"):
            self.addons[addon] = self._addon(
                addon, versions[addon], pod_roles.get(addon), after_nodes
            )

        self.gpu_node_groups = {
            pool.pool.name: self._gpu_node_group(pool, [*node_policies, *self.addons.values()])
            for pool in args.pools
        }
        self.autoscaler = self._cluster_autoscaler()
        self.ready: list[pulumi.Resource] = [self.system_nodes, self.addons["coredns"]]
        self.register_outputs(
            {
                "systemNodeGroup": self.system_nodes.node_group_name,
                "gpuNodeGroups": {k: v.node_group_name for k, v in self.gpu_node_groups.items()},
                "addons": {k: v.addon_version for k, v in self.addons.items()},
            }
        )

    def _pod_role(
        self,
        purpose: str,
        *,
        managed_policy: str | None = None,
        inline_policy: pulumi.Input[str] | None = None,
    ) -> aws.iam.Role:
        """A role only EKS Pod Identity can assume, and only for this cluster."""
        cluster, args = self._cluster, self._cluster.args
        role = aws.iam.Role(
            f"{self._name}-{purpose}",
            description=f"Pod Identity role of {purpose} on {args.cluster_name}",
            assume_role_policy=service_trust_policy(
                args.scope.service_principal("pods.eks", parent=self),
                source_account=args.scope.account_id,
                source_arn_like=cluster.cluster.arn,
                # Pod Identity passes the pod's namespace and service account as session tags.
                actions=("sts:AssumeRole", "sts:TagSession"),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if managed_policy:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{purpose}",
                role=role.name,
                policy_arn=args.scope.managed_policy_arn(managed_policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if inline_policy is not None:
            aws.iam.RolePolicy(
                f"{self._name}-{purpose}",
                role=role.id,
                policy=inline_policy,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _addon(
        self,
        addon: str,
        version: str,
        pod_identity: tuple[str, aws.iam.Role] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> aws.eks.Addon:
        associations = (
            [
                aws.eks.AddonPodIdentityAssociationArgs(
                    service_account=pod_identity[0], role_arn=pod_identity[1].arn
                )
            ]
            if pod_identity
            else None
        )
        configuration = ADDON_CONFIGURATION.get(addon)
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._cluster.cluster.name,
            addon_name=addon,
            addon_version=version,
            configuration_values=json.dumps(configuration) if configuration else None,
            pod_identity_associations=associations,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=dict(self._cluster.args.tags),
            opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts),
        )

    def _gpu_node_group(
        self, pool: EksGpuPool, depends_on: list[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        cluster, args, gpu_pool = self._cluster, self._cluster.args, pool.pool
        subnets = list(args.subnet_ids)
        launch_template = None
        if pool.efa or pool.capacity_reservation_ids:
            template = self._launch_template(pool)
            launch_template = aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            )
            if pool.efa:
                # A cluster placement group lives in one Availability Zone.
                subnets = subnets[:1]
        return aws.eks.NodeGroup(
            f"{self._name}-{gpu_pool.name}",
            cluster_name=cluster.cluster.name,
            node_role_arn=cluster.node_role.arn,
            subnet_ids=subnets,
            ami_type="AL2023_x86_64_NVIDIA",
            instance_types=list(pool.instance_types),
            capacity_type=NODE_GROUP_CAPACITY_TYPES[pool.capacity_type],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=gpu_pool.min_nodes,
                max_size=gpu_pool.max_nodes,
                desired_size=gpu_pool.min_nodes,
            ),
            labels={**gpu_pool.labels, **sharing_node_labels(gpu_pool)},
            taints=[
                aws.eks.NodeGroupTaintArgs(
                    key=taint.key, value=taint.value, effect=NODE_GROUP_EFFECTS[taint.effect]
                )
                for taint in gpu_pool.taints
            ],
            launch_template=launch_template,
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                # The Cluster Autoscaler owns the desired size once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _launch_template(self, pool: EksGpuPool) -> aws.ec2.LaunchTemplate:
        cluster, args, gpu_pool = self._cluster, self._cluster.args, pool.pool
        settings: dict[str, Any] = {}
        if pool.efa:
            placement = aws.ec2.PlacementGroup(
                f"{self._name}-{gpu_pool.name}",
                strategy="cluster",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            settings["placement"] = aws.ec2.LaunchTemplatePlacementArgs(group_name=placement.name)
            settings["network_interfaces"] = [
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    network_card_index=0,
                    interface_type="efa",
                    delete_on_termination="true",
                    security_groups=[cluster.cluster.vpc_config.cluster_security_group_id],
                )
            ]
        if pool.capacity_reservation_ids:
            settings["capacity_reservation_specification"] = (
                aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                    capacity_reservation_target=aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                        capacity_reservation_id=pool.capacity_reservation_ids[0]
                    )
                )
            )
            if pool.capacity_type == "capacity-block":
                settings["instance_market_options"] = (
                    aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type="capacity-block")
                )
        return aws.ec2.LaunchTemplate(
            f"{self._name}-{gpu_pool.name}",
            description=f"GPU pool {gpu_pool.name} of {args.cluster_name}",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_tokens="required", http_put_response_hop_limit=1, http_endpoint="enabled"
            ),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags=dict(args.tags)
                )
            ],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
            **settings,
        )

    def _cluster_autoscaler(self) -> k8s.helm.v3.Release:
        cluster, args = self._cluster, self._cluster.args
        scope = args.scope
        owned_tag = f"aws:ResourceTag/k8s.io/cluster-autoscaler/{args.cluster_name}"
        role = self._pod_role(
            "cluster-autoscaler",
            inline_policy=policy_document(
                [
                    {
                        "Sid": "DiscoverNodeGroups",
                        "Effect": "Allow",
                        "Action": [
                            "autoscaling:DescribeAutoScalingGroups",
                            "autoscaling:DescribeAutoScalingInstances",
                            "autoscaling:DescribeLaunchConfigurations",
                            "autoscaling:DescribeScalingActivities",
                            "autoscaling:DescribeTags",
                            "ec2:DescribeImages",
                            "ec2:DescribeInstanceTypes",
                            "ec2:DescribeLaunchTemplateVersions",
                            "ec2:GetInstanceTypesFromInstanceRequirements",
                        ],
                        "Resource": "*",
                    },
                    {
                        "Sid": "ReadThisClustersNodeGroups",
                        "Effect": "Allow",
                        "Action": "eks:DescribeNodegroup",
                        "Resource": scope.arn("eks", f"nodegroup/{args.cluster_name}/*/*"),
                    },
                    {
                        "Sid": "ScaleOnlyThisClustersGroups",
                        "Effect": "Allow",
                        "Action": [
                            "autoscaling:SetDesiredCapacity",
                            "autoscaling:TerminateInstanceInAutoScalingGroup",
                        ],
                        "Resource": "*",
                        "Condition": {"StringEquals": {owned_tag: "owned"}},
                    },
                ]
            ),
        )
        association = aws.eks.PodIdentityAssociation(
            f"{self._name}-cluster-autoscaler",
            cluster_name=cluster.cluster.name,
            namespace="kube-system",
            service_account="cluster-autoscaler",
            role_arn=role.arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        chart, version, repository = CLUSTER_AUTOSCALER_CHART
        return k8s.helm.v3.Release(
            f"{self._name}-cluster-autoscaler",
            name="cluster-autoscaler",
            chart=chart,
            version=version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
            namespace="kube-system",
            values={
                "cloudProvider": "aws",
                "awsRegion": scope.region,
                "autoDiscovery": {"clusterName": args.cluster_name},
                "image": {"tag": CLUSTER_AUTOSCALER_IMAGES[args.kubernetes_version]},
                "rbac": {"serviceAccount": {"create": True, "name": "cluster-autoscaler"}},
                "extraArgs": {
                    "balance-similar-node-groups": True,
                    "expander": "least-waste",
                    "scale-down-unneeded-time": "10m",
                    "skip-nodes-with-local-storage": False,
                },
                # A system component: on system nodes, tolerating no GPU taint.
                "nodeSelector": SYSTEM_LABEL,
                "tolerations": [],
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=cluster.provider,
                depends_on=[association, self.system_nodes, self.addons["eks-pod-identity-agent"]],
            ),
        )
