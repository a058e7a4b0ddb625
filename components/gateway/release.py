"""The LiteLLM release the gateway runs, and the releases the policy pack refuses.

LiteLLM publishes its Helm chart and its images under one version from 1.84.0 on (SemVer
without a leading 'v': docs.litellm.ai/blog, "Cleaner release versions", 2026-04-28), so one
pin covers both. 1.104.0 confirmed: chart `oci://ghcr.io/berriai/litellm-helm` version 1.104.0
rendered with appVersion 1.104.0 in public deployment code (search corpus, file id
70303094964); `litellm==1.104.0` is on PyPI (installed here for the gateway tests).
"""

from __future__ import annotations

GATEWAY_VERSION = "1.104.0"
CHART = "oci://ghcr.io/berriai/litellm-helm"
IMAGE = "ghcr.io/berriai/litellm-database"
"""The image variant with the Prisma client and migrations for an external PostgreSQL."""

FIXED_IN = (1, 83, 7)
"""First release past the 2026 advisories: pre-auth SQL injection in the API-key check
(CVE-2026-42208, GHSA-r75f-5x8p-qvmc, 1.81.16 to 1.83.6) and command injection through MCP
server definitions (CVE-2026-42271, GHSA-v4p8-mg3p-g94g, 1.74.2 to 1.83.6), both fixed in
1.83.7 (BerriAI/litellm security advisories)."""
COMPROMISED = ("1.82.7", "1.82.8")
"""PyPI releases that shipped a credential stealer (BerriAI/litellm#24518; docs.litellm.ai
"Security update, March 2026")."""


def release_tuple(version: str) -> tuple[int, ...] | None:
    """(major, minor, patch) of a release string such as '1.104.0' or 'v1.83.7-stable';
    None when it is not one."""
    core = version.removeprefix("v").split("-", 1)[0]
    parts = core.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def advisory_problem(version: str) -> str | None:
    """Why a LiteLLM release must not run, or None when it is past the advisories."""
    found = release_tuple(version)
    if found is None:
        return f"{version!r} is not a LiteLLM release (major.minor.patch)"
    if version.removeprefix("v").split("-", 1)[0] in COMPROMISED:
        return f"{version} is a compromised release (BerriAI/litellm#24518)"
    if found < FIXED_IN:
        return (
            f"{version} is before 1.83.7, which fixes CVE-2026-42208 (pre-auth SQL injection) "
            "and CVE-2026-42271 (command injection)"
        )
    return None
