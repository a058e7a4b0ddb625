"""The gateway role's Bedrock grant, judged by an independent IAM evaluator.

moto implements no Bedrock runtime and its policy engine evaluates neither `NotResource` nor
the `StringNotEquals`/`StringLike` operators the grant relies on, so the role's policy from the
dev preview goes to @cloud-copilot/iam-simulate (tests/iam_simulate, installed by `make test` and
`make test-quick` with `npm ci`), which evaluates every condition operator, explicit denies and
NotResource, and validates actions, ARNs and condition keys against AWS's IAM data. The
gateway may invoke exactly the approved models, each chat model only with the platform
guardrail's pinned version, through its inference profile, and apply that guardrail; an
approved model that no team is granted through the gateway is not among them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import one, simulate

from plinth.engine import Preview

ACCOUNT = "123456789012"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
PROFILE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{SONNET}"
SONNET_IN = "arn:aws:bedrock:{region}::foundation-model/" + SONNET
TITAN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
OPUS = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-1-20250805-v1:0"
INVOKE = "bedrock:InvokeModel"


@pytest.fixture(scope="module")
def gateway_policy(dev_preview: Preview) -> dict[str, Any]:
    policy = one(dev_preview, "aws:iam/rolePolicy:RolePolicy", "gateway-gateway-policy")
    document: dict[str, Any] = json.loads(policy.plain_inputs["policy"])
    return document


@pytest.fixture(scope="module")
def guardrail(gateway_policy: dict[str, Any]) -> tuple[str, str]:
    """The platform guardrail's ARN and its pinned `<arn>:<version>` (from the grant)."""
    apply = next(s for s in gateway_policy["Statement"] if s["Sid"] == "ApplyPlatformGuardrail")
    invoke = next(s for s in gateway_policy["Statement"] if s["Sid"] == "InvokeApprovedModels")
    return apply["Resource"], invoke["Condition"]["StringEquals"]["bedrock:GuardrailIdentifier"]


def test_the_gateway_invokes_only_approved_models_through_the_guardrail(
    gateway_policy: dict[str, Any], guardrail: tuple[str, str]
) -> None:
    guardrail_arn, pinned = guardrail
    with_guardrail = {"bedrock:GuardrailIdentifier": pinned}
    via_profile = {**with_guardrail, "bedrock:InferenceProfileArn": PROFILE}
    cases = {
        "the approved profile with the guardrail": (PROFILE, with_guardrail, "Allowed"),
        "the approved profile without it": (PROFILE, {}, "ExplicitlyDenied"),
        "the approved profile with another version": (
            PROFILE,
            {"bedrock:GuardrailIdentifier": f"{guardrail_arn}:99"},
            "ExplicitlyDenied",
        ),
        "its model in a profile region, through the profile": (
            SONNET_IN.format(region="us-west-2"),
            via_profile,
            "Allowed",
        ),
        "its model directly, not through the profile": (
            SONNET_IN.format(region="us-west-2"),
            with_guardrail,
            "ImplicitlyDenied",
        ),
        "an unapproved model with the guardrail": (OPUS, with_guardrail, "ImplicitlyDenied"),
        # approved for the platform, but no team is granted it through the gateway
        "an approved model no team uses through the gateway": (TITAN, {}, "ExplicitlyDenied"),
    }
    requests = [
        {"action": INVOKE, "resource": resource, "context": context}
        for resource, context, _ in cases.values()
    ]
    role = f"arn:aws:iam::{ACCOUNT}:role/plinth-dev-gateway"
    decisions = simulate(role, [gateway_policy], requests)
    assert dict(zip(cases, decisions, strict=True)) == {
        name: expected for name, (_, _, expected) in cases.items()
    }


def test_the_gateway_applies_the_platform_guardrail_and_no_other(
    gateway_policy: dict[str, Any], guardrail: tuple[str, str]
) -> None:
    guardrail_arn, _ = guardrail
    other = guardrail_arn.rsplit("/", 1)[0] + "/otherguardrail1"
    requests = [
        {"action": "bedrock:ApplyGuardrail", "resource": arn} for arn in (guardrail_arn, other)
    ]
    role = f"arn:aws:iam::{ACCOUNT}:role/plinth-dev-gateway"
    assert simulate(role, [gateway_policy], requests) == ["Allowed", "ImplicitlyDenied"]
