"""Fixtures for policies/rules/cost.py."""

from __future__ import annotations

from rule_cases import TAGS, complies, res, violates

CASES = [
    violates("cost-required-tags", "no tags", res("aws:ec2/vpc:Vpc", "v", {})),
    violates(
        "cost-required-tags",
        "empty owner",
        res("aws:s3/bucket:Bucket", "b", {"tags": {**TAGS, "owner": ""}}),
        expect="missing required tags: owner",
    ),
    violates(
        "cost-required-tags",
        "extra tag required by config",
        res("aws:ec2/vpc:Vpc", "v", {"tags": TAGS}),
        config={"requiredTags": ["owner", "project"]},
        expect="project",
    ),
    complies("cost-required-tags", "all tags", res("aws:ec2/vpc:Vpc", "v", {"tags": TAGS})),
    complies(
        "cost-required-tags",
        "types without tags are skipped",
        res("aws:s3/bucketPolicy:BucketPolicy", "p", {}),
    ),
    complies(
        "cost-required-tags",
        "non-AWS resources are skipped",
        res("kubernetes:core/v1:Namespace", "n", {}),
    ),
    violates(
        "cost-required-tags",
        "autoscaling group tags as a list, owner missing",
        res(
            "aws:autoscaling/group:Group",
            "asg",
            {
                "tags": [
                    {"key": k, "value": v, "propagateAtLaunch": True}
                    for k, v in TAGS.items()
                    if k != "owner"
                ]
            },
        ),
        expect="owner",
    ),
    complies(
        "cost-required-tags",
        "autoscaling group tags as a list",
        res(
            "aws:autoscaling/group:Group",
            "asg",
            {"tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()]},
        ),
    ),
]
