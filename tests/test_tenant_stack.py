"""A tenant in its own stack (Pulumi.dev-vision.yaml) on the dev platform stack's outputs.

The platform side is the real dev preview: its `plinthPlatform` output, saved as the offline
engine's --stack-outputs file, is what the tenant stack reads. Expected values are taken from
that contract, so a test fails if the tenant stack ignores or misreads any part of it.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import BUCKET, ENDPOINT, ROOT, one, tenant_members
from typer.testing import CliRunner

from plinth.cli import app
from plinth.engine import EngineRejection, Preview, preview_stack
from plinth.spec import PLATFORM_OUTPUT, SpecError

PLATFORM_STACK = "organization/plinth/dev"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_PROVIDER = "pulumi:providers:kubernetes"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


@pytest.fixture(scope="module")
def platform_outputs(dev_preview: Preview) -> dict[str, Any]:
    return dev_preview.as_stack_outputs()


@pytest.fixture(scope="module")
def contract(platform_outputs: dict[str, Any]) -> dict[str, Any]:
    published: dict[str, Any] = platform_outputs[PLATFORM_STACK][PLATFORM_OUTPUT]
    return published


@pytest.fixture(scope="module")
def tenant_stack(
    platform_outputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Preview:
    outputs = tmp_path_factory.mktemp("outputs") / "dev.json"
    outputs.write_text(json.dumps(platform_outputs))
    return preview_stack(ROOT / "infra", "dev-vision", stack_outputs_file=outputs)


def test_the_tenant_stack_holds_the_tenant_and_none_of_the_platform(
    tenant_stack: Preview,
) -> None:
    reference = one(tenant_stack, "pulumi:pulumi:StackReference")
    assert (reference.name, reference.plain_inputs["name"]) == ("platform", PLATFORM_STACK)
    members = tenant_members(tenant_stack)
    outside = {
        r.type
        for r in tenant_stack.resources
        if r.urn not in members and r.type != "plinth:tenant:Tenant"
    }
    assert outside == {
        "pulumi:pulumi:Stack",
        "pulumi:pulumi:StackReference",
        "pulumi:providers:aws",
        K8S_PROVIDER,
    }
    assert set(members.values()) == {"plinth-dev-vision"}


def test_the_cluster_is_reached_with_the_platform_s_endpoint_and_ca_and_no_credential(
    tenant_stack: Preview, contract: dict[str, Any]
) -> None:
    cluster = contract["clusters"]["gpu"]
    kubeconfig = json.loads(one(tenant_stack, K8S_PROVIDER).plain_inputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"] == {
        "server": cluster["endpoint"],
        "certificate-authority-data": cluster["certificateAuthority"],
    }
    user = kubeconfig["users"][0]["user"]
    assert "token" not in user
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", cluster["name"]]
    namespace = one(tenant_stack, NAMESPACE)
    assert namespace.plain_inputs["metadata"]["name"] == "vision"
    assert namespace.provider.startswith(one(tenant_stack, K8S_PROVIDER).urn)


def test_queues_and_dns_follow_the_contract(
    tenant_stack: Preview, contract: dict[str, Any]
) -> None:
    cluster = contract["clusters"]["gpu"]
    queue = one(tenant_stack, f"kubernetes:{cluster['kueueApiVersion']}:ClusterQueue")
    spec = queue.plain_inputs["spec"]
    assert (
        spec["cohort" if "v1beta1" in cluster["kueueApiVersion"] else "cohortName"]
        == (cluster["cohort"])
    )
    flavors = [f["name"] for group in spec["resourceGroups"] for f in group["flavors"]]
    assert cluster["gpuPools"]["l40s"]["flavor"] in flavors
    dns = one(tenant_stack, NETWORK_POLICY, "allow-dns").plain_inputs["spec"]["egress"][0]["to"]
    cidrs = [peer["ipBlock"]["cidr"] for peer in dns if "ipBlock" in peer]
    assert cidrs == cluster["dnsCidrs"]
    assert cidrs  # dev's cluster is EKS Auto Mode: DNS is answered on the nodes


def test_data_joins_the_platform_network_and_access_logs(
    tenant_stack: Preview, contract: dict[str, Any]
) -> None:
    endpoint = one(tenant_stack, "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint")
    assert endpoint.plain_inputs["vpcId"] == contract["network"]["vpcId"]
    assert endpoint.plain_inputs["subnetIds"] == contract["network"]["privateSubnetIds"]
    logging = [r.plain_inputs for r in tenant_stack.of_type(LOGGING)]
    assert len(logging) == len(tenant_stack.of_type(BUCKET)) == 3
    assert {entry["targetBucket"] for entry in logging} == {contract["accessLogBucket"]}
    assert all(entry["targetPrefix"].startswith("tenants/") for entry in logging)
    assert not tenant_stack.of_type(ENDPOINT)  # the platform owns the VPC's endpoints


def test_bedrock_grants_pin_the_platform_guardrail(
    tenant_stack: Preview, contract: dict[str, Any]
) -> None:
    version_arn = contract["bedrock"]["guardrailVersionArn"]
    assert version_arn
    policies = [
        r.plain_inputs["policy"]
        for r in tenant_stack.of_type("aws:iam/rolePolicy:RolePolicy")
        if "bedrock:" in r.plain_inputs["policy"]
    ]
    assert policies
    assert all(version_arn in policy for policy in policies if "InvokeModel" in policy)


# --- what is checked against the contract --------------------------------------------------


def tenant_stack_file(tmp_path: Path, **changes: Any) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.dev-vision.yaml").read_text())
    document["config"].update(changes)
    path = tmp_path / "Pulumi.dev-vision.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def preview_with(tmp_path: Path, outputs: dict[str, Any], **changes: Any) -> Preview:
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    return preview_stack(
        ROOT / "infra",
        "dev-vision",
        config_file=tenant_stack_file(tmp_path, **changes),
        stack_outputs_file=outputs_file,
    )


def vision(**changes: Any) -> dict[str, Any]:
    tenant: dict[str, Any] = yaml.safe_load((ROOT / "projects" / "vision.yaml").read_text())
    tenant.update(changes)
    return tenant


def test_every_mismatch_with_the_platform_is_reported_at_once(
    tmp_path: Path, platform_outputs: dict[str, Any], contract: dict[str, Any]
) -> None:
    units = contract["clusters"]["gpu"]["gpuPools"]["l40s"]["gpuUnits"]
    greedy = vision(clusters={"gpu": {"gpuQuota": {"l40s": units + 1, "h100": 1}}})
    greedy["bedrockModels"] = ["anthropic.claude-3-haiku-20240307-v1:0"]
    taken = vision(name=contract["tenants"][0])
    with pytest.raises(SpecError) as caught:
        preview_with(
            tmp_path,
            platform_outputs,
            **{
                "plinth:aws": {"region": "eu-west-1"},
                "plinth:platform": {"stack": PLATFORM_STACK, "clusters": {"gpu": "coreweave"}},
                "plinth:tenants": [greedy, taken],
            },
        )
    paths = {problem.path: problem.message for problem in caught.value.problems}
    assert set(paths) == {
        "plinth:aws.region",
        "plinth:platform.clusters.gpu",
        "plinth:tenants[0].clusters.gpu.gpuQuota.l40s",
        "plinth:tenants[0].clusters.gpu.gpuQuota.h100",
        "plinth:tenants[0].bedrockModels[0]",
        "plinth:tenants[1].name",
    }
    assert f"({units} at maxNodes)" in paths["plinth:tenants[0].clusters.gpu.gpuQuota.l40s"]
    assert "'aws'" in paths["plinth:platform.clusters.gpu"]


def test_problems_in_a_tenant_file_name_the_file(
    tmp_path: Path, platform_outputs: dict[str, Any]
) -> None:
    project = tmp_path / "project"
    (project / "projects").mkdir(parents=True)
    shutil.copytree(ROOT / "infra", project / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "projects" / "vision.yaml").write_text(
        yaml.safe_dump(vision(bedrockModels=["anthropic.claude-3-haiku-20240307-v1:0"]))
    )
    config = tenant_stack_file(tmp_path)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(platform_outputs))
    with pytest.raises(SpecError) as caught:
        preview_stack(
            project / "infra", "dev-vision", config_file=config, stack_outputs_file=outputs_file
        )
    assert [p.path for p in caught.value.problems] == ["projects/vision.yaml:bedrockModels[0]"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("plinth:activateCostAllocationTags", True),
        ("plinth:guardrails", {"external": ["guardDuty"]}),
    ],
)
def test_account_wide_settings_belong_to_the_platform_stack(
    tmp_path: Path, key: str, value: Any
) -> None:
    with pytest.raises(SpecError) as caught:
        preview_stack(
            ROOT / "infra", "dev-vision", config_file=tenant_stack_file(tmp_path, **{key: value})
        )
    [problem] = caught.value.problems
    assert problem.path == key
    assert f"the platform stack {PLATFORM_STACK} owns this" in problem.message


def test_a_stack_without_the_contract_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        preview_with(tmp_path, {PLATFORM_STACK: {"vpcId": "vpc-1"}})
    [problem] = caught.value.problems
    assert problem.path == "plinth:platform.stack"
    assert PLATFORM_OUTPUT in problem.message


def test_a_malformed_contract_is_reported_by_key(
    tmp_path: Path, platform_outputs: dict[str, Any]
) -> None:
    outputs = copy.deepcopy(platform_outputs)
    published = outputs[PLATFORM_STACK][PLATFORM_OUTPUT]
    published["version"] = 2
    published["clusters"]["gpu"]["cloud"] = "gcp"
    del published["network"]["vpcId"]
    with pytest.raises(SpecError) as caught:
        preview_with(tmp_path, outputs)
    prefix = f"{PLATFORM_STACK} output {PLATFORM_OUTPUT}."
    assert {p.path for p in caught.value.problems} == {
        f"{prefix}version",
        f"{prefix}clusters.gpu.cloud",
        f"{prefix}network.vpcId",
    }


def test_a_missing_outputs_file_points_at_stack_outputs() -> None:
    with pytest.raises(EngineRejection) as caught:
        preview_stack(ROOT / "infra", "dev-vision")
    assert "pass --stack-outputs FILE" in " ".join(caught.value.lines)


# --- the CLI ---------------------------------------------------------------------------------


def test_save_outputs_files_them_under_the_organization(tmp_path: Path) -> None:
    saved = tmp_path / "dev.json"
    result = CliRunner().invoke(
        app,
        ["preview", "--stack", "dev", "--save-outputs", str(saved), "--organization", "acme"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(saved.read_text())
    assert list(document) == ["acme/plinth/dev"]
    assert document["acme/plinth/dev"][PLATFORM_OUTPUT]["version"] == 1


def test_a_bad_organization_writes_nothing(tmp_path: Path) -> None:
    saved = tmp_path / "dev.json"
    result = CliRunner().invoke(
        app, ["preview", "--save-outputs", str(saved), "--organization", "a b"]
    )
    assert result.exit_code == 2
    assert "--organization" in result.output
    assert not saved.exists()
