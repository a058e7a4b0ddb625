"""What an EKS GPU cluster is made of, as its compute layers see it: its inputs (pools
included) and the parts they build on. Kept apart from `eks` so the compute modules and the
cluster that composes them do not import each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.contract import GpuNodePool
from components.scope import AwsScope


@dataclass(frozen=True)
class EksGpuPool:
    """One GPU pool on EKS, with what the nodes must carry."""

    pool: GpuNodePool
    instance_types: Sequence[str]
    capacity_type: Literal["on-demand", "spot", "reserved", "capacity-block"] = "on-demand"
    capacity_reservation_ids: Sequence[str] = ()
    efa: bool = False


@dataclass(frozen=True)
class EksGpuClusterArgs:
    """Inputs of an EksGpuCluster.

    - `cluster_name` is the physical name: the control-plane log group is named after it and
      created first, so its retention and encryption apply from the first log line.
    - `public_access_cidrs` empty keeps the API server private: `pulumi up` must then run
      from a network that reaches the VPC (a runner in the VPC, a VPN).
    - `protect` turns on EKS deletion protection and Pulumi's protect on the cluster.
    """

    scope: AwsScope
    cluster_name: str
    kubernetes_version: str
    mode: Literal["auto", "nodegroups"]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    secrets_key_arn: pulumi.Input[str]
    log_key_arn: pulumi.Input[str]
    pools: Sequence[EksGpuPool]
    tags: Mapping[str, str]
    subnet_zones: Sequence[pulumi.Input[str]] = ()
    """The Availability Zone of each of `subnet_ids`, in the same order: node groups on
    capacity reservations launch only in their reservations' zones."""
    log_retention_days: int = 365
    public_access_cidrs: Sequence[str] = ()
    admins: Sequence[str] = ()
    system_instance_type: str = "m7i.large"
    addon_versions: Mapping[str, str] = field(default_factory=dict)
    """nodegroups mode: add-on builds that replace the pinned ones (name -> version)."""
    protect: bool = False


class EksClusterParts(Protocol):
    """The parts of an EksGpuCluster its compute (Auto Mode or node groups) builds on."""

    cluster: aws.eks.Cluster
    node_role: aws.iam.Role
    provider: k8s.Provider

    @property
    def args(self) -> EksGpuClusterArgs: ...
