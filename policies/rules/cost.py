"""Cost: every taggable AWS resource carries the tags that attribute its cost and its owner, and
no tenant's GPU quota can spend more than its budget."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.cluster.contract import POOL_LABEL
from components.cluster.instances import AWS_GPU_MACHINES, COREWEAVE_GPU_MACHINES
from components.tenant.budget import PROJECT_TAG, tag_cost_filter
from policies.prices import HOURS_PER_MONTH, REFERENCE_REGION, price_book
from policies.props import as_list, dig, of_type
from policies.report import Report
from policies.rule import Config, Param, advisory, all_of, first, resource_rule, stack_rule
from policies.rules.gpu import (
    INSTANCE_TYPE_KEY,
    NODE_GROUP,
    NODE_POOL,
    in_values,
    node_pool_requirements,
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


# ---- tenants' GPU quota against their budget ----------------------------------------------

BUDGET = "aws:budgets/budget:Budget"
CLUSTER_QUEUE_KIND = "ClusterQueue"
RESOURCE_FLAVOR_KIND = "ResourceFlavor"
COREWEAVE_NODE_POOL = "kubernetes:compute.coreweave.com/v1alpha1:NodePool"
TENANT_LABEL = "plinth.dev/tenant"
PROJECT_FILTER = tag_cost_filter(PROJECT_TAG, "")
"""How a tenant budget's TagKeyValue filter starts (TenantBudget writes it)."""
GPU = "nvidia.com/gpu"


def _gpus_per_node(instance_type: str) -> int | None:
    machine = AWS_GPU_MACHINES.get(instance_type) or COREWEAVE_GPU_MACHINES.get(instance_type)
    return machine.gpus if machine else None


def _pool_instance_types(resource: PolicyResource) -> tuple[str | None, list[str]]:
    """A GPU pool definition's pool label and instance types (empty when it does not name
    them, e.g. a NodePool selecting by instance family only)."""
    props = resource.props
    if resource.resource_type == NODE_GROUP:
        return dig(props, "labels", POOL_LABEL), list(as_list(dig(props, "instanceTypes")))
    if resource.resource_type == COREWEAVE_NODE_POOL:
        return dig(props, "spec", "nodeLabels", POOL_LABEL), [dig(props, "spec", "instanceType")]
    types = in_values(node_pool_requirements(props), (INSTANCE_TYPE_KEY,))
    return dig(props, "spec", "template", "metadata", "labels", POOL_LABEL), types


def _unit_prices(args: StackValidationArgs, prices: Mapping[str, float]) -> dict[str, float]:
    """Per pool label: the hourly price of one GPU on its dearest machine type. A pool with
    any type the price list lacks is left out (it cannot be priced)."""
    found: dict[str, float] = {}
    for pool in of_type(args, NODE_POOL, NODE_GROUP, COREWEAVE_NODE_POOL):
        label, types = _pool_instance_types(pool)
        per_gpu = []
        for instance_type in types:
            gpus, price = _gpus_per_node(instance_type), prices.get(instance_type)
            if gpus and price is not None:
                per_gpu.append(price / gpus)
        if label and types and len(per_gpu) == len(types):
            found[label] = max(found.get(label, 0.0), *per_gpu)
    return found


def _flavor_pools(args: StackValidationArgs) -> dict[str, str]:
    """Kueue ResourceFlavor name -> the GPU pool its nodes carry."""
    return {
        dig(flavor.props, "metadata", "name"): dig(flavor.props, "spec", "nodeLabels", POOL_LABEL)
        for flavor in args.resources
        if flavor.resource_type.endswith(f":{RESOURCE_FLAVOR_KIND}")
        and dig(flavor.props, "spec", "nodeLabels", POOL_LABEL)
    }


def _tenant_gpus(args: StackValidationArgs) -> dict[str, dict[str, float]]:
    """Tenant -> GPU flavor -> the most GPUs its ClusterQueues may use there (nominal quota
    plus what it may borrow)."""
    tenants: dict[str, dict[str, float]] = {}
    for queue in args.resources:
        if not queue.resource_type.endswith(f":{CLUSTER_QUEUE_KIND}"):
            continue
        tenant = dig(queue.props, "metadata", "labels", TENANT_LABEL)
        if not tenant:
            continue
        for group in as_list(dig(queue.props, "spec", "resourceGroups")):
            for flavor in as_list(dig(group, "flavors")):
                for resource in as_list(dig(flavor, "resources")):
                    if dig(resource, "name") == GPU:
                        most = float(dig(resource, "nominalQuota", default=0)) + float(
                            dig(resource, "borrowingLimit", default=0)
                        )
                        usage = tenants.setdefault(tenant, {})
                        usage[dig(flavor, "name")] = usage.get(dig(flavor, "name"), 0.0) + most
    return tenants


def tenant_budgets(args: StackValidationArgs) -> dict[str, tuple[PolicyResource, float]]:
    """Each tenant's AWS budget and its monthly limit (USD), by tenant (project tag value)."""
    budgets = {}
    for budget in of_type(args, BUDGET):
        for cost_filter in as_list(dig(budget.props, "costFilters")):
            for value in as_list(dig(cost_filter, "values")):
                if dig(cost_filter, "name") == "TagKeyValue" and value.startswith(PROJECT_FILTER):
                    limit = float(dig(budget.props, "limitAmount", default=0))
                    budgets[value.removeprefix(PROJECT_FILTER)] = (budget, limit)
    return budgets


def _default_gpu_prices() -> dict[str, float]:
    book = price_book()
    return {**book.aws[REFERENCE_REGION].instances.hourly, **book.coreweave.instances.hourly}


@stack_rule(
    id="cost-tenant-gpu-budget",
    area="cost",
    description="A tenant's monthly budget covers its GPU quota used all month at on-demand "
    "list prices (policies/price_tables/: us-east-1 and CoreWeave unless configured), so the "
    "quota cannot run up a bill its budget never "
    "planned for. Pools whose machine types have no list price are not counted; shared "
    "(time-sliced, MIG) pools are priced per physical GPU, an upper bound.",
    severity="medium",
    remediation="Raise the tenant's budget.monthlyUsd, or lower its clusters.<cluster>.gpuQuota "
    "(plinth cost shows each tenant's largest GPU spend).",
    fix={"tenant": "budget.monthlyUsd"},
    controls={"nist-800-53": ["SC-6"], "nist-ai-rmf": ["MANAGE 1.3"]},
    enforcement=advisory(),
    params=(
        Param(
            name="gpuHourPrices",
            description="On-demand price per instance-hour by instance type (USD).",
            schema={"type": "object", "additionalProperties": {"type": "number"}},
            default=_default_gpu_prices(),
            merge=first,
        ),
        Param(
            name="hoursPerMonth",
            description="Hours in a billing month.",
            schema={"type": "number", "minimum": 1},
            default=HOURS_PER_MONTH,
            merge=first,
        ),
    ),
)
def tenant_gpu_budget(args: StackValidationArgs, report: Report, config: Config) -> None:
    unit_prices = _unit_prices(args, config["gpuHourPrices"])
    flavor_pools = _flavor_pools(args)
    budgets = tenant_budgets(args)
    for tenant, flavors in sorted(_tenant_gpus(args).items()):
        if tenant not in budgets:
            continue
        budget, limit = budgets[tenant]
        hourly = 0.0
        for flavor, gpus in flavors.items():
            pool = flavor_pools.get(flavor)
            if pool in unit_prices:
                hourly += gpus * unit_prices[pool]
        monthly = hourly * config["hoursPerMonth"]
        if monthly > limit:
            used = ", ".join(f"{flavor}: {gpus:g}" for flavor, gpus in sorted(flavors.items()))
            report(
                f"tenant {tenant}: its GPU quota ({used}) can cost ${monthly:,.0f} a month on "
                f"demand, over its ${limit:,.0f} budget",
                budget.urn,
            )
