"""Fixtures for policies/rules/secrets.py.

Fake credentials are assembled from pieces so that secret scanners run over this repository
do not mistake the fixtures for leaked credentials.
"""

from __future__ import annotations

import json

from plinth.engine.values import UNKNOWN, Secret
from rule_cases import complies, res, violates

FUNCTION = "aws:lambda/function:Function"
PARAMETER = "aws:ssm/parameter:Parameter"
RDS_INSTANCE = "aws:rds/instance:Instance"
REDSHIFT = "aws:redshift/cluster:Cluster"

AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example key ID
GITHUB_TOKEN = "gh" + "p_" + "a1B2c3D4e5" * 4
SLACK_TOKEN = "xo" + "xb-" + "1234567890-abcdefghij"
PEM_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"
OPENAI_KEY = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
HF_TOKEN = "hf" + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/github-AbCdEf"
ROOT_STACK = "pulumi:pulumi:Stack"


SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
DATABASE_SECRET = res(SECRET, "orders-db", {"name": "orders/db"})
ORDERS_DB = res(RDS_INSTANCE, "orders", {"engine": "postgres"})


def sign_in_version(secret_string=UNKNOWN, sources=(ORDERS_DB,)):  # type: ignore[no-untyped-def]
    """A version of DATABASE_SECRET whose value is computed from `sources`."""
    return res(
        SECRET_VERSION,
        "orders-db",
        {"secretId": UNKNOWN, "secretString": secret_string},
        deps={"secretId": [DATABASE_SECRET], "secretString": list(sources)},
    )


def rotation(rules):  # type: ignore[no-untyped-def]
    return res(
        SECRET_ROTATION,
        "orders-db",
        {
            "secretId": UNKNOWN,
            "rotationLambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            "rotationRules": rules,
        },
        deps={"secretId": [DATABASE_SECRET]},
    )


def stack_outputs(outputs):  # type: ignore[no-untyped-def]
    """The root stack as the engine sends it to stack policies: its outputs as properties."""
    return res(ROOT_STACK, "fixture-test", outputs)


def function(variables, **props):  # type: ignore[no-untyped-def]
    return res(FUNCTION, "fn", {"environment": {"variables": variables}, **props})


def codebuild(value):  # type: ignore[no-untyped-def]
    variables = [{"name": "REGION", "value": "us-east-1"}, {"name": "TOKEN", "value": value}]
    return res(
        "aws:codebuild/project:Project",
        "build",
        {"environment": {"image": "aws/codebuild/standard:7.0", "environmentVariables": variables}},
    )


CASES = [
    violates(
        "secrets-database-rotation",
        "a sign-in computed from the database's address, never rotated",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(),
        expect="never rotated",
    ),
    violates(
        "secrets-database-rotation",
        "a sign-in in the rotation templates' shape, rotated twice a year",
        DATABASE_SECRET,
        sign_in_version(
            json.dumps(
                {"engine": "postgres", "host": "db.internal", "username": "app", "password": "p"}
            ),
            sources=(),
        ),
        rotation({"automaticallyAfterDays": 180}),
        expect="rotations up to 180 days apart, more than 90",
    ),
    violates(
        "secrets-database-rotation",
        "a rate schedule longer than the threshold",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(),
        rotation({"scheduleExpression": "rate(120 days)"}),
        expect="rotations up to 120 days apart",
    ),
    violates(
        "secrets-database-rotation",
        "a cron schedule that fires once a year",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(),
        rotation({"scheduleExpression": "cron(0 0 1 1 ? *)"}),
        expect="rotations up to 372 days apart",
    ),
    violates(
        "secrets-database-rotation",
        "a sign-in written to the write-only value, never rotated",
        DATABASE_SECRET,
        ORDERS_DB,
        res(
            SECRET_VERSION,
            "orders-db",
            {"secretId": "orders/db", "secretStringWo": UNKNOWN},
            deps={"secretStringWo": [ORDERS_DB]},
        ),
        expect="never rotated",
    ),
    complies(
        "secrets-database-rotation",
        "rotated twice a month by cron, the rotation naming the secret by its ARN",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(),
        res(
            SECRET_ROTATION,
            "orders-db",
            {
                "secretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-AbCdEf",
                "rotationRules": {"scheduleExpression": "cron(0 16 1,15 * ? *)"},
            },
        ),
    ),
    complies(
        "secrets-database-rotation",
        "an IAM sign-in's connection details: no password to rotate",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(
            json.dumps({"engine": "postgres", "host": "db.internal", "username": "app"})
        ),
    ),
    complies(
        "secrets-database-rotation",
        "rotated monthly by a rotation function",
        DATABASE_SECRET,
        ORDERS_DB,
        sign_in_version(),
        rotation({"automaticallyAfterDays": 30}),
    ),
    complies(
        "secrets-database-rotation",
        "an API key (no database) kept without rotation",
        DATABASE_SECRET,
        sign_in_version(json.dumps({"apiKey": "placeholder"}), sources=()),
    ),
    violates(
        "secrets-not-in-stack-outputs",
        "a Hugging Face token exported in a nested output",
        stack_outputs({"inference": {"endpoint": "https://llm.internal", "token": HF_TOKEN}}),
        expect="stack output inference.token holds a Hugging Face token",
    ),
    violates(
        "secrets-not-in-stack-outputs",
        "an OpenAI key exported as a secret output: still readable by every stack reader",
        stack_outputs({"gatewayKeys": [Secret(OPENAI_KEY)]}),
        expect="gatewayKeys[0] holds an OpenAI key",
    ),
    complies(
        "secrets-not-in-stack-outputs",
        "the secret's ARN exported, and an output unknown until deployment",
        stack_outputs({"githubTokenSecretArn": SECRET_ARN, "endpoint": UNKNOWN}),
    ),
    violates(
        "secrets-no-embedded-credentials",
        "an OpenAI key inside a ConfigMap's file, under no credential-like name",
        res(
            CONFIG_MAP,
            "app-config",
            {"data": {"config.yaml": f"provider: openai\nkey: {OPENAI_KEY}\n"}},
        ),
        expect="an OpenAI key",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "an Anthropic key in a chart's values",
        res(
            HELM_RELEASE, "agent", {"chart": "agent", "values": {"llm": {"apiKey": ANTHROPIC_KEY}}}
        ),
        expect="an Anthropic key",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "a Hugging Face token in a function's environment",
        function({"HF": HF_TOKEN}),
        expect="a Hugging Face token",
    ),
    complies(
        "secrets-no-embedded-credentials",
        "a ConfigMap that names where the key is kept",
        res(CONFIG_MAP, "app-config", {"data": {"config.yaml": "key: os.environ/OPENAI_API_KEY"}}),
    ),
    violates(
        "secrets-no-embedded-credentials",
        "GitHub token in a Lambda environment variable",
        function({"GITHUB_TOKEN": GITHUB_TOKEN}),
        expect="environment.variables.GITHUB_TOKEN holds a GitHub token",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "an input unknown during preview does not stop the scan of the others",
        function({"GITHUB_TOKEN": GITHUB_TOKEN}, role=UNKNOWN),
        expect="GitHub token",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "a Pulumi secret still lands in the function's configuration",
        function({"GITHUB_TOKEN": Secret(GITHUB_TOKEN)}),
        expect="GITHUB_TOKEN",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "access key ID in a provider's configuration",
        res("pulumi:providers:aws", "prod", {"region": "us-east-1", "accessKey": AWS_KEY_ID}),
        expect="accessKey holds an AWS access key ID",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "private key in EC2 user data",
        res("aws:ec2/instance:Instance", "vm", {"userData": f"#!/bin/sh\necho '{PEM_KEY}'\n"}),
        expect="userData holds a private key",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "Slack token inside a JSON container definition",
        res(
            "aws:ecs/taskDefinition:TaskDefinition",
            "task",
            {
                "family": "notifier",
                "containerDefinitions": json.dumps(
                    [{"name": "app", "environment": [{"name": "SLACK", "value": SLACK_TOKEN}]}]
                ),
            },
        ),
        expect="containerDefinitions holds a Slack token",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "the path names the list element",
        codebuild(AWS_KEY_ID),
        expect="environment.environmentVariables[1].value",
    ),
    violates(
        "secrets-no-embedded-credentials",
        "a plain String SSM parameter is not a secret store",
        res(PARAMETER, "p", {"type": "String", "value": GITHUB_TOKEN}),
        expect="value",
    ),
    complies(
        "secrets-no-embedded-credentials",
        "the function reads its token from Secrets Manager",
        function({"GITHUB_TOKEN_SECRET_ARN": SECRET_ARN}, role=UNKNOWN),
    ),
    complies(
        "secrets-no-embedded-credentials",
        "the credential goes into Secrets Manager",
        res(
            "aws:secretsmanager/secretVersion:SecretVersion",
            "v",
            {"secretId": SECRET_ARN, "secretString": GITHUB_TOKEN},
        ),
    ),
    complies(
        "secrets-no-embedded-credentials",
        "a SecureString SSM parameter",
        res(PARAMETER, "p", {"type": "SecureString", "value": GITHUB_TOKEN}),
    ),
    complies(
        "secrets-no-embedded-credentials",
        "a public key is no credential",
        res("aws:ec2/keyPair:KeyPair", "kp", {"publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1 ops"}),
    ),
    violates(
        "secrets-managed-database-passwords",
        "RDS instance with a password",
        res(RDS_INSTANCE, "db", {"engine": "postgres", "password": "correct-horse-battery"}),
        expect="input password; set manage_master_user_password=True",
    ),
    violates(
        "secrets-managed-database-passwords",
        "Aurora cluster with a generated password (unknown during preview)",
        res("aws:rds/cluster:Cluster", "aurora", {"masterPassword": UNKNOWN}),
        expect="given as input masterPassword",
    ),
    violates(
        "secrets-managed-database-passwords",
        "a write-only password is still recorded in the Pulumi state",
        res(REDSHIFT, "dw", {"masterPasswordWo": Secret("s3cret-Passw0rd"), "nodeType": "ra3"}),
        expect="set manage_master_password=True",
    ),
    violates(
        "secrets-managed-database-passwords",
        "DocumentDB cluster with a password",
        res("aws:docdb/cluster:Cluster", "docs", {"masterPassword": Secret("s3cret-Passw0rd")}),
    ),
    complies(
        "secrets-managed-database-passwords",
        "RDS manages the master password in Secrets Manager",
        res(RDS_INSTANCE, "db", {"engine": "postgres", "manageMasterUserPassword": True}),
    ),
    complies(
        "secrets-managed-database-passwords",
        "a read replica takes no password",
        res(RDS_INSTANCE, "replica", {"replicateSourceDb": "db"}),
    ),
    complies(
        "secrets-managed-database-passwords",
        "Redshift manages the master password",
        res(REDSHIFT, "dw", {"manageMasterPassword": True, "nodeType": "ra3"}),
    ),
]

CUSTOMER_KEY = "secrets-customer-key"
SECRET = "aws:secretsmanager/secret:Secret"
CASES += [
    complies(
        CUSTOMER_KEY,
        "platform key",
        res(SECRET, "master-key", {"kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc"}),
    ),
    violates(CUSTOMER_KEY, "aws/secretsmanager", res(SECRET, "master-key", {})),
]
