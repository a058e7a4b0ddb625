"""Fixture: a tenant stack that reads the platform stack's outputs."""

import pulumi
import pulumi_aws as aws

platform = pulumi.StackReference("acme/plinth/prod")
subnet = aws.ec2.Subnet(
    "tenant", vpc_id=platform.require_output("vpcId"), cidr_block="10.40.200.0/24"
)
pulumi.export("platformVpc", platform.get_output("vpcId"))
