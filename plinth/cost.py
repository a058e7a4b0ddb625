"""`plinth cost`: what a stack would cost per month, at its smallest and largest scale.

Estimated from the validated spec and the versioned price table (`policies/prices.yaml`): GPU
node pools at min and max nodes, EKS control planes, NAT gateways, interface endpoints and
Bedrock provisioned throughput. Each tenant's maximum GPU spend (its GPU quota on each pool at
that pool's priciest GPU) is set against its budget. On-demand list prices of one region:
no discounts, spot, savings plans, storage, data transfer, Bedrock tokens or CoreWeave's
non-GPU charges. An item without a price in the table shows as unknown, never as zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from plinth.spec import PlinthSpec
from plinth.spec.bedrock import endpoint_services
from plinth.spec.clusters import AnyClusterSpec, node_pool
from policies.prices import PriceTable, price_table

Money = float | None
"""USD per month; None when the table has no price for the item."""


@dataclass(frozen=True)
class CostLine:
    """One priced item of the platform, at its smallest and largest scale."""

    item: str
    detail: str
    minimum: Money
    maximum: Money

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.item,
            "detail": self.detail,
            "minUsd": self.minimum,
            "maxUsd": self.maximum,
        }


@dataclass(frozen=True)
class TenantCost:
    """A tenant's largest GPU spend (every quota in use all month) against its budget."""

    name: str
    max_gpu_usd: Money
    budget_usd: int
    detail: str

    @property
    def over_budget(self) -> bool:
        return self.max_gpu_usd is not None and self.max_gpu_usd > self.budget_usd

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.name,
            "maxGpuUsd": self.max_gpu_usd,
            "budgetUsd": self.budget_usd,
            "overBudget": self.over_budget,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CostEstimate:
    stack: str
    prices: PriceTable
    lines: tuple[CostLine, ...]
    tenants: tuple[TenantCost, ...]
    tenant_stack: bool = False

    def total(self, bound: str) -> Money:
        """Sum of the lines' `minimum` or `maximum`; None if any is unknown."""
        values = [getattr(line, bound) for line in self.lines]
        return None if any(v is None for v in values) else round(sum(values), 2)

    def to_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "prices": {
                "version": self.prices.version,
                "currency": self.prices.currency,
                "awsRegion": self.prices.aws.region,
            },
            "tenantStack": self.tenant_stack,
            "lines": [line.to_json() for line in self.lines],
            "total": {"minUsd": self.total("minimum"), "maxUsd": self.total("maximum")},
            "tenants": [tenant.to_json() for tenant in self.tenants],
        }


def _monthly(hourly: float | None, count: float, prices: PriceTable) -> Money:
    """`count` of something priced `hourly`, for a month; none of it costs nothing, priced or
    not."""
    if count == 0:
        return 0.0
    return None if hourly is None else round(hourly * count * prices.hours_per_month, 2)


def _pool_lines(spec: PlinthSpec, prices: PriceTable) -> list[CostLine]:
    lines = []
    for cluster in spec.clusters:
        if cluster.cloud == "aws":
            lines.append(
                CostLine(
                    f"cluster {cluster.name}: EKS control plane",
                    "standard support",
                    _monthly(prices.aws.eks_cluster_hour, 1, prices),
                    _monthly(prices.aws.eks_cluster_hour, 1, prices),
                )
            )
        for pool in cluster.gpu_pools:
            hourly = [prices.instance_hour(cluster.cloud, m.name) for m in pool.machines()]
            known = [h for h in hourly if h is not None]
            cheapest = min(known) if len(known) == len(hourly) else None
            priciest = max(known) if len(known) == len(hourly) else None
            types = ", ".join(m.name for m in pool.machines())
            lines.append(
                CostLine(
                    f"cluster {cluster.name}: pool {pool.name}",
                    f"{pool.min_nodes}-{pool.max_nodes} × {types}",
                    _monthly(cheapest, pool.min_nodes, prices),
                    _monthly(priciest, pool.max_nodes, prices),
                )
            )
    return lines


def _network_lines(spec: PlinthSpec, prices: PriceTable) -> list[CostLine]:
    gateways = {"perAz": spec.network.az_count, "single": 1, "none": 0}[spec.network.nat_gateways]
    endpoints = (*spec.network.interface_endpoints, *endpoint_services(spec.bedrock))
    nat = _monthly(prices.aws.nat_gateway_hour, gateways, prices)
    interface = _monthly(
        prices.aws.interface_endpoint_hour, len(endpoints) * spec.network.az_count, prices
    )
    return [
        CostLine("NAT gateways", f"{gateways} (hourly charge; data processed is extra)", nat, nat),
        CostLine(
            "interface endpoints",
            f"{len(endpoints)} × {spec.network.az_count} AZs: {', '.join(endpoints) or 'none'}",
            interface,
            interface,
        ),
    ]


def _throughput_lines(spec: PlinthSpec, prices: PriceTable) -> list[CostLine]:
    lines = []
    for entry in spec.bedrock.provisioned_throughput if spec.bedrock.enabled else ():
        hourly = prices.aws.provisioned_throughput.get(entry.model, {}).get(entry.commitment)
        cost = _monthly(hourly, entry.model_units, prices)
        lines.append(
            CostLine(
                f"provisioned throughput {entry.name}",
                f"{entry.model_units} model unit(s) of {entry.model}, {entry.commitment}",
                cost,
                cost,
            )
        )
    return lines


def _unit_hour(
    clusters: Sequence[AnyClusterSpec], prices: PriceTable, cluster_name: str, pool_name: str
) -> Money:
    """The hourly price of one quota unit (a GPU, or a slice on a shared pool) of a pool, on
    the pool's machine type where a unit costs most; unknown for a pool not in `clusters`."""
    cluster = next((c for c in clusters if c.name == cluster_name), None)
    pool = next((p for p in cluster.gpu_pools if p.name == pool_name), None) if cluster else None
    if cluster is None or pool is None:
        return None
    shape = node_pool(pool)
    units_per_gpu = shape.gpus_per_node_advertised / shape.gpus_per_node
    per_unit: list[float] = []
    for machine in pool.machines():
        hourly = prices.instance_hour(cluster.cloud, machine.name)
        if hourly is None:
            return None
        per_unit.append(hourly / (machine.gpus * units_per_gpu))
    return max(per_unit)


def _tenants(
    spec: PlinthSpec, clusters: Sequence[AnyClusterSpec], prices: PriceTable
) -> list[TenantCost]:
    tenants = []
    for tenant in spec.tenants:
        total: Money = 0.0
        parts = []
        for cluster_name, wanted in tenant.clusters.items():
            for pool_name, units in wanted.gpu_quota.items():
                unit = _unit_hour(clusters, prices, cluster_name, pool_name)
                total = None if total is None or unit is None else total + unit * units
                parts.append(f"{units} on {cluster_name}/{pool_name}")
        tenants.append(
            TenantCost(
                tenant.name,
                None if total is None else round(total * prices.hours_per_month, 2),
                tenant.budget.monthly_usd,
                ", ".join(parts) or "no GPU quota",
            )
        )
    return tenants


def estimate(
    spec: PlinthSpec,
    stack: str,
    prices: PriceTable | None = None,
    platform: PlinthSpec | None = None,
) -> CostEstimate:
    """The stack's monthly cost lines and its tenants' GPU spend against their budgets. A
    tenant stack has no lines of its own (the platform's items are its platform stack's); its
    tenants are priced on `platform`'s pools (the platform stack's spec), unknown without it."""
    prices = prices or price_table()
    if spec.platform is not None:
        clusters = platform.clusters if platform else ()
        return CostEstimate(stack, prices, (), tuple(_tenants(spec, clusters, prices)), True)
    lines = [
        *_pool_lines(spec, prices),
        *_network_lines(spec, prices),
        *_throughput_lines(spec, prices),
    ]
    return CostEstimate(stack, prices, tuple(lines), tuple(_tenants(spec, spec.clusters, prices)))


# ---- rendering (from the JSON form, which previews and diffs carry) -------------------------

Document = dict[str, Any]


TENANT_STACK_NOTE = "a tenant stack: clusters, network and Bedrock are its platform stack's"


def usd(value: Money) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


def to_json(estimate_: CostEstimate) -> str:
    return json.dumps(estimate_.to_json(), indent=2) + "\n"


def _title(data: Document) -> str:
    prices = data["prices"]
    return (
        f"Monthly cost estimate: stack {data['stack']} (prices {prices['version']}: AWS "
        f"{prices['awsRegion']} and CoreWeave on-demand list prices)"
    )


def to_table(data: Document, base: Document | None = None) -> Table:
    """The terminal view; with `base`, the change of each total (as in the Markdown)."""
    table = Table(title=_title(data), title_justify="left")
    for column in ("item", "detail", "min / month", "max / month"):
        table.add_column(column, overflow="fold")
    for line in data["lines"]:
        table.add_row(line["item"], line["detail"], usd(line["minUsd"]), usd(line["maxUsd"]))
    total = data["total"]
    if data["tenantStack"]:
        table.add_row("platform", TENANT_STACK_NOTE, "", "")
    else:
        table.add_row("total", "", usd(total["minUsd"]), usd(total["maxUsd"]), style="bold")
    if base is not None and not data["tenantStack"]:
        before = base["total"]
        table.add_row(
            "change from base",
            "",
            _delta(before["minUsd"], total["minUsd"]),
            _delta(before["maxUsd"], total["maxUsd"]),
        )
    for tenant in data["tenants"]:
        flag = " OVER BUDGET" if tenant["overBudget"] else ""
        table.add_row(
            f"tenant {tenant['tenant']}",
            f"max GPU spend ({tenant['detail']}) vs budget {usd(tenant['budgetUsd'])}{flag}",
            "",
            usd(tenant["maxGpuUsd"]),
            style="bold red" if tenant["overBudget"] else None,
        )
    return table


def to_markdown(data: Document, base: Document | None = None) -> str:
    """The cost section of a pull-request comment; with `base`, the change of each total."""
    lines = [
        f"#### {_title(data)}",
        "",
        "| item | detail | min / month | max / month |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {line['item']} | {line['detail']} | {usd(line['minUsd'])} | {usd(line['maxUsd'])} |"
        for line in data["lines"]
    ]
    total = data["total"]
    if data["tenantStack"]:
        lines.append(f"| platform | {TENANT_STACK_NOTE} | | |")
    else:
        lines.append(f"| **total** | | **{usd(total['minUsd'])}** | **{usd(total['maxUsd'])}** |")
    if base is not None and not data["tenantStack"]:
        before = base["total"]
        lines.append(
            f"| change from base | | {_delta(before['minUsd'], total['minUsd'])} "
            f"| {_delta(before['maxUsd'], total['maxUsd'])} |"
        )
    if data["tenants"]:
        lines += ["", "| tenant | GPU quota | max GPU spend | budget |", "|---|---|---|---|"]
        lines += [
            f"| {t['tenant']} | {t['detail']} | {usd(t['maxGpuUsd'])}"
            f"{' :warning: over budget' if t['overBudget'] else ''} | {usd(t['budgetUsd'])} |"
            for t in data["tenants"]
        ]
    return "\n".join(lines) + "\n"


def _delta(before: Money, after: Money) -> str:
    if before is None or after is None:
        return "unknown"
    change = after - before
    return f"{'+' if change >= 0 else '-'}${abs(change):,.2f}"
