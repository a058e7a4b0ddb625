"""The `bedrock` section of the spec: every kind of mistake gets one problem at its exact path,
several mistakes are all reported at once, and the checks against the rest of the stack
(region, network endpoints) name what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plinth.spec import SpecError, load_spec

MINIMAL = {
    "plinth:environment": "dev",
    "plinth:owner": "team@example.com",
    "plinth:costCenter": "cc-1",
    "plinth:aws": {"region": "us-east-1"},
}
SONNET_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def wire(config: dict[str, Any]) -> dict[str, str]:
    """Encode like Pulumi: objects and lists as JSON strings, scalars as strings."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
    }


def topic(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "Investment advice",
        "definition": "Recommendations to buy, sell or hold specific securities.",
        "examples": ["Which stocks should I buy this year?"],
    }
    return {**base, **changes}


def bedrock(guardrail: dict[str, Any] | None = None, **keys: Any) -> dict[str, Any]:
    """A valid enabled Bedrock section (as in the dev stack), with guardrail and top-level
    keys changed."""
    base_guardrail = {
        "deniedTopics": [topic()],
        "blockedWords": ["project-nightingale"],
        "contextualGrounding": {"grounding": 0.75, "relevance": 0.7},
    }
    return {
        "enabled": True,
        "models": [SONNET_PROFILE, TITAN],
        "guardrail": {**base_guardrail, **(guardrail or {})},
        "logging": {"retentionDays": 365},
        "endpoints": {"runtime": True, "agentRuntime": True},
        **keys,
    }


def config(section: dict[str, Any], **stack: Any) -> dict[str, Any]:
    return {**MINIMAL, "plinth:bedrock": section, **{f"plinth:{k}": v for k, v in stack.items()}}


def problems(section: dict[str, Any], **stack: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(wire(config(section, **stack)))
    return [(problem.path, problem.message) for problem in caught.value.problems]


def throughput(model: str = HAIKU, **changes: Any) -> dict[str, Any]:
    return {
        "name": "claude-pt",
        "model": model,
        "modelUnits": 1,
        "commitment": "OneMonth",
        **changes,
    }


def test_the_base_section_is_valid() -> None:
    """The cases below break it one key at a time: each problem is the change's own."""
    spec = load_spec(wire(config(bedrock())))
    assert spec.bedrock.enabled is True
    assert [ref.id for ref in spec.bedrock.refs()] == [SONNET_PROFILE, TITAN]
    assert spec.bedrock.guardrail.denied_topics[0].name == "Investment advice"


@pytest.mark.parametrize(
    ("section", "stack"),
    [
        pytest.param(bedrock(models=[SONNET_PROFILE, HAIKU]), {}, id="models"),
        pytest.param(bedrock(models=[], allowProviders=["anthropic"]), {}, id="providers-only"),
        pytest.param(
            bedrock(models=[HAIKU], provisionedThroughput=[throughput()]), {}, id="throughput"
        ),
        pytest.param(
            bedrock(
                models=[SONNET_PROFILE],
                allowProviders=["anthropic"],
                provisionedThroughput=[throughput(commitment="none")],
            ),
            {},
            id="throughput-of-an-approved-provider",
        ),
        pytest.param(
            bedrock(region="us-west-2", endpoints={"runtime": False}), {}, id="other-region"
        ),
        pytest.param(
            bedrock(models=["eu.anthropic.claude-sonnet-4-5-20250929-v1:0"]),
            {"aws": {"region": "eu-west-1"}},
            id="eu-profile-in-eu",
        ),
        pytest.param({"enabled": False}, {}, id="disabled-without-models"),
        pytest.param({}, {}, id="empty"),
        pytest.param(
            bedrock(guardrail={"piiEntities": {"EMAIL": "NONE", "URL": "BLOCK"}}), {}, id="pii"
        ),
        pytest.param(
            bedrock(guardrail={"contentFilters": {"HATE": "LOW"}, "promptAttackStrength": "LOW"}),
            {},
            id="filters",
        ),
        pytest.param(
            bedrock(guardrail={"contextualGrounding": {"grounding": 0.99, "relevance": 0}}),
            {},
            id="grounding-bounds",
        ),
        pytest.param(
            bedrock(guardrail={"deniedTopics": [topic(name="Crypto-tips_v2 ok? yes!")]}),
            {},
            id="topic-name-punctuation",
        ),
    ],
)
def test_valid_sections(section: dict[str, Any], stack: dict[str, Any]) -> None:
    load_spec(wire(config(section, **stack)))


def test_disabled_bedrock_needs_no_models() -> None:
    spec = load_spec(wire(config({"enabled": False})))
    assert spec.bedrock.enabled is False
    assert spec.bedrock.models == ()


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    # (id, bedrock section, other stack keys, problem path, message fragment)
    (
        "bad-model-id",
        bedrock(models=["claude-3-haiku"]),
        {},
        "plinth:bedrock.models[0]",
        "'claude-3-haiku' is not a Bedrock model ID",
    ),
    (
        "model-id-with-a-geography-as-provider",
        bedrock(models=["us.eu.anthropic.claude-v2"]),
        {},
        "plinth:bedrock.models[0]",
        "'us.eu.anthropic.claude-v2' is not a Bedrock model ID",
    ),
    (
        "duplicate-models",
        bedrock(models=[TITAN, SONNET_PROFILE, TITAN]),
        {},
        "plinth:bedrock.models",
        f"'{TITAN}' listed more than once",
    ),
    (
        "enabled-without-models-or-providers",
        {"enabled": True},
        {},
        "plinth:bedrock",
        "enabled Bedrock needs at least one entry in models or allowProviders",
    ),
    (
        "bad-provider",
        bedrock(allowProviders=["Anthropic"]),
        {},
        "plinth:bedrock.allowProviders[0]",
        "'Anthropic' is not a Bedrock model provider",
    ),
    (
        "duplicate-provider",
        bedrock(allowProviders=["anthropic", "anthropic"]),
        {},
        "plinth:bedrock.allowProviders",
        "'anthropic' listed more than once",
    ),
    (
        "us-profile-with-bedrock-in-eu-west-1",
        bedrock(region="eu-west-1", endpoints={"runtime": False}),
        {},
        "plinth:bedrock",
        f"models: '{SONNET_PROFILE}' is a us. inference profile, which eu-west-1 cannot call",
    ),
    (
        "us-profile-in-an-eu-west-1-stack",
        bedrock(),
        {"aws": {"region": "eu-west-1"}},
        "plinth:bedrock",
        f"models: '{SONNET_PROFILE}' is a us. inference profile, which eu-west-1 cannot call",
    ),
    (
        "endpoints-with-bedrock-in-another-region",
        bedrock(region="us-west-2"),
        {},
        "plinth:bedrock",
        "endpoints: a VPC endpoint in us-east-1 cannot reach Bedrock in us-west-2",
    ),
    (
        "agent-runtime-endpoint-with-bedrock-in-another-region",
        bedrock(region="us-west-2", endpoints={"runtime": False, "agentRuntime": True}),
        {},
        "plinth:bedrock",
        "endpoints: a VPC endpoint in us-east-1 cannot reach Bedrock in us-west-2",
    ),
    (
        "runtime-endpoint-also-under-network",
        bedrock(),
        {"network": {"interfaceEndpoints": ["sts", "bedrock-runtime"]}},
        "plinth:bedrock",
        "endpoints: bedrock-runtime also listed in plinth:network.interfaceEndpoints",
    ),
    (
        "throughput-for-an-inference-profile",
        bedrock(provisionedThroughput=[throughput(SONNET_PROFILE)]),
        {},
        "plinth:bedrock.provisionedThroughput[0].model",
        f"'{SONNET_PROFILE}' is an inference profile",
    ),
    (
        "throughput-for-a-model-not-approved",
        bedrock(provisionedThroughput=[throughput(HAIKU)]),
        {},
        "plinth:bedrock",
        f"provisionedThroughput model(s) '{HAIKU}' are not in models or allowProviders",
    ),
    (
        "throughput-with-a-bad-commitment",
        bedrock(models=[HAIKU], provisionedThroughput=[throughput(commitment="TwoMonths")]),
        {},
        "plinth:bedrock.provisionedThroughput[0].commitment",
        "'TwoMonths' is not allowed",
    ),
    (
        "throughput-without-a-commitment",
        bedrock(
            models=[HAIKU],
            provisionedThroughput=[
                {"name": "claude-pt", "model": HAIKU, "modelUnits": 1},
            ],
        ),
        {},
        "plinth:bedrock.provisionedThroughput[0].commitment",
        "required key is missing",
    ),
    (
        "throughput-with-zero-units",
        bedrock(models=[HAIKU], provisionedThroughput=[throughput(modelUnits=0)]),
        {},
        "plinth:bedrock.provisionedThroughput[0].modelUnits",
        "0 is too small; the minimum is 1",
    ),
    (
        "duplicate-throughput-names",
        bedrock(models=[HAIKU], provisionedThroughput=[throughput(), throughput()]),
        {},
        "plinth:bedrock.provisionedThroughput",
        "'claude-pt' listed more than once",
    ),
    (
        "unknown-pii-entity",
        bedrock(guardrail={"piiEntities": {"EMAIL_ADDRESS": "BLOCK"}}),
        {},
        "plinth:bedrock.guardrail.piiEntities",
        "'EMAIL_ADDRESS' not a Bedrock PII entity type",
    ),
    (
        "bad-pii-action",
        bedrock(guardrail={"piiEntities": {"EMAIL": "MASK"}}),
        {},
        "plinth:bedrock.guardrail.piiEntities.EMAIL",
        "'MASK' is not allowed",
    ),
    (
        "unknown-content-category",
        bedrock(guardrail={"contentFilters": {"HATE_SPEECH": "LOW"}}),
        {},
        "plinth:bedrock.guardrail.contentFilters",
        "'HATE_SPEECH' not a content filter category",
    ),
    (
        "prompt-attack-is-not-a-content-category",
        bedrock(guardrail={"contentFilters": {"PROMPT_ATTACK": "LOW"}}),
        {},
        "plinth:bedrock.guardrail.contentFilters",
        "'PROMPT_ATTACK' not a content filter category",
    ),
    (
        "bad-prompt-attack-strength",
        bedrock(guardrail={"promptAttackStrength": "EXTREME"}),
        {},
        "plinth:bedrock.guardrail.promptAttackStrength",
        "'EXTREME' is not allowed",
    ),
    (
        "topic-name-with-bad-characters",
        bedrock(guardrail={"deniedTopics": [topic(name="stocks/bonds")]}),
        {},
        "plinth:bedrock.guardrail.deniedTopics[0].name",
        "'stocks/bonds' is not a guardrail topic name",
    ),
    (
        "topic-definition-over-200",
        bedrock(guardrail={"deniedTopics": [topic(definition="x" * 201)]}),
        {},
        "plinth:bedrock.guardrail.deniedTopics[0].definition",
        "at most 200 characters",
    ),
    (
        "topic-with-more-than-5-examples",
        bedrock(guardrail={"deniedTopics": [topic(examples=[f"example {n}" for n in range(6)])]}),
        {},
        "plinth:bedrock.guardrail.deniedTopics[0].examples",
        "at most 5 items",
    ),
    (
        "topic-example-over-100",
        bedrock(guardrail={"deniedTopics": [topic(examples=["x" * 101])]}),
        {},
        "plinth:bedrock.guardrail.deniedTopics[0].examples[0]",
        "at most 100 characters",
    ),
    (
        "duplicate-topic-names",
        bedrock(guardrail={"deniedTopics": [topic(), topic(definition="Other words.")]}),
        {},
        "plinth:bedrock.guardrail.deniedTopics",
        "'Investment advice' listed more than once",
    ),
    (
        "blocked-word-over-100",
        bedrock(guardrail={"blockedWords": ["w" * 101]}),
        {},
        "plinth:bedrock.guardrail.blockedWords[0]",
        "at most 100 characters",
    ),
    (
        "duplicate-blocked-words",
        bedrock(guardrail={"blockedWords": ["nightingale", "nightingale"]}),
        {},
        "plinth:bedrock.guardrail.blockedWords",
        "'nightingale' listed more than once",
    ),
    (
        "grounding-threshold-1",
        bedrock(guardrail={"contextualGrounding": {"grounding": 1.0}}),
        {},
        "plinth:bedrock.guardrail.contextualGrounding.grounding",
        "1.0 is too large; the maximum is 0.99",
    ),
    (
        "relevance-threshold-negative",
        bedrock(guardrail={"contextualGrounding": {"relevance": -0.1}}),
        {},
        "plinth:bedrock.guardrail.contextualGrounding.relevance",
        "-0.1 is too small; the minimum is 0",
    ),
    (
        "bad-region",
        bedrock(region="us-east"),
        {},
        "plinth:bedrock.region",
        "'us-east' is not an AWS region",
    ),
    (
        "bad-log-retention",
        bedrock(logging={"retentionDays": 100}),
        {},
        "plinth:bedrock.logging.retentionDays",
        "100 is not a CloudWatch Logs retention period",
    ),
    (
        "unknown-key",
        bedrock(guardrail={"piiEntity": {}}),
        {},
        "plinth:bedrock.guardrail.piiEntity",
        "unknown key 'piiEntity'",
    ),
]


@pytest.mark.parametrize(
    ("section", "stack", "path", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_bedrock_mistake_is_one_problem_at_its_path(
    section: dict[str, Any], stack: dict[str, Any], path: str, fragment: str
) -> None:
    found = problems(section, **stack)
    assert len(found) == 1, found
    assert found[0][0] == path, found
    assert fragment in found[0][1], found


def test_every_broken_bedrock_key_is_reported_at_once() -> None:
    found = problems(
        bedrock(
            region="mars-1",
            models=["claude"],
            guardrail={
                "contentFilters": {"HATE_SPEECH": "LOW"},
                "deniedTopics": [topic(definition="x" * 201)],
                "contextualGrounding": {"grounding": 1.0},
            },
            logging={"retentionDays": 100},
            provisionedThroughput=[throughput(commitment="TwoMonths")],
        )
    )
    assert sorted(path for path, _ in found) == sorted(
        [
            "plinth:bedrock.region",
            "plinth:bedrock.models[0]",
            "plinth:bedrock.guardrail.contentFilters",
            "plinth:bedrock.guardrail.deniedTopics[0].definition",
            "plinth:bedrock.guardrail.contextualGrounding.grounding",
            "plinth:bedrock.logging.retentionDays",
            "plinth:bedrock.provisionedThroughput[0].commitment",
        ]
    )


def test_every_stack_level_bedrock_problem_is_named() -> None:
    """Problems with the rest of the stack are all reported, in one problem for the section."""
    found = problems(
        bedrock(region="eu-west-1"), network={"interfaceEndpoints": ["bedrock-agent-runtime"]}
    )
    assert len(found) == 1, found
    path, message = found[0]
    assert path == "plinth:bedrock"
    assert f"'{SONNET_PROFILE}' is a us. inference profile, which eu-west-1 cannot call" in message
    assert "a VPC endpoint in us-east-1 cannot reach Bedrock in eu-west-1" in message
    assert "bedrock-agent-runtime also listed in plinth:network.interfaceEndpoints" in message


def test_bedrock_and_other_sections_are_reported_together() -> None:
    found = problems(bedrock(models=["claude"]), network={"azCount": 9})
    assert sorted(path for path, _ in found) == [
        "plinth:bedrock.models[0]",
        "plinth:network.azCount",
    ]
