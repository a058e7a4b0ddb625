"""Fixtures for policies/rules/residency.py."""

from __future__ import annotations

import json
from typing import Any

from rule_cases import complies, res, violates

PROVIDER = "pulumi:providers:aws"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:iam/policy:Policy"
EU_ONLY = {"allowedRegions": ["eu-west-1", "eu-central-1"]}
ACCOUNT = "123456789012"


def provider(region: str | None) -> Any:
    return res(PROVIDER, "aws", {"region": region} if region else {})


def profile_arn(profile_id: str) -> str:
    return f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/{profile_id}"


def invoke_policy(*resource_arns: str, **statement: Any) -> Any:
    grant = {"Effect": "Allow", "Action": "bedrock:Converse*", "Resource": list(resource_arns)}
    document = {"Version": "2012-10-17", "Statement": [{**grant, **statement}]}
    return res(POLICY, "model-access", {"policy": json.dumps(document)})


EU_CLAUDE = profile_arn("eu.anthropic.claude-3-7-sonnet-20250219-v1:0")
US_CLAUDE = profile_arn("us.anthropic.claude-3-7-sonnet-20250219-v1:0")
GLOBAL_CLAUDE = profile_arn("global.anthropic.claude-sonnet-4-20250514-v1:0")
IN_REGION = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"

CASES = [
    violates(
        "residency-allowed-regions",
        "US provider under gdpr",
        provider("us-east-1"),
        profiles=("gdpr",),
        expect="'us-east-1'",
    ),
    violates(
        "residency-allowed-regions",
        "London is outside the EU",
        provider("eu-west-2"),
        profiles=("gdpr",),
        expect="'eu-west-2'",
    ),
    violates(
        "residency-allowed-regions",
        "bucket overriding its provider's region",
        provider("eu-west-1"),
        res(BUCKET, "replica", {"region": "us-west-2"}),
        config=EU_ONLY,
        expect="'us-west-2'",
    ),
    violates(
        "residency-allowed-regions",
        "provider region left to the environment",
        provider(None),
        config=EU_ONLY,
        expect="no region",
    ),
    complies(
        "residency-allowed-regions",
        "Frankfurt provider and Irish bucket under gdpr",
        provider("eu-central-1"),
        res(BUCKET, "data", {"region": "eu-west-1"}),
        profiles=("gdpr",),
    ),
    complies(
        "residency-allowed-regions",
        "no restriction in baseline",
        provider("us-east-1"),
        res(BUCKET, "data", {"region": "ap-south-1"}),
    ),
    violates(
        "residency-bedrock-cross-region-inference",
        "US inference profile under gdpr",
        invoke_policy(EU_CLAUDE, US_CLAUDE),
        profiles=("gdpr",),
        expect="in 'us'",
    ),
    violates(
        "residency-bedrock-cross-region-inference",
        "global profile with EU-only regions",
        invoke_policy(GLOBAL_CLAUDE),
        config=EU_ONLY,
        expect="in 'global'",
    ),
    violates(
        "residency-bedrock-cross-region-inference",
        "every inference profile under gdpr",
        invoke_policy(profile_arn("*")),
        profiles=("gdpr",),
        expect="any geography",
    ),
    complies(
        "residency-bedrock-cross-region-inference",
        "EU profile and in-region model under gdpr",
        invoke_policy(EU_CLAUDE, IN_REGION),
        profiles=("gdpr",),
    ),
    complies(
        "residency-bedrock-cross-region-inference",
        "US profile with every US destination Region allowed",
        invoke_policy(US_CLAUDE),
        config={"allowedRegions": ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]},
    ),
    violates(
        "residency-bedrock-cross-region-inference",
        "US profile routes beyond the two US Regions allowed",
        invoke_policy(US_CLAUDE),
        config={"allowedRegions": ["us-east-1", "us-west-2"]},
        expect="'us'",
    ),
    complies(
        "residency-bedrock-cross-region-inference",
        "no restriction in baseline",
        invoke_policy(GLOBAL_CLAUDE),
    ),
]
