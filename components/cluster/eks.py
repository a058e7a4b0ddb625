"""An EKS cluster for GPU workloads, meeting the GpuCluster contract.

The control plane is private, encrypted and fully logged; people reach it through access
entries (API authentication mode), never the aws-auth ConfigMap. Compute comes from EKS Auto
Mode (GPU NodePools, see `eks_compute`) or from managed node groups (see `eks_nodegroups`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.cluster.contract import (
    GpuCluster,
    GpuClusterOutputs,
    HelmChart,
    NodeGpuSoftware,
)
from components.cluster.eks_args import EksGpuClusterArgs
from components.cluster.eks_compute import EksAutoCompute, cluster_access
from components.cluster.eks_nodegroups import EksNodeGroupCompute
from components.cluster.kubeconfig import cluster_provider
from components.iam import policy_document, service_trust_policy

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"

# Upstream Kueue, from its OCI registry; v1beta2 is its storage version since 0.16.
# 0.18.8 confirmed: kubernetes/k8s.io PR #9916 "Kueue: Promote v0.18.8" (chart and image
# registry.k8s.io/kueue/kueue:v0.18.8), kubernetes-sigs/kueue issue #15125 (2026-09-10).
UPSTREAM_KUEUE = HelmChart("oci://registry.k8s.io/kueue/charts/kueue", "0.18.8")
UPSTREAM_KUEUE_API = "kueue.x-k8s.io/v1beta2"

# Auto Mode needs these on the cluster role to run compute, storage, load balancing and
# networking on the account's behalf.
AUTO_MODE_CLUSTER_POLICIES = (
    "AmazonEKSClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)

# What EKS needs on the secrets key: envelope-encrypt Kubernetes secrets, and grants that
# only AWS services may create.
SECRETS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants")


class EksGpuCluster(GpuCluster):
    """An EKS cluster with GPU pools:

    - IAM: a cluster role trusted only by EKS for this cluster's ARN, with the managed
      policies its mode needs and use of the secrets key; a separate node role.
    - The cluster: private endpoint (public only for listed CIDRs), secrets encrypted with the
      platform key, all five control-plane log types into a KMS-encrypted log group with
      retention, API authentication mode, standard support upgrade policy.
    - Access entries giving the listed admins cluster-admin.
    - Compute per mode (EksAutoCompute or EksNodeGroupCompute) and a Kubernetes provider.
    """

    def __init__(
        self, name: str, args: EksGpuClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:cluster:EksGpuCluster", name, None, opts)
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        cluster_arn = scope.arn("eks", f"cluster/{args.cluster_name}")

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )

        # EKS documents aws:SourceArn (the cluster ARN) and aws:SourceAccount for its service
        # principal (EKS User Guide, cross-service confused deputy prevention:
        # https://docs.aws.amazon.com/eks/latest/userguide/cross-service-confused-deputy-prevention.html),
        # and sts:TagSession for Auto Mode (auto-cluster-iam-role).
        self.cluster_role = aws.iam.Role(
            f"{name}-cluster",
            description=f"EKS control plane of {args.cluster_name}",
            assume_role_policy=service_trust_policy(
                scope.service_principal("eks", parent=self),
                source_account=scope.account_id,
                source_arn_like=cluster_arn,
                actions=("sts:AssumeRole", "sts:TagSession"),
            ),
            tags=dict(args.tags),
            opts=child,
        )
        cluster_policies = (
            AUTO_MODE_CLUSTER_POLICIES if args.mode == "auto" else AUTO_MODE_CLUSTER_POLICIES[:1]
        )
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-cluster-{policy}",
                role=self.cluster_role.name,
                policy_arn=scope.managed_policy_arn(policy),
                opts=child,
            )
            for policy in cluster_policies
        ]
        attachments.append(
            aws.iam.RolePolicy(
                f"{name}-cluster-secrets-key",
                role=self.cluster_role.id,
                policy=policy_document(
                    [
                        {
                            "Sid": "EncryptKubernetesSecrets",
                            "Effect": "Allow",
                            "Action": list(SECRETS_KEY_ACTIONS),
                            "Resource": args.secrets_key_arn,
                        },
                        {
                            "Sid": "GrantsForAwsServicesOnly",
                            "Effect": "Allow",
                            "Action": "kms:CreateGrant",
                            "Resource": args.secrets_key_arn,
                            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                        },
                    ]
                ),
                opts=child,
            )
        )

        # The trust AWS documents for node roles, without conditions: no page documents a
        # confused-deputy key for ec2.amazonaws.com, and one EC2 did not send would leave the
        # nodes without credentials (EKS User Guide, create-node-role and
        # auto-create-node-role: https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html).
        self.node_role = aws.iam.Role(
            f"{name}-node",
            description=f"EC2 nodes of {args.cluster_name}",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "AssumedByEc2Nodes",
                        "Effect": "Allow",
                        "Principal": {"Service": scope.service_principal("ec2", parent=self)},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )

        self.cluster = aws.eks.Cluster(
            name,
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=self.cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(args.public_access_cidrs),
                public_access_cidrs=list(args.public_access_cidrs) or None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity running `pulumi up` must reach the cluster to install the GPU
                # layer; EKS grants it admin through an access entry it manages.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            # Plinth installs every add-on itself (node groups) or Auto Mode runs them.
            bootstrap_self_managed_addons=False,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.protect,
            compute_config=self._auto_compute(),
            kubernetes_network_config=self._auto_load_balancing(),
            storage_config=self._auto_block_storage(),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=[*attachments, self.log_group]
            ),
        )

        self.admin_access = [self._admin(name, index, arn) for index, arn in enumerate(args.admins)]
        self.provider = cluster_provider(
            f"{name}-k8s",
            cloud="aws",
            endpoint=self.cluster.endpoint,
            certificate_authority=self.cluster.certificate_authority.data,
            cluster_name=self.cluster.name,
            region=args.scope.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.admin_access),
        )

        compute: EksAutoCompute | EksNodeGroupCompute
        if args.mode == "auto":
            compute = EksAutoCompute(f"{name}-compute", self, opts=child)
        else:
            compute = EksNodeGroupCompute(
                f"{name}-compute", self, addon_versions=args.addon_versions, opts=child
            )
        software = NodeGpuSoftware(
            driver=True,  # Auto Mode nodes and the NVIDIA AL2023 AMI both carry it
            device_plugin=args.mode == "auto",
            gpu_operator_managed_by_cloud=False,
            kueue=UPSTREAM_KUEUE,
            kueue_api_version=UPSTREAM_KUEUE_API,
        )
        self.compute = compute
        self._register(
            GpuClusterOutputs(
                cloud="aws",
                cluster_name=self.cluster.name,
                endpoint=self.cluster.endpoint,
                oidc_issuer_url=self.cluster.identities.apply(_oidc_issuer),
                kubernetes_version=args.kubernetes_version,
                kubernetes_provider=self.provider,
                gpu_pools=tuple(pool.pool for pool in args.pools),
                node_software=software,
                ready=compute.ready,
                certificate_authority=self.cluster.certificate_authority.data,
                service_cidr=self.cluster.kubernetes_network_config.apply(_service_cidr),
                node_local_dns=args.mode == "auto",
                pool_resources=(
                    compute.node_pools
                    if isinstance(compute, EksAutoCompute)
                    else compute.gpu_node_groups
                ),
            )
        )

    @property
    def args(self) -> EksGpuClusterArgs:
        return self._args

    # Auto Mode's three switches (compute, load balancing, block storage) go on together.
    def _auto_compute(self) -> aws.eks.ClusterComputeConfigArgs | None:
        if self._args.mode != "auto":
            return None
        return aws.eks.ClusterComputeConfigArgs(
            enabled=True,
            # general-purpose runs tenants' CPU pods, system the cluster's add-ons; GPU pools
            # are Plinth's own NodePools.
            node_pools=["general-purpose", "system"],
            node_role_arn=self.node_role.arn,
        )

    def _auto_load_balancing(self) -> aws.eks.ClusterKubernetesNetworkConfigArgs | None:
        if self._args.mode != "auto":
            return None
        return aws.eks.ClusterKubernetesNetworkConfigArgs(
            elastic_load_balancing=aws.eks.ClusterKubernetesNetworkConfigElasticLoadBalancingArgs(
                enabled=True
            )
        )

    def _auto_block_storage(self) -> aws.eks.ClusterStorageConfigArgs | None:
        if self._args.mode != "auto":
            return None
        return aws.eks.ClusterStorageConfigArgs(
            block_storage=aws.eks.ClusterStorageConfigBlockStorageArgs(enabled=True)
        )

    def _admin(self, name: str, index: int, principal_arn: str) -> pulumi.Resource:
        return cluster_access(
            f"{name}-admin-{index}",
            self.cluster.name,
            principal_arn,
            access_policy=self._args.scope.eks_access_policy_arn(CLUSTER_ADMIN_POLICY),
            tags=self._args.tags,
            parent=self,
        )


def _service_cidr(config: aws.eks.outputs.ClusterKubernetesNetworkConfig | None) -> str:
    """The Service CIDR EKS chose (10.100.0.0/16 or 172.20.0.0/16, whichever does not overlap
    the VPC) or was given."""
    if config is None or not config.service_ipv4_cidr:
        raise ValueError("the EKS cluster reports no kubernetesNetworkConfig.serviceIpv4Cidr")
    return config.service_ipv4_cidr


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    """The cluster's OIDC issuer URL (for workload identity federation outside Pod Identity)."""
    oidcs = identities[0].oidcs or []
    return oidcs[0].issuer or "" if oidcs else ""
