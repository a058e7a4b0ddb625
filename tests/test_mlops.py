"""The MLOps layer as the dev preview builds it: Lake Formation's settings and grants, the
tenants' catalogs, tracking server and registry, and the approval record, whose event pattern
runs in moto's EventBridge (an implementation of AWS's pattern matching independent of ours)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws
from support import EXAMPLE_ACCOUNT_ID, named, of_type, one, role_arn

from components.mlops.platform import APPROVAL_EVENT, approval_event_pattern
from plinth.engine import Preview
from plinth.engine.invokes import invoke_result

REGION = "us-east-1"
ACCOUNT = EXAMPLE_ACCOUNT_ID
ARN = "arn:aws:"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
FRAUD = "plinth-dev-fraud-detection"


def approval_event(group: str, status: str) -> dict[str, Any]:
    """A model package state change as SageMaker sends it (the EventBridge events page of the
    SageMaker developer guide: detail-type, source, and the group, version and status)."""
    arn = f"arn:aws:sagemaker:{REGION}:{EXAMPLE_ACCOUNT_ID}:model-package/{group}/2"
    return {
        "Source": "aws.sagemaker",
        "DetailType": APPROVAL_EVENT,
        "Resources": [arn],
        "Detail": json.dumps(
            {
                "ModelPackageGroupName": group,
                "ModelPackageVersion": 2,
                "ModelPackageArn": arn,
                "ModelPackageStatus": "Completed",
                "ModelApprovalStatus": status,
            }
        ),
    }


@mock_aws
def test_every_model_package_state_change_is_recorded() -> None:
    logs = boto3.client("logs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    group = "/aws/events/plinth-dev-model-approvals"
    logs.create_log_group(logGroupName=group)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    events.put_rule(Name="approvals", EventPattern=approval_event_pattern())
    events.put_targets(Rule="approvals", Targets=[{"Id": "log", "Arn": arn.removesuffix(":*")}])
    events.put_events(
        Entries=[
            approval_event("plinth-dev-fraud-detection", "Approved"),
            approval_event("plinth-dev-fraud-detection--churn", "Rejected"),
            approval_event("plinth-dev-vision-vision", "Approved"),  # a tenant stack's
            {**approval_event("plinth-dev-search", "Approved"), "DetailType": "Other"},
            {**approval_event("plinth-dev-search", "Approved"), "Source": "my.app"},
        ]
    )
    recorded = [
        json.loads(event["message"])["detail"]
        for event in logs.filter_log_events(logGroupName=group)["events"]
    ]
    assert [(d["ModelPackageGroupName"], d["ModelApprovalStatus"]) for d in recorded] == [
        ("plinth-dev-fraud-detection", "Approved"),
        ("plinth-dev-fraud-detection--churn", "Rejected"),
        ("plinth-dev-vision-vision", "Approved"),
    ]


def test_the_approval_record_is_kept_encrypted_and_only_its_rule_writes(
    dev_preview: Preview,
) -> None:
    log_group = named(dev_preview, "aws:cloudwatch/logGroup:LogGroup", "plinth-dev-model-approvals")
    platform_key = named(dev_preview, "aws:kms/key:Key", "plinth-dev-platform")
    assert log_group.inputs["kmsKeyId"] == f"{ARN}kms:{REGION}:{ACCOUNT}:key/{platform_key.id}"
    assert log_group.retain_on_delete
    rule = one(dev_preview, "aws:cloudwatch/eventRule:EventRule")
    rule_arn = f"{ARN}events:{REGION}:{ACCOUNT}:rule/{rule.id}"
    policy = json.loads(
        one(dev_preview, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy").plain_inputs[
            "policyDocument"
        ]
    )
    streams = f"{ARN}logs:{REGION}:{ACCOUNT}:log-group:{log_group.id}:*"
    create, put = policy["Statement"]
    assert (create["Action"], create["Resource"], "Condition" in create) == (
        "logs:CreateLogStream",
        streams,
        False,
    )
    assert (put["Action"], put["Resource"]) == ("logs:PutLogEvents", streams)
    assert put["Condition"]["ArnEquals"] == {"aws:SourceArn": rule_arn}


def test_lake_formation_governs_new_databases_and_tables(dev_preview: Preview) -> None:
    settings = one(dev_preview, "aws:lakeformation/dataLakeSettings:DataLakeSettings")
    assert settings.inputs["createDatabaseDefaultPermissions"] == []
    assert settings.inputs["createTableDefaultPermissions"] == []
    # The configured administrator, and the identity the offline engine runs as (the deployer).
    assert settings.inputs["admins"] == [
        f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:role/data-platform-admins",
        f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:user/plinth-offline",
    ]
    assert settings.retain_on_delete
    for database in of_type(dev_preview, "aws:glue/catalogDatabase:CatalogDatabase"):
        assert database.inputs["createTableDefaultPermissions"] == [], database.name


def test_the_deployer_is_the_role_behind_an_assumed_role_session() -> None:
    session = f"arn:aws:sts::{EXAMPLE_ACCOUNT_ID}:assumed-role/deployer/ci-run-42"
    context = invoke_result("aws:iam/getSessionContext:getSessionContext", {"arn": session}, REGION)
    assert context is not None
    assert context["issuerArn"] == f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:role/deployer"


def test_catalog_grants_name_the_tenant_s_own_roles_only(dev_preview: Preview) -> None:
    roles = {role_arn(role): role.name for role in of_type(dev_preview, "aws:iam/role:Role", FRAUD)}
    grants = of_type(dev_preview, PERMISSIONS, f"{FRAUD}-mlops-catalog")
    granted = {roles[grant.inputs["principal"]] for grant in grants}
    assert granted == {
        f"{FRAUD}-identity-{purpose}" for purpose in ("workload", "admin", "developer", "viewer")
    }
    datasets = named(dev_preview, "aws:s3/bucket:Bucket", f"{FRAUD}-datasets")
    for grant in grants:
        on = (
            grant.inputs.get("database")
            or grant.inputs.get("table")
            or grant.inputs["dataLocation"]
        )
        assert on.get("name", on.get("databaseName", on.get("arn"))) in (
            "plinth_dev_fraud_detection",
            f"arn:aws:s3:::{datasets.id}",
        )
        if roles[grant.inputs["principal"]].endswith("-viewer"):
            assert set(grant.inputs["permissions"]) <= {"DESCRIBE", "SELECT"}


def test_the_tracking_server_keeps_artifacts_in_the_tenant_s_bucket(dev_preview: Preview) -> None:
    server = one(dev_preview, "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
    artifacts = named(dev_preview, "aws:s3/bucket:Bucket", f"{FRAUD}-artifacts")
    assert server.inputs["trackingServerName"] == FRAUD
    assert server.inputs["artifactStoreUri"] == f"s3://{artifacts.id}/mlflow/"
    assert server.inputs["automaticModelRegistration"] is True
    group = one(dev_preview, "aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert group.inputs["modelPackageGroupName"] == FRAUD
