"""Tenant isolation in the MLOps layer, judged by an independent IAM evaluator.

The documents are the ones the dev preview attaches (fraud-detection: tracking server,
registry and catalog; search: catalog only). moto's IAM enforcement authorises SageMaker,
Glue and Lake Formation calls by action alone (every request is checked against Resource
"*", and conditions other than sts:ExternalId are ignored), so it cannot tell one tenant's
tracking server or approval status from another's; the bucket half of isolation is proven
under moto in test_tenant_isolation.py. Here @cloud-copilot/iam-simulate evaluates the
documents with resources and condition keys (and refuses unknown actions, ARNs and keys).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import EXAMPLE_ACCOUNT_ID, iam_findings, one, simulate

from plinth.engine import Preview

SAGEMAKER = f"arn:aws:sagemaker:us-east-1:{EXAMPLE_ACCOUNT_ID}:"
GLUE = f"arn:aws:glue:us-east-1:{EXAMPLE_ACCOUNT_ID}:"
FRAUD = "plinth-dev-fraud-detection"
SEARCH = "plinth-dev-search"
APPROVAL = "sagemaker:ModelApprovalStatus"
PERSONAS = ("workload", "admin", "developer", "viewer")


def principal(tenant: str, purpose: str) -> str:
    return f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:role/{tenant}-{purpose}"


@pytest.fixture(scope="module")
def policies(dev_preview: Preview) -> dict[str, dict[str, Any]]:
    """The MLOps policy of each fraud-detection role, by purpose."""
    return {
        purpose: json.loads(
            one(dev_preview, "aws:iam/policy:Policy", f"{FRAUD}-mlops-{purpose}").plain_inputs[
                "policy"
            ]
        )
        for purpose in PERSONAS
    }


def decide(policy: dict[str, Any], *requests: tuple[str, str, dict[str, str]]) -> list[str]:
    return simulate(
        principal(FRAUD, "role"),
        [policy],
        [{"action": a, "resource": r, "context": c} for a, r, c in requests],
    )


def server(name: str) -> str:
    return f"{SAGEMAKER}mlflow-tracking-server/{name}"


def version(group: str, number: int = 1) -> str:
    return f"{SAGEMAKER}model-package/{group}/{number}"


def test_every_role_uses_its_own_tracking_server_only(
    policies: dict[str, dict[str, Any]],
) -> None:
    for purpose, policy in policies.items():
        decisions = decide(
            policy,
            ("sagemaker-mlflow:SearchRuns", server(FRAUD), {}),
            ("sagemaker:CreatePresignedMlflowTrackingServerUrl", server(FRAUD), {}),
            ("sagemaker-mlflow:SearchRuns", server(SEARCH), {}),
            ("sagemaker:CreatePresignedMlflowTrackingServerUrl", server(SEARCH), {}),
        )
        assert decisions == ["Allowed", "Allowed", "ImplicitlyDenied", "ImplicitlyDenied"], purpose


def test_only_writers_log_runs(policies: dict[str, dict[str, Any]]) -> None:
    writes = {
        purpose: decide(policy, ("sagemaker-mlflow:CreateRun", server(FRAUD), {}))
        for purpose, policy in policies.items()
    }
    assert writes == {
        "workload": ["Allowed"],
        "admin": ["Allowed"],
        "developer": ["Allowed"],
        "viewer": ["ImplicitlyDenied"],
    }


@pytest.mark.parametrize("action", ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"])
def test_only_the_admin_approves_a_model_version(
    policies: dict[str, dict[str, Any]], action: str
) -> None:
    approve = (action, version(FRAUD), {APPROVAL: "Approved"})
    pend = (action, version(FRAUD), {APPROVAL: "PendingManualApproval"})
    decisions = {purpose: decide(policy, approve, pend) for purpose, policy in policies.items()}
    assert decisions == {
        "admin": ["Allowed", "Allowed"],
        "developer": ["ExplicitlyDenied", "Allowed"],
        "workload": ["ExplicitlyDenied", "Allowed"],
        "viewer": ["ImplicitlyDenied", "ImplicitlyDenied"],
    }


def test_registry_access_stops_at_the_tenants_groups(
    policies: dict[str, dict[str, Any]],
) -> None:
    """Its own group and `<group>--<model>` groups; not another tenant's, nor a tenant whose
    name merely starts with this one's (`fraud-detection-x`)."""
    admin = policies["admin"]
    pending = {APPROVAL: "PendingManualApproval"}
    decisions = decide(
        admin,
        ("sagemaker:CreateModelPackage", version(f"{FRAUD}--churn", 3), pending),
        ("sagemaker:CreateModelPackageGroup", f"{SAGEMAKER}model-package-group/{FRAUD}--churn", {}),
        ("sagemaker:CreateModelPackage", version(SEARCH), pending),
        ("sagemaker:UpdateModelPackage", version(f"{FRAUD}-x"), pending),
        ("sagemaker:DescribeModelPackageGroup", f"{SAGEMAKER}model-package-group/{SEARCH}", {}),
    )
    assert decisions == [
        "Allowed",
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
    ]


def test_catalog_access_is_the_tenants_database_only(
    policies: dict[str, dict[str, Any]],
) -> None:
    own, other = "plinth_dev_fraud_detection", "plinth_dev_search"
    for purpose, policy in policies.items():
        decisions = decide(
            policy,
            ("glue:GetTable", f"{GLUE}table/{own}/transactions", {}),
            ("glue:GetTable", f"{GLUE}table/{other}/queries", {}),
            ("glue:CreateTable", f"{GLUE}table/{own}/transactions", {}),
        )
        writes = "ImplicitlyDenied" if purpose == "viewer" else "Allowed"
        assert decisions == ["Allowed", "ImplicitlyDenied", writes], purpose


def test_the_tracking_server_registers_but_never_approves(dev_preview: Preview) -> None:
    role_policy = one(dev_preview, "aws:iam/rolePolicy:RolePolicy", f"{FRAUD}-mlops-tracking")
    policy = json.loads(role_policy.plain_inputs["policy"])
    artifacts = next(s for s in policy["Statement"] if s["Sid"] == "ArtifactStoreObjects")
    bucket_arn = artifacts["Resource"].removesuffix("/mlflow/*")
    decisions = decide(
        policy,
        ("sagemaker:CreateModelPackage", version(f"{FRAUD}--churn"), {APPROVAL: "Approved"}),
        ("sagemaker:CreateModelPackage", version(f"{FRAUD}--churn"), {}),
        ("s3:PutObject", f"{bucket_arn}/mlflow/1/model.pkl", {}),
        ("s3:PutObject", f"{bucket_arn}/datasets/train.csv", {}),
    )
    assert decisions == ["ExplicitlyDenied", "Allowed", "Allowed", "ImplicitlyDenied"]


def test_the_policies_pass_an_iam_linter(
    dev_preview: Preview, policies: dict[str, dict[str, Any]]
) -> None:
    documents = [json.dumps(p) for p in policies.values()] + [
        one(dev_preview, "aws:iam/rolePolicy:RolePolicy", f"{FRAUD}-mlops-tracking").plain_inputs[
            "policy"
        ],
        one(
            dev_preview, "aws:iam/rolePolicy:RolePolicy", f"{FRAUD}-mlops-catalog-location"
        ).plain_inputs["policy"],
    ]
    assert [finding for d in documents for finding in iam_findings(d)] == []
