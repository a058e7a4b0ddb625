"""Subnet layout: pure arithmetic on the VPC range, shared by the component and the spec."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# AWS rejects subnets smaller than /28.
SMALLEST_SUBNET_PREFIX = 28


class LayoutError(ValueError):
    """The VPC range cannot hold the requested subnets."""


@dataclass(frozen=True)
class SubnetLayout:
    """The CIDR blocks of one VPC, derived only from its range and AZ count.

    The lower half of the VPC is split into equal private subnets, large because Kubernetes
    pods take one IP each; public subnets hold only NAT gateways and load balancers, so they
    are one eighth of that size, at the start of the upper half. The rest stays free.
    """

    private: tuple[str, ...]
    public: tuple[str, ...]

    @classmethod
    def plan(cls, cidr: str, az_count: int) -> SubnetLayout:
        vpc = ipaddress.IPv4Network(cidr)
        per_az_bits = (az_count - 1).bit_length()
        public_prefix = vpc.prefixlen + 1 + per_az_bits + 3
        if public_prefix > SMALLEST_SUBNET_PREFIX:
            largest = SMALLEST_SUBNET_PREFIX - (public_prefix - vpc.prefixlen)
            raise LayoutError(
                f"{cidr!r} is too small for {az_count} AZs (public subnets would be "
                f"/{public_prefix}); use /{largest} or larger"
            )
        lower, upper = vpc.subnets(prefixlen_diff=1)
        private = list(lower.subnets(prefixlen_diff=per_az_bits))[:az_count]
        public = list(upper.subnets(new_prefix=public_prefix))[:az_count]
        return cls(tuple(map(str, private)), tuple(map(str, public)))
