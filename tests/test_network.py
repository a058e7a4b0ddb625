"""The Network component, asserted on the inputs the engine captures."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Sequence

import pytest
from support import (
    ENDPOINT,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    ROUTE,
    SUBNET,
    document,
    of_type,
    one,
    parliament_findings_above_low,
    run_components,
    scope,
    statement,
)

from components.network import LayoutError, NatMode, Network, NetworkArgs, SubnetLayout
from plinth.engine import Preview

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
TAGS = {"owner": "o", "cost-center": "c", "environment": "test", "data-classification": "internal"}


def network(
    nat: NatMode = "perAz", az_count: int = 3, endpoints: Sequence[str] = ("sts", "ecr.api")
) -> Preview:
    def body() -> None:
        Network(
            "net",
            NetworkArgs(
                scope=scope("eu-west-1"),
                cidr="10.20.0.0/16",
                az_count=az_count,
                nat_gateways=nat,
                flow_log_key_arn=KEY_ARN,
                tags=TAGS,
                interface_endpoints=endpoints,
                flow_log_retention_days=731,
            ),
        )

    return run_components(body, region="eu-west-1")


@pytest.fixture(scope="module")
def net() -> Preview:
    return network()


def test_subnets_per_az_private_and_public(net: Preview) -> None:
    private = of_type(net, SUBNET, "private")
    public = of_type(net, SUBNET, "public")
    assert [s.inputs["cidrBlock"] for s in private] == [
        "10.20.0.0/19",
        "10.20.32.0/19",
        "10.20.64.0/19",
    ]
    assert [s.inputs["cidrBlock"] for s in public] == [
        "10.20.128.0/22",
        "10.20.132.0/22",
        "10.20.136.0/22",
    ]
    assert [s.inputs["availabilityZone"] for s in private] == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]
    for subnet in private + public:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert subnet.inputs["vpcId"].startswith("vpc-")
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)


@pytest.mark.parametrize(("nat", "gateways"), [("perAz", 3), ("single", 1), ("none", 0)])
def test_nat_modes(nat: NatMode, gateways: int) -> None:
    preview = network(nat=nat, endpoints=())
    nats = of_type(preview, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == gateways
    egress = of_type(preview, ROUTE, "egress")
    assert len(egress) == (3 if gateways else 0)
    nat_ids = {n.id for n in nats}
    assert {r.inputs["natGatewayId"] for r in egress} == nat_ids
    for nat_gateway in nats:
        public_subnets = {s.id for s in of_type(preview, SUBNET, "public")}
        assert nat_gateway.inputs["subnetId"] in public_subnets


def test_per_az_nat_keeps_each_az_egress_in_its_own_zone() -> None:
    preview = network(nat="perAz", endpoints=())
    subnet_by_id = {s.id: s for s in preview.of_type(SUBNET)}
    tables = {t.id: t for t in preview.of_type("aws:ec2/routeTable:RouteTable")}
    associations = preview.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    zone_of_table = {
        a.inputs["routeTableId"]: subnet_by_id[a.inputs["subnetId"]].inputs["availabilityZone"]
        for a in associations
        if "private" in tables[a.inputs["routeTableId"]].name
    }
    nat_zone = {
        n.id: subnet_by_id[n.inputs["subnetId"]].inputs["availabilityZone"]
        for n in preview.of_type("aws:ec2/natGateway:NatGateway")
    }
    for route in of_type(preview, ROUTE, "egress"):
        assert nat_zone[route.inputs["natGatewayId"]] == zone_of_table[route.inputs["routeTableId"]]


def test_default_security_group_is_stripped(net: Preview) -> None:
    default = one(net, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default.inputs.get("ingress")
    assert not default.inputs.get("egress")


def test_flow_logs_to_encrypted_retained_log_group(net: Preview) -> None:
    group = one(net, LOG_GROUP)
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.inputs["retentionInDays"] == 731
    assert group.retain_on_delete is True
    flow_log = one(net, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert (
        flow_log.inputs["logDestination"]
        == f"arn:aws:logs:eu-west-1:123456789012:log-group:{group.id}"
    )
    assert flow_log.inputs["vpcId"] == one(net, "aws:ec2/vpc:Vpc").id
    assert flow_log.inputs["iamRoleArn"].endswith(f":role/{one(net, ROLE).id}")


def test_flow_log_role_trusts_only_this_account_s_flow_logs(net: Preview) -> None:
    trust = statement(
        document(one(net, ROLE), "assumeRolePolicy"), "AssumedOnlyByTheServiceForThisAccount"
    )
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"},
    }


def test_flow_log_role_writes_only_to_its_log_group(net: Preview) -> None:
    group_arn = f"arn:aws:logs:eu-west-1:123456789012:log-group:{one(net, LOG_GROUP).id}"
    policy_record = one(net, ROLE_POLICY)
    policy = document(policy_record, "policy")
    (only,) = policy["Statement"]
    assert only["Resource"] == [group_arn, f"{group_arn}:log-stream:*"]
    assert set(only["Action"]) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    assert parliament_findings_above_low(policy_record.plain_inputs["policy"]) == []


def test_s3_gateway_endpoint_on_private_route_tables(net: Preview) -> None:
    gateway = one(net, ENDPOINT, "-s3")
    assert gateway.inputs["vpcEndpointType"] == "Gateway"
    assert gateway.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    private_tables = {
        t.id for t in of_type(net, "aws:ec2/routeTable:RouteTable") if "private" in t.name
    }
    assert set(gateway.inputs["routeTableIds"]) == private_tables
    assert len(private_tables) == 3


def test_interface_endpoints_private_dns_https_from_vpc_only(net: Preview) -> None:
    interface = [e for e in net.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interface) == [
        "com.amazonaws.eu-west-1.ecr.api",
        "com.amazonaws.eu-west-1.sts",
    ]
    group = one(net, "aws:ec2/securityGroup:SecurityGroup")
    private_subnets = {s.id for s in of_type(net, SUBNET, "private")}
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["securityGroupIds"] == [group.id]
        assert set(endpoint.inputs["subnetIds"]) == private_subnets
    rule = one(net, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == group.id
    assert (rule.inputs["cidrIpv4"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
        "10.20.0.0/16",
        443,
        443,
    )
    assert not group.inputs.get("ingress")
    assert not group.inputs.get("egress")


def test_no_interface_endpoints_means_no_endpoint_security_group() -> None:
    preview = network(endpoints=())
    assert of_type(preview, "aws:ec2/securityGroup:SecurityGroup") == []
    assert [e.inputs["vpcEndpointType"] for e in preview.of_type(ENDPOINT)] == ["Gateway"]


def test_children_are_parented_to_the_component(net: Preview) -> None:
    (component,) = net.of_type("plinth:network:Network")
    custom = [r for r in net.resources if r.custom and not r.type.startswith("pulumi:providers")]
    assert custom
    assert {r.parent for r in custom} == {component.urn}


@pytest.mark.parametrize(
    ("prefix", "az_count"),
    list(itertools.product(range(16, 23), range(1, 7))),
)
def test_subnet_layout_fits_and_never_overlaps(prefix: int, az_count: int) -> None:
    vpc = ipaddress.IPv4Network(f"10.0.0.0/{prefix}")
    try:
        layout = SubnetLayout.plan(str(vpc), az_count)
    except LayoutError:
        assert prefix + 1 + (az_count - 1).bit_length() + 3 > 28
        return
    blocks = [ipaddress.IPv4Network(c) for c in layout.private + layout.public]
    assert len(layout.private) == len(layout.public) == az_count
    assert all(block.subnet_of(vpc) and block.prefixlen <= 28 for block in blocks)
    for first, second in itertools.combinations(blocks, 2):
        assert not first.overlaps(second)
    private_size = ipaddress.IPv4Network(layout.private[0]).num_addresses
    assert private_size == 8 * ipaddress.IPv4Network(layout.public[0]).num_addresses


def test_nat_and_its_address_wait_for_the_internet_gateway() -> None:
    preview = network(nat="perAz", endpoints=())
    gateway = one(preview, "aws:ec2/internetGateway:InternetGateway")
    for type_ in ("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"):
        records = preview.of_type(type_)
        assert len(records) == 3
        assert all(gateway.urn in r.depends_on for r in records), type_


def test_flow_log_waits_for_its_role_policy(net: Preview) -> None:
    flow_log = one(net, "aws:ec2/flowLog:FlowLog")
    assert one(net, ROLE_POLICY).urn in flow_log.depends_on
