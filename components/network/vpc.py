"""The platform VPC: private and public subnets per AZ, NAT, flow logs and VPC endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_trust_policy
from components.network.layout import SubnetLayout
from components.scope import AwsScope

NatMode = Literal["perAz", "single", "none"]


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of a Network.

    `flow_log_key_arn` must be a KMS key whose policy lets CloudWatch Logs use it (see
    EncryptionKeyArgs.allow_cloudwatch_logs).
    """

    scope: AwsScope
    cidr: str
    az_count: int
    nat_gateways: NatMode
    flow_log_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    interface_endpoints: Sequence[str] = ()
    endpoint_policies: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Endpoint policy per interface endpoint service; others allow any use (AWS's default)."""
    flow_log_retention_days: int = 365
    flow_log_traffic_type: str = "ALL"
    availability_zones: Sequence[str] | None = None
    retain_flow_logs: bool = True
    protect: bool = False

    def __post_init__(self) -> None:
        stray = sorted(set(self.endpoint_policies) - set(self.interface_endpoints))
        if stray:
            raise ValueError(f"endpoint policies for services without an endpoint: {stray}")


class Network(pulumi.ComponentResource):
    """A VPC across `az_count` AZs, built for private compute:

    - one private and one public subnet per AZ; public subnets do not hand out public IPs;
    - NAT gateways per AZ (an AZ outage does not cut egress), a single one, or none;
    - the VPC's default security group stripped of all rules (CIS AWS 5.4);
    - flow logs of all traffic to a KMS-encrypted log group, through a role only the flow-logs
      service of this account can assume, allowed to write to that log group only;
    - an S3 gateway endpoint on the private route tables (S3 traffic never leaves AWS, no NAT
      charges), and interface endpoints by service name with private DNS, reachable on 443
      from inside the VPC only, each with its endpoint policy when one is given.
    """

    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    public_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    flow_log_group: aws.cloudwatch.LogGroup
    endpoints: dict[str, aws.ec2.VpcEndpoint]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:network:Network", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        layout = SubnetLayout.plan(args.cidr, args.az_count)
        zones = self._zones(args)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags(f"{name}-vpc"),
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{name}-default-deny-all"),
            opts=child,
        )
        self.public_subnets = self._subnets("public", layout.public, zones)
        self.private_subnets = self._subnets("private", layout.private, zones)
        internet_gateway = self._public_routing()
        self.private_route_tables = self._private_routing(self._nat_gateways(internet_gateway))
        self.flow_log_group = self._flow_logs()
        self.endpoints = self._endpoints()

        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "publicSubnetIds": [s.id for s in self.public_subnets],
                "flowLogGroup": self.flow_log_group.name,
            }
        )

    def _tags(self, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, "Name": name, **(extra or {})}

    def _zones(self, args: NetworkArgs) -> list[pulumi.Output[str]]:
        if args.availability_zones is not None:
            return [pulumi.Output.from_input(zone) for zone in args.availability_zones]
        available = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return [available.names[index] for index in range(args.az_count)]

    def _subnets(
        self, tier: str, cidrs: Sequence[str], zones: Sequence[pulumi.Output[str]]
    ) -> list[aws.ec2.Subnet]:
        # Load balancer controllers discover subnets by these role tags.
        role = "kubernetes.io/role/elb" if tier == "public" else "kubernetes.io/role/internal-elb"
        subnets = []
        for index, (cidr, zone) in enumerate(zip(cidrs, zones, strict=True)):
            subnet_name = f"{self._name}-{tier}-{index + 1}"
            subnets.append(
                aws.ec2.Subnet(
                    subnet_name,
                    vpc_id=self.vpc.id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=self._tags(subnet_name, {role: "1", "plinth-tier": tier}),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return subnets

    def _public_routing(self) -> aws.ec2.InternetGateway:
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway(
            f"{self._name}-igw",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{self._name}-igw"),
            opts=child,
        )
        table = aws.ec2.RouteTable(
            f"{self._name}-public",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{self._name}-public"),
            opts=child,
        )
        aws.ec2.Route(
            f"{self._name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=child,
        )
        for index, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-public-{index + 1}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=child,
            )
        return gateway

    def _nat_gateways(self, internet_gateway: aws.ec2.InternetGateway) -> list[aws.ec2.NatGateway]:
        count = {"perAz": len(self.public_subnets), "single": 1, "none": 0}[self._args.nat_gateways]
        gateways = []
        # A NAT gateway (and its address) created before the VPC has an attached internet
        # gateway fails; on destroy the order also keeps the gateway until NAT is gone.
        child = pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway])
        for index, subnet in enumerate(self.public_subnets[:count]):
            nat_name = f"{self._name}-nat-{index + 1}"
            address = aws.ec2.Eip(nat_name, domain="vpc", tags=self._tags(nat_name), opts=child)
            gateways.append(
                aws.ec2.NatGateway(
                    nat_name,
                    allocation_id=address.allocation_id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags=self._tags(nat_name),
                    opts=child,
                )
            )
        return gateways

    def _private_routing(
        self, nat_gateways: Sequence[aws.ec2.NatGateway]
    ) -> list[aws.ec2.RouteTable]:
        child = pulumi.ResourceOptions(parent=self)
        tables = []
        for index, subnet in enumerate(self.private_subnets):
            table_name = f"{self._name}-private-{index + 1}"
            table = aws.ec2.RouteTable(
                table_name, vpc_id=self.vpc.id, tags=self._tags(table_name), opts=child
            )
            aws.ec2.RouteTableAssociation(
                table_name, subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            if nat_gateways:
                # Each AZ egresses through its own NAT when there is one per AZ.
                nat = nat_gateways[index % len(nat_gateways)]
                aws.ec2.Route(
                    f"{table_name}-egress",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=child,
                )
            tables.append(table)
        return tables

    def _flow_logs(self) -> aws.cloudwatch.LogGroup:
        args, scope = self._args, self._args.scope
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_key_arn,
            tags=self._tags(f"{self._name}-flow-logs"),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.retain_flow_logs
            ),
        )
        role = aws.iam.Role(
            f"{self._name}-flow-logs",
            description="VPC flow logs delivery to its CloudWatch log group",
            assume_role_policy=service_trust_policy(
                scope.service_principal("vpc-flow-logs", parent=self),
                source_account=scope.account_id,
                source_arn_like=scope.arn("ec2", "vpc-flow-log/*"),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            f"{self._name}-flow-logs",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "WriteToTheFlowLogGroupOnly",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": [
                            log_group.arn,
                            pulumi.Output.concat(log_group.arn, ":log-stream:*"),
                        ],
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type=args.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._tags(f"{self._name}-flow-log"),
            # Delivery starts at creation: the role must already be allowed to write.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        return log_group

    def _endpoints(self) -> dict[str, aws.ec2.VpcEndpoint]:
        args, scope = self._args, self._args.scope
        child = pulumi.ResourceOptions(parent=self)
        endpoints = {
            "s3": aws.ec2.VpcEndpoint(
                f"{self._name}-s3",
                vpc_id=self.vpc.id,
                service_name=scope.endpoint_service_name("s3", "Gateway", parent=self),
                vpc_endpoint_type="Gateway",
                route_table_ids=[table.id for table in self.private_route_tables],
                tags=self._tags(f"{self._name}-s3"),
                opts=child,
            )
        }
        if not args.interface_endpoints:
            return endpoints
        group = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints",
            description="HTTPS to VPC interface endpoints from inside the VPC only",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{self._name}-endpoints"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-endpoints-https",
            security_group_id=group.id,
            description="HTTPS from the VPC",
            cidr_ipv4=args.cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            tags=self._tags(f"{self._name}-endpoints-https"),
            opts=child,
        )
        for service in args.interface_endpoints:
            endpoint_name = f"{self._name}-{service.replace('.', '-')}"
            endpoints[service] = aws.ec2.VpcEndpoint(
                endpoint_name,
                vpc_id=self.vpc.id,
                service_name=scope.endpoint_service_name(service, "Interface", parent=self),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                policy=args.endpoint_policies.get(service),
                subnet_ids=[subnet.id for subnet in self.private_subnets],
                security_group_ids=[group.id],
                tags=self._tags(endpoint_name),
                opts=child,
            )
        return endpoints
