"""Building blocks every spec section shares: the base model, errors, common value types."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from plinth.spec.config_keys import region_problem


def invalid(detail: str) -> PydanticCustomError:
    """An error whose message is exactly `detail` (the value and what is allowed)."""
    return PydanticCustomError("plinth_invalid", "{detail}", {"detail": detail})


class SpecModel(BaseModel):
    """Base for every spec section: camelCase keys only, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )


# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise invalid(f"{days} is not a CloudWatch Logs retention period; allowed: {allowed}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]

NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
"""A resource-name fragment: lowercase letters, digits and '-'."""


def name_fragment(value: str, what: str, max_length: int, example: str) -> str:
    """`value` if it is a NAME of at most `max_length` characters, else a spec error."""
    if not (NAME.match(value) and len(value) <= max_length):
        raise invalid(
            f"{value!r} is not {what} "
            f"(lowercase letters, digits and '-', 2 to {max_length} characters, such as {example})"
        )
    return value


Item = TypeVar("Item", bound=str)


def without_duplicates(values: tuple[Item, ...]) -> tuple[Item, ...]:
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise invalid(f"{', '.join(map(repr, duplicates))} listed more than once")
    return values


IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]+$")


def _iam_principal(value: str) -> str:
    if not IAM_PRINCIPAL_ARN.match(value):
        raise invalid(
            f"{value!r} is not an IAM role or user ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>)"
        )
    return value


IamPrincipalArn = Annotated[str, AfterValidator(_iam_principal)]
"""An IAM role or user ARN (access entries and key policies accept no other principals)."""


def _region(value: str) -> str:
    problem = region_problem(value)
    if problem:
        raise invalid(problem)
    return value


AwsRegion = Annotated[str, AfterValidator(_region)]


class DataClassification(StrEnum):
    """How sensitive the data in a resource is; drives tags, object lock and later policies."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$")
"""Characters AWS accepts in tag keys and values across services."""


def tag_value(value: str) -> str:
    """`value` if AWS accepts it as a tag value, else a spec error."""
    if not value.strip() or len(value) > 256 or not TAG_TEXT.match(value):
        raise invalid(
            f"{value!r} is not a usable tag value "
            "(1 to 256 letters, digits, spaces and _ . : / = + - @)"
        )
    return value
