"""Fixtures for policies/rules/protection.py."""

from __future__ import annotations

from rule_cases import complies, res, violates

RULE = "protection-stateful-resources"
BUCKET = "aws:s3/bucketV2:BucketV2"
KEY = "aws:kms/key:Key"
DB = "aws:rds/instance:Instance"
TABLE = "aws:dynamodb/table:Table"
REPOSITORY = "aws:ecr/repository:Repository"
SUBNET = "aws:ec2/subnet:Subnet"

CASES = [
    violates(
        RULE,
        "unprotected bucket (retain_on_delete is invisible)",
        res(BUCKET, "data"),
        profiles=("hipaa",),
        expect="plinth:protect: true",
    ),
    violates(
        RULE,
        "protected bucket that force_destroy would empty",
        res(BUCKET, "data", {"forceDestroy": True}, protect=True),
        expect="force_destroy=True",
    ),
    violates(
        RULE,
        "ECR repository deleted with its images",
        res(REPOSITORY, "images", {"forceDelete": True}, protect=True),
        expect="force_delete=True",
    ),
    violates(RULE, "unprotected KMS key", res(KEY, "key"), expect="retain_on_delete is invisible"),
    violates(
        RULE,
        "database without protect or deletion protection",
        res(DB, "db", {"deletionProtection": False}),
        profiles=("pci",),
        expect="deletion_protection=True",
    ),
    complies(RULE, "protected bucket", res(BUCKET, "data", {"forceDestroy": False}, protect=True)),
    complies(RULE, "protected key", res(KEY, "key", protect=True)),
    complies(RULE, "RDS deletion protection", res(DB, "db", {"deletionProtection": True})),
    complies(
        RULE,
        "DynamoDB deletion protection",
        res(TABLE, "table", {"deletionProtectionEnabled": True}),
    ),
    complies(RULE, "stateless resources need no protection", res(SUBNET, "subnet")),
]
