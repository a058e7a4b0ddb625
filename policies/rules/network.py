"""Network: no admin ports open to the internet, flow logs on every VPC, a closed default
security group, no public IPs handed out by subnets, and compute kept out of public subnets.

Whether a subnet is public is a property of the stack (its route table has a route to an
internet gateway), so the placement rule follows property dependencies from subnets through
route table associations and routes to gateways: IDs are unknown in a preview of new ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policies.props import as_list, depends_via, dig, of_type, referencing
from policies.report import Report
from policies.rule import Config, Param, advisory, all_of, resource_rule, stack_rule

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLES = ("aws:ec2/routeTable:RouteTable", "aws:ec2/defaultRouteTable:DefaultRouteTable")
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ROUTE_TABLE_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INSTANCE = "aws:ec2/instance:Instance"

ANYWHERE = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = ("-1", "all")
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")  # other protocols (ICMP: type and code) have no ports

# Compute and the input that places it in subnets. The EKS cluster's vpc_config subnets hold
# the control plane's cross-account ENIs (which reach the kubelets) and, under EKS Auto Mode,
# are where the built-in node class launches nodes: they belong in private subnets too.
PLACEMENT = {
    INSTANCE: "subnetId",
    "aws:eks/nodeGroup:NodeGroup": "subnetIds",
    "aws:autoscaling/group:Group": "vpcZoneIdentifiers",
    "aws:eks/cluster:Cluster": "vpcConfig",
}

BOUNDARY = {"soc2": ["CC6.6"], "pci": ["1.3.1", "1.4.2"], "nist-800-53": ["SC-7"]}


class _Ingress(NamedTuple):
    protocol: str
    from_port: float
    to_port: float
    sources: list[str]


def _ingress(rule: Mapping[str, Any], protocol_key: str, sources: list[str]) -> _Ingress:
    return _Ingress(
        protocol=str(dig(rule, protocol_key, default="")).lower(),
        from_port=dig(rule, "fromPort", default=0),
        to_port=dig(rule, "toPort", default=65535),
        sources=sources,
    )


def _cidrs(rule: Mapping[str, Any]) -> list[str]:
    return as_list(dig(rule, "cidrBlocks")) + as_list(dig(rule, "ipv6CidrBlocks"))


def _ingress_rules(resource_type: str, props: Mapping[str, Any]) -> Iterator[_Ingress]:
    """The ingress rules a security group, group rule or ingress rule resource declares."""
    if resource_type == SECURITY_GROUP:
        for rule in as_list(dig(props, "ingress")):
            yield _ingress(rule, "protocol", _cidrs(rule))
    elif resource_type == SECURITY_GROUP_RULE and dig(props, "type") == "ingress":
        yield _ingress(props, "protocol", _cidrs(props))
    elif resource_type == INGRESS_RULE:
        sources = [dig(props, "cidrIpv4"), dig(props, "cidrIpv6")]
        yield _ingress(props, "ipProtocol", [source for source in sources if source])


def _exposed(rule: _Ingress, admin_ports: list[int]) -> str | None:
    """What an ingress rule opens that the internet must not reach, if anything."""
    if rule.protocol in ALL_PROTOCOLS:
        return "all ports"
    if rule.protocol not in PORT_PROTOCOLS:
        return None
    ports = [port for port in admin_ports if rule.from_port <= port <= rule.to_port]
    return f"admin port {', '.join(map(str, ports))}" if ports else None


@resource_rule(
    id="network-no-public-admin-ports",
    area="network",
    description="No security group admits the internet (0.0.0.0/0 or ::/0) to all ports or to "
    "remote administration ports (SSH, RDP, WinRM, the Kubernetes API, kubelet, etcd).",
    severity="critical",
    remediation="Limit the rule's cidr_blocks / cidr_ipv4 to the admin network, or remove it "
    "and reach hosts through SSM Session Manager or a private EKS endpoint.",
    controls={**BOUNDARY, "nist-800-53": ["SC-7", "AC-17"]},
    types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
    params=(
        Param(
            name="adminPorts",
            description="Ports never to be opened to the internet.",
            schema={"type": "array", "items": {"type": "integer", "minimum": 0}},
            default=[22, 3389, 5985, 5986, 6443, 10250, 2379, 2380],
            merge=all_of,
        ),
    ),
)
def no_public_admin_ports(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    for rule in _ingress_rules(args.resource_type, args.props):
        open_to = [source for source in rule.sources if source in ANYWHERE]
        exposed = _exposed(rule, config["adminPorts"]) if open_to else None
        if exposed:
            report(f"ingress from {', '.join(open_to)} to {exposed}")


@stack_rule(
    id="network-vpc-flow-logs",
    area="network",
    description="Every VPC records flow logs, the evidence of which traffic reached what.",
    severity="high",
    remediation="Add an aws.ec2.FlowLog with vpc_id of the VPC and traffic_type='ALL' "
    "(components.network.Network does this).",
    controls={
        "hipaa": ["164.312(b)"],
        "soc2": ["CC7.2"],
        "pci": ["10.2.1"],
        "nist-800-53": ["AU-12", "SI-4"],
    },
)
def vpc_flow_logs(args: StackValidationArgs, report: Report, _: Config) -> None:
    flow_logs = of_type(args, FLOW_LOG)
    for vpc in of_type(args, VPC):
        if not referencing(flow_logs, "vpcId", vpc):
            report("the VPC has no flow log", vpc.urn)


@resource_rule(
    id="network-default-security-group-closed",
    area="network",
    description="A VPC's default security group has no rules, so resources that fall back to "
    "it get no access by accident.",
    severity="medium",
    remediation="Declare aws.ec2.DefaultSecurityGroup for the VPC without ingress or egress "
    "(that removes every rule), and give resources their own security groups.",
    controls={**BOUNDARY, "pci": ["1.3.1", "1.3.2"]},
    types=(DEFAULT_SECURITY_GROUP,),
)
def default_security_group_closed(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for direction in ("ingress", "egress"):
        rules = as_list(dig(args.props, direction))
        if rules:
            report(f"the default security group keeps {len(rules)} {direction} rule(s)")


@resource_rule(
    id="network-no-public-ip-on-launch",
    area="network",
    description="Subnets do not give instances public IPs on launch: NAT gateways and load "
    "balancers need public subnets, not instances with public addresses.",
    severity="medium",
    remediation="Set map_public_ip_on_launch=False on aws.ec2.Subnet; expose services "
    "through a load balancer.",
    controls={"soc2": ["CC6.6"], "pci": ["1.4.2"], "nist-800-53": ["SC-7"]},
    enforcement=advisory(mandatory_in=("pci", "hipaa")),
    types=(SUBNET,),
)
def no_public_ip_on_launch(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "mapPublicIpOnLaunch") is True:
        report("the subnet assigns a public IP to every instance launched in it")


def _routes_to_internet(
    args: StackValidationArgs, table: PolicyResource, gateways: list[PolicyResource]
) -> bool:
    """Whether the table has a route (inline or an aws.ec2.Route) through an internet gateway."""
    routes = referencing(of_type(args, ROUTE), "routeTableId", table)
    return any(depends_via(table, "routes", gateway) for gateway in gateways) or any(
        depends_via(route, "gatewayId", gateway) for route in routes for gateway in gateways
    )


def _public_main_table_vpcs(
    args: StackValidationArgs, public_tables: list[PolicyResource]
) -> list[PolicyResource]:
    """VPCs whose main route table (the one of subnets with no association) is public."""
    mains = of_type(args, MAIN_ROUTE_TABLE_ASSOCIATION)

    def main_table_is_public(vpc: PolicyResource) -> bool:
        own_mains = referencing(mains, "vpcId", vpc)
        return any(
            depends_via(table, "defaultRouteTableId", vpc)
            or referencing(own_mains, "routeTableId", table)
            for table in public_tables
        )

    return [vpc for vpc in of_type(args, VPC) if main_table_is_public(vpc)]


def _public_subnets(args: StackValidationArgs) -> list[PolicyResource]:
    """Subnets whose route table, explicit or the VPC's main one, leads to the internet."""
    gateways = of_type(args, INTERNET_GATEWAY)
    tables = [t for t in of_type(args, *ROUTE_TABLES) if _routes_to_internet(args, t, gateways)]
    public_vpcs = _public_main_table_vpcs(args, tables)
    associations = of_type(args, ROUTE_TABLE_ASSOCIATION)

    def is_public(subnet: PolicyResource) -> bool:
        explicit = referencing(associations, "subnetId", subnet)
        if explicit:
            return any(referencing(explicit, "routeTableId", table) for table in tables)
        return any(depends_via(subnet, "vpcId", vpc) for vpc in public_vpcs)

    return [subnet for subnet in of_type(args, SUBNET) if is_public(subnet)]


@stack_rule(
    id="network-compute-in-private-subnets",
    area="network",
    description="Instances, node groups, Auto Scaling groups and EKS clusters are placed in "
    "private subnets (no route to an internet gateway) and take no public IP.",
    severity="high",
    remediation="Pass the private subnets (components.network.Network.private_subnets) as "
    "subnet_id / subnet_ids / vpc_zone_identifiers / vpc_config subnet_ids, and leave "
    "associate_public_ip_address unset or False.",
    controls=BOUNDARY,
)
def compute_in_private_subnets(args: StackValidationArgs, report: Report, _: Config) -> None:
    public = _public_subnets(args)
    for compute in of_type(args, *PLACEMENT):
        placement = PLACEMENT[compute.resource_type]
        for subnet in public:
            if depends_via(compute, placement, subnet):
                report(f"placed in public subnet {subnet.name!r}", compute.urn)
        if (
            compute.resource_type == INSTANCE
            and dig(compute.props, "associatePublicIpAddress") is True
        ):
            report("the instance takes a public IP (associate_public_ip_address)", compute.urn)
