"""EKS managed node groups for an EksGpuCluster: a system group, one GPU group per pool (on
its reservation or Capacity Block, with EFA where asked), the core add-ons, the Cluster
Autoscaler, and the EFA device plugin."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.eks_args import EksClusterParts, EksGpuPool
from components.cluster.eks_compute import NODE_GROUP_CAPACITY_TYPES, NODE_GROUP_EFFECTS
from components.cluster.instances import AWS_GPU_MACHINES
from components.cluster.software import pool_tolerations, sharing_node_labels
from components.iam import pod_identity_trust_statement, policy_document

# Pinned EKS add-on builds per Kubernetes minor; a stack can override any of them (check with
# `aws eks describe-addon-versions --addon-name NAME --kubernetes-version X.Y`). Where each was
# confirmed (2026-12; AWS publishes no machine-readable list):
# - kube-proxy and coredns: the EKS User Guide's add-on version tables (managing-kube-proxy,
#   managing-coredns, docs.amazonaws.cn copies of 2026) list exactly these builds per minor;
# - vpc-cni v1.20.4-eksbuild.1: upstream tag aws/amazon-vpc-cni-k8s v1.20.4, and the add-on
#   image amazon-k8s-cni:v1.20.4-eksbuild.1 seen running in public infrastructure code;
# - eks-pod-identity-agent v1.3.9-eksbuild.3 and aws-ebs-csi-driver v1.54.0-eksbuild.1: pinned
#   in public Pulumi/Terraform code (an upgrade log "v1.3.8-eksbuild.2 -> v1.3.9-eksbuild.3");
#   upstream kubernetes-sigs/aws-ebs-csi-driver tag v1.54.0. Neither is tied to a minor.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.33.10-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.4",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
        "aws-ebs-csi-driver": "v1.54.0-eksbuild.1",
    },
    "1.34": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.34.6-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.4",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
        "aws-ebs-csi-driver": "v1.54.0-eksbuild.1",
    },
    "1.35": {
        "vpc-cni": "v1.20.4-eksbuild.1",
        "kube-proxy": "v1.35.3-eksbuild.2",
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

# Confirmed in kubernetes/autoscaler: tag cluster-autoscaler-chart-9.58.0 (Chart.yaml version
# 9.58.0; the values keys used below are in its values.yaml), and image tags
# cluster-autoscaler-1.33.0, -1.34.2 and -1.35.0 (their version.go). The autoscaler's minor
# must match the cluster's.
CLUSTER_AUTOSCALER_CHART = (
    "cluster-autoscaler",
    "9.58.0",
    "https://kubernetes.github.io/autoscaler",
)
CLUSTER_AUTOSCALER_IMAGES = {"1.33": "v1.33.0", "1.34": "v1.34.2", "1.35": "v1.35.0"}
# Confirmed in aws/eks-charts stable/aws-efa-k8s-device-plugin/Chart.yaml at bfe91c4
# (2026-07-21): version v0.5.30, appVersion (image tag) v0.5.20; the chart's node affinity
# already lists every EFA instance type Plinth pools (p4d to p6-b300, g5 to g7e).
EFA_DEVICE_PLUGIN_CHART = (
    "aws-efa-k8s-device-plugin",
    "v0.5.30",
    "https://aws.github.io/eks-charts",
)
SYSTEM_LABEL = {"plinth.dev/node-role": "system"}
SYSTEM_NAMESPACE = "kube-system"
# The service accounts the add-ons and the autoscaler run as, which their roles trust.
CNI_SERVICE_ACCOUNT = "aws-node"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"


class EksNodeGroupCompute(pulumi.ComponentResource):
    """Managed node groups for an EksGpuCluster:

    - a small on-demand system node group (2 to 3 nodes, untainted) for add-ons;
    - one GPU node group per pool on the NVIDIA AL2023 AMI (drivers and container toolkit
      on the image), tainted, labelled, min size as low as 0;
    - EFA pools: a launch template with every EFA device the instance type has (an ENA
      primary, EFA-only interfaces on each network card: `GpuMachine.efa_layout`), the EFA
      device plugin, and, unless on a reservation, a cluster placement group in one subnet;
    - reserved pools launch into their On-Demand Capacity Reservation (several through a
      Capacity Reservation group) or Capacity Block, only in the subnets of the
      reservations' Availability Zones (read from EC2: they are bought outside the stack);
    - the core add-ons at pinned versions, with IAM through EKS Pod Identity (the VPC CNI and
      the EBS CSI driver get their own roles; the node role keeps only what nodes need), and
      the VPC CNI enforcing NetworkPolicies (`enableNetworkPolicy`);
    - the Cluster Autoscaler, which scales the GPU node groups from zero on demand and back.
    """

    def __init__(
        self,
        name: str,
        cluster: EksClusterParts,
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
        cni_role = self._pod_role(
            "vpc-cni", CNI_SERVICE_ACCOUNT, managed_policy="AmazonEKS_CNI_Policy"
        )
        ebs_role = self._pod_role(
            "ebs-csi",
            EBS_CSI_SERVICE_ACCOUNT,
            managed_policy="service-role/AmazonEBSCSIDriverPolicy",
        )
        pod_roles = {
            "vpc-cni": (CNI_SERVICE_ACCOUNT, cni_role),
            "aws-ebs-csi-driver": (EBS_CSI_SERVICE_ACCOUNT, ebs_role),
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
        self.efa_device_plugin = self._efa_device_plugin()
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
        service_account: str,
        *,
        managed_policy: str | None = None,
        inline_policy: pulumi.Input[str] | None = None,
    ) -> aws.iam.Role:
        """A role only EKS Pod Identity can assume, and only for `service_account` in
        kube-system on this cluster."""
        cluster, args = self._cluster, self._cluster.args
        role = aws.iam.Role(
            f"{self._name}-{purpose}",
            description=f"Pod Identity role of {purpose} on {args.cluster_name}",
            assume_role_policy=policy_document(
                [
                    pod_identity_trust_statement(
                        "AssumedByPodIdentityForOneServiceAccount",
                        args.scope.service_principal("pods.eks", parent=self),
                        cluster_arns=[cluster.cluster.arn],
                        namespace=SYSTEM_NAMESPACE,
                        service_account=service_account,
                    )
                ]
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
        capacity_block = pool.capacity_type == "capacity-block"
        launch_template = None
        if pool.efa or pool.capacity_reservation_ids:
            template = self._launch_template(pool)
            launch_template = aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            )
        return aws.eks.NodeGroup(
            f"{self._name}-{gpu_pool.name}",
            cluster_name=cluster.cluster.name,
            node_role_arn=cluster.node_role.arn,
            subnet_ids=self._gpu_subnets(pool),
            ami_type="AL2023_x86_64_NVIDIA",
            # A Capacity Block's instance type is the launch template's (EKS rejects it on
            # both: capacity-blocks-mng).
            instance_types=None if capacity_block else list(pool.instance_types),
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

    def _gpu_subnets(self, pool: EksGpuPool) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
        """The private subnets a GPU pool may launch in: those in its reservations' zones
        (a reservation or Capacity Block holds capacity in one Availability Zone), one subnet
        for EFA pools (a cluster placement group, or EFA traffic, stays in one zone), else
        all of them."""
        args = self._cluster.args
        if not pool.capacity_reservation_ids:
            return list(args.subnet_ids)[:1] if pool.efa else list(args.subnet_ids)
        if len(args.subnet_zones) != len(args.subnet_ids):
            raise ValueError(
                f"{args.cluster_name}: pool {pool.pool.name} launches into capacity "
                "reservations, which needs the Availability Zone of every subnet (subnet_zones)"
            )
        # Read, not managed: the reservations are bought outside this stack.
        zones = [
            aws.ec2.CapacityReservation.get(
                f"{self._name}-{pool.pool.name}-{reservation}",
                reservation,
                opts=pulumi.ResourceOptions(parent=self),
            ).availability_zone
            for reservation in pool.capacity_reservation_ids
        ]
        return pulumi.Output.all(list(args.subnet_ids), list(args.subnet_zones), zones).apply(
            lambda found: _subnets_in_zones(
                pool, subnets=found[0], subnet_zones=found[1], reservation_zones=found[2]
            )
        )

    def _launch_template(self, pool: EksGpuPool) -> aws.ec2.LaunchTemplate:
        cluster, args, gpu_pool = self._cluster, self._cluster.args, pool.pool
        settings: dict[str, Any] = {}
        if pool.efa:
            # The cluster security group allows all traffic from and to itself, which EFA's
            # OS bypass needs; every interface carries it (sec-group-reqs).
            security_groups = [cluster.cluster.vpc_config.cluster_security_group_id]
            settings["network_interfaces"] = [
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    network_card_index=card,
                    device_index=device,
                    interface_type=kind,
                    delete_on_termination="true",
                    # No associate_public_ip_address: EC2 refuses it on launches with several
                    # interfaces, and these nodes live in private subnets.
                    security_groups=security_groups,
                )
                for card, device, kind in _efa_layout(pool)
            ]
            if not pool.capacity_reservation_ids:
                # A reservation has its own placement (an ODCR may sit in a placement group)
                # and Capacity Blocks do not support placement groups (capacity-blocks).
                placement = aws.ec2.PlacementGroup(
                    f"{self._name}-{gpu_pool.name}",
                    strategy="cluster",
                    tags=dict(args.tags),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                settings["placement"] = aws.ec2.LaunchTemplatePlacementArgs(
                    group_name=placement.name
                )
        if pool.capacity_reservation_ids:
            settings["capacity_reservation_specification"] = (
                aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                    capacity_reservation_target=self._reservation_target(pool)
                )
            )
        if pool.capacity_type == "capacity-block":
            settings["instance_market_options"] = aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(
                market_type="capacity-block"
            )
            settings["instance_type"] = pool.instance_types[0]
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

    def _reservation_target(
        self, pool: EksGpuPool
    ) -> aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs:
        """One reservation by ID; several On-Demand Capacity Reservations through a
        Capacity Reservation group, which EC2 launches into as one pool ("Work with
        Capacity Reservation groups": a resource group with the CapacityReservationPool
        configuration)."""
        target = aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs
        reservations = pool.capacity_reservation_ids
        if len(reservations) == 1:
            return target(capacity_reservation_id=reservations[0])
        if pool.capacity_type == "capacity-block":
            raise ValueError(
                f"pool {pool.pool.name}: a Capacity Block node group launches into one block "
                f"({len(reservations)} given); make one pool per block"
            )
        args = self._cluster.args
        child = pulumi.ResourceOptions(parent=self)
        group = aws.resourcegroups.Group(
            f"{self._name}-{pool.pool.name}-reservations",
            description=f"Capacity reservations of GPU pool {pool.pool.name} of "
            f"{args.cluster_name}",
            configurations=[
                aws.resourcegroups.GroupConfigurationArgs(type="AWS::EC2::CapacityReservationPool"),
                aws.resourcegroups.GroupConfigurationArgs(
                    type="AWS::ResourceGroups::Generic",
                    parameters=[
                        aws.resourcegroups.GroupConfigurationParameterArgs(
                            name="allowed-resource-types",
                            values=["AWS::EC2::CapacityReservation"],
                        )
                    ],
                ),
            ],
            tags=dict(args.tags),
            opts=child,
        )
        members = [
            aws.resourcegroups.Resource(
                f"{self._name}-{pool.pool.name}-{reservation}",
                group_arn=group.arn,
                resource_arn=args.scope.arn("ec2", f"capacity-reservation/{reservation}"),
                opts=child,
            )
            for reservation in reservations
        ]
        # The template names the group once its members are in it.
        group_arn = pulumi.Output.all(group.arn, *[m.id for m in members]).apply(
            lambda found: str(found[0])
        )
        return target(capacity_reservation_resource_group_arn=group_arn)

    def _efa_device_plugin(self) -> k8s.helm.v3.Release | None:
        """The EFA device plugin, so pods on EFA pools can request `vpc.amazonaws.com/efa`:
        the NVIDIA AMI carries the EFA driver, not the plugin (EKS User Guide, node-efa). Its
        DaemonSet places itself on EFA instance types (the chart's own node affinity) and
        tolerates the GPU pools' taints; it runs nowhere when no pool uses EFA."""
        pools = [pool.pool for pool in self._cluster.args.pools if pool.efa]
        if not pools:
            return None
        chart, version, repository = EFA_DEVICE_PLUGIN_CHART
        return k8s.helm.v3.Release(
            f"{self._name}-efa-device-plugin",
            name="aws-efa-k8s-device-plugin",
            chart=chart,
            version=version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
            namespace=SYSTEM_NAMESPACE,
            values={"tolerations": pool_tolerations(pools)},
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self._cluster.provider,
                depends_on=[self.system_nodes, self.addons["coredns"]],
            ),
        )

    def _cluster_autoscaler(self) -> k8s.helm.v3.Release:
        cluster, args = self._cluster, self._cluster.args
        scope = args.scope
        owned_tag = f"aws:ResourceTag/k8s.io/cluster-autoscaler/{args.cluster_name}"
        role = self._pod_role(
            "cluster-autoscaler",
            AUTOSCALER_SERVICE_ACCOUNT,
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
            namespace=SYSTEM_NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT,
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
            namespace=SYSTEM_NAMESPACE,
            values={
                "cloudProvider": "aws",
                "awsRegion": scope.region,
                "autoDiscovery": {"clusterName": args.cluster_name},
                "image": {"tag": CLUSTER_AUTOSCALER_IMAGES[args.kubernetes_version]},
                "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT}},
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


def _efa_layout(pool: EksGpuPool) -> list[tuple[int, int, str]]:
    """The pool's EFA interfaces; its instance types share one layout (the spec checks it)."""
    layouts = {tuple(AWS_GPU_MACHINES[t].efa_layout()) for t in pool.instance_types}
    if len(layouts) != 1:
        raise ValueError(
            f"pool {pool.pool.name}: {', '.join(pool.instance_types)} have different EFA "
            "network-card layouts; one launch template cannot fit them all"
        )
    return list(layouts.pop())


def _subnets_in_zones(
    pool: EksGpuPool,
    *,
    subnets: Sequence[str],
    subnet_zones: Sequence[str],
    reservation_zones: Sequence[str],
) -> list[str]:
    """The subnets in the zones of a pool's reservations; an EFA pool's must be one zone."""
    zones = sorted(set(reservation_zones))
    chosen = [s for s, zone in zip(subnets, subnet_zones, strict=True) if zone in zones]
    missing = sorted(set(zones) - set(subnet_zones))
    if missing:
        raise ValueError(
            f"pool {pool.pool.name}: its capacity reservations are in {', '.join(missing)}, "
            f"where the cluster has no private subnet (it has {', '.join(sorted(subnet_zones))})"
        )
    if pool.efa and len(zones) > 1:
        raise ValueError(
            f"pool {pool.pool.name}: EFA nodes talk within one Availability Zone, but its "
            f"reservations are in {', '.join(zones)}"
        )
    return chosen
