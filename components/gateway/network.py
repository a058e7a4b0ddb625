"""The one network rule the gateway's backing services share: a security group that admits a
TCP port range from the service's cluster only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws


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
