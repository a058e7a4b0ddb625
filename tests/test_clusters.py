"""GPU clusters (EKS Auto Mode, EKS node groups, CoreWeave CKS) previewed through the real infra
program, asserted on the inputs the offline engine captures.

Four stack variants, each previewed once per module: the dev stack (Auto Mode), an EKS
node-groups cluster (EFA, Capacity Block, time-slicing, MIG, public CIDR, admins, an add-on
override), the coreweave stack, and an Auto Mode cluster with reserved capacity. Expected
values come from the spec dictionaries below and from AWS/CoreWeave facts written out here
(GPUs per instance type, managed policy names), not from the code under test.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from support import (
    KMS_KEY,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    ROOT,
    SUBNET,
    dev_stack_document,
    document,
    named,
    of_type,
    one,
    parliament_findings_above_low,
    preview_dev,
    provider_urn,
    role_arn,
    trust_policy_with_resource,
)

from components.cluster.contract import GpuNodePool
from components.cluster.eks_args import EksGpuPool
from components.cluster.eks_nodegroups import ADDON_VERSIONS, _subnets_in_zones
from plinth.engine import Preview, ResourceRecord
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID, MockedResource, computed_outputs

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
CAPACITY_RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
RESOURCE_GROUP = "aws:resourcegroups/group:Group"
RESOURCE_GROUP_MEMBER = "aws:resourcegroups/resource:Resource"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
K8S_PROVIDER = "pulumi:providers:kubernetes"
RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:eks.amazonaws.com/v1:NodeClass"
CW_NODE_POOL = "kubernetes:compute.coreweave.com/v1alpha1:NodePool"
CKS_CLUSTER = "coreweave:index/cksCluster:CksCluster"
CW_VPC = "coreweave:index/networkingVpc:NetworkingVpc"

REGION = "us-east-1"
GPU_KEY = "nvidia.com/gpu"
POOL_LABEL = "plinth.dev/gpu-pool"
KMS_KEY_ARN = re.compile(
    r"^arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)
EKS_ADDON_BUILD = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
CONTROL_PLANE_LOGS = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
MANAGED = "arn:aws:iam::aws:policy/"

# GPUs per node, from EC2's instance type documentation (independent of the machine table).
GPUS_PER_NODE = {
    "g6e.xlarge": 1,
    "g6e.2xlarge": 1,
    "g6.xlarge": 1,
    "p4d.24xlarge": 8,
    "p5.48xlarge": 8,
    "p6-b200.48xlarge": 8,
}

GATEWAY = ["oci://ghcr.io/berriai/litellm-helm", "secrets-store-csi-driver-provider-aws"]
"""The dev stack's gateway (plinth:gateway) follows every variant with an EKS cluster."""
RESERVATION = "cr-0123456789abcdef0"
SECOND_RESERVATION = "cr-0123456789abcdef1"
BLOCK = "cr-0fedcba9876543210"
CORE_DNS_OVERRIDE = "v1.12.4-eksbuild.7"

NODEGROUPS_CLUSTER: dict[str, Any] = {
    "name": "train",
    "cloud": "aws",
    "kubernetesVersion": "1.34",
    "mode": "nodegroups",
    "admins": ["arn:aws:iam::123456789012:role/platform-admin"],
    "publicAccessCidrs": ["198.51.100.0/24"],
    "addonVersions": {"coredns": CORE_DNS_OVERRIDE},
    "gpuPools": [
        {
            "name": "h100",
            "instanceTypes": ["p5.48xlarge"],
            "minNodes": 0,
            "maxNodes": 2,
            "efa": True,
            "capacityType": "capacity-block",
            "capacityReservationIds": [BLOCK],
        },
        {
            "name": "l4",
            "instanceTypes": ["g6.xlarge"],
            "minNodes": 1,
            "maxNodes": 3,
            "labels": {"team": "vision"},
            "sharing": {"mode": "timeSlicing", "replicas": 4},
        },
        {
            "name": "a100",
            "instanceTypes": ["p4d.24xlarge"],
            "maxNodes": 1,
            "sharing": {"mode": "mig", "profile": "all-1g.10gb"},
        },
        {"name": "b300", "instanceTypes": ["p6-b300.48xlarge"], "maxNodes": 1, "efa": True},
        {
            "name": "l40s",
            "instanceTypes": ["g6e.2xlarge"],
            "maxNodes": 2,
            "capacityType": "reserved",
            "capacityReservationIds": [RESERVATION, SECOND_RESERVATION],
        },
    ],
}

RESERVED_AUTO_CLUSTER: dict[str, Any] = {
    "name": "gpu",
    "cloud": "aws",
    "kubernetesVersion": "1.33",
    "mode": "auto",
    "gpuPools": [
        {
            "name": "h100",
            "instanceTypes": ["p5.48xlarge"],
            "maxNodes": 2,
            "capacityType": "reserved",
            "capacityReservationIds": [RESERVATION],
        },
        {
            "name": "b200",
            "instanceTypes": ["p6-b200.48xlarge"],
            "maxNodes": 1,
            "capacityType": "capacity-block",
            "capacityReservationIds": [BLOCK],
        },
        {"name": "l40s", "instanceTypes": ["g6e.xlarge"], "maxNodes": 3},
    ],
}


def dev_cluster_spec() -> dict[str, Any]:
    clusters: list[dict[str, Any]] = dev_stack_document()["config"]["plinth:clusters"]
    return clusters[0]


def coreweave_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.coreweave.yaml").read_text())["config"]
    return config


# --- the previews -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nodegroups(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    return preview_dev(
        tmp_path_factory.mktemp("nodegroups"),
        {"plinth:clusters": [NODEGROUPS_CLUSTER]},
        removals=("plinth:tenants",),
    )


@pytest.fixture(scope="module")
def reserved(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    return preview_dev(
        tmp_path_factory.mktemp("reserved"),
        {"plinth:clusters": [RESERVED_AUTO_CLUSTER]},
        removals=("plinth:tenants",),
    )


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    return preview_dev(tmp_path_factory.mktemp("protected"), {"plinth:protect": True})


@pytest.fixture(scope="module")
def coreweave(coreweave_preview: Preview) -> Preview:
    return coreweave_preview


# Fixture name -> (EKS physical cluster name, spec of that cluster).
EKS_VARIANTS = {
    "dev_preview": ("plinth-dev-gpu", dev_cluster_spec()),
    "nodegroups": ("plinth-dev-train", NODEGROUPS_CLUSTER),
    "reserved": ("plinth-dev-gpu", RESERVED_AUTO_CLUSTER),
}
AUTO_VARIANTS = ["dev_preview", "reserved"]
ALL_VARIANTS = [*EKS_VARIANTS, "coreweave"]


@pytest.fixture(params=list(EKS_VARIANTS))
def eks_variant(request: pytest.FixtureRequest) -> tuple[Preview, str, dict[str, Any]]:
    name, spec = EKS_VARIANTS[request.param]
    return request.getfixturevalue(request.param), name, spec


@pytest.fixture(params=AUTO_VARIANTS)
def auto_variant(request: pytest.FixtureRequest) -> tuple[Preview, dict[str, Any]]:
    return request.getfixturevalue(request.param), EKS_VARIANTS[request.param][1]


# --- helpers ----------------------------------------------------------------------------------


def platform_key_arn(preview: Preview) -> str:
    """The platform key's ARN as the stack exports it, checked against the key record."""
    key = one(preview, KMS_KEY, "platform")
    arn: str = preview.outputs["platformKeyArn"]
    assert arn == f"arn:aws:kms:{REGION}:{EXAMPLE_ACCOUNT_ID}:key/{key.id}"
    assert KMS_KEY_ARN.match(arn), arn
    return arn


def in_cluster_component(record: ResourceRecord) -> bool:
    return "plinth:cluster:Eks" in record.urn or "plinth:cluster:CoreWeave" in record.urn


def one_in_cluster(preview: Preview, type_: str) -> ResourceRecord:
    """The one resource of a type the cluster components create. Tenants' personas and the
    platform auditor get EKS access entries too, from their own (plinth:tenant) components."""
    found = [r for r in of_type(preview, type_) if in_cluster_component(r)]
    assert len(found) == 1, f"expected one {type_} in the cluster, got {len(found)}"
    return found[0]


def taints_of(items: list[dict[str, str]] | None) -> list[tuple[str, str, str]]:
    return [(t["key"], t.get("value", ""), t["effect"]) for t in items or []]


def requirement(node_pool: ResourceRecord, key: str) -> list[str]:
    matches = [
        r
        for r in node_pool.plain_inputs["spec"]["template"]["spec"]["requirements"]
        if r["key"] == key
    ]
    assert len(matches) == 1, f"{node_pool.name}: no single requirement on {key}"
    assert matches[0]["operator"] == "In"
    values: list[str] = matches[0]["values"]
    return values


def attached_policies(preview: Preview, role: ResourceRecord) -> set[str]:
    return {
        a.plain_inputs["policyArn"]
        for a in of_type(preview, ATTACHMENT)
        if a.plain_inputs["role"] == role.id
    }


# --- EKS control plane: every EKS variant ----------------------------------------------------


def test_eks_endpoint_is_private_by_default(dev_preview: Preview, reserved: Preview) -> None:
    for preview in (dev_preview, reserved):
        vpc = one(preview, CLUSTER).plain_inputs["vpcConfig"]
        assert vpc["endpointPrivateAccess"] is True
        assert vpc["endpointPublicAccess"] is False
        assert not vpc.get("publicAccessCidrs")


def test_eks_public_endpoint_only_for_the_listed_cidrs(nodegroups: Preview) -> None:
    vpc = one(nodegroups, CLUSTER).plain_inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["198.51.100.0/24"]


def test_eks_control_plane_in_the_private_subnets_only(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, _, _ = eks_variant
    subnets = one(preview, CLUSTER).plain_inputs["vpcConfig"]["subnetIds"]
    assert subnets == preview.outputs["privateSubnetIds"]
    assert not set(subnets) & set(preview.outputs["publicSubnetIds"])


def test_eks_secrets_are_envelope_encrypted_with_the_platform_key(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, _, _ = eks_variant
    encryption = one(preview, CLUSTER).plain_inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == platform_key_arn(preview)


def test_eks_enables_all_five_control_plane_log_types(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, _, _ = eks_variant
    logs = one(preview, CLUSTER).plain_inputs["enabledClusterLogTypes"]
    assert sorted(logs) == sorted(CONTROL_PLANE_LOGS)


def test_eks_authenticates_through_access_entries_and_bootstraps_no_addons(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, _, _ = eks_variant
    inputs = one(preview, CLUSTER).plain_inputs
    assert inputs["accessConfig"]["authenticationMode"] == "API"
    assert inputs["bootstrapSelfManagedAddons"] is False


def test_eks_version_is_the_spec_version(eks_variant: tuple[Preview, str, Any]) -> None:
    preview, name, spec = eks_variant
    cluster = one(preview, CLUSTER).plain_inputs
    assert cluster["name"] == name
    assert cluster["version"] == spec["kubernetesVersion"]


def test_eks_deletion_protection_off_on_dev(dev_preview: Preview) -> None:
    assert dev_stack_document()["config"]["plinth:protect"] is False
    cluster = one(dev_preview, CLUSTER)
    assert cluster.plain_inputs["deletionProtection"] is False
    assert cluster.protect is False


def test_eks_deletion_protection_and_pulumi_protect_when_stack_protects(protected: Preview) -> None:
    cluster = one(protected, CLUSTER)
    assert cluster.plain_inputs["deletionProtection"] is True
    assert cluster.protect is True
    log_group = one(protected, LOG_GROUP, "control-plane")
    assert log_group.protect is True
    assert log_group.retain_on_delete is True


def test_eks_control_plane_log_group_is_named_retained_encrypted_and_created_first(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, name, _ = eks_variant
    log_group = one(preview, LOG_GROUP, "control-plane")
    assert log_group.plain_inputs["name"] == f"/aws/eks/{name}/cluster"
    assert log_group.plain_inputs["retentionInDays"] == 365
    assert log_group.plain_inputs["kmsKeyId"] == platform_key_arn(preview)
    assert log_group.urn in one(preview, CLUSTER).depends_on


def test_eks_cluster_role_is_trusted_only_by_eks_for_this_cluster(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, name, _ = eks_variant
    role = named(preview, ROLE, f"{name}-cluster")
    assert one(preview, CLUSTER).plain_inputs["roleArn"] == role_arn(role)
    statements = document(role, "assumeRolePolicy")["Statement"]
    assert len(statements) == 1
    trust = statements[0]
    assert trust["Effect"] == "Allow"
    assert trust["Principal"] == {"Service": "eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": EXAMPLE_ACCOUNT_ID}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:eks:{REGION}:{EXAMPLE_ACCOUNT_ID}:cluster/{name}"
    }


def test_eks_secrets_key_policy_is_scoped_to_the_key_and_grants_only_for_aws_resources(
    eks_variant: tuple[Preview, str, Any],
) -> None:
    preview, name, _ = eks_variant
    key_arn = platform_key_arn(preview)
    policy_record = named(preview, ROLE_POLICY, f"{name}-cluster-secrets-key")
    assert policy_record.plain_inputs["role"] == named(preview, ROLE, f"{name}-cluster").id
    statements = document(policy_record, "policy")["Statement"]
    assert statements, "empty secrets-key policy"
    for entry in statements:
        assert entry["Effect"] == "Allow"
        assert entry["Resource"] == key_arn, entry
        actions = entry["Action"] if isinstance(entry["Action"], list) else [entry["Action"]]
        assert all(action.startswith("kms:") and "*" not in action for action in actions), entry
        if "kms:CreateGrant" in actions:
            assert entry["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    granted = {
        a
        for entry in statements
        for a in ([entry["Action"]] if isinstance(entry["Action"], str) else entry["Action"])
    }
    assert {"kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"} <= granted


@pytest.mark.parametrize(
    ("variant", "documents"), [("dev_preview", 3), ("nodegroups", 7), ("reserved", 3)]
)
def test_cluster_iam_documents_have_no_parliament_findings_above_low(
    request: pytest.FixtureRequest, variant: str, documents: int
) -> None:
    preview: Preview = request.getfixturevalue(variant)
    found = [
        (record.name, trust_policy_with_resource(record))
        for record in preview.of_type(ROLE)
        if in_cluster_component(record)
    ] + [
        (record.name, record.plain_inputs["policy"])
        for record in preview.of_type(ROLE_POLICY)
        if in_cluster_component(record)
    ]
    # Roles: cluster, node (+ vpc-cni, ebs-csi, cluster-autoscaler); inline: secrets key (+ CA).
    assert len(found) == documents, [name for name, _ in found]
    findings = {name: parliament_findings_above_low(policy) for name, policy in found}
    assert {name: f for name, f in findings.items() if f} == {}


def test_eks_kubeconfig_uses_short_lived_tokens_only(eks_variant: tuple[Preview, str, Any]) -> None:
    preview, name, _ = eks_variant
    kubeconfig = yaml.safe_load(one(preview, K8S_PROVIDER).plain_inputs["kubeconfig"])
    (entry,) = kubeconfig["clusters"]
    assert entry["cluster"]["server"].startswith("https://")
    assert (
        entry["cluster"]["server"] == next(iter(preview.outputs["clusters"].values()))["endpoint"]
    )
    (user,) = kubeconfig["users"]
    assert set(user["user"]) == {"exec"}
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert name in user["user"]["exec"]["args"]


# --- EKS Auto Mode ----------------------------------------------------------------------------


def test_auto_mode_compute_uses_the_builtin_pools_and_the_node_role(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, _ = auto_variant
    cluster = one(preview, CLUSTER).plain_inputs
    node_role = one(preview, ROLE, "-gpu-node")
    assert cluster["computeConfig"] == {
        "enabled": True,
        "nodePools": ["general-purpose", "system"],
        "nodeRoleArn": role_arn(node_role),
    }


def test_auto_mode_turns_on_block_storage_and_load_balancing(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, _ = auto_variant
    cluster = one(preview, CLUSTER).plain_inputs
    assert cluster["storageConfig"]["blockStorage"]["enabled"] is True
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"]["enabled"] is True


def test_auto_mode_cluster_role_has_the_auto_mode_managed_policies(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, _ = auto_variant
    role = one(preview, ROLE, "-gpu-cluster")
    assert attached_policies(preview, role) == {
        f"{MANAGED}{policy}"
        for policy in (
            "AmazonEKSClusterPolicy",
            "AmazonEKSComputePolicy",
            "AmazonEKSBlockStoragePolicy",
            "AmazonEKSLoadBalancingPolicy",
            "AmazonEKSNetworkingPolicy",
        )
    }


def test_auto_mode_node_role_has_the_node_policies_auto_mode_requires(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    # AWS: the Auto Mode node role needs exactly these two (docs: auto-create-node-role).
    preview, _ = auto_variant
    role = one(preview, ROLE, "-gpu-node")
    assert attached_policies(preview, role) == {
        f"{MANAGED}AmazonEKSWorkerNodeMinimalPolicy",
        f"{MANAGED}AmazonEC2ContainerRegistryPullOnly",
    }


def test_auto_mode_has_one_gpu_node_pool_per_spec_pool(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    names = sorted(p.plain_inputs["metadata"]["name"] for p in preview.of_type(KARPENTER_NODE_POOL))
    assert names == sorted(f"gpu-{pool['name']}" for pool in spec["gpuPools"])


def auto_node_pools(
    preview: Preview, spec: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], ResourceRecord]]:
    for pool in spec["gpuPools"]:
        yield pool, one(preview, KARPENTER_NODE_POOL, f"-compute-{pool['name']}")


def test_auto_mode_gpu_nodes_carry_the_gpu_no_schedule_taint(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    for _, node_pool in auto_node_pools(preview, spec):
        taints = node_pool.plain_inputs["spec"]["template"]["spec"]["taints"]
        assert (GPU_KEY, "true", "NoSchedule") in taints_of(taints), node_pool.name


def test_auto_mode_node_pools_launch_only_the_pool_instance_types_and_capacity(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    karpenter_capacity = {
        "on-demand": "on-demand",
        "reserved": "reserved",
        "capacity-block": "reserved",
    }
    for pool, node_pool in auto_node_pools(preview, spec):
        assert sorted(requirement(node_pool, "node.kubernetes.io/instance-type")) == sorted(
            pool["instanceTypes"]
        )
        capacity = pool.get("capacityType", "on-demand")
        assert requirement(node_pool, "karpenter.sh/capacity-type") == [
            karpenter_capacity[capacity]
        ]
        assert requirement(node_pool, "kubernetes.io/arch") == ["amd64"]


def test_auto_mode_node_pool_limits_cap_the_pool_gpus(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    for pool, node_pool in auto_node_pools(preview, spec):
        per_node = max(GPUS_PER_NODE[t] for t in pool["instanceTypes"])
        assert int(node_pool.plain_inputs["spec"]["limits"][GPU_KEY]) == pool["maxNodes"] * per_node


def test_auto_mode_dev_pool_limit_is_two_gpus(dev_preview: Preview) -> None:
    # l40s: maxNodes 2 x 1 GPU per g6e.xlarge / g6e.2xlarge.
    node_pool = one(dev_preview, KARPENTER_NODE_POOL, "l40s")
    assert node_pool.plain_inputs["spec"]["limits"] == {GPU_KEY: "2"}


def test_auto_mode_consolidates_only_empty_nodes(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    for pool, node_pool in auto_node_pools(preview, spec):
        disruption = node_pool.plain_inputs["spec"]["disruption"]
        assert disruption["consolidationPolicy"] == "WhenEmpty"
        if pool.get("capacityType", "on-demand") in ("on-demand", "spot", "reserved"):
            assert disruption["consolidateAfter"] != "Never", node_pool.name
            assert re.fullmatch(r"\d+[smh]", disruption["consolidateAfter"]), disruption


def test_auto_mode_keeps_capacity_block_nodes(reserved: Preview) -> None:
    node_pool = one(reserved, KARPENTER_NODE_POOL, "-compute-b200")
    assert node_pool.plain_inputs["spec"]["disruption"]["consolidateAfter"] == "Never"


def test_auto_mode_node_pools_carry_the_pool_labels(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, spec = auto_variant
    for pool, node_pool in auto_node_pools(preview, spec):
        labels = node_pool.plain_inputs["spec"]["template"]["metadata"]["labels"]
        assert labels == {**pool.get("labels", {}), POOL_LABEL: pool["name"]}


def test_auto_mode_node_objects_use_the_cluster_kubernetes_provider(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, _ = auto_variant
    provider = one(preview, K8S_PROVIDER)
    assert "plinth:cluster:EksGpuCluster" in provider.urn
    objects = [*preview.of_type(KARPENTER_NODE_POOL), *preview.of_type(NODE_CLASS)]
    assert objects
    for record in objects:
        assert provider_urn(record) == provider.urn, record.name
        assert one(preview, CLUSTER).urn in record.depends_on, record.name


def test_auto_mode_installs_no_addons_node_groups_or_autoscaler(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    preview, _ = auto_variant
    assert of_type(preview, ADDON) == []
    assert of_type(preview, NODE_GROUP) == []
    assert of_type(preview, LAUNCH_TEMPLATE) == []
    assert [
        r for r in of_type(preview, RELEASE) if r.plain_inputs["chart"] == "cluster-autoscaler"
    ] == []


def test_auto_mode_enforces_network_policies(
    auto_variant: tuple[Preview, dict[str, Any]],
) -> None:
    # AWS (auto-net-pol): Auto Mode enforces NetworkPolicies once this ConfigMap exists.
    preview, _ = auto_variant
    (config_map,) = [
        c
        for c in of_type(preview, CONFIG_MAP)
        if c.plain_inputs["metadata"] == {"name": "amazon-vpc-cni", "namespace": "kube-system"}
    ]
    assert config_map.plain_inputs["data"] == {"enable-network-policy-controller": "true"}
    assert provider_urn(config_map) == one(preview, K8S_PROVIDER).urn
    assert one(preview, CLUSTER).urn in config_map.depends_on
    # The GPU layer (and so every tenant object after it) waits for enforcement to be on.
    priority_classes = of_type(preview, "kubernetes:scheduling.k8s.io/v1:PriorityClass")
    assert len(priority_classes) == 3
    for priority_class in priority_classes:
        assert config_map.urn in priority_class.depends_on, priority_class.name


def test_auto_mode_without_reservations_uses_the_default_node_class(dev_preview: Preview) -> None:
    assert of_type(dev_preview, NODE_CLASS) == []
    # Nodes on the default node class need no access entry: the cluster creates none, and
    # the entries there are (the tenants' personas, the auditor) are for people, not nodes.
    assert in_cluster_component(one(dev_preview, CLUSTER))
    entries = of_type(dev_preview, ACCESS_ENTRY)
    assert [e.name for e in entries if in_cluster_component(e)] == []
    node_role_arn = role_arn(one(dev_preview, ROLE, "-gpu-node"))
    assert [
        e.name
        for e in entries
        if e.plain_inputs["type"] != "STANDARD" or e.plain_inputs["principalArn"] == node_role_arn
    ] == []
    node_pool = one(dev_preview, KARPENTER_NODE_POOL)
    assert node_pool.plain_inputs["spec"]["template"]["spec"]["nodeClassRef"] == {
        "group": "eks.amazonaws.com",
        "kind": "NodeClass",
        "name": "default",
    }


def test_auto_mode_reserved_pools_get_a_node_class_selecting_their_reservation(
    reserved: Preview,
) -> None:
    node_role = one(reserved, ROLE, "-gpu-node")
    reserved_pools = {
        pool["name"]: pool["capacityReservationIds"]
        for pool in RESERVED_AUTO_CLUSTER["gpuPools"]
        if pool.get("capacityReservationIds")
    }
    classes = {c.plain_inputs["metadata"]["name"]: c for c in reserved.of_type(NODE_CLASS)}
    assert sorted(classes) == sorted(f"gpu-{name}" for name in reserved_pools)
    for name, reservations in reserved_pools.items():
        spec = classes[f"gpu-{name}"].plain_inputs["spec"]
        assert spec["capacityReservationSelectorTerms"] == [{"id": r} for r in reservations]
        assert spec["role"] == node_role.id
        assert [t["id"] for t in spec["subnetSelectorTerms"]] == reserved.outputs[
            "privateSubnetIds"
        ]
        node_pool = one(reserved, KARPENTER_NODE_POOL, f"-compute-{name}")
        assert (
            node_pool.plain_inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"]
            == f"gpu-{name}"
        )
        assert classes[f"gpu-{name}"].urn in node_pool.depends_on
    on_demand = one(reserved, KARPENTER_NODE_POOL, "-compute-l40s")
    assert on_demand.plain_inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"] == "default"


def test_auto_mode_reserved_pools_add_no_access_entry_for_the_node_role(reserved: Preview) -> None:
    # EKS creates the EC2 access entry for the computeConfig node role with the cluster; a
    # second entry for the same principal makes CreateAccessEntry fail.
    cluster = one(reserved, CLUSTER)
    node_role_arn = role_arn(one(reserved, ROLE, "-gpu-node"))
    assert cluster.plain_inputs["computeConfig"]["nodeRoleArn"] == node_role_arn
    for node_class in reserved.of_type(NODE_CLASS):
        assert node_class.plain_inputs["spec"]["role"] == one(reserved, ROLE, "-gpu-node").id
    assert [
        e.name
        for e in reserved.of_type(ACCESS_ENTRY)
        if e.plain_inputs["principalArn"] == node_role_arn
    ] == []
    assert [
        e.name for e in reserved.of_type(ACCESS_ENTRY) if e.plain_inputs["type"] != "STANDARD"
    ] == []


# --- EKS managed node groups -----------------------------------------------------------------


def gpu_pools() -> dict[str, dict[str, Any]]:
    return {pool["name"]: pool for pool in NODEGROUPS_CLUSTER["gpuPools"]}


def gpu_node_group(preview: Preview, pool: str) -> ResourceRecord:
    return named(preview, NODE_GROUP, f"plinth-dev-train-compute-{pool}")


def test_nodegroups_system_group_is_on_demand_untainted_standard_ami(nodegroups: Preview) -> None:
    system = named(nodegroups, NODE_GROUP, "plinth-dev-train-compute-system").plain_inputs
    assert system["capacityType"] == "ON_DEMAND"
    assert not system.get("taints")
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert system["instanceTypes"] == ["m7i.large"]
    assert system["scalingConfig"]["minSize"] >= 2
    assert system["subnetIds"] == nodegroups.outputs["privateSubnetIds"]


def test_nodegroups_one_gpu_group_per_pool_and_the_system_group(nodegroups: Preview) -> None:
    names = sorted(r.name for r in nodegroups.of_type(NODE_GROUP))
    assert names == sorted(f"plinth-dev-train-compute-{p}" for p in [*gpu_pools(), "system"])


def test_nodegroups_gpu_groups_use_the_nvidia_ami_and_the_gpu_taint(nodegroups: Preview) -> None:
    for name, pool in gpu_pools().items():
        group = gpu_node_group(nodegroups, name).plain_inputs
        assert group["amiType"] == "AL2023_x86_64_NVIDIA"
        if pool.get("capacityType") == "capacity-block":
            # EKS takes a Capacity Block's instance type from the launch template only.
            assert "instanceTypes" not in group
        else:
            assert group["instanceTypes"] == pool["instanceTypes"]
        assert taints_of(group["taints"]) == [(GPU_KEY, "true", "NO_SCHEDULE")]


def test_nodegroups_gpu_groups_scale_between_the_spec_bounds(nodegroups: Preview) -> None:
    for name, pool in gpu_pools().items():
        group = gpu_node_group(nodegroups, name)
        scaling = group.plain_inputs["scalingConfig"]
        assert scaling["minSize"] == pool.get("minNodes", 0)
        assert scaling["maxSize"] == pool["maxNodes"]
        # The Cluster Autoscaler owns the desired size after creation.
        assert "scalingConfig.desiredSize" in group.ignore_changes
    assert gpu_node_group(nodegroups, "a100").plain_inputs["scalingConfig"]["minSize"] == 0


def test_nodegroups_gpu_groups_carry_pool_and_sharing_labels(nodegroups: Preview) -> None:
    labels = {name: gpu_node_group(nodegroups, name).plain_inputs["labels"] for name in gpu_pools()}
    assert labels["h100"] == {POOL_LABEL: "h100"}
    assert labels["l4"] == {
        "team": "vision",
        POOL_LABEL: "l4",
        "nvidia.com/device-plugin.config": "l4",
    }
    assert labels["a100"] == {POOL_LABEL: "a100", "nvidia.com/mig.config": "all-1g.10gb"}


def test_nodegroups_time_sliced_label_selects_a_device_plugin_config_with_its_replicas(
    nodegroups: Preview,
) -> None:
    value = gpu_node_group(nodegroups, "l4").plain_inputs["labels"][
        "nvidia.com/device-plugin.config"
    ]
    data = one(nodegroups, CONFIG_MAP, "device-plugin-config").plain_inputs["data"]
    config = yaml.safe_load(data[value])
    assert config["sharing"]["timeSlicing"]["resources"] == [{"name": GPU_KEY, "replicas": 4}]


def launch_template(preview: Preview, pool: str) -> ResourceRecord:
    return named(preview, LAUNCH_TEMPLATE, f"plinth-dev-train-compute-{pool}")


def test_nodegroups_efa_templates_attach_every_efa_device(nodegroups: Preview) -> None:
    # EC2 "Maximize network bandwidth" (efa-acc-inst-types): an ENA primary on card 0,
    # EFA-only on card 0 device 1 where card 0 supports EFA, EFA-only device 0 on every other
    # card. p5.48xlarge: 32 cards, 32 EFA; p6-b300.48xlarge: 17 cards, card 0 ENA only.
    p5 = launch_template(nodegroups, "h100").plain_inputs["networkInterfaces"]
    assert [(i["networkCardIndex"], i["deviceIndex"], i["interfaceType"]) for i in p5] == [
        (0, 0, "interface"),
        (0, 1, "efa-only"),
        *[(card, 0, "efa-only") for card in range(1, 32)],
    ]
    b300 = launch_template(nodegroups, "b300").plain_inputs["networkInterfaces"]
    assert [(i["networkCardIndex"], i["deviceIndex"], i["interfaceType"]) for i in b300] == [
        (0, 0, "interface"),
        *[(card, 0, "efa-only") for card in range(1, 17)],
    ]
    # Every interface in the cluster security group, which lets EFA traffic reach itself.
    groups = {tuple(interface["securityGroups"]) for interface in [*p5, *b300]}
    assert len(groups) == 1
    (only,) = groups
    assert len(only) == 1
    assert only[0].startswith("sg-")
    for interface in [*p5, *b300]:
        assert interface["deleteOnTermination"] == "true"
        assert "associatePublicIpAddress" not in interface  # refused with several interfaces
        assert "subnetId" not in interface  # EKS rejects subnets in a node group's template


def test_nodegroups_on_demand_efa_pool_gets_a_cluster_placement_group_in_one_subnet(
    nodegroups: Preview,
) -> None:
    placement = one(nodegroups, PLACEMENT_GROUP)
    assert placement.name == "plinth-dev-train-compute-b300"
    assert placement.plain_inputs["strategy"] == "cluster"
    inputs = launch_template(nodegroups, "b300").plain_inputs
    assert inputs["placement"]["groupName"] == placement.id
    assert inputs["metadataOptions"]["httpTokens"] == "required"
    group = gpu_node_group(nodegroups, "b300").plain_inputs
    assert group["launchTemplate"]["id"] == launch_template(nodegroups, "b300").id
    assert group["subnetIds"] == nodegroups.outputs["privateSubnetIds"][:1]
    for name in ("l4", "a100"):
        group = gpu_node_group(nodegroups, name).plain_inputs
        assert group["subnetIds"] == nodegroups.outputs["privateSubnetIds"]
        assert not group.get("launchTemplate")


def subnet_in_zone(preview: Preview, zone: str) -> str:
    (subnet,) = [
        s.id
        for s in of_type(preview, SUBNET)
        if s.plain_inputs["availabilityZone"] == zone
        and s.id in preview.outputs["privateSubnetIds"]
    ]
    return subnet


def test_nodegroups_reserved_pools_launch_only_in_their_reservations_zone(
    nodegroups: Preview,
) -> None:
    # The offline engine places every reservation it reads in the region's first zone.
    reads = [r for r in nodegroups.resources if r.type == CAPACITY_RESERVATION]
    assert sorted(r.id for r in reads) == sorted([BLOCK, RESERVATION, SECOND_RESERVATION])
    assert all(r.read for r in reads)
    for name in ("h100", "l40s"):
        group = gpu_node_group(nodegroups, name).plain_inputs
        assert group["subnetIds"] == [subnet_in_zone(nodegroups, f"{REGION}a")], name


def test_nodegroups_capacity_block_pool_launches_into_its_block(nodegroups: Preview) -> None:
    assert gpu_node_group(nodegroups, "h100").plain_inputs["capacityType"] == "CAPACITY_BLOCK"
    inputs = launch_template(nodegroups, "h100").plain_inputs
    assert inputs["instanceMarketOptions"]["marketType"] == "capacity-block"
    assert inputs["instanceType"] == "p5.48xlarge"
    target = inputs["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationId": BLOCK}
    # Capacity Blocks do not support placement groups.
    assert "placement" not in inputs
    for name in ("l4", "a100", "b300", "l40s"):
        assert gpu_node_group(nodegroups, name).plain_inputs["capacityType"] == "ON_DEMAND"


def test_nodegroups_several_reservations_form_one_capacity_reservation_group(
    nodegroups: Preview,
) -> None:
    group = one(nodegroups, RESOURCE_GROUP)
    assert [c["type"] for c in group.plain_inputs["configurations"]] == [
        "AWS::EC2::CapacityReservationPool",
        "AWS::ResourceGroups::Generic",
    ]
    members = of_type(nodegroups, RESOURCE_GROUP_MEMBER)
    assert sorted(m.plain_inputs["resourceArn"] for m in members) == sorted(
        f"arn:aws:ec2:{REGION}:{EXAMPLE_ACCOUNT_ID}:capacity-reservation/{r}"
        for r in (RESERVATION, SECOND_RESERVATION)
    )
    group_arn = group.plain_inputs.get("arn") or f"arn:aws:resource-groups:{REGION}"
    target = launch_template(nodegroups, "l40s").plain_inputs["capacityReservationSpecification"][
        "capacityReservationTarget"
    ]
    assert list(target) == ["capacityReservationResourceGroupArn"]
    assert target["capacityReservationResourceGroupArn"].startswith(group_arn)
    for member in members:
        assert member.plain_inputs["groupArn"] == target["capacityReservationResourceGroupArn"]
    assert gpu_node_group(nodegroups, "l40s").plain_inputs["instanceTypes"] == ["g6e.2xlarge"]


def test_nodegroups_efa_device_plugin_tolerates_the_gpu_pools(nodegroups: Preview) -> None:
    (plugin,) = [
        r
        for r in of_type(nodegroups, RELEASE)
        if r.plain_inputs["chart"] == "aws-efa-k8s-device-plugin"
    ]
    inputs = plugin.plain_inputs
    assert inputs["version"] == "v0.5.30"
    assert inputs["repositoryOpts"]["repo"] == "https://aws.github.io/eks-charts"
    assert inputs["namespace"] == "kube-system"
    assert {"key": GPU_KEY, "operator": "Equal", "value": "true", "effect": "NoSchedule"} in (
        inputs["values"]["tolerations"]
    )


def test_no_efa_device_plugin_without_efa_pools(dev_preview: Preview, reserved: Preview) -> None:
    for preview in (dev_preview, reserved):
        charts = [r.plain_inputs["chart"] for r in of_type(preview, RELEASE)]
        assert "aws-efa-k8s-device-plugin" not in charts


def test_nodegroups_installs_the_five_addons_at_pinned_versions(nodegroups: Preview) -> None:
    versions = {
        a.plain_inputs["addonName"]: a.plain_inputs["addonVersion"]
        for a in nodegroups.of_type(ADDON)
    }
    assert sorted(versions) == sorted(
        ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"]
    )
    for addon, version in versions.items():
        assert EKS_ADDON_BUILD.match(version), (addon, version)
        if addon != "coredns":
            assert version == ADDON_VERSIONS["1.34"][addon], addon
    # kube-proxy follows the control plane's minor.
    assert versions["kube-proxy"].startswith("v1.34.")


def test_nodegroups_addon_version_override_replaces_the_pinned_build(nodegroups: Preview) -> None:
    coredns = named(nodegroups, ADDON, "plinth-dev-train-compute-coredns")
    assert coredns.plain_inputs["addonVersion"] == CORE_DNS_OVERRIDE
    assert ADDON_VERSIONS["1.34"]["coredns"] != CORE_DNS_OVERRIDE


@pytest.mark.parametrize("kubernetes_version", sorted(ADDON_VERSIONS))
def test_pinned_addon_table_holds_eks_builds_matching_the_minor(kubernetes_version: str) -> None:
    table = ADDON_VERSIONS[kubernetes_version]
    assert sorted(table) == sorted(
        ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"]
    )
    for addon, version in table.items():
        assert EKS_ADDON_BUILD.match(version), (addon, version)
    assert table["kube-proxy"].startswith(f"v{kubernetes_version}.")


def test_nodegroups_gpu_groups_wait_for_every_addon(nodegroups: Preview) -> None:
    addon_urns = {a.urn for a in nodegroups.of_type(ADDON)}
    for name in gpu_pools():
        assert addon_urns <= set(gpu_node_group(nodegroups, name).depends_on), name


def pod_identity_trust(pod_role: ResourceRecord) -> dict[str, Any]:
    (trust,) = document(pod_role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    return dict(trust["Condition"])


@pytest.mark.parametrize(
    ("addon", "service_account", "role"),
    [
        ("vpc-cni", "aws-node", "vpc-cni"),
        ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "ebs-csi"),
    ],
)
def test_nodegroups_addon_credentials_come_from_pod_identity(
    nodegroups: Preview, addon: str, service_account: str, role: str
) -> None:
    record = named(nodegroups, ADDON, f"plinth-dev-train-compute-{addon}")
    pod_role = named(nodegroups, ROLE, f"plinth-dev-train-compute-{role}")
    assert record.plain_inputs["podIdentityAssociations"] == [
        {"serviceAccount": service_account, "roleArn": role_arn(pod_role)}
    ]
    # Only the session tags EKS documents for Pod Identity trust (pod-id-role): this
    # cluster, kube-system, the add-on's service account. No aws:SourceArn/SourceAccount,
    # which AWS does not document for pods.eks.amazonaws.com.
    assert pod_identity_trust(pod_role) == {
        "StringEquals": {
            "aws:RequestTag/eks-cluster-arn": [
                f"arn:aws:eks:{REGION}:{EXAMPLE_ACCOUNT_ID}:cluster/plinth-dev-train"
            ],
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": service_account,
        }
    }


def test_nodegroups_node_role_trust_is_the_documented_one(nodegroups: Preview) -> None:
    # EKS User Guide (create-node-role): EC2 assumes the node role with no condition; a
    # confused-deputy key EC2 does not send would leave the nodes without credentials.
    node_role = named(nodegroups, ROLE, "plinth-dev-train-node")
    assert document(node_role, "assumeRolePolicy")["Statement"] == [
        {
            "Sid": "AssumedByEc2Nodes",
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_nodegroups_vpc_cni_enforces_network_policies(nodegroups: Preview) -> None:
    # AWS (cni-network-policy-configure): the add-on's configuration value that turns on the
    # network policy agent; no other add-on is configured.
    cni = named(nodegroups, ADDON, "plinth-dev-train-compute-vpc-cni")
    assert json.loads(cni.plain_inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    others = [a for a in nodegroups.of_type(ADDON) if a.plain_inputs["addonName"] != "vpc-cni"]
    assert len(others) == 4
    for addon in others:
        assert "configurationValues" not in addon.plain_inputs, addon.name
    # Node groups run the CNI add-on itself, so there is no Auto Mode ConfigMap to write.
    assert [
        c
        for c in of_type(nodegroups, CONFIG_MAP)
        if c.plain_inputs["metadata"]["name"] == "amazon-vpc-cni"
    ] == []


def test_nodegroups_other_addons_get_no_pod_identity(nodegroups: Preview) -> None:
    for addon in ("kube-proxy", "coredns", "eks-pod-identity-agent"):
        record = named(nodegroups, ADDON, f"plinth-dev-train-compute-{addon}")
        assert not record.plain_inputs.get("podIdentityAssociations"), addon


def test_nodegroups_node_role_has_only_the_worker_and_registry_policies(
    nodegroups: Preview,
) -> None:
    node_role = named(nodegroups, ROLE, "plinth-dev-train-node")
    assert attached_policies(nodegroups, node_role) == {
        f"{MANAGED}AmazonEKSWorkerNodePolicy",
        f"{MANAGED}AmazonEC2ContainerRegistryPullOnly",
    }
    assert [
        p for p in of_type(nodegroups, ROLE_POLICY) if p.plain_inputs["role"] == node_role.id
    ] == []
    # The CNI policy sits on the vpc-cni Pod Identity role instead.
    cni_role = named(nodegroups, ROLE, "plinth-dev-train-compute-vpc-cni")
    assert attached_policies(nodegroups, cni_role) == {f"{MANAGED}AmazonEKS_CNI_Policy"}
    for group in nodegroups.of_type(NODE_GROUP):
        assert group.plain_inputs["nodeRoleArn"] == role_arn(node_role)


def test_nodegroups_cluster_role_has_only_the_cluster_policy(nodegroups: Preview) -> None:
    role = named(nodegroups, ROLE, "plinth-dev-train-cluster")
    assert attached_policies(nodegroups, role) == {f"{MANAGED}AmazonEKSClusterPolicy"}


def test_nodegroups_admins_get_cluster_admin_through_access_entries(nodegroups: Preview) -> None:
    (admin,) = NODEGROUPS_CLUSTER["admins"]
    entry = one_in_cluster(nodegroups, ACCESS_ENTRY)
    assert entry.plain_inputs == {**entry.plain_inputs, "type": "STANDARD", "principalArn": admin}
    association = one_in_cluster(nodegroups, ACCESS_POLICY).plain_inputs
    assert association["principalArn"] == admin
    assert (
        association["policyArn"]
        == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert association["accessScope"] == {"type": "cluster"}


def autoscaler(preview: Preview) -> ResourceRecord:
    (release,) = [
        r for r in of_type(preview, RELEASE) if r.plain_inputs["chart"] == "cluster-autoscaler"
    ]
    return release


def test_nodegroups_cluster_autoscaler_is_pinned_and_runs_on_system_nodes(
    nodegroups: Preview,
) -> None:
    release = autoscaler(nodegroups)
    inputs = release.plain_inputs
    assert re.fullmatch(r"\d+\.\d+\.\d+", inputs["version"]), inputs["version"]
    values = inputs["values"]
    assert values["tolerations"] == []
    system_labels = named(nodegroups, NODE_GROUP, "plinth-dev-train-compute-system").plain_inputs[
        "labels"
    ]
    assert values["nodeSelector"]
    assert values["nodeSelector"].items() <= system_labels.items()
    assert values["autoDiscovery"]["clusterName"] == "plinth-dev-train"
    # The autoscaler's minor must match the control plane's.
    assert values["image"]["tag"].startswith("v1.34.")
    assert provider_urn(release) == one(nodegroups, K8S_PROVIDER).urn


def test_nodegroups_cluster_autoscaler_scales_only_this_clusters_groups(
    nodegroups: Preview,
) -> None:
    role = named(nodegroups, ROLE, "plinth-dev-train-compute-cluster-autoscaler")
    (policy_record,) = [
        p for p in of_type(nodegroups, ROLE_POLICY) if p.plain_inputs["role"] == role.id
    ]
    statements = document(policy_record, "policy")["Statement"]
    mutating = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    scaling = [
        s
        for s in statements
        if mutating & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert scaling, "no statement grants scaling"
    for entry in scaling:
        assert entry["Condition"] == {
            "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/plinth-dev-train": "owned"}
        }
    association = one(nodegroups, POD_IDENTITY, "cluster-autoscaler").plain_inputs
    assert association["namespace"] == "kube-system"
    service_account = autoscaler(nodegroups).plain_inputs["values"]["rbac"]["serviceAccount"]
    assert association["serviceAccount"] == service_account["name"]
    assert association["roleArn"] == role_arn(role)
    # The role trusts Pod Identity for exactly that service account on this cluster.
    tags = pod_identity_trust(role)["StringEquals"]
    assert tags["aws:RequestTag/kubernetes-service-account"] == service_account["name"]
    assert tags["aws:RequestTag/kubernetes-namespace"] == "kube-system"


# --- system components never tolerate the GPU taint ------------------------------------------


def deployment_tolerations(release: ResourceRecord) -> dict[str, list[dict[str, str]]]:
    """The tolerations of each controller (Deployment) a release runs, by values path."""
    chart = release.plain_inputs["chart"]
    values = release.plain_inputs["values"]
    if chart == "cluster-autoscaler":
        return {"tolerations": values["tolerations"]}
    if chart == "gpu-operator":
        nfd = values["node-feature-discovery"]
        return {
            "operator.tolerations": values["operator"]["tolerations"],
            "node-feature-discovery.master.tolerations": nfd["master"]["tolerations"],
            "node-feature-discovery.gc.tolerations": nfd["gc"]["tolerations"],
        }
    if chart.endswith("/kueue"):
        return {"controllerManager.tolerations": values["controllerManager"]["tolerations"]}
    if chart == "cks-kueue":
        return {
            "kueue.controllerManager.tolerations": values["kueue"]["controllerManager"][
                "tolerations"
            ]
        }
    if chart == "aws-efa-k8s-device-plugin":
        return {}  # a node agent only (a DaemonSet on EFA nodes): it must tolerate GPU taints
    if chart == "secrets-store-csi-driver-provider-aws":
        return {}  # node agents only (the driver and provider DaemonSets)
    if chart.endswith("/litellm-helm"):
        return {"tolerations": values.get("tolerations", [])}
    if chart in ("kube-state-metrics", "mlflow"):
        return {"tolerations": values.get("tolerations", [])}
    if chart == "prometheus":
        return {"server.tolerations": values["server"]["tolerations"]}
    raise AssertionError(f"unknown chart {chart!r}: say which of its workloads are controllers")


@pytest.mark.parametrize(
    ("variant", "charts"),
    [
        (
            "dev_preview",
            [
                "gpu-operator",
                "oci://registry.k8s.io/kueue/charts/kueue",
                *GATEWAY,
                "kube-state-metrics",
                "mlflow",  # the search tenant's (tracking.server: cluster)
            ],
        ),
        (
            "nodegroups",
            [
                "aws-efa-k8s-device-plugin",
                "cluster-autoscaler",
                "gpu-operator",
                "oci://registry.k8s.io/kueue/charts/kueue",
                *GATEWAY,
                "kube-state-metrics",
            ],
        ),
        (
            "reserved",
            [
                "gpu-operator",
                "oci://registry.k8s.io/kueue/charts/kueue",
                *GATEWAY,
                "kube-state-metrics",
            ],
        ),
        ("coreweave", ["cks-kueue", "kube-state-metrics", "prometheus"]),
    ],
)
def test_system_components_never_tolerate_the_gpu_taint(
    request: pytest.FixtureRequest, variant: str, charts: list[str]
) -> None:
    preview: Preview = request.getfixturevalue(variant)
    releases = preview.of_type(RELEASE)
    assert sorted(r.plain_inputs["chart"] for r in releases) == sorted(charts)
    for release in releases:
        for path, tolerations in deployment_tolerations(release).items():
            for toleration in tolerations:
                where = f"{release.plain_inputs['chart']} {path}: {toleration}"
                assert toleration.get("key") != GPU_KEY, where
                # A toleration without a key (operator Exists) tolerates every taint.
                assert toleration.get("key"), where


# --- CoreWeave --------------------------------------------------------------------------------


def coreweave_cluster_spec() -> dict[str, Any]:
    clusters: list[dict[str, Any]] = coreweave_config()["plinth:clusters"]
    return clusters[0]


def test_coreweave_vpc_disables_public_services_and_carves_ranges_from_the_prefix(
    coreweave: Preview,
) -> None:
    spec = coreweave_cluster_spec()
    vpc = one(coreweave, CW_VPC).plain_inputs
    assert vpc["ingress"]["disablePublicServices"] is True
    assert vpc["zone"] == spec["zone"]
    prefixes = {p["name"]: ipaddress.IPv4Network(p["value"]) for p in vpc["vpcPrefixes"]}
    assert sorted(prefixes) == ["internal-lb-cidr", "pod-cidr", "service-cidr"]
    parent = ipaddress.IPv4Network(spec["vpcPrefix"])
    for network in prefixes.values():
        assert network.subnet_of(parent), network
    ranges = list(prefixes.values())
    for index, network in enumerate(ranges):
        for other in ranges[index + 1 :]:
            assert not network.overlaps(other), (network, other)
    assert prefixes["pod-cidr"].num_addresses >= parent.num_addresses // 2


def test_coreweave_cks_cluster_is_private_at_the_spec_version(coreweave: Preview) -> None:
    spec = coreweave_cluster_spec()
    cluster = one(coreweave, CKS_CLUSTER).plain_inputs
    assert spec["publicEndpoint"] is False
    assert cluster["public"] is False
    assert cluster["version"] == f"v{spec['kubernetesVersion']}" == "v1.35"
    assert cluster["zone"] == spec["zone"]
    assert cluster["name"] == f"{coreweave_config()['plinth:environment']}-{spec['name']}"
    assert cluster["vpcId"] == one(coreweave, CW_VPC).id


def test_coreweave_cks_ranges_name_the_vpc_prefixes(coreweave: Preview) -> None:
    cluster = one(coreweave, CKS_CLUSTER).plain_inputs
    names = {p["name"] for p in one(coreweave, CW_VPC).plain_inputs["vpcPrefixes"]}
    used = {cluster["podCidrName"], cluster["serviceCidrName"], *cluster["internalLbCidrNames"]}
    assert used == names
    assert cluster["podCidrName"] == "pod-cidr"
    assert cluster["serviceCidrName"] == "service-cidr"
    assert cluster["internalLbCidrNames"] == ["internal-lb-cidr"]


def test_coreweave_cks_audit_policy_is_a_base64_audit_policy(coreweave: Preview) -> None:
    encoded = one(coreweave, CKS_CLUSTER).plain_inputs["auditPolicy"]
    policy = yaml.safe_load(base64.b64decode(encoded, validate=True))
    assert policy["apiVersion"] == "audit.k8s.io/v1"
    assert policy["kind"] == "Policy"
    assert policy["rules"]
    assert all(
        rule["level"] in ("None", "Metadata", "Request", "RequestResponse")
        for rule in policy["rules"]
    )


def test_coreweave_node_pools_follow_the_spec_pools(coreweave: Preview) -> None:
    spec = coreweave_cluster_spec()
    pools = {p.plain_inputs["metadata"]["name"]: p for p in coreweave.of_type(CW_NODE_POOL)}
    assert sorted(pools) == sorted(f"gpu-{pool['name']}" for pool in spec["gpuPools"])
    for pool in spec["gpuPools"]:
        record = pools[f"gpu-{pool['name']}"]
        assert record.plain_inputs["apiVersion"] == "compute.coreweave.com/v1alpha1"
        node_pool = record.plain_inputs["spec"]
        assert node_pool["instanceType"] == pool["instanceType"]
        assert node_pool["autoscaling"] is True
        assert node_pool["minNodes"] == pool["minNodes"]
        assert node_pool["maxNodes"] == pool["maxNodes"]
        assert (GPU_KEY, "true", "NoSchedule") in taints_of(node_pool["nodeTaints"])
        assert node_pool["nodeLabels"] == {**pool.get("labels", {}), POOL_LABEL: pool["name"]}


def test_coreweave_node_pools_use_the_cluster_kubernetes_provider(coreweave: Preview) -> None:
    provider = one(coreweave, K8S_PROVIDER)
    cluster = one(coreweave, CKS_CLUSTER)
    for record in coreweave.of_type(CW_NODE_POOL):
        assert provider_urn(record) == provider.urn
        assert cluster.urn in record.depends_on


def test_coreweave_kubeconfig_points_at_the_api_server_and_holds_no_token(
    coreweave: Preview,
) -> None:
    cluster = one(coreweave, CKS_CLUSTER)
    # The API server endpoint the offline cloud gives this cluster.
    _, outputs = computed_outputs(
        MockedResource(CKS_CLUSTER, cluster.name, cluster.plain_inputs, REGION)
    )
    raw = one(coreweave, K8S_PROVIDER).plain_inputs["kubeconfig"]
    kubeconfig = yaml.safe_load(raw) if isinstance(raw, str) else raw
    (entry,) = kubeconfig["clusters"]
    assert entry["cluster"]["server"] == f"https://{outputs['apiServerEndpoint']}"
    (user,) = kubeconfig["users"]
    assert set(user["user"]) == {"exec"}
    exec_config = user["user"]["exec"]
    assert exec_config["apiVersion"].startswith("client.authentication.k8s.io/")
    assert "$COREWEAVE_API_TOKEN" in " ".join(exec_config["args"])
    assert not exec_config.get("env")


def test_coreweave_runs_no_gpu_operator_and_uses_cks_kueue(coreweave: Preview) -> None:
    releases = coreweave.of_type(RELEASE)
    assert [r for r in releases if r.plain_inputs["chart"] == "gpu-operator"] == []
    (kueue,) = [r for r in releases if "kueue" in r.plain_inputs["chart"]]
    assert kueue.plain_inputs["chart"] == "cks-kueue"
    assert (
        kueue.plain_inputs["repositoryOpts"]["repo"]
        == "https://charts.core-services.ingress.coreweave.com"
    )


def test_coreweave_cluster_and_vpc_are_protected(coreweave: Preview) -> None:
    assert coreweave_config()["plinth:protect"] is True
    assert one(coreweave, CKS_CLUSTER).protect is True
    assert one(coreweave, CW_VPC).protect is True


def test_coreweave_stack_has_no_eks_resources(coreweave: Preview) -> None:
    assert of_type(coreweave, CLUSTER) == []
    assert of_type(coreweave, NODE_GROUP) == []
    assert of_type(coreweave, KARPENTER_NODE_POOL) == []


def test_previews_report_no_diagnostics(
    dev_preview: Preview, nodegroups: Preview, reserved: Preview, coreweave: Preview
) -> None:
    for preview in (dev_preview, nodegroups, reserved, coreweave):
        assert preview.diagnostics == [], preview.stack


# --- reservation zones ------------------------------------------------------------------------


def reserved_pool(*, efa: bool = False) -> EksGpuPool:
    pool = GpuNodePool(
        name="h100", gpu="H100", gpus_per_node=8, min_nodes=0, max_nodes=2, labels={}
    )
    return EksGpuPool(
        pool=pool,
        instance_types=["p5.48xlarge"],
        capacity_type="reserved",
        capacity_reservation_ids=[RESERVATION, SECOND_RESERVATION],
        efa=efa,
    )


def test_reserved_pool_subnets_are_those_of_its_reservations_zones() -> None:
    chosen = _subnets_in_zones(
        reserved_pool(),
        subnets=["subnet-a", "subnet-b", "subnet-c"],
        subnet_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
        reservation_zones=["us-east-1b", "us-east-1c"],
    )
    assert chosen == ["subnet-b", "subnet-c"]


def test_a_reservation_where_the_cluster_has_no_subnet_fails_the_deployment() -> None:
    with pytest.raises(ValueError, match=r"in us-east-1d, where the cluster has no private subnet"):
        _subnets_in_zones(
            reserved_pool(),
            subnets=["subnet-a", "subnet-b"],
            subnet_zones=["us-east-1a", "us-east-1b"],
            reservation_zones=["us-east-1a", "us-east-1d"],
        )


def test_an_efa_pool_on_reservations_in_two_zones_fails_the_deployment() -> None:
    with pytest.raises(ValueError, match="EFA nodes talk within one Availability Zone"):
        _subnets_in_zones(
            reserved_pool(efa=True),
            subnets=["subnet-a", "subnet-b"],
            subnet_zones=["us-east-1a", "us-east-1b"],
            reservation_zones=["us-east-1a", "us-east-1b"],
        )
