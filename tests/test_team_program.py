"""The pack on a program written without Plinth's components (tests/programs/team): its
`weak` stack has the weaknesses a team's own program often has, and `plinth audit` names
each one; its `hardened` twin is the same program with each fixed, and none is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import ROOT
from typer.testing import CliRunner

from plinth.cli import app

pytestmark = pytest.mark.e2e

PROGRAM = str(ROOT / "tests" / "programs" / "team")
WEAKNESSES = {
    # Kubernetes workloads
    "k8s-no-privileged-containers": "hostNetwork: true",
    "k8s-no-host-path-volumes": "the node's '/var/lib'",
    "k8s-no-host-ports": "host port 8080",
    "k8s-no-added-capabilities": "SYS_ADMIN",
    "k8s-run-as-non-root": "user 0",
    "k8s-no-privilege-escalation": "allowPrivilegeEscalation",
    "k8s-read-only-root-filesystem": "writable root filesystem",
    "k8s-memory-limits": "no memory limit",
    "k8s-gpu-resource-limits": "no limits for: cpu, memory",
    "k8s-gpu-pods-tolerate-the-gpu-taint": "does not tolerate",
    "k8s-images-pinned": "'latest'",
    "k8s-no-plaintext-credentials": "OPENAI_API_KEY",
    "k8s-default-service-account-token": "default service account",
    "k8s-loadbalancer-internal": "internet-facing",
    "k8s-rbac-no-wildcards": "'*'",
    "k8s-no-cluster-admin-binding": "cluster-admin",
    # databases and caches
    "database-encrypted-customer-key": "not encrypted",
    "database-not-public": "publicly accessible",
    "database-iam-authentication": "IAM database authentication is off",
    "database-backup-retention": "kept 1 days",
    "database-deletion-protection": "deletion protection is off",
    "database-minor-version-upgrades": "minor version upgrades are off",
    "database-logs-exported": "no engine log",
    "cache-encrypted": "TLS in transit is off",
    "cache-authentication": "neither a user group nor an AUTH token",
    # secrets, registries, messages, functions
    "secrets-customer-key": "aws/secretsmanager",
    "secrets-no-embedded-credentials": "an OpenAI key",
    "secrets-not-in-stack-outputs": "stack output providerKey holds an OpenAI key",
    "secrets-database-rotation": "never rotated",
    "ecr-scan-on-push": "not scanned",
    "ecr-immutable-tags": "MUTABLE",
    "ecr-customer-key": "AES256",
    "sns-topic-encrypted": "unencrypted",
    "sqs-queue-encrypted": "turned off",
    "messaging-no-public-principal": "any principal",
    "lambda-not-public": "unauthenticated",
    "lambda-in-vpc-for-data": "reaches features but runs outside any VPC",
}


def findings(stack: str) -> dict[str, list[str]]:
    result = CliRunner().invoke(
        app, ["audit", "--program", PROGRAM, "--stack", stack, "-f", "json"]
    )
    assert result.exit_code in (0, 1), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    found: dict[str, list[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["policy"], []).append(finding["message"])
    return found


@pytest.fixture(scope="module")
def weak() -> dict[str, list[str]]:
    return findings("weak")


@pytest.fixture(scope="module")
def hardened() -> dict[str, list[str]]:
    return findings("hardened")


@pytest.mark.parametrize(("rule", "says"), sorted(WEAKNESSES.items()))
def test_each_weakness_is_named(weak: dict[str, list[str]], rule: str, says: str) -> None:
    assert any(says in message for message in weak.get(rule, [])), weak.get(rule)


def test_the_hardened_twin_has_none_of_them(hardened: dict[str, list[str]]) -> None:
    assert sorted(set(hardened) & set(WEAKNESSES)) == []


def test_the_twins_differ_only_in_the_weaknesses(
    weak: dict[str, list[str]], hardened: dict[str, list[str]]
) -> None:
    """What the hardened stack still gets (account guardrails, tags, protection: the program
    is not a platform) the weak one gets too."""
    assert set(hardened) <= set(weak)
