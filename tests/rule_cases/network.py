"""Fixtures for policies/rules/network.py.

The placement cases rebuild the layout of components.network.Network: a public subnet whose
route table routes to an internet gateway, and a private one routed through a NAT gateway.
"""

from __future__ import annotations

from typing import Any

from plinth.audit.analyzer import AuditResource
from plinth.engine.values import UNKNOWN
from rule_cases import complies, res, violates

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"

vpc = res(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
igw = res("aws:ec2/internetGateway:InternetGateway", "igw", deps={"vpcId": [vpc]})


def subnet(name: str, **props: Any) -> AuditResource:
    return res(SUBNET, name, {"cidrBlock": "10.0.0.0/24", **props}, deps={"vpcId": [vpc]})


def table(name: str) -> AuditResource:
    return res(ROUTE_TABLE, name, deps={"vpcId": [vpc]})


def route(name: str, route_table: AuditResource, **target: AuditResource) -> AuditResource:
    return res(
        ROUTE,
        name,
        {"destinationCidrBlock": "0.0.0.0/0"},
        deps={"routeTableId": [route_table], **{key: [value] for key, value in target.items()}},
    )


def associate(member: AuditResource, route_table: AuditResource) -> AuditResource:
    return res(
        ASSOCIATION,
        f"{member.name}-assoc",
        deps={"subnetId": [member], "routeTableId": [route_table]},
    )


public = subnet("public", mapPublicIpOnLaunch=False)
private = subnet("private", mapPublicIpOnLaunch=False)
public_table = table("public-rt")
nat = res("aws:ec2/natGateway:NatGateway", "nat", deps={"subnetId": [public]})
private_table = table("private-rt")
NETWORK = (
    vpc,
    igw,
    public,
    private,
    public_table,
    route("public-internet", public_table, gatewayId=igw),
    associate(public, public_table),
    nat,
    private_table,
    route("private-egress", private_table, natGatewayId=nat),
    associate(private, private_table),
)
inline_public_table = res(
    ROUTE_TABLE,
    "inline-rt",
    {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
    deps={"vpcId": [vpc], "routes": [igw]},
)
loose = subnet("loose")  # no route table association: the VPC's main table applies


def instance(where: AuditResource, **props: Any) -> AuditResource:
    return res(
        "aws:ec2/instance:Instance",
        "instance",
        {"subnetId": UNKNOWN, **props},
        deps={"subnetId": [where]},
    )


def node_group(where: AuditResource) -> AuditResource:
    return res(
        "aws:eks/nodeGroup:NodeGroup",
        "nodes",
        {"subnetIds": [f"{where.name}-id"]},
        deps={"subnetIds": [where]},
    )


def auto_scaling_group(where: AuditResource) -> AuditResource:
    return res(
        "aws:autoscaling/group:Group",
        "asg",
        {"vpcZoneIdentifiers": [f"{where.name}-id"]},
        deps={"vpcZoneIdentifiers": [where]},
    )


def eks_cluster(where: AuditResource) -> AuditResource:
    return res(
        "aws:eks/cluster:Cluster",
        "eks",
        {"vpcConfig": {"subnetIds": [f"{where.name}-id"], "endpointPublicAccess": False}},
        deps={"vpcConfig": [where]},
    )


def ingress(**props: Any) -> AuditResource:
    return res(INGRESS_RULE, "in", {"securityGroupId": "sg-1", **props})


SSH_FROM_ANYWHERE = {
    "protocol": "tcp",
    "fromPort": 22,
    "toPort": 22,
    "cidrBlocks": ["0.0.0.0/0"],
}

CASES = [
    violates(
        "network-no-public-admin-ports",
        "inline SSH from anywhere",
        res(SECURITY_GROUP, "sg", {"ingress": [SSH_FROM_ANYWHERE]}),
        expect="0.0.0.0/0 to admin port 22",
    ),
    violates(
        "network-no-public-admin-ports",
        "all protocols from any IPv6 address",
        res(
            SECURITY_GROUP_RULE,
            "all",
            {
                "type": "ingress",
                "protocol": "-1",
                "fromPort": 0,
                "toPort": 0,
                "ipv6CidrBlocks": ["::/0"],
            },
        ),
        expect="::/0 to all ports",
    ),
    violates(
        "network-no-public-admin-ports",
        "a port range that covers the kubelet",
        ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=10000, toPort=11000),
        expect="admin port 10250",
    ),
    violates(
        "network-no-public-admin-ports",
        "a port added by the policy config",
        ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=8080, toPort=8080),
        config={"adminPorts": [8080]},
        expect="8080",
    ),
    complies(
        "network-no-public-admin-ports",
        "HTTPS from anywhere",
        ingress(cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443),
    ),
    complies(
        "network-no-public-admin-ports",
        "SSH from the admin network, ICMP from anywhere",
        res(
            SECURITY_GROUP,
            "sg",
            {
                "ingress": [
                    {**SSH_FROM_ANYWHERE, "cidrBlocks": ["10.0.0.0/8"]},
                    {"protocol": "icmp", "fromPort": -1, "toPort": -1, "cidrBlocks": ["0.0.0.0/0"]},
                ]
            },
        ),
    ),
    complies(
        "network-no-public-admin-ports",
        "SSH from a security group not yet created (unknown in preview)",
        res(
            SECURITY_GROUP,
            "sg",
            {
                "ingress": [
                    {"protocol": "tcp", "fromPort": 22, "toPort": 22, "securityGroups": [UNKNOWN]}
                ]
            },
        ),
    ),
    complies(
        "network-no-public-admin-ports",
        "egress to anywhere is not ingress",
        res(
            SECURITY_GROUP_RULE,
            "egress",
            {**SSH_FROM_ANYWHERE, "type": "egress", "protocol": "-1"},
        ),
    ),
    violates("network-vpc-flow-logs", "VPC without flow log", vpc, expect="no flow log"),
    complies(
        "network-vpc-flow-logs",
        "flow log on the VPC",
        vpc,
        res(
            "aws:ec2/flowLog:FlowLog",
            "flow-log",
            {"trafficType": "ALL", "vpcId": "vpc-1"},
            deps={"vpcId": [vpc]},
        ),
    ),
    violates(
        "network-default-security-group-closed",
        "default group allows all egress",
        res(
            DEFAULT_SECURITY_GROUP,
            "default",
            {
                "egress": [
                    {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
                ]
            },
        ),
        expect="1 egress rule",
    ),
    complies(
        "network-default-security-group-closed",
        "no rules (Network's default-deny-all group)",
        res(DEFAULT_SECURITY_GROUP, "default", {"vpcId": "vpc-1"}),
    ),
    violates(
        "network-no-public-ip-on-launch",
        "public IPs on launch",
        subnet("handout", mapPublicIpOnLaunch=True),
        expect="public IP",
    ),
    violates(
        "network-no-public-ip-on-launch",
        "also reported (and mandatory) under PCI",
        subnet("handout", mapPublicIpOnLaunch=True),
        profiles=("pci",),
    ),
    complies("network-no-public-ip-on-launch", "Network's public subnet", public),
    complies("network-no-public-ip-on-launch", "unset (AWS default: off)", subnet("plain")),
    violates(
        "network-compute-in-private-subnets",
        "node group in the public subnet",
        *NETWORK,
        node_group(public),
        expect="public subnet 'public'",
    ),
    violates(
        "network-compute-in-private-subnets",
        "Auto Scaling group in the public subnet",
        *NETWORK,
        auto_scaling_group(public),
        expect="public subnet",
    ),
    violates(
        "network-compute-in-private-subnets",
        "instance in a private subnet with a public IP",
        *NETWORK,
        instance(private, associatePublicIpAddress=True),
        expect="associate_public_ip_address",
    ),
    violates(
        "network-compute-in-private-subnets",
        "EKS cluster ENIs in a subnet routed by an inline route to the gateway",
        vpc,
        igw,
        public,
        inline_public_table,
        associate(public, inline_public_table),
        eks_cluster(public),
        expect="public subnet",
    ),
    violates(
        "network-compute-in-private-subnets",
        "unassociated subnet under a public main route table",
        *NETWORK,
        res(
            MAIN_ASSOCIATION,
            "main",
            deps={"vpcId": [vpc], "routeTableId": [public_table]},
        ),
        loose,
        instance(loose),
        expect="public subnet 'loose'",
    ),
    complies(
        "network-compute-in-private-subnets",
        "all compute in the NAT-routed private subnet; NAT in the public one",
        *NETWORK,
        node_group(private),
        auto_scaling_group(private),
        instance(private, associatePublicIpAddress=False),
        eks_cluster(private),
    ),
    complies(
        "network-compute-in-private-subnets",
        "unassociated subnet under the VPC's own (local-only) main table",
        *NETWORK,
        loose,
        instance(loose),
    ),
]
