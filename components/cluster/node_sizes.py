"""CPU and memory of the AWS GPU machine types, so a pod sized for a pool can be checked
against its largest node before the scheduler leaves it pending.

Copied from EC2's DescribeInstanceTypes (VCpuInfo.DefaultVCpus, MemoryInfo.SizeInMiB / 1024);
tests/test_cluster_spec.py compares every entry with moto's copy of that data.
"""

from __future__ import annotations

from typing import NamedTuple


class NodeSize(NamedTuple):
    vcpus: int
    memory_gib: int

    def allocatable(self) -> NodeSize:
        """What pods can request, roughly: the kubelet, system reservations and the node's
        DaemonSets (CNI, Pod Identity agent, DCGM exporter) keep a vCPU and a tenth of the
        memory plus 1 GiB (EKS's reservation grows with the node: this bound holds for GPU
        node sizes)."""
        return NodeSize(self.vcpus - 1, int(self.memory_gib * 0.9) - 1)


AWS_NODE_SIZES: dict[str, NodeSize] = {
    "p6-b300.48xlarge": NodeSize(192, 4096),
    "p6-b200.48xlarge": NodeSize(192, 2048),
    "p5en.48xlarge": NodeSize(192, 2048),
    "p5e.48xlarge": NodeSize(192, 2048),
    "p5.48xlarge": NodeSize(192, 2048),
    "p5.4xlarge": NodeSize(16, 256),
    "p4de.24xlarge": NodeSize(96, 1152),
    "p4d.24xlarge": NodeSize(96, 1152),
    "p3dn.24xlarge": NodeSize(96, 768),
    "g7e.2xlarge": NodeSize(8, 64),
    "g7e.4xlarge": NodeSize(16, 128),
    "g7e.8xlarge": NodeSize(32, 256),
    "g7e.12xlarge": NodeSize(48, 512),
    "g7e.24xlarge": NodeSize(96, 1024),
    "g7e.48xlarge": NodeSize(192, 2048),
    "g7.2xlarge": NodeSize(8, 32),
    "g7.4xlarge": NodeSize(16, 64),
    "g7.8xlarge": NodeSize(32, 128),
    "g7.12xlarge": NodeSize(48, 192),
    "g7.24xlarge": NodeSize(96, 384),
    "g7.48xlarge": NodeSize(192, 768),
    "g6e.xlarge": NodeSize(4, 32),
    "g6e.2xlarge": NodeSize(8, 64),
    "g6e.4xlarge": NodeSize(16, 128),
    "g6e.8xlarge": NodeSize(32, 256),
    "g6e.16xlarge": NodeSize(64, 512),
    "g6e.12xlarge": NodeSize(48, 384),
    "g6e.24xlarge": NodeSize(96, 768),
    "g6e.48xlarge": NodeSize(192, 1536),
    "g6.xlarge": NodeSize(4, 16),
    "g6.2xlarge": NodeSize(8, 32),
    "g6.4xlarge": NodeSize(16, 64),
    "g6.8xlarge": NodeSize(32, 128),
    "g6.16xlarge": NodeSize(64, 256),
    "g6.12xlarge": NodeSize(48, 192),
    "g6.24xlarge": NodeSize(96, 384),
    "g6.48xlarge": NodeSize(192, 768),
    "gr6.4xlarge": NodeSize(16, 128),
    "gr6.8xlarge": NodeSize(32, 256),
    "g5.xlarge": NodeSize(4, 16),
    "g5.2xlarge": NodeSize(8, 32),
    "g5.4xlarge": NodeSize(16, 64),
    "g5.8xlarge": NodeSize(32, 128),
    "g5.16xlarge": NodeSize(64, 256),
    "g5.12xlarge": NodeSize(48, 192),
    "g5.24xlarge": NodeSize(96, 384),
    "g5.48xlarge": NodeSize(192, 768),
    "g4dn.xlarge": NodeSize(4, 16),
    "g4dn.2xlarge": NodeSize(8, 32),
    "g4dn.4xlarge": NodeSize(16, 64),
    "g4dn.8xlarge": NodeSize(32, 128),
    "g4dn.16xlarge": NodeSize(64, 256),
    "g4dn.12xlarge": NodeSize(48, 192),
    "g4dn.metal": NodeSize(96, 384),
}
