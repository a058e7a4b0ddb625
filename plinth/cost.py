"""`plinth cost`: what a stack would cost per month, at its smallest and largest scale.

Estimated from the validated spec (what it builds: `plinth.cost_inventory`) and the price table
of the stack's AWS region (`policies/price_tables/`), on-demand list prices, no discounts:
- priced: GPU node pools at min (or the nodes the gateway's served models keep up) and max
  nodes, EKS control planes, NAT gateways and their
  public IPv4 addresses, interface endpoints (per AZ), KMS keys, CloudWatch alarms, each vector
  store's OpenSearch Serverless floor (the minimum OCUs its standby-replica setting keeps),
  Bedrock provisioned throughput, and the gateway's Aurora capacity, cache and secrets between
  their configured floors and ceilings; each tenant's largest GPU spend against its budget;
- not estimated, and listed as such with their counts: what bills by use (storage, requests,
  logs, events, tokens, data processed) and what has a charge no table holds.
A price the region's table lacks is unknown, never zero and never taken from another region;
a region without a table has every AWS price unknown, and says so.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from plinth.cost_inventory import KINDS, Billing, interface_endpoints, inventory
from plinth.spec import PlinthSpec
from plinth.spec.clusters import AnyClusterSpec, AnyPoolSpec, node_pool
from plinth.spec.tenants import TenantSpec
from policies.prices import HOURS_PER_MONTH, FixedPrice, PriceBook, StackPrices, price_book

Money = float | None
"""USD per month; None when the table has no price for the item."""

OCU_FLOOR = {True: 1.0, False: 0.5}
"""The OCUs an idle vector collection keeps, by whether it has standby replicas: 0.5 for
indexing and 0.5 for search, each doubled by replicas in a second AZ (AWS: "Managing capacity
limits for Amazon OpenSearch Serverless"). Each tenant's collection has its own KMS key, so
none shares another's OCUs."""


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
class NotEstimated:
    """What the stack builds that the estimate leaves out, and why."""

    kind: str
    count: int
    reason: str
    detail: str

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "count": self.count,
            "reason": self.reason,
            "detail": self.detail,
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
    prices: StackPrices
    lines: tuple[CostLine, ...]
    not_estimated: tuple[NotEstimated, ...]
    tenants: tuple[TenantCost, ...]
    tenant_stack: bool = False

    def total(self, bound: str) -> Money:
        """Sum of the lines' `minimum` or `maximum`; None if any is unknown."""
        values = [getattr(line, bound) for line in self.lines]
        return None if any(v is None for v in values) else round(sum(values), 2)

    def to_json(self) -> dict[str, object]:
        aws = self.prices.aws
        return {
            "stack": self.stack,
            "prices": {
                "awsRegion": self.prices.region,
                "awsTable": aws.version.isoformat() if aws else None,
                "coreweaveTable": self.prices.coreweave.version.isoformat(),
                "currency": "USD",
                "note": self.prices.note,
            },
            "tenantStack": self.tenant_stack,
            "lines": [line.to_json() for line in self.lines],
            "total": {"minUsd": self.total("minimum"), "maxUsd": self.total("maximum")},
            "notEstimated": [item.to_json() for item in self.not_estimated],
            "tenants": [tenant.to_json() for tenant in self.tenants],
        }


class _Pricer:
    """Turns counts into monthly amounts, remembering the priced kinds the table lacks."""

    def __init__(self, prices: StackPrices) -> None:
        self.prices = prices
        self.missing: list[NotEstimated] = []
        self._unpriced_types: set[str] = set()

    def amount(
        self, unit: float | None, quantity: float, kind: str, count: int, what: str
    ) -> Money:
        """`quantity` units (hours or months of something) at `unit` USD; unknown, and
        remembered as `count` of `kind` the table lacks, without a price."""
        if quantity == 0:
            return 0.0  # none of it costs nothing, priced or not
        if unit is None:
            where = f"the {self.prices.region} table" if self.prices.aws else "any table"
            self.missing.append(NotEstimated(kind, count, f"no price in {where}", what))
            return None
        return round(unit * quantity, 2)

    def hourly(self, price: FixedPrice, count: int, kind: str, what: str) -> Money:
        """`count` of something priced per hour (a FixedPrices field), for a month."""
        unit = self.prices.fixed(price)
        return self.amount(unit, count * HOURS_PER_MONTH, kind, count, what)

    def monthly(self, price: FixedPrice, count: int, kind: str, what: str) -> Money:
        return self.amount(self.prices.fixed(price), count, kind, count, what)

    def instances(self, cloud: str, types: Sequence[str]) -> list[float | None]:
        hourly = [self.prices.instance_hour(cloud, name) for name in types]
        for name, price in zip(types, hourly, strict=True):
            if price is None and name not in self._unpriced_types:
                self._unpriced_types.add(name)  # one entry per type, however many pools use it
                self.amount(None, 1, "GPU instance types", 1, name)
        return hourly


def _line(item: str, detail: str, amount: Money) -> CostLine:
    return CostLine(item, detail, amount, amount)


def _pool_lines(spec: PlinthSpec, pricer: _Pricer) -> list[CostLine]:
    lines = []
    for cluster in spec.clusters:
        if cluster.cloud == "aws":
            control_plane = pricer.hourly("eks_cluster_hour", 1, "EKS clusters", "control plane")
            lines.append(
                _line(
                    f"cluster {cluster.name}: EKS control plane", "standard support", control_plane
                )
            )
        for pool in cluster.gpu_pools:
            types = [m.name for m in pool.machines()]
            hourly = pricer.instances(cluster.cloud, types)
            known = [h for h in hourly if h is not None]
            complete = len(known) == len(hourly)
            serving = served_nodes(spec, cluster.name, pool)
            floor = max(pool.min_nodes, serving)
            kept = f"; {serving} kept up by served models" if serving > pool.min_nodes else ""
            lines.append(
                CostLine(
                    f"cluster {cluster.name}: pool {pool.name}",
                    f"{floor}-{pool.max_nodes} × {', '.join(types)}{kept}",
                    _nodes(min(known) if complete else None, floor),
                    _nodes(max(known) if complete else None, pool.max_nodes),
                )
            )
    return lines


def served_nodes(spec: PlinthSpec, cluster: str, pool: AnyPoolSpec) -> int:
    """Nodes of a pool the gateway's served models keep running whatever the load: each
    replica needs its GPUs on one node, so a node holds as many replicas of a model as fit
    whole (models are counted apart, an upper bound when small ones could share a node)."""
    gateway = spec.gateway
    if gateway is None or gateway.cluster != cluster:
        return 0
    per_node = node_pool(pool).gpus_per_node_advertised
    nodes = 0
    for model in gateway.served_models:
        if model.pool == pool.name and model.replicas:
            nodes += math.ceil(model.replicas / max(1, per_node // model.gpus))
    return min(nodes, pool.max_nodes)


def _nodes(hourly: float | None, count: int) -> Money:
    if count == 0:
        return 0.0
    return None if hourly is None else round(hourly * count * HOURS_PER_MONTH, 2)


def _network_lines(spec: PlinthSpec, counts: Counter[str], pricer: _Pricer) -> list[CostLine]:
    gateways, addresses = counts["nat-gateway"], counts["elastic-ip"]
    endpoints = interface_endpoints(spec)
    az = spec.network.az_count
    return [
        _line(
            "NAT gateways",
            f"{gateways} (hourly charge; data processed is usage)",
            pricer.hourly("nat_gateway_hour", gateways, "NAT gateways", "hourly charge"),
        ),
        _line(
            "public IPv4 addresses",
            f"{addresses}: the NAT gateways' Elastic IPs",
            pricer.hourly("public_ipv4_hour", addresses, "public IPv4 addresses", "hourly"),
        ),
        _line(
            "interface endpoints",
            f"{len(endpoints)} × {az} AZs: {', '.join(endpoints) or 'none'}",
            pricer.hourly(
                "interface_endpoint_hour",
                len(endpoints) * az,
                "interface endpoint-AZs",
                f"{len(endpoints)} endpoints × {az} AZs",
            ),
        ),
    ]


def _monthly_lines(counts: Counter[str], pricer: _Pricer) -> list[CostLine]:
    keys, alarms = counts["kms-key"], counts["metric-alarm"]
    lines = [
        _line(
            "KMS keys",
            f"{keys} customer managed (each rotation adds $1/month; requests are usage)",
            pricer.monthly("kms_key_month", keys, "KMS keys", "per key-month"),
        )
    ]
    if alarms:
        lines.append(
            _line(
                "CloudWatch alarms",
                f"{alarms} standard-resolution alarms on the audit trail",
                pricer.monthly("cloudwatch_alarm_month", alarms, "CloudWatch alarms", "per alarm"),
            )
        )
    return lines


VALKEY_MINIMUM_GB = 0.1
"""ElastiCache Serverless for Valkey meters at least 100 MB of data per cache."""


def _gateway_lines(spec: PlinthSpec, counts: Counter[str], pricer: _Pricer) -> list[CostLine]:
    """The gateway's database and cache between their configured floors and ceilings, and its
    secrets. Storage, I/O and API calls are usage."""
    gateway = spec.gateway
    if gateway is None or not counts["aurora-serverless"]:
        return []
    database, cache = gateway.database, gateway.cache
    acu = pricer.prices.fixed("aurora_acu_hour")
    kind = "Aurora Serverless v2 instances"
    gb_hour = pricer.prices.fixed("valkey_serverless_gb_hour")
    ecpu = pricer.prices.fixed("valkey_serverless_million_ecpu")
    # Every processing unit the ceiling allows, every second of the month, in millions.
    most_ecpus = cache.max_ecpu_per_second * 3600 * HOURS_PER_MONTH / 1_000_000
    cache_kind = "ElastiCache Serverless caches"
    stored = pricer.amount(gb_hour, VALKEY_MINIMUM_GB * HOURS_PER_MONTH, cache_kind, 1, "GB-hours")
    most_stored = pricer.amount(
        gb_hour, cache.max_data_gb * HOURS_PER_MONTH, cache_kind, 1, "GB-hours"
    )
    processed = pricer.amount(ecpu, most_ecpus, cache_kind, 1, "ECPUs")
    secrets = counts["secret"]
    return [
        CostLine(
            "gateway database",
            f"Aurora Serverless v2, {database.min_capacity:g}-{database.max_capacity:g} ACUs "
            "(storage and I/O are usage)",
            pricer.amount(acu, database.min_capacity * HOURS_PER_MONTH, kind, 1, "ACU-hours"),
            pricer.amount(acu, database.max_capacity * HOURS_PER_MONTH, kind, 1, "ACU-hours"),
        ),
        CostLine(
            "gateway cache",
            f"ElastiCache Serverless Valkey, {VALKEY_MINIMUM_GB:g}-{cache.max_data_gb} GB and up "
            f"to {cache.max_ecpu_per_second} ECPUs a second",
            stored,
            None if most_stored is None or processed is None else round(most_stored + processed, 2),
        ),
        _line(
            "Secrets Manager secrets",
            f"{secrets}: the gateway's master and salt keys, and team keys asked for "
            "(API calls are usage)",
            pricer.monthly("secret_month", secrets, "Secrets Manager secrets", "per secret"),
        ),
    ]


def _vector_store_lines(tenants: Sequence[TenantSpec], pricer: _Pricer) -> list[CostLine]:
    lines = []
    for tenant in tenants:
        store = tenant.data_stores.vector_store
        if store is None:
            continue
        floor = OCU_FLOOR[store.standby_replicas]
        replicas = "with standby replicas" if store.standby_replicas else "no standby replicas"
        ocu_hour = pricer.prices.fixed("opensearch_ocu_hour")
        cost = pricer.amount(
            ocu_hour, floor * 2 * HOURS_PER_MONTH, "OpenSearch Serverless collections", 1, "OCUs"
        )
        lines.append(
            _line(
                f"tenant {tenant.name}: vector store",
                f"OpenSearch Serverless floor: {floor * 2:g} OCU ({floor:g} indexing + {floor:g} "
                f"search, {replicas}); more under load is usage",
                cost,
            )
        )
    return lines


def _throughput_lines(spec: PlinthSpec, pricer: _Pricer) -> list[CostLine]:
    lines = []
    for entry in spec.bedrock.provisioned_throughput if spec.bedrock.enabled else ():
        hourly = pricer.prices.throughput_hour(entry.model, entry.commitment)
        cost = pricer.amount(
            hourly,
            entry.model_units * HOURS_PER_MONTH,
            "Bedrock provisioned throughput",
            entry.model_units,
            f"model units of {entry.model}, {entry.commitment}",
        )
        lines.append(
            _line(
                f"provisioned throughput {entry.name}",
                f"{entry.model_units} model unit(s) of {entry.model}, {entry.commitment}",
                cost,
            )
        )
    return lines


def _merged(items: Sequence[NotEstimated]) -> list[NotEstimated]:
    """One entry per kind and reason (two clusters' control planes are one entry of 2)."""
    merged: dict[tuple[str, str], NotEstimated] = {}
    for item in items:
        seen = merged.get((item.kind, item.reason))
        if seen is None:
            merged[(item.kind, item.reason)] = item
        else:
            details = list(dict.fromkeys([*seen.detail.split("; "), item.detail]))
            merged[(item.kind, item.reason)] = NotEstimated(
                item.kind, seen.count + item.count, item.reason, "; ".join(details)
            )
    return list(merged.values())


def _left_out(counts: Counter[str], spec: PlinthSpec) -> list[NotEstimated]:
    """The built kinds no line prices: usage-based, or with no price in any table."""
    return [
        NotEstimated(
            kind.label,
            counts[kind.key],
            kind.billing.value,
            _detail(kind.key, kind.detail, spec),
        )
        for kind in KINDS
        if kind.billing is not Billing.PRICED and counts[kind.key]
    ]


def _detail(key: str, detail: str, spec: PlinthSpec) -> str:
    """A left-out kind's detail, with what the spec tells of its usage."""
    wanted = spec.observability
    if key == "prometheus-workspace":
        return f"{detail}; {ingestion_estimate(spec)}"
    if key == "grafana-workspace" and wanted is not None and wanted.grafana is not None:
        groups = [f"{g} (admin)" for g in wanted.grafana.admin_groups] + [
            f"{g} (viewer)" for g in wanted.grafana.viewer_groups
        ]
        return f"{detail}; seats for the members of {', '.join(groups)}"
    if key == "mlflow-tracking-server":
        sizes = Counter(
            tracking.size
            for t in spec.tenants
            if t.mlops and (tracking := t.mlops.on_sagemaker()) is not None
        )
        return f"{detail}: " + ", ".join(f"{n} {size}" for size, n in sorted(sizes.items()))
    return detail


# Series each scrape target keeps, for the ingestion estimate. DCGM: the exporter's default
# collectors, 26 fields per GPU (dcp-metrics-included.csv, NVIDIA/dcgm-exporter at d5e5f51).
# The others are round orders of magnitude, not measurements: kube-state-metrics' node and pod
# series, Kueue's per-queue series, LiteLLM's counters and latency buckets per team and model,
# and a vLLM server's latency and token histograms.
SERIES_PER_GPU = 26
SERIES_PER_NODE = 25
SERIES_PER_CLUSTER = 1_500 + 200
SERIES_PER_TEAM_MODEL = 100
SERIES_PER_MODEL_REPLICA = 500
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


def ingestion_estimate(spec: PlinthSpec) -> str:
    """About how many samples a month the collectors send at the scrape interval, with every
    GPU pool at its largest: the volume AMP bills ingestion by."""
    if spec.observability is None:
        return ""
    # Every cluster writes: EKS ones through the managed collector, others through an agent.
    clusters = spec.clusters
    pools = [node_pool(p) for c in clusters for p in c.gpu_pools]
    gpus = sum(p.max_gpus for p in pools)
    nodes = sum(p.max_nodes for p in pools)
    teams = sum(len(t.gateway.models) for t in spec.tenants if t.gateway is not None)
    replicas = sum(m.replicas for m in spec.gateway.served_models) if spec.gateway else 0
    series = (
        SERIES_PER_GPU * gpus
        + SERIES_PER_NODE * nodes
        + SERIES_PER_CLUSTER * len(clusters)
        + SERIES_PER_TEAM_MODEL * teams
        + SERIES_PER_MODEL_REPLICA * replicas
    )
    samples = series * SECONDS_PER_MONTH / spec.observability.scrape_interval_seconds
    return (
        f"about {samples / 1e6:,.0f} million samples a month at "
        f"{spec.observability.scrape_interval_seconds} s ({series:,} series: {gpus} GPUs at "
        f"the pools' largest, {nodes} GPU nodes, {len(clusters)} cluster(s), {teams} gateway "
        f"team-model grants, {replicas} served model replica(s))"
    )


def _unit_hour(
    clusters: Sequence[AnyClusterSpec], prices: StackPrices, cluster_name: str, pool_name: str
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
    spec: PlinthSpec, clusters: Sequence[AnyClusterSpec], prices: StackPrices
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
                None if total is None else round(total * HOURS_PER_MONTH, 2),
                tenant.budget.monthly_usd,
                ", ".join(parts) or "no GPU quota",
            )
        )
    return tenants


def estimate(
    spec: PlinthSpec,
    stack: str,
    prices: PriceBook | None = None,
    platform: PlinthSpec | None = None,
) -> CostEstimate:
    """The stack's monthly cost lines, what they leave out, and its tenants' GPU spend against
    their budgets, at the prices of the stack's region. A tenant stack's lines are its tenants'
    own resources (keys, vector stores); its tenants' GPUs are priced on `platform`'s pools
    (the platform stack's spec), unknown without it."""
    stack_prices = (prices or price_book()).for_region(spec.aws.region)
    pricer = _Pricer(stack_prices)
    counts = inventory(spec)
    tenant_stack = spec.platform is not None
    lines = (
        [] if tenant_stack else [*_pool_lines(spec, pricer), *_network_lines(spec, counts, pricer)]
    )
    lines += [*_monthly_lines(counts, pricer), *_vector_store_lines(spec.tenants, pricer)]
    if not tenant_stack:
        lines += [*_throughput_lines(spec, pricer), *_gateway_lines(spec, counts, pricer)]
    clusters = (platform.clusters if platform else ()) if tenant_stack else spec.clusters
    return CostEstimate(
        stack,
        stack_prices,
        tuple(lines),
        (*_merged(pricer.missing), *_left_out(counts, spec)),
        tuple(_tenants(spec, clusters, stack_prices)),
        tenant_stack,
    )


def to_json(estimate_: CostEstimate) -> str:
    return json.dumps(estimate_.to_json(), indent=2) + "\n"
