"""Fixtures for policies/rules/bedrock.py."""

from __future__ import annotations

import json
from typing import Any

from rule_cases import complies, res, violates

LOGGING = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
PROFILE = "aws:bedrock/inferenceProfile:InferenceProfile"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-logging"
GUARDRAIL_ARN = "arn:aws:bedrock:eu-west-1:123456789012:guardrail/abc123"
CLAUDE = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
ALL_ANTHROPIC = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.*"
ALL_MODELS = "arn:aws:bedrock:eu-west-1::foundation-model/*"
EU_PROFILE = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-v1:0"
TITAN_EMBED = "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-text-v2:0"
ALL_TITAN_EMBED = "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-*"
GUARDED = {"StringEquals": {"bedrock:GuardrailIdentifier": f"{GUARDRAIL_ARN}:1"}}

log_bucket = res(BUCKET, "invocation-logs")
log_group = res(LOG_GROUP, "invocations", {"kmsKeyId": KEY_ARN})
plain_group = res(LOG_GROUP, "invocations")
kms_sse = res(
    SSE,
    "invocation-logs-sse",
    {
        "bucket": "invocation-logs",
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": KEY_ARN,
                }
            }
        ],
    },
    deps={"bucket": [log_bucket]},
)
s3_sse = res(
    SSE,
    "invocation-logs-sse",
    {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    deps={"bucket": [log_bucket]},
)


def logging_config(text: bool, *destinations: Any, s3: bool = True) -> Any:
    """Invocation logging to the log bucket (s3) and/or the log groups given."""
    config: dict[str, Any] = {"textDataDeliveryEnabled": text}
    if s3:
        config["s3Config"] = {"bucketName": "invocation-logs", "keyPrefix": "bedrock/"}
    groups = [d for d in destinations if d.type == LOG_GROUP]
    if groups:
        config["cloudwatchConfig"] = {"logGroupName": groups[0].name, "roleArn": ROLE_ARN}
    return res(
        LOGGING,
        "invocation-logging",
        {"loggingConfig": config},
        deps={"loggingConfig": list(destinations)},
    )


def policy(*statement_list: dict[str, Any], name: str = "model-access") -> Any:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statement_list)})
    return res(POLICY, name, {"policy": document})


def invoke(*resource_arns: str, condition: dict[str, Any] | None = None, **extra: Any) -> Any:
    statement = {
        "Sid": "Invoke",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": list(resource_arns),
        **extra,
    }
    return {**statement, "Condition": condition} if condition else statement


def guardrail(filters: list[dict[str, Any]], pii: list[dict[str, Any]] | None = None) -> Any:
    props: dict[str, Any] = {
        "name": "platform",
        "blockedInputMessaging": "Blocked.",
        "blockedOutputsMessaging": "Blocked.",
        "contentPolicyConfig": {"filtersConfigs": filters},
    }
    if pii is not None:
        props["sensitiveInformationPolicyConfig"] = {"piiEntitiesConfigs": pii}
    return res(GUARDRAIL, "platform", props)


def prompt_attack(strength: str) -> dict[str, Any]:
    return {"type": "PROMPT_ATTACK", "inputStrength": strength, "outputStrength": "NONE"}


VIOLENCE = {"type": "VIOLENCE", "inputStrength": "HIGH", "outputStrength": "HIGH"}
guarded_policy = policy(invoke(CLAUDE, condition=GUARDED))
profile = res(PROFILE, "claude", {"name": "claude", "modelSource": {"copyFrom": CLAUDE}})


def runtime_endpoint(private_dns: bool = True) -> Any:
    return res(
        ENDPOINT,
        "bedrock-runtime",
        {
            "vpcId": "vpc-123",
            "serviceName": "com.amazonaws.eu-west-1.bedrock-runtime",
            "vpcEndpointType": "Interface",
            "privateDnsEnabled": private_dns,
        },
    )


CASES = [
    violates(
        "bedrock-invocation-logging",
        "invoke grant without invocation logging",
        guarded_policy,
        expect="no model invocation logging",
    ),
    violates(
        "bedrock-invocation-logging",
        "text delivery off",
        profile,
        log_bucket,
        logging_config(False, log_bucket),
        expect="textDataDeliveryEnabled",
    ),
    violates(
        "bedrock-invocation-logging",
        "no destination",
        profile,
        logging_config(True, s3=False),
        expect="destination",
    ),
    complies(
        "bedrock-invocation-logging",
        "text logged to S3",
        guarded_policy,
        log_bucket,
        logging_config(True, log_bucket),
    ),
    complies(
        "bedrock-invocation-logging",
        "tenant stack: its platform stack logs",
        guarded_policy,
        res(STACK_REFERENCE, "platform", {"name": "acme/plinth/prod"}),
    ),
    complies(
        "bedrock-invocation-logging",
        "declared provided outside the stack (plinth:guardrails.external)",
        guarded_policy,
        config={"externalGuardrails": ["invocationLogging"]},
    ),
    violates(
        "bedrock-invocation-logging",
        "another guardrail declared external does not cover logging",
        guarded_policy,
        config={"externalGuardrails": ["guardDuty"]},
        expect="no model invocation logging",
    ),
    violates(
        "bedrock-invocation-logging",
        "a reference to some other stack does not log",
        guarded_policy,
        res(STACK_REFERENCE, "network", {"name": "acme/network/prod"}),
        expect="no model invocation logging",
    ),
    complies(
        "bedrock-invocation-logging",
        "no Bedrock use",
        log_bucket,
        policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    ),
    violates(
        "bedrock-invocation-logs-encrypted",
        "log bucket with SSE-S3",
        log_bucket,
        s3_sse,
        logging_config(True, log_bucket),
        expect="customer-managed KMS key",
    ),
    violates(
        "bedrock-invocation-logs-encrypted",
        "log group without kmsKeyId",
        log_bucket,
        kms_sse,
        plain_group,
        logging_config(True, log_bucket, plain_group),
        expect="kmsKeyId",
    ),
    violates(
        "bedrock-invocation-logs-encrypted",
        "log bucket from outside the stack",
        logging_config(True),
        expect="unverified",
    ),
    complies(
        "bedrock-invocation-logs-encrypted",
        "KMS-encrypted bucket and log group",
        log_bucket,
        kms_sse,
        log_group,
        logging_config(True, log_bucket, log_group),
    ),
    violates(
        "bedrock-guardrail-prompt-attack",
        "no prompt-attack filter",
        guardrail([VIOLENCE]),
        expect="no PROMPT_ATTACK",
    ),
    violates(
        "bedrock-guardrail-prompt-attack",
        "medium strength under the HIGH default",
        guardrail([prompt_attack("MEDIUM")]),
        expect="below HIGH",
    ),
    complies(
        "bedrock-guardrail-prompt-attack",
        "medium strength where the threshold is MEDIUM",
        guardrail([prompt_attack("MEDIUM")]),
        config={"minPromptAttackStrength": "MEDIUM"},
    ),
    complies(
        "bedrock-guardrail-prompt-attack",
        "high strength",
        guardrail([VIOLENCE, prompt_attack("HIGH")]),
    ),
    violates(
        "bedrock-guardrail-pii",
        "no sensitive information policy",
        guardrail([prompt_attack("HIGH")]),
        expect="PII",
    ),
    violates(
        "bedrock-guardrail-pii",
        "PII detected but let through (gdpr)",
        guardrail([prompt_attack("HIGH")], [{"type": "EMAIL", "action": "NONE"}]),
        profiles=("gdpr",),
        expect="PII",
    ),
    complies(
        "bedrock-guardrail-pii",
        "PII anonymised",
        guardrail(
            [prompt_attack("HIGH")],
            [{"type": "EMAIL", "action": "ANONYMIZE"}, {"type": "NAME", "action": "BLOCK"}],
        ),
    ),
    violates(
        "bedrock-invoke-allowlisted-models",
        "Resource *",
        policy(invoke("*", condition=GUARDED)),
        expect="any model: '*'",
    ),
    violates(
        "bedrock-invoke-allowlisted-models",
        "every foundation model",
        policy(invoke(ALL_MODELS)),
        expect="foundation-model/*",
    ),
    violates(
        "bedrock-invoke-allowlisted-models",
        "bedrock:* on every inference profile of a geography, in a role's inline policy",
        res(
            ROLE,
            "app",
            {
                "inlinePolicies": [
                    {
                        "name": "models",
                        "policy": json.dumps(
                            {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "bedrock:*",
                                        "Resource": "arn:aws:bedrock:*:*:inference-profile/eu.*",
                                    }
                                ]
                            }
                        ),
                    }
                ]
            },
        ),
        expect="inlinePolicies[0]",
    ),
    complies(
        "bedrock-invoke-allowlisted-models",
        "named model and provider-wide pattern",
        policy(invoke(CLAUDE, ALL_ANTHROPIC, EU_PROFILE)),
    ),
    complies(
        "bedrock-invoke-allowlisted-models",
        "Resource * on a non-invoke Bedrock action",
        policy({"Effect": "Allow", "Action": "bedrock:ListFoundationModels", "Resource": "*"}),
    ),
    violates(
        "bedrock-provider-wide-model-grant",
        "every Anthropic model",
        policy(invoke(ALL_ANTHROPIC)),
        expect="'anthropic.*'",
    ),
    complies(
        "bedrock-provider-wide-model-grant",
        "named model versions",
        policy(invoke(CLAUDE, EU_PROFILE)),
    ),
    violates(
        "bedrock-invoke-requires-guardrail",
        "invoke without a guardrail condition",
        policy(invoke(CLAUDE)),
        expect="without a guardrail",
    ),
    violates(
        "bedrock-invoke-requires-guardrail",
        "IfExists lets unguarded calls through (hipaa)",
        policy(
            invoke(
                CLAUDE,
                condition={"StringEqualsIfExists": {"bedrock:GuardrailIdentifier": GUARDRAIL_ARN}},
            )
        ),
        profiles=("hipaa",),
        expect="without a guardrail",
    ),
    complies(
        "bedrock-invoke-requires-guardrail",
        "guardrail identifier required",
        guarded_policy,
    ),
    violates(
        "bedrock-private-endpoint",
        "guardrail without a runtime endpoint",
        guardrail([prompt_attack("HIGH")]),
        expect="without a bedrock-runtime VPC endpoint",
    ),
    violates(
        "bedrock-private-endpoint",
        "endpoint without private DNS (pci)",
        guarded_policy,
        runtime_endpoint(private_dns=False),
        profiles=("pci",),
        expect="privateDnsEnabled",
    ),
    complies(
        "bedrock-private-endpoint",
        "interface endpoint with private DNS",
        guarded_policy,
        runtime_endpoint(),
    ),
    complies("bedrock-private-endpoint", "no Bedrock use", runtime_endpoint(False)),
    complies(
        "bedrock-invocation-logging",
        "text delivery left at the provider's default (on)",
        profile,
        log_bucket,
        res(
            LOGGING,
            "invocation-logging",
            {"loggingConfig": {"s3Config": {"bucketName": "invocation-logs"}}},
            deps={"loggingConfig": [log_bucket]},
        ),
    ),
    violates(
        "bedrock-invoke-requires-guardrail",
        "a negated guardrail condition lets unguarded calls through (hipaa)",
        policy(
            invoke(
                CLAUDE,
                condition={"StringNotEquals": {"bedrock:GuardrailIdentifier": GUARDRAIL_ARN}},
            )
        ),
        profiles=("hipaa",),
        expect="without a guardrail",
    ),
    complies(
        "bedrock-invoke-requires-guardrail",
        "a grant naming only an embedding model, which Bedrock cannot guard",
        policy(invoke(TITAN_EMBED)),
    ),
    violates(
        "bedrock-invoke-requires-guardrail",
        "an embedding model and a Claude model in one unguarded grant",
        policy(invoke(TITAN_EMBED, CLAUDE)),
        expect="without a guardrail",
    ),
    violates(
        "bedrock-invoke-requires-guardrail",
        "a wildcard over embedding models may match models Bedrock can guard",
        policy(invoke(ALL_TITAN_EMBED)),
        expect="without a guardrail",
    ),
]
