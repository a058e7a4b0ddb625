"""Fixtures for policies/rules/mlops.py."""

from __future__ import annotations

import json
from typing import Any

from components.mlops.platform import approval_event_pattern
from components.mlops.registry import registry_arns, registry_statements
from rule_cases import complies, res, violates

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SAGEMAKER = "arn:aws:sagemaker:us-east-1:123456789012:"
BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
POLICY = "aws:iam/policy:Policy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
LOCATION = "aws:lakeformation/resource:Resource"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"

ARTIFACTS = "tracking-artifacts-customer-key"
AUTH = "mlflow-authentication-on"
SEPARATED = "model-approval-separated"
RECORDED = "model-approvals-recorded"
NO_FALLBACK = "lake-formation-no-iam-only-fallback"
GOVERNED = "catalog-governed-by-lake-formation"
IAM_ONLY = [{"permissions": ["ALL"], "principal": "IAM_ALLOWED_PRINCIPALS"}]


def tracking(algorithm: str):  # type: ignore[no-untyped-def]
    """A tracking server whose artifact bucket is encrypted with `algorithm`."""
    bucket = res(BUCKET, "artifacts", {"bucket": "fraud-artifacts"})
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": KEY} if "kms" in algorithm else {})}
    encryption = res(
        ENCRYPTION,
        "artifacts-encryption",
        {"bucket": "fraud-artifacts", "rules": [{"applyServerSideEncryptionByDefault": default}]},
        deps={"bucket": [bucket]},
    )
    server = res(
        SERVER,
        "tracking",
        {"artifactStoreUri": "s3://fraud-artifacts/mlflow/", "roleArn": "x"},
        deps={"artifactStoreUri": [bucket]},
    )
    return [bucket, encryption, server]


def mlflow(*args: str):  # type: ignore[no-untyped-def]
    container = {"name": "mlflow", "image": "burakince/mlflow:3.15.1", "args": list(args)}
    spec = {"template": {"spec": {"containers": [container]}}}
    return res(DEPLOYMENT, "mlflow", {"metadata": {"namespace": "fraud"}, "spec": spec})


def policy(name: str, *, register: bool, approve: bool):  # type: ignore[no-untyped-def]
    arns = registry_arns(SAGEMAKER, "plinth-dev-fraud")
    document = {
        "Version": "2012-10-17",
        "Statement": registry_statements(arns, register=register, approve=approve),
    }
    return res(POLICY, name, {"policy": json.dumps(document)})


def half_denied():  # type: ignore[no-untyped-def]
    """A developer policy whose deny covers only CreateModelPackage."""
    document = json.loads(policy("developer", register=True, approve=False).inputs["policy"])
    for statement in document["Statement"]:
        if statement["Effect"] == "Deny":
            statement["Action"] = ["sagemaker:CreateModelPackage"]
    return res(POLICY, "developer", {"policy": json.dumps(document)})


def prod_groups_only() -> str:
    pattern = json.loads(approval_event_pattern())
    return json.dumps({**pattern, "detail": {"ModelPackageGroupName": [{"prefix": "prod-"}]}})


def group():  # type: ignore[no-untyped-def]
    return res(GROUP, "registry", {"modelPackageGroupName": "plinth-dev-fraud"})


def approval_rule(pattern: str, *, target: bool = True) -> list[Any]:
    rule = res(RULE, "approvals", {"eventPattern": pattern})
    if not target:
        return [rule]
    return [
        rule,
        res(TARGET, "approvals", {"rule": "approvals", "arn": "x"}, deps={"rule": [rule]}),
    ]


def catalog(defaults: Any, *, registered: bool):  # type: ignore[no-untyped-def]
    bucket = res(BUCKET, "datasets", {"bucket": "fraud-datasets"})
    props = {"name": "fraud", "locationUri": "s3://fraud-datasets/catalog/"}
    if defaults is not None:
        props["createTableDefaultPermissions"] = defaults
    database = res(DATABASE, "catalog", props, deps={"locationUri": [bucket]})
    location = res(
        LOCATION, "location", {"arn": "arn:aws:s3:::fraud-datasets"}, deps={"arn": [bucket]}
    )
    return [bucket, database, *([location] if registered else [])]


CASES = [
    complies(ARTIFACTS, "artifacts under a customer key", *tracking("aws:kms")),
    violates(ARTIFACTS, "artifacts under SSE-S3", *tracking("AES256"), expect="not SSE-KMS"),
    complies(AUTH, "basic-auth", mlflow("mlflow server --app-name basic-auth --host 0.0.0.0")),
    complies(AUTH, "basic-auth, split", mlflow("mlflow", "server", "--app-name=basic-auth")),
    violates(
        AUTH,
        "no authentication",
        mlflow("mlflow", "server", "--host", "0.0.0.0"),
        expect="without authentication",
    ),
    complies(
        AUTH,
        "chart with auth",
        res(RELEASE, "mlflow", {"chart": "mlflow", "values": {"auth": {"enabled": True}}}),
    ),
    violates(
        AUTH,
        "chart without auth",
        res(RELEASE, "mlflow", {"chart": "mlflow", "values": {}}),
        expect="auth.enabled",
    ),
    complies(
        SEPARATED,
        "developers register, the admin approves",
        group(),
        policy("developer", register=True, approve=False),
        policy("admin", register=True, approve=True),
    ),
    violates(
        SEPARATED,
        "whoever registers may approve",
        group(),
        policy("developer", register=True, approve=True),
        expect="may also approve",
    ),
    complies(SEPARATED, "readers only", group(), policy("viewer", register=False, approve=False)),
    violates(
        SEPARATED,
        "the deny leaves UpdateModelPackage open",
        group(),
        half_denied(),
        expect="may also approve",
    ),
    complies(
        RECORDED,
        "the platform's approval record",
        group(),
        *approval_rule(approval_event_pattern()),
    ),
    violates(RECORDED, "no rule", group(), expect="no EventBridge rule"),
    complies(
        RECORDED,
        "a tenant stack: its platform records",
        group(),
        res("pulumi:pulumi:StackReference", "platform", {"name": "acme/plinth/dev"}),
    ),
    violates(
        RECORDED,
        "a rule for another platform's groups",
        group(),
        *approval_rule(prod_groups_only()),
        expect="no EventBridge rule",
    ),
    violates(
        RECORDED,
        "a rule with no target",
        group(),
        *approval_rule(approval_event_pattern(), target=False),
        expect="no EventBridge rule",
    ),
    complies(
        NO_FALLBACK,
        "no defaults",
        res(
            SETTINGS,
            "lake",
            {"createDatabaseDefaultPermissions": [], "createTableDefaultPermissions": []},
        ),
    ),
    violates(
        NO_FALLBACK,
        "IAM-only tables",
        res(
            SETTINGS,
            "lake",
            {"createDatabaseDefaultPermissions": [], "createTableDefaultPermissions": IAM_ONLY},
        ),
        expect="createTableDefaultPermissions grants IAM_ALLOWED_PRINCIPALS",
    ),
    complies(NO_FALLBACK, "left out: the settings clear them", res(SETTINGS, "lake", {})),
    violates(
        NO_FALLBACK,
        "IAM-only databases",
        res(SETTINGS, "lake", {"createDatabaseDefaultPermissions": IAM_ONLY}),
        expect="createDatabaseDefaultPermissions grants",
    ),
    complies(GOVERNED, "governed, location registered", *catalog([], registered=True)),
    violates(
        GOVERNED,
        "IAM-only tables",
        *catalog(IAM_ONLY, registered=True),
        expect="IAM_ALLOWED_PRINCIPALS",
    ),
    violates(
        GOVERNED,
        "defaults left out",
        *catalog(None, registered=True),
        expect="IAM_ALLOWED_PRINCIPALS",
    ),
    violates(
        GOVERNED, "location not registered", *catalog([], registered=False), expect="not registered"
    ),
]
