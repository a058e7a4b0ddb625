"""Spend guardrails: a monthly budget for the platform account and cost anomaly alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.guardrails.singletons import anomaly_monitor_name, budget_name
from components.tenant.budget import budget_notifications


@dataclass(frozen=True)
class PlatformBudget:
    """A monthly limit in USD and the percentages of it that alert."""

    monthly_limit_usd: int
    thresholds_percent: Sequence[int] = (80, 100)


@dataclass(frozen=True)
class PlatformSpendArgs:
    """Inputs of PlatformSpend. `budget=None` makes no budget; `anomaly_monitor=False` leaves
    the account's one AWS services monitor to whoever owns it (then no subscription either:
    its owner chooses who hears about anomalies). Without subscribers the monitor still
    records anomalies, shown in the Cost Explorer console."""

    name_prefix: str
    subscribers: Sequence[str]
    tags: Mapping[str, str]
    anomaly_threshold_usd: int
    budget: PlatformBudget | None = None
    anomaly_monitor: bool = True

    def __post_init__(self) -> None:
        if self.budget and not self.subscribers:
            raise ValueError("a budget needs at least one subscriber to alert")


class PlatformSpend(pulumi.ComponentResource):
    """What the platform account spends, watched two ways:

    - a monthly COST budget over the whole account (the platform and every tenant on it;
      tenants' own budgets split it by their tags), alerting the subscribers by email at each
      threshold of actual spend and when the forecast passes the limit. Credits and refunds
      are left out, so promotional credits do not hide a runaway cluster;
    - Cost Anomaly Detection: the AWS services monitor (machine learning over each service's
      daily spend) and a daily email to the subscribers for anomalies whose total impact is at
      least `anomaly_threshold_usd`. A sudden GPU or Bedrock spend spike is also a classic sign
      of stolen credentials.

    Budgets and Cost Explorer are global services: these resources have no region.
    """

    def __init__(
        self, name: str, args: PlatformSpendArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:PlatformSpend", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.budget is not None:
            aws.budgets.Budget(
                f"{name}-budget",
                name=budget_name(args.name_prefix),
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=str(args.budget.monthly_limit_usd),
                limit_unit="USD",
                cost_types={"include_credit": False, "include_refund": False},
                notifications=budget_notifications(
                    args.budget.thresholds_percent, args.subscribers
                ),
                tags=dict(args.tags),
                opts=child,
            )
        if args.anomaly_monitor:
            monitor = aws.costexplorer.AnomalyMonitor(
                f"{name}-anomalies",
                name=anomaly_monitor_name(args.name_prefix),
                monitor_type="DIMENSIONAL",
                monitor_dimension="SERVICE",
                tags=dict(args.tags),
                opts=child,
            )
            if args.subscribers:
                aws.costexplorer.AnomalySubscription(
                    f"{name}-anomaly-alerts",
                    name=f"{args.name_prefix}-anomaly-alerts",
                    monitor_arn_lists=[monitor.arn],
                    frequency="DAILY",
                    subscribers=[{"type": "EMAIL", "address": email} for email in args.subscribers],
                    threshold_expression={
                        "dimension": {
                            "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                            "match_options": ["GREATER_THAN_OR_EQUAL"],
                            "values": [str(args.anomaly_threshold_usd)],
                        }
                    },
                    tags=dict(args.tags),
                    opts=child,
                )
        self.register_outputs({})
