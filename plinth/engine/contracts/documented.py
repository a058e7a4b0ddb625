"""Limits the services enforce that their API models do not state, each from the page that
documents it. One rule = one small function registered for the resource types it checks."""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from plinth.engine.contracts.aws import AUTONAME_SUFFIX
from plinth.engine.contracts.violations import Violation
from plinth.engine.result import ResourceRecord
from plinth.engine.values import Secret

Problem = tuple[str, Any, str]
"""(property path, value, what is wrong)."""


@dataclass(frozen=True)
class _Rule:
    types: tuple[str, ...]
    source: str
    check: Callable[[ResourceRecord], Iterator[Problem]]


_RULES: list[_Rule] = []


def rule(
    *types: str, source: str
) -> Callable[[Callable[[ResourceRecord], Iterator[Problem]]], Any]:
    def register(check: Callable[[ResourceRecord], Iterator[Problem]]) -> Any:
        _RULES.append(_Rule(types, source, check))
        return check

    return register


def _known_text(value: Any) -> str | None:
    """The value as text if it is a known string (secrets revealed), else None."""
    value = value.value if isinstance(value, Secret) else value
    return value if isinstance(value, str) and not value.startswith("urn:pulumi:") else None


# --- S3 --------------------------------------------------------------------------------

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str:
    """Why `name` is not a valid general purpose bucket name, or ""."""
    if not 3 <= len(name) <= 63:
        return f"is {len(name)} characters (3 to 63 allowed)"
    if not _BUCKET_NAME.fullmatch(name):
        return (
            "may hold only lowercase letters, digits, dots and hyphens, and must begin and "
            "end with a letter or digit"
        )
    if ".." in name:
        return "has two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
        return "is formatted as an IP address"
    except ValueError:
        pass
    for prefix in _BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"begins with the reserved prefix {prefix!r}"
    for suffix in _BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"ends with the reserved suffix {suffix!r}"
    return ""


@rule(
    "aws:s3/bucket:Bucket",
    source="S3 bucket naming rules, "
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
)
def _bucket_name(record: ResourceRecord) -> Iterator[Problem]:
    given = _known_text(record.inputs.get("bucket"))
    if "bucket" in record.inputs and given is None:
        return
    if given is None and "bucketPrefix" in record.inputs:
        return  # prefix + 26 unique characters: the prefix rules are the name's
    name = given or (record.name + AUTONAME_SUFFIX).lower()
    problem = bucket_name_problem(name)
    if problem:
        yield ("bucket" if given else "bucket (auto-named)"), name, problem


# --- CloudWatch Logs -------------------------------------------------------------------

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
"""What PutRetentionPolicy accepts (the model only says "integer")."""


@rule(
    "aws:cloudwatch/logGroup:LogGroup",
    source="PutRetentionPolicy, "
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
)
def _log_retention(record: ResourceRecord) -> Iterator[Problem]:
    days = record.inputs.get("retentionInDays")
    # 0 is the provider's "never expire": it sends no retention policy at all.
    if isinstance(days, int) and days != 0 and days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
        yield "retentionInDays", days, f"is not one of: {allowed} (or 0: never expire)"


# --- IAM -------------------------------------------------------------------------------

_IAM_QUOTAS = (
    "IAM and STS quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
)
MANAGED_POLICY_CHARACTERS = 6144
TRUST_POLICY_CHARACTERS = 4096
"""The most a role trust policy can be raised to."""
TRUST_POLICY_DEFAULT_QUOTA = 2048
"""A trust policy's length in an account that has not raised its (adjustable) quota."""
ROLE_INLINE_POLICIES_CHARACTERS = 10240
"""All inline policies of one role together."""


def policy_size(document: str) -> int:
    """A policy's size as IAM counts it: whitespace does not count."""
    return len(re.sub(r"\s", "", document))


def _policy_over(record: ResourceRecord, prop: str, limit: int, what: str) -> Iterator[Problem]:
    document = _known_text(record.inputs.get(prop))
    if document and policy_size(document) > limit:
        yield (
            prop,
            f"{policy_size(document)} characters",
            f"is over the {limit} {what} (whitespace not counted)",
        )


@rule("aws:iam/policy:Policy", source=_IAM_QUOTAS)
def _managed_policy_size(record: ResourceRecord) -> Iterator[Problem]:
    return _policy_over(record, "policy", MANAGED_POLICY_CHARACTERS, "a managed policy may have")


@rule("aws:iam/role:Role", source=_IAM_QUOTAS)
def _trust_policy_size(record: ResourceRecord) -> Iterator[Problem]:
    return _policy_over(
        record, "assumeRolePolicy", TRUST_POLICY_CHARACTERS, "a trust policy may have at most"
    )


def notes(records: Sequence[ResourceRecord]) -> list[str]:
    """What may fail depending on the account (adjustable quotas): warnings, not errors."""
    found = []
    for record in records:
        document = _known_text(record.inputs.get("assumeRolePolicy"))
        size = policy_size(document) if record.type == "aws:iam/role:Role" and document else 0
        if TRUST_POLICY_DEFAULT_QUOTA < size <= TRUST_POLICY_CHARACTERS:
            found.append(
                f"warning: {record.type} {record.name!r}: assumeRolePolicy is {size} characters, "
                f"over the default quota of {TRUST_POLICY_DEFAULT_QUOTA}: CreateRole fails "
                "unless the account's 'Role trust policy length' quota was raised "
                f"({_IAM_QUOTAS})"
            )
    return found


# --- Grafana ---------------------------------------------------------------------------

_GRAFANA_UID = re.compile(r"[a-zA-Z0-9_-]{1,40}")
_GRAFANA_SOURCE = (
    "Grafana's UID rule (pkg/util/shortid_generator.go: MaxUIDLength 40, letters, digits, "
    "'-' and '_') and dashboard API (a JSON object with a title)"
)


@rule(
    "grafana:oss/dataSource:DataSource",
    "grafana:oss/folder:Folder",
    "grafana:oss/dashboard:Dashboard",
    source=_GRAFANA_SOURCE,
)
def _grafana_object(record: ResourceRecord) -> Iterator[Problem]:
    where, uid = "uid", _known_text(record.inputs.get("uid"))
    if record.type == "grafana:oss/dashboard:Dashboard":
        text = _known_text(record.inputs.get("configJson"))
        if text is None:
            return
        try:
            board = json.loads(text)
        except ValueError as error:
            yield "configJson", text[:40], f"is not JSON ({error})"
            return
        if not isinstance(board, dict) or not isinstance(board.get("title"), str):
            yield "configJson", text[:40], "is not a dashboard: a JSON object with a title"
            return
        where, uid = "configJson.uid", board.get("uid")
    if isinstance(uid, str) and not _GRAFANA_UID.fullmatch(uid):
        yield where, uid, "is not a Grafana UID (1 to 40 letters, digits, '-' and '_')"


# --- KMS and EC2 names -----------------------------------------------------------------


@rule(
    "aws:kms/alias:Alias",
    source="CreateAlias, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
)
def _alias_name(record: ResourceRecord) -> Iterator[Problem]:
    name = _known_text(record.inputs.get("name"))
    if name is None:
        return
    if not name.startswith("alias/"):
        yield "name", name, "must begin with 'alias/'"
    elif name.startswith("alias/aws/"):
        yield "name", name, "begins with 'alias/aws/', which is reserved for AWS managed keys"


@rule(
    "aws:ec2/securityGroup:SecurityGroup",
    source="CreateSecurityGroup, "
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
)
def _security_group_name(record: ResourceRecord) -> Iterator[Problem]:
    inputs = record.inputs
    given = _known_text(inputs.get("name"))
    prefix = _known_text(inputs.get("namePrefix"))
    if "name" not in inputs and prefix is None:
        given, path = record.name + AUTONAME_SUFFIX, "name (auto-named)"
    else:
        given, path = given or prefix, "name" if given else "namePrefix"
    if given is not None and given.startswith("sg-"):
        yield path, given, "cannot start with 'sg-'"


# --- Tags ------------------------------------------------------------------------------


@rule(
    "*",
    source="Tagging AWS resources, "
    "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
)
def _reserved_tag_prefix(record: ResourceRecord) -> Iterator[Problem]:
    tags = record.inputs.get("tags")
    if not record.type.startswith("aws:") or not isinstance(tags, dict):
        return
    for key in tags:
        if key.lower().startswith("aws:"):
            yield "tags key", key, "uses the prefix 'aws:', reserved for AWS"


# --- Helm ------------------------------------------------------------------------------

HELM_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
HELM_RELEASE_NAME_LENGTH = 53


@rule(
    "kubernetes:helm.sh/v3:Release",
    source="Helm's ValidateReleaseName, helm/helm pkg/chartutil/validate_name.go",
)
def _helm_release_name(record: ResourceRecord) -> Iterator[Problem]:
    name = _known_text(record.inputs.get("name"))
    if name is None:
        return
    if len(name) > HELM_RELEASE_NAME_LENGTH:
        yield "name", name, f"is {len(name)} characters, more than {HELM_RELEASE_NAME_LENGTH}"
    elif not HELM_RELEASE_NAME.fullmatch(name):
        yield "name", name, f"does not match {HELM_RELEASE_NAME.pattern}"


# --- Rules across resources ------------------------------------------------------------


def _inline_policy_totals(records: Sequence[ResourceRecord]) -> Iterator[Violation]:
    """A role's inline policies together stay under 10,240 characters."""
    by_role: dict[str, list[ResourceRecord]] = defaultdict(list)
    for record in records:
        role = _known_text(record.inputs.get("role"))
        if record.type == "aws:iam/rolePolicy:RolePolicy" and role:
            by_role[role].append(record)
    for role, policies in by_role.items():
        sizes = [_known_text(p.inputs.get("policy")) for p in policies]
        total = sum(policy_size(text) for text in sizes if text)
        if total > ROLE_INLINE_POLICIES_CHARACTERS:
            last = policies[-1]
            yield Violation(
                urn=last.urn,
                resource_type=last.type,
                name=last.name,
                path="policy",
                value=f"{total} characters in {len(policies)} inline policies of role {role}",
                problem=f"is over the {ROLE_INLINE_POLICIES_CHARACTERS} a role's inline "
                "policies may have together (whitespace not counted)",
                source=_IAM_QUOTAS,
            )


def check(records: Sequence[ResourceRecord]) -> list[Violation]:
    violations: list[Violation] = []
    for record in records:
        if not record.custom or record.read:
            continue
        for entry in _RULES:
            if record.type in entry.types or "*" in entry.types:
                violations.extend(
                    Violation(
                        urn=record.urn,
                        resource_type=record.type,
                        name=record.name,
                        path=path,
                        value=value,
                        problem=problem,
                        source=entry.source,
                    )
                    for path, value, problem in entry.check(record)
                )
    violations.extend(_inline_policy_totals(records))
    return violations
