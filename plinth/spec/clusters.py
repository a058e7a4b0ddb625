"""The `clusters` section: GPU Kubernetes clusters on AWS EKS or CoreWeave CKS.

Each entry names its cloud; the keys that only make sense on one cloud (EKS compute mode,
capacity types, EFA; CoreWeave zones) live in that cloud's model, so a misplaced key is an
"unknown key" error at its exact path.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.cluster.contract import GpuNodePool, Mig, TimeSlicing, pool_labels
from components.cluster.instances import AWS_GPU_MACHINES, COREWEAVE_GPU_MACHINES, GpuMachine
from components.cluster.node_sizes import AWS_NODE_SIZES, NodeSize
from plinth.spec.base import (
    IamPrincipalArn,
    LogRetentionDays,
    SpecModel,
    invalid,
    name_fragment,
    without_duplicates,
)

ADDONS = ("vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver")
"""The EKS add-ons Plinth installs in nodegroups mode."""
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")

EKS_VERSIONS = ("1.33", "1.34", "1.35")
"""Kubernetes versions EKS supports that Plinth pins add-on versions for (1.33 is in
extended support, which AWS bills extra, from 2026-07-29)."""
CKS_VERSIONS = ("1.33", "1.34", "1.35")
"""Kubernetes versions CoreWeave Kubernetes Service offers for new clusters."""

# Label prefixes owned by Kubernetes, the clouds and the GPU software: a pool label there
# would collide with what the nodes' own agents set.
RESERVED_LABEL_PREFIXES = (
    "kubernetes.io/",
    "k8s.io/",
    "node.kubernetes.io/",
    "node-role.kubernetes.io/",
    "karpenter.sh/",
    "karpenter.k8s.aws/",
    "eks.amazonaws.com/",
    "nvidia.com/",
    "feature.node.kubernetes.io/",
    "compute.coreweave.com/",
    "node.coreweave.cloud/",
    "plinth.dev/",
)
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# The documentation ranges (RFC 5737, RFC 3849) are not routed, but examples use them.
_DOCUMENTATION = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_BROADEST_PUBLIC_PREFIX = {4: 8, 6: 16}
_CAPACITY_RESERVATION = re.compile(r"^cr-[0-9a-f]{17}$")
_CKS_ZONE = re.compile(r"^[A-Z]{2}-[A-Z]+-\d{2}[A-Z]$")
_MIG_PROFILE = re.compile(r"^all-[1-7]g\.\d+gb$")


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.match(name) or len(name) > 63:
        return f"{key!r} is not a Kubernetes label key ([prefix/]name, name up to 63 characters)"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"{key!r} has a prefix that is not a DNS subdomain"
    if any(f"{prefix}/".endswith(reserved) for reserved in RESERVED_LABEL_PREFIXES):
        return f"{key!r} uses a reserved prefix ({', '.join(RESERVED_LABEL_PREFIXES)})"
    return None


def _labels(labels: dict[str, str]) -> dict[str, str]:
    problems = []
    for key, value in labels.items():
        if problem := _label_key_problem(key):
            problems.append(problem)
        elif len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(f"{key!r} has an invalid value {value!r} (up to 63 characters)")
    if problems:
        raise invalid("; ".join(problems))
    return labels


NodeLabels = Annotated[dict[str, str], AfterValidator(_labels)]


def _machine(table: dict[str, GpuMachine], cloud: str, value: str) -> str:
    if value not in table:
        raise invalid(f"{value!r} is not {cloud} GPU machine type; allowed: {', '.join(table)}")
    return value


AwsGpuInstanceType = Annotated[
    str, AfterValidator(lambda value: _machine(AWS_GPU_MACHINES, "an AWS", value))
]
CoreWeaveGpuInstanceType = Annotated[
    str, AfterValidator(lambda value: _machine(COREWEAVE_GPU_MACHINES, "a CoreWeave", value))
]


class TimeSlicingSpec(SpecModel):
    """Share each GPU between pods by time-slicing (no memory isolation between them)."""

    mode: Literal["timeSlicing"]
    replicas: int = Field(ge=2, le=48)
    """How many pods may share one physical GPU; each sees the whole GPU's memory."""


class MigSpec(SpecModel):
    """Partition each GPU with Multi-Instance GPU (A100, H100, H200, B200 class GPUs)."""

    mode: Literal["mig"]
    profile: str
    """The MIG manager configuration applied to the pool's nodes, e.g. all-1g.10gb. Every GPU
    gets the same slices (MIG strategy single), so slices still count as nvidia.com/gpu."""

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        if not _MIG_PROFILE.match(value):
            raise invalid(
                f"{value!r} is not a uniform MIG configuration "
                "(all-<N>g.<M>gb, such as all-1g.10gb or all-3g.40gb)"
            )
        return value


GpuSharing = Annotated[TimeSlicingSpec | MigSpec, Discriminator("mode")]

# GPUs that support MIG partitioning (NVIDIA's supported-GPU list for MIG).
MIG_CAPABLE_GPUS = frozenset({"A100", "H100", "H200", "B200", "B300", "GB200", "GB300"})


class GpuPoolSpec(SpecModel):
    """What every GPU pool has, whatever the cloud."""

    name: str
    """Pool name, unique in the cluster; part of node-pool and Kueue flavor names."""
    min_nodes: int = Field(default=0, ge=0, le=1000)
    """Nodes kept even when idle; 0 lets the pool scale to zero."""
    max_nodes: int = Field(ge=1, le=1000)
    """Upper bound of the pool; also caps its GPUs (max nodes x GPUs per node)."""
    labels: NodeLabels = Field(default_factory=dict)
    """Extra node labels (reserved prefixes such as kubernetes.io/ and nvidia.com/ refused)."""
    sharing: GpuSharing | None = None
    """Time-slicing or MIG for this pool's GPUs; whole GPUs when absent."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        name_fragment(value, "a pool name", 24, "h100")
        if value == "default":
            raise invalid(
                "'default' is reserved (the device plugin's configuration for whole GPUs)"
            )
        return value

    @field_validator("max_nodes")
    @classmethod
    def _max_nodes(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_nodes")
        if isinstance(minimum, int) and value < minimum:
            raise invalid(f"{value} is less than minNodes ({minimum})")
        return value


CapacityType = Literal["on-demand", "spot", "reserved", "capacity-block"]


class AwsGpuPoolSpec(GpuPoolSpec):
    """A GPU pool on EKS: an Auto Mode NodePool or a managed node group."""

    instance_types: tuple[AwsGpuInstanceType, ...] = Field(min_length=1)
    """EC2 GPU instance types the pool may launch, e.g. [g6e.xlarge] or [p5.48xlarge]."""
    capacity_type: CapacityType = "on-demand"
    """on-demand, spot (interruptible), reserved (On-Demand Capacity Reservations) or
    capacity-block (EC2 Capacity Blocks for ML); the last two need capacityReservationIds."""
    capacity_reservation_ids: tuple[str, ...] = ()
    """Reservation or Capacity Block IDs (cr-...) the pool launches into, only in their
    Availability Zones; a node-group pool takes several reservations but one Capacity Block."""
    efa: bool = False
    """Elastic Fabric Adapter networking and a cluster placement group, for multi-node
    training; every instance type must support EFA."""

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)

    @field_validator("capacity_reservation_ids")
    @classmethod
    def _reservations(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [value for value in values if not _CAPACITY_RESERVATION.match(value)]
        if bad:
            raise invalid(
                f"{', '.join(map(repr, bad))} not a capacity reservation ID (cr- and 17 hex digits)"
            )
        return without_duplicates(values)

    @model_validator(mode="after")
    def _consistent(self) -> AwsGpuPoolSpec:
        reserved = self.capacity_type in ("reserved", "capacity-block")
        if reserved and not self.capacity_reservation_ids:
            raise invalid(
                f"capacityType {self.capacity_type!r} needs capacityReservationIds "
                "(the cr-... IDs of the reservation or Capacity Block)"
            )
        if self.capacity_reservation_ids and not reserved:
            raise invalid(
                "capacityReservationIds need capacityType 'reserved' or 'capacity-block' "
                f"(it is {self.capacity_type!r})"
            )
        if self.capacity_type == "capacity-block" and len(self.instance_types) != 1:
            raise invalid(
                "a Capacity Block is for one instance type: list exactly that one in "
                f"instanceTypes (it lists {', '.join(self.instance_types)})"
            )
        if self.efa:
            without = [m.name for m in self.machines() if not m.efa]
            if without:
                raise invalid(f"efa: true, but {', '.join(without)} do not support EFA")
            layouts = {(m.network_cards, m.efa_interfaces) for m in self.machines()}
            if len(layouts) > 1:
                cards = ", ".join(
                    f"{m.name} ({m.efa_interfaces} EFA on {m.network_cards} network cards)"
                    for m in self.machines()
                )
                raise invalid(
                    "efa: true needs instance types with the same network cards, since one "
                    f"launch template attaches the EFA devices: {cards}"
                )
        if isinstance(self.sharing, MigSpec):
            not_mig = sorted({m.gpu for m in self.machines() if m.gpu not in MIG_CAPABLE_GPUS})
            if not_mig:
                raise invalid(
                    f"sharing.mode 'mig' needs MIG-capable GPUs; {', '.join(not_mig)} cannot "
                    f"be partitioned (MIG GPUs: {', '.join(sorted(MIG_CAPABLE_GPUS))})"
                )
        return self

    def machines(self) -> tuple[GpuMachine, ...]:
        return tuple(AWS_GPU_MACHINES[name] for name in self.instance_types)


class CoreWeaveGpuPoolSpec(GpuPoolSpec):
    """A GPU pool on CoreWeave: a compute.coreweave.com NodePool of one instance type."""

    instance_type: CoreWeaveGpuInstanceType
    """CoreWeave instance type ID, e.g. gd-8xh100ib-i128."""

    @model_validator(mode="after")
    def _consistent(self) -> CoreWeaveGpuPoolSpec:
        if self.sharing:
            raise invalid(
                "sharing is not available on CoreWeave: CoreWeave runs the GPU Operator and "
                "device plugin itself and does not expose their configuration"
            )
        rack = COREWEAVE_GPU_MACHINES[self.instance_type].rack_nodes
        if rack and (self.min_nodes != self.max_nodes or self.max_nodes % rack):
            raise invalid(
                f"{self.instance_type} comes in whole racks of {rack} nodes without "
                f"autoscaling: set minNodes = maxNodes = a multiple of {rack}"
            )
        return self

    def machines(self) -> tuple[GpuMachine, ...]:
        return (COREWEAVE_GPU_MACHINES[self.instance_type],)


def node_pool(pool: AwsGpuPoolSpec | CoreWeaveGpuPoolSpec) -> GpuNodePool:
    """A pool spec as components and quotas see it."""
    machines = pool.machines()
    sharing = pool.sharing
    return GpuNodePool(
        name=pool.name,
        gpu=machines[0].gpu,
        # Pools mixing sizes are capped by their largest node.
        gpus_per_node=max(machine.gpus for machine in machines),
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        labels=pool_labels(pool.name, pool.labels),
        sharing=(
            TimeSlicing(sharing.replicas)
            if isinstance(sharing, TimeSlicingSpec)
            else Mig(sharing.profile)
            if isinstance(sharing, MigSpec)
            else None
        ),
    )


def largest_node(pool: AwsGpuPoolSpec | CoreWeaveGpuPoolSpec) -> NodeSize | None:
    """CPU and memory of the pool's largest machine type (by vCPUs), where Plinth knows them
    (AWS machine types)."""
    sizes = [AWS_NODE_SIZES[m.name] for m in pool.machines() if m.name in AWS_NODE_SIZES]
    return max(sizes, default=None)


def _unique_pool_names(pools: tuple[GpuPoolSpec, ...]) -> None:
    without_duplicates(tuple(pool.name for pool in pools))


class ClusterSpec(SpecModel):
    """What every cluster has, whatever the cloud."""

    name: str
    """Cluster name, unique in the stack; the physical name is plinth-<environment>-<name>."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return name_fragment(value, "a cluster name", 20, "gpu")


class EksClusterSpec(ClusterSpec):
    """An EKS cluster in the stack's VPC, private subnets only."""

    cloud: Literal["aws"]
    kubernetes_version: Literal[EKS_VERSIONS] = "1.35"  # type: ignore[valid-type]
    """Kubernetes minor version of the control plane."""
    mode: Literal["auto", "nodegroups"] = "auto"
    """auto: EKS Auto Mode runs nodes, GPU drivers and core add-ons; nodegroups: managed node
    groups with the NVIDIA AL2023 AMI and pinned add-ons."""
    public_access_cidrs: tuple[str, ...] = ()
    """Networks allowed to reach the API server publicly; empty keeps the endpoint private."""
    admins: tuple[IamPrincipalArn, ...] = ()
    """IAM roles or users given cluster-admin through access entries."""
    log_retention_days: LogRetentionDays = 365
    """Days to keep the control-plane logs (api, audit, authenticator, ...)."""
    system_instance_type: str = "m7i.large"
    """nodegroups mode: instance type of the small on-demand node group for system pods."""
    addon_versions: dict[Literal[ADDONS], str] = Field(default_factory=dict)  # type: ignore[valid-type]
    """nodegroups mode: add-on builds replacing Plinth's pinned ones, e.g.
    {coredns: v1.13.2-eksbuild.4} (see `aws eks describe-addon-versions`)."""
    gpu_pools: tuple[AwsGpuPoolSpec, ...] = Field(min_length=1)

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            try:
                network = ipaddress.ip_network(value, strict=True)
            except ValueError:
                raise invalid(f"{value!r} is not a CIDR block (such as 203.0.113.0/24)") from None
            if network.prefixlen < _BROADEST_PUBLIC_PREFIX[network.version]:
                raise invalid(
                    f"{value!r} opens the API server to a large part of the internet (broader "
                    "than /8, or /16 for IPv6); list the networks that need it"
                )
            documentation = any(
                network.version == doc.version and network.subnet_of(doc)  # type: ignore[arg-type]
                for doc in _DOCUMENTATION
            )
            if not network.is_global and not documentation:
                raise invalid(
                    f"{value!r} is not a public range: private networks reach the private "
                    "endpoint already; list public egress ranges"
                )
        return without_duplicates(values)

    @field_validator("addon_versions")
    @classmethod
    def _addon_versions(cls, versions: dict[str, str]) -> dict[str, str]:
        bad = [f"{k}: {v!r}" for k, v in versions.items() if not _ADDON_VERSION.match(v)]
        if bad:
            raise invalid(f"{', '.join(bad)} not an EKS add-on build (such as v1.20.4-eksbuild.1)")
        return versions

    @field_validator("gpu_pools")
    @classmethod
    def _pools(cls, pools: tuple[AwsGpuPoolSpec, ...]) -> tuple[AwsGpuPoolSpec, ...]:
        _unique_pool_names(pools)
        return pools

    @model_validator(mode="after")
    def _mode(self) -> EksClusterSpec:
        for key in ("system_instance_type", "addon_versions"):
            if self.mode == "auto" and key in self.model_fields_set:
                raise invalid(f"{to_camel(key)} applies to mode 'nodegroups' only")
        efa = [pool.name for pool in self.gpu_pools if pool.efa]
        if self.mode == "auto" and efa:
            raise invalid(
                f"gpu pools {', '.join(map(repr, efa))} ask for EFA, which Plinth sets up "
                "with mode 'nodegroups' (launch template and cluster placement group)"
            )
        several = [
            p.name
            for p in self.gpu_pools
            if p.capacity_type == "capacity-block" and len(p.capacity_reservation_ids) > 1
        ]
        if self.mode == "nodegroups" and several:
            raise invalid(
                f"gpu pools {', '.join(map(repr, several))} list several Capacity Blocks; a "
                "node group launches into one block, in its zone (make one pool per block)"
            )
        if self.mode == "auto":
            shared = [pool.name for pool in self.gpu_pools if pool.sharing]
            if shared:
                raise invalid(
                    f"gpu pools {', '.join(map(repr, shared))} set sharing, which needs mode "
                    "'nodegroups': EKS Auto Mode runs its own device plugin and does not "
                    "expose its time-slicing or MIG configuration"
                )
        return self


class CoreWeaveClusterSpec(ClusterSpec):
    """A CoreWeave Kubernetes Service (CKS) cluster in its own CoreWeave VPC."""

    cloud: Literal["coreweave"]
    kubernetes_version: Literal[CKS_VERSIONS] = "1.35"  # type: ignore[valid-type]
    """Kubernetes minor version of the control plane."""
    zone: str
    """CoreWeave availability zone, e.g. US-EAST-04A."""
    vpc_prefix: str = "10.176.0.0/16"
    """Private range of the CoreWeave VPC; the pod, service and load-balancer ranges are
    carved from it."""
    public_endpoint: bool = False
    """Expose the API server publicly; off, it is reachable only from the CoreWeave VPC."""
    gpu_pools: tuple[CoreWeaveGpuPoolSpec, ...] = Field(min_length=1)

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not _CKS_ZONE.match(value):
            raise invalid(f"{value!r} is not a CoreWeave zone name (such as US-EAST-04A)")
        return value

    @field_validator("vpc_prefix")
    @classmethod
    def _vpc_prefix(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            raise invalid(
                f"{value!r} is not an IPv4 network (CIDR such as 10.176.0.0/16)"
            ) from None
        if not network.is_private or network.prefixlen > 16:
            raise invalid(f"{value!r} must be a private range of /16 or larger")
        return value

    @field_validator("gpu_pools")
    @classmethod
    def _pools(cls, pools: tuple[CoreWeaveGpuPoolSpec, ...]) -> tuple[CoreWeaveGpuPoolSpec, ...]:
        _unique_pool_names(pools)
        return pools


AnyPoolSpec = AwsGpuPoolSpec | CoreWeaveGpuPoolSpec
AnyClusterSpec = Annotated[EksClusterSpec | CoreWeaveClusterSpec, Discriminator("cloud")]


COREWEAVE_NAME_LIMIT = 30
"""CoreWeave VPC and CKS cluster names are at most 30 characters."""


def check_clusters(clusters: tuple[ClusterSpec, ...], environment: str | None) -> None:
    """Checks across clusters: unique names, CoreWeave names (<environment>-<name>) short
    enough for CoreWeave."""
    without_duplicates(tuple(cluster.name for cluster in clusters))
    for cluster in clusters:
        physical = f"{environment}-{cluster.name}"
        if isinstance(cluster, CoreWeaveClusterSpec) and len(physical) > COREWEAVE_NAME_LIMIT:
            raise invalid(
                f"CoreWeave cluster {cluster.name!r} would be named {physical!r}, "
                f"over CoreWeave's {COREWEAVE_NAME_LIMIT} characters; shorten its name"
            )
