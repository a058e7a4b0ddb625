"""Bedrock model identifiers and the ARNs IAM policies name them by.

A model is named either by its foundation-model ID (`anthropic.claude-3-haiku-20240307-v1:0`)
or by a system-defined cross-region inference profile ID, which is the model ID behind a
geography prefix (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`). Bedrock routes calls to a
profile to the model in any region of that geography, so IAM must allow both the profile and
the foundation model in each destination region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

from components.scope import AwsScope

# Geography prefix of a system inference profile -> region prefixes it may be called from.
# `global.` profiles route worldwide and are callable from any commercial region.
PROFILE_GEOGRAPHIES: dict[str, tuple[str, ...]] = {
    "us": ("us-east-", "us-west-"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
    "global": ("us-east-", "us-west-", "eu-", "ap-", "ca-", "sa-", "me-", "il-", "af-", "mx-"),
}

FOUNDATION_MODEL_ID = re.compile(
    r"^(?P<provider>[a-z][a-z0-9]*)\.(?P<name>[a-z0-9][a-z0-9.-]*[a-z0-9])"
    r"(?::[a-z0-9-]{1,63}){0,2}$"
)
"""provider.model-name[:version][:variant], as Bedrock's ListFoundationModels names models
(`amazon.titan-embed-text-v2:0`, `cohere.embed-english-v3`, `...-v1:0:200k`)."""

PROVIDER = re.compile(r"^[a-z][a-z0-9]*$")


# Models that reject a guardrail on invocation, per AWS's "Supported Regions and models for
# Amazon Bedrock Guardrails" (2026): embeddings, rerankers, speech (Nova Sonic) and Luma video.
_WITHOUT_GUARDRAILS = re.compile(r"^(?:luma\.|[a-z0-9]+\.(?:.*-)?(?:embed|rerank|sonic))")


def supports_guardrails(model_id: str) -> bool:
    """Whether Bedrock applies a guardrail to calls of this foundation model."""
    return not _WITHOUT_GUARDRAILS.match(model_id)


class ModelIdError(ValueError):
    """A string that is not a Bedrock model or inference-profile ID."""


@dataclass(frozen=True)
class ModelRef:
    """One approved model: a foundation model, or a system inference profile over one."""

    model_id: str
    """The foundation-model ID (without any geography prefix)."""
    geography: str | None = None
    """The profile's geography (`us`, `eu`, `global`...) when called through a profile."""

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        head, dot, rest = text.partition(".")
        geography = head if dot and head in PROFILE_GEOGRAPHIES else None
        model_id = rest if geography else text
        match = FOUNDATION_MODEL_ID.match(model_id)
        if not match or match["provider"] in PROFILE_GEOGRAPHIES:
            raise ModelIdError(
                f"{text!r} is not a Bedrock model ID (provider.model-name-version, such as "
                "anthropic.claude-3-haiku-20240307-v1:0) or inference profile ID (the model ID "
                f"behind a geography: {', '.join(sorted(PROFILE_GEOGRAPHIES))})"
            )
        return cls(model_id=model_id, geography=geography)

    @property
    def id(self) -> str:
        """The ID callers pass as `modelId`: the profile ID for profiles."""
        return f"{self.geography}.{self.model_id}" if self.geography else self.model_id

    @property
    def provider(self) -> str:
        return self.model_id.split(".", 1)[0]

    @property
    def is_profile(self) -> bool:
        return self.geography is not None

    def callable_from(self, region: str) -> bool:
        """Whether a caller in `region` can use this profile (plain models: any region)."""
        if self.geography is None:
            return True
        if self.geography != "us-gov" and region.startswith("us-gov-"):
            return False
        return region.startswith(PROFILE_GEOGRAPHIES[self.geography])


def foundation_model_arn(scope: AwsScope, model_id: str, region: str | None = None) -> str:
    """arn:<partition>:bedrock:<region>::foundation-model/<model>: AWS owns foundation models,
    so the account field is empty."""
    return f"arn:{scope.partition}:bedrock:{region or scope.region}::foundation-model/{model_id}"


def system_profile_arn(scope: AwsScope, profile_id: str) -> pulumi.Output[str]:
    """The ARN of a system-defined inference profile as seen from this account and region."""
    return scope.arn("bedrock", f"inference-profile/{profile_id}")


def model_source_arn(scope: AwsScope, model: ModelRef) -> pulumi.Input[str]:
    """What an application inference profile copies: the system profile (keeps cross-region
    routing) or the foundation model in this region."""
    if model.is_profile:
        return system_profile_arn(scope, model.id)
    return foundation_model_arn(scope, model.model_id)
