"""The platform guardrail: the Bedrock guardrail every invocation is required to name."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

Strength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
PiiAction = Literal["BLOCK", "ANONYMIZE", "NONE"]
Classification = Literal["public", "internal", "confidential", "restricted"]

BLOCKED_INPUT_MESSAGE = "This request was blocked by the platform's AI usage policy."
BLOCKED_OUTPUT_MESSAGE = "The response was blocked by the platform's AI usage policy."
GROUNDING_THRESHOLD = 0.75
"""Default contextual grounding threshold: blocks answers clearly unsupported by the sources
or off the question, without blocking paraphrase."""

HARMFUL_CONTENT = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
"""The content filter categories besides PROMPT_ATTACK (Bedrock's GuardrailContentFilterType)."""
DEFAULT_CONTENT_STRENGTHS: Mapping[str, Strength] = dict.fromkeys(HARMFUL_CONTENT, "HIGH")

# PII entity types (Bedrock's GuardrailPiiEntityType), grouped by how much harm a leak does.
CREDENTIALS = ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD", "PIN")
FINANCIAL = (
    "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "SWIFT_CODE",
    "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER",
)
NATIONAL_IDS = (
    "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "DRIVER_ID",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
)
PERSONAL = (
    "ADDRESS",
    "AGE",
    "EMAIL",
    "IP_ADDRESS",
    "LICENSE_PLATE",
    "MAC_ADDRESS",
    "NAME",
    "PHONE",
    "USERNAME",
    "VEHICLE_IDENTIFICATION_NUMBER",
)
PII_ENTITY_TYPES = (*CREDENTIALS, *FINANCIAL, *NATIONAL_IDS, *PERSONAL, "URL")

# What each data classification does with each group. Credentials and payment data are never
# sent to or returned from a model; identifiers are masked where the data may hold them and
# blocked outright for restricted data. URLs stay usable (citations, links) unless restricted.
_PII_BY_CLASSIFICATION: dict[Classification, dict[tuple[str, ...], PiiAction]] = {
    "public": {CREDENTIALS: "BLOCK", FINANCIAL: "BLOCK", NATIONAL_IDS: "ANONYMIZE"},
    "internal": {
        CREDENTIALS: "BLOCK",
        FINANCIAL: "BLOCK",
        NATIONAL_IDS: "ANONYMIZE",
        PERSONAL: "ANONYMIZE",
    },
    "confidential": {
        CREDENTIALS: "BLOCK",
        FINANCIAL: "BLOCK",
        NATIONAL_IDS: "BLOCK",
        PERSONAL: "ANONYMIZE",
    },
    "restricted": {
        CREDENTIALS: "BLOCK",
        FINANCIAL: "BLOCK",
        NATIONAL_IDS: "BLOCK",
        PERSONAL: "BLOCK",
        ("URL",): "BLOCK",
    },
}


def pii_actions_for(
    classification: Classification, overrides: Mapping[str, PiiAction] | None = None
) -> dict[str, PiiAction]:
    """The action per PII entity type for data of `classification`, with `overrides` applied
    (an override of NONE drops the entity)."""
    actions = {
        entity: action
        for group, action in _PII_BY_CLASSIFICATION[classification].items()
        for entity in group
    }
    actions.update(overrides or {})
    return {entity: action for entity, action in sorted(actions.items()) if action != "NONE"}


@dataclass(frozen=True)
class DeniedTopic:
    """A subject the models must not discuss, described for Bedrock's topic classifier."""

    name: str
    definition: str
    examples: Sequence[str] = ()


@dataclass(frozen=True)
class ContextualGrounding:
    """Thresholds (0 to 0.99) below which a RAG answer is blocked: GROUNDING measures whether
    the answer is supported by the retrieved sources, RELEVANCE whether it answers the query."""

    grounding: float = GROUNDING_THRESHOLD
    relevance: float = GROUNDING_THRESHOLD


@dataclass(frozen=True)
class PlatformGuardrailArgs:
    """Inputs of a PlatformGuardrail.

    Defaults are the strictest settings that still let ordinary work through: every harmful
    content category at HIGH on input and output, PROMPT_ATTACK at HIGH on input (Bedrock
    allows no output strength for it), and the managed profanity list.
    """

    guardrail_name: str
    pii_actions: Mapping[str, PiiAction]
    tags: Mapping[str, str]
    prompt_attack_strength: Strength = "HIGH"
    content_strengths: Mapping[str, Strength] = field(
        default_factory=lambda: dict(DEFAULT_CONTENT_STRENGTHS)
    )
    denied_topics: Sequence[DeniedTopic] = ()
    blocked_words: Sequence[str] = ()
    block_profanity: bool = True
    contextual_grounding: ContextualGrounding | None = None
    blocked_input_message: str = BLOCKED_INPUT_MESSAGE
    blocked_output_message: str = BLOCKED_OUTPUT_MESSAGE
    description: str = "Plinth platform guardrail"


def _fingerprint(args: PlatformGuardrailArgs) -> str:
    """A short hash of everything that shapes the guardrail's behaviour (tags do not)."""
    settings = {k: v for k, v in dataclasses.asdict(args).items() if k != "tags"}
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PlatformGuardrail(pulumi.ComponentResource):
    """A Bedrock guardrail and a published, immutable version of it.

    Invokers pin the version (`version_arn`, `<guardrail ARN>:<version>`), which is also the
    value of the `bedrock:GuardrailIdentifier` condition in the platform's model grants: a
    call naming the working draft or no guardrail at all is denied. A change to the settings
    publishes a new version and moves the grants to it; old versions are kept (`skip_destroy`),
    so a replaced version does not vanish under callers between deploys. The guardrail uses
    Bedrock's AWS-owned key: a customer key would have to be decryptable by every invoker.
    """

    guardrail: aws.bedrock.Guardrail
    version: aws.bedrock.GuardrailVersion
    arn: pulumi.Output[str]
    version_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PlatformGuardrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:bedrock:PlatformGuardrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.guardrail = aws.bedrock.Guardrail(
            name,
            name=args.guardrail_name,
            description=args.description,
            blocked_input_messaging=args.blocked_input_message,
            blocked_outputs_messaging=args.blocked_output_message,
            content_policy_config={"filters_configs": self._content_filters(args)},
            sensitive_information_policy_config=self._pii(args),
            topic_policy_config=self._topics(args),
            word_policy_config=self._words(args),
            contextual_grounding_policy_config=self._grounding(args),
            tags=dict(args.tags),
            opts=child,
        )
        self.version = aws.bedrock.GuardrailVersion(
            f"{name}-version",
            guardrail_arn=self.guardrail.guardrail_arn,
            # Versions are immutable, so a changed description replaces the version: the
            # fingerprint of the settings publishes a new version exactly when they change.
            description=f"{args.description}, settings {_fingerprint(args)}",
            skip_destroy=True,
            opts=child,
        )
        self.arn = self.guardrail.guardrail_arn
        self.version_arn = pulumi.Output.concat(self.arn, ":", self.version.version)
        self.register_outputs(
            {"arn": self.arn, "version": self.version.version, "versionArn": self.version_arn}
        )

    @staticmethod
    def _content_filters(
        args: PlatformGuardrailArgs,
    ) -> list[aws.bedrock.GuardrailContentPolicyConfigFiltersConfigArgsDict]:
        filters: list[aws.bedrock.GuardrailContentPolicyConfigFiltersConfigArgsDict] = [
            {"type": category, "input_strength": strength, "output_strength": strength}
            for category, strength in sorted(args.content_strengths.items())
        ]
        filters.append(
            {
                "type": "PROMPT_ATTACK",
                "input_strength": args.prompt_attack_strength,
                "output_strength": "NONE",
            }
        )
        return filters

    @staticmethod
    def _pii(
        args: PlatformGuardrailArgs,
    ) -> aws.bedrock.GuardrailSensitiveInformationPolicyConfigArgsDict | None:
        if not args.pii_actions:
            return None
        return {
            "pii_entities_configs": [
                {"type": entity, "action": action}
                for entity, action in sorted(args.pii_actions.items())
            ]
        }

    @staticmethod
    def _topics(
        args: PlatformGuardrailArgs,
    ) -> aws.bedrock.GuardrailTopicPolicyConfigArgsDict | None:
        if not args.denied_topics:
            return None
        return {
            "topics_configs": [
                {
                    "name": topic.name,
                    "definition": topic.definition,
                    "examples": list(topic.examples),
                    "type": "DENY",
                }
                for topic in args.denied_topics
            ]
        }

    @staticmethod
    def _words(args: PlatformGuardrailArgs) -> aws.bedrock.GuardrailWordPolicyConfigArgsDict | None:
        if not args.blocked_words and not args.block_profanity:
            return None
        config: aws.bedrock.GuardrailWordPolicyConfigArgsDict = {}
        if args.block_profanity:
            config["managed_word_lists_configs"] = [{"type": "PROFANITY"}]
        if args.blocked_words:
            config["words_configs"] = [{"text": word} for word in args.blocked_words]
        return config

    @staticmethod
    def _grounding(
        args: PlatformGuardrailArgs,
    ) -> aws.bedrock.GuardrailContextualGroundingPolicyConfigArgsDict | None:
        grounding = args.contextual_grounding
        if grounding is None:
            return None
        return {
            "filters_configs": [
                {"type": "GROUNDING", "threshold": grounding.grounding},
                {"type": "RELEVANCE", "threshold": grounding.relevance},
            ]
        }
