"""The price table cost estimates and the tenant-budget rule read (`prices.yaml`, next to this
module): list prices in USD, versioned, each group with the source it was read from and when.

Prices change; the table is a dated snapshot, not a bill. Update it (and its `version`) from
the sources it names. A price missing from the table is reported as unknown, never guessed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PRICES_FILE = Path(__file__).with_name("prices.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, extra="forbid", frozen=True
    )


class Source(_Model):
    """Where a group of prices was read, when, and the date the copy read states (None when
    it states none)."""

    url: str
    retrieved: dt.date
    as_of: dt.date | None
    note: str = ""


class AwsPrices(_Model):
    region: str
    """The region the AWS prices are for; other regions differ (usually by a few percent)."""
    source: Source
    instances: dict[str, float]
    """On-Demand Linux price per instance-hour, by EC2 instance type."""
    nat_gateway_hour: float
    interface_endpoint_hour: float
    """Per endpoint per Availability Zone."""
    eks_cluster_hour: float
    """EKS control plane, standard support."""
    bedrock_source: Source
    provisioned_throughput: dict[str, dict[str, float]] = Field(default_factory=dict)
    """Per model unit-hour, by foundation model ID and commitment (none, OneMonth, SixMonths)."""


class CoreWeavePrices(_Model):
    source: Source
    instances: dict[str, float]
    """On-demand price per instance-hour, by CoreWeave instance type ID."""


class PriceTable(_Model):
    version: str
    currency: str
    hours_per_month: float
    aws: AwsPrices
    coreweave: CoreWeavePrices

    def instance_hour(self, cloud: str, instance_type: str) -> float | None:
        table = self.aws.instances if cloud == "aws" else self.coreweave.instances
        return table.get(instance_type)


@cache
def price_table(path: Path = PRICES_FILE) -> PriceTable:
    return PriceTable.model_validate(yaml.safe_load(path.read_text()))
