"""The self-hosted tracking server as the dev preview builds it for the search tenant
(`mlops.tracking.server: cluster`): the chart release and its values, the server's and the
bootstrap's roles (judged by @cloud-copilot/iam-simulate), who may read the admin sign-in,
the network policy, and the chart values check the offline engine applies (Helm's)."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from support import EXAMPLE_ACCOUNT_ID, dev_stack_document, iam_findings, named, one, simulate

from components.mlops.selfhosted import (
    CHART_REPOSITORY,
    CHART_VERSION,
    IAM_AUTH_HOOK_SOURCE,
    MLFLOW_VERSION,
)
from components.mlops.tracking_databases import BOOTSTRAP_NAMESPACE
from plinth.engine import Preview
from plinth.engine.contracts import charts

SEARCH = "plinth-dev-search"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRETS = f"arn:aws:secretsmanager:us-east-1:{EXAMPLE_ACCOUNT_ID}:secret:"


@pytest.fixture(scope="module")
def release(dev_preview: Preview) -> dict[str, Any]:
    found: dict[str, Any] = named(dev_preview, RELEASE, f"{SEARCH}-mlflow-release").plain_inputs
    return found


def policy(preview: Preview, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(named(preview, ROLE_POLICY, name).plain_inputs["policy"])
    return found


def test_the_pinned_chart_runs_in_the_tenant_s_namespace(release: dict[str, Any]) -> None:
    assert (release["chart"], release["version"], release["namespace"]) == (
        "mlflow",
        CHART_VERSION,
        "search",
    )
    assert release["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    values = release["values"]
    assert values["image"]["tag"] == MLFLOW_VERSION
    assert values["service"]["type"] == "ClusterIP"
    assert values["auth"]["enabled"] is True
    assert values["auth"]["defaultPermission"] == "NO_PERMISSIONS"
    assert values["serviceAccount"] == {"create": False, "automount": False, "name": "mlflow"}
    assert "mlflow.search.svc.cluster.local" in values["serverAllowedHosts"]
    assert not any(
        host.startswith(("10.", "192.168.", "*")) for host in values["serverAllowedHosts"]
    )


def test_no_password_reaches_the_chart(dev_preview: Preview, release: dict[str, Any]) -> None:
    """The admin sign-in comes from Secrets Manager through the CSI driver; the database has no
    password; neither the chart's admin nor database password values are set."""
    values = release["values"]
    assert values["auth"]["existingAdminSecret"]["name"] == "mlflow-admin"
    for section in (values["auth"], values["auth"]["postgres"], values["backendStore"]["postgres"]):
        assert not section.get("adminPassword"), section
        assert not section.get("password"), section
    version = named(
        dev_preview,
        "aws:secretsmanager/secretVersion:SecretVersion",
        f"{SEARCH}-mlflow-admin-version",
    )
    sign_in = json.loads(version.plain_inputs["secretString"])
    assert set(sign_in) == {"username", "password"}
    assert sign_in["username"] == "admin"
    assert sign_in["password"] not in json.dumps(values)
    login = named(dev_preview, "kubernetes:core/v1:Secret", f"{SEARCH}-mlflow-database-login")
    assert login.plain_inputs["stringData"] == {"username": "mlflow_search", "password": ""}
    hook = named(dev_preview, "kubernetes:core/v1:ConfigMap", f"{SEARCH}-mlflow-iam-auth")
    assert hook.plain_inputs["data"] == {"sitecustomize.py": IAM_AUTH_HOOK_SOURCE.read_text()}


def database_user(name: str, statement: dict[str, Any]) -> str:
    return re.sub(r"/[^/]+$", f"/{name}", statement["Resource"])


def test_the_server_role_reaches_its_own_database_prefix_and_sign_in_only(
    dev_preview: Preview,
) -> None:
    document = policy(dev_preview, f"{SEARCH}-mlflow-server-policy")
    assert iam_findings(json.dumps(document)) == []
    connect = next(s for s in document["Statement"] if s["Action"] == ["rds-db:connect"])
    assert connect["Resource"].endswith("/mlflow_search")
    bucket = one(dev_preview, "aws:s3/bucket:Bucket", f"{SEARCH}-artifacts").id
    other = one(dev_preview, "aws:s3/bucket:Bucket", "fraud-detection-artifacts").id
    admin = named(dev_preview, "aws:secretsmanager/secret:Secret", f"{SEARCH}-mlflow-admin").id
    master = named(
        dev_preview, "aws:secretsmanager/secret:Secret", "plinth-dev-gateway-secrets-master-key"
    ).id
    requests = [
        ("rds-db:connect", connect["Resource"]),
        ("rds-db:connect", database_user("mlflow_fraud_detection", connect)),
        ("rds-db:connect", database_user("litellm", connect)),
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/mlflow/1/run/model.pkl"),
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/datasets/x"),
        ("s3:GetObject", f"arn:aws:s3:::{other}/mlflow/1/run/model.pkl"),
        ("secretsmanager:GetSecretValue", admin),
        ("secretsmanager:GetSecretValue", master),
    ]
    decisions = simulate(
        f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:role/{SEARCH}-mlflow",
        [document],
        [{"action": a, "resource": r, "context": {}} for a, r in requests],
    )
    allowed = {0, 3, 6}  # its user, its prefix, its sign-in
    assert decisions == [
        "Allowed" if index in allowed else "ImplicitlyDenied" for index in range(len(requests))
    ]


def test_only_the_platform_namespace_holds_the_database_master(dev_preview: Preview) -> None:
    """The bootstrap that signs in as Aurora's master user runs in plinth-mlops: a tenant's
    admin or developer can run pods as any service account of their namespace, so no role of
    a tenant namespace may read the master secret."""
    job = named(dev_preview, "kubernetes:batch/v1:Job", "plinth-dev-mlflow-databases-search")
    assert job.plain_inputs["metadata"]["namespace"] == BOOTSTRAP_NAMESPACE
    sql = next(
        e["value"]
        for e in job.plain_inputs["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "BOOTSTRAP_SQL"
    )
    assert "CREATE DATABASE mlflow_search OWNER mlflow_search" in sql
    assert "CREATE DATABASE mlflow_search_auth OWNER mlflow_search" in sql
    provider_class = named(
        dev_preview,
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
        "plinth-dev-mlflow-databases-master",
    )
    (master_object,) = json.loads(provider_class.plain_inputs["spec"]["parameters"]["objects"])
    master = master_object["objectName"]
    assert master.startswith(SECRETS)
    associations = {
        record.plain_inputs["roleArn"].rsplit("/", 1)[-1]: record.plain_inputs["namespace"]
        for record in dev_preview.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    readers = set()
    for record in dev_preview.of_type(ROLE_POLICY):
        text = record.plain_inputs["policy"]
        if master in text:
            readers.add(associations.get(record.plain_inputs["role"], "not a pod role"))
    assert "search" not in readers
    assert BOOTSTRAP_NAMESPACE in readers


def test_of_the_tenant_s_roles_only_its_admin_reads_the_sign_in_in_secrets_manager(
    dev_preview: Preview,
) -> None:
    """Through IAM; in the namespace, Kubernetes `edit` (admin and developer personas) reads
    the Secret the CSI driver syncs, which the chart needs (docs/mlops.md says so)."""
    grant = named(dev_preview, ROLE_POLICY, f"{SEARCH}-mlflow-admin-sign-in")
    assert grant.plain_inputs["role"] == f"{SEARCH}-admin"
    admin = named(dev_preview, "aws:secretsmanager/secret:Secret", f"{SEARCH}-mlflow-admin").id
    for record in dev_preview.of_type(ROLE_POLICY):
        if admin in record.plain_inputs["policy"]:
            assert record.plain_inputs["role"] in (f"{SEARCH}-admin", f"{SEARCH}-mlflow")


def test_the_server_reaches_postgres_in_the_vpc_only(dev_preview: Preview) -> None:
    allowed = named(
        dev_preview,
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        f"{SEARCH}-mlflow-allow-mlflow-database",
    ).plain_inputs
    assert allowed["metadata"]["namespace"] == "search"
    assert allowed["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "mlflow"
    (rule,) = allowed["spec"]["egress"]
    assert rule == {
        "to": [{"ipBlock": {"cidr": dev_stack_document()["config"]["plinth:network"]["cidr"]}}],
        "ports": [{"protocol": "TCP", "port": 5432}],
    }


def test_the_tenant_summary_names_the_server(dev_preview: Preview) -> None:
    summary = dev_preview.outputs["tenants"]["search"]["mlops"]
    assert summary["trackingServerUrl"] == "http://mlflow.search.svc.cluster.local"
    assert summary["trackingAdminSecret"] == "plinth-dev-search/mlflow/admin"
    assert summary["trackingServerArn"] is None


def test_the_chart_values_pass_helm_s_check_and_a_broken_one_fails(dev_preview: Preview) -> None:
    record = named(dev_preview, RELEASE, f"{SEARCH}-mlflow-release")
    assert charts.check([record]) == []
    broken = copy.deepcopy(record.inputs)
    broken["values"]["auth"]["enabled"] = "yes"
    broken["values"]["serverAllowedHost"] = ["mlflow"]
    found = charts.check([replace(record, inputs=broken)])
    assert [(v.path, v.problem) for v in found] == [
        ("values", "has unknown field(s) 'serverAllowedHost'"),
        ("values.auth.enabled", "is not of type 'boolean'"),
    ]


def test_values_are_coalesced_over_the_chart_s_defaults() -> None:
    defaults = {"auth": {"enabled": False, "appName": "basic-auth"}, "tolerations": []}
    given = {"auth": {"enabled": True, "appName": None}, "tolerations": None, "extra": None}
    # Helm's CoalesceValues: nulls remove defaults; a top-level null with no default stays.
    assert charts.coalesce(given, defaults) == {"auth": {"enabled": True}, "extra": None}
