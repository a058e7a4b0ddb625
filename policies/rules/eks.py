"""EKS: a private API endpoint, encrypted Secrets, control-plane logs, access entries, a
supported Kubernetes version, and GPU nodes kept for GPU work.

The cluster rules read `aws.eks.Cluster` inputs; the GPU rule also reads Karpenter NodePools
(the node pools of EKS Auto Mode), whose accelerator is known only from their requirements.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies.props import as_list, dig
from policies.report import Report
from policies.rule import Config, Param, all_of, resource_rule

ACCELERATORS = json.loads((Path(__file__).parent.parent / "accelerators.json").read_text())
"""Instance families by accelerator, from EC2's DescribeInstanceTypes (build_accelerators.py)."""
GPU_FAMILIES = frozenset(ACCELERATORS["nvidia"])
"""EC2 instance families with NVIDIA GPUs."""
NEURON_FAMILIES = frozenset(ACCELERATORS["neuron"])
"""EC2 instance families with AWS Inferentia or Trainium (Neuron) accelerators."""

GPU_TAINT_KEY = "nvidia.com/gpu"
NEURON_TAINT_KEY = "aws.amazon.com/neuron"


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0].lower()


def is_gpu_instance_type(instance_type: str) -> bool:
    """Whether an instance type ("g5.xlarge") or family ("g5") has NVIDIA GPUs."""
    return _family(instance_type) in GPU_FAMILIES


def is_neuron_instance_type(instance_type: str) -> bool:
    """Whether an instance type ("inf2.xlarge") or family ("trn1") has Neuron accelerators."""
    return _family(instance_type) in NEURON_FAMILIES


def accelerator_taint_key(instance_type: str) -> str | None:
    """The taint key that reserves nodes of this instance type for accelerator pods, if any."""
    if is_gpu_instance_type(instance_type):
        return GPU_TAINT_KEY
    if is_neuron_instance_type(instance_type):
        return NEURON_TAINT_KEY
    return None


CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
ANYWHERE = ("0.0.0.0/0", "::/0")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Node labels EKS Auto Mode (eks.amazonaws.com) and self-managed Karpenter (karpenter.k8s.aws)
# put on nodes; a NodePool that requires them launches only accelerated instances.
FAMILY_LABELS = ("eks.amazonaws.com/instance-family", "karpenter.k8s.aws/instance-family")
CATEGORY_LABELS = ("eks.amazonaws.com/instance-category", "karpenter.k8s.aws/instance-category")
GPU_COUNT_LABELS = ("eks.amazonaws.com/instance-gpu-count", "karpenter.k8s.aws/instance-gpu-count")
CATEGORY_TAINT_KEYS = {
    "g": GPU_TAINT_KEY,
    "p": GPU_TAINT_KEY,
    "inf": NEURON_TAINT_KEY,
    "trn": NEURON_TAINT_KEY,
}


@resource_rule(
    id="eks-endpoint-private",
    area="eks",
    description="The cluster's Kubernetes API endpoint is private, or public only to named "
    "CIDR ranges (never to the whole internet).",
    severity="critical",
    remediation="Set vpc_config endpoint_private_access=True and endpoint_public_access=False; "
    "if a public endpoint is needed, set public_access_cidrs to the admin networks.",
    fix={"cluster": "publicAccessCidrs"},
    controls={
        "soc2": ["CC6.6"],
        "pci": ["1.4.2"],
        "nist-800-53": ["AC-17", "SC-7"],
    },
    types=(CLUSTER,),
)
def endpoint_private(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    vpc_config = dig(args.props, "vpcConfig", default={})
    if dig(vpc_config, "endpointPublicAccess", default=True) is False:
        return
    cidrs = as_list(dig(vpc_config, "publicAccessCidrs"))
    if not cidrs:  # AWS opens a public endpoint to 0.0.0.0/0 unless told otherwise
        report("the API endpoint is public to 0.0.0.0/0 (public_access_cidrs unset)")
    open_to = [cidr for cidr in cidrs if cidr in ANYWHERE]
    if open_to:
        report(f"the API endpoint is public to {', '.join(open_to)}")


@resource_rule(
    id="eks-secrets-encryption",
    area="eks",
    description="Kubernetes Secrets are envelope-encrypted in etcd with a customer-managed "
    "KMS key.",
    severity="high",
    remediation="Set encryption_config with resources=['secrets'] and provider key_arn of a "
    "customer-managed KMS key.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["SC-28", "SC-12"],
    },
    types=(CLUSTER,),
)
def secrets_encryption(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    encryption = dig(args.props, "encryptionConfig", default={})
    if "secrets" not in as_list(dig(encryption, "resources")):
        report("Kubernetes Secrets are not envelope-encrypted with a KMS key")
    elif not dig(encryption, "provider", "keyArn"):
        report("encryption_config names no provider key_arn")


@resource_rule(
    id="eks-control-plane-logging",
    area="eks",
    description="The control plane sends the log types the profile requires to CloudWatch.",
    severity="high",
    remediation="Set enabled_cluster_log_types to include every required type (regulated "
    "profiles: api, audit, authenticator, controllerManager, scheduler).",
    controls={
        "hipaa": ["164.312(b)"],
        "soc2": ["CC7.2"],
        "pci": ["10.2.1"],
        "nist-800-53": ["AU-2", "AU-12"],
    },
    types=(CLUSTER,),
    params=(
        Param(
            name="requiredLogTypes",
            description="EKS control-plane log types that must be enabled.",
            schema={"type": "array", "items": {"type": "string", "enum": list(LOG_TYPES)}},
            default=["api", "audit", "authenticator"],
            merge=all_of,
            by_profile={profile: list(LOG_TYPES) for profile in ("soc2", "hipaa", "pci")},
        ),
    ),
)
def control_plane_logging(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    enabled = set(as_list(dig(args.props, "enabledClusterLogTypes")))
    missing = [kind for kind in config["requiredLogTypes"] if kind not in enabled]
    if missing:
        report(f"control-plane log types not enabled: {', '.join(missing)}")


@resource_rule(
    id="eks-api-authentication-mode",
    area="eks",
    description="Cluster access is granted through EKS access entries only (authentication "
    "mode API): the aws-auth ConfigMap is edited in-cluster, unaudited by IAM, and one typo "
    "locks administrators out.",
    severity="medium",
    remediation="Set access_config authentication_mode='API' and grant access with "
    "aws.eks.AccessEntry and aws.eks.AccessPolicyAssociation.",
    controls={"soc2": ["CC6.1"], "pci": ["7.2.1"], "nist-800-53": ["AC-2", "AC-3"]},
    types=(CLUSTER,),
)
def api_authentication_mode(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    mode = dig(args.props, "accessConfig", "authenticationMode")
    if mode is None:
        report("authentication mode unset: AWS keeps the aws-auth ConfigMap in use")
    elif mode != "API":
        report(f"authentication mode {mode!r} still honours the aws-auth ConfigMap")


def _version(text: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def _highest_version(values: Sequence[str]) -> str:
    return max(values, key=lambda value: _version(value) or (0, 0))


@resource_rule(
    id="eks-supported-version",
    area="eks",
    description="The cluster runs a Kubernetes version the platform still supports. An unset "
    "version complies: EKS then creates the cluster at its current default version.",
    severity="medium",
    remediation="Set version to at least the minimum (upgrade one minor version at a time, "
    "node groups and add-ons after the control plane).",
    fix={"cluster": "kubernetesVersion"},
    controls={"soc2": ["CC7.1"], "pci": ["6.3.3"], "nist-800-53": ["SI-2"]},
    types=(CLUSTER,),
    params=(
        Param(
            name="minimumVersion",
            description="Lowest allowed Kubernetes version, as MAJOR.MINOR.",
            schema={"type": "string", "pattern": r"^\d+\.\d+$"},
            default="1.31",
            merge=_highest_version,
        ),
    ),
)
def supported_version(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    version = dig(args.props, "version")
    if version is None:
        return
    minimum = config["minimumVersion"]
    parsed = _version(str(version))
    if parsed is None:
        report(f"version {version!r} is not MAJOR.MINOR")
    elif parsed < (_version(minimum) or (0, 0)):
        report(f"Kubernetes {version} is older than the minimum {minimum}")


def _node_group_accelerators(props: Mapping[str, Any]) -> set[str]:
    """Taint keys a managed node group needs, from its instance types or else its AMI type."""
    types = as_list(dig(props, "instanceTypes"))
    keys = {key for type_ in types if (key := accelerator_taint_key(str(type_)))}
    if keys:
        return keys
    ami_type = str(dig(props, "amiType", default=""))
    if "NEURON" in ami_type:
        return {NEURON_TAINT_KEY}
    if "NVIDIA" in ami_type or "_GPU" in ami_type:
        return {GPU_TAINT_KEY}
    return set()


def _asks_for_gpus(operator: str, values: Sequence[str]) -> bool:
    counts = [int(value) for value in values if value.isdigit()]
    return (
        operator == "Exists"
        or (operator == "Gt" and bool(counts))
        or (operator == "In" and any(count > 0 for count in counts))
    )


def _node_pool_accelerators(spec: Mapping[str, Any]) -> set[str]:
    """Taint keys a Karpenter NodePool needs, from the instance requirements it sets."""
    keys: set[str] = set()
    for requirement in as_list(dig(spec, "requirements")):
        label, operator = dig(requirement, "key"), dig(requirement, "operator")
        values = [str(value) for value in as_list(dig(requirement, "values"))]
        if label in FAMILY_LABELS and operator == "In":
            keys |= {key for value in values if (key := accelerator_taint_key(value))}
        elif label in CATEGORY_LABELS and operator == "In":
            keys |= {CATEGORY_TAINT_KEYS[v] for v in values if v in CATEGORY_TAINT_KEYS}
        elif label in GPU_COUNT_LABELS and _asks_for_gpus(str(operator), values):
            keys.add(GPU_TAINT_KEY)
    return keys


def _taint_keys(taints: Any, effects: tuple[str, ...]) -> set[str]:
    return {dig(taint, "key") for taint in as_list(taints) if dig(taint, "effect") in effects}


@resource_rule(
    id="eks-gpu-nodes-tainted",
    area="eks",
    description="Nodes with GPUs or Neuron accelerators carry a NoSchedule (or NoExecute) "
    "taint on the device key, so only pods that request accelerators land there: other pods "
    "would take the capacity and keep the costly nodes from scaling down.",
    severity="high",
    remediation="On aws.eks.NodeGroup set taints=[{key: 'nvidia.com/gpu' (Neuron: "
    "'aws.amazon.com/neuron'), value: 'true', effect: 'NO_SCHEDULE'}]; on a Karpenter "
    "NodePool add the same key with effect NoSchedule to spec.template.spec.taints.",
    controls={},  # a cost and scheduling control; no security framework asks for it
    types=(NODE_GROUP, NODE_POOL),
)
def gpu_nodes_tainted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if args.resource_type == NODE_GROUP:
        needed = _node_group_accelerators(args.props)
        present = _taint_keys(dig(args.props, "taints"), ("NO_SCHEDULE", "NO_EXECUTE"))
    else:
        node_spec = dig(args.props, "spec", "template", "spec", default={})
        needed = _node_pool_accelerators(node_spec)
        present = _taint_keys(dig(node_spec, "taints"), ("NoSchedule", "NoExecute"))
    for key in sorted(needed - present):
        report(f"accelerator nodes lack a NoSchedule taint {key!r}")
