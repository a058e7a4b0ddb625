"""Fixtures for policies/rules/gpu.py."""

from __future__ import annotations

from typing import Any

from rule_cases import complies, res, violates

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
FAMILY = "karpenter.k8s.aws/instance-family"

ALLOWLIST = "cost-gpu-instance-allowlist"
CAP = "cost-gpu-node-cap"
SCALE_TO_ZERO = "cost-gpu-scale-to-zero"


def node_group(name, types=("g5.xlarge",), min_size=0, max_size=4, deps=None, **props):  # type: ignore[no-untyped-def]
    scaling = {"minSize": min_size, "maxSize": max_size, "desiredSize": min_size}
    props = {"instanceTypes": list(types), "scalingConfig": scaling, **props}
    return res(NODE_GROUP, name, props, deps=deps)


def requirement(key: str, *values: str, operator: str = "In") -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


def node_pool(name, *requirements, limits=None, disruption=None):  # type: ignore[no-untyped-def]
    spec: dict[str, Any] = {
        "template": {
            "spec": {
                "requirements": list(requirements),
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": "gpu",
                },
            }
        },
        "disruption": disruption or {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m"},
    }
    if limits is not None:
        spec["limits"] = limits
    return res(NODE_POOL, name, {"metadata": {"name": name}, "spec": spec})


gpu_template = res(LAUNCH_TEMPLATE, "gpu-lt", {"instanceType": "p4d.24xlarge"})
CASES = [
    violates(
        ALLOWLIST,
        "node group with a GPU family the platform did not approve",
        node_group("ng", ("g7e.2xlarge", "g5.xlarge")),
        config={"allowedGpuInstanceTypes": ["g5.*", "g6e.*"]},
        expect="'g7e.2xlarge'",
    ),
    violates(
        ALLOWLIST,
        "EC2 instance with a B200 where only A10Gs are approved",
        res(INSTANCE, "vm", {"instanceType": "p6-b200.48xlarge"}),
        config={"allowedGpuInstanceTypes": ["g5.*"]},
        expect="p6-b200.48xlarge",
    ),
    violates(
        ALLOWLIST,
        "NodePool pinned to an unapproved GPU type",
        node_pool("pool", requirement(INSTANCE_TYPE, "p3dn.24xlarge")),
        config={"allowedGpuInstanceTypes": ["p5.*"]},
        expect="p3dn.24xlarge",
    ),
    complies(
        ALLOWLIST,
        "the default admits every family Plinth pools, the newest included",
        node_group("ng", ("g7e.2xlarge", "p6-b200.48xlarge", "p6-b300.48xlarge", "g4dn.xlarge")),
    ),
    violates(
        ALLOWLIST,
        "NodePool admitting a whole unapproved family",
        node_pool("pool", requirement(FAMILY, "g5", "g6f")),
        expect="family 'g6f'",
    ),
    violates(
        ALLOWLIST,
        "NodePool selecting any GPU by count",
        node_pool("pool", requirement("karpenter.k8s.aws/instance-gpu-count", "0", operator="Gt")),
        expect="any GPU instance type",
    ),
    violates(
        ALLOWLIST,
        "a family is not allowed by a pattern naming one size",
        node_pool("pool", requirement("eks.amazonaws.com/instance-family", "g5")),
        config={"allowedGpuInstanceTypes": ["g5.xlarge"]},
        expect="family 'g5'",
    ),
    complies(
        ALLOWLIST,
        "approved types everywhere, CPU types ignored",
        node_group("ng", ("g5.2xlarge", "g6e.12xlarge")),
        res(INSTANCE, "bastion", {"instanceType": "t3.micro"}),
        gpu_template,
        node_pool("pool", requirement(FAMILY, "g5", "m7i")),
    ),
    complies(
        ALLOWLIST,
        "pinned instance types narrow a broader family",
        node_pool("pool", requirement(FAMILY, "g6"), requirement(INSTANCE_TYPE, "g6.xlarge")),
    ),
    violates(
        CAP,
        "node group can grow past 16 nodes",
        node_group("ng", max_size=40),
        expect="max_size 40 is over 16",
    ),
    violates(
        CAP,
        "node group is GPU through its launch template",
        gpu_template,
        node_group(
            "ng",
            (),
            max_size=20,
            launchTemplate={"id": "lt-0abc", "version": "1"},
            deps={"launchTemplate": [gpu_template]},
        ),
        expect="max_size 20",
    ),
    violates(
        CAP,
        "node group is GPU through its AMI type",
        node_group("ng", (), max_size=20, amiType="AL2023_x86_64_NVIDIA"),
        expect="max_size 20",
    ),
    violates(
        CAP,
        "GPU NodePool without a GPU limit",
        node_pool("pool", requirement(FAMILY, "p5"), limits={"cpu": "1000"}),
        expect="can grow without bound",
    ),
    violates(
        CAP,
        "GPU NodePool limit over the cap",
        node_pool("pool", requirement(FAMILY, "p5"), limits={"nvidia.com/gpu": "128"}),
        expect="128 GPUs is over 64",
    ),
    complies(
        CAP,
        "bounded node group and NodePool; a large CPU node group is no GPU pool",
        node_group("ng", max_size=16),
        node_group("cpu", ("m7i.large",), max_size=100),
        node_pool("pool", requirement(FAMILY, "p5"), limits={"nvidia.com/gpu": 64}),
    ),
    violates(
        SCALE_TO_ZERO,
        "GPU node group keeps two nodes",
        node_group("ng", min_size=2),
        expect="keeps 2 nodes",
    ),
    violates(
        SCALE_TO_ZERO,
        "GPU NodePool that never consolidates",
        node_pool(
            "pool",
            requirement(INSTANCE_TYPE, "g5.xlarge"),
            limits={"nvidia.com/gpu": 8},
            disruption={"consolidationPolicy": "WhenEmpty", "consolidateAfter": "Never"},
        ),
        expect="Never",
    ),
    complies(
        SCALE_TO_ZERO,
        "min_size 0 and Karpenter's default consolidation",
        node_group("ng", min_size=0),
        node_pool("pool", requirement(FAMILY, "g6"), disruption={"consolidateAfter": "10m"}),
    ),
]
