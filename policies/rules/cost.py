"""Cost: every taggable AWS resource carries the tags that attribute its cost and its owner."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache

from pulumi_policy import ResourceValidationArgs

from policies.props import as_list, dig
from policies.rule import Config, Param, Report, all_of, resource_rule

REQUIRED_TAG_KEYS = ("owner", "cost-center", "environment", "data-classification")


@cache
def is_taggable(resource_type: str) -> bool:
    """Whether the pulumi_aws resource class for `resource_type` takes `tags`."""
    package, _, rest = resource_type.partition(":")
    if package != "aws" or rest.count(":") != 1:
        return False
    module_path, class_name = rest.split(":")
    module_name = module_path.split("/")[0]
    try:
        module = importlib.import_module(f"pulumi_aws.{module_name}")
    except ImportError:
        return False
    resource_class = getattr(module, class_name, None)
    return resource_class is not None and hasattr(resource_class, "tags")


@resource_rule(
    id="cost-required-tags",
    area="cost",
    description="Taggable AWS resources carry owner, cost-center, environment and "
    "data-classification tags, so every cost and every finding has an accountable owner.",
    severity="medium",
    remediation="Pass the stack's common tags (PlinthSpec.common_tags()) to the resource's tags.",
    controls={"pci": ["12.5.1"], "nist-800-53": ["CM-8"]},
    params=(
        Param(
            name="requiredTags",
            description="Tag keys every taggable AWS resource must carry with a value.",
            schema={"type": "array", "items": {"type": "string"}, "minItems": 1},
            default=list(REQUIRED_TAG_KEYS),
            merge=all_of,
        ),
    ),
)
def required_tags(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if not is_taggable(args.resource_type):
        return
    tags = dig(args.props, "tags", default={})
    if not isinstance(tags, Mapping):  # autoscaling groups: [{key, value, propagateAtLaunch}]
        tags = {dig(t, "key"): dig(t, "value") for t in as_list(tags)}
    missing = [key for key in config["requiredTags"] if not tags.get(key)]
    if missing:
        report(f"missing required tags: {', '.join(missing)}")
