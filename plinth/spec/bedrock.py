"""The `bedrock` section: approved models, the platform guardrail, invocation logging,
private endpoints and provisioned throughput for Amazon Bedrock."""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.bedrock.guardrail import (
    BLOCKED_INPUT_MESSAGE,
    BLOCKED_OUTPUT_MESSAGE,
    GROUNDING_THRESHOLD,
    HARMFUL_CONTENT,
    PII_ENTITY_TYPES,
    PiiAction,
    Strength,
)
from components.bedrock.models import PROVIDER, ModelIdError, ModelRef
from components.bedrock.throughput import Commitment
from plinth.spec.base import (
    AwsRegion,
    LogRetentionDays,
    SpecModel,
    invalid,
    name_fragment,
    without_duplicates,
)

# Bedrock's own limits (CreateGuardrail API).
_TOPIC_NAME = re.compile(r"^[0-9a-zA-Z\-_ !?.]{1,100}$")
MAX_TOPICS = 30
MAX_TOPIC_EXAMPLES = 5
MAX_EXAMPLE_LENGTH = 100
MAX_DEFINITION_LENGTH = 200
MAX_WORD_LENGTH = 100
MAX_MESSAGE_LENGTH = 500

Item = TypeVar("Item")


def _model_id(value: str) -> str:
    try:
        ModelRef.parse(value)
    except ModelIdError as error:
        raise invalid(str(error)) from None
    return value


ModelId = Annotated[str, AfterValidator(_model_id)]
"""A foundation-model ID or a system inference profile ID (`us.<model ID>`)."""


def _foundation_model_id(value: str) -> str:
    if ModelRef.parse(value).is_profile:
        raise invalid(
            f"{value!r} is an inference profile; provisioned throughput is bought for a "
            "foundation model ID (without the geography prefix)"
        )
    return value


FoundationModelId = Annotated[ModelId, AfterValidator(_foundation_model_id)]


def _known_keys(values: dict[str, Item], allowed: tuple[str, ...], what: str) -> dict[str, Item]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise invalid(
            f"{', '.join(map(repr, unknown))} not {what}; allowed: {', '.join(sorted(allowed))}"
        )
    return values


def _provider(value: str) -> str:
    if not PROVIDER.match(value):
        raise invalid(f"{value!r} is not a Bedrock model provider (such as anthropic, amazon)")
    return value


class DeniedTopicSpec(SpecModel):
    """A subject the models must refuse, described for Bedrock's topic classifier."""

    name: str
    """Up to 100 letters, digits, spaces and - _ ! ? ."""
    definition: str = Field(min_length=1, max_length=MAX_DEFINITION_LENGTH)
    """What the topic covers, in up to 200 characters."""
    examples: tuple[Annotated[str, Field(min_length=1, max_length=MAX_EXAMPLE_LENGTH)], ...] = (
        Field(default=(), max_length=MAX_TOPIC_EXAMPLES)
    )
    """Up to 5 sample prompts of up to 100 characters that belong to the topic."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TOPIC_NAME.match(value):
            raise invalid(
                f"{value!r} is not a guardrail topic name "
                "(1 to 100 letters, digits, spaces and - _ ! ? .)"
            )
        return value


Threshold = Annotated[float, Field(ge=0, le=0.99)]


class ContextualGroundingSpec(SpecModel):
    """Checks RAG answers against their sources: blocked below the thresholds (0 to 0.99)."""

    grounding: Threshold = GROUNDING_THRESHOLD
    """How well the answer must be supported by the retrieved sources."""
    relevance: Threshold = GROUNDING_THRESHOLD
    """How well the answer must address the user's query."""


class GuardrailSpec(SpecModel):
    """The platform guardrail, published as a version every model grant pins."""

    required: bool = True
    """Model grants allow only calls that apply the platform guardrail version
    (IAM condition on bedrock:GuardrailIdentifier); calls without it are denied."""
    prompt_attack_strength: Strength = "HIGH"
    """Input strength of the PROMPT_ATTACK filter (jailbreaks, prompt injection)."""
    content_filters: dict[str, Strength] = Field(default_factory=dict)
    """Strength per harmful-content category, input and output; unlisted ones are HIGH."""
    pii_entities: dict[str, PiiAction] = Field(default_factory=dict)
    """Overrides of the PII actions the data classification sets (NONE drops an entity)."""
    denied_topics: tuple[DeniedTopicSpec, ...] = Field(default=(), max_length=MAX_TOPICS)
    blocked_words: tuple[Annotated[str, Field(min_length=1, max_length=MAX_WORD_LENGTH)], ...] = ()
    """Words or phrases (up to 100 characters each) blocked in prompts and answers."""
    block_profanity: bool = True
    """Bedrock's managed profanity word list."""
    contextual_grounding: ContextualGroundingSpec | None = None
    """Turn on for RAG use: answers not grounded in the retrieved sources are blocked."""
    blocked_input_message: str = Field(
        default=BLOCKED_INPUT_MESSAGE,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
    )
    blocked_output_message: str = Field(
        default=BLOCKED_OUTPUT_MESSAGE,
        min_length=1,
        max_length=MAX_MESSAGE_LENGTH,
    )

    @field_validator("content_filters")
    @classmethod
    def _categories(cls, values: dict[str, Strength]) -> dict[str, Strength]:
        return _known_keys(values, HARMFUL_CONTENT, "a content filter category")

    @field_validator("pii_entities")
    @classmethod
    def _entities(cls, values: dict[str, PiiAction]) -> dict[str, PiiAction]:
        return _known_keys(values, PII_ENTITY_TYPES, "a Bedrock PII entity type")

    @field_validator("denied_topics")
    @classmethod
    def _topics(cls, topics: tuple[DeniedTopicSpec, ...]) -> tuple[DeniedTopicSpec, ...]:
        without_duplicates(tuple(topic.name for topic in topics))
        return topics

    @field_validator("blocked_words")
    @classmethod
    def _words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(words)


class BedrockLoggingSpec(SpecModel):
    """Model invocation logging: prompts and completions to S3 and CloudWatch Logs."""

    retention_days: LogRetentionDays = 365
    """Days invocation logs are kept, in the log group and in the log bucket."""
    image_data: bool = False
    """Also log images in requests and responses (large; may hold personal data)."""
    embedding_data: bool = False
    """Also log embeddings returned by embedding models (large)."""
    video_data: bool = False
    """Also log video in requests and responses (large)."""


class BedrockEndpointsSpec(SpecModel):
    """Interface VPC endpoints, so model traffic stays inside the VPC."""

    runtime: bool = True
    """bedrock-runtime: InvokeModel, Converse and ApplyGuardrail."""
    agent_runtime: bool = False
    """bedrock-agent-runtime: knowledge base retrieval and agents."""


class ProvisionedThroughputSpec(SpecModel):
    """Dedicated model capacity, bought in model units."""

    name: str
    """Short name; the provisioned model is named <prefix>-<name>."""
    model: FoundationModelId
    """Foundation model ID; must be one of the approved models."""
    model_units: int = Field(ge=1, le=100)
    commitment: Commitment
    """Term you commit to (and pay for even if deleted): none (hourly, where the model
    allows it), OneMonth or SixMonths. Committed capacity is protected from destroy."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return name_fragment(value, "a provisioned throughput name", 32, "claude-batch")


class BedrockSpec(SpecModel):
    """Amazon Bedrock: which models the platform approves and how calls are governed."""

    enabled: bool = False
    region: AwsRegion | None = None
    """Region of the Bedrock resources; defaults to plinth:aws.region. Endpoints need the
    stack's own region (a VPC endpoint only reaches its region's Bedrock)."""
    models: tuple[ModelId, ...] = ()
    """Approved models: foundation-model IDs (anthropic.claude-3-haiku-20240307-v1:0) or
    cross-region inference profile IDs (us.anthropic.claude-sonnet-4-5-20250929-v1:0)."""
    allow_providers: tuple[Annotated[str, AfterValidator(_provider)], ...] = ()
    """Providers whose every model is approved (a wildcard grant, reported by the policy
    pack as bedrock-provider-wide-model-grant). Prefer naming models."""
    guardrail: GuardrailSpec = GuardrailSpec()
    logging: BedrockLoggingSpec = BedrockLoggingSpec()
    endpoints: BedrockEndpointsSpec = BedrockEndpointsSpec()
    provisioned_throughput: tuple[ProvisionedThroughputSpec, ...] = ()

    @field_validator("models")
    @classmethod
    def _models(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)

    @field_validator("allow_providers")
    @classmethod
    def _providers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)

    @field_validator("provisioned_throughput")
    @classmethod
    def _throughput(
        cls, values: tuple[ProvisionedThroughputSpec, ...]
    ) -> tuple[ProvisionedThroughputSpec, ...]:
        without_duplicates(tuple(entry.name for entry in values))
        return values

    @model_validator(mode="after")
    def _approved(self) -> BedrockSpec:
        if self.enabled and not self.models and not self.allow_providers:
            raise invalid("enabled Bedrock needs at least one entry in models or allowProviders")
        approved = {ModelRef.parse(m).model_id for m in self.models}
        unapproved = [
            entry.model
            for entry in self.provisioned_throughput
            if entry.model not in approved
            and ModelRef.parse(entry.model).provider not in self.allow_providers
        ]
        if unapproved:
            raise invalid(
                f"provisionedThroughput model(s) {', '.join(map(repr, unapproved))} are not "
                "in models or allowProviders"
            )
        return self

    def refs(self) -> tuple[ModelRef, ...]:
        return tuple(ModelRef.parse(model) for model in self.models)


def check_bedrock(
    bedrock: BedrockSpec, stack_region: str | None, interface_endpoints: tuple[str, ...]
) -> None:
    """Checks against the rest of the stack: profiles callable from the Bedrock region,
    endpoints only in the VPC's region and not also listed under network."""
    if not bedrock.enabled or stack_region is None:
        return
    region = bedrock.region or stack_region
    problems = [
        f"models: {ref.id!r} is a {ref.geography}. inference profile, which {region} cannot call"
        for ref in bedrock.refs()
        if not ref.callable_from(region)
    ]
    wanted = endpoint_services(bedrock)
    if wanted and region != stack_region:
        problems.append(
            f"endpoints: a VPC endpoint in {stack_region} cannot reach Bedrock in {region}; "
            "set endpoints.runtime and endpoints.agentRuntime to false or use the stack's region"
        )
    doubled = sorted(set(wanted) & set(interface_endpoints))
    if doubled:
        problems.append(
            f"endpoints: {', '.join(doubled)} also listed in plinth:network.interfaceEndpoints; "
            "remove it there (Bedrock endpoints carry their own endpoint policy)"
        )
    if problems:
        raise invalid("; ".join(problems))


def endpoint_services(bedrock: BedrockSpec) -> tuple[str, ...]:
    """The interface endpoint services the spec asks for."""
    if not bedrock.enabled:
        return ()
    asked = (
        ("bedrock-runtime", bedrock.endpoints.runtime),
        ("bedrock-agent-runtime", bedrock.endpoints.agent_runtime),
    )
    return tuple(service for service, on in asked if on)
