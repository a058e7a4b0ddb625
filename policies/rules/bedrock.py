"""Amazon Bedrock: invocation logging, guardrails, model allowlists and private access.

Prompts and completions are data the platform must be able to audit and protect. A stack
that uses Bedrock logs model invocations to KMS-encrypted destinations and reaches Bedrock
through a private endpoint; identity policies grant invoke only on named models and only
through the platform guardrail; guardrails stop prompt attacks and personal data.

A stack "uses Bedrock" when it declares a Bedrock resource (guardrail, inference profile,
provisioned throughput, agent, batch job...) or an identity policy that lets a principal invoke
models. Invoke grants are recognised the way IAM matches actions: glob patterns, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.bedrock.models import supports_guardrails
from components.guardrails.singletons import AccountGuardrail
from policies.props import (
    IDENTITY_POLICY_TYPES,
    ROLE_TYPE,
    actions,
    allows,
    as_list,
    dig,
    identity_policies,
    of_type,
    referencing,
    resources,
    sid,
    statements,
)
from policies.report import Report
from policies.rule import Config, Param, advisory, resource_rule, stack_rule
from policies.rules.guardrails import (
    EXTERNAL_GUARDRAILS,
    INVOCATION_LOGGING,
    provided_elsewhere,
)
from policies.rules.storage import BUCKETS, ENCRYPTION, sse_kms_problem

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DOCUMENT_TYPES = (*IDENTITY_POLICY_TYPES, ROLE_TYPE)
BEDROCK_TYPE_PREFIX = "aws:bedrock"  # the `bedrock` and `bedrockmodel` provider modules
INVOKE_ACTIONS = (
    "bedrock:invokemodel",
    "bedrock:invokemodelwithresponsestream",
    "bedrock:converse",
    "bedrock:conversestream",
)
FOUNDATION_MODEL = "foundation-model/"
INFERENCE_PROFILE = "inference-profile/"
MODEL_KINDS = (FOUNDATION_MODEL, INFERENCE_PROFILE)
WILDCARD = re.compile(r"[*?]")
GUARDRAIL_KEY = "bedrock:guardrailidentifier"
STRENGTHS = ("NONE", "LOW", "MEDIUM", "HIGH")
BLOCKING_PII_ACTIONS = ("BLOCK", "ANONYMIZE")

MODEL_ALLOWLIST = {
    "nist-ai-rmf": ["GOVERN 6.1", "MAP 4.2"],
    "nist-800-53": ["AC-6"],
    "soc2": ["CC6.3"],
    "pci": ["7.2.2"],
}


def _grants_invoke(statement: Mapping[str, Any]) -> bool:
    """Whether an Allow statement lets its principal invoke models (Invoke*/Converse*)."""
    if not allows(statement):
        return False
    if "NotAction" in statement:  # allows everything but what it lists
        excluded = [str(a).lower() for a in as_list(statement["NotAction"])]
        return not all(any(fnmatchcase(a, p) for p in excluded) for a in INVOKE_ACTIONS)
    granted = [a.lower() for a in actions(statement)]
    return any(fnmatchcase(a, p) for a in INVOKE_ACTIONS for p in granted)


def invoke_grants(
    resource_type: str, props: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, statement) for each identity-policy statement that allows invoking models."""
    for label, policy in identity_policies(resource_type, props):
        for statement in statements(policy):
            if _grants_invoke(statement):
                yield label, statement


def _bedrock_users(args: StackValidationArgs) -> list[PolicyResource]:
    """The resources that make the stack a Bedrock user (the logging setting itself aside)."""
    return [
        r
        for r in args.resources
        if (
            r.resource_type.startswith(BEDROCK_TYPE_PREFIX)
            and r.resource_type != INVOCATION_LOGGING
        )
        or any(invoke_grants(r.resource_type, r.props))
    ]


def arn_resource(pattern: str) -> str:
    """The resource part of an ARN pattern (`foundation-model/...`); `*` if a wildcard spans it."""
    parts = pattern.split(":", 5)
    if len(parts) == 6:
        return parts[5]
    return "*" if WILDCARD.search(pattern) else pattern


def could_start_with(pattern: str, prefix: str) -> bool:
    """Whether some text matching the IAM glob `pattern` starts with `prefix`."""
    head = WILDCARD.split(pattern, maxsplit=1)[0]
    if head == pattern:
        return pattern.startswith(prefix)
    return head.startswith(prefix) or prefix.startswith(head)


def _model_part(resource: str, kind: str) -> str:
    """The model a `foundation-model/` or `inference-profile/` resource names (geography off)."""
    model = resource.removeprefix(kind)
    geography, dot, rest = model.partition(".")
    if kind == INFERENCE_PROFILE and dot and not WILDCARD.search(geography):
        return rest
    return model


def _any_model(pattern: str) -> bool:
    """Whether a resource pattern covers every model, not named ones or one provider's."""
    resource = arn_resource(pattern)
    for kind in MODEL_KINDS:
        if resource.startswith(kind):
            model = _model_part(resource, kind)
            if model and not WILDCARD.sub("", model):
                return True
        elif could_start_with(resource, kind):  # a wildcard stands before the model kind
            return True
    return False


def _model_family(pattern: str) -> str:
    """The wildcard model pattern (`anthropic.*`) a resource names; '' for one model or any."""
    resource = arn_resource(pattern)
    for kind in MODEL_KINDS:
        model = _model_part(resource, kind) if resource.startswith(kind) else ""
        if WILDCARD.search(model) and WILDCARD.sub("", model):
            return model
    return ""


@stack_rule(
    id="bedrock-invocation-logging",
    area="bedrock",
    description="A stack that uses Bedrock logs model invocations (prompts and completions) to "
    "S3 or CloudWatch Logs (a tenant stack: its platform stack does; or the stack declares it "
    "provided outside, plinth:guardrails.external).",
    severity="high",
    remediation="Add an aws.bedrockmodel.InvocationLoggingConfiguration with logging_config "
    "text_data_delivery_enabled=True and an s3_config and/or cloudwatch_config destination.",
    fix={"*": "plinth:guardrails.external"},
    controls={
        "nist-ai-rmf": ["MEASURE 2.4", "MANAGE 4.1", "MANAGE 3.1"],
        "nist-800-53": ["AU-2", "AU-12"],
        "soc2": ["CC7.2"],
        "hipaa": ["164.312(b)"],
    },
    params=(EXTERNAL_GUARDRAILS,),
)
def invocation_logging(args: StackValidationArgs, report: Report, config: Config) -> None:
    users = _bedrock_users(args)
    configs = of_type(args, INVOCATION_LOGGING)
    # Logging is one configuration per account and region: a Plinth tenant stack's calls are
    # logged by the platform stack it references, whose own audit checks the configuration;
    # a stack may also declare it provided outside (plinth:guardrails.external).
    external = provided_elsewhere(args, config, AccountGuardrail.INVOCATION_LOGGING)
    if users and not configs and not external:
        report("the stack uses Bedrock but configures no model invocation logging", users[0].urn)
    for configuration in configs:
        logging = dig(configuration.props, "loggingConfig", default={})
        if dig(logging, "textDataDeliveryEnabled") is False:  # the provider defaults it to true
            report(
                "text prompts and completions are not logged (textDataDeliveryEnabled)",
                configuration.urn,
            )
        if not dig(logging, "s3Config") and not dig(logging, "cloudwatchConfig"):
            report(
                "invocation logging has no s3Config or cloudwatchConfig destination",
                configuration.urn,
            )


def _bucket_uses_kms_key(args: StackValidationArgs, bucket: PolicyResource) -> bool:
    for encryption in referencing(of_type(args, *ENCRYPTION), "bucket", bucket):
        if any(sse_kms_problem(rule) is None for rule in as_list(dig(encryption.props, "rules"))):
            return True
    return False


def _destination_problems(
    args: StackValidationArgs, logging: Mapping[str, Any], destinations: Sequence[PolicyResource]
) -> Iterator[str]:
    buckets = [d for d in destinations if d.resource_type in BUCKETS]
    groups = [d for d in destinations if d.resource_type == LOG_GROUP]
    writes_s3 = dig(logging, "s3Config") or dig(
        logging, "cloudwatchConfig", "largeDataDeliveryS3Config"
    )
    if writes_s3 and not buckets:
        yield "the log bucket is not created in this stack, so its encryption is unverified"
    if dig(logging, "cloudwatchConfig") and not groups:
        yield "the log group is not created in this stack, so its encryption is unverified"
    for bucket in buckets:
        if not _bucket_uses_kms_key(args, bucket):
            yield f"log bucket {bucket.name!r} is not encrypted with a customer-managed KMS key"
    for group in groups:
        if not dig(group.props, "kmsKeyId"):
            yield f"log group {group.name!r} has no kmsKeyId"


@stack_rule(
    id="bedrock-invocation-logs-encrypted",
    area="bedrock",
    description="Bedrock invocation logs, which hold prompts and completions, are written to an "
    "S3 bucket and CloudWatch log group encrypted with a customer-managed KMS key.",
    severity="high",
    remediation="Create the log bucket with an aws.s3.BucketServerSideEncryptionConfiguration "
    "(sse_algorithm='aws:kms', kms_master_key_id set) and the log group with kms_key_id, in the "
    "same stack as the InvocationLoggingConfiguration that refers to them.",
    controls={
        "nist-800-53": ["SC-28"],
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
    },
)
def invocation_logs_encrypted(args: StackValidationArgs, report: Report, _: Config) -> None:
    for config in of_type(args, INVOCATION_LOGGING):
        logging = dig(config.props, "loggingConfig", default={})
        destinations = config.property_dependencies.get("loggingConfig", [])
        for problem in _destination_problems(args, logging, destinations):
            report(problem, config.urn)


def _strongest(values: Sequence[str]) -> str:
    return max(values, key=STRENGTHS.index)


@resource_rule(
    id="bedrock-guardrail-prompt-attack",
    area="bedrock",
    description="Every Bedrock guardrail filters prompt attacks (jailbreaks, prompt injection) "
    "on input at the required strength.",
    severity="high",
    remediation="Add to content_policy_config.filters_configs an entry type='PROMPT_ATTACK', "
    "input_strength='HIGH', output_strength='NONE'.",
    fix={"bedrock": "guardrail.promptAttackStrength"},
    controls={"nist-ai-rmf": ["MANAGE 1.3", "MAP 4.2"], "nist-800-53": ["SI-10"]},
    types=(GUARDRAIL,),
    params=(
        Param(
            name="minPromptAttackStrength",
            description="Weakest allowed input strength of the PROMPT_ATTACK content filter.",
            schema={"type": "string", "enum": list(STRENGTHS)},
            default="HIGH",
            merge=_strongest,
        ),
    ),
)
def guardrail_prompt_attack(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    minimum = config["minPromptAttackStrength"]
    filters = as_list(dig(args.props, "contentPolicyConfig", "filtersConfigs"))
    attack = [f for f in filters if dig(f, "type") == "PROMPT_ATTACK"]
    if not attack:
        report("the guardrail has no PROMPT_ATTACK content filter")
    for entry in attack:
        strength = dig(entry, "inputStrength", default="NONE")
        if STRENGTHS.index(strength) < STRENGTHS.index(minimum):
            report(f"PROMPT_ATTACK input strength {strength} is below {minimum}")
        if dig(entry, "inputEnabled") is False:
            report("the PROMPT_ATTACK filter is disabled on input (inputEnabled)")


@resource_rule(
    id="bedrock-guardrail-pii",
    area="bedrock",
    description="Every Bedrock guardrail blocks or anonymises personal data (PII entities), so "
    "it is not passed to or returned from models unchecked.",
    severity="medium",
    remediation="Add sensitive_information_policy_config.pii_entities_configs entries (e.g. "
    "EMAIL, PHONE, NAME, US_SOCIAL_SECURITY_NUMBER) with action 'BLOCK' or 'ANONYMIZE'.",
    fix={"bedrock": "guardrail.piiEntities"},
    controls={
        "nist-ai-rmf": ["MANAGE 1.3"],
        "gdpr": ["Art. 25"],
    },
    enforcement=advisory(mandatory_in=("hipaa", "gdpr")),
    types=(GUARDRAIL,),
)
def guardrail_pii(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    entities = as_list(dig(args.props, "sensitiveInformationPolicyConfig", "piiEntitiesConfigs"))
    actions_of = [
        dig(e, key) for e in entities for key in ("action", "inputAction", "outputAction")
    ]
    if not any(action in BLOCKING_PII_ACTIONS for action in actions_of):
        report("the guardrail neither blocks nor anonymises any PII entity")


@resource_rule(
    id="bedrock-invoke-allowlisted-models",
    area="bedrock",
    description="Identity policies grant Bedrock invoke actions on named models (or one "
    "provider's models), never on every model.",
    severity="high",
    remediation="List the foundation-model or inference-profile ARNs of the approved models "
    "in Resource instead of '*' or foundation-model/*.",
    fix={"bedrock": "models", "tenant": "bedrockModels"},
    controls=MODEL_ALLOWLIST,
    types=DOCUMENT_TYPES,
)
def invoke_allowlisted_models(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for label, statement in invoke_grants(args.resource_type, args.props):
        if "NotResource" in statement:
            report(f"{label} statement {sid(statement)} allows invoking models via NotResource")
        for pattern in filter(_any_model, resources(statement)):
            report(f"{label} statement {sid(statement)} allows invoking any model: {pattern!r}")


@resource_rule(
    id="bedrock-provider-wide-model-grant",
    area="bedrock",
    description="Invoke grants on wildcard model patterns (e.g. every model of a provider) are "
    "shown to reviewers: any new model of that provider becomes callable without review.",
    severity="low",
    remediation="Name the approved model versions instead of a pattern such as "
    "foundation-model/anthropic.*, or waive this finding with the reason.",
    fix={"bedrock": "allowProviders"},
    controls={"nist-ai-rmf": ["GOVERN 6.1"], "nist-800-53": ["AC-6"]},
    enforcement=advisory(),
    types=DOCUMENT_TYPES,
)
def provider_wide_model_grant(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for label, statement in invoke_grants(args.resource_type, args.props):
        for pattern in resources(statement):
            family = _model_family(pattern)
            if family:
                report(f"{label} statement {sid(statement)} allows every model matching {family!r}")


GUARDRAIL_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")


def _requires_guardrail(statement: Mapping[str, Any]) -> bool:
    """Whether the statement only applies when a guardrail is named: a positive match on the
    key (negated, IfExists and Null operators still let calls without one through)."""
    conditions = dig(statement, "Condition", default={})
    return any(
        GUARDRAIL_KEY in (str(key).lower() for key in keys)
        for operator, keys in conditions.items()
        if isinstance(keys, Mapping) and str(operator).split(":")[-1] in GUARDRAIL_OPERATORS
    )


def _only_unguardable_models(statement: Mapping[str, Any]) -> bool:
    """Whether every resource is a named model Bedrock cannot guard (embeddings, rerankers,
    speech): a guardrail condition there would make the model uncallable."""
    patterns = resources(statement)
    if not patterns or "NotResource" in statement:
        return False
    for pattern in patterns:
        resource = arn_resource(pattern)
        kind = next((k for k in MODEL_KINDS if resource.startswith(k)), None)
        if kind is None:
            return False
        model = _model_part(resource, kind)
        if WILDCARD.search(model) or supports_guardrails(model):
            return False
    return True


@resource_rule(
    id="bedrock-invoke-requires-guardrail",
    area="bedrock",
    description="Every Allow statement granting Bedrock invoke actions requires the platform "
    "guardrail (condition on bedrock:GuardrailIdentifier), so unguarded calls are denied. "
    "Grants naming only models Bedrock cannot guard (embeddings, rerankers, speech) are exempt.",
    severity="high",
    remediation="Add Condition {'StringEquals': {'bedrock:GuardrailIdentifier': "
    "'<guardrail ARN>:<version>'}} to the statement.",
    fix={"*": "plinth:bedrock.guardrail.required"},
    controls={"nist-ai-rmf": ["MANAGE 1.3"], "nist-800-53": ["AC-3"]},
    enforcement=advisory(mandatory_in=("hipaa", "gdpr", "pci")),
    types=DOCUMENT_TYPES,
)
def invoke_requires_guardrail(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for label, statement in invoke_grants(args.resource_type, args.props):
        if not _requires_guardrail(statement) and not _only_unguardable_models(statement):
            report(f"{label} statement {sid(statement)} allows invoking without a guardrail")


def _private_runtime_endpoint(endpoint: PolicyResource) -> bool:
    return (
        dig(endpoint.props, "vpcEndpointType") == "Interface"
        and dig(endpoint.props, "privateDnsEnabled") is True
    )


@stack_rule(
    id="bedrock-private-endpoint",
    area="bedrock",
    description="A stack that uses Bedrock reaches the Bedrock runtime through an interface VPC "
    "endpoint with private DNS, so prompts do not leave the VPC for the public endpoint.",
    severity="medium",
    remediation="Add an aws.ec2.VpcEndpoint with service_name "
    "'com.amazonaws.<region>.bedrock-runtime', vpc_endpoint_type='Interface' and "
    "private_dns_enabled=True.",
    fix={"*": "plinth:bedrock.endpoints.runtime"},
    controls={
        "nist-800-53": ["SC-7"],
        "soc2": ["CC6.6"],
        "hipaa": ["164.312(e)(1)"],
        "pci": ["1.3.2"],
    },
    enforcement=advisory(mandatory_in=("hipaa", "pci")),
)
def private_endpoint(args: StackValidationArgs, report: Report, _: Config) -> None:
    users = _bedrock_users(args)
    if not users:
        return
    endpoints = [
        e
        for e in of_type(args, VPC_ENDPOINT)
        if str(dig(e.props, "serviceName", default="")).endswith(".bedrock-runtime")
    ]
    if not endpoints:
        report("the stack uses Bedrock without a bedrock-runtime VPC endpoint", users[0].urn)
    elif not any(_private_runtime_endpoint(e) for e in endpoints):
        report(
            "the bedrock-runtime endpoint is not an Interface endpoint with privateDnsEnabled",
            endpoints[0].urn,
        )
