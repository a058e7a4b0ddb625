"""The LLM gateway: the LiteLLM release it runs is past the 2026 advisories."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from components.gateway.release import advisory_problem
from policies.props import dig
from policies.report import Report
from policies.rule import Config, resource_rule

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LITELLM_CHARTS = ("litellm-helm",)
"""The official chart's name, however it is referenced (OCI path or repository name)."""


def _is_litellm(chart: object) -> bool:
    return isinstance(chart, str) and chart.rstrip("/").rsplit("/", 1)[-1] in LITELLM_CHARTS


@resource_rule(
    id="gateway-litellm-past-advisories",
    area="gateway",
    description="A LiteLLM proxy chart and image are pinned to a release from 1.83.7 on, past "
    "the pre-auth SQL injection (CVE-2026-42208) and command injection (CVE-2026-42271), and "
    "never a compromised release.",
    severity="critical",
    remediation="Set plinth:gateway.version to 1.83.7 or later (Plinth pins 1.104.0); with "
    "the chart directly, pin its `version` and `image.tag` to such a release.",
    controls={
        "soc2": ["CC7.1", "CC8.1"],
        "pci": ["6.3.3"],
        "nist-800-53": ["SI-2"],
        "nist-ai-rmf": ["MANAGE 3.1"],
    },
    types=(HELM_RELEASE,),
)
def litellm_past_advisories(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not _is_litellm(dig(args.props, "chart")):
        return
    version = dig(args.props, "version")
    if not version:
        report("the chart version is not pinned")
    elif problem := advisory_problem(str(version)):
        report(f"chart: {problem}")
    tag = dig(args.props, "values", "image", "tag")
    if tag and (problem := advisory_problem(str(tag))):
        report(f"image tag: {problem}")
