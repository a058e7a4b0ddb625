"""Tenants in the stack spec: `projects/<name>.yaml` files and inline `plinth:tenants` entries
load to the same value, every mistake is one problem at its exact key (inside a file, named
`projects/<name>.yaml:<key>`), tenants are checked against the stack's clusters, pools, Bedrock
models and Identity Center, a tenant stack refuses the platform's sections, and
`plinth tenant new` writes a file that validates."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from support import ROOT, dev_stack_document, follow_the_gateway
from typer.testing import CliRunner

from plinth.cli import app
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import DataClassification, SpecError, load_spec
from plinth.spec.schema import stack_file_schema, tenant_file_schema
from plinth.spec.tenants import PlatformOffer, TenantSpec, offer_problems

SONNET_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
# Formats from the IAM Identity Center API reference: instance ARNs end in ssoins- and 16
# characters, identity store IDs are d- and 10 hex digits.
IDENTITY_CENTER = {
    "instanceArn": "arn:aws:sso:::instance/ssoins-72232e8f1b4c0a9d",
    "identityStoreId": "d-906716f3a2",
}
PLATFORM_OWNS = (
    "the platform stack acme/plinth/dev owns this; a tenant stack sets only environment, "
    "owner, costCenter, aws, protect, compliance, identityCenter, platform and tenants"
)

TENANT: dict[str, Any] = {
    "name": "fraud",
    "owners": ["risk-lead@example.com"],
    "costCenter": "cc-risk",
    "clusters": {"gpu": {}},
    "budget": {"monthlyUsd": 500},
}

# Everything a tenant can say, as a project team would write it.
FULL_TENANT_YAML = """\
name: fraud
owners:
  - risk-lead@example.com
  - ml-oncall@example.com
costCenter: cc-risk
dataClassification: confidential
clusters:
  gpu:
    gpuQuota:
      l40s: 2
    cpu: "48"
bedrockModels:
  - us.anthropic.claude-sonnet-4-5-20250929-v1:0
dataStores:
  vectorStore:
    standbyReplicas: false
  featureStore:
    featureGroups:
      - name: transactions
        recordIdentifier: transaction_id
        eventTime: event_time
        features:
          transaction_id: String
          event_time: Fractional
          amount: Fractional
budget:
  monthlyUsd: 2500
  alertThresholds: [100, 50, 80]
personas:
  admin:
    iamPrincipals:
      - arn:aws:iam::111122223333:role/risk-admins
  developer:
    ssoGroups:
      - Risk ML Engineers
  viewer:
    kubernetesGroups:
      - risk-viewers
"""


def wire(config: dict[str, Any]) -> dict[str, str]:
    """Encode like Pulumi: objects and lists as JSON strings, scalars as strings."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
    }


def dev_config(**changes: Any) -> dict[str, Any]:
    """The built-in dev stack's config without its tenant files, with `plinth:<key>` changes."""
    config: dict[str, Any] = dev_stack_document()["config"]
    del config["plinth:tenants"]
    config = {**config, **{f"plinth:{key}": value for key, value in changes.items()}}
    follow_the_gateway(config)
    return config


def tenant(**changes: Any) -> dict[str, Any]:
    return {**TENANT, **changes}


def problems(config: dict[str, Any], project_dir: Path | None = None) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(wire(config), project_dir)
    return [str(problem) for problem in caught.value.problems]


def write_tenant(project_dir: Path, name: str, text: str) -> None:
    folder = project_dir / "projects"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Pulumi project like this repository's: Pulumi.yaml, the dev stack, a program stub."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.dev.yaml")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "__main__.py").write_text("")
    return tmp_path


# --- valid tenants ---------------------------------------------------------------------------


def test_a_tenant_file_and_the_same_tenant_inline_load_to_equal_values(project: Path) -> None:
    write_tenant(project, "fraud", FULL_TENANT_YAML)
    from_file = load_spec(
        wire(dev_config(identityCenter=IDENTITY_CENTER, tenants=["fraud"])), project
    )
    inline = load_spec(
        wire(dev_config(identityCenter=IDENTITY_CENTER, tenants=[yaml.safe_load(FULL_TENANT_YAML)]))
    )
    assert from_file.tenants == inline.tenants
    assert len(from_file.tenants) == 1
    assert isinstance(from_file.tenants[0], TenantSpec)

    fraud = from_file.tenants[0]
    assert fraud.name == "fraud"
    assert fraud.owners == ("risk-lead@example.com", "ml-oncall@example.com")
    assert fraud.cost_center == "cc-risk"
    assert fraud.data_classification is DataClassification.CONFIDENTIAL
    gpu = fraud.clusters["gpu"]
    assert (gpu.gpu_quota, gpu.cpu, gpu.memory) == ({"l40s": 2}, "48", "128Gi")
    assert fraud.bedrock_models == (SONNET_PROFILE,)
    assert fraud.data_stores.vector_store is not None
    assert fraud.data_stores.vector_store.standby_replicas is False
    assert fraud.data_stores.feature_store is not None
    (group,) = fraud.data_stores.feature_store.feature_groups
    assert (group.name, group.record_identifier, group.event_time) == (
        "transactions",
        "transaction_id",
        "event_time",
    )
    assert group.features == {
        "transaction_id": "String",
        "event_time": "Fractional",
        "amount": "Fractional",
    }
    assert fraud.budget.monthly_usd == 2500
    assert fraud.budget.alert_thresholds == (50, 80, 100)
    assert fraud.personas.admin.iam_principals == ("arn:aws:iam::111122223333:role/risk-admins",)
    assert fraud.personas.developer.sso_groups == ("Risk ML Engineers",)
    assert fraud.personas.viewer.kubernetes_groups == ("risk-viewers",)


def test_a_minimal_tenant_gets_its_defaults() -> None:
    (fraud,) = load_spec(wire(dev_config(tenants=[TENANT]))).tenants
    assert fraud.data_classification is DataClassification.INTERNAL
    assert fraud.clusters["gpu"].gpu_quota == {}
    assert fraud.bedrock_models == ()
    assert fraud.data_stores.vector_store is None
    assert fraud.data_stores.feature_store is None
    assert fraud.budget.alert_thresholds == (50, 80, 100)
    assert fraud.personas.admin.empty
    assert fraud.personas.viewer.empty


def test_the_dev_stack_file_with_a_file_tenant_and_an_inline_tenant_validates(
    project: Path,
) -> None:
    write_tenant(project, "fraud", FULL_TENANT_YAML)
    stack_file = project / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"]["plinth:identityCenter"] = IDENTITY_CENTER
    document["config"]["plinth:tenants"] = ["fraud", tenant(name="search")]
    stack_file.write_text(yaml.safe_dump(document))

    found = find_project(project / "infra")
    spec = load_spec(load_stack_config(found, "dev").values, found.root)
    assert [t.name for t in spec.tenants] == ["fraud", "search"]
    assert spec.identity_center is not None
    assert spec.identity_center.identity_store_id == "d-906716f3a2"


@pytest.mark.parametrize(
    "changes",
    [
        # The longest name allowed: 20 characters.
        {"name": "fraud-detection-euw1"},
        # A quota of exactly the pool's capacity: 2 nodes x 1 L40S (g6e.xlarge, g6e.2xlarge).
        {"clusters": {"gpu": {"gpuQuota": {"l40s": 2}, "cpu": "500m", "memory": "1Ti"}}},
        # A model behind a geography's inference profile and a plain model ID, both approved.
        {"bedrockModels": [SONNET_PROFILE, TITAN]},
    ],
)
def test_tenants_at_the_limits_are_valid(changes: dict[str, Any]) -> None:
    assert len(load_spec(wire(dev_config(tenants=[tenant(**changes)]))).tenants) == 1


# --- one problem at its exact key ------------------------------------------------------------

ON_DEV_GPU = "plinth:tenants[0].clusters.gpu"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"name": "Fraud"},
            "plinth:tenants[0].name: 'Fraud' is not a tenant name (lowercase letters, digits "
            "and '-', 2 to 20 characters, such as fraud-detection)",
        ),
        (
            {"name": "fraud-detection-euw12"},
            "plinth:tenants[0].name: 'fraud-detection-euw12' is not a tenant name (lowercase "
            "letters, digits and '-', 2 to 20 characters, such as fraud-detection)",
        ),
        (
            {"name": "gpu"},
            "plinth:tenants[0].name: 'gpu' is reserved for the platform (default, gpu, "
            "gpu-operator, kueue-system, plinth, kube-*, plinth-*)",
        ),
        (
            {"name": "plinth-gateway"},
            "plinth:tenants[0].name: 'plinth-gateway' is reserved for the platform (default, "
            "gpu, gpu-operator, kueue-system, plinth, kube-*, plinth-*)",
        ),
        (
            {"name": "kube-foo"},
            "plinth:tenants[0].name: 'kube-foo' is reserved for the platform (default, gpu, "
            "gpu-operator, kueue-system, plinth, kube-*, plinth-*)",
        ),
        (
            {"owners": ["risk-lead"]},
            "plinth:tenants[0].owners[0]: 'risk-lead' is not an email address (budget alerts "
            "go to owners)",
        ),
        ({"owners": []}, "plinth:tenants[0].owners: needs at least 1 entry"),
        (
            {"owners": ["a@example.com", "a@example.com"]},
            "plinth:tenants[0].owners: 'a@example.com' listed more than once",
        ),
        (
            {"costCenter": "cc#risk"},
            "plinth:tenants[0].costCenter: 'cc#risk' is not usable as a tag and Kubernetes label "
            "value (1 to 63 letters, digits, '-', '_' and '.', starting and ending with a "
            "letter or digit, such as cc-search)",
        ),
        (
            # A fine AWS tag value, but also the tenant's Kubernetes label, which has no spaces.
            {"costCenter": "cc risk"},
            "plinth:tenants[0].costCenter: 'cc risk' is not usable as a tag and Kubernetes label "
            "value (1 to 63 letters, digits, '-', '_' and '.', starting and ending with a "
            "letter or digit, such as cc-search)",
        ),
        (
            {"dataClassification": "secret"},
            "plinth:tenants[0].dataClassification: 'secret' is not allowed; expected 'public', "
            "'internal', 'confidential' or 'restricted'",
        ),
        (
            {"clusters": {"gpu": {"cpu": "lots"}}},
            f"{ON_DEV_GPU}.cpu: 'lots' is not a Kubernetes quantity (such as 64, 500m, 256Gi "
            "or 1Ti)",
        ),
        (
            {"clusters": {"gpu": {"memory": "128 GB"}}},
            f"{ON_DEV_GPU}.memory: '128 GB' is not a Kubernetes quantity (such as 64, 500m, "
            "256Gi or 1Ti)",
        ),
        (
            {"clusters": {"gpu": {"gpuQuota": {"l40s": -1}}}},
            f"{ON_DEV_GPU}.gpuQuota.l40s: -1 is too small; the minimum is 0",
        ),
        (
            {"budgt": {"monthlyUsd": 10}},
            "plinth:tenants[0].budgt: unknown key 'budgt' (did you mean 'budget'?); allowed "
            "keys: bedrockModels, budget, clusters, costCenter, dataClassification, "
            "dataStores, gateway, mlops, name, owners, personas",
        ),
        (
            {"clusters": {"gpu": {"gpuQuotas": {"l40s": 1}}}},
            f"{ON_DEV_GPU}.gpuQuotas: unknown key 'gpuQuotas' (did you mean 'gpuQuota'?); "
            "allowed keys: cpu, gpuQuota, memory",
        ),
        (
            {"budget": {"monthlyUsd": 0}},
            "plinth:tenants[0].budget.monthlyUsd: 0 is too small; the minimum is 1",
        ),
        (
            {"budget": {"monthlyUsd": 100, "alertThresholds": [50, 80, 50]}},
            "plinth:tenants[0].budget.alertThresholds: [50, 80, 50] lists a threshold more "
            "than once",
        ),
        (
            # IAM groups cannot be principals: only roles and users can assume a role.
            {"personas": {"admin": {"iamPrincipals": ["arn:aws:iam::111122223333:group/ml"]}}},
            "plinth:tenants[0].personas.admin.iamPrincipals[0]: "
            "'arn:aws:iam::111122223333:group/ml' is not an IAM role or user ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>)",
        ),
        (
            {"personas": {"viewer": {"kubernetesGroups": ["system:masters"]}}},
            "plinth:tenants[0].personas.viewer.kubernetesGroups[0]: 'system:masters' is not a "
            "usable Kubernetes group (no spaces; system: and plinth: groups are reserved)",
        ),
        (
            {"personas": {"developer": {"ssoGroups": ["ML Engineers"]}}},
            "plinth:tenants[0].personas.developer.ssoGroups: SSO groups need "
            "plinth:identityCenter (instanceArn, identityStoreId)",
        ),
        (
            {"clusters": {"gpu-east": {}}},
            "plinth:tenants[0].clusters.gpu-east: 'gpu-east' is not a cluster of this stack "
            "(clusters: gpu)",
        ),
        (
            {"clusters": {"gpu": {"gpuQuota": {"h100": 1}}}},
            f"{ON_DEV_GPU}.gpuQuota.h100: 'h100' is not a GPU pool of 'gpu' (pools: l40s)",
        ),
        (
            # g6e.xlarge and g6e.2xlarge have one L40S each; maxNodes 2 holds 2 GPUs.
            {"clusters": {"gpu": {"gpuQuota": {"l40s": 3}}}},
            f"{ON_DEV_GPU}.gpuQuota.l40s: 3 GPUs is more than pool 'l40s' can ever hold "
            "(2 at maxNodes)",
        ),
        (
            {"bedrockModels": [SONNET_PROFILE, LLAMA]},
            f"plinth:tenants[0].bedrockModels[1]: {LLAMA!r} is not approved by "
            f"plinth:bedrock.models ({SONNET_PROFILE}, {TITAN})",
        ),
        (
            {"bedrockModels": [TITAN, TITAN]},
            f"plinth:tenants[0].bedrockModels: {TITAN!r} listed more than once",
        ),
        (
            {"name": "fraud--x"},
            "plinth:tenants[0].name: 'fraud--x' has '--', which separates a tenant from its "
            "models in model registry names",
        ),
        (
            {"mlops": {"tracking": {"mlflowVersion": "2.9.1"}}},
            "plinth:tenants[0].mlops.tracking.mlflowVersion: '2.9.1' is not an MLflow version "
            "SageMaker offers (2.13.2, 2.16.2, 3.0)",
        ),
        (
            {"mlops": {"tracking": {"size": "Huge"}}},
            "plinth:tenants[0].mlops.tracking.size: 'Huge' is not allowed; expected 'Small', "
            "'Medium' or 'Large'",
        ),
        (
            {"mlops": {"tracking": {"server": "cluster", "size": "Large", "mlflowVersion": "3.0"}}},
            "plinth:tenants[0].mlops.tracking: size, mlflowVersion configure a SageMaker "
            "tracking server; with server: cluster, MLflow runs from the chart Plinth pins "
            "(remove them, or use server: sagemaker)",
        ),
        (
            {"mlops": {"tracking": {"server": "kubernetes"}}},
            "plinth:tenants[0].mlops.tracking.server: 'kubernetes' is not allowed; expected "
            "'sagemaker' or 'cluster'",
        ),
    ],
)
def test_each_tenant_mistake_is_one_problem_at_its_key(
    changes: dict[str, Any], expected: str
) -> None:
    assert problems(dev_config(tenants=[tenant(**changes)])) == [expected]


def test_a_tenant_s_mlops_needs_the_platform_s_mlops_layer() -> None:
    config = dev_config(tenants=[tenant(mlops={"catalog": False})])
    del config["plinth:mlops"]
    assert problems(config) == [
        "plinth:tenants[0].mlops: this stack has no MLOps layer (plinth:mlops: Lake Formation "
        "over the catalogs, the record of model approvals): set it there first"
    ]


def test_mlflow_on_the_gateway_s_cluster_is_accepted() -> None:
    spec = load_spec(wire(dev_config(tenants=[tenant(mlops={"tracking": {"server": "cluster"}})])))
    (found,) = spec.tenants
    assert found.mlops is not None
    assert found.mlops.on_cluster()
    assert found.mlops.on_sagemaker() is None


CLUSTER_TRACKING = TenantSpec.model_validate(tenant(mlops={"tracking": {"server": "cluster"}}))


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        (
            # The stack's gateway runs on another cluster than the tenant's.
            PlatformOffer("this stack", {"gpu": {}}, None, mlops=True, tracking_cluster="cpu"),
            "plinth:tenants[0].mlops.tracking.server: 'cluster' runs MLflow on cluster 'cpu' "
            "(plinth:gateway.cluster), beside the platform's Aurora cluster: add it to the "
            "tenant's clusters, or use server: sagemaker (CoreWeave pods reach it with IAM)",
        ),
        (
            PlatformOffer("this stack", {"gpu": {}}, None, mlops=True),
            "plinth:tenants[0].mlops.tracking.server: 'cluster' needs plinth:gateway: "
            "MLflow's databases live in the gateway's Aurora cluster",
        ),
        (
            PlatformOffer("platform stack acme/plinth/dev", {"gpu": {}}, None, mlops=True),
            "plinth:tenants[0].mlops.tracking.server: 'cluster' is made by the platform "
            "stack, beside its database; platform stack acme/plinth/dev does not make it for "
            "a tenant stack's tenants: use server: sagemaker",
        ),
    ],
)
def test_mlflow_on_a_cluster_needs_the_gateway_s_cluster(
    offer: PlatformOffer, expected: str
) -> None:
    assert [str(p) for p in offer_problems((CLUSTER_TRACKING,), offer)] == [expected]


def feature_group(**changes: Any) -> dict[str, Any]:
    group = {
        "name": "transactions",
        "recordIdentifier": "transaction_id",
        "eventTime": "event_time",
        "features": {"transaction_id": "String", "event_time": "String", "amount": "Fractional"},
    }
    return {"dataStores": {"featureStore": {"featureGroups": [{**group, **changes}]}}}


GROUP = "plinth:tenants[0].dataStores.featureStore.featureGroups[0]"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"recordIdentifier": "txn_id"},
            f"{GROUP}.recordIdentifier: 'txn_id' is not one of the features (transaction_id, "
            "event_time, amount)",
        ),
        (
            {"eventTime": "ts"},
            f"{GROUP}.eventTime: 'ts' is not one of the features (transaction_id, event_time, "
            "amount)",
        ),
        (
            # SageMaker accepts an event time only as a String (ISO-8601) or Fractional
            # (Unix seconds) feature.
            {"features": {"transaction_id": "String", "event_time": "Integral"}},
            f"{GROUP}.eventTime: 'event_time' must be a String or Fractional feature",
        ),
        (
            {"features": {"transaction_id": "String", "event_time": "Timestamp"}},
            f"{GROUP}.features.event_time: 'Timestamp' is not allowed; expected 'Integral', "
            "'Fractional' or 'String'",
        ),
    ],
)
def test_feature_group_mistakes(changes: dict[str, Any], expected: str) -> None:
    assert problems(dev_config(tenants=[tenant(**feature_group(**changes))])) == [expected]


def test_feature_group_names_may_not_meet_across_tenants() -> None:
    # <prefix>-fraud-detection-transactions twice: tenant fraud-detection's group
    # transactions and tenant fraud's group detection-transactions.
    first = tenant(name="fraud-detection", **feature_group())
    second = tenant(name="fraud", **feature_group(name="detection-transactions"))
    assert problems(dev_config(tenants=[first, second])) == [
        "plinth:tenants[1].dataStores.featureStore.featureGroups[0].name: "
        "'detection-transactions' makes the feature group name "
        "<prefix>-fraud-detection-transactions, which "
        f"{GROUP}.name has already; rename the group"
    ]


def test_a_feature_group_is_valid_as_written() -> None:
    (fraud,) = load_spec(wire(dev_config(tenants=[tenant(**feature_group())]))).tenants
    assert fraud.data_stores.feature_store is not None


def test_models_while_bedrock_is_disabled() -> None:
    config = dev_config(bedrock={"enabled": False}, tenants=[tenant(bedrockModels=[TITAN])])
    assert problems(config) == [
        "plinth:tenants[0].bedrockModels: Bedrock is not enabled in this stack (plinth:bedrock)"
    ]


def test_sso_groups_are_accepted_with_identity_center() -> None:
    personas = {"developer": {"ssoGroups": ["ML Engineers"]}}
    config = dev_config(identityCenter=IDENTITY_CENTER, tenants=[tenant(personas=personas)])
    (fraud,) = load_spec(wire(config)).tenants
    assert fraud.personas.developer.sso_groups == ("ML Engineers",)


@pytest.mark.parametrize(
    ("identity_center", "expected"),
    [
        (
            {**IDENTITY_CENTER, "instanceArn": "arn:aws:sso:::instance/ssoins-7223"},
            "plinth:identityCenter.instanceArn: 'arn:aws:sso:::instance/ssoins-7223' is not an "
            "IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-<16 hex digits>)",
        ),
        (
            # The identity store's ARN is not the instance's.
            {
                **IDENTITY_CENTER,
                "instanceArn": "arn:aws:identitystore::111122223333:identitystore/d-906716f3a2",
            },
            "plinth:identityCenter.instanceArn: "
            "'arn:aws:identitystore::111122223333:identitystore/d-906716f3a2' is not an IAM "
            "Identity Center instance ARN (arn:aws:sso:::instance/ssoins-<16 hex digits>)",
        ),
        (
            {**IDENTITY_CENTER, "identityStoreId": "d-12345"},
            "plinth:identityCenter.identityStoreId: 'd-12345' is not an identity store ID (d- "
            "and 10 hex digits)",
        ),
        (
            {"instanceArn": IDENTITY_CENTER["instanceArn"]},
            "plinth:identityCenter.identityStoreId: required key is missing",
        ),
    ],
)
def test_identity_center_mistakes(identity_center: dict[str, str], expected: str) -> None:
    assert problems(dev_config(identityCenter=identity_center)) == [expected]


def test_duplicate_tenant_names() -> None:
    config = dev_config(tenants=[tenant(), tenant(name="search"), tenant()])
    assert problems(config) == ["plinth:tenants[2].name: 'fraud' is also tenant [0]"]


def test_a_quota_counts_time_sliced_gpus() -> None:
    """Time-slicing 4 ways makes each L40S four nvidia.com/gpu units: 2 nodes hold 8."""
    document = dev_stack_document()["config"]
    clusters = document["plinth:clusters"]
    # Auto Mode does not expose the device plugin's configuration: sharing needs node groups.
    clusters[0]["mode"] = "nodegroups"
    clusters[0]["gpuPools"][0]["sharing"] = {"mode": "timeSlicing", "replicas": 4}
    quota = {"gpu": {"gpuQuota": {"l40s": 8}}}
    assert load_spec(wire(dev_config(clusters=clusters, tenants=[tenant(clusters=quota)])))
    quota["gpu"]["gpuQuota"]["l40s"] = 9
    assert problems(dev_config(clusters=clusters, tenants=[tenant(clusters=quota)])) == [
        f"{ON_DEV_GPU}.gpuQuota.l40s: 9 GPUs is more than pool 'l40s' can ever hold (8 at maxNodes)"
    ]


# --- tenant files ----------------------------------------------------------------------------


def test_problems_in_files_inline_tenants_and_the_stack_are_reported_at_once(
    project: Path,
) -> None:
    write_tenant(
        project,
        "fraud",
        "name: fraud\nowners: [risk-lead]\ncostCenter: cc-risk\nbudget: {monthlyUsd: 0}\n"
        "personas: {admin: {iamPrincipal: []}}\n",
    )
    config = dev_config(
        network={"cidr": "10.0.0.0/33"},
        tenants=["fraud", tenant(name="Search"), "missing"],
    )
    assert problems(config, project) == [
        "plinth:network.cidr: '10.0.0.0/33' is not an IPv4 network (CIDR such as 10.0.0.0/16)",
        "plinth:tenants[1].name: 'Search' is not a tenant name (lowercase letters, digits and "
        "'-', 2 to 20 characters, such as fraud-detection)",
        "plinth:tenants[2]: no tenant file projects/missing.yaml (files there: fraud)",
        "projects/fraud.yaml:budget.monthlyUsd: 0 is too small; the minimum is 1",
        "projects/fraud.yaml:owners[0]: 'risk-lead' is not an email address (budget alerts "
        "go to owners)",
        "projects/fraud.yaml:personas.admin.iamPrincipal: unknown key 'iamPrincipal' (did you "
        "mean 'iamPrincipals'?); allowed keys: iamPrincipals, kubernetesGroups, ssoGroups",
    ]


def test_checks_against_the_stack_name_the_file(project: Path) -> None:
    write_tenant(project, "fraud", FULL_TENANT_YAML.replace("l40s: 2", "l40s: 3"))
    write_tenant(project, "search", FULL_TENANT_YAML.replace("name: fraud", "name: search"))
    # Both files' personas hold SSO groups, but the stack has no Identity Center.
    config = dev_config(tenants=["fraud", "search", tenant(name="search")])
    assert problems(config, project) == [
        "plinth:tenants[2].name: 'search' is also tenant [1]",
        "projects/fraud.yaml:clusters.gpu.gpuQuota.l40s: 3 GPUs is more than pool 'l40s' "
        "can ever hold (2 at maxNodes)",
        "projects/fraud.yaml:personas.developer.ssoGroups: SSO groups need "
        "plinth:identityCenter (instanceArn, identityStoreId)",
        "projects/search.yaml:personas.developer.ssoGroups: SSO groups need "
        "plinth:identityCenter (instanceArn, identityStoreId)",
    ]


def test_a_duplicate_read_from_a_file_is_named_by_the_file(project: Path) -> None:
    write_tenant(project, "fraud", yaml.safe_dump(TENANT))
    assert problems(dev_config(tenants=[TENANT, "fraud"]), project) == [
        "projects/fraud.yaml:name: 'fraud' is also tenant [0]"
    ]


def test_a_missing_file_names_the_files_that_exist(project: Path) -> None:
    write_tenant(project, "fraud-detection", yaml.safe_dump(tenant(name="fraud-detection")))
    write_tenant(project, "search", yaml.safe_dump(tenant(name="search")))
    assert problems(dev_config(tenants=["fraud"]), project) == [
        "plinth:tenants[0]: no tenant file projects/fraud.yaml (files there: fraud-detection, "
        "search)"
    ]


def test_a_missing_projects_folder(project: Path) -> None:
    assert problems(dev_config(tenants=["fraud"]), project) == [
        "plinth:tenants[0]: no tenant file projects/fraud.yaml (files there: none)"
    ]


@pytest.mark.parametrize(
    "entry",
    [
        "Fraud",
        # A name is a file in projects/, never a path out of it.
        "../Pulumi.dev",
    ],
)
def test_an_entry_that_is_not_a_file_name(project: Path, entry: str) -> None:
    assert problems(dev_config(tenants=[entry]), project) == [
        f"plinth:tenants[0]: {entry!r} is not a tenant file name (such as ml-search)"
    ]


def test_a_name_differing_from_the_file_name(project: Path) -> None:
    write_tenant(project, "fraud", yaml.safe_dump(tenant(name="fraud-v2")))
    assert problems(dev_config(tenants=["fraud"]), project) == [
        "projects/fraud.yaml:name: 'fraud-v2' must be the file's name, 'fraud'"
    ]


BROKEN_YAML = "name: fraud\nowners: [risk-lead@example.com\n"


def file_problems(project: Path, text: str) -> list[str]:
    write_tenant(project, "fraud", text)
    return problems(dev_config(tenants=["fraud"]), project)


def test_bad_yaml_is_reported_at_the_file(project: Path) -> None:
    found = file_problems(project, BROKEN_YAML)
    at_file = [p for p in found if p.startswith("projects/fraud.yaml: is not valid YAML:\n")]
    assert len(at_file) == 1, found
    # The parser's own lines, indented under the problem: where, and a caret under the spot.
    lines = at_file[0].splitlines()[1:]
    assert all(line.startswith("    ") for line in lines)
    assert any('in "projects/fraud.yaml", line 2, column' in line for line in lines), lines
    assert any(line.strip() == "^" for line in lines), lines


@pytest.mark.parametrize(
    ("text", "what"),
    [("- fraud\n- search\n", "a list"), ("just a sentence\n", "a string"), ("", "empty")],
)
def test_a_file_that_is_not_a_mapping_is_reported_at_the_file(
    project: Path, text: str, what: str
) -> None:
    assert "projects/fraud.yaml: must be a mapping of tenant keys (name, owners, ...)" in (
        file_problems(project, text)
    ), what


def test_a_file_with_bad_yaml_is_reported_once(project: Path) -> None:
    assert [p.split(": is not valid YAML")[0] for p in file_problems(project, BROKEN_YAML)] == [
        "projects/fraud.yaml"
    ]


def test_a_file_that_is_not_a_mapping_is_reported_once(project: Path) -> None:
    assert file_problems(project, "- fraud\n") == [
        "projects/fraud.yaml: must be a mapping of tenant keys (name, owners, ...)"
    ]


def test_a_file_that_is_not_utf8_is_a_problem(project: Path) -> None:
    (project / "projects").mkdir()
    (project / "projects" / "fraud.yaml").write_bytes("name: fr\xe4ud\n".encode("latin-1"))
    found = problems(dev_config(tenants=["fraud"]), project)
    assert [p.split(":")[0] for p in found] == ["projects/fraud.yaml"], found


# --- tenant stacks ---------------------------------------------------------------------------

PLATFORM = {"stack": "acme/plinth/dev", "clusters": {"gpu": "aws"}}


def tenant_stack(**changes: Any) -> dict[str, Any]:
    """A stack holding only tenants, on the platform stack acme/plinth/dev."""
    config = {
        "plinth:environment": "dev",
        "plinth:owner": "ml-team@example.com",
        "plinth:costCenter": "cc-ml",
        "plinth:aws": {"region": "us-east-1"},
        "plinth:platform": PLATFORM,
        "plinth:tenants": [tenant(clusters={"gpu": {"gpuQuota": {"l40s": 2}}})],
    }
    return {**config, **{f"plinth:{key}": value for key, value in changes.items()}}


def test_a_valid_tenant_stack_loads(project: Path) -> None:
    write_tenant(project, "search", yaml.safe_dump(tenant(name="search")))
    config = tenant_stack(
        identityCenter=IDENTITY_CENTER,
        tenants=[
            tenant(
                clusters={"gpu": {"gpuQuota": {"l40s": 2}}},
                personas={"developer": {"ssoGroups": ["ML Engineers"]}},
            ),
            "search",
        ],
    )
    spec = load_spec(wire(config), project)
    assert spec.platform is not None
    assert spec.platform.stack == "acme/plinth/dev"
    assert spec.platform.clusters == {"gpu": "aws"}
    assert [t.name for t in spec.tenants] == ["fraud", "search"]
    assert spec.tenants[0].clusters["gpu"].gpu_quota == {"l40s": 2}


@pytest.mark.parametrize("key", ["network", "clusters", "bedrock"])
def test_a_tenant_stack_refuses_the_platforms_sections(key: str) -> None:
    dev = dev_stack_document()["config"]
    assert problems(tenant_stack(**{key: dev[f"plinth:{key}"]})) == [
        f"plinth:{key}: {PLATFORM_OWNS}"
    ]


def test_a_tenant_stack_refuses_every_platform_section_at_once() -> None:
    dev = dev_stack_document()["config"]
    config = tenant_stack(network=dev["plinth:network"], storage=dev["plinth:storage"])
    assert problems(config) == [
        f"plinth:network: {PLATFORM_OWNS}",
        f"plinth:storage: {PLATFORM_OWNS}",
    ]


def test_a_tenant_stack_tenant_uses_only_declared_platform_clusters() -> None:
    config = tenant_stack(tenants=[tenant(clusters={"gpu": {}, "cw-h100": {}})])
    assert problems(config) == [
        "plinth:tenants[0].clusters.cw-h100: 'cw-h100' is not in plinth:platform.clusters (gpu)"
    ]


def test_a_tenant_stack_file_tenant_on_an_undeclared_cluster_names_the_file(
    project: Path,
) -> None:
    write_tenant(project, "fraud", yaml.safe_dump(tenant(clusters={"cw-h100": {}})))
    config = tenant_stack(platform={"stack": "acme/plinth/dev"}, tenants=["fraud"])
    assert problems(config, project) == [
        "projects/fraud.yaml:clusters.cw-h100: 'cw-h100' is not in plinth:platform.clusters (none)"
    ]


def test_a_tenant_stack_still_needs_identity_center_for_sso_groups() -> None:
    personas = {"viewer": {"ssoGroups": ["Auditors"]}}
    assert problems(tenant_stack(tenants=[tenant(personas=personas)])) == [
        "plinth:tenants[0].personas.viewer.ssoGroups: SSO groups need plinth:identityCenter "
        "(instanceArn, identityStoreId)"
    ]


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (
            {"stack": "plinth/dev"},
            "plinth:platform.stack: 'plinth/dev' is not a stack name "
            "(<organization>/<project>/<stack>)",
        ),
        (
            {"stack": "acme/plinth/dev", "clusters": {"gpu": "gcp"}},
            "plinth:platform.clusters.gpu: 'gcp' is not allowed; expected 'aws' or 'coreweave'",
        ),
        ({"clusters": {"gpu": "aws"}}, "plinth:platform.stack: required key is missing"),
    ],
)
def test_platform_mistakes(platform: dict[str, Any], expected: str) -> None:
    assert problems(tenant_stack(platform=platform, tenants=[])) == [expected]


# --- plinth tenant new -----------------------------------------------------------------------

runner = CliRunner()


def tenant_new(project: Path, *args: str) -> tuple[int, str, str, BaseException | None]:
    result = runner.invoke(app, ["tenant", "new", *args, "--program", str(project / "infra")])
    return result.exit_code, result.stdout, result.stderr, result.exception


def test_tenant_new_writes_a_file_that_round_trips_its_flags(project: Path) -> None:
    code, out, err, _ = tenant_new(
        project,
        "fraud",
        "--owner",
        "risk-lead@example.com",
        # Values YAML would read as a number: the file must keep them strings.
        "--cost-center",
        "1234",
        "--budget",
        "2500",
    )
    assert (code, err) == (0, "")
    path = project / "projects" / "fraud.yaml"
    # The console folds a long path over lines.
    assert f"wrote{path}" in "".join(out.split())

    written = TenantSpec.model_validate(yaml.safe_load(path.read_text()))
    assert written.name == "fraud"
    assert written.owners == ("risk-lead@example.com",)
    assert written.cost_center == "1234"
    assert written.budget.monthly_usd == 2500
    assert written.budget.alert_thresholds == (50, 80, 100)
    assert written.data_classification is DataClassification.INTERNAL
    assert written.clusters == {}
    assert written.bedrock_models == ()
    # And the platform accepts it as listed, once it names a cluster.
    path.write_text(path.read_text().replace("clusters: {}", "clusters: {gpu: {}}"))
    (accepted,) = load_spec(wire(dev_config(tenants=["fraud"])), project).tenants
    assert accepted.model_copy(update={"clusters": {}}) == written


def test_tenant_new_defaults_validate(project: Path) -> None:
    code, _, err, _ = tenant_new(project, "search")
    assert (code, err) == (0, "")
    written = TenantSpec.model_validate(
        yaml.safe_load((project / "projects" / "search.yaml").read_text())
    )
    assert written.name == "search"
    # The one thing it cannot know: which of the platform's clusters the project runs on.
    assert problems(dev_config(tenants=["search"]), project) == [
        "projects/search.yaml:clusters: the tenant runs on no cluster: name at least one of "
        "this stack's clusters (gpu) with its quotas"
    ]


def uncomment_examples(text: str) -> str:
    """The scaffold with its commented examples switched on (`key: {}` + `#  ...` lines)."""
    lines: list[str] = []
    in_example = False
    for line in text.splitlines():
        if re.fullmatch(r"\w+: (\{\}|\[\])", line):
            lines.append(line.split(":")[0] + ":")
            in_example = True
        elif in_example and line.startswith("#  "):
            lines.append(line[1:])
        else:
            in_example = False
            lines.append(line)
    return "\n".join(lines) + "\n"


def test_the_scaffolds_commented_examples_are_valid_on_the_dev_stack(project: Path) -> None:
    assert tenant_new(project, "fraud")[0] == 0
    path = project / "projects" / "fraud.yaml"
    path.write_text(uncomment_examples(path.read_text()))
    (fraud,) = load_spec(wire(dev_config(tenants=["fraud"])), project).tenants
    assert fraud.clusters["gpu"].gpu_quota == {"l40s": 2}
    assert fraud.bedrock_models == (SONNET_PROFILE,)
    assert fraud.data_stores.vector_store is not None
    assert fraud.data_stores.feature_store is not None


def test_tenant_new_never_overwrites(project: Path) -> None:
    write_tenant(project, "fraud", "# ours\n")
    code, out, err, exception = tenant_new(project, "fraud", "--owner", "x@example.com")
    path = project / "projects" / "fraud.yaml"
    assert code == 2
    assert err == f"error: {path} exists; edit it, or remove it first\n"
    assert out == ""
    assert isinstance(exception, SystemExit)
    assert path.read_text() == "# ours\n"


def test_tenant_new_names_every_bad_flag_and_writes_nothing(project: Path) -> None:
    code, out, err, exception = tenant_new(
        project, "Fraud", "--owner", "risk-lead", "--cost-center", "cc#risk"
    )
    assert code == 2
    assert out == ""
    assert isinstance(exception, SystemExit)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "error: cannot scaffold tenant 'Fraud'"
    assert sorted(lines[1:]) == [
        "  --cost-center: 'cc#risk' is not usable as a tag and Kubernetes label value (1 to 63 "
        "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, such as "
        "cc-search)",
        "  --owner: 'risk-lead' is not an email address (budget alerts go to owners)",
        "  NAME: 'Fraud' is not a tenant name (lowercase letters, digits and '-', 2 to 20 "
        "characters, such as fraud-detection)",
    ]
    assert not (project / "projects").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["gpu"],
            "  NAME: 'gpu' is reserved for the platform (default, gpu, gpu-operator, "
            "kueue-system, plinth, kube-*, plinth-*)",
        ),
        (["../evil"], "  NAME: '../evil' is not a tenant name"),
        (["fraud", "--owner", ""], "  --owner: '' is not an email address"),
    ],
)
def test_tenant_new_refuses_one_bad_value(project: Path, args: list[str], expected: str) -> None:
    code, out, err, _ = tenant_new(project, *args)
    assert code == 2
    assert out == ""
    assert err.splitlines()[1].startswith(expected), err
    assert len(err.splitlines()) == 2, err
    assert not (project / "projects").exists()
    assert not (project / "evil.yaml").exists()


def test_tenant_new_refuses_a_zero_budget_naming_the_flag(project: Path) -> None:
    code, out, err, _ = tenant_new(project, "fraud", "--budget", "0")
    assert code == 2
    assert out == ""
    assert "--budget" in err
    assert "Traceback" not in err
    assert not (project / "projects").exists()


@pytest.mark.parametrize("name", ["fraud: x", "[fraud"])
def test_tenant_new_refuses_a_name_that_breaks_yaml(project: Path, name: str) -> None:
    code, _, err, _ = tenant_new(project, name)
    assert code == 2
    assert err.splitlines()[1].startswith(f"  NAME: {name!r} is not a tenant name"), err
    assert not (project / "projects").exists()


def test_tenant_new_outside_a_project(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    code, out, err, _ = tenant_new(tmp_path, "fraud")
    assert code == 2
    assert out == ""
    assert err.startswith("error: no Pulumi.yaml in ")
    assert not (tmp_path / "projects").exists()


# --- JSON schemas ----------------------------------------------------------------------------


def test_tenant_schema_command_validates_the_scaffold(project: Path) -> None:
    result = runner.invoke(app, ["schema", "--tenant"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    assert tenant_new(project, "fraud")[0] == 0
    scaffold = yaml.safe_load((project / "projects" / "fraud.yaml").read_text())
    assert list(validator.iter_errors(scaffold)) == []
    assert list(validator.iter_errors(yaml.safe_load(FULL_TENANT_YAML))) == []

    del scaffold["budget"]
    scaffold["costCentre"] = "cc-1"
    messages = sorted(error.message for error in validator.iter_errors(scaffold))
    assert any("'budget' is a required property" in m for m in messages), messages
    assert any("costCentre" in m for m in messages), messages


def test_committed_tenant_schema_is_current() -> None:
    """The scaffold's `$schema=../plinth.tenant.schema.json` points editors at this file."""
    committed = json.loads((ROOT / "plinth.tenant.schema.json").read_text())
    assert committed == tenant_file_schema(), "regenerate plinth.tenant.schema.json"


def test_stack_schema_accepts_tenants_by_name_and_inline() -> None:
    validator = jsonschema.Draft202012Validator(stack_file_schema())
    document = dev_stack_document()
    document["config"]["plinth:tenants"] = ["fraud", yaml.safe_load(FULL_TENANT_YAML)]
    document["config"]["plinth:identityCenter"] = IDENTITY_CENTER
    assert list(validator.iter_errors(document)) == []

    document["config"]["plinth:tenants"] = [5, tenant(budgt={})]
    assert len(list(validator.iter_errors(document))) == 2
