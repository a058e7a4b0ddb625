"""The Bedrock layer of a platform stack: invocation logging, the platform guardrail,
provisioned throughput and the approved-models policy, in the Bedrock region."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from platform_layers import DataLayer, Foundation, access_log_bucket, bedrock_region
from tenancy import BedrockAccess

from components.bedrock.grants import (
    ApprovedModelsPolicy,
    ApprovedModelsPolicyArgs,
    GuardrailPin,
    ModelGrantArgs,
    ProvisionedModel,
)
from components.bedrock.guardrail import (
    DEFAULT_CONTENT_STRENGTHS,
    ContextualGrounding,
    DeniedTopic,
    PlatformGuardrail,
    PlatformGuardrailArgs,
    pii_actions_for,
)
from components.bedrock.logging import (
    InvocationLogging,
    InvocationLoggingArgs,
    invocation_log_group_name,
    invocation_logging_name,
)
from components.bedrock.throughput import ProvisionedThroughput, ProvisionedThroughputArgs
from components.guardrails import AccountGuardrail
from components.scope import AwsScope
from components.storage import EncryptionKey, EncryptionKeyArgs
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec


@dataclass(frozen=True)
class BedrockLayer:
    access: BedrockAccess
    """The scope and guardrail pin tenants' grants use."""
    outputs: dict[str, pulumi.Input[object]]
    """The stack's `bedrock` output."""
    logging: InvocationLogging | None
    """The invocation log store, unless the account's logging is managed elsewhere."""


def _invocation_logging(
    spec: PlinthSpec,
    base: Foundation,
    data: DataLayer,
    bedrock_scope: AwsScope,
    on_bedrock: pulumi.ResourceOptions,
) -> InvocationLogging:
    """The account's invocation logging in the Bedrock region; in another region than the
    stack's, with a key and an access-log bucket of that region (S3 and KMS are regional)."""
    prefix = base.prefix
    log_key, log_access = base.platform_key, data.access_logs
    if bedrock_scope.region != spec.aws.region:
        log_key = EncryptionKey(
            f"{prefix}-bedrock-key",
            EncryptionKeyArgs(
                scope=bedrock_scope,
                description=f"Plinth {spec.environment}: Bedrock invocation logs",
                tags=spec.common_tags(),
                administrators=spec.kms.administrators,
                allow_cloudwatch_logs=True,
                allow_bedrock_logging=True,
                protect=spec.protect,
            ),
            on_bedrock,
        )
        log_access = access_log_bucket(
            spec, f"{prefix}-bedrock-access-logs", bedrock_scope, on_bedrock
        )
    return InvocationLogging(
        invocation_logging_name(prefix),
        InvocationLoggingArgs(
            scope=bedrock_scope,
            key_arn=log_key.arn,
            log_group_name=invocation_log_group_name(spec.environment),
            retention_days=spec.bedrock.logging.retention_days,
            access_logs=log_access.log_destination("bedrock-logs/"),
            tags=spec.common_tags(),
            image_data=spec.bedrock.logging.image_data,
            embedding_data=spec.bedrock.logging.embedding_data,
            video_data=spec.bedrock.logging.video_data,
            noncurrent_version_days=spec.storage.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        on_bedrock,
    )


def _platform_guardrail(
    spec: PlinthSpec, prefix: str, on_bedrock: pulumi.ResourceOptions
) -> PlatformGuardrail:
    settings = spec.bedrock.guardrail
    return PlatformGuardrail(
        f"{prefix}-guardrail",
        PlatformGuardrailArgs(
            guardrail_name=f"{prefix}-platform",
            pii_actions=pii_actions_for(spec.data_classification.value, settings.pii_entities),
            tags=spec.common_tags(),
            prompt_attack_strength=settings.prompt_attack_strength,
            content_strengths={**DEFAULT_CONTENT_STRENGTHS, **settings.content_filters},
            denied_topics=[
                DeniedTopic(topic.name, topic.definition, topic.examples)
                for topic in settings.denied_topics
            ],
            blocked_words=settings.blocked_words,
            block_profanity=settings.block_profanity,
            contextual_grounding=(
                ContextualGrounding(
                    settings.contextual_grounding.grounding,
                    settings.contextual_grounding.relevance,
                )
                if settings.contextual_grounding
                else None
            ),
            blocked_input_message=settings.blocked_input_message,
            blocked_output_message=settings.blocked_output_message,
        ),
        on_bedrock,
    )


def bedrock_layer(spec: PlinthSpec, base: Foundation, data: DataLayer) -> BedrockLayer | None:
    """Bedrock for the account and region, when `plinth:bedrock.enabled`."""
    if not spec.bedrock.enabled:
        return None
    bedrock, prefix, region = spec.bedrock, base.prefix, bedrock_region(spec)
    tags = spec.common_tags()
    bedrock_scope, on_bedrock = base.scope, base.on_aws
    if region != spec.aws.region:
        bedrock_provider = aws.Provider(
            "aws-bedrock",
            region=region,
            allowed_account_ids=[spec.aws.account_id] if spec.aws.account_id else None,
        )
        on_bedrock = pulumi.ResourceOptions(provider=bedrock_provider)
        bedrock_scope = AwsScope(account_id=base.scope.account_id, region=region)
    logging = None
    if AccountGuardrail.INVOCATION_LOGGING not in spec.guardrails.external:
        logging = _invocation_logging(spec, base, data, bedrock_scope, on_bedrock)
    guardrail = _platform_guardrail(spec, prefix, on_bedrock)
    throughputs = {
        entry.name: ProvisionedThroughput(
            f"{prefix}-{entry.name}",
            ProvisionedThroughputArgs(
                scope=bedrock_scope,
                provisioned_model_name=f"{prefix}-{entry.name}",
                model_id=entry.model,
                model_units=entry.model_units,
                commitment=entry.commitment,
                tags=tags,
            ),
            on_bedrock,
        )
        for entry in bedrock.provisioned_throughput
    }
    required = bedrock.guardrail.required
    pin = GuardrailPin(guardrail.arn, guardrail.version_arn) if required else None
    approved = ApprovedModelsPolicy(
        f"{prefix}-bedrock-approved-models",
        ApprovedModelsPolicyArgs(
            grant=ModelGrantArgs(
                scope=bedrock_scope,
                models=bedrock.refs(),
                providers=bedrock.allow_providers,
                guardrail=pin,
                provisioned_models=[
                    ProvisionedModel(entry.model, throughputs[entry.name].arn)
                    for entry in bedrock.provisioned_throughput
                ],
            ),
            policy_name=f"{prefix}-bedrock-approved-models",
            tags=tags,
        ),
        on_bedrock,
    )
    outputs: dict[str, pulumi.Input[object]] = {
        "region": region,
        "models": [ref.id for ref in bedrock.refs()],
        "guardrailArn": guardrail.arn,
        "guardrailVersionArn": guardrail.version_arn,
        "guardrailRequired": required,
        "approvedModelsPolicyArn": approved.arn,
        "invocationLogBucket": logging.bucket.name if logging else None,
        "invocationLogGroup": logging.log_group.name if logging else None,
        "provisionedModels": {name: t.arn for name, t in throughputs.items()},
    }
    for component in (logging, guardrail, approved, *throughputs.values()):
        if component is not None:
            origins.record(component, stack_entry("bedrock", "plinth:bedrock"))
    return BedrockLayer(access=BedrockAccess(bedrock_scope, pin), outputs=outputs, logging=logging)
