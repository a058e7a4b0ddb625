"""`plinth preflight`: will a stack's Bedrock settings and account guardrails work in its AWS
account?

The offline preview cannot know what an account is offered and allowed: which models a region
serves and how (on demand, only through an inference profile, as provisioned throughput),
whether the account has access to them, and whether an invocation logging configuration
already exists that `pulumi up` would overwrite (there is one per account and region). Nor
whether the account guardrails of a platform stack (components/guardrails) already exist:
most are one per account or region, so someone else's makes `pulumi up` fail or fight over
it, and one listed in `plinth:guardrails.external` must exist. These checks ask AWS with the
caller's credentials, read-only, through these calls:

    sts:GetCallerIdentity, bedrock:ListFoundationModels, bedrock:GetInferenceProfile,
    bedrock:GetFoundationModelAvailability, bedrock:GetModelInvocationLoggingConfiguration,
    cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, config:DescribeConfigurationRecorders,
    config:DescribeConfigurationRecorderStatus, guardduty:ListDetectors, guardduty:GetDetector,
    securityhub:DescribeHub, access-analyzer:ListAnalyzers, s3:GetAccountPublicAccessBlock,
    ec2:GetEbsEncryptionByDefault, ce:GetAnomalyMonitors, budgets:ViewBudget

Each check takes boto3 clients, so tests can hand it moto's or stubbed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
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
from components.guardrails.singletons import (
    AccountGuardrail,
    analyzer_name,
    anomaly_monitor_name,
    budget_name,
    recorder_name,
    trail_name,
)
from plinth.errors import UserError
from plinth.spec import PlinthSpec
from plinth.spec.bedrock import ProvisionedThroughputSpec

Client = Any
"""A boto3 client (boto3 ships no type hints)."""
ClientFactory = Callable[[str], Client]
"""Hands out a boto3 client by service name (`session.client`, or moto's and stubbed ones)."""
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
    """Every check of one stack; `account` is None when nothing was asked (a tenant stack with
    Bedrock off). `region` is the Bedrock region, or the stack's when Bedrock is off."""

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


class PreflightError(UserError):
    """AWS could not be asked (no credentials, no network, a refused call): nothing was
    checked, so there is no report."""


def bedrock_region(spec: PlinthSpec) -> str:
    """Where the stack's Bedrock resources live, so where its models must be offered."""
    return spec.bedrock.region or spec.aws.region


def aws_session(region: str) -> Any:
    """The caller's AWS session (environment, profile, SSO...) in `region`.

    Creating it can already fail (an unknown AWS_PROFILE), so `run_preflight` calls it inside
    its error handling; tests replace it to hand out moto or stubbed clients."""
    return boto3.session.Session(region_name=region)


COST_EXPLORER_REGION = "us-east-1"
"""Cost Explorer and Budgets are global; their APIs are served from us-east-1."""

_GLOBAL_SERVICES = ("ce", "budgets")


def _clients(session: Any) -> ClientFactory:
    """The session's clients, Cost Explorer's and Budgets' in their own region."""

    def client(service: str) -> Client:
        if service in _GLOBAL_SERVICES:
            return session.client(service, region_name=COST_EXPLORER_REGION)
        return session.client(service)

    return client


def run_preflight(spec: PlinthSpec, stack: str) -> PreflightReport:
    """Run every check against the account the caller's credentials belong to: the Bedrock
    checks (in the Bedrock region) when Bedrock is on, the account guardrails (in the stack's
    region) in a platform stack. A tenant stack with Bedrock off has nothing to ask AWS: the
    report is empty."""
    platform = spec.platform is None
    region = bedrock_region(spec) if spec.bedrock.enabled else spec.aws.region
    if not spec.bedrock.enabled and not platform:
        return PreflightReport(stack=stack, region=region, account=None, checks=())
    asked = region
    try:
        session = aws_session(region)
        account, account_check = check_account(session.client("sts"), spec.aws.account_id)
        checks = [account_check]
        if spec.bedrock.enabled:
            checks += _bedrock_checks(session.client("bedrock"), spec, region)
        if platform:
            asked = spec.aws.region
            home = session if asked == region else aws_session(asked)
            checks += check_account_guardrails(_clients(home), spec, account)
    except NoCredentialsError as error:
        raise PreflightError(
            "no AWS credentials found",
            [
                "set AWS_PROFILE (after `aws configure` or `aws sso login`), or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ],
        ) from error
    except BotoCoreError as error:
        raise PreflightError(f"cannot call AWS in {asked}", [str(error)]) from error
    except ClientError as error:
        raise PreflightError(
            f"AWS refused {error.operation_name} in {asked}", [_error_text(error)]
        ) from error
    return PreflightReport(stack=stack, region=region, account=account, checks=tuple(checks))


def _bedrock_checks(bedrock: Client, spec: PlinthSpec, region: str) -> list[CheckResult]:
    offered = offered_models(bedrock)
    refs = spec.bedrock.refs()
    throughput = spec.bedrock.provisioned_throughput
    called = [ref.model_id for ref in refs] + [entry.model for entry in throughput]
    return [
        *check_models(bedrock, refs, region, offered, {entry.model for entry in throughput}),
        *check_provisioned_throughput(throughput, region, offered),
        *check_model_access(bedrock, [model for model in called if model in offered]),
        check_invocation_logging(
            bedrock,
            spec.name_prefix,
            spec.environment,
            region,
            external=AccountGuardrail.INVOCATION_LOGGING in spec.guardrails.external,
        ),
    ]


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: ClientError) -> str:
    message = error.response.get("Error", {}).get("Message", "")
    return f"{_error_code(error)}: {message}"


def _cannot_check(check: str, subject: str, action: str) -> CheckResult:
    """A check the caller may not run (`action` is the IAM action it needs, e.g.
    `bedrock:GetInferenceProfile`): worth a warning, not a failure (preflight is often run
    with narrower permissions than `pulumi up`)."""
    return CheckResult(check, subject, Status.WARN, f"cannot check (missing {action} permission)")


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
            return _cannot_check("inference profile", ref.id, "bedrock:GetInferenceProfile")
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
                _cannot_check("model access", model_id, "bedrock:GetFoundationModelAvailability")
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


def check_invocation_logging(
    bedrock: Client, name_prefix: str, environment: str, region: str, external: bool = False
) -> CheckResult:
    """The logging configuration is one setting per account and region: `pulumi up` replaces
    whatever is there. Only the stack's own (its bucket and log group) is safe to replace.
    One declared `external` (provided outside this stack) must exist instead."""
    try:
        config = bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
    except ClientError as error:
        if _error_code(error) != "AccessDeniedException":
            raise
        return _cannot_check(
            "invocation logging", "account", "bedrock:GetModelInvocationLoggingConfiguration"
        )
    if not config:
        if external:
            return CheckResult("invocation logging", "account", Status.BLOCKER, _missing(region))
        return CheckResult(
            "invocation logging", "account", Status.OK, "none yet; pulumi up creates it"
        )
    bucket = config.get("s3Config", {}).get("bucketName")
    log_group = config.get("cloudWatchConfig", {}).get("logGroupName")
    destinations = f"bucket {bucket or 'none'}, log group {log_group or 'none'}"
    if external:
        return CheckResult(
            "invocation logging",
            "account",
            Status.OK,
            f"provided outside this stack ({destinations})",
        )
    own_prefix = log_bucket_name_prefix(invocation_logging_name(name_prefix))
    own_bucket = bucket is not None and bucket.startswith(own_prefix)
    if own_bucket and log_group == invocation_log_group_name(environment):
        return CheckResult("invocation logging", "account", Status.OK, "managed by this stack")
    return CheckResult(
        "invocation logging",
        "account",
        Status.BLOCKER,
        f"an invocation logging configuration already exists ({destinations}); `pulumi up` "
        "would overwrite it: it is account-wide per region",
    )


# Account guardrails

_Finding = tuple[Status, str]

_DENIED = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation")
"""How the services say the caller's permissions refuse a call (they do not agree on one)."""

_PERMISSIONS = {
    "DescribeTrails": "cloudtrail:DescribeTrails",
    "GetTrailStatus": "cloudtrail:GetTrailStatus",
    "DescribeConfigurationRecorders": "config:DescribeConfigurationRecorders",
    "DescribeConfigurationRecorderStatus": "config:DescribeConfigurationRecorderStatus",
    "ListDetectors": "guardduty:ListDetectors",
    "GetDetector": "guardduty:GetDetector",
    "DescribeHub": "securityhub:DescribeHub",
    "ListAnalyzers": "access-analyzer:ListAnalyzers",
    "GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "GetEbsEncryptionByDefault": "ec2:GetEbsEncryptionByDefault",
    "GetAnomalyMonitors": "ce:GetAnomalyMonitors",
    "DescribeBudgets": "budgets:ViewBudget",
}
"""The IAM action each guardrail call needs, by API operation (not always the same name)."""

_PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)

_NONE_YET: _Finding = (Status.OK, "none yet; pulumi up creates it")
_MANAGED: _Finding = (Status.OK, "managed by this stack")


def _missing(where: str) -> str:
    return f"declared external (plinth:guardrails.external) but none exists in {where}"


def _switched_off(what: str, state: str) -> str:
    """An external guardrail that exists but does nothing: as bad as a missing one."""
    return f"declared external (plinth:guardrails.external): {what} exists but is {state}"


def _provided(detail: str) -> _Finding:
    return Status.OK, f"provided outside this stack: {detail}"


def _taken(what: str, names: str, guardrail: AccountGuardrail, scope: str = "region") -> _Finding:
    """Someone else's singleton (`what`, called `names`) is there already: creating this
    stack's fails."""
    return (
        Status.BLOCKER,
        f"{what} already exists ({names}); AWS allows one per {scope}, so pulumi up would "
        f"fail: import it or list {guardrail} in plinth:guardrails.external",
    )


def _every(client: Client, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item of a paginated listing (`operation` as the client method is named), page
    after page."""
    pages = client.get_paginator(operation).paginate(**params)
    return [item for page in pages for item in page.get(key, [])]


@dataclass(frozen=True)
class _Judged:
    """What AWS showed of one guardrail, judged both ways: this stack creates it (`owned`), or
    it is declared provided outside this stack (`external`). `external` may be a function
    when judging it takes calls of its own (is the guardrail switched on?): they are made only
    for a guardrail declared external."""

    owned: _Finding
    external: _Finding | Callable[[], _Finding]

    def finding(self, external: bool) -> _Finding:
        if not external:
            return self.owned
        return self.external() if callable(self.external) else self.external


def check_account_guardrails(
    client: ClientFactory, spec: PlinthSpec, account: str
) -> list[CheckResult]:
    """Each account guardrail of a platform stack (all but invocation logging, a Bedrock
    check) in the stack's region. One the stack creates must not exist already, unless it is
    the stack's own (an earlier `pulumi up`): most are one per account or region, so someone
    else's makes `pulumi up` fail, or two stacks would fight over it. One listed in
    `plinth:guardrails.external` must exist and be switched on, since the stack leaves it out.

    `client` hands out a client by service name, each for `spec.aws.region` (Cost Explorer's
    and Budgets' for us-east-1); `account` is the caller's."""
    results: list[CheckResult] = []
    for guardrail, probe in _PROBES.items():
        try:
            status, detail = probe(client, spec, account).finding(
                guardrail in spec.guardrails.external
            )
        except ClientError as error:
            if _error_code(error) not in _DENIED:
                raise
            action = _PERMISSIONS.get(error.operation_name, error.operation_name)
            results.append(_cannot_check("account guardrail", guardrail.value, action))
            continue
        results.append(CheckResult("account guardrail", guardrail.value, status, detail))
    return results


def _trail_label(trail: Mapping[str, Any]) -> str:
    name = str(trail["Name"])
    return f"{name} (organization trail)" if trail.get("IsOrganizationTrail") else name


def _cloudtrail(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """A multi-region trail (an organization trail is one) already records every region's
    management events; a second is allowed but billed. The stack's own trail has its name and
    lives in the stack's region (a same-named trail homed elsewhere is someone else's). One
    declared external must be logging."""
    cloudtrail = client("cloudtrail")
    trails = cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
    recording = sorted(
        (
            trail
            for trail in trails
            if trail.get("IsMultiRegionTrail") or trail.get("IsOrganizationTrail")
        ),
        key=_trail_label,
    )
    names = ", ".join(_trail_label(trail) for trail in recording)

    def external() -> _Finding:
        if not recording:
            return Status.BLOCKER, _missing(spec.aws.region)
        # A shadow trail (homed in another region, or the organization's) is asked by its ARN.
        logging = [
            _trail_label(trail)
            for trail in recording
            if cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging")
        ]
        if logging:
            return _provided(", ".join(logging))
        return Status.BLOCKER, _switched_off(f"a multi-region trail ({names})", "not logging")

    own = trail_name(spec.name_prefix)
    if any(trail["Name"] == own and trail.get("HomeRegion") == spec.aws.region for trail in trails):
        return _Judged(_MANAGED, external)
    if recording:
        return _Judged(
            (
                Status.WARN,
                f"a multi-region trail already records this account ({names}): this stack "
                "adds a second one (a second copy of management events is billed); list "
                f"{AccountGuardrail.CLOUDTRAIL} in plinth:guardrails.external to rely on it",
            ),
            external,
        )
    return _Judged(_NONE_YET, external)


def _aws_config(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One configuration recorder per region. One declared external must be recording."""
    config = client("config")
    recorders = [
        recorder["name"]
        for recorder in config.describe_configuration_recorders()["ConfigurationRecorders"]
    ]
    names = ", ".join(recorders)
    if not recorders:
        return _Judged(_NONE_YET, (Status.BLOCKER, _missing(spec.aws.region)))

    def external() -> _Finding:
        statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        on = {status["name"] for status in statuses if status.get("recording")}
        recording = [name for name in recorders if name in on]
        if recording:
            return _provided(f"recorder {', '.join(recording)}")
        return Status.BLOCKER, _switched_off(f"recorder {names}", "not recording")

    if recorder_name(spec.name_prefix) in recorders:
        return _Judged(_MANAGED, external)
    return _Judged(_taken("a configuration recorder", names, AccountGuardrail.AWS_CONFIG), external)


def _guardduty(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One detector per region; the stack's own carries its tags (AWS names detectors). One
    declared external must be enabled."""
    guardduty = client("guardduty")
    detectors = guardduty.list_detectors()["DetectorIds"]
    if not detectors:
        return _Judged(_NONE_YET, (Status.BLOCKER, _missing(spec.aws.region)))
    detector_id = detectors[0]
    detector = guardduty.get_detector(DetectorId=detector_id)
    status = str(detector["Status"])
    external = (
        _provided(f"detector {detector_id} ({status.lower()})")
        if status == "ENABLED"
        else (Status.BLOCKER, _switched_off(f"detector {detector_id}", "disabled"))
    )
    tags = detector.get("Tags", {})
    if tags.get("managed-by") == "plinth" and tags.get("environment") == spec.environment:
        return _Judged(_MANAGED, external)
    return _Judged(
        _taken("a GuardDuty detector", detector_id, AccountGuardrail.GUARDDUTY), external
    )


def _security_hub(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One hub per region. Whose it is cannot be read: the hub has no tags Plinth sets."""
    try:
        hub = client("securityhub").describe_hub()
    except ClientError as error:
        if _error_code(error) not in ("InvalidAccessException", "ResourceNotFoundException"):
            raise
        return _Judged(_NONE_YET, (Status.BLOCKER, _missing(spec.aws.region)))
    since = str(hub.get("SubscribedAt") or "")[:10] or "an unknown date"  # ISO 8601
    return _Judged(
        (
            Status.WARN,
            f"Security Hub is already enabled (since {since}): unless this stack enabled it, "
            "pulumi up fails; import it or list "
            f"{AccountGuardrail.SECURITY_HUB} in plinth:guardrails.external",
        ),
        _provided(f"enabled since {since}"),
    )


def _access_analyzer(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """Outside the organization's management and delegated administrator accounts, AWS allows
    one analyzer per region with the account as zone of trust, so someone else's blocks the
    stack's. An organization analyzer (listed only in those accounts) overlaps harmlessly."""
    analyzer = client("accessanalyzer")
    accounts = [
        summary["name"]
        for summary in _every(analyzer, "list_analyzers", "analyzers", type="ACCOUNT")
    ]
    try:
        organization = [
            summary["name"]
            for summary in _every(analyzer, "list_analyzers", "analyzers", type="ORGANIZATION")
        ]
    except ClientError as error:
        # Elsewhere than those accounts the call may be refused (as denied, or as invalid for
        # the account), which says nothing about this account's own analyzers.
        if _error_code(error) not in (*_DENIED, "ValidationException"):
            raise
        organization = []
    labels = ", ".join([*accounts, *(f"{name} (organization)" for name in organization)])
    external = (
        _provided(labels)
        if labels
        else (
            Status.WARN,
            "no analyzer visible from this account: an organization analyzer lives in the "
            "management or delegated administrator account; confirm it covers this account",
        )
    )
    own = analyzer_name(spec.name_prefix)
    if own in accounts:
        return _Judged(_MANAGED, external)
    if accounts:
        return _Judged(
            _taken(
                "an analyzer with this account as zone of trust",
                ", ".join(accounts),
                AccountGuardrail.ACCESS_ANALYZER,
            ),
            external,
        )
    if organization:
        return _Judged(
            (
                Status.OK,
                "none yet; pulumi up creates it; also covered by "
                + ", ".join(f"{name} (organization)" for name in organization),
            ),
            external,
        )
    return _Judged(_NONE_YET, external)


def _public_access_block(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One block per account, without tags: whose it is cannot be read."""
    try:
        block = client("s3control").get_public_access_block(AccountId=account)[
            "PublicAccessBlockConfiguration"
        ]
    except ClientError as error:
        if _error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        return _Judged(_NONE_YET, (Status.BLOCKER, _missing("this account")))
    off = [setting for setting in _PUBLIC_ACCESS_SETTINGS if not block.get(setting)]
    settings = (
        ", ".join(
            f"{setting} {'off' if setting in off else 'on'}" for setting in _PUBLIC_ACCESS_SETTINGS
        )
        if off
        else "all four settings on"
    )
    external = (
        (
            Status.BLOCKER,
            "declared external (plinth:guardrails.external) but only partly set: "
            f"{', '.join(off)} off",
        )
        if off
        else _provided(settings)
    )
    return _Judged(
        (
            Status.WARN,
            f"an account public access block is already set ({settings}); if another stack "
            f"manages it, list {AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK} in "
            "plinth:guardrails.external (two stacks would overwrite each other, and destroying "
            "the other one removes it)",
        ),
        external,
    )


def _ebs_encryption(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One setting per region, without tags: whose it is cannot be read."""
    if client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
        return _Judged(
            (
                Status.WARN,
                "already on; if another stack manages it, list "
                f"{AccountGuardrail.EBS_ENCRYPTION} in plinth:guardrails.external",
            ),
            _provided("encryption by default is on"),
        )
    return _Judged(
        (Status.OK, "off; pulumi up turns it on"),
        (
            Status.BLOCKER,
            f"declared external (plinth:guardrails.external) but it is off in {spec.aws.region}",
        ),
    )


def _cost_anomaly_monitor(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """One AWS services monitor (dimensional, by service) per account: creating a second fails
    with "Limit exceeded on dimensional spend monitor creation"."""
    monitors = _every(client("ce"), "get_anomaly_monitors", "AnomalyMonitors")
    services = [
        monitor["MonitorName"]
        for monitor in monitors
        if monitor.get("MonitorType") == "DIMENSIONAL"
        and monitor.get("MonitorDimension") == "SERVICE"
    ]
    names = ", ".join(services)
    external = (
        _provided(f"monitor {names}") if services else (Status.BLOCKER, _missing("this account"))
    )
    if any(
        monitor["MonitorName"] == anomaly_monitor_name(spec.name_prefix) for monitor in monitors
    ):
        return _Judged(_MANAGED, external)
    if services:
        return _Judged(
            _taken(
                "an AWS services cost monitor",
                names,
                AccountGuardrail.COST_ANOMALY_MONITOR,
                'account ("Limit exceeded on dimensional spend monitor creation")',
            ),
            external,
        )
    return _Judged(_NONE_YET, external)


def _account_budget(client: ClientFactory, spec: PlinthSpec, account: str) -> _Judged:
    """Budgets may overlap, so none blocks; an account-wide one has no tag filter (a tenant's
    budget filters on its project tag). One declared external must exist."""
    budgets = _every(client("budgets"), "describe_budgets", "Budgets", AccountId=account)
    account_wide = sorted(
        str(budget["BudgetName"])
        for budget in budgets
        if "TagKeyValue" not in budget.get("CostFilters", {})
    )
    external = (
        _provided(f"budget {', '.join(account_wide)}")
        if account_wide
        else (Status.BLOCKER, _missing("this account"))
    )
    if any(budget["BudgetName"] == budget_name(spec.name_prefix) for budget in budgets):
        return _Judged(_MANAGED, external)
    if spec.guardrails.budget is None:
        return _Judged(
            (
                Status.WARN,
                "no budget configured (plinth:guardrails.budget): the account's spend has no alert",
            ),
            external,
        )
    return _Judged(_NONE_YET, external)


_PROBES: dict[AccountGuardrail, Callable[[ClientFactory, PlinthSpec, str], _Judged]] = {
    AccountGuardrail.CLOUDTRAIL: _cloudtrail,
    AccountGuardrail.AWS_CONFIG: _aws_config,
    AccountGuardrail.GUARDDUTY: _guardduty,
    AccountGuardrail.SECURITY_HUB: _security_hub,
    AccountGuardrail.ACCESS_ANALYZER: _access_analyzer,
    AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK: _public_access_block,
    AccountGuardrail.EBS_ENCRYPTION: _ebs_encryption,
    AccountGuardrail.COST_ANOMALY_MONITOR: _cost_anomaly_monitor,
    AccountGuardrail.ACCOUNT_BUDGET: _account_budget,
}
"""Each guardrail's calls, in report order (invocation logging is among the Bedrock checks)."""
