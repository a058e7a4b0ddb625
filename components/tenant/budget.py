"""A tenant's monthly AWS budget, and the account's cost allocation tags budgets filter on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

PROJECT_TAG = "project"
"""The cost allocation tag whose value names the tenant owning a cost."""
COST_ALLOCATION_TAG_KEYS = (PROJECT_TAG, "cost-center")
NOTIFICATION_LIMIT = 10
"""Notifications per budget (the Budgets API's list limit)."""
EMAIL_SUBSCRIBER_LIMIT = 10
"""Email subscribers per notification."""


def tag_cost_filter(key: str, value: str) -> str:
    """A Budgets `TagKeyValue` filter value for a user-defined tag: `user:<key>$<value>`.

    Without the `user:` prefix the filter matches nothing and the budget stays at $0.
    """
    return f"user:{key}${value}"


def budget_notifications(
    thresholds_percent: Sequence[int], emails: Sequence[str]
) -> list[aws.budgets.BudgetNotificationArgsDict]:
    """An email alert as actual spend passes each threshold, and one when the month's forecast
    passes the limit (warning days before the actual spend does)."""
    subscribers = list(emails)
    notifications: list[aws.budgets.BudgetNotificationArgsDict] = [
        {
            "notification_type": "ACTUAL",
            "comparison_operator": "GREATER_THAN",
            "threshold": float(threshold),
            "threshold_type": "PERCENTAGE",
            "subscriber_email_addresses": subscribers,
        }
        for threshold in sorted(thresholds_percent)
    ]
    notifications.append(
        {
            "notification_type": "FORECASTED",
            "comparison_operator": "GREATER_THAN",
            "threshold": 100.0,
            "threshold_type": "PERCENTAGE",
            "subscriber_email_addresses": subscribers,
        }
    )
    return notifications


@dataclass(frozen=True)
class TenantBudgetArgs:
    """Inputs of a TenantBudget.

    `name` is the budget's name (`<prefix>-<tenant>`); costs are those tagged
    `tag_key=tag_value` (the tenant's `project` tag). Each of `thresholds_percent` alerts
    `owners` by email when actual spend passes it; a forecast over 100% alerts too.
    """

    name: str
    monthly_limit_usd: int
    owners: Sequence[str]
    tag_value: str
    tag_key: str = PROJECT_TAG
    thresholds_percent: Sequence[int] = (50, 80, 100)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.monthly_limit_usd < 1:
            raise ValueError("monthly_limit_usd must be at least 1")
        if not 1 <= len(self.owners) <= EMAIL_SUBSCRIBER_LIMIT:
            raise ValueError(f"a budget alerts 1 to {EMAIL_SUBSCRIBER_LIMIT} owners")
        if len(set(self.thresholds_percent)) != len(self.thresholds_percent):
            raise ValueError(f"{list(self.thresholds_percent)} lists a threshold twice")
        if any(threshold < 1 for threshold in self.thresholds_percent):
            raise ValueError("thresholds are positive percentages")
        if len(self.thresholds_percent) + 1 > NOTIFICATION_LIMIT:
            raise ValueError(
                f"at most {NOTIFICATION_LIMIT - 1} thresholds (a budget has at most "
                f"{NOTIFICATION_LIMIT} notifications, one is the forecast)"
            )
        if not 1 <= len(self.name) <= 100 or ":" in self.name or "\\" in self.name:
            raise ValueError(f"{self.name!r} is not a budget name (1-100 characters, no : or \\)")


class TenantBudget(pulumi.ComponentResource):
    """A monthly COST budget in USD over the tenant's tagged costs, with email alerts.

    Gross spend is budgeted: credits and refunds are left out, so promotional credits do not
    hide a runaway job until they run out.

    AWS Budgets is a global service (one endpoint per partition, signed for us-east-1 in
    `aws`), and `aws.budgets.Budget` has no region: any provider of the account works. The
    GovCloud partition has no Budgets endpoint; its costs are budgeted from the linked
    commercial account. The budget only sees costs once the tag key is an active cost
    allocation tag (CostAllocationTags).
    """

    budget: aws.budgets.Budget
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: TenantBudgetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:TenantBudget", name, None, opts)
        self.budget = aws.budgets.Budget(
            name,
            name=args.name,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=str(args.monthly_limit_usd),
            limit_unit="USD",
            cost_filters=[
                {"name": "TagKeyValue", "values": [tag_cost_filter(args.tag_key, args.tag_value)]}
            ],
            cost_types={"include_credit": False, "include_refund": False},
            notifications=budget_notifications(args.thresholds_percent, args.owners),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.budget.arn
        self.register_outputs({"arn": self.arn, "name": self.budget.name})


@dataclass(frozen=True)
class CostAllocationTagsArgs:
    """The tag keys to activate for cost allocation."""

    tag_keys: Sequence[str] = COST_ALLOCATION_TAG_KEYS


class CostAllocationTags(pulumi.ComponentResource):
    """Activates tag keys (`project`, `cost-center`) as cost allocation tags, so Cost Explorer
    and Budgets can split costs by them.

    Account-level: the platform stack creates it once, never a tenant. In an AWS Organization
    only the management account can activate tags. AWS lists a key for activation only after
    it has appeared on a billed resource (up to 24 hours after first use), so on a fresh
    account the first `pulumi up` can fail here and succeed a day later. Destroy returns the
    keys to Inactive.
    """

    tags: dict[str, aws.costexplorer.CostAllocationTag]

    def __init__(
        self,
        name: str,
        args: CostAllocationTagsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("plinth:tenant:CostAllocationTags", name, None, opts)
        self.tags = {
            key: aws.costexplorer.CostAllocationTag(
                f"{name}-{key}",
                tag_key=key,
                status="Active",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key in args.tag_keys
        }
        self.register_outputs({"tagKeys": list(self.tags)})
