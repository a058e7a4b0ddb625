"""Fixtures for policies/rules/eks.py."""

from __future__ import annotations

from typing import Any

from plinth.audit.analyzer import AuditResource
from rule_cases import complies, res, violates

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}


def cluster(**props: Any) -> AuditResource:
    return res(CLUSTER, "eks", {"roleArn": "arn:aws:iam::123456789012:role/eks", **props})


def endpoint(**vpc_config: Any) -> AuditResource:
    return cluster(vpcConfig={"subnetIds": ["subnet-1", "subnet-2"], **vpc_config})


def node_group(**props: Any) -> AuditResource:
    return res(NODE_GROUP, "nodes", {"clusterName": "eks", **props})


def node_pool(
    requirements: list[dict[str, Any]], taints: list[dict[str, str]] | None = None
) -> AuditResource:
    template = {"requirements": requirements, **({"taints": taints} if taints else {})}
    return res(
        NODE_POOL,
        "pool",
        {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodePool",
            "metadata": {"name": "gpu"},
            "spec": {"template": {"spec": template}},
        },
    )


def requirement(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


CASES = [
    violates(
        "eks-endpoint-private",
        "public access unset: AWS makes the endpoint public",
        endpoint(),
        expect="0.0.0.0/0",
    ),
    violates(
        "eks-endpoint-private",
        "public to the whole internet",
        endpoint(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]),
        expect="public to 0.0.0.0/0",
    ),
    complies(
        "eks-endpoint-private",
        "private endpoint only",
        endpoint(endpointPrivateAccess=True, endpointPublicAccess=False),
    ),
    complies(
        "eks-endpoint-private",
        "public only to the admin network",
        endpoint(
            endpointPrivateAccess=True,
            endpointPublicAccess=True,
            publicAccessCidrs=["203.0.113.0/24"],
        ),
    ),
    violates("eks-secrets-encryption", "no encryption config", cluster(), expect="Secrets"),
    violates(
        "eks-secrets-encryption",
        "secrets listed without a key",
        cluster(encryptionConfig={"resources": ["secrets"]}),
        expect="key_arn",
    ),
    complies(
        "eks-secrets-encryption",
        "secrets under a customer-managed key",
        cluster(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}),
    ),
    violates(
        "eks-control-plane-logging",
        "no audit log",
        cluster(enabledClusterLogTypes=["api", "authenticator"]),
        expect="audit",
    ),
    violates(
        "eks-control-plane-logging",
        "HIPAA requires all five log types",
        cluster(enabledClusterLogTypes=["api", "audit", "authenticator"]),
        profiles=("hipaa",),
        expect="controllerManager, scheduler",
    ),
    complies(
        "eks-control-plane-logging",
        "baseline's three log types",
        cluster(enabledClusterLogTypes=["api", "audit", "authenticator"]),
    ),
    complies(
        "eks-control-plane-logging",
        "all five log types under PCI",
        cluster(enabledClusterLogTypes=ALL_LOG_TYPES),
        profiles=("pci",),
    ),
    violates(
        "eks-api-authentication-mode",
        "unset access config",
        cluster(),
        expect="aws-auth",
    ),
    violates(
        "eks-api-authentication-mode",
        "ConfigMap still honoured",
        cluster(accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}),
        expect="API_AND_CONFIG_MAP",
    ),
    complies(
        "eks-api-authentication-mode",
        "access entries only",
        cluster(accessConfig={"authenticationMode": "API"}),
    ),
    violates(
        "eks-supported-version",
        "1.9 is older than 1.31 (compared as numbers, not text)",
        cluster(version="1.9"),
        expect="older than the minimum 1.31",
    ),
    violates(
        "eks-supported-version",
        "a stricter minimum from the policy config",
        cluster(version="1.32"),
        config={"minimumVersion": "1.33"},
        expect="1.33",
    ),
    complies("eks-supported-version", "a current version", cluster(version="1.33")),
    complies("eks-supported-version", "unset: EKS picks its default version", cluster()),
    violates(
        "eks-gpu-nodes-tainted",
        "GPU instance types without a taint",
        node_group(instanceTypes=["g5.2xlarge"], amiType="AL2023_x86_64_NVIDIA"),
        expect="'nvidia.com/gpu'",
    ),
    violates(
        "eks-gpu-nodes-tainted",
        "NVIDIA AMI with the default instance type",
        node_group(amiType="BOTTLEROCKET_x86_64_NVIDIA"),
        expect="nvidia.com/gpu",
    ),
    violates(
        "eks-gpu-nodes-tainted",
        "Inferentia nodes tainted with the GPU key instead of the Neuron key",
        node_group(
            instanceTypes=["inf2.xlarge"], amiType="AL2023_x86_64_NEURON", taints=[GPU_TAINT]
        ),
        expect="aws.amazon.com/neuron",
    ),
    violates(
        "eks-gpu-nodes-tainted",
        "a PreferNoSchedule taint still lets other pods in",
        node_group(
            instanceTypes=["p5.48xlarge"], taints=[{**GPU_TAINT, "effect": "PREFER_NO_SCHEDULE"}]
        ),
    ),
    complies(
        "eks-gpu-nodes-tainted",
        "GPU node group with the NoSchedule taint",
        node_group(instanceTypes=["g6e.xlarge", "g6.xlarge"], taints=[GPU_TAINT]),
    ),
    complies(
        "eks-gpu-nodes-tainted",
        "Graviton (m6g, c7g) is not a GPU family",
        node_group(instanceTypes=["m6g.large", "c7g.large"], amiType="AL2023_ARM_64_STANDARD"),
    ),
    violates(
        "eks-gpu-nodes-tainted",
        "Auto Mode NodePool of GPU families without a taint",
        node_pool([requirement("eks.amazonaws.com/instance-family", "In", "g6e", "p5")]),
        expect="nvidia.com/gpu",
    ),
    violates(
        "eks-gpu-nodes-tainted",
        "Karpenter NodePool asking for GPUs by count",
        node_pool([requirement("karpenter.k8s.aws/instance-gpu-count", "Gt", "0")]),
        expect="nvidia.com/gpu",
    ),
    complies(
        "eks-gpu-nodes-tainted",
        "GPU NodePool with the NoSchedule taint",
        node_pool(
            [requirement("eks.amazonaws.com/instance-category", "In", "g", "p")],
            [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
        ),
    ),
    complies(
        "eks-gpu-nodes-tainted",
        "general-purpose NodePool needs no taint",
        node_pool([requirement("eks.amazonaws.com/instance-category", "In", "c", "m", "r")]),
    ),
]
