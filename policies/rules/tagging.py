"""Cost allocation and ownership: every taggable AWS resource carries the common tags."""

from __future__ import annotations

import importlib
from functools import cache

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

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


def check_required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_taggable(args.resource_type):
        return
    tags = args.props.get("tags") or {}
    missing = [key for key in REQUIRED_TAG_KEYS if not tags.get(key)]
    if missing:
        report_violation(f"missing required tags: {', '.join(missing)}", None)


REQUIRED_TAGS_POLICY = ResourceValidationPolicy(
    name="plinth-required-tags",
    description=(
        "Taggable AWS resources carry owner, cost-center, environment and data-classification "
        "tags, so every cost and every finding has an accountable owner."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_required_tags,
)
