"""Policy pack rules, each with a passing and a failing fixture."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from plinth.engine import Preview
from policies.rules import ALL_POLICIES
from policies.rules.tagging import REQUIRED_TAGS_POLICY

GOOD_TAGS = {"owner": "o", "cost-center": "c", "environment": "e", "data-classification": "d"}


def violations(policy: Any, resource_type: str, props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        resource_type=resource_type,
        props=unknown_checking_proxy(props),
        urn=f"urn:pulumi:test::test::{resource_type}::r",
        name="r",
        opts=None,
        provider=None,
    )
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found


def test_required_tags_pass() -> None:
    assert violations(REQUIRED_TAGS_POLICY, "aws:s3/bucket:Bucket", {"tags": GOOD_TAGS}) == []


@pytest.mark.parametrize(
    ("tags", "missing"),
    [
        (None, "owner, cost-center, environment, data-classification"),
        ({**GOOD_TAGS, "owner": ""}, "owner"),
        ({k: v for k, v in GOOD_TAGS.items() if k != "data-classification"}, "data-classification"),
    ],
)
def test_required_tags_fail(tags: dict[str, str] | None, missing: str) -> None:
    props = {} if tags is None else {"tags": tags}
    assert violations(REQUIRED_TAGS_POLICY, "aws:ec2/vpc:Vpc", props) == [
        f"missing required tags: {missing}"
    ]


def test_required_tags_skip_untaggable_types() -> None:
    assert violations(REQUIRED_TAGS_POLICY, "aws:s3/bucketPolicy:BucketPolicy", {}) == []
    assert violations(REQUIRED_TAGS_POLICY, "kubernetes:core/v1:Namespace", {}) == []


def test_pack_names_are_unique_and_described() -> None:
    names = [policy.name for policy in ALL_POLICIES]
    assert len(names) == len(set(names))
    assert all(policy.description for policy in ALL_POLICIES)


def test_dev_stack_passes_every_rule(dev_preview: Preview) -> None:
    for record in dev_preview.resources:
        for policy in ALL_POLICIES:
            assert violations(policy, record.type, record.plain_inputs) == [], record.urn
