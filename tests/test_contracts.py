"""The offline engine refuses what the cloud's APIs would refuse (plinth/engine/contracts).

Each kind of constraint is shown failing on a resource record and passing once corrected;
a program breaking one constraint of each kind fails `plinth preview` with exit 2 and every
violation named, and its corrected twin previews; the shipped stacks pass; the mapping
table is checked against the Pulumi SDK and the AWS API models it names.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from support import PROGRAMS, ROOT
from typer.testing import CliRunner

from plinth.cli import app
from plinth.engine import Preview, ResourceRecord, preview_stack
from plinth.engine.contracts import ContractViolations, check_contracts
from plinth.engine.contracts.aws import compiled, member_for, models, service
from plinth.engine.contracts.aws_table import Renamed, load_table, split_member_path
from plinth.engine.contracts.build import build
from plinth.engine.contracts.kubernetes import schema_version, vendored_crds
from plinth.engine.values import UNKNOWN, Secret

runner = CliRunner()


def record(type_: str, inputs: Mapping[str, Any], name: str = "x", **extra: Any) -> ResourceRecord:
    return ResourceRecord(
        urn=f"urn:pulumi:test::test::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        parent="",
        provider="",
        inputs=dict(inputs),
        protect=False,
        retain_on_delete=False,
        depends_on=(),
        ignore_changes=(),
        **extra,
    )


def texts(*records: ResourceRecord) -> list[str]:
    return [v.text() for v in check_contracts(records).violations]


PROFILE = "aws:bedrock/inferenceProfile:InferenceProfile"
ROLE = "aws:iam/role:Role"
CLUSTER = "aws:eks/cluster:Cluster"
GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
TRUST = '{"Version":"2012-10-17","Statement":[]}'
MODEL = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"


# --- AWS: each kind of constraint ------------------------------------------------------------


def test_pattern_is_matched_against_the_whole_value() -> None:
    # The issue's own case: a model ID's '.' and ':' are not in ([0-9a-zA-Z][ _-]?)+, even
    # though the pattern finds a match inside the name.
    bad = record(
        PROFILE, {"name": "fraud-us.anthropic.claude-v1:0", "modelSource": {"copyFrom": MODEL}}
    )
    assert texts(bad) == [
        f"{PROFILE} 'x': name 'fraud-us.anthropic.claude-v1:0' does not match "
        "([0-9a-zA-Z][ _-]?)+ (CreateInferenceProfile.inferenceProfileName)"
    ]
    good = record(
        PROFILE, {"name": "fraud-us-anthropic-claude-v1-0", "modelSource": {"copyFrom": MODEL}}
    )
    assert texts(good) == []


def test_length_bounds() -> None:
    too_long = record(ROLE, {"name": "r" * 65, "assumeRolePolicy": TRUST})
    assert texts(too_long) == [
        f"{ROLE} 'x': name '{'r' * 65}' is 65 characters, more than 64 (CreateRole.RoleName)"
    ]
    assert texts(record(ROLE, {"name": "r" * 64, "assumeRolePolicy": TRUST})) == []


def test_number_range() -> None:
    short = record(ROLE, {"name": "r", "assumeRolePolicy": TRUST, "maxSessionDuration": 600})
    assert texts(short) == [
        f"{ROLE} 'x': maxSessionDuration 600 is less than 3600 (CreateRole.MaxSessionDuration)"
    ]


def test_enum() -> None:
    bad = record("aws:accessanalyzer/analyzer:Analyzer", {"analyzerName": "a", "type": "REGION"})
    (text,) = texts(bad)
    assert "type 'REGION' is not one of: ACCOUNT, ORGANIZATION" in text
    assert text.endswith("(CreateAnalyzer.type)")


def test_required_member_not_set() -> None:
    # CreateInferenceProfile needs modelSource; Pulumi would accept the program without it.
    (text,) = texts(record(PROFILE, {"name": "ok"}))
    assert text == f"{PROFILE} 'x': modelSource is required and not set (CreateInferenceProfile)"


def test_nested_structures_and_lists_are_followed() -> None:
    filters = [
        {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"},
        {"type": "HATRED", "inputStrength": "HIGH", "outputStrength": "EXTREME"},
    ]
    inputs = {
        "name": "g",
        "blockedInputMessaging": "no",
        "blockedOutputsMessaging": "no",
        "contentPolicyConfig": {"filtersConfigs": filters},
    }
    assert texts(record(GUARDRAIL, inputs)) == [
        f"{GUARDRAIL} 'x': contentPolicyConfig.filtersConfigs[1].type 'HATRED' is not one of: "
        "SEXUAL, VIOLENCE, HATE, INSULTS, MISCONDUCT, PROMPT_ATTACK "
        "(CreateGuardrail.contentPolicyConfig.filtersConfig.type)",
        f"{GUARDRAIL} 'x': contentPolicyConfig.filtersConfigs[1].outputStrength 'EXTREME' is not "
        "one of: NONE, LOW, MEDIUM, HIGH (CreateGuardrail.contentPolicyConfig.filtersConfig."
        "outputStrength)",
    ]


def test_a_property_set_by_a_second_call_is_checked_against_that_call() -> None:
    # EKS log types go to CreateCluster's logging.clusterLogging[].types.
    inputs = {
        "name": "c",
        "roleArn": "arn:aws:iam::123456789012:role/eks",
        "vpcConfig": {"subnetIds": ["subnet-1"]},
        "enabledClusterLogTypes": ["api", "apiserver"],
    }
    (text,) = texts(record(CLUSTER, inputs))
    assert "enabledClusterLogTypes[1] 'apiserver' is not one of: api, audit" in text
    assert text.endswith("(CreateCluster.logging.clusterLogging.types)")
    retention = record("aws:cloudwatch/logGroup:LogGroup", {"name": "/l", "retentionInDays": 0})
    assert texts(retention) == []  # 0: never expire, nothing sent


def test_tag_maps_are_checked_as_the_api_s_key_value_list() -> None:
    inputs = {"name": "r", "assumeRolePolicy": TRUST, "tags": {"k" * 129: "v", "ok": "v" * 257}}
    found = texts(record(ROLE, inputs))
    assert len(found) == 2
    assert found[0].startswith(f"{ROLE} 'x': tags[0].Key 'kkk")
    assert found[0].endswith("is 129 characters, more than 128 (CreateRole.Tags.Key)")
    assert found[1].startswith(f"{ROLE} 'x': tags[1].Value 'vvv")
    assert found[1].endswith("is 257 characters, more than 256 (CreateRole.Tags.Value)")


def test_auto_names_are_checked_as_pulumi_will_make_them() -> None:
    # No name given: Pulumi names the role "<resource name>-<7 hex>", 72 characters here.
    (text,) = texts(record(ROLE, {"assumeRolePolicy": TRUST}, name="n" * 64))
    assert "name (auto-named: resource name + 8)" in text
    assert "is 72 characters, more than 64 (CreateRole.RoleName)" in text
    assert texts(record(ROLE, {"assumeRolePolicy": TRUST}, name="workload")) == []


def test_unknown_values_and_references_are_skipped_and_secrets_not_shown() -> None:
    unknown = record(ROLE, {"name": UNKNOWN, "assumeRolePolicy": TRUST})
    reference = record(
        ROLE, {"name": "urn:pulumi:s::p::aws:iam/role:Role::r", "assumeRolePolicy": TRUST}
    )
    assert texts(unknown, reference) == []
    (text,) = texts(record(ROLE, {"name": Secret("s" * 70), "assumeRolePolicy": TRUST}))
    assert "name [secret] is 70 characters" in text
    assert "s" * 70 not in text


def test_reads_are_not_creates() -> None:
    # Resource.get reads a reservation someone else bought: nothing is sent to CreateX.
    read = record("aws:ec2/capacityReservation:CapacityReservation", {}, read=True)
    assert texts(read) == []
    made = record("aws:ec2/capacityReservation:CapacityReservation", {})
    assert any("is required and not set" in text for text in texts(made))


def test_values_the_provider_handles_itself_are_accepted() -> None:
    versioning = record(
        "aws:s3/bucketVersioning:BucketVersioning",
        {"bucket": "b-1", "versioningConfiguration": {"status": "Disabled"}},
    )
    assert texts(versioning) == []
    versioning.inputs["versioningConfiguration"]["status"] = "Off"
    (text,) = texts(versioning)
    assert "'Off' is not one of: Enabled, Suspended" in text


# --- AWS: limits documented outside the models ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("My-Bucket", "may hold only lowercase letters"),
        ("ab", "is 2 characters (3 to 63 allowed)"),
        ("data..lake", "has two adjacent periods"),
        ("192.168.1.10", "is formatted as an IP address"),
        ("xn--bucket", "begins with the reserved prefix 'xn--'"),
        ("logs-s3alias", "ends with the reserved suffix '-s3alias'"),
    ],
)
def test_s3_bucket_naming_rules(name: str, problem: str) -> None:
    (text,) = texts(record("aws:s3/bucket:Bucket", {"bucket": name}))
    assert problem in text
    assert "bucketnamingrules.html" in text
    assert texts(record("aws:s3/bucket:Bucket", {"bucket": "team-data-lake"})) == []


def test_auto_named_buckets_are_lowercased_like_the_provider_does() -> None:
    assert texts(record("aws:s3/bucket:Bucket", {}, name="Team-Data")) == []
    (text,) = texts(record("aws:s3/bucket:Bucket", {}, name="team_data"))
    assert "bucket (auto-named) 'team_data-0000000' may hold only lowercase" in text


def test_iam_policy_sizes_do_not_count_whitespace() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/" + "k" * 90,
    }
    big = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 60}, indent=4)
    (text,) = texts(record("aws:iam/policy:Policy", {"name": "p", "policy": big}))
    assert "is over the 6144 a managed policy may have (whitespace not counted)" in text
    small = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 3}, indent=40)
    assert texts(record("aws:iam/policy:Policy", {"name": "p", "policy": small})) == []


def test_a_role_s_inline_policies_together_stay_under_their_quota() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/" + "k" * 90,
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 30})
    policies = [
        record(
            "aws:iam/rolePolicy:RolePolicy",
            {"name": f"p{i}", "role": "r", "policy": document},
            name=f"p{i}",
        )
        for i in range(3)
    ]
    (text,) = texts(*policies)
    assert "inline policies of role r" in text
    assert texts(*policies[:2]) == []


def test_kms_alias_helm_release_and_reserved_tags() -> None:
    assert texts(record("aws:kms/alias:Alias", {"name": "platform", "targetKeyId": "k"})) == [
        "aws:kms/alias:Alias 'x': name 'platform' must begin with 'alias/' (CreateAlias, "
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html)"
    ]
    assert (
        "reserved for AWS managed keys"
        in texts(record("aws:kms/alias:Alias", {"name": "alias/aws/s3", "targetKeyId": "k"}))[0]
    )
    release = record("kubernetes:helm.sh/v3:Release", {"name": "a" * 54, "chart": "c"})
    assert "is 54 characters, more than 53" in texts(release)[0]
    tagged = record(ROLE, {"name": "r", "assumeRolePolicy": TRUST, "tags": {"aws:team": "a"}})
    assert "reserved for AWS" in texts(tagged)[0]


def test_grafana_uids_and_dashboard_json() -> None:
    board = {"uid": "plinth-gpu", "title": "GPU"}
    assert texts(record("grafana:oss/dashboard:Dashboard", {"configJson": json.dumps(board)})) == []
    long_uid = json.dumps({**board, "uid": "x" * 41})
    assert (
        "is not a Grafana UID"
        in texts(record("grafana:oss/dashboard:Dashboard", {"configJson": long_uid}))[0]
    )
    untitled = json.dumps({"uid": "plinth-gpu"})
    assert (
        "a JSON object with a title"
        in texts(record("grafana:oss/dashboard:Dashboard", {"configJson": untitled}))[0]
    )
    assert "is not JSON" in texts(record("grafana:oss/dashboard:Dashboard", {"configJson": "{"}))[0]
    folder = record("grafana:oss/folder:Folder", {"title": "Plinth", "uid": "plinth/main"})
    assert "uid 'plinth/main' is not a Grafana UID" in texts(folder)[0]


# --- Kubernetes ------------------------------------------------------------------------------


def namespace(metadata: Mapping[str, Any], **extra: Any) -> ResourceRecord:
    return record("kubernetes:core/v1:Namespace", {"metadata": dict(metadata)}, **extra)


def test_kubernetes_unknown_field_and_wrong_type() -> None:
    (unknown,) = texts(namespace({"name": "team", "label": {"a": "b"}}))
    assert "metadata" in unknown
    assert "has unknown field(s) 'label'" in unknown
    assert "OpenAPI schema, v1 Namespace" in unknown
    priority = record(
        "kubernetes:scheduling.k8s.io/v1:PriorityClass",
        {"metadata": {"name": "p"}, "value": "high"},
    )
    (wrong,) = texts(priority)
    assert "value 'high' is not of type 'integer'" in wrong
    assert texts(namespace({"name": "team", "labels": {"a": "b"}})) == []


def test_kubernetes_unknown_values_do_not_make_required_fields_missing() -> None:
    binding = record(
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        {
            "metadata": {"name": "b"},
            "roleRef": {
                "kind": "ClusterRole",
                "apiGroup": "rbac.authorization.k8s.io",
                "name": UNKNOWN,
            },
        },
    )
    assert texts(binding) == []


def test_custom_resources_against_the_pinned_crd_schemas() -> None:
    spec = {"queueingStrategy": "FIFO", "cohortName": "plinth", "resourceGroups": []}
    queue = record(
        "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", {"metadata": {"name": "q"}, "spec": spec}
    )
    (text,) = texts(queue)
    assert "spec.queueingStrategy 'FIFO' is not one of ['StrictFIFO', 'BestEffortFIFO']" in text
    # v1beta1 (cks-kueue) names the cohort `cohort`; v1beta2 refuses that field.
    spec = {"queueingStrategy": "StrictFIFO", "cohort": "plinth", "resourceGroups": []}
    old = record(
        "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue", {"metadata": {"name": "q"}, "spec": spec}
    )
    new = record(
        "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", {"metadata": {"name": "q"}, "spec": spec}
    )
    assert texts(old) == []
    assert "has unknown field(s) 'cohort'" in texts(new)[0]


def test_every_pinned_custom_resource_kind_has_a_schema() -> None:
    assert sorted(vendored_crds()) == sorted(
        [
            ("karpenter.sh", "v1", "NodePool"),
            ("eks.amazonaws.com", "v1", "NodeClass"),
            ("compute.coreweave.com", "v1alpha1", "NodePool"),
            ("secrets-store.csi.x-k8s.io", "v1", "SecretProviderClass"),
            *[
                ("kueue.x-k8s.io", version, kind)
                for version in ("v1beta1", "v1beta2")
                for kind in ("ClusterQueue", "LocalQueue", "ResourceFlavor")
            ],
        ]
    )


def test_kinds_without_a_schema_are_reported_not_refused() -> None:
    certificate = record(
        "kubernetes:cert-manager.io/v1:Certificate", {"metadata": {"name": "c"}, "spec": {}}
    )
    report = check_contracts([certificate])
    assert report.violations == []
    assert report.unchecked_kinds == ["cert-manager.io/v1 Certificate"]


def test_the_schema_version_follows_the_cluster_s() -> None:
    assert schema_version("1.33") == "1.33"
    assert schema_version("v1.35.2") == "1.35"
    assert schema_version(None) == schema_version("99.0")


def test_objects_are_checked_against_their_cluster_s_kubernetes_version() -> None:
    # ValidatingAdmissionPolicy is GA (admissionregistration.k8s.io/v1) from 1.30: an older
    # cluster has no such kind. The provider's kubeconfig names the EKS cluster of the program.
    kubeconfig = json.dumps({"clusters": [{"name": "old", "cluster": {"server": "https://k"}}]})
    cluster = record(CLUSTER, {"name": "old", "version": "1.29"}, name="cluster")
    provider = record("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig}, name="k8s")
    policy = record(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        {"metadata": {"name": "p"}, "spec": {}},
        name="p",
    )
    on_old = ResourceRecord(**{**policy.__dict__, "provider": f"{provider.urn}::id"})
    assert check_contracts([cluster, provider, on_old]).unchecked_kinds == [
        "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy"
    ]
    assert check_contracts([policy]).unchecked_kinds == []


# --- a program, through the CLI --------------------------------------------------------------


def test_preview_of_a_program_breaking_the_contracts_exits_2_naming_each_violation() -> None:
    result = runner.invoke(
        app, ["preview", "--program", str(PROGRAMS / "contracts"), "--stack", "broken"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing is printed as a success
    lines = result.stderr.splitlines()
    assert lines[0] == "error: the cloud's APIs would refuse 8 resource(s) of this program"
    expected = [
        "aws:bedrock/inferenceProfile:InferenceProfile 'profile': name "
        "'team-anthropic.claude-3-haiku-v1:0' does not match ([0-9a-zA-Z][ _-]?)+ "
        "(CreateInferenceProfile.inferenceProfileName)",
        "aws:iam/role:Role 'role': name",
        "aws:eks/cluster:Cluster 'cluster': enabledClusterLogTypes[1] 'apiserver' is not one of",
        "aws:bedrock/guardrail:Guardrail 'guardrail': contentPolicyConfig.filtersConfigs[0].type "
        "'HATRED' is not one of",
        "aws:cloudwatch/logGroup:LogGroup 'logs': retentionInDays 10 is not one of",
        "kubernetes:core/v1:Namespace 'namespace': metadata",
        "kubernetes:scheduling.k8s.io/v1:PriorityClass 'priority': value 'high' is not of type",
        "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue 'queue': spec.queueingStrategy 'FIFO'",
    ]
    for start in expected:
        assert any(line.strip().startswith(start) for line in lines[1:]), start
    assert len(lines) == 1 + len(expected)


def test_the_corrected_twin_previews_cleanly() -> None:
    preview = preview_stack(PROGRAMS / "contracts", "fixed")
    assert len([r for r in preview.resources if r.custom]) == 8
    assert [d for d in preview.diagnostics if "not checked" in d] == []


# --- the shipped stacks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(
    dev_preview: Preview, coreweave_preview: Preview, tmp_path_factory: pytest.TempPathFactory
) -> list[Preview]:
    outputs = tmp_path_factory.mktemp("outputs") / "dev.json"
    outputs.write_text(json.dumps(dev_preview.as_stack_outputs()))
    return [
        dev_preview,
        coreweave_preview,
        preview_stack(ROOT / "infra", "dev-vision", stack_outputs_file=outputs),
    ]


def test_the_shipped_stacks_keep_every_contract(shipped: list[Preview]) -> None:
    for preview in shipped:
        assert check_contracts(preview.resources).violations == [], preview.stack
        assert [d for d in preview.diagnostics if "not checked" in d] == [], preview.stack


def test_every_type_the_shipped_stacks_register_is_checked_or_excepted(
    shipped: list[Preview],
) -> None:
    table = load_table()
    uncovered = set()
    for preview in shipped:
        for resource in preview.resources:
            if not resource.custom or resource.read:
                continue
            kubernetes_object = resource.type.startswith(
                "kubernetes:"
            ) and not resource.type.startswith("kubernetes:helm.sh/")
            if (
                resource.type not in table.types
                and resource.type not in table.not_checked
                and not kubernetes_object
            ):
                uncovered.add(resource.type)
    assert sorted(uncovered) == []
    registered = {r.type for p in shipped for r in p.resources}
    # Every exception is still needed, and says why.
    assert sorted(set(table.not_checked) - registered) == []
    assert all(len(reason) > 20 for reason in table.not_checked.values())


# --- the table against the SDK and the models ------------------------------------------------


def pulumi_properties(type_: str) -> set[str]:
    """The input property names the Pulumi AWS SDK declares for a resource type."""
    module, cls = re.fullmatch(r"aws:([^/]+)/[^:]+:(\w+)", type_).groups()  # type: ignore[union-attr]
    package = importlib.import_module(f"pulumi_aws.{module}")
    args = getattr(package, f"{cls}InitArgs", None) or getattr(package, f"{cls}Args")
    return {
        getattr(member.fget, "_pulumi_name", attr)
        for attr, member in inspect.getmembers(args)
        if isinstance(member, property) and member.fget is not None
    }


def test_table_names_only_real_properties_and_members() -> None:
    problems = []
    for type_, mapping in load_table().types.items():
        api = service(mapping.service)
        properties = pulumi_properties(type_)
        named = [*mapping.properties, *mapping.skip]
        if mapping.autoname != "name":
            named.append(mapping.autoname)
        problems += [f"{type_}: no property {p}" for p in named if p not in properties]
        for target in mapping.properties.values():
            member = target.member if isinstance(target, Renamed) else target
            try:
                api.resolve(*split_member_path(mapping.operation, member))
            except KeyError:
                problems.append(f"{type_}: no member {member} in {mapping.service}")
        required = api.input_shape(mapping.operation).get("required", [])
        problems += [
            f"{type_}: {p} is not a required member" for p in mapping.provided if p not in required
        ]
    assert problems == []


def pulumi_required_properties(type_: str) -> set[str]:
    """The input properties a Pulumi AWS resource cannot be constructed without."""
    module, cls = re.fullmatch(r"aws:([^/]+)/[^:]+:(\w+)", type_).groups()  # type: ignore[union-attr]
    package = importlib.import_module(f"pulumi_aws.{module}")
    args = getattr(package, f"{cls}InitArgs", None) or getattr(package, f"{cls}Args")
    names = {
        attr: getattr(member.fget, "_pulumi_name", attr)
        for attr, member in inspect.getmembers(args)
        if isinstance(member, property) and member.fget is not None
    }
    parameters = inspect.signature(args.__init__).parameters.values()
    return {
        names.get(p.name, p.name)
        for p in parameters
        if p.name != "self" and p.default is inspect.Parameter.empty
    }


# Members the API requires whose Pulumi property is optional, and that the provider does not
# fill: leaving them out fails `pulumi up`, so the check rightly refuses it.
REQUIRED_BY_THE_API_ONLY = {
    ("aws:bedrock/inferenceProfile:InferenceProfile", "modelSource"),
    # The provider marks `source` optional (an EKS or a VPC source); CreateScraper needs one.
    ("aws:amp/scraper:Scraper", "source"),
}


def test_every_required_member_is_given_auto_named_or_provided() -> None:
    """No false "is required and not set": for each required member of each mapped
    operation, some property that Pulumi requires fills it, or Pulumi auto-names it, or the
    table says the provider fills it (`provided`)."""
    problems = []
    for type_, mapping in load_table().types.items():
        api = service(mapping.service)
        shape = api.input_shape(mapping.operation)
        filled: dict[str, set[str]] = {}
        for prop in pulumi_properties(type_) - set(mapping.skip):
            target = member_for(prop, mapping.properties.get(prop), shape["members"])
            if target is None:
                continue
            operation, members = split_member_path(mapping.operation, target.member)
            if operation == mapping.operation:
                filled.setdefault(members[0], set()).add(prop)
        required = pulumi_required_properties(type_)
        for member in shape.get("required", ()):
            given = filled.get(member, set())
            if (
                member in mapping.provided
                or given & required
                or mapping.autoname in given
                or (type_, member) in REQUIRED_BY_THE_API_ONLY
            ):
                continue
            problems.append(f"{type_}: {member} (from {sorted(given)})")
    assert problems == []


def test_the_compact_models_are_what_botocore_ships() -> None:
    # After a botocore upgrade or a table edit: python -m plinth.engine.contracts.build
    assert build() == models()


def test_every_pattern_of_the_models_compiles() -> None:
    for name, entry in models()["services"].items():
        for shape_name, shape in entry["shapes"].items():
            if "pattern" in shape:
                assert compiled(shape["pattern"]) is not None, (name, shape_name)


def test_a_preview_error_names_every_violation_at_once() -> None:
    with pytest.raises(ContractViolations) as caught:
        preview_stack(PROGRAMS / "contracts", "broken")
    assert len(caught.value.violations) == len({v.urn for v in caught.value.violations}) == 8


def test_the_contracts_page_shows_the_real_output_of_its_commands() -> None:
    page = (ROOT / "docs" / "contracts.md").read_text()
    shown = page.split("<!-- contracts-output -->\n```\n")[1].split(
        "```\n<!-- /contracts-output -->"
    )[0]
    result = runner.invoke(
        app, ["preview", "--program", str(PROGRAMS / "contracts"), "--stack", "broken"]
    )
    assert result.exit_code == 2
    assert shown == result.stderr
    for command in (
        "plinth preview --program tests/programs/contracts --stack broken",
        "plinth preview --program tests/programs/contracts --stack fixed",
        "python -m plinth.engine.contracts.build",
    ):
        assert (
            command in page
        )  # exercised above and by test_the_compact_models_are_what_botocore_ships


# --- review follow-ups: each was a false positive or a gap ----------------------------------


def test_java_word_classes_match_ascii_only_as_aws_does() -> None:
    # IAM's RoleName pattern [\w+=,.@-]+ is a Java regex: \w is [A-Za-z0-9_] there.
    (text,) = texts(record(ROLE, {"name": "rôle", "assumeRolePolicy": TRUST}))
    assert "does not match [\\w+=,.@-]+" in text
    # Unicode classes stay Unicode: tag values may hold any letter.
    tagged = record(ROLE, {"name": "r", "assumeRolePolicy": TRUST, "tags": {"équipe": "données"}})
    assert texts(tagged) == []


def test_several_values_where_the_api_takes_one_are_each_checked() -> None:
    budget = {
        "name": "b",
        "budgetType": "COST",
        "timeUnit": "MONTHLY",
        "limitAmount": "100",
        "limitUnit": "USD",
        "notifications": [
            {
                "comparisonOperator": "GREATER_THAN",
                "notificationType": "ACTUAL",
                "threshold": 80,
                "thresholdType": "PERCENTAGE",
                "subscriberEmailAddresses": ["ops@example.com", ""],
            }
        ],
    }
    (text,) = texts(record("aws:budgets/budget:Budget", budget))
    assert "notifications[0].subscriberEmailAddresses[1] '' is 0 characters, fewer than 1" in text


def test_security_group_auto_names_cannot_start_with_sg() -> None:
    group = record("aws:ec2/securityGroup:SecurityGroup", {"vpcId": "vpc-1"}, name="sg-web")
    (text,) = texts(group)
    assert "name (auto-named) 'sg-web-0000000' cannot start with 'sg-'" in text
    assert (
        texts(record("aws:ec2/securityGroup:SecurityGroup", {"vpcId": "vpc-1"}, name="web")) == []
    )


def test_a_trust_policy_over_the_default_quota_is_a_warning_not_an_error() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 30})
    report = check_contracts([record(ROLE, {"name": "r", "assumeRolePolicy": document})])
    assert report.violations == []
    (warning,) = report.warnings
    assert "over the default quota of 2048" in warning


@pytest.mark.parametrize(
    ("kind", "metadata", "problem"),
    [
        ("core/v1:Namespace", {"name": "Team_A"}, "is not a DNS label"),
        ("core/v1:Namespace", {"name": "a" * 64}, "is 64 characters, more than 63"),
        ("core/v1:ConfigMap", {"name": "settings.v1", "namespace": "Team"}, "is not a DNS label"),
        ("core/v1:ConfigMap", {"name": "Settings"}, "is not a DNS subdomain name"),
    ],
)
def test_kubernetes_object_names(kind: str, metadata: dict[str, str], problem: str) -> None:
    (text,) = texts(record(f"kubernetes:{kind}", {"metadata": metadata}))
    assert problem in text
    assert "working-with-objects/names" in text


def test_rbac_names_may_hold_colons_and_config_maps_dots() -> None:
    role = record(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        {"metadata": {"name": "plinth:gpu-viewer"}, "rules": []},
    )
    config = record(
        "kubernetes:core/v1:ConfigMap", {"metadata": {"name": "settings.v1", "namespace": "team"}}
    )
    assert texts(role, config) == []


def test_a_crd_field_with_a_default_may_be_left_out() -> None:
    # Karpenter: a disruption budget's `nodes` is required but defaults to 10%, which the API
    # server fills in before validating.
    spec = {
        "template": {
            "spec": {
                "nodeClassRef": {
                    "group": "eks.amazonaws.com",
                    "kind": "NodeClass",
                    "name": "default",
                },
                "requirements": [],
            }
        },
        "disruption": {"consolidateAfter": "10m", "budgets": [{"reasons": ["Empty"]}]},
    }
    pool = record(
        "kubernetes:karpenter.sh/v1:NodePool", {"metadata": {"name": "gpu"}, "spec": spec}
    )
    assert texts(pool) == []
