"""The GPU machine types Plinth can pool, per cloud: GPU model, GPUs per node, EFA.

Pools size their quotas and node-pool limits from these counts (GPUs = nodes x GPUs per
node), so a type missing here is a spec error rather than a guess. The AWS table mirrors
EC2's DescribeInstanceTypes (a test compares it with moto's copy of that data); only x86_64
NVIDIA types with whole GPUs are listed, since the EKS NVIDIA AMIs and Auto Mode GPU nodes
Plinth uses are x86_64 and fractional GPUs (g6f) cannot be requested as `nvidia.com/gpu`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuMachine:
    """One machine type: its GPU model, how many GPUs a node has, whether it supports EFA."""

    name: str
    gpu: str
    gpus: int
    efa: bool = False
    rack_nodes: int | None = None
    """Rack-scale systems are sold in whole racks of this many nodes (no autoscaling)."""
    network_cards: int = 1
    efa_interfaces: int = 0
    """How many EFA devices a node can have: one per network card, except where the primary
    card takes only ENA (p6-b300: 17 cards, 16 EFA)."""

    def efa_layout(self) -> list[tuple[int, int, str]]:
        """The network interfaces of an EFA node, as (network card, device index, type),
        in the layout EC2 documents for accelerated instances ("Maximize network bandwidth",
        https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html): an ENA
        primary (card 0, device 0; it cannot be EFA-only), an EFA-only interface on card 0
        when that card supports EFA, and one EFA-only interface (device 0) on every other
        card. EFA-only interfaces take no IP address, so a node uses one from its subnet."""
        if not self.efa:
            raise ValueError(f"{self.name} does not support EFA")
        layout = [(0, 0, "interface")]
        if self.efa_interfaces == self.network_cards:  # the primary card supports EFA too
            layout.append((0, 1, "efa-only"))
        layout.extend((card, 0, "efa-only") for card in range(1, self.network_cards))
        return layout


# (network cards, EFA interfaces) of the EFA types with more than one network card
# (EC2 DescribeInstanceTypes: NetworkInfo.MaximumNetworkCards, EfaInfo.MaximumEfaInterfaces);
# every other EFA type has one of each.
_EFA_CARDS = {
    "p6-b300.48xlarge": (17, 16), "p6-b200.48xlarge": (8, 8), "p5en.48xlarge": (16, 16),
    "p5e.48xlarge": (32, 32), "p5.48xlarge": (32, 32), "p4de.24xlarge": (4, 4),
    "p4d.24xlarge": (4, 4), "g7e.48xlarge": (4, 4), "g7e.24xlarge": (2, 2),
    "g7.48xlarge": (2, 2), "g6e.48xlarge": (4, 4), "g6e.24xlarge": (2, 2),
}  # fmt: skip


def _aws_family(family: str, gpu: str, sizes: dict[str, tuple[int, bool]]) -> list[GpuMachine]:
    machines = []
    for size, (gpus, efa) in sizes.items():
        name = f"{family}.{size}"
        cards, interfaces = _EFA_CARDS.get(name, (1, 1 if efa else 0))
        machines.append(GpuMachine(name, gpu, gpus, efa, None, cards, interfaces))
    return machines


# (GPUs per node, EFA supported) by size.
_G_SIZES_L4 = {
    "xlarge": (1, False), "2xlarge": (1, False), "4xlarge": (1, False), "8xlarge": (1, True),
    "16xlarge": (1, True), "12xlarge": (4, True), "24xlarge": (4, True), "48xlarge": (8, True),
}  # fmt: skip
_G7_SIZES = {
    "2xlarge": (1, False), "4xlarge": (1, False), "8xlarge": (1, True),
    "12xlarge": (2, True), "24xlarge": (4, True), "48xlarge": (8, True),
}  # fmt: skip

_G4DN_SIZES = {
    "xlarge": (1, False), "2xlarge": (1, False), "4xlarge": (1, False), "8xlarge": (1, True),
    "16xlarge": (1, True), "12xlarge": (4, True), "metal": (8, True),
}  # fmt: skip

AWS_GPU_MACHINES: dict[str, GpuMachine] = {
    machine.name: machine
    for machine in [
        *_aws_family("p6-b300", "B300", {"48xlarge": (8, True)}),
        *_aws_family("p6-b200", "B200", {"48xlarge": (8, True)}),
        *_aws_family("p5en", "H200", {"48xlarge": (8, True)}),
        *_aws_family("p5e", "H200", {"48xlarge": (8, True)}),
        *_aws_family("p5", "H100", {"48xlarge": (8, True), "4xlarge": (1, True)}),
        *_aws_family("p4de", "A100", {"24xlarge": (8, True)}),
        *_aws_family("p4d", "A100", {"24xlarge": (8, True)}),
        *_aws_family("p3dn", "V100", {"24xlarge": (8, True)}),
        *_aws_family("g7e", "RTX PRO Server 6000", _G7_SIZES),
        *_aws_family("g7", "RTX PRO 4500", _G7_SIZES),
        *_aws_family("g6e", "L40S", _G_SIZES_L4),
        *_aws_family("g6", "L4", _G_SIZES_L4),
        *_aws_family("gr6", "L4", {"4xlarge": (1, False), "8xlarge": (1, True)}),
        *_aws_family("g5", "A10G", _G_SIZES_L4),
        *_aws_family("g4dn", "T4", _G4DN_SIZES),
    ]
}


def _coreweave(name: str, gpu: str, gpus: int, *, rack_nodes: int | None = None) -> GpuMachine:
    return GpuMachine(name, gpu, gpus, efa=False, rack_nodes=rack_nodes)


# CoreWeave instance IDs (NodePool spec.instanceType). GPUs per node follow the ID
# (gd-8x... = 8 GPUs); GB200/GB300 NVL72 nodes come as whole racks of 18 nodes, which CKS
# enforces and which cannot autoscale. InfiniBand replaces EFA there, so `efa` stays False.
COREWEAVE_GPU_MACHINES: dict[str, GpuMachine] = {
    machine.name: machine
    for machine in [
        _coreweave("gb300-4x", "GB300", 4, rack_nodes=18),
        _coreweave("gb200-4x", "GB200", 4, rack_nodes=18),
        _coreweave("b300-8x", "B300", 8),
        _coreweave("b200-8x", "B200", 8),
        _coreweave("gd-8xh200ib-i128", "H200", 8),
        _coreweave("gd-8xh100ib-i128", "H100", 8),
        _coreweave("gd-1xgh200", "GH200", 1),
        _coreweave("gd-8xa100-i128", "A100", 8),
        _coreweave("rtxp6000-8x", "RTX PRO 6000", 8),
        _coreweave("gd-8xl40s-i128", "L40S", 8),
        _coreweave("gd-8xl40-i128", "L40", 8),
    ]
}
