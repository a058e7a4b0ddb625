"""Fixtures for policies/rules/cost.py."""

from __future__ import annotations

from rule_cases import TAGS, complies, res, violates

FLAVOR = "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor"
QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"
KARPENTER = "kubernetes:karpenter.sh/v1:NodePool"
COREWEAVE = "kubernetes:compute.coreweave.com/v1alpha1:NodePool"
PRICES = {"gpuHourPrices": {"g6e.xlarge": 2.0, "g6e.12xlarge": 12.0, "gd-8xh100ib-i128": 48.0}}


def karpenter_pool(pool, *types):  # type: ignore[no-untyped-def]
    requirement = {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": types}
    return res(
        KARPENTER,
        f"pool-{pool}",
        {
            "metadata": {"name": f"gpu-{pool}"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"plinth.dev/gpu-pool": pool}},
                    "spec": {"requirements": [requirement]},
                }
            },
        },
    )


def flavor(pool):  # type: ignore[no-untyped-def]
    return res(
        FLAVOR,
        f"flavor-{pool}",
        {
            "metadata": {"name": f"gpu-{pool}"},
            "spec": {"nodeLabels": {"plinth.dev/gpu-pool": pool}},
        },
    )


def queue(tenant, pool, nominal, borrowing):  # type: ignore[no-untyped-def]
    gpu = {"name": "nvidia.com/gpu", "nominalQuota": nominal, "borrowingLimit": borrowing}
    return res(
        QUEUE,
        f"{tenant}-queue",
        {
            "metadata": {"name": f"plinth-{tenant}", "labels": {"plinth.dev/tenant": tenant}},
            "spec": {
                "resourceGroups": [{"flavors": [{"name": f"gpu-{pool}", "resources": [gpu]}]}]
            },
        },
    )


def tenant_budget(tenant, usd):  # type: ignore[no-untyped-def]
    return res(
        "aws:budgets/budget:Budget",
        f"{tenant}-budget",
        {
            "limitAmount": str(usd),
            "costFilters": [{"name": "TagKeyValue", "values": [f"user:project${tenant}"]}],
        },
    )


# 2 GPUs borrowed on l40s: the dearest type is g6e.12xlarge, 12.0 / 4 GPUs = 3.0 an hour each,
# so 2 x 3.0 x 730 = 4,380 a month (the cheaper g6e.xlarge, 2.0 a GPU, does not set the price).
L40S = (karpenter_pool("l40s", "g6e.xlarge", "g6e.12xlarge"), flavor("l40s"))

CASES = [
    violates(
        "cost-tenant-gpu-budget",
        "quota priced on the pool's dearest GPU, over budget",
        *L40S,
        queue("search", "l40s", 0, 2),
        tenant_budget("search", 4000),
        config=PRICES,
        expect="tenant search: its GPU quota (gpu-l40s: 2) can cost $4,380 a month",
    ),
    complies(
        "cost-tenant-gpu-budget",
        "the same quota within a larger budget",
        *L40S,
        queue("search", "l40s", 0, 2),
        tenant_budget("search", 4400),
        config=PRICES,
    ),
    violates(
        "cost-tenant-gpu-budget",
        "nominal quota counts with what may be borrowed (CoreWeave pool)",
        res(
            COREWEAVE,
            "h100",
            {
                "spec": {
                    "instanceType": "gd-8xh100ib-i128",
                    "nodeLabels": {"plinth.dev/gpu-pool": "h100"},
                }
            },
        ),
        flavor("h100"),
        queue("train", "h100", 1, 1),
        tenant_budget("train", 8000),
        config=PRICES,
        expect="can cost $8,760",
    ),
    complies(
        "cost-tenant-gpu-budget",
        "a pool of a type without a price is not counted",
        karpenter_pool("a10", "g5.xlarge"),
        flavor("a10"),
        queue("search", "a10", 0, 8),
        tenant_budget("search", 1),
        config=PRICES,
    ),
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
