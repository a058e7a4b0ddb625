"""The network rules the gateway, its backing services and the model servers share: a security
group that admits a TCP port range from the service's cluster only, and the NetworkPolicies of
a platform service's namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.contract import POD_IDENTITY_AGENT

BASE_EGRESS: tuple[dict[str, Any], ...] = (
    {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
    {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
)
"""Egress every platform service pod needs: DNS, and its AWS credentials."""
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
"""RFC 1918 and carrier-grade NAT space: where VPCs, pods and in-cluster services live."""
PUBLIC_HTTPS = {
    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
    "ports": [{"protocol": "TCP", "port": 443}],
}
"""HTTPS to AWS's public endpoints (S3 through the VPC's gateway endpoint keeps S3's public
addresses) but to nothing inside the VPC or the cluster."""
DEFAULT_DENY = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
RESTRICTED = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}
"""Namespace labels that enforce (and audit and warn about) the `restricted` Pod Security
Standard."""


def restricted_namespace(
    resource_name: str,
    name: str,
    opts: pulumi.ResourceOptions,
    labels: Mapping[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A platform service's namespace under the `restricted` Pod Security Standard."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata={"name": name, "labels": {**(labels or {}), **RESTRICTED}},
        opts=opts,
    )


def egress_to_namespace(namespace: str, port: int) -> dict[str, Any]:
    """An egress rule to every pod of one namespace, on one TCP port."""
    return {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}],
        "ports": [{"protocol": "TCP", "port": port}],
    }


def namespace_network_policies(
    name: str,
    namespace: str,
    policies: Mapping[str, Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
) -> None:
    """One NetworkPolicy per entry (policy name: spec) in `namespace`."""
    for policy_name, spec in policies.items():
        policy_spec: Any = dict(spec)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{policy_name}",
            metadata={"name": policy_name, "namespace": namespace},
            spec=policy_spec,
            opts=opts,
        )


def clients_only_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    what: str,
    of: str,
    ports: tuple[int, int],
    clients: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """`what` (such as "PostgreSQL") of the service `of` on `ports` (first, last), from the
    `clients` security groups only."""
    return aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{what} clients of {of}",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                description=f"{what} from the service's cluster",
                protocol="tcp",
                from_port=ports[0],
                to_port=ports[1],
                security_groups=list(clients),
            )
        ],
        tags=dict(tags),
        opts=opts,
    )
