"""Fixture: a plain pulumi_aws program with the mistakes the policy pack exists to catch."""

import json

import pulumi_aws as aws

uploads = aws.s3.Bucket("uploads", tags={"owner": "someone"})

admin = aws.iam.Role(
    "admin",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
aws.iam.RolePolicy(
    "admin-everything",
    role=admin.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ),
)

vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
aws.ec2.SecurityGroup(
    "ssh",
    vpc_id=vpc.id,
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"]
        )
    ],
)
aws.kms.Key("data", deletion_window_in_days=7)
