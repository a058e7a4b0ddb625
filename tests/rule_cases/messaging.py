"""Fixtures for policies/rules/messaging.py: ECR repositories, SNS topics, SQS queues and
Lambda permissions as a team's own program writes them, weak and hardened."""

from __future__ import annotations

import json
from typing import Any

from plinth.engine.values import UNKNOWN
from rule_cases import complies, res, violates

REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"

SCAN = "ecr-scan-on-push"
IMMUTABLE = "ecr-immutable-tags"
ECR_KEY = "ecr-customer-key"
TOPIC_ENCRYPTED = "sns-topic-encrypted"
QUEUE_ENCRYPTED = "sqs-queue-encrypted"
NOT_PUBLIC = "messaging-no-public-principal"
LAMBDA = "lambda-not-public"
IN_VPC = "lambda-in-vpc-for-data"
FUNCTION = "aws:lambda/function:Function"
ORDERS_DB = res("aws:rds/cluster:Cluster", "orders", {"engine": "aurora-postgresql"})
SESSIONS = res("aws:elasticache/replicationGroup:ReplicationGroup", "sessions", {})
DATA_API_DB = res(
    "aws:rds/cluster:Cluster",
    "reports",
    {"engine": "aurora-postgresql", "enableHttpEndpoint": True},
)
PROXY = res("aws:rds/proxy:Proxy", "orders-proxy", {"engineFamily": "POSTGRESQL"})
SUBNET = res("aws:ec2/subnet:Subnet", "private-a", {"cidrBlock": "10.0.1.0/24"})


def function(vpc_config: Any = None, deps: Any = None):  # type: ignore[no-untyped-def]
    """A function whose environment names the orders database's endpoint."""
    props: dict[str, Any] = {
        "runtime": "python3.13",
        "handler": "app.handler",
        "role": "arn:aws:iam::123456789012:role/ingest",
        "environment": {"variables": {"DB_HOST": "orders.cluster.internal"}},
    }
    if vpc_config is not None:
        props["vpcConfig"] = vpc_config
    return res(FUNCTION, "ingest", props, deps=deps or {"environment": [ORDERS_DB]})


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def repository(**changes: Any):  # type: ignore[no-untyped-def]
    props: dict[str, Any] = {
        "name": "vllm-server",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
        **changes,
    }
    return res(REPOSITORY, "images", props)


def send_policy(**statement: Any) -> str:
    allow = {
        "Sid": "EventsSend",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:123456789012:jobs",
        **statement,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [allow]})


CASES = [
    complies(SCAN, "scanned on push", repository()),
    violates(
        SCAN,
        "not scanned",
        repository(imageScanningConfiguration={"scanOnPush": False}),
        expect="not scanned",
    ),
    complies(
        SCAN,
        "the registry scans every push",
        repository(imageScanningConfiguration=None),
        res(
            REGISTRY_SCANNING,
            "registry",
            {
                "scanType": "ENHANCED",
                "rules": [
                    {
                        "scanFrequency": "SCAN_ON_PUSH",
                        "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
                    }
                ],
            },
        ),
    ),
    complies(IMMUTABLE, "immutable tags", repository()),
    violates(IMMUTABLE, "ECR's default", repository(imageTagMutability=None), expect="MUTABLE"),
    complies(ECR_KEY, "a KMS key", repository()),
    violates(
        ECR_KEY, "ECR's AES-256 default", repository(encryptionConfigurations=None), expect="AES256"
    ),
    complies(TOPIC_ENCRYPTED, "a KMS key", res(TOPIC, "events", {"kmsMasterKeyId": KEY})),
    violates(TOPIC_ENCRYPTED, "no key", res(TOPIC, "events", {}), expect="unencrypted"),
    complies(QUEUE_ENCRYPTED, "SQS-managed keys by default", res(QUEUE, "jobs", {})),
    violates(
        QUEUE_ENCRYPTED,
        "encryption off",
        res(QUEUE, "jobs", {"sqsManagedSseEnabled": False}),
        expect="turned off",
    ),
    complies(
        NOT_PUBLIC,
        "EventBridge from one rule",
        res(
            QUEUE_POLICY,
            "jobs",
            {
                "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
                "policy": send_policy(
                    Principal={"Service": "events.amazonaws.com"},
                    Condition={
                        "ArnEquals": {
                            "aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/jobs"
                        }
                    },
                ),
            },
        ),
    ),
    violates(
        NOT_PUBLIC,
        "anyone may send",
        res(QUEUE, "jobs", {"policy": send_policy(Principal="*")}),
        expect="'EventsSend' allows any principal",
    ),
    complies(
        LAMBDA,
        "S3 from one bucket",
        res(
            LAMBDA_PERMISSION,
            "from-bucket",
            {
                "action": "lambda:InvokeFunction",
                "function": "ingest",
                "principal": "s3.amazonaws.com",
                "sourceArn": "arn:aws:s3:::datasets",
            },
        ),
    ),
    violates(
        LAMBDA,
        "anyone may invoke",
        res(
            LAMBDA_PERMISSION,
            "open",
            {"action": "lambda:InvokeFunction", "function": "ingest", "principal": "*"},
        ),
        expect="any principal",
    ),
    violates(
        LAMBDA,
        "a function URL without authentication",
        res(FUNCTION_URL, "url", {"functionName": "ingest", "authorizationType": "NONE"}),
        expect="unauthenticated",
    ),
    complies(
        LAMBDA,
        "a function URL with IAM",
        res(FUNCTION_URL, "url", {"functionName": "ingest", "authorizationType": "AWS_IAM"}),
    ),
    violates(
        IN_VPC,
        "configured with the database's endpoint, outside any VPC",
        ORDERS_DB,
        function(),
        expect="reaches orders but runs outside any VPC",
    ),
    violates(
        IN_VPC,
        "an empty VPC configuration, reaching a cache",
        SESSIONS,
        function({"subnetIds": [], "securityGroupIds": []}, deps={"environment": [SESSIONS]}),
        expect="reaches sessions",
    ),
    complies(
        IN_VPC,
        "in the VPC's private subnets (IDs unknown until the subnets exist)",
        ORDERS_DB,
        SUBNET,
        function(
            {"subnetIds": [UNKNOWN], "securityGroupIds": ["sg-0123456789abcdef0"]},
            deps={"environment": [ORDERS_DB], "vpcConfig": [SUBNET]},
        ),
    ),
    violates(
        IN_VPC,
        "an RDS proxy's endpoint",
        PROXY,
        function(deps={"environment": [PROXY]}),
        expect="reaches orders-proxy",
    ),
    complies(
        IN_VPC,
        "an Aurora cluster's Data API, reached over HTTPS",
        DATA_API_DB,
        function(deps={"environment": [DATA_API_DB]}),
    ),
    complies(
        IN_VPC,
        "a database named only in its description: it connects to nothing",
        ORDERS_DB,
        function(deps={"description": [ORDERS_DB]}),
    ),
    complies(
        IN_VPC,
        "no data store in its configuration",
        res(FUNCTION, "ingest", {"runtime": "python3.13", "handler": "app.handler"}),
    ),
]
