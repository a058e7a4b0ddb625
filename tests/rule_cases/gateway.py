"""Fixtures for policies/rules/gateway.py."""

from __future__ import annotations

from rule_cases import complies, res, violates

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "oci://ghcr.io/berriai/litellm-helm"


def release(version: str | None, tag: str | None = None, chart: str = CHART):  # type: ignore[no-untyped-def]
    values = {"image": {"tag": tag}} if tag else {}
    props = {"chart": chart, "values": values, **({"version": version} if version else {})}
    return res(RELEASE, "litellm", props)


RULE = "gateway-litellm-past-advisories"
CASES = [
    complies(RULE, "Plinth's pin", release("1.104.0", "v1.104.0")),
    complies(RULE, "the first fixed release", release("1.83.7", "v1.83.7-stable")),
    complies(RULE, "another chart", release("1.0.0", chart="gpu-operator")),
    violates(RULE, "chart before the fix", release("1.83.6")),
    violates(RULE, "chart unpinned", release(None)),
    violates(RULE, "image tag before the fix", release("1.104.0", "v1.81.16")),
    violates(RULE, "a compromised release", release("1.82.8")),
    violates(RULE, "chart by repository name", release("1.80.0", chart="litellm-helm")),
]
