"""Stack config keys outside `plinth:` that a stack file can get wrong: a namespace no one reads
(a typo of `plinth:` is silently ignored by Pulumi), and the AWS provider's region."""

from __future__ import annotations

import difflib
import importlib.metadata
import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from plinth.spec.errors import Problem


@cache
def aws_regions() -> frozenset[str]:
    """Every AWS region of every partition, from the partition data botocore ships (the SDK's
    own source for endpoint resolution): `us-east-1`, `cn-north-1`, `us-gov-west-1`, ..."""
    data = json.loads((files("botocore") / "data" / "partitions.json").read_text())
    return frozenset(
        region
        for partition in data["partitions"]
        for region in partition["regions"]
        if not region.endswith("-global")
    )


def region_problem(value: str) -> str:
    """Why `value` is not an AWS region, or ""."""
    if value in aws_regions():
        return ""
    close = difflib.get_close_matches(value, sorted(aws_regions()), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not an AWS region{hint}; see `aws ec2 describe-regions` for the list"


@cache
def provider_namespaces() -> frozenset[str]:
    """Config namespaces of the Pulumi packages installed with the program (`aws` from
    pulumi_aws, `kubernetes`, `coreweave`...) and Pulumi's own (`pulumi`)."""
    names = {"pulumi"}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"].lower().replace("-", "_")
        if name.startswith("pulumi_") and name != "pulumi_policy":
            names.add(name.removeprefix("pulumi_"))
    return frozenset(names)


def config_key_problems(config: Mapping[str, str], project: str) -> list[Problem]:
    """Keys in a namespace that is neither the project's, a provider's nor Pulumi's (with a
    did-you-mean), and an `aws:region` that is not a region."""
    known = sorted({project, *provider_namespaces()})
    problems = []
    for key in sorted(config):
        namespace, _, _ = key.partition(":")
        if namespace not in known:
            close = difflib.get_close_matches(namespace, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    key,
                    f"unknown config namespace {namespace!r}: {hint}nothing reads it "
                    f"(namespaces read here: {', '.join(known)})",
                )
            )
    region = config.get("aws:region")
    if region:
        problem = region_problem(region)
        if problem:
            problems.append(Problem("aws:region", problem))
    return problems
