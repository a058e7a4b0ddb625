"""`plinth preflight`: will a stack's Bedrock settings work in its AWS account?

The offline preview cannot know what an account is offered and allowed: which models a region
serves and how (on demand, only through an inference profile, as provisioned throughput),
whether the account has access to them, and whether an invocation logging configuration
already exists that `pulumi up` would overwrite (there is one per account and region). These
checks ask AWS with the caller's credentials, read-only, through these calls:

    sts:GetCallerIdentity, bedrock:ListFoundationModels, bedrock:GetInferenceProfile,
    bedrock:GetFoundationModelAvailability, bedrock:GetModelInvocationLoggingConfiguration

Each check takes boto3 clients, so tests can hand it moto's or stubbed ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
)

from components.bedrock.logging import (
    invocation_log_group_name,
    invocation_logging_name,
    log_bucket_name_prefix,
)
from components.bedrock.models import PROFILE_GEOGRAPHIES, ModelRef
from plinth.engine.project import find_project, load_stack_config
from plinth.spec import PlinthSpec, load_spec
from plinth.spec.bedrock import ProvisionedThroughputSpec

Client = Any
"""A boto3 client (boto3 ships no type hints)."""
ModelSummary = dict[str, Any]
"""One entry of ListFoundationModels' modelSummaries."""


class Status(StrEnum):
    """How a check came out, mildest first: only BLOCKER fails the preflight."""

    OK = "OK"
    WARN = "WARN"
    BLOCKER = "BLOCKER"


_SEVERITY = list(Status)


def _worst(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=_SEVERITY.index, default=Status.OK)


@dataclass(frozen=True)
class CheckResult:
    """One row of the report: what was checked, on what, and what AWS said."""

    check: str
    subject: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.check,
            "subject": self.subject,
            "status": self.status.value,
            "detail": self.detail,
        }


def _result(check: str, subject: str, findings: Sequence[tuple[Status, str]]) -> CheckResult:
    """One row from several findings about the same subject: the worst status wins."""
    return CheckResult(
        check,
        subject,
        _worst(status for status, _ in findings),
        "; ".join(detail for _, detail in findings),
    )


@dataclass(frozen=True)
class PreflightReport:
    """Every check of one stack; `account` is None when Bedrock is off and nothing was asked."""

    stack: str
    region: str
    account: str | None
    checks: tuple[CheckResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status is status)

    @property
    def blockers(self) -> int:
        return self.count(Status.BLOCKER)

    @property
    def warnings(self) -> int:
        return self.count(Status.WARN)

    @property
    def exit_code(self) -> int:
        return 1 if self.blockers else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "account": self.account,
            "checks": [check.to_json() for check in self.checks],
            "blockers": self.blockers,
            "warnings": self.warnings,
        }


class PreflightError(Exception):
    """AWS could not be asked (no credentials, no network, a refused call): nothing was
    checked, so there is no report. The CLI prints `title` and `lines` and exits 2."""

    def __init__(self, title: str, lines: Sequence[str] = ()) -> None:
        self.title = title
        self.lines = list(lines)
        super().__init__("\n".join([title, *self.lines]))


def load_stack_spec(program_dir: Path, stack: str, config_file: Path | None = None) -> PlinthSpec:
    """The stack's whole validated spec (a SpecError lists every problem), read the way
    `plinth preview` reads it."""
    project = find_project(program_dir)
    config = load_stack_config(project, stack, config_file)
    return load_spec(config.values, project.root)


def bedrock_region(spec: PlinthSpec) -> str:
    """Where the stack's Bedrock resources live, so where its models must be offered."""
    return spec.bedrock.region or spec.aws.region


def aws_session(region: str) -> Any:
    """The caller's AWS session (environment, profile, SSO...) in the Bedrock region.

    Creating it can already fail (an unknown AWS_PROFILE), so `run_preflight` calls it inside
    its error handling; tests replace it to hand out moto or stubbed clients."""
    return boto3.session.Session(region_name=region)


def run_preflight(spec: PlinthSpec, stack: str) -> PreflightReport:
    """Run every check against the account the caller's credentials belong to. With Bedrock
    off there is nothing to ask AWS: the report is empty."""
    region = bedrock_region(spec)
    if not spec.bedrock.enabled:
        return PreflightReport(stack=stack, region=region, account=None, checks=())
    try:
        session = aws_session(region)
        account, account_check = check_account(session.client("sts"), spec.aws.account_id)
        bedrock = session.client("bedrock")
        offered = offered_models(bedrock)
        refs = spec.bedrock.refs()
        throughput = spec.bedrock.provisioned_throughput
        called = [ref.model_id for ref in refs] + [entry.model for entry in throughput]
        checks = [
            account_check,
            *check_models(bedrock, refs, region, offered, {entry.model for entry in throughput}),
            *check_provisioned_throughput(throughput, region, offered),
            *check_model_access(bedrock, [model for model in called if model in offered]),
            check_invocation_logging(bedrock, spec.name_prefix, spec.environment),
        ]
    except NoCredentialsError as error:
        raise PreflightError(
            "no AWS credentials found",
            [
                "set AWS_PROFILE (after `aws configure` or `aws sso login`), or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ],
        ) from error
    except BotoCoreError as error:
        raise PreflightError(f"cannot call AWS in {region}", [str(error)]) from error
    except ClientError as error:
        raise PreflightError(
            f"AWS refused {error.operation_name} in {region}", [_error_text(error)]
        ) from error
    return PreflightReport(stack=stack, region=region, account=account, checks=tuple(checks))


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: ClientError) -> str:
    message = error.response.get("Error", {}).get("Message", "")
    return f"{_error_code(error)}: {message}"


def _cannot_check(check: str, subject: str, action: str) -> CheckResult:
    """A check the caller may not run: worth a warning, not a failure (preflight is often
    run with narrower permissions than `pulumi up`)."""
    return CheckResult(
        check, subject, Status.WARN, f"cannot check (missing bedrock:{action} permission)"
    )


def check_account(sts: Client, pinned: str | None) -> tuple[str, CheckResult]:
    """Whose credentials these are; a stack pinned to another account would fail in `pulumi
    up` (the AWS provider refuses them), so it fails here first."""
    try:
        identity = sts.get_caller_identity()
    except ClientError as error:
        raise PreflightError("AWS rejected the credentials", [_error_text(error)]) from error
    account = str(identity["Account"])
    if pinned and pinned != account:
        return account, CheckResult(
            "account",
            account,
            Status.BLOCKER,
            f"credentials are for account {account}, the stack is pinned to {pinned} "
            "(plinth:aws.accountId)",
        )
    pin = "matches plinth:aws.accountId" if pinned else "plinth:aws.accountId is not set"
    return account, CheckResult("account", account, Status.OK, f"{identity['Arn']} ({pin})")


def offered_models(bedrock: Client) -> dict[str, ModelSummary]:
    """The region's foundation models by ID (ListFoundationModels is not paginated)."""
    summaries = bedrock.list_foundation_models()["modelSummaries"]
    return {summary["modelId"]: summary for summary in summaries}


def _inference_types(summary: ModelSummary) -> list[str]:
    return list(summary.get("inferenceTypesSupported", []))


def check_models(
    bedrock: Client,
    refs: Sequence[ModelRef],
    region: str,
    offered: Mapping[str, ModelSummary],
    provisioned: set[str],
) -> list[CheckResult]:
    """Each approved model: offered in the region, not deprecated, and callable the way the
    stack names it (a model that only serves through a profile rejects its plain ID; one only
    sold as provisioned throughput needs an entry). Profiles are looked up too."""
    results: list[CheckResult] = []
    for ref in refs:
        summary = offered.get(ref.model_id)
        if summary is None:
            results.append(
                CheckResult(
                    "model", ref.id, Status.BLOCKER, f"{ref.model_id} is not offered in {region}"
                )
            )
            continue
        results.append(_result("model", ref.id, _model_findings(ref, summary, region, provisioned)))
        if ref.is_profile:
            results.append(check_inference_profile(bedrock, ref, region))
    return results


def _model_findings(
    ref: ModelRef, summary: ModelSummary, region: str, provisioned: set[str]
) -> list[tuple[Status, str]]:
    findings: list[tuple[Status, str]] = []
    lifecycle = summary.get("modelLifecycle", {})
    if lifecycle.get("status") == "LEGACY":
        end = lifecycle.get("endOfLifeTime")
        until = f", end of life {end.date().isoformat()}" if end else ""
        findings.append((Status.WARN, f"deprecated (legacy{until}): move to a newer model"))
    served = _inference_types(summary)
    if not ref.is_profile and "ON_DEMAND" not in served:
        if "INFERENCE_PROFILE" in served:
            profiles = " or ".join(
                ModelRef(ref.model_id, geography).id
                for geography in PROFILE_GEOGRAPHIES
                if ModelRef(ref.model_id, geography).callable_from(region)
            )
            findings.append(
                (
                    Status.BLOCKER,
                    f"only callable through an inference profile; use {profiles}",
                )
            )
        elif ref.model_id not in provisioned:
            findings.append(
                (
                    Status.BLOCKER,
                    "only served through provisioned throughput; add a provisionedThroughput "
                    "entry for it",
                )
            )
    if not findings:
        how = "through an inference profile" if ref.is_profile else "on demand"
        findings.append((Status.OK, f"offered in {region}, {how}"))
    return findings


def check_inference_profile(bedrock: Client, ref: ModelRef, region: str) -> CheckResult:
    """A system inference profile exists per geography and source region; calls to one the
    region lacks fail. Its models' ARNs name the regions it routes to."""
    try:
        profile = bedrock.get_inference_profile(inferenceProfileIdentifier=ref.id)
    except ClientError as error:
        code = _error_code(error)
        if code in ("ResourceNotFoundException", "ValidationException"):
            return CheckResult(
                "inference profile",
                ref.id,
                Status.BLOCKER,
                f"inference profile not offered in {region}",
            )
        if code == "AccessDeniedException":
            return _cannot_check("inference profile", ref.id, "GetInferenceProfile")
        raise
    destinations = sorted({model["modelArn"].split(":")[3] for model in profile["models"]})
    return CheckResult(
        "inference profile", ref.id, Status.OK, f"routes to {', '.join(destinations)}"
    )


def check_provisioned_throughput(
    entries: Sequence[ProvisionedThroughputSpec], region: str, offered: Mapping[str, ModelSummary]
) -> list[CheckResult]:
    """Each provisioned throughput entry names a model sold that way in the region. Often only
    a context-length variant is (`...:200k`); the detail names those."""
    results: list[CheckResult] = []
    for entry in entries:
        summary = offered.get(entry.model)
        if summary is None:
            status, detail = Status.BLOCKER, f"{entry.model} is not offered in {region}"
        elif "PROVISIONED" not in _inference_types(summary):
            variants = sorted(
                model
                for model, other in offered.items()
                if model.startswith(f"{entry.model}:") and "PROVISIONED" in _inference_types(other)
            )
            hint = f"; it is sold for {', '.join(variants)}" if variants else ""
            status = Status.BLOCKER
            detail = f"{entry.model} is not sold as provisioned throughput in {region}{hint}"
        else:
            status = Status.OK
            term = "no commitment" if entry.commitment == "none" else f"{entry.commitment} term"
            detail = f"{entry.model}: {entry.model_units} model unit(s), {term}"
        results.append(CheckResult("provisioned throughput", entry.name, status, detail))
    return results


def check_model_access(bedrock: Client, model_ids: Iterable[str]) -> list[CheckResult]:
    """Each foundation model the stack calls: the account must be authorized and entitled and
    have accepted the model's agreement, or every call is denied."""
    results: list[CheckResult] = []
    for model_id in sorted(set(model_ids)):
        try:
            availability = bedrock.get_foundation_model_availability(modelId=model_id)
        except ClientError as error:
            if _error_code(error) != "AccessDeniedException":
                raise
            results.append(
                _cannot_check("model access", model_id, "GetFoundationModelAvailability")
            )
            continue
        results.append(_result("model access", model_id, _access_findings(availability)))
    return results


def _access_findings(availability: Mapping[str, Any]) -> list[tuple[Status, str]]:
    findings: list[tuple[Status, str]] = []
    if availability["regionAvailability"] != "AVAILABLE":
        findings.append((Status.BLOCKER, "not available to this account in the region"))
    if availability["authorizationStatus"] != "AUTHORIZED":
        findings.append(
            (Status.BLOCKER, "not authorized: request model access in the Bedrock console")
        )
    if availability["entitlementAvailability"] != "AVAILABLE":
        findings.append(
            (Status.BLOCKER, "no entitlement: request model access in the Bedrock console")
        )
    agreement = availability["agreementAvailability"]
    if agreement["status"] == "PENDING":
        findings.append((Status.WARN, "agreement pending: retry once AWS has processed it"))
    elif agreement["status"] == "NOT_AVAILABLE":
        findings.append(
            (Status.BLOCKER, "no agreement: accept the model's offer in the Bedrock console")
        )
    elif agreement["status"] == "ERROR":
        reason = agreement.get("errorMessage", "no reason given")
        findings.append((Status.BLOCKER, f"agreement failed: {reason}"))
    return findings or [(Status.OK, "access granted")]


def check_invocation_logging(bedrock: Client, name_prefix: str, environment: str) -> CheckResult:
    """The logging configuration is one setting per account and region: `pulumi up` replaces
    whatever is there. Only the stack's own (its bucket and log group) is safe to replace."""
    try:
        config = bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
    except ClientError as error:
        if _error_code(error) != "AccessDeniedException":
            raise
        return _cannot_check(
            "invocation logging", "account", "GetModelInvocationLoggingConfiguration"
        )
    if not config:
        return CheckResult(
            "invocation logging", "account", Status.OK, "none yet; pulumi up creates it"
        )
    bucket = config.get("s3Config", {}).get("bucketName")
    log_group = config.get("cloudWatchConfig", {}).get("logGroupName")
    own_prefix = log_bucket_name_prefix(invocation_logging_name(name_prefix))
    own_bucket = bucket is not None and bucket.startswith(own_prefix)
    if own_bucket and log_group == invocation_log_group_name(environment):
        return CheckResult("invocation logging", "account", Status.OK, "managed by this stack")
    return CheckResult(
        "invocation logging",
        "account",
        Status.BLOCKER,
        f"an invocation logging configuration already exists (bucket {bucket or 'none'}, "
        f"log group {log_group or 'none'}); `pulumi up` would overwrite it: it is account-wide "
        "per region",
    )
