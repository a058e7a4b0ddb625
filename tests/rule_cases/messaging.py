"""Fixtures for policies/rules/messaging.py: ECR repositories, SNS topics, SQS queues and
Lambda permissions as a team's own program writes them, weak and hardened."""

from __future__ import annotations

import json
from typing import Any

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
]
