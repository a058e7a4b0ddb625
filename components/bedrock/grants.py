"""Model grants: the IAM statements that let a principal invoke exactly the approved models.

Used at platform level (one managed policy for the approved models) and per project by the
tenant composition, which also gets application inference profiles for cost attribution.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import pulumi
import pulumi_aws as aws

from components.bedrock.models import (
    ModelRef,
    foundation_model_arn,
    model_source_arn,
    supports_guardrails,
    system_profile_arn,
)
from components.iam import Statement, policy_document
from components.names import bounded_name
from components.scope import AwsScope

# Converse is authorised as InvokeModel and ConverseStream as InvokeModelWithResponseStream.
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
GUARDRAIL_KEY = "bedrock:GuardrailIdentifier"
PROFILE_KEY = "bedrock:InferenceProfileArn"
ACCOUNT_MODEL_KINDS = ("inference-profile", "application-inference-profile", "provisioned-model")
"""Invocable Bedrock resources that live in the account (foundation models do not)."""


@dataclass(frozen=True)
class GuardrailPin:
    """The guardrail every call must apply: `version_arn` is `<guardrail ARN>:<version>`."""

    arn: pulumi.Input[str]
    version_arn: pulumi.Input[str]


@dataclass(frozen=True)
class ProvisionedModel:
    """A provisioned throughput (`provisioned-model/...` ARN) and the model it serves."""

    model_id: str
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class ModelGrantArgs:
    """What a principal may invoke, and under which guardrail.

    `providers` approves every model of a provider with wildcard ARNs; the policy pack reports
    such grants (bedrock-provider-wide-model-grant), since new models become callable without
    review. `application_profiles` maps a model's ID to the project's own profile for it.
    """

    scope: AwsScope
    models: Sequence[ModelRef] = ()
    providers: Sequence[str] = ()
    guardrail: GuardrailPin | None = None
    application_profiles: Mapping[str, aws.bedrock.InferenceProfile] | None = None
    provisioned_models: Sequence[ProvisionedModel] = ()
    """Provisioned throughput the principal may call."""


class _RoutedModel(Protocol):
    @property
    def model_arn(self) -> str: ...


def _routed_models(models: pulumi.Output[Sequence[_RoutedModel]]) -> pulumi.Output[list[str]]:
    """The foundation-model ARNs an inference profile (system or application) routes to."""
    return models.apply(lambda found: sorted(m.model_arn for m in found))


@dataclass
class _Targets:
    """The ARNs one group of models is invoked through."""

    direct: list[pulumi.Input[str]] = field(default_factory=list)
    profiles: list[pulumi.Input[str]] = field(default_factory=list)
    routed: list[pulumi.Input[list[str]]] = field(default_factory=list)


def _targets(args: ModelGrantArgs, models: Sequence[ModelRef], parent: pulumi.Resource) -> _Targets:
    scope, targets = args.scope, _Targets()
    own_profiles = args.application_profiles or {}
    for ref in models:
        if ref.is_profile:
            targets.profiles.append(system_profile_arn(scope, ref.id))
            found = aws.bedrock.get_inference_profile_output(
                inference_profile_id=ref.id,
                region=scope.region,
                opts=pulumi.InvokeOutputOptions(parent=parent),
            )
            targets.routed.append(_routed_models(found.models))
        else:
            targets.direct.append(foundation_model_arn(scope, ref.model_id))
        if ref.id in own_profiles:
            targets.profiles.append(own_profiles[ref.id].arn)
            targets.routed.append(_routed_models(own_profiles[ref.id].models))
    return targets


def _allow_statements(sid: str, targets: _Targets, condition: Mapping[str, Any]) -> list[Statement]:
    """Invoke on the models and profiles; on the foundation models behind the profiles only
    when called through one of them (AWS authorises each destination region's model)."""
    if not (targets.direct or targets.profiles):
        return []
    when = {"Condition": dict(condition)} if condition else {}
    statements: list[Statement] = [
        {
            "Sid": f"Invoke{sid}",
            "Effect": "Allow",
            "Action": list(INVOKE_ACTIONS),
            "Resource": [*targets.direct, *targets.profiles],
            **when,
        }
    ]
    if targets.profiles:
        statements.append(
            {
                "Sid": f"Invoke{sid}BehindProfiles",
                "Effect": "Allow",
                "Action": list(INVOKE_ACTIONS),
                "Resource": pulumi.Output.all(*targets.routed).apply(_flatten),
                "Condition": {**condition, "StringLike": {PROFILE_KEY: targets.profiles}},
            }
        )
    return statements


def model_grant_statements(args: ModelGrantArgs, parent: pulumi.Resource) -> list[Statement]:
    """IAM statements granting the approved models.

    With a guardrail, calls must name its pinned version: the Allow statements carry the
    `bedrock:GuardrailIdentifier` condition, `bedrock:ApplyGuardrail` is allowed on it, and
    a Deny stops unguarded calls even if another policy grants Bedrock broadly. Models that
    Bedrock cannot guard (embeddings, rerankers, speech) get their own unconditioned grant
    and are left out of the Deny, or they could not be called at all.

    The models behind each system inference profile are read from Bedrock (`parent` lends
    its provider), so the grant follows AWS when it adds destination regions.
    """
    scope = args.scope
    guarded, unguardable = _by_guardrail_support(args.models)
    guarded_throughput, exempt_throughput = _by_guardrail_support(args.provisioned_models)
    approved = _targets(args, guarded, parent)
    approved.direct.extend(p.arn for p in guarded_throughput)
    for provider in args.providers:
        approved.direct.append(foundation_model_arn(scope, f"{provider}.*"))
        approved.profiles.append(system_profile_arn(scope, f"*.{provider}.*"))
        approved.routed.append([foundation_model_arn(scope, f"{provider}.*", region="*")])
    exempt = _targets(args, unguardable, parent)
    exempt.direct.extend(p.arn for p in exempt_throughput)

    condition = (
        {"StringEquals": {GUARDRAIL_KEY: args.guardrail.version_arn}} if args.guardrail else {}
    )
    statements = _allow_statements("ApprovedModels", approved, condition)
    statements += _allow_statements("ModelsWithoutGuardrailSupport", exempt, {})
    if args.guardrail:
        exempt_models = [
            *(foundation_model_arn(scope, ref.model_id, region="*") for ref in unguardable),
            *exempt.profiles,
            *(p.arn for p in exempt_throughput),
        ]
        statements.extend(_guardrail_statements(scope, args.guardrail, exempt_models))
    return statements


Served = TypeVar("Served", ModelRef, ProvisionedModel)


def _by_guardrail_support(items: Sequence[Served]) -> tuple[list[Served], list[Served]]:
    """(models Bedrock can guard, models it cannot)."""
    return (
        [item for item in items if supports_guardrails(item.model_id)],
        [item for item in items if not supports_guardrails(item.model_id)],
    )


def _flatten(groups: Sequence[Sequence[str]]) -> list[str]:
    return sorted({arn for group in groups for arn in group})


def _guardrail_statements(
    scope: AwsScope, guardrail: GuardrailPin, exempt_models: Sequence[pulumi.Input[str]]
) -> list[Statement]:
    """ApplyGuardrail on the guardrail, and a Deny on every model call without its version
    except those of `exempt_models` (models Bedrock cannot guard, wherever they are routed)."""
    any_region = f"arn:{scope.partition}:bedrock:*"
    deny: dict[str, Any] = {
        "Sid": "DenyModelCallsWithoutPlatformGuardrail",
        "Effect": "Deny",
        "Action": list(INVOKE_ACTIONS),
        "Condition": {"StringNotEquals": {GUARDRAIL_KEY: guardrail.version_arn}},
    }
    if exempt_models:
        deny["NotResource"] = list(exempt_models)
    else:
        deny["Resource"] = [
            f"{any_region}::foundation-model/*",
            *(
                pulumi.Output.concat(any_region, ":", scope.account_id, ":", kind, "/*")
                for kind in ACCOUNT_MODEL_KINDS
            ),
        ]
    return [
        {
            "Sid": "ApplyPlatformGuardrail",
            "Effect": "Allow",
            "Action": "bedrock:ApplyGuardrail",
            "Resource": guardrail.arn,
        },
        deny,
    ]


@dataclass(frozen=True)
class ProjectModelAccessArgs:
    """Inputs of a ProjectModelAccess: the project's approved models and its cost tags."""

    scope: AwsScope
    project: str
    models: Sequence[ModelRef]
    tags: Mapping[str, str]
    guardrail: GuardrailPin | None = None
    providers: Sequence[str] = ()


class ProjectModelAccess(pulumi.ComponentResource):
    """A project's access to Bedrock models:

    - one application inference profile per approved model, named `<project>-<model>` and
      tagged with the project's tags (project, cost-center), so Bedrock usage is billed and
      reported per project; it copies the system inference profile when the model is called
      cross-region, keeping that routing. Models Bedrock cannot guard (embeddings) get none:
      their grant carries no guardrail condition, and an opaque profile ARN in it would hide
      from reviewers and the policy pack which model the unconditioned grant is for;
    - `statements`: IAM statements for the project's workload roles allowing the models
      directly, through their system profiles and through the project's own profiles (with
      the foundation models they route to), pinned to the platform guardrail.

    The statements are not attached here: the tenant composition attaches them to its roles.
    """

    profiles: dict[str, aws.bedrock.InferenceProfile]
    statements: list[Statement]
    policy: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProjectModelAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:bedrock:ProjectModelAccess", name, None, opts)
        self.profiles = {
            ref.id: aws.bedrock.InferenceProfile(
                f"{name}-{_slug(ref.id)}",
                name=_profile_name(args.project, ref),
                description=f"{ref.id} for project {args.project}",
                model_source={"copy_from": model_source_arn(args.scope, ref)},
                tags={**args.tags, "project": args.project},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for ref in args.models
            if supports_guardrails(ref.model_id)
        }
        self.statements = model_grant_statements(
            ModelGrantArgs(
                scope=args.scope,
                models=args.models,
                providers=args.providers,
                guardrail=args.guardrail,
                application_profiles=self.profiles,
            ),
            parent=self,
        )
        self.policy = policy_document(self.statements)
        self.register_outputs(
            {"profiles": {ref: p.arn for ref, p in self.profiles.items()}, "policy": self.policy}
        )


# CreateInferenceProfile.inferenceProfileName: 1 to 64 characters matching
# ([0-9a-zA-Z][ _-]?)+ (the Bedrock API model), so no dots, colons or doubled separators.
PROFILE_NAME_LIMIT = 64


def _profile_name(project: str, ref: ModelRef) -> str:
    """`<project>-<model ID>` in the characters Bedrock allows (`.` and `:` become `-`:
    `search-us-anthropic-claude-3-haiku-v1-0`); shortened with a hash when over 64
    characters, so two long model IDs never collide."""
    name = re.sub(r"[^0-9a-zA-Z]+", "-", f"{project}-{ref.id}").strip("-")
    return bounded_name(name, PROFILE_NAME_LIMIT, trim="-")


def _slug(model_id: str) -> str:
    """A model ID as a name fragment: `us.anthropic.claude-3-haiku-v1:0` ->
    `us-anthropic-claude-3-haiku-v1-0`."""
    return model_id.replace(".", "-").replace(":", "-")


@dataclass(frozen=True)
class ApprovedModelsPolicyArgs:
    """Inputs of an ApprovedModelsPolicy."""

    grant: ModelGrantArgs
    policy_name: str
    tags: Mapping[str, str]


class ApprovedModelsPolicy(pulumi.ComponentResource):
    """A customer-managed IAM policy granting the platform's approved models (pinned to the
    platform guardrail): what a role outside any project attaches to use Bedrock."""

    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApprovedModelsPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:bedrock:ApprovedModelsPolicy", name, None, opts)
        self.policy = aws.iam.Policy(
            name,
            name=args.policy_name,
            description="Invoke the platform's approved Bedrock models through its guardrail",
            policy=policy_document(model_grant_statements(args.grant, parent=self)),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn})
