"""GPU cost: approved GPU instance types, capped GPU node pools, idle GPU capacity released.

GPU nodes cost tens of dollars an hour each, and the costliest incidents are pools without a
ceiling that a stuck job or a misread queue scales to hundreds of nodes. These rules read the
places GPU capacity is declared: EKS managed node groups (with the launch template they use),
EC2 instances and launch templates, and Karpenter NodePools (the node pools of EKS Auto Mode),
whose GPUs are known only from their scheduling requirements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.cluster.instances import AWS_GPU_MACHINES
from policies.props import as_list, depends_via, dig, of_type
from policies.report import Report
from policies.rule import Config, Param, advisory, at_most, narrowest, resource_rule, stack_rule
from policies.rules.eks import is_gpu_instance_type

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"

GPU_RESOURCE = "nvidia.com/gpu"
POOLABLE_FAMILIES = sorted({name.split(".", 1)[0] for name in AWS_GPU_MACHINES})
"""The GPU families Plinth can pool (its machine table, checked against EC2's
DescribeInstanceTypes): the allowlist's default."""
GPU_AMI_MARKERS = ("GPU", "NVIDIA")
"""EKS AMI types with NVIDIA drivers: AL2_x86_64_GPU, AL2023_*_NVIDIA, BOTTLEROCKET_*_NVIDIA."""

INSTANCE_TYPE_KEY = "node.kubernetes.io/instance-type"
FAMILY_KEYS = ("karpenter.k8s.aws/instance-family", "eks.amazonaws.com/instance-family")
GPU_KEYS = tuple(
    f"{prefix}/instance-gpu-{attribute}"
    for prefix in ("karpenter.k8s.aws", "eks.amazonaws.com")
    for attribute in ("count", "name", "manufacturer")
)
"""Node labels that select instances by their GPUs rather than by type or family."""
SELECTING_OPERATORS = ("In", "Exists", "Gt", "Gte")
IDLE_RELEASING_POLICIES = ("WhenEmpty", "WhenEmptyOrUnderutilized")
DEFAULT_CONSOLIDATION_POLICY = "WhenEmptyOrUnderutilized"  # Karpenter v1's default


def node_pool_requirements(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A Karpenter NodePool's scheduling requirements."""
    found = as_list(dig(props, "spec", "template", "spec", "requirements"))
    return [r for r in found if isinstance(r, Mapping)]


def in_values(requirements: list[Mapping[str, Any]], keys: tuple[str, ...]) -> list[str]:
    """The values the requirements on `keys` allow with the In operator."""
    return [
        str(value)
        for r in requirements
        if dig(r, "key") in keys and dig(r, "operator") == "In"
        for value in as_list(dig(r, "values"))
    ]


def _pool_selects_gpus(props: Mapping[str, Any]) -> bool:
    requirements = node_pool_requirements(props)
    named = in_values(requirements, (INSTANCE_TYPE_KEY, *FAMILY_KEYS))
    return any(is_gpu_instance_type(name) for name in named) or any(
        dig(r, "key") in GPU_KEYS and dig(r, "operator") in SELECTING_OPERATORS
        for r in requirements
    )


def _type_allowed(instance_type: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(instance_type, pattern) for pattern in patterns)


def _family_allowed(family: str, patterns: list[str]) -> bool:
    # "g5.*" read literally matches a pattern only if that pattern admits every size of g5.
    return _type_allowed(f"{family}.*", patterns)


def _disallowed_types(types: list[str], patterns: list[str]) -> Iterator[str]:
    for instance_type in types:
        if is_gpu_instance_type(instance_type) and not _type_allowed(instance_type, patterns):
            yield f"GPU instance type {instance_type!r}"


def _pool_disallowed(props: Mapping[str, Any], patterns: list[str]) -> Iterator[str]:
    """What a NodePool's requirements let Karpenter launch outside the allowed patterns."""
    requirements = node_pool_requirements(props)
    types = in_values(requirements, (INSTANCE_TYPE_KEY,))
    if types:  # pinned instance types: any family requirement only narrows them
        yield from _disallowed_types(types, patterns)
        return
    families = in_values(requirements, FAMILY_KEYS)
    yield from (
        f"GPU instance family {f!r}"
        for f in families
        if is_gpu_instance_type(f) and not _family_allowed(f, patterns)
    )
    if not families and _pool_selects_gpus(props):
        yield "any GPU instance type (GPU requirements without instance types or families)"


@resource_rule(
    id="cost-gpu-instance-allowlist",
    area="cost",
    description="GPU capacity uses only the approved GPU instance types, so no one launches a "
    "costlier or scarcer accelerator than the platform has budgeted and reserved for.",
    severity="high",
    remediation="Use an instance type matching allowedGpuInstanceTypes in instance_types "
    "(aws.eks.NodeGroup), instance_type (aws.ec2.Instance, aws.ec2.LaunchTemplate) or the "
    "NodePool's node.kubernetes.io/instance-type / instance-family requirement; ask the platform "
    "team to extend the list for a new need.",
    fix={"gpuPool": "instanceTypes"},
    controls={},
    types=(NODE_GROUP, INSTANCE, LAUNCH_TEMPLATE, NODE_POOL),
    params=(
        Param(
            name="allowedGpuInstanceTypes",
            description="Glob patterns of the GPU instance types that may be used "
            "(an empty list allows any).",
            schema={"type": "array", "items": {"type": "string"}},
            default=[f"{family}.*" for family in POOLABLE_FAMILIES],
            merge=narrowest,
        ),
    ),
)
def gpu_instance_allowlist(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    patterns = config["allowedGpuInstanceTypes"]
    if not patterns:
        return
    if args.resource_type == NODE_POOL:
        disallowed = list(_pool_disallowed(args.props, patterns))
    else:
        types = as_list(dig(args.props, "instanceTypes")) + as_list(dig(args.props, "instanceType"))
        disallowed = list(_disallowed_types(types, patterns))
    for what in disallowed:
        report(f"{what} is not in allowedGpuInstanceTypes ({', '.join(patterns)})")


def gpu_node_groups(args: StackValidationArgs) -> list[PolicyResource]:
    """Node groups with GPU instance types, their own or their launch template's, or a GPU AMI."""
    templates = of_type(args, LAUNCH_TEMPLATE)
    groups = []
    for group in of_type(args, NODE_GROUP):
        types = as_list(dig(group.props, "instanceTypes")) + [
            dig(t.props, "instanceType", default="")
            for t in templates
            if depends_via(group, "launchTemplate", t)
        ]
        ami = str(dig(group.props, "amiType", default=""))
        if any(is_gpu_instance_type(t) for t in types) or any(m in ami for m in GPU_AMI_MARKERS):
            groups.append(group)
    return groups


def gpu_node_pools(args: StackValidationArgs) -> list[PolicyResource]:
    return [pool for pool in of_type(args, NODE_POOL) if _pool_selects_gpus(pool.props)]


def _whole_number(quantity: Any) -> int | None:
    """A count given as a number (the engine sends numbers as floats) or a Kubernetes quantity
    of a countable resource ("64"), or None if it is not a whole number."""
    if isinstance(quantity, (int, float)) and not isinstance(quantity, bool):
        return int(quantity) if float(quantity).is_integer() else None
    if isinstance(quantity, str) and quantity.isdigit():
        return int(quantity)
    return None


@stack_rule(
    id="cost-gpu-node-cap",
    area="cost",
    description="Every GPU node pool has a ceiling: managed node groups a bounded max_size, "
    "Karpenter NodePools a limit on nvidia.com/gpu. Unbounded GPU pools are the top cost "
    "incident.",
    severity="high",
    remediation="Set scaling_config.max_size on the aws.eks.NodeGroup to at most "
    "maxGpuNodesPerPool, and spec.limits['nvidia.com/gpu'] on the NodePool to at most "
    "maxGpusPerPool.",
    fix={"gpuPool": "maxNodes"},
    controls={"nist-800-53": ["SC-6"]},
    params=(
        Param(
            name="maxGpuNodesPerPool",
            description="Largest max_size of a GPU managed node group.",
            schema={"type": "integer", "minimum": 1},
            default=16,
            merge=at_most,
        ),
        Param(
            name="maxGpusPerPool",
            description="Largest nvidia.com/gpu limit of a GPU Karpenter NodePool.",
            schema={"type": "integer", "minimum": 1},
            default=64,
            merge=at_most,
        ),
    ),
)
def gpu_node_cap(args: StackValidationArgs, report: Report, config: Config) -> None:
    max_nodes, max_gpus = config["maxGpuNodesPerPool"], config["maxGpusPerPool"]
    for group in gpu_node_groups(args):
        size = dig(group.props, "scalingConfig", "maxSize", default=0)
        if size > max_nodes:
            report(f"GPU node group max_size {size:g} is over {max_nodes:g}", group.urn)
    for pool in gpu_node_pools(args):
        limit = dig(pool.props, "spec", "limits", GPU_RESOURCE)
        gpus = _whole_number(limit)
        if limit is None:
            report(
                f"GPU NodePool has no spec.limits['{GPU_RESOURCE}']: it can grow without bound",
                pool.urn,
            )
        elif gpus is None:
            report(f"GPU NodePool limit {limit!r} is not a whole number of GPUs", pool.urn)
        elif gpus > max_gpus:
            report(f"GPU NodePool limit of {gpus} GPUs is over {max_gpus:g}", pool.urn)


@stack_rule(
    id="cost-gpu-scale-to-zero",
    area="cost",
    description="GPU node pools can shrink to zero nodes, so idle GPU capacity is released "
    "instead of billed.",
    severity="low",
    remediation="Set scaling_config.min_size=0 on the GPU aws.eks.NodeGroup (with the cluster "
    "autoscaler scaling it up); on a Karpenter NodePool keep spec.disruption.consolidationPolicy "
    "WhenEmpty or WhenEmptyOrUnderutilized and consolidateAfter other than Never.",
    fix={"gpuPool": "minNodes"},
    controls={},
    enforcement=advisory(),
)
def gpu_scale_to_zero(args: StackValidationArgs, report: Report, _: Config) -> None:
    for group in gpu_node_groups(args):
        floor = dig(group.props, "scalingConfig", "minSize", default=0)
        if floor > 0:
            report(f"GPU node group keeps {floor:g} nodes running when idle (min_size)", group.urn)
    for pool in gpu_node_pools(args):
        disruption = dig(pool.props, "spec", "disruption", default={})
        policy = dig(disruption, "consolidationPolicy", default=DEFAULT_CONSOLIDATION_POLICY)
        if policy not in IDLE_RELEASING_POLICIES:
            report(f"GPU NodePool consolidationPolicy {policy!r} keeps empty nodes", pool.urn)
        if dig(disruption, "consolidateAfter") == "Never":
            report("GPU NodePool never consolidates (consolidateAfter: Never)", pool.urn)
