"""Data residency: resources and model inference stay in the regions a profile allows.

Where data is stored and processed is a legal question under GDPR (transfers outside the EU)
and a contractual one for many customers. A stack declares its regions on its AWS providers
(`region`, for the default provider the `aws:region` config) and, with the AWS provider v7,
on any resource that overrides it with its own `region` input. Bedrock adds a second route out:
a cross-region inference profile (`us.`, `eu.`, `apac.`, `global.`...) lets AWS process a
prompt in any region of its geography, whatever region the call is made from.

Both rules read one `allowedRegions` threshold; an empty list means no restriction.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import ResourceValidationArgs

from policies.profiles import by_profile
from policies.props import dig, resources
from policies.report import Report
from policies.rule import Config, Param, advisory, narrowest, resource_rule
from policies.rules.bedrock import (
    DOCUMENT_TYPES,
    INFERENCE_PROFILE,
    WILDCARD,
    arn_resource,
    could_start_with,
    invoke_grants,
)

AWS_PROVIDER = "pulumi:providers:aws"
# The Regions each cross-region inference geography may route a request to, as documented for
# AWS's predefined profiles (Bedrock user guide, "Supported Regions and models for inference
# profiles"; AWS CDK CrossRegionInferenceProfileRegion), checked 2026-11. A model's own set is
# a subset. A geography is allowed only when every Region in it is allowed.
GEOGRAPHY_DESTINATIONS: dict[str, frozenset[str]] = {
    "us": frozenset({"us-east-1", "us-east-2", "us-west-1", "us-west-2"}),
    "us-gov": frozenset({"us-gov-east-1", "us-gov-west-1"}),
    "eu": frozenset(
        {"eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"}
    ),
    "apac": frozenset(
        {
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
            "ap-east-2",
            "me-central-1",
        }
    ),
    "jp": frozenset({"ap-northeast-1", "ap-northeast-3"}),
    "au": frozenset({"ap-southeast-2", "ap-southeast-4"}),
    "ca": frozenset({"ca-central-1", "ca-west-1"}),
}
ANY_GEOGRAPHY = "*"

RESIDENCY = {"gdpr": ["Art. 44"], "nist-800-53": ["SA-9(5)"]}

ALLOWED_REGIONS = Param(
    name="allowedRegions",
    description="AWS regions where resources may live and prompts may be processed; empty "
    "means any region.",
    schema={"type": "array", "items": {"type": "string"}},
    default=[],
    merge=narrowest,
    by_profile=by_profile("allowed_regions"),
)


@resource_rule(
    id="residency-allowed-regions",
    area="residency",
    description="AWS providers, and resources that set their own region, use only the regions "
    "the stack's profiles allow.",
    severity="high",
    remediation="Set region on the aws.Provider (or the aws:region stack config) and on any "
    "resource's region argument to one of the allowed regions.",
    fix={"bedrock": "region", "*": "plinth:aws.region"},
    controls=RESIDENCY,
    params=(ALLOWED_REGIONS,),
)
def allowed_regions(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    allowed = config["allowedRegions"]
    is_provider = args.resource_type == AWS_PROVIDER
    if not allowed or not (is_provider or args.resource_type.startswith("aws:")):
        return
    region = dig(args.props, "region")
    if region is None and is_provider:
        report("the provider sets no region, so it comes from the environment; set one")
    elif region is not None and region not in allowed:
        report(f"region {region!r} is not one of the allowed regions {allowed}")


def _geographies(regions: Sequence[str]) -> set[str]:
    """The inference geographies whose every destination Region is allowed (`global` never:
    it spans every commercial Region)."""
    allowed = set(regions)
    return {
        name for name, destinations in GEOGRAPHY_DESTINATIONS.items() if destinations <= allowed
    }


def _profile_geography(pattern: str) -> str | None:
    """The geography prefix of the inference profiles a resource pattern covers (`*`: any)."""
    resource = arn_resource(pattern)
    if not could_start_with(resource, INFERENCE_PROFILE):
        return None
    if not resource.startswith(INFERENCE_PROFILE):  # a wildcard stands for the resource type
        return ANY_GEOGRAPHY
    geography, dot, _ = resource.removeprefix(INFERENCE_PROFILE).partition(".")
    if WILDCARD.search(geography):
        return ANY_GEOGRAPHY
    return geography if dot else None


@resource_rule(
    id="residency-bedrock-cross-region-inference",
    area="residency",
    description="Identity policies grant Bedrock invoke only on cross-region inference profiles "
    "whose geography lies within the allowed regions (never `global.`).",
    severity="high",
    remediation="Grant the in-region foundation model or the inference profile of the allowed "
    "geography (e.g. eu.anthropic...) instead of us., apac. or global. profiles.",
    fix={"bedrock": "models", "tenant": "bedrockModels"},
    controls=RESIDENCY,
    enforcement=advisory(mandatory_in=("gdpr",)),
    types=DOCUMENT_TYPES,
    params=(ALLOWED_REGIONS,),
)
def bedrock_cross_region_inference(
    args: ResourceValidationArgs, report: Report, config: Config
) -> None:
    allowed = config["allowedRegions"]
    if not allowed:
        return
    geographies = _geographies(allowed)
    for label, statement in invoke_grants(args.resource_type, args.props):
        patterns = ["*"] if "NotResource" in statement else resources(statement)
        for pattern in patterns:
            geography = _profile_geography(pattern)
            if geography is not None and geography not in geographies:
                where = "any geography" if geography == ANY_GEOGRAPHY else repr(geography)
                report(
                    f"{label}: {pattern!r} lets prompts be processed in {where}, outside "
                    f"the allowed regions {allowed}"
                )
