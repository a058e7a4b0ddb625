"""The price tables cost estimates and the tenant-budget rule read (`price_tables/`, next to this
module): list prices in USD, one dated table per AWS region (`aws-<region>.yaml`) and one for
CoreWeave (`coreweave.yaml`), every price naming the source it was read from.

Prices change; a table is a dated snapshot, not a bill. Update it (and its `version`) from the
sources it names. A price missing from a table is reported as unknown, never guessed and never
borrowed from another region's table.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

TABLES_DIR = Path(__file__).with_name("price_tables")
HOURS_PER_MONTH = 730.0
"""AWS's and CoreWeave's convention for a month of hourly charges (24 × 365 / 12)."""
REFERENCE_REGION = "us-east-1"
"""The region whose GPU prices the `cost-tenant-gpu-budget` rule uses unless configured: a
policy pack sees resources, not the stack's spec, and a stack elsewhere sets the rule's
`gpuHourPrices` from its own region's table."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, extra="forbid", frozen=True
    )


class Source(_Model):
    """Where prices were read, when, and the date the copy read states (None when it states
    none)."""

    url: str = Field(pattern=r"^https://")
    retrieved: dt.date
    as_of: dt.date | None
    note: str = ""

    @model_validator(mode="after")
    def _read_after_stated(self) -> Self:
        if self.as_of is not None and self.as_of > self.retrieved:
            raise ValueError(f"asOf {self.as_of} is after retrieved {self.retrieved}")
        return self


class Price(_Model):
    usd: float = Field(gt=0)
    source: str
    """A key of the table's `sources`."""


class FixedPrices(_Model):
    """Prices of things that bill by the hour or month whatever they do; each absent where no
    source read gave one for the region."""

    nat_gateway_hour: Price | None = None
    interface_endpoint_hour: Price | None = None
    """Per interface endpoint per Availability Zone."""
    public_ipv4_hour: Price | None = None
    """Per public IPv4 address (an Elastic IP, a NAT gateway's address)."""
    eks_cluster_hour: Price | None = None
    """EKS control plane, standard support."""
    kms_key_month: Price | None = None
    """Per customer managed key."""
    cloudwatch_alarm_month: Price | None = None
    """Per standard-resolution metric alarm."""
    opensearch_ocu_hour: Price | None = None
    """OpenSearch Serverless, per OpenSearch Compute Unit."""
    aurora_acu_hour: Price | None = None
    """Aurora Serverless v2 (Aurora Standard, PostgreSQL), per Aurora Capacity Unit."""
    valkey_serverless_gb_hour: Price | None = None
    """ElastiCache Serverless for Valkey, per GB of data stored (100 MB minimum per cache)."""
    valkey_serverless_million_ecpu: Price | None = None
    """ElastiCache Serverless for Valkey, per million ElastiCache Processing Units."""
    secret_month: Price | None = None
    """Secrets Manager, per secret (API calls are usage)."""


FixedPrice = Literal[
    "nat_gateway_hour",
    "interface_endpoint_hour",
    "public_ipv4_hour",
    "eks_cluster_hour",
    "kms_key_month",
    "cloudwatch_alarm_month",
    "opensearch_ocu_hour",
    "aurora_acu_hour",
    "valkey_serverless_gb_hour",
    "valkey_serverless_million_ecpu",
    "secret_month",
]
"""The names of FixedPrices' fields."""


class InstancePrices(_Model):
    source: str
    hourly: dict[str, float]
    """On-demand (Linux) price per instance-hour, by instance type."""


class ThroughputPrices(_Model):
    source: str
    unit_hour: dict[str, dict[str, float]]
    """Bedrock Provisioned Throughput per model unit-hour, by foundation model ID and
    commitment (none, OneMonth, SixMonths)."""


class _Table(_Model, ABC):
    version: dt.date
    """When the table was last brought up to date with its sources."""
    currency: Literal["USD"]
    note: str
    """What the table lacks, and why."""
    sources: dict[str, Source] = Field(min_length=1)

    @abstractmethod
    def _source_names(self) -> list[str]:
        """The source every price of the table names."""

    @model_validator(mode="after")
    def _every_source_named_and_used(self) -> Self:
        used = self._source_names()
        if unknown := sorted(set(used) - set(self.sources)):
            raise ValueError(f"prices name sources the table does not list: {unknown}")
        if unused := sorted(set(self.sources) - set(used)):
            raise ValueError(f"sources no price comes from: {unused}")
        return self


class AwsRegionPrices(_Table):
    """One AWS region's list prices."""

    region: str
    instances: InstancePrices
    fixed: FixedPrices = FixedPrices()
    provisioned_throughput: ThroughputPrices | None = None

    def _source_names(self) -> list[str]:
        fixed = [price.source for _, price in self.fixed if price is not None]
        throughput = [self.provisioned_throughput.source] if self.provisioned_throughput else []
        return [self.instances.source, *fixed, *throughput]


class CoreWeavePrices(_Table):
    instances: InstancePrices

    def _source_names(self) -> list[str]:
        return [self.instances.source]


@dataclass(frozen=True)
class PriceBook:
    """Every table: the AWS regions that have one, and CoreWeave."""

    aws: Mapping[str, AwsRegionPrices]
    coreweave: CoreWeavePrices

    def for_region(self, region: str) -> StackPrices:
        return StackPrices(region, self.aws.get(region), self.coreweave, tuple(sorted(self.aws)))


@dataclass(frozen=True)
class StackPrices:
    """The prices a stack is estimated with: its AWS region's table (None for a region without
    one, where every AWS price is unknown) and CoreWeave's."""

    region: str
    aws: AwsRegionPrices | None
    coreweave: CoreWeavePrices
    regions_with_tables: tuple[str, ...]

    @property
    def note(self) -> str:
        """What the stack's prices lack: the table's own note, or that there is no table."""
        if self.aws is None:
            return (
                f"no AWS price table for {self.region}: every AWS price is unknown "
                f"(tables: {', '.join(self.regions_with_tables)})"
            )
        return self.aws.note

    def instance_hour(self, cloud: str, instance_type: str) -> float | None:
        if cloud == "coreweave":
            return self.coreweave.instances.hourly.get(instance_type)
        return self.aws.instances.hourly.get(instance_type) if self.aws else None

    def fixed(self, name: FixedPrice) -> float | None:
        """A fixed price in USD, or None."""
        price: Price | None = getattr(self.aws.fixed, name) if self.aws else None
        return price.usd if price else None

    def throughput_hour(self, model: str, commitment: str) -> float | None:
        table = self.aws.provisioned_throughput if self.aws else None
        return table.unit_hour.get(model, {}).get(commitment) if table else None


def _load(path: Path) -> object:
    return yaml.safe_load(path.read_text())


@cache
def price_book(directory: Path = TABLES_DIR) -> PriceBook:
    """The tables under `directory`, validated; an AWS table's file name names its region."""
    regions: dict[str, AwsRegionPrices] = {}
    for path in sorted(directory.glob("aws-*.yaml")):
        table = AwsRegionPrices.model_validate(_load(path))
        if path.stem != f"aws-{table.region}":
            raise ValueError(f"{path.name} holds the prices of {table.region}")
        regions[table.region] = table
    coreweave = CoreWeavePrices.model_validate(_load(directory / "coreweave.yaml"))
    return PriceBook(regions, coreweave)
