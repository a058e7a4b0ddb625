"""Networking: the platform VPC."""

from components.network.layout import LayoutError, SubnetLayout
from components.network.vpc import NatMode, Network, NetworkArgs

__all__ = ["LayoutError", "NatMode", "Network", "NetworkArgs", "SubnetLayout"]
