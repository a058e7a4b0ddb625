"""The stack spec: valid configs parse, and every kind of mistake gets a precise message."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from support import ROOT, dev_stack_document, dev_tenants

from plinth.engine.project import find_project, load_stack_config
from plinth.spec import DataClassification, SpecError, load_spec
from plinth.spec.schema import stack_file_schema

MINIMAL = {
    "plinth:environment": "dev",
    "plinth:owner": "team@example.com",
    "plinth:costCenter": "cc-1",
    "plinth:aws": {"region": "us-east-1"},
}


def wire(config: dict[str, Any]) -> dict[str, str]:
    """Encode like Pulumi: objects and lists as JSON strings, scalars as strings."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
    }


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(wire(config))
    return [str(problem) for problem in caught.value.problems]


def with_changes(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, **{f"plinth:{key}": value for key, value in changes.items()}}


def test_minimal_config_gets_secure_defaults() -> None:
    spec = load_spec(wire(MINIMAL))
    assert spec.network.az_count == 3
    assert spec.network.nat_gateways == "perAz"
    assert spec.network.flow_logs.retention_days == 365
    assert spec.protect is False
    assert sorted(spec.storage.buckets) == ["datasets", "models"]


def test_dev_stack_file_is_valid() -> None:
    project = find_project(ROOT)
    # Tenants listed by name are read from the project's projects/<name>.yaml files.
    spec = load_spec(load_stack_config(project, "dev").values, project.root)
    assert spec.aws.region == "us-east-1"
    assert spec.storage.buckets["datasets"].data_classification is DataClassification.CONFIDENTIAL
    files = dev_tenants()
    assert [tenant.name for tenant in spec.tenants] == list(files)
    assert {
        tenant.name: (tenant.owners, tenant.cost_center, tenant.data_classification.value)
        for tenant in spec.tenants
    } == {
        name: (tuple(file["owners"]), file["costCenter"], file["dataClassification"])
        for name, file in files.items()
    }
    assert spec.auditors == tuple(dev_stack_document()["config"]["plinth:auditors"])


def test_scalars_arrive_as_strings_and_are_coerced() -> None:
    spec = load_spec(wire(with_changes(protect="true")) | {"plinth:network": '{"azCount": "2"}'})
    assert spec.protect is True
    assert spec.network.az_count == 2


def test_common_tags() -> None:
    spec = load_spec(wire(with_changes(extraTags={"team": "ml"})))
    assert spec.common_tags(DataClassification.RESTRICTED) == {
        "team": "ml",
        "owner": "team@example.com",
        "cost-center": "cc-1",
        "environment": "dev",
        "data-classification": "restricted",
        "managed-by": "plinth",
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"network": {"cidr": "10.0.0.0/33"}},
            "plinth:network.cidr: '10.0.0.0/33' is not an IPv4 network (CIDR such as 10.0.0.0/16)",
        ),
        ({"network": {"cidr": "10.0.0.0"}}, "plinth:network.cidr: '10.0.0.0' is not an IPv4"),
        (
            {"network": {"cidr": "10.0.0.1/16"}},
            "plinth:network.cidr: '10.0.0.1/16' has host bits set; did you mean '10.0.0.0/16'?",
        ),
        (
            {"network": {"cidr": "8.8.0.0/16"}},
            "plinth:network.cidr: '8.8.0.0/16' is not a private (RFC 1918) range",
        ),
        (
            {"network": {"cidr": "10.0.0.0/8"}},
            "plinth:network.cidr: '10.0.0.0/8' is outside the allowed sizes /16 to /22",
        ),
        (
            {"network": {"cidr": "10.0.0.0/22", "azCount": 6}},
            "plinth:network.cidr: '10.0.0.0/22' is too small for 6 AZs (public subnets would be "
            "/29); use /21 or larger",
        ),
        ({"network": {"azCount": 0}}, "plinth:network.azCount: 0 is too small; the minimum is 1"),
        ({"network": {"azCount": 7}}, "plinth:network.azCount: 7 is too large; the maximum is 6"),
        (
            {"network": {"azCount": "three"}},
            "plinth:network.azCount: 'three' is not a whole number",
        ),
        (
            {"network": {"natGateways": "double"}},
            "plinth:network.natGateways: 'double' is not allowed; expected 'perAz', 'single' or "
            "'none'",
        ),
        (
            {"network": {"interfaceEndpoints": ["ECR API"]}},
            "plinth:network.interfaceEndpoints: 'ECR API' is not an AWS service endpoint name",
        ),
        (
            {"network": {"interfaceEndpoints": ["s3"]}},
            "plinth:network.interfaceEndpoints: 's3' is always provisioned as a gateway endpoint",
        ),
        (
            {"network": {"interfaceEndpoints": ["sts", "sts"]}},
            "plinth:network.interfaceEndpoints: 'sts' listed more than once",
        ),
        (
            {"network": {"interfaceEndpoints": "sts"}},
            "plinth:network.interfaceEndpoints: 'sts' is not a list",
        ),
        (
            {"network": {"flowLogs": {"retentionDays": 100}}},
            "plinth:network.flowLogs.retentionDays: 100 is not a CloudWatch Logs retention period;"
            " allowed: 1, 3, 5",
        ),
        (
            {"network": {"cidrr": "10.0.0.0/16"}},
            "plinth:network.cidrr: unknown key 'cidrr' (did you mean 'cidr'?); allowed keys: "
            "azCount, cidr, flowLogs, interfaceEndpoints, natGateways",
        ),
        (
            {"network": {"az_count": 2}},
            "plinth:network.az_count: unknown key 'az_count' (did you mean 'azCount'?)",
        ),
        ({"network": "big"}, "plinth:network: 'big' is not a mapping of keys to values"),
        (
            {"aws": {"region": "us-east-1x"}},
            "plinth:aws.region: 'us-east-1x' is not an AWS region (did you mean 'us-east-1'?)",
        ),
        (
            {"aws": {"region": "us-east-1", "accountId": "1234"}},
            "plinth:aws.accountId: '1234' is not an AWS account ID (12 digits, quoted in YAML)",
        ),
        (
            {"kms": {"administrators": ["admin"]}},
            "plinth:kms.administrators[0]: 'admin' is not an IAM role or user ARN",
        ),
        (
            {"kms": {"administrators": "arn:aws:iam::123456789012:role/admin"}},
            "plinth:kms.administrators: 'arn:aws:iam::123456789012:role/admin' is not a list",
        ),
        ({"environment": "Dev"}, "plinth:environment: 'Dev' is not an environment name"),
        ({"owner": "  "}, "plinth:owner: '  ' is not a usable tag value"),
        ({"costCenter": "cc#1"}, "plinth:costCenter: 'cc#1' is not a usable tag value"),
        ({"protect": "maybe"}, "plinth:protect: 'maybe' is not a boolean (true or false)"),
        (
            {"dataClassification": "secret"},
            "plinth:dataClassification: 'secret' is not allowed; expected 'public', 'internal', "
            "'confidential' or 'restricted'",
        ),
        ({"extraTags": {"owner": "x"}}, "plinth:extraTags: 'owner' is reserved"),
        ({"extraTags": {"aws:foo": "x"}}, "plinth:extraTags: 'aws:foo' is reserved"),
        (
            {"storage": {"buckets": {"Bad_Key": {}}}},
            "plinth:storage.buckets.Bad_Key: bucket key 'Bad_Key' is not a name",
        ),
        (
            {"storage": {"buckets": {"audit": {"objectLock": {"mode": "FOREVER", "days": 1}}}}},
            "plinth:storage.buckets.audit.objectLock.mode: 'FOREVER' is not allowed; expected "
            "'GOVERNANCE' or 'COMPLIANCE'",
        ),
        (
            {"storage": {"buckets": {"audit": {"objectLock": {}}}}},
            "plinth:storage.buckets.audit.objectLock.days: required key is missing",
        ),
        (
            {"storage": {"accessLogRetentionDays": 30}},
            "plinth:storage.accessLogRetentionDays: 30 is too small; the minimum is 90",
        ),
        (
            {"netwrk": {}},
            "plinth:netwrk: unknown key 'netwrk' (did you mean 'network'?); allowed keys: "
            "activateCostAllocationTags, auditors, aws, bedrock, clusters, compliance, "
            "costCenter, dataClassification, environment, extraTags, gateway, guardrails, "
            "identityCenter, "
            "kms, mlops, network, observability, owner, platform, protect, storage, tenants",
        ),
        (
            {"compliance": {"profiles": ["baseline", "iso27001"]}},
            "plinth:compliance.profiles[1]: 'iso27001' is not allowed; expected "
            "'baseline', 'soc2', 'hipaa', 'pci' or 'gdpr'",
        ),
        (
            {"compliance": {"profiles": ["soc2", "soc2"]}},
            "plinth:compliance.profiles: 'soc2' listed more than once",
        ),
    ],
)
def test_each_problem_names_key_path_value_and_what_is_allowed(
    changes: dict[str, Any], expected: str
) -> None:
    found = problems(with_changes(**changes))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found[0]


def test_missing_required_keys() -> None:
    found = problems({})
    assert found == [
        "plinth:aws: required key is missing",
        "plinth:costCenter: required key is missing",
        "plinth:environment: required key is missing",
        "plinth:owner: required key is missing",
    ]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        with_changes(
            environment="PROD!",
            network={"cidr": "300.0.0.0/16", "natGateways": "x", "typo": 1},
            storage={"buckets": {"x": {}}},
        )
    )
    paths = [line.split(": ", 1)[0] for line in found]
    assert paths == [
        "plinth:environment",
        "plinth:network.cidr",
        "plinth:network.natGateways",
        "plinth:network.typo",
        "plinth:storage.buckets.x",
    ]


def test_spec_error_message_lists_every_problem() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(wire({"plinth:environment": "dev"}))
    message = str(caught.value)
    assert message.startswith("invalid stack configuration (3 problem(s)):")
    assert "  plinth:owner: required key is missing" in message.splitlines()


def test_provider_namespaces_are_read_by_their_providers() -> None:
    spec = load_spec(
        wire(MINIMAL) | {"aws:region": "eu-west-1", "pulumi:tags": "{}", "kubernetes:context": "x"}
    )
    assert spec.aws.region == "us-east-1"


def test_a_misspelled_namespace_is_an_error_with_a_did_you_mean() -> None:
    # Pulumi would pass `plinht:network` to nobody: the network would silently keep defaults.
    found = problems(MINIMAL | {"plinht:network": {"cidr": "10.1.0.0/16"}, "aws:regoin": "x"})
    assert found == [
        "plinht:network: unknown config namespace 'plinht': did you mean 'plinth'? nothing "
        "reads it (namespaces read here: aws, coreweave, kubernetes, plinth, pulumi, random)",
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"aws:region": "us-wset-2"},
            "aws:region: 'us-wset-2' is not an AWS region (did you mean 'us-west-2'?)",
        ),
        (
            {"plinth:aws": {"region": "eu-centrl-1"}},
            "plinth:aws.region: 'eu-centrl-1' is not an AWS region (did you mean 'eu-central-1'?)",
        ),
        (
            {"plinth:bedrock": {"enabled": True, "region": "us-east-7"}},
            "plinth:bedrock.region: 'us-east-7' is not an AWS region",
        ),
    ],
)
def test_regions_are_checked_against_the_sdk_s_partition_data(
    config: dict[str, Any], expected: str
) -> None:
    found = problems(MINIMAL | config)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_regions_of_every_partition_are_accepted() -> None:
    for region in ("us-gov-west-1", "cn-north-1", "eu-central-2", "ap-southeast-5"):
        assert load_spec(wire(with_changes(aws={"region": region}))).aws.region == region


def test_yaml_numbers_where_text_is_expected_get_a_hint() -> None:
    cluster = {
        "name": "gpu",
        "cloud": "aws",
        "kubernetesVersion": 1.3,  # `kubernetesVersion: 1.30` in a stack file
        "gpuPools": [{"name": "l4", "instanceTypes": ["g6.xlarge"], "maxNodes": 1}],
    }
    found = problems(
        with_changes(clusters=[cluster], aws={"region": "us-east-1", "accountId": 123456789012})
    )
    assert found == [
        "plinth:aws.accountId: 123456789012 is not a string (YAML reads an unquoted number as "
        "a number, dropping leading zeros or reading it as octal: quote it)",
        "plinth:clusters[0].kubernetesVersion: 1.3 is not allowed; expected '1.33', '1.34' or "
        "'1.35' (YAML reads an unquoted 1.30 as the number 1.3: write it in quotes, \"1.30\")",
    ]


def test_keys_outside_config_are_refused_with_a_hint(tmp_path: Any) -> None:
    from plinth.engine.errors import ProjectError

    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("plinth:environment: dev\nplinth:owner: a@example.com\n")
    with pytest.raises(ProjectError) as caught:
        load_stack_config(find_project(ROOT), "dev", stack_file)
    assert "plinth:environment, plinth:owner are at the top level" in str(caught.value)
    assert "indent them under `config:`" in str(caught.value)


def test_stack_file_schema_accepts_the_dev_stack_and_rejects_typos() -> None:
    schema = stack_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    dev = dev_stack_document()
    assert list(validator.iter_errors(dev)) == []

    dev["config"]["plinth:netwrk"] = {}
    dev["config"]["plinth:network"]["natGateways"] = "double"
    messages = sorted(error.message for error in validator.iter_errors(dev))
    assert any("netwrk" in message for message in messages), messages
    assert any("'double' is not one of" in message for message in messages), messages


def test_stack_file_schema_leaves_other_namespaces_open() -> None:
    validator = jsonschema.Draft202012Validator(stack_file_schema())
    dev = dev_stack_document()
    dev["config"]["aws:profile"] = "dev"
    dev["config"]["owner"] = "unqualified keys are the project's own"
    assert list(validator.iter_errors(dev)) == []
    dev["config"]["region"] = "not a plinth key"
    errors = [error.message for error in validator.iter_errors(dev)]
    assert len(errors) == 1
    assert "'region'" in errors[0]
