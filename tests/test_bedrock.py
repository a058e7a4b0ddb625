"""Amazon Bedrock (issue 5) previewed through the real infra program, asserted on the inputs
the offline engine captures.

Seven stack variants, each previewed once per module: the dev stack (a us. cross-region
inference profile and an embedding model that Bedrock guardrails cannot guard) and six
variants built by changing its `plinth:bedrock` (and classification or tags). Expected ARNs are
written the way a user writes them by hand, from the example account 123456789012, the
region and the model IDs; guardrail and provisioned-model IDs are random, so those come from
their records. AWS's enums (PII entity types, content filter categories) come from botocore's
copy of the Bedrock API model, not from the code under test.

ProjectModelAccess, which the tenant composition will call, is run directly as a small program
under the same mock runtime.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore.session
import pulumi_aws as aws
import pytest
from support import (
    BUCKET,
    BUCKET_POLICY,
    ENDPOINT,
    KMS_KEY,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    bedrock_for_parliament,
    dev_stack_document,
    document,
    iam_findings,
    named,
    of_type,
    one,
    parliament_findings_above_low,
    preview_dev,
    provider_urn,
    required_formats,
    role_arn,
    run_components,
    scope,
    trust_policy_with_resource,
)

from components.bedrock.grants import GuardrailPin, ProjectModelAccess, ProjectModelAccessArgs
from components.bedrock.models import ModelRef
from plinth.audit import StackCompliance, audit_preview
from plinth.engine import Preview, ResourceRecord
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID
from plinth.spec import SpecError

ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_REGION = "us-west-2"
US_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
"""The regions a us. inference profile routes Anthropic models to."""

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"

SONNET_PROFILE_ARN = (
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
)
TITAN_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
HAIKU_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
SONNET_ARNS = [
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
]
TITAN_ANY_REGION = "arn:aws:bedrock:*::foundation-model/amazon.titan-embed-text-v2:0"
BEDROCK_SOURCE_ARN = "arn:aws:bedrock:us-east-1:123456789012:*"
CONFUSED_DEPUTY = {
    "StringEquals": {"aws:SourceAccount": ACCOUNT},
    "ArnLike": {"aws:SourceArn": BEDROCK_SOURCE_ARN},
}
LOG_GROUP_NAME = "/plinth/dev/bedrock/model-invocations"

INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
GUARDRAIL_KEY = "bedrock:GuardrailIdentifier"
PROFILE_KEY = "bedrock:InferenceProfileArn"

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
GUARDRAIL_VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion"
INVOCATION_LOGGING = (
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
)
INFERENCE_PROFILE = "aws:bedrock/inferenceProfile:InferenceProfile"
THROUGHPUT = "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
IAM_POLICY = "aws:iam/policy:Policy"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_PROVIDER = "pulumi:providers:aws"

_BEDROCK_API = botocore.session.get_session().get_service_model("bedrock")
PII_ENTITY_TYPES = tuple(_BEDROCK_API.shape_for("GuardrailPiiEntityType").enum)
CONTENT_FILTER_TYPES = tuple(_BEDROCK_API.shape_for("GuardrailContentFilterType").enum)
HARMFUL = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")


def dev_bedrock() -> dict[str, Any]:
    bedrock: dict[str, Any] = dev_stack_document()["config"]["plinth:bedrock"]
    return bedrock


def bedrock_config(**changes: Any) -> dict[str, Any]:
    """The dev stack's `plinth:bedrock` with top-level keys replaced."""
    return {**dev_bedrock(), **copy.deepcopy(changes)}


def guardrail_config(**changes: Any) -> dict[str, Any]:
    """The dev stack's guardrail settings with keys replaced."""
    guardrail: dict[str, Any] = dev_bedrock()["guardrail"]
    return {**guardrail, **changes}


def throughput(commitment: str) -> dict[str, Any]:
    return {"name": "claude-pt", "model": HAIKU, "modelUnits": 1, "commitment": commitment}


TUNED_LOGGING = {"retentionDays": 90, "imageData": True, "embeddingData": True, "videoData": True}
TUNED_FILTERS = {"HATE": "MEDIUM", "INSULTS": "LOW"}
EXTRA_TAGS = {"team": "ml-platform"}


# --- the previews -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Every optional log type on, other retention, weaker filters, EMAIL dropped, no agent
    runtime endpoint."""
    bedrock = bedrock_config(
        logging=TUNED_LOGGING,
        guardrail=guardrail_config(
            contentFilters=TUNED_FILTERS,
            promptAttackStrength="MEDIUM",
            piiEntities={"EMAIL": "NONE"},
        ),
        endpoints={"runtime": True, "agentRuntime": False},
    )
    return preview_dev(tmp_path_factory.mktemp("tuned"), {"plinth:bedrock": bedrock})


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Guardrail not required, no endpoints, and an extra tag (the guardrail's own settings
    are the dev stack's)."""
    bedrock = bedrock_config(
        guardrail=guardrail_config(required=False), endpoints={"runtime": False}
    )
    return preview_dev(
        tmp_path_factory.mktemp("unguarded"),
        {"plinth:bedrock": bedrock, "plinth:extraTags": EXTRA_TAGS},
    )


@pytest.fixture(scope="module")
def restricted(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Restricted data, only models Bedrock can guard, committed provisioned throughput."""
    bedrock = bedrock_config(
        models=[SONNET_PROFILE, HAIKU], provisionedThroughput=[throughput("OneMonth")]
    )
    return preview_dev(
        tmp_path_factory.mktemp("restricted"),
        {"plinth:bedrock": bedrock, "plinth:dataClassification": "restricted"},
        # The dev tenants use the embedding model this variant leaves out.
        removals=("plinth:tenants",),
    )


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Public data, hourly provisioned throughput."""
    bedrock = bedrock_config(
        models=[SONNET_PROFILE, TITAN, HAIKU], provisionedThroughput=[throughput("none")]
    )
    return preview_dev(
        tmp_path_factory.mktemp("public"),
        {"plinth:bedrock": bedrock, "plinth:dataClassification": "public"},
    )


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    bedrock = bedrock_config(allowProviders=["anthropic"])
    return preview_dev(tmp_path_factory.mktemp("providers"), {"plinth:bedrock": bedrock})


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Bedrock in us-west-2 while the stack is in us-east-1."""
    assert dev_stack_document()["config"]["plinth:aws"]["region"] == REGION
    bedrock = bedrock_config(region=OTHER_REGION, endpoints={"runtime": False})
    return preview_dev(tmp_path_factory.mktemp("elsewhere"), {"plinth:bedrock": bedrock})


VARIANTS = ["dev_preview", "tuned", "unguarded", "restricted", "public", "providers", "elsewhere"]
GUARDED_VARIANTS = [v for v in VARIANTS if v != "unguarded"]
NAMED_MODEL_VARIANTS = [v for v in VARIANTS if v != "providers"]


# --- helpers ----------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def platform_key_arn(preview: Preview) -> str:
    key = named(preview, KMS_KEY, "plinth-dev-platform")
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key.id}"
    assert preview.outputs["platformKeyArn"] == arn
    return arn


def guardrail_arn(preview: Preview, region: str = REGION) -> str:
    """The guardrail's ARN from its ID (the provider's resource ID is `<id>,<version>`)."""
    guardrail_id, _, version = one(preview, GUARDRAIL).id.partition(",")
    assert version == "DRAFT"
    arn = f"arn:aws:bedrock:{region}:{ACCOUNT}:guardrail/{guardrail_id}"
    assert preview.outputs["bedrock"]["guardrailArn"] == arn
    return arn


def pinned_version(preview: Preview, region: str = REGION) -> str:
    """`<guardrail ARN>:1`: the offline cloud publishes version 1."""
    return f"{guardrail_arn(preview, region)}:1"


def approved_models(preview: Preview) -> ResourceRecord:
    return named(preview, IAM_POLICY, "plinth-dev-bedrock-approved-models")


def approved_statements(preview: Preview) -> list[dict[str, Any]]:
    record = approved_models(preview)
    assert record.plain_inputs["name"] == "plinth-dev-bedrock-approved-models"
    statements: list[dict[str, Any]] = document(record, "policy")["Statement"]
    return statements


def normalized(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A statement with every list (and single value) of actions, resources and condition
    values as a sorted list: the order of ARNs means nothing to IAM."""
    result: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ("Action", "NotAction", "Resource", "NotResource"):
            result[key] = sorted(as_list(value))
        elif key == "Condition":
            result[key] = {
                operator: {name: sorted(as_list(v)) for name, v in keys.items()}
                for operator, keys in value.items()
            }
        else:
            result[key] = value
    return result


def by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    sids = [s.get("Sid") for s in statements]
    assert len(set(sids)) == len(sids), sids
    return {s["Sid"]: normalized(s) for s in statements}


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    return {name.lower() for keys in (statement.get("Condition") or {}).values() for name in keys}


def model_part(arn: str) -> str | None:
    """The model a foundation-model or (system) inference-profile ARN names."""
    resource = arn.split(":", 5)[-1]
    for kind in ("foundation-model/", "inference-profile/"):
        if resource.startswith(kind):
            return resource.removeprefix(kind)
    return None


def filters(preview: Preview) -> dict[str, tuple[str, str]]:
    configs = one(preview, GUARDRAIL).plain_inputs["contentPolicyConfig"]["filtersConfigs"]
    found = {f["type"]: (f["inputStrength"], f["outputStrength"]) for f in configs}
    assert len(found) == len(configs), configs
    return found


def pii(preview: Preview) -> dict[str, str]:
    configs = one(preview, GUARDRAIL).plain_inputs["sensitiveInformationPolicyConfig"][
        "piiEntitiesConfigs"
    ]
    found = {entry["type"]: entry["action"] for entry in configs}
    assert len(found) == len(configs), configs
    return found


def issues(findings: list[str]) -> set[str]:
    """The issue names of parliament findings (`SEVERITY ISSUE: detail`)."""
    return {finding.split(" ", 2)[1].rstrip(":") for finding in findings}


def test_the_account_is_the_offline_example_account() -> None:
    assert EXAMPLE_ACCOUNT_ID == ACCOUNT


# --- 1. invocation logging --------------------------------------------------------------------


def log_bucket(preview: Preview) -> ResourceRecord:
    return named(preview, BUCKET, "plinth-dev-bedrock-logs")


def delivery_role(preview: Preview) -> ResourceRecord:
    return named(preview, ROLE, "plinth-dev-bedrock-delivery")


def test_invocation_logging_delivers_text_only_by_default_to_both_destinations(
    dev_preview: Preview,
) -> None:
    config = one(dev_preview, INVOCATION_LOGGING)
    logging = config.plain_inputs["loggingConfig"]
    assert logging["textDataDeliveryEnabled"] is True
    assert logging["imageDataDeliveryEnabled"] is False
    assert logging["embeddingDataDeliveryEnabled"] is False
    assert logging["videoDataDeliveryEnabled"] is False
    assert logging["s3Config"] == {"bucketName": log_bucket(dev_preview).id, "keyPrefix": "bedrock"}
    assert logging["cloudwatchConfig"] == {
        "logGroupName": LOG_GROUP_NAME,
        "roleArn": role_arn(delivery_role(dev_preview)),
    }
    assert dev_preview.outputs["bedrock"]["invocationLogGroup"] == LOG_GROUP_NAME
    assert dev_preview.outputs["bedrock"]["invocationLogBucket"] == log_bucket(dev_preview).id


def test_invocation_logging_logs_images_embeddings_and_video_when_asked(tuned: Preview) -> None:
    logging = one(tuned, INVOCATION_LOGGING).plain_inputs["loggingConfig"]
    assert logging["textDataDeliveryEnabled"] is True
    assert logging["imageDataDeliveryEnabled"] is True
    assert logging["embeddingDataDeliveryEnabled"] is True
    assert logging["videoDataDeliveryEnabled"] is True


def test_invocation_logging_waits_for_the_bucket_policy_and_the_role_policy(
    dev_preview: Preview,
) -> None:
    depends_on = set(one(dev_preview, INVOCATION_LOGGING).depends_on)
    assert named(dev_preview, BUCKET_POLICY, "plinth-dev-bedrock-logs-policy").urn in depends_on
    assert named(dev_preview, ROLE_POLICY, "plinth-dev-bedrock-delivery").urn in depends_on


@pytest.mark.parametrize(("variant_name", "days"), [("dev_preview", 365), ("tuned", 90)])
def test_log_bucket_is_kms_encrypted_versioned_and_expires_after_the_retention(
    request: pytest.FixtureRequest, variant_name: str, days: int
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    bucket = log_bucket(preview)
    sse = named(preview, SSE, "plinth-dev-bedrock-logs-encryption").plain_inputs
    assert sse["bucket"] == bucket.id
    assert [rule["applyServerSideEncryptionByDefault"] for rule in sse["rules"]] == [
        {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": platform_key_arn(preview)}
    ]
    versioning = named(preview, VERSIONING, "plinth-dev-bedrock-logs-versioning").plain_inputs
    assert versioning == {"bucket": bucket.id, "versioningConfiguration": {"status": "Enabled"}}
    (rule,) = named(preview, LIFECYCLE, "plinth-dev-bedrock-logs-lifecycle").plain_inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {}
    assert rule["expiration"] == {"days": days}


def test_log_bucket_admits_only_bedrock_for_this_account_under_the_prefix(
    dev_preview: Preview,
) -> None:
    bucket = log_bucket(dev_preview)
    record = named(dev_preview, BUCKET_POLICY, "plinth-dev-bedrock-logs-policy")
    assert record.plain_inputs["bucket"] == bucket.id
    allows = [s for s in document(record, "policy")["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1, allows
    (grant,) = allows
    assert grant["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert as_list(grant["Action"]) == ["s3:PutObject"]
    assert as_list(grant["Resource"]) == [f"arn:aws:s3:::{bucket.id}/bedrock/*"]
    assert grant["Condition"] == CONFUSED_DEPUTY


def test_log_group_is_named_encrypted_retained_with_the_spec_retention(
    dev_preview: Preview, tuned: Preview
) -> None:
    for preview, days in ((dev_preview, 365), (tuned, 90)):
        group = named(preview, LOG_GROUP, "plinth-dev-bedrock")
        assert group.plain_inputs["name"] == LOG_GROUP_NAME
        assert group.plain_inputs["kmsKeyId"] == platform_key_arn(preview)
        assert group.plain_inputs["retentionInDays"] == days
        assert group.retain_on_delete is True


def test_delivery_role_is_trusted_only_by_bedrock_for_this_account(dev_preview: Preview) -> None:
    (trust,) = document(delivery_role(dev_preview), "assumeRolePolicy")["Statement"]
    assert trust["Effect"] == "Allow"
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert as_list(trust["Action"]) == ["sts:AssumeRole"]
    assert trust["Condition"] == CONFUSED_DEPUTY


def test_delivery_role_may_only_write_the_invocation_log_stream(dev_preview: Preview) -> None:
    record = named(dev_preview, ROLE_POLICY, "plinth-dev-bedrock-delivery")
    assert record.plain_inputs["role"] == delivery_role(dev_preview).id
    (grant,) = document(record, "policy")["Statement"]
    assert grant["Effect"] == "Allow"
    assert sorted(as_list(grant["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert as_list(grant["Resource"]) == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_NAME}"
        ":log-stream:aws/bedrock/modelinvocations"
    ]
    assert "Condition" not in grant
    # The role has no other policy.
    assert [
        r.name
        for r in dev_preview.of_type(ROLE_POLICY)
        if r.plain_inputs["role"] == delivery_role(dev_preview).id
    ] == ["plinth-dev-bedrock-delivery"]


def bedrock_key_statements(key: ResourceRecord) -> list[dict[str, Any]]:
    return [
        s
        for s in document(key, "policy")["Statement"]
        if "bedrock.amazonaws.com" in as_list((s.get("Principal") or {}).get("Service", []))
    ]


def test_platform_key_lets_bedrock_generate_data_keys_for_this_account_only(
    dev_preview: Preview,
) -> None:
    (grant,) = bedrock_key_statements(named(dev_preview, KMS_KEY, "plinth-dev-platform"))
    assert grant["Effect"] == "Allow"
    assert as_list(grant["Action"]) == ["kms:GenerateDataKey"]
    assert grant["Condition"] == CONFUSED_DEPUTY


# --- 2. endpoints -----------------------------------------------------------------------------


def bedrock_endpoints(preview: Preview) -> dict[str, ResourceRecord]:
    found = {
        r.plain_inputs["serviceName"]: r
        for r in preview.of_type(ENDPOINT)
        if ".bedrock" in r.plain_inputs["serviceName"]
    }
    return found


RUNTIME = "com.amazonaws.us-east-1.bedrock-runtime"
AGENT_RUNTIME = "com.amazonaws.us-east-1.bedrock-agent-runtime"


def test_bedrock_endpoints_are_private_interface_endpoints_for_this_account(
    dev_preview: Preview,
) -> None:
    endpoints = bedrock_endpoints(dev_preview)
    assert sorted(endpoints) == sorted([RUNTIME, AGENT_RUNTIME])
    group = named(dev_preview, SECURITY_GROUP, "plinth-dev-net-endpoints")
    for service, record in endpoints.items():
        inputs = record.plain_inputs
        assert inputs["vpcEndpointType"] == "Interface", service
        assert inputs["privateDnsEnabled"] is True, service
        assert inputs["subnetIds"] == dev_preview.outputs["privateSubnetIds"], service
        assert inputs["securityGroupIds"] == [group.id], service
        (grant,) = document(record, "policy")["Statement"]
        assert grant["Effect"] == "Allow"
        assert grant["Principal"] == {"AWS": "*"}
        assert grant["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}


def test_endpoint_security_group_admits_https_from_the_vpc_only(dev_preview: Preview) -> None:
    group = named(dev_preview, SECURITY_GROUP, "plinth-dev-net-endpoints")
    rules = [
        r.plain_inputs
        for r in of_type(dev_preview, INGRESS)
        if r.plain_inputs["securityGroupId"] == group.id
    ]
    cidr = dev_stack_document()["config"]["plinth:network"]["cidr"]
    assert len(rules) == 1, rules
    (rule,) = rules
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrIpv4"] == cidr
    assert not {"cidrIpv6", "referencedSecurityGroupId", "prefixListId"} & set(rule)


def test_without_agent_runtime_only_the_runtime_endpoint(tuned: Preview) -> None:
    assert sorted(bedrock_endpoints(tuned)) == [RUNTIME]


def test_without_runtime_no_bedrock_endpoint(unguarded: Preview, dev_preview: Preview) -> None:
    assert bedrock_endpoints(unguarded) == {}
    others = {r.plain_inputs["serviceName"] for r in dev_preview.of_type(ENDPOINT)}
    assert {r.plain_inputs["serviceName"] for r in unguarded.of_type(ENDPOINT)} == others - {
        RUNTIME,
        AGENT_RUNTIME,
    }


# --- 3. guardrail -----------------------------------------------------------------------------


def test_guardrail_filters_harmful_content_at_high_and_prompt_attacks_on_input(
    dev_preview: Preview,
) -> None:
    assert sorted((*HARMFUL, "PROMPT_ATTACK")) == sorted(CONTENT_FILTER_TYPES)
    expected = dict.fromkeys(HARMFUL, ("HIGH", "HIGH"))
    expected["PROMPT_ATTACK"] = ("HIGH", "NONE")
    assert filters(dev_preview) == expected


def test_guardrail_content_filters_and_prompt_attack_strength_follow_the_spec(
    tuned: Preview,
) -> None:
    expected = dict.fromkeys(HARMFUL, ("HIGH", "HIGH"))
    expected |= {category: (strength, strength) for category, strength in TUNED_FILTERS.items()}
    expected["PROMPT_ATTACK"] = ("MEDIUM", "NONE")
    assert filters(tuned) == expected


def test_internal_data_anonymises_email_and_blocks_secret_keys(dev_preview: Preview) -> None:
    assert dev_stack_document()["config"]["plinth:dataClassification"] == "internal"
    actions = pii(dev_preview)
    assert actions["EMAIL"] == "ANONYMIZE"
    assert actions["AWS_SECRET_KEY"] == "BLOCK"
    assert actions["AWS_ACCESS_KEY"] == "BLOCK"
    assert actions["CREDIT_DEBIT_CARD_NUMBER"] == "BLOCK"
    assert "URL" not in actions
    assert set(actions) <= set(PII_ENTITY_TYPES)


def test_restricted_data_blocks_every_pii_entity_including_urls(restricted: Preview) -> None:
    assert pii(restricted) == dict.fromkeys(PII_ENTITY_TYPES, "BLOCK")


def test_public_data_leaves_email_alone_but_blocks_credentials(public: Preview) -> None:
    actions = pii(public)
    assert "EMAIL" not in actions
    assert actions["AWS_SECRET_KEY"] == "BLOCK"


def test_a_none_override_drops_the_entity(tuned: Preview, dev_preview: Preview) -> None:
    actions = pii(tuned)
    assert "EMAIL" not in actions
    assert actions == {k: v for k, v in pii(dev_preview).items() if k != "EMAIL"}


def test_guardrail_denies_the_spec_topics_with_their_examples(dev_preview: Preview) -> None:
    (topic,) = dev_bedrock()["guardrail"]["deniedTopics"]
    configs = one(dev_preview, GUARDRAIL).plain_inputs["topicPolicyConfig"]["topicsConfigs"]
    assert configs == [
        {
            "name": "Investment advice",
            "definition": topic["definition"],
            "examples": ["Which stocks should I buy this year?"],
            "type": "DENY",
        }
    ]


def test_guardrail_blocks_the_spec_words_and_profanity(dev_preview: Preview) -> None:
    words = one(dev_preview, GUARDRAIL).plain_inputs["wordPolicyConfig"]
    assert words["wordsConfigs"] == [{"text": "project-nightingale"}]
    assert words["managedWordListsConfigs"] == [{"type": "PROFANITY"}]


def test_guardrail_contextual_grounding_thresholds(dev_preview: Preview) -> None:
    configs = one(dev_preview, GUARDRAIL).plain_inputs["contextualGroundingPolicyConfig"][
        "filtersConfigs"
    ]
    assert {c["type"]: c["threshold"] for c in configs} == {"GROUNDING": 0.75, "RELEVANCE": 0.7}
    assert len(configs) == 2


def test_guardrail_version_is_published_from_the_guardrail_and_kept(dev_preview: Preview) -> None:
    version = one(dev_preview, GUARDRAIL_VERSION)
    assert version.plain_inputs["guardrailArn"] == guardrail_arn(dev_preview)
    assert version.plain_inputs["skipDestroy"] is True
    assert one(dev_preview, GUARDRAIL).urn in version.depends_on
    assert dev_preview.outputs["bedrock"]["guardrailVersionArn"] == pinned_version(dev_preview)


def without_tags(record: ResourceRecord) -> dict[str, Any]:
    return {k: v for k, v in record.plain_inputs.items() if k != "tags"}


def test_a_guardrail_setting_change_publishes_a_new_version(
    dev_preview: Preview, tuned: Preview, restricted: Preview
) -> None:
    dev_description = one(dev_preview, GUARDRAIL_VERSION).plain_inputs["description"]
    for changed in (tuned, restricted):
        assert without_tags(one(changed, GUARDRAIL)) != without_tags(one(dev_preview, GUARDRAIL))
        assert one(changed, GUARDRAIL_VERSION).plain_inputs["description"] != dev_description


def test_a_tag_change_publishes_no_new_version(dev_preview: Preview, unguarded: Preview) -> None:
    before, after = one(dev_preview, GUARDRAIL), one(unguarded, GUARDRAIL)
    assert after.plain_inputs["tags"] == {**before.plain_inputs["tags"], **EXTRA_TAGS}
    assert without_tags(after) == without_tags(before)
    assert (
        one(unguarded, GUARDRAIL_VERSION).plain_inputs["description"]
        == one(dev_preview, GUARDRAIL_VERSION).plain_inputs["description"]
    )


# --- 4. the approved-models policy ------------------------------------------------------------


def test_dev_approved_models_policy_statements(dev_preview: Preview) -> None:
    guardrail = guardrail_arn(dev_preview)
    pinned = {"StringEquals": {GUARDRAIL_KEY: f"{guardrail}:1"}}
    expected = [
        {
            "Sid": "InvokeApprovedModels",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": [SONNET_PROFILE_ARN],
            "Condition": pinned,
        },
        {
            "Sid": "InvokeApprovedModelsBehindProfiles",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": SONNET_ARNS,
            "Condition": {**pinned, "StringLike": {PROFILE_KEY: [SONNET_PROFILE_ARN]}},
        },
        {
            "Sid": "InvokeModelsWithoutGuardrailSupport",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": [TITAN_ARN],
        },
        {
            "Sid": "ApplyPlatformGuardrail",
            "Effect": "Allow",
            "Action": ["bedrock:ApplyGuardrail"],
            "Resource": [guardrail],
        },
        {
            "Sid": "DenyModelCallsWithoutPlatformGuardrail",
            "Effect": "Deny",
            "Action": INVOKE,
            "NotResource": [TITAN_ANY_REGION],
            "Condition": {"StringNotEquals": {GUARDRAIL_KEY: f"{guardrail}:1"}},
        },
    ]
    assert by_sid(approved_statements(dev_preview)) == by_sid(expected)
    assert dev_preview.outputs["bedrock"]["approvedModelsPolicyArn"] == (
        f"arn:aws:iam::{ACCOUNT}:policy/plinth-dev-bedrock-approved-models"
    )


def test_with_only_guardable_models_the_deny_covers_every_model_kind(restricted: Preview) -> None:
    statements = by_sid(approved_statements(restricted))
    deny = statements["DenyModelCallsWithoutPlatformGuardrail"]
    assert deny == normalized(
        {
            "Sid": "DenyModelCallsWithoutPlatformGuardrail",
            "Effect": "Deny",
            "Action": INVOKE,
            "Resource": [
                "arn:aws:bedrock:*::foundation-model/*",
                f"arn:aws:bedrock:*:{ACCOUNT}:inference-profile/*",
                f"arn:aws:bedrock:*:{ACCOUNT}:application-inference-profile/*",
                f"arn:aws:bedrock:*:{ACCOUNT}:provisioned-model/*",
            ],
            "Condition": {"StringNotEquals": {GUARDRAIL_KEY: pinned_version(restricted)}},
        }
    )
    assert "InvokeModelsWithoutGuardrailSupport" not in statements


def test_without_a_required_guardrail_no_statement_names_one_and_nothing_is_denied(
    unguarded: Preview,
) -> None:
    statements = approved_statements(unguarded)
    assert [s for s in statements if s["Effect"] == "Deny"] == []
    for entry in statements:
        assert GUARDRAIL_KEY.lower() not in condition_keys(entry), entry
    approved = by_sid(statements)["InvokeApprovedModels"]
    assert approved["Resource"] == [SONNET_PROFILE_ARN]
    assert unguarded.outputs["bedrock"]["guardrailRequired"] is False


@pytest.mark.parametrize("variant_name", GUARDED_VARIANTS)
def test_every_guarded_invoke_grant_pins_the_guardrail_version(
    request: pytest.FixtureRequest, variant_name: str
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    region = OTHER_REGION if variant_name == "elsewhere" else REGION
    pinned = [pinned_version(preview, region)]
    guarded = [
        entry
        for entry in approved_statements(preview)
        if entry["Effect"] == "Allow" and entry["Sid"].startswith("InvokeApprovedModels")
    ]
    assert len(guarded) == 2, guarded
    for entry in guarded:
        assert normalized(entry)["Condition"]["StringEquals"] == {GUARDRAIL_KEY: pinned}


@pytest.mark.parametrize("variant_name", NAMED_MODEL_VARIANTS)
def test_no_allow_names_a_wildcard_model_without_allow_providers(
    request: pytest.FixtureRequest, variant_name: str
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    for entry in approved_statements(preview):
        if entry["Effect"] != "Allow":
            continue
        for arn in as_list(entry.get("Resource", [])):
            model = model_part(arn)
            assert model is None or not set(model) & {"*", "?"}, (entry["Sid"], arn)
        assert "NotResource" not in entry, entry


def test_allow_providers_grants_the_provider_family_and_the_pack_reports_it(
    providers: Preview, dev_preview: Preview
) -> None:
    statements = by_sid(approved_statements(providers))
    assert (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"
        in (statements["InvokeApprovedModels"]["Resource"])
    )
    compliance = StackCompliance(profiles=["baseline"], waivers=[])
    reported = [
        f
        for f in audit_preview(providers, compliance).findings
        if f.policy == "bedrock-provider-wide-model-grant"
    ]
    assert {(f.type, f.name) for f in reported} == {
        (IAM_POLICY, "plinth-dev-bedrock-approved-models")
    }
    assert any(f.message.endswith("allows every model matching 'anthropic.*'") for f in reported)
    assert [
        f
        for f in audit_preview(dev_preview, compliance).findings
        if f.policy == "bedrock-provider-wide-model-grant"
    ] == []


# --- 5. ProjectModelAccess --------------------------------------------------------------------

PROJECT_GUARDRAIL = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abcdef123456"
PROJECT_TAGS = {"cost-center": "cc-search", "owner": "search-team@example.com"}


@pytest.fixture(scope="module")
def project() -> Preview:
    """A project with a profile model, a plain model and an embedding model; its statements
    attached to a policy as the tenant composition will."""

    def body() -> None:
        access = ProjectModelAccess(
            "search-models",
            ProjectModelAccessArgs(
                scope=scope(),
                project="search",
                models=[ModelRef.parse(m) for m in (SONNET_PROFILE, HAIKU, TITAN)],
                tags=PROJECT_TAGS,
                guardrail=GuardrailPin(PROJECT_GUARDRAIL, f"{PROJECT_GUARDRAIL}:3"),
            ),
        )
        aws.iam.Policy("search-workload-models", policy=access.policy)

    return run_components(body)


def application_profiles(preview: Preview) -> dict[str, ResourceRecord]:
    """Application inference profiles by the model ID they are for (their description)."""
    return {
        r.plain_inputs["description"].removesuffix(" for project search"): r
        for r in preview.of_type(INFERENCE_PROFILE)
    }


def application_profile_arn(record: ResourceRecord) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/{record.id}"


def test_project_gets_one_application_profile_per_guardable_model_named_after_it(
    project: Preview,
) -> None:
    # The embedding model gets none: its grant has no guardrail condition, so it must name
    # the model itself, not an opaque profile.
    records = project.of_type(INFERENCE_PROFILE)
    assert sorted(r.plain_inputs["name"] for r in records) == sorted(
        "search-" + model.replace(".", "-").replace(":", "-") for model in (SONNET_PROFILE, HAIKU)
    )
    for record in records:
        # What CreateInferenceProfile accepts (the Bedrock API model); the model IDs'
        # dots and colons are not.
        assert re.fullmatch(r"([0-9a-zA-Z][ _-]?)+", record.plain_inputs["name"])
        assert len(record.plain_inputs["name"]) <= 64


def test_project_profiles_copy_the_system_profile_or_the_foundation_model(
    project: Preview,
) -> None:
    profiles = application_profiles(project)
    sources = {model: r.plain_inputs["modelSource"] for model, r in profiles.items()}
    assert sources == {
        SONNET_PROFILE: {"copyFrom": SONNET_PROFILE_ARN},
        HAIKU: {"copyFrom": HAIKU_ARN},
    }


def test_project_profiles_carry_the_project_and_cost_center_tags(project: Preview) -> None:
    for record in project.of_type(INFERENCE_PROFILE):
        tags = record.plain_inputs["tags"]
        assert tags["project"] == "search", record.name
        assert tags["cost-center"] == "cc-search", record.name


def test_project_statements_grant_its_profiles_and_the_models_behind_them(
    project: Preview,
) -> None:
    profiles = {m: application_profile_arn(r) for m, r in application_profiles(project).items()}
    statements = by_sid(document(one(project, IAM_POLICY), "policy")["Statement"])
    pinned = {"StringEquals": {GUARDRAIL_KEY: [f"{PROJECT_GUARDRAIL}:3"]}}
    approved = statements["InvokeApprovedModels"]
    assert approved["Resource"] == sorted(
        [HAIKU_ARN, SONNET_PROFILE_ARN, profiles[SONNET_PROFILE], profiles[HAIKU]]
    )
    assert approved["Condition"] == pinned
    behind = statements["InvokeApprovedModelsBehindProfiles"]
    assert behind["Resource"] == sorted([*SONNET_ARNS, HAIKU_ARN])
    assert behind["Condition"] == {
        **pinned,
        "StringLike": {
            PROFILE_KEY: sorted([SONNET_PROFILE_ARN, profiles[SONNET_PROFILE], profiles[HAIKU]])
        },
    }
    unguardable = statements["InvokeModelsWithoutGuardrailSupport"]
    assert unguardable["Resource"] == [TITAN_ARN]
    assert "Condition" not in unguardable
    deny = statements["DenyModelCallsWithoutPlatformGuardrail"]
    assert deny["NotResource"] == [TITAN_ANY_REGION]


# --- 6. provisioned throughput ----------------------------------------------------------------


def test_committed_throughput_is_bought_for_the_foundation_model_and_protected(
    restricted: Preview,
) -> None:
    record = one(restricted, THROUGHPUT)
    inputs = record.plain_inputs
    assert inputs["modelArn"] == HAIKU_ARN
    assert inputs["commitmentDuration"] == "OneMonth"
    assert inputs["modelUnits"] == 1
    assert inputs["provisionedModelName"] == "plinth-dev-claude-pt"
    assert record.protect is True


def test_hourly_throughput_has_no_commitment_and_is_not_protected(public: Preview) -> None:
    record = one(public, THROUGHPUT)
    assert record.plain_inputs["modelArn"] == HAIKU_ARN
    assert record.plain_inputs.get("commitmentDuration") is None
    assert record.protect is False


@pytest.mark.parametrize("variant_name", ["restricted", "public"])
def test_provisioned_model_is_in_the_guarded_grant(
    request: pytest.FixtureRequest, variant_name: str
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    arn = one(preview, THROUGHPUT).id  # the provider's ID is the provisioned-model ARN
    assert arn.startswith(f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/")
    assert preview.outputs["bedrock"]["provisionedModels"] == {"claude-pt": arn}
    approved = by_sid(approved_statements(preview))["InvokeApprovedModels"]
    assert arn in approved["Resource"]
    assert approved["Condition"]["StringEquals"] == {GUARDRAIL_KEY: [pinned_version(preview)]}


# --- 7. Bedrock in another region -------------------------------------------------------------

BEDROCK_TYPES = (
    GUARDRAIL,
    GUARDRAIL_VERSION,
    INVOCATION_LOGGING,
    IAM_POLICY,
)


def test_bedrock_elsewhere_uses_a_provider_for_its_region(elsewhere: Preview) -> None:
    providers_by_region = {p.plain_inputs["region"]: p for p in elsewhere.of_type(AWS_PROVIDER)}
    assert sorted(providers_by_region) == sorted([REGION, OTHER_REGION])
    bedrock_provider = providers_by_region[OTHER_REGION].urn
    for type_ in BEDROCK_TYPES:
        # IAM policies of other layers (a tenant's MLOps access) stay in the stack's region.
        for record in of_type(elsewhere, type_, "-bedrock-"):
            assert provider_urn(record) == bedrock_provider, record.name
    for record in (
        log_bucket(elsewhere),
        named(elsewhere, LOG_GROUP, "plinth-dev-bedrock"),
        delivery_role(elsewhere),
    ):
        assert provider_urn(record) == bedrock_provider, record.name
    # The network and the platform key stay in the stack's region.
    assert provider_urn(named(elsewhere, KMS_KEY, "plinth-dev-platform")) == (
        providers_by_region[REGION].urn
    )
    assert elsewhere.outputs["bedrock"]["region"] == OTHER_REGION


def test_bedrock_elsewhere_has_its_own_key_and_access_log_bucket_there(elsewhere: Preview) -> None:
    key = named(elsewhere, KMS_KEY, "plinth-dev-bedrock-key")
    key_arn = f"arn:aws:kms:{OTHER_REGION}:{ACCOUNT}:key/{key.id}"
    access_logs = named(elsewhere, BUCKET, "plinth-dev-bedrock-access-logs")
    bedrock_provider = provider_urn(key)
    assert provider_urn(access_logs) == bedrock_provider
    assert named(elsewhere, LOG_GROUP, "plinth-dev-bedrock").plain_inputs["kmsKeyId"] == key_arn
    sse = named(elsewhere, SSE, "plinth-dev-bedrock-logs-encryption").plain_inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key_arn
    logging = named(elsewhere, BUCKET_LOGGING, "plinth-dev-bedrock-logs-logging").plain_inputs
    assert logging["targetBucket"] == access_logs.id
    (grant,) = bedrock_key_statements(key)
    assert grant["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:bedrock:{OTHER_REGION}:{ACCOUNT}:*"
    }
    # The stack's key is not opened to Bedrock in a region where it logs nothing.
    assert bedrock_key_statements(named(elsewhere, KMS_KEY, "plinth-dev-platform")) == []


def test_bedrock_elsewhere_grants_name_that_region(elsewhere: Preview) -> None:
    profile = (
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/"
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    titan = "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-embed-text-v2:0"
    statements = by_sid(approved_statements(elsewhere))
    assert statements["InvokeApprovedModels"]["Resource"] == [profile]
    assert statements["InvokeApprovedModelsBehindProfiles"]["Resource"] == SONNET_ARNS
    assert statements["InvokeApprovedModelsBehindProfiles"]["Condition"]["StringLike"] == {
        PROFILE_KEY: [profile]
    }
    assert statements["InvokeModelsWithoutGuardrailSupport"]["Resource"] == [titan]
    assert statements["ApplyPlatformGuardrail"]["Resource"] == [
        guardrail_arn(elsewhere, OTHER_REGION)
    ]
    assert (
        named(elsewhere, BUCKET_POLICY, "plinth-dev-bedrock-logs-policy")
        .plain_inputs["policy"]
        .count(f"arn:aws:bedrock:{OTHER_REGION}:{ACCOUNT}:*")
        == 1
    )


def test_bedrock_elsewhere_has_no_bedrock_endpoint(elsewhere: Preview) -> None:
    assert bedrock_endpoints(elsewhere) == {}


# --- 8. parliament ----------------------------------------------------------------------------
#
# parliament 1.6.4 misjudges Bedrock invoke grants three ways. bedrock_for_parliament (support)
# rewrites away the first two, which are about the document's text; the third is about how
# parliament reads its IAM database, so iam_findings (support) handles it on the findings.


def test_parliament_asks_for_every_resource_type_of_invoke_model() -> None:
    """Why iam_findings exists: a grant on one foundation model (no ':' in its ID, no
    condition) is reported by parliament itself, not by iam_findings."""
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "bedrock:InvokeModel",
                    "Resource": "arn:aws:bedrock:us-east-1::foundation-model/cohere.command-r-v1",
                }
            ],
        }
    )
    assert issues(parliament_findings_above_low(policy)) == {"RESOURCE_MISMATCH"}
    assert iam_findings(policy) == []
    assert len(required_formats("bedrock:InvokeModel")) > 1


def test_parliament_needs_the_bedrock_rewrite_for_exactly_its_two_gaps(
    dev_preview: Preview,
) -> None:
    raw = approved_models(dev_preview).plain_inputs["policy"]
    assert issues(parliament_findings_above_low(raw)) == {
        "RESOURCE_MISMATCH",
        "UNKNOWN_CONDITION_FOR_ACTION",
    }
    # Needed: without the rewrite, ':' in the model IDs leaves statements matching no type
    # InvokeModel takes, and the condition key is unknown.
    unrewritten = iam_findings(raw)
    assert issues(unrewritten) == {"RESOURCE_MISMATCH", "UNKNOWN_CONDITION_FOR_ACTION"}
    for finding in unrewritten:
        if "UNKNOWN_CONDITION_FOR_ACTION" in finding:
            assert "bedrock:GuardrailIdentifier" in finding, finding
    # Sufficient: with it, nothing is left.
    assert iam_findings(bedrock_for_parliament(raw)) == []


def test_the_bedrock_rewrite_changes_only_model_ids_and_the_guardrail_key(
    dev_preview: Preview,
) -> None:
    raw = approved_models(dev_preview).plain_inputs["policy"]
    rewritten = json.loads(bedrock_for_parliament(raw))
    expected = json.loads(
        raw.replace("-v1:0", "-v1?0").replace("-v2:0", "-v2?0").replace(GUARDRAIL_KEY, PROFILE_KEY)
    )
    # Condition values keep their ':' (parliament only type-checks them).
    behind = statement_by_sid(expected, "InvokeApprovedModelsBehindProfiles")
    behind["Condition"]["StringLike"][PROFILE_KEY] = [SONNET_PROFILE_ARN]
    assert rewritten == expected


def statement_by_sid(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in policy["Statement"] if s.get("Sid") == sid]
    return found


def test_the_bedrock_rewrite_leaves_other_mistakes_visible(dev_preview: Preview) -> None:
    policy = document(approved_models(dev_preview), "policy")
    policy["Statement"].append(
        {
            "Sid": "Mistakes",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": "arn:aws:s3:::not-a-model/*",
            "Condition": {"StringEquals": {"bedrock:NoSuchKey": "x"}},
        }
    )
    findings = iam_findings(bedrock_for_parliament(json.dumps(policy)))
    assert issues(findings) == {"RESOURCE_MISMATCH", "UNKNOWN_CONDITION_FOR_ACTION"}
    assert all("bedrock:NoSuchKey" in f for f in findings if "UNKNOWN_CONDITION" in f), findings


@pytest.mark.parametrize(
    "variant_name", ["dev_preview", "restricted", "public", "providers", "elsewhere"]
)
def test_approved_models_policy_has_no_parliament_findings_above_low(
    request: pytest.FixtureRequest, variant_name: str
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    policy = approved_models(preview).plain_inputs["policy"]
    assert iam_findings(bedrock_for_parliament(policy)) == []


def test_project_policy_has_no_parliament_findings_above_low(project: Preview) -> None:
    policy = one(project, IAM_POLICY).plain_inputs["policy"]
    assert iam_findings(bedrock_for_parliament(policy)) == []


def test_logging_and_endpoint_documents_have_no_parliament_findings_above_low(
    dev_preview: Preview,
) -> None:
    documents = {
        "delivery trust": trust_policy_with_resource(delivery_role(dev_preview)),
        "delivery inline": named(
            dev_preview, ROLE_POLICY, "plinth-dev-bedrock-delivery"
        ).plain_inputs["policy"],
        "log bucket": named(
            dev_preview, BUCKET_POLICY, "plinth-dev-bedrock-logs-policy"
        ).plain_inputs["policy"],
        **{
            service: record.plain_inputs["policy"]
            for service, record in bedrock_endpoints(dev_preview).items()
        },
    }
    assert len(documents) == 5
    findings = {name: parliament_findings_above_low(policy) for name, policy in documents.items()}
    assert {name: f for name, f in findings.items() if f} == {}


@pytest.mark.parametrize("variant_name", [*VARIANTS, "project"])
def test_bedrock_previews_report_no_diagnostics(
    request: pytest.FixtureRequest, variant_name: str
) -> None:
    preview: Preview = request.getfixturevalue(variant_name)
    assert preview.diagnostics == []


def test_an_invalid_bedrock_section_stops_the_preview(tmp_path: Path) -> None:
    """The program validates the spec first: a bad model ID registers nothing."""
    with pytest.raises(SpecError) as caught:
        preview_dev(tmp_path, {"plinth:bedrock": bedrock_config(models=["not-a-model"])})
    assert [p.path for p in caught.value.problems] == ["plinth:bedrock.models[0]"]


# --- grants for models Bedrock cannot guard --------------------------------------------------


def test_throughput_of_an_unguardable_model_is_callable_without_a_guardrail(
    tmp_path: Path,
) -> None:
    bedrock = bedrock_config(
        provisionedThroughput=[
            {"name": "embed-pt", "model": TITAN, "modelUnits": 1, "commitment": "none"}
        ]
    )
    preview = preview_dev(tmp_path, {"plinth:bedrock": bedrock})
    arn = one(preview, THROUGHPUT).id
    statements = by_sid(approved_statements(preview))
    assert arn in statements["InvokeModelsWithoutGuardrailSupport"]["Resource"]
    assert arn not in statements["InvokeApprovedModels"]["Resource"]
    assert arn in statements["DenyModelCallsWithoutPlatformGuardrail"]["NotResource"]


def test_project_policy_passes_the_guardrail_rule_under_hipaa(project: Preview) -> None:
    compliance = StackCompliance(profiles=["baseline", "hipaa"], waivers=[])
    assert [
        f.message
        for f in audit_preview(project, compliance).findings
        if f.policy == "bedrock-invoke-requires-guardrail"
    ] == []
