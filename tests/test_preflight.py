"""`plinth preflight`: each check against moto (STS, invocation logging, most account
guardrails) or stubbed responses in the service's own shapes (moto does not serve the Bedrock
model APIs, Access Analyzer or Cost Explorer's anomaly monitors, and pages of listings),
then the command end to end
with stubbed clients over moto."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from rich.console import Console
from support import ROOT, dev_stack_document, follow_the_gateway
from typer.testing import CliRunner

from components.bedrock.models import ModelRef
from components.guardrails.singletons import AccountGuardrail
from plinth import cli, preflight
from plinth.cli import app
from plinth.document import load_stack_spec
from plinth.preflight import (
    CheckResult,
    PreflightError,
    Status,
    check_account,
    check_account_guardrails,
    check_invocation_logging,
    check_model_access,
    check_models,
    check_provisioned_throughput,
)
from plinth.spec.bedrock import ProvisionedThroughputSpec

REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_PROFILE = f"us.{SONNET}"
TITAN = "amazon.titan-embed-text-v2:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
OWN_BUCKET = "plinth-dev-bedrock-logs-4f1c2a9"
OWN_LOG_GROUP = "/plinth/dev/bedrock/model-invocations"
ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/bedrock-logging"
GUARDRAILS = (
    "cloudTrail",
    "awsConfig",
    "guardDuty",
    "securityHub",
    "accessAnalyzer",
    "s3PublicAccessBlock",
    "ebsEncryption",
    "costAnomalyMonitor",
    "accountBudget",
)
"""The account guardrails preflight checks, in report order (invocation logging is Bedrock's)."""

runner = CliRunner()


def summary(
    model_id: str,
    types: tuple[str, ...] = ("ON_DEMAND",),
    lifecycle: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ListFoundationModels entry as Bedrock returns it."""
    provider = model_id.split(".", 1)[0]
    return {
        "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": model_id.split(".", 1)[1],
        "providerName": provider.capitalize(),
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": list(types),
        "modelLifecycle": lifecycle or {"status": "ACTIVE"},
    }


def availability(
    model_id: str,
    *,
    authorization: str = "AUTHORIZED",
    entitlement: str = "AVAILABLE",
    region: str = "AVAILABLE",
    agreement: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A GetFoundationModelAvailability response."""
    return {
        "modelId": model_id,
        "agreementAvailability": agreement or {"status": "AVAILABLE"},
        "authorizationStatus": authorization,
        "entitlementAvailability": entitlement,
        "regionAvailability": region,
    }


def inference_profile(profile_id: str, regions: tuple[str, ...]) -> dict[str, Any]:
    """A GetInferenceProfile response for a system-defined profile."""
    model_id = profile_id.split(".", 1)[1]
    return {
        "inferenceProfileName": f"US {model_id}",
        "inferenceProfileArn": (
            f"arn:aws:bedrock:{REGION}:{MOTO_ACCOUNT}:inference-profile/{profile_id}"
        ),
        "inferenceProfileId": profile_id,
        "models": [
            {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}"}
            for region in regions
        ],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def caller_identity(account: str = MOTO_ACCOUNT) -> dict[str, str]:
    return {
        "UserId": "AIDAEXAMPLEUSERID1234",
        "Account": account,
        "Arn": f"arn:aws:iam::{account}:user/alice",
    }


def logging_config(bucket: str, log_group: str) -> dict[str, Any]:
    return {
        "s3Config": {"bucketName": bucket, "keyPrefix": "bedrock/"},
        "cloudWatchConfig": {"logGroupName": log_group, "roleArn": ROLE},
        "textDataDeliveryEnabled": True,
    }


def stubbed(service: str) -> Stubber:
    """A real client that answers only from responses queued on the Stubber (which checks
    them against the service model)."""
    client = boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return Stubber(client)


@pytest.fixture
def bedrock() -> Iterator[Stubber]:
    with stubbed("bedrock") as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def row(results: list[CheckResult], subject: str, check: str | None = None) -> CheckResult:
    matches = [r for r in results if r.subject == subject and check in (None, r.check)]
    assert len(matches) == 1, f"expected one row for {subject!r}, got {matches}"
    return matches[0]


# Account


def test_account_matching_the_pin_is_ok() -> None:
    with mock_aws():
        account, result = check_account(boto3.client("sts", region_name=REGION), MOTO_ACCOUNT)
    assert account == MOTO_ACCOUNT
    assert result.status is Status.OK
    assert "matches plinth:aws.accountId" in result.detail


def test_unpinned_account_is_ok_and_says_so() -> None:
    with mock_aws():
        account, result = check_account(boto3.client("sts", region_name=REGION), None)
    assert (account, result.status) == (MOTO_ACCOUNT, Status.OK)
    assert "plinth:aws.accountId is not set" in result.detail


def test_credentials_for_another_account_block() -> None:
    with mock_aws():
        _, result = check_account(boto3.client("sts", region_name=REGION), "210987654321")
    assert result.status is Status.BLOCKER
    assert result.detail.startswith(
        f"credentials are for account {MOTO_ACCOUNT}, the stack is pinned to 210987654321"
    )


def test_rejected_credentials_are_an_error_not_a_row() -> None:
    with stubbed("sts") as sts:
        sts.add_client_error(
            "get_caller_identity",
            service_error_code="ExpiredToken",
            service_message="The security token included in the request is expired",
            http_status_code=403,
        )
        with pytest.raises(PreflightError) as raised:
            check_account(sts.client, None)
    assert raised.value.title == "AWS rejected the credentials"
    assert raised.value.lines == [
        "ExpiredToken: The security token included in the request is expired"
    ]


# Models offered


def test_model_offered_on_demand_is_ok(bedrock: Stubber) -> None:
    offered = {TITAN: summary(TITAN)}
    results = check_models(bedrock.client, [ModelRef.parse(TITAN)], REGION, offered, set())
    assert results == [CheckResult("model", TITAN, Status.OK, "offered in us-east-1, on demand")]


def test_model_not_offered_in_the_region_blocks(bedrock: Stubber) -> None:
    results = check_models(
        bedrock.client, [ModelRef.parse(SONNET_PROFILE)], REGION, {TITAN: summary(TITAN)}, set()
    )
    assert results == [
        CheckResult("model", SONNET_PROFILE, Status.BLOCKER, f"{SONNET} is not offered in {REGION}")
    ]


def test_legacy_model_warns_with_its_end_of_life(bedrock: Stubber) -> None:
    lifecycle = {"status": "LEGACY", "endOfLifeTime": dt.datetime(2026, 4, 28, tzinfo=dt.UTC)}
    offered = {HAIKU: summary(HAIKU, lifecycle=lifecycle)}
    result = row(
        check_models(bedrock.client, [ModelRef.parse(HAIKU)], REGION, offered, set()), HAIKU
    )
    assert result.status is Status.WARN
    assert result.detail == "deprecated (legacy, end of life 2026-04-28): move to a newer model"


def test_plain_id_of_a_profile_only_model_blocks_and_names_the_profiles(
    bedrock: Stubber,
) -> None:
    offered = {SONNET: summary(SONNET, types=("INFERENCE_PROFILE",))}
    results = check_models(bedrock.client, [ModelRef.parse(SONNET)], REGION, offered, set())
    assert results == [
        CheckResult(
            "model",
            SONNET,
            Status.BLOCKER,
            f"only callable through an inference profile; use us.{SONNET} or global.{SONNET}",
        )
    ]


def test_legacy_and_profile_only_are_one_row_with_the_worst_status(bedrock: Stubber) -> None:
    offered = {
        SONNET: summary(SONNET, types=("INFERENCE_PROFILE",), lifecycle={"status": "LEGACY"})
    }
    result = row(
        check_models(bedrock.client, [ModelRef.parse(SONNET)], "eu-west-1", offered, set()),
        SONNET,
    )
    assert result.status is Status.BLOCKER
    assert result.detail == (
        "deprecated (legacy): move to a newer model; only callable through an inference "
        f"profile; use eu.{SONNET} or global.{SONNET}"
    )


@pytest.mark.parametrize(
    ("provisioned", "status"), [(set(), Status.BLOCKER), ({"cohere.command-r-v1:0"}, Status.OK)]
)
def test_provisioned_only_model_needs_a_throughput_entry(
    bedrock: Stubber, provisioned: set[str], status: Status
) -> None:
    model = "cohere.command-r-v1:0"
    offered = {model: summary(model, types=("PROVISIONED",))}
    result = row(
        check_models(bedrock.client, [ModelRef.parse(model)], REGION, offered, provisioned), model
    )
    assert result.status is status
    assert ("provisionedThroughput" in result.detail) is (status is Status.BLOCKER)


def test_profile_is_looked_up_and_lists_its_destination_regions(bedrock: Stubber) -> None:
    bedrock.add_response(
        "get_inference_profile",
        inference_profile(SONNET_PROFILE, ("us-east-1", "us-west-2", "us-east-2", "us-east-1")),
        {"inferenceProfileIdentifier": SONNET_PROFILE},
    )
    offered = {SONNET: summary(SONNET, types=("INFERENCE_PROFILE",))}
    results = check_models(bedrock.client, [ModelRef.parse(SONNET_PROFILE)], REGION, offered, set())
    assert results == [
        CheckResult(
            "model", SONNET_PROFILE, Status.OK, "offered in us-east-1, through an inference profile"
        ),
        CheckResult(
            "inference profile",
            SONNET_PROFILE,
            Status.OK,
            "routes to us-east-1, us-east-2, us-west-2",
        ),
    ]


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "ValidationException"])
def test_missing_profile_blocks(bedrock: Stubber, code: str) -> None:
    bedrock.add_client_error(
        "get_inference_profile",
        service_error_code=code,
        service_message="The provided inference profile ID is not found.",
        http_status_code=404 if code == "ResourceNotFoundException" else 400,
    )
    offered = {SONNET: summary(SONNET, types=("INFERENCE_PROFILE",))}
    profile = f"eu.{SONNET}"
    results = check_models(bedrock.client, [ModelRef.parse(profile)], "eu-west-3", offered, set())
    assert row(results, profile, "inference profile") == CheckResult(
        "inference profile", profile, Status.BLOCKER, "inference profile not offered in eu-west-3"
    )


def test_profile_lookup_denied_warns(bedrock: Stubber) -> None:
    bedrock.add_client_error(
        "get_inference_profile", service_error_code="AccessDeniedException", http_status_code=403
    )
    offered = {SONNET: summary(SONNET, types=("INFERENCE_PROFILE",))}
    result = row(
        check_models(bedrock.client, [ModelRef.parse(SONNET_PROFILE)], REGION, offered, set()),
        SONNET_PROFILE,
        "inference profile",
    )
    assert result.status is Status.WARN
    assert result.detail == "cannot check (missing bedrock:GetInferenceProfile permission)"


def test_other_profile_errors_propagate(bedrock: Stubber) -> None:
    bedrock.add_client_error(
        "get_inference_profile", service_error_code="ThrottlingException", http_status_code=429
    )
    offered = {SONNET: summary(SONNET, types=("INFERENCE_PROFILE",))}
    with pytest.raises(ClientError, match="ThrottlingException"):
        check_models(bedrock.client, [ModelRef.parse(SONNET_PROFILE)], REGION, offered, set())


# Provisioned throughput


def throughput(model: str) -> ProvisionedThroughputSpec:
    return ProvisionedThroughputSpec.model_validate(
        {"name": "claude-batch", "model": model, "modelUnits": 2, "commitment": "OneMonth"}
    )


def test_throughput_for_a_model_sold_that_way_is_ok() -> None:
    offered = {HAIKU: summary(HAIKU, types=("ON_DEMAND", "PROVISIONED"))}
    assert check_provisioned_throughput([throughput(HAIKU)], REGION, offered) == [
        CheckResult(
            "provisioned throughput",
            "claude-batch",
            Status.OK,
            f"{HAIKU}: 2 model unit(s), OneMonth term",
        )
    ]


def test_throughput_without_provisioned_blocks_and_names_the_variants_sold() -> None:
    variant = f"{HAIKU}:200k"
    offered = {
        HAIKU: summary(HAIKU),
        variant: summary(variant, types=("PROVISIONED",)),
        f"{HAIKU}:48k": summary(f"{HAIKU}:48k"),
    }
    result = check_provisioned_throughput([throughput(HAIKU)], REGION, offered)[0]
    assert result.status is Status.BLOCKER
    assert result.detail == (
        f"{HAIKU} is not sold as provisioned throughput in {REGION}; it is sold for {variant}"
    )


def test_throughput_for_a_model_not_offered_blocks() -> None:
    result = check_provisioned_throughput([throughput(HAIKU)], REGION, {})[0]
    assert (result.status, result.detail) == (
        Status.BLOCKER,
        f"{HAIKU} is not offered in {REGION}",
    )


# Model access


@pytest.mark.parametrize(
    ("response", "status", "detail"),
    [
        ({}, Status.OK, "access granted"),
        (
            {"authorization": "NOT_AUTHORIZED"},
            Status.BLOCKER,
            "not authorized: request model access in the Bedrock console",
        ),
        (
            {"entitlement": "NOT_AVAILABLE"},
            Status.BLOCKER,
            "no entitlement: request model access in the Bedrock console",
        ),
        (
            {"region": "NOT_AVAILABLE"},
            Status.BLOCKER,
            "not available to this account in the region",
        ),
        (
            {"agreement": {"status": "PENDING"}},
            Status.WARN,
            "agreement pending: retry once AWS has processed it",
        ),
        (
            {"agreement": {"status": "NOT_AVAILABLE"}},
            Status.BLOCKER,
            "no agreement: accept the model's offer in the Bedrock console",
        ),
        (
            {"agreement": {"status": "ERROR", "errorMessage": "payment instrument declined"}},
            Status.BLOCKER,
            "agreement failed: payment instrument declined",
        ),
        (
            {"authorization": "NOT_AUTHORIZED", "agreement": {"status": "PENDING"}},
            Status.BLOCKER,
            "not authorized: request model access in the Bedrock console; "
            "agreement pending: retry once AWS has processed it",
        ),
    ],
)
def test_model_access(
    bedrock: Stubber, response: dict[str, Any], status: Status, detail: str
) -> None:
    bedrock.add_response(
        "get_foundation_model_availability", availability(SONNET, **response), {"modelId": SONNET}
    )
    assert check_model_access(bedrock.client, [SONNET]) == [
        CheckResult("model access", SONNET, status, detail)
    ]


def test_model_access_is_asked_once_per_foundation_model(bedrock: Stubber) -> None:
    for model in (TITAN, SONNET):
        bedrock.add_response(
            "get_foundation_model_availability", availability(model), {"modelId": model}
        )
    results = check_model_access(bedrock.client, [SONNET, TITAN, SONNET])
    assert [r.subject for r in results] == [TITAN, SONNET]


def test_model_access_denied_warns(bedrock: Stubber) -> None:
    bedrock.add_client_error(
        "get_foundation_model_availability",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform: bedrock:GetFoundationModelAvailability",
        http_status_code=403,
    )
    assert check_model_access(bedrock.client, [SONNET]) == [
        CheckResult(
            "model access",
            SONNET,
            Status.WARN,
            "cannot check (missing bedrock:GetFoundationModelAvailability permission)",
        )
    ]


def test_other_model_access_errors_propagate(bedrock: Stubber) -> None:
    bedrock.add_client_error(
        "get_foundation_model_availability",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
    )
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        check_model_access(bedrock.client, [SONNET])


# Invocation logging


def moto_logging(config: dict[str, Any] | None, *, external: bool = False) -> CheckResult:
    with mock_aws():
        client = boto3.client("bedrock", region_name=REGION)
        if config is not None:
            client.put_model_invocation_logging_configuration(loggingConfig=config)
        return check_invocation_logging(client, "plinth-dev", "dev", REGION, external=external)


def test_no_logging_configuration_is_ok() -> None:
    assert moto_logging(None) == CheckResult(
        "invocation logging", "account", Status.OK, "none yet; pulumi up creates it"
    )


def test_the_stacks_own_logging_configuration_is_ok() -> None:
    result = moto_logging(logging_config(OWN_BUCKET, OWN_LOG_GROUP))
    assert (result.status, result.detail) == (Status.OK, "managed by this stack")


@pytest.mark.parametrize(
    ("bucket", "log_group"),
    [
        ("security-central-bedrock-logs", "/org/bedrock"),
        ("security-central-bedrock-logs", OWN_LOG_GROUP),
        (OWN_BUCKET, "/aws/bedrock/modelinvocations"),
        ("plinth-prod-bedrock-logs-9a8b7c6", "/plinth/prod/bedrock/model-invocations"),
        ("plinth-prod-bedrock-logs-9a8b7c6", OWN_LOG_GROUP),
    ],
)
def test_someone_elses_logging_configuration_blocks(bucket: str, log_group: str) -> None:
    result = moto_logging(logging_config(bucket, log_group))
    assert result.status is Status.BLOCKER
    assert result.detail == (
        f"an invocation logging configuration already exists (bucket {bucket}, log group "
        f"{log_group}); `pulumi up` would overwrite it: it is account-wide per region"
    )


def test_logging_configuration_with_only_a_log_group_blocks() -> None:
    result = moto_logging({"cloudWatchConfig": {"logGroupName": OWN_LOG_GROUP, "roleArn": ROLE}})
    assert result.status is Status.BLOCKER
    assert f"(bucket none, log group {OWN_LOG_GROUP})" in result.detail


def test_logging_configuration_denied_warns(bedrock: Stubber) -> None:
    bedrock.add_client_error(
        "get_model_invocation_logging_configuration",
        service_error_code="AccessDeniedException",
        http_status_code=403,
    )
    result = check_invocation_logging(bedrock.client, "plinth-dev", "dev", REGION)
    assert result.status is Status.WARN
    assert "bedrock:GetModelInvocationLoggingConfiguration" in result.detail


def test_external_logging_configuration_must_exist() -> None:
    assert moto_logging(None, external=True) == CheckResult(
        "invocation logging",
        "account",
        Status.BLOCKER,
        "declared external (plinth:guardrails.external) but none exists in us-east-1",
    )


def test_external_logging_configuration_of_someone_else_is_ok() -> None:
    result = moto_logging(
        logging_config("security-central-bedrock-logs", "/org/bedrock"), external=True
    )
    assert (result.status, result.detail) == (
        Status.OK,
        "provided outside this stack (bucket security-central-bedrock-logs, log group "
        "/org/bedrock)",
    )


# The command


@dataclass
class FakeAws:
    """What `aws_session` hands out: stubbed clients for the services moto does not serve,
    moto's for the rest (tests run under `mock_aws`). Records the regions sessions were made
    for and every client asked for, with its region."""

    sts: Stubber = field(default_factory=lambda: stubbed("sts"))
    bedrock: Stubber = field(default_factory=lambda: stubbed("bedrock"))
    accessanalyzer: Stubber = field(default_factory=lambda: stubbed("accessanalyzer"))
    ce: Stubber = field(default_factory=lambda: stubbed("ce"))
    regions: list[str] = field(default_factory=list)
    clients: list[tuple[str, str]] = field(default_factory=list)

    @property
    def stubbers(self) -> dict[str, Stubber]:
        return {
            "sts": self.sts,
            "bedrock": self.bedrock,
            "accessanalyzer": self.accessanalyzer,
            "ce": self.ce,
        }

    def session(self, region: str) -> FakeSession:
        self.regions.append(region)
        return FakeSession(self, region)

    def expect(
        self,
        *,
        titan_lifecycle: dict[str, Any] | None = None,
        logging: dict[str, Any] | None = None,
    ) -> None:
        """Queue, in call order, AWS's answers for the `BEDROCK` stack."""
        self.sts.add_response("get_caller_identity", caller_identity(), {})
        self.bedrock.add_response(
            "list_foundation_models",
            {
                "modelSummaries": [
                    summary(SONNET, types=("INFERENCE_PROFILE",)),
                    summary(TITAN, types=("ON_DEMAND", "PROVISIONED"), lifecycle=titan_lifecycle),
                    summary(HAIKU),
                ]
            },
            {},
        )
        self.bedrock.add_response(
            "get_inference_profile",
            inference_profile(SONNET_PROFILE, ("us-east-1", "us-east-2", "us-west-2")),
            {"inferenceProfileIdentifier": SONNET_PROFILE},
        )
        for model in (TITAN, SONNET):
            self.bedrock.add_response(
                "get_foundation_model_availability", availability(model), {"modelId": model}
            )
        self.bedrock.add_response(
            "get_model_invocation_logging_configuration",
            {"loggingConfig": logging} if logging else {},
            {},
        )
        self.expect_guardrails()

    def expect_guardrails(
        self,
        *,
        analyzers: Sequence[str] = (),
        organization_analyzers: Sequence[str] | None = (),
        monitors: Sequence[dict[str, Any]] | None = (),
    ) -> None:
        """Queue the Access Analyzer and Cost Explorer answers of the guardrail checks (the
        others are moto's); `organization_analyzers=None` or `monitors=None` refuses that
        listing."""
        self.accessanalyzer.add_response(
            "list_analyzers",
            {"analyzers": [analyzer(name, "ACCOUNT") for name in analyzers]},
            {"type": "ACCOUNT"},
        )
        if organization_analyzers is None:
            self.accessanalyzer.add_client_error(
                "list_analyzers",
                service_error_code="AccessDeniedException",
                service_message="not authorized to perform: access-analyzer:ListAnalyzers",
                http_status_code=403,
                expected_params={"type": "ORGANIZATION"},
            )
        else:
            self.accessanalyzer.add_response(
                "list_analyzers",
                {"analyzers": [analyzer(name, "ORGANIZATION") for name in organization_analyzers]},
                {"type": "ORGANIZATION"},
            )
        if monitors is None:
            self.ce.add_client_error(
                "get_anomaly_monitors",
                service_error_code="AccessDeniedException",
                service_message="not authorized to perform: ce:GetAnomalyMonitors",
                http_status_code=400,
            )
        else:
            self.ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": list(monitors)}, {})


@dataclass
class FakeSession:
    """One session of FakeAws, in `region`."""

    aws: FakeAws
    region: str

    def client(self, service: str, region_name: str | None = None) -> Any:
        region = region_name or self.region
        self.aws.clients.append((service, region))
        stubber = self.aws.stubbers.get(service)
        return stubber.client if stubber else moto(service, region)


def analyzer(name: str, kind: str) -> dict[str, Any]:
    """A ListAnalyzers entry."""
    return {
        "arn": f"arn:aws:access-analyzer:{REGION}:{MOTO_ACCOUNT}:analyzer/{name}",
        "name": name,
        "type": kind,
        "createdAt": dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        "status": "ACTIVE",
    }


def monitor(name: str, kind: str = "DIMENSIONAL") -> dict[str, Any]:
    """A GetAnomalyMonitors entry: an AWS services monitor, or a custom one."""
    entry: dict[str, Any] = {
        "MonitorArn": f"arn:aws:ce::{MOTO_ACCOUNT}:anomalymonitor/{name}",
        "MonitorName": name,
        "MonitorType": kind,
    }
    if kind == "DIMENSIONAL":
        entry["MonitorDimension"] = "SERVICE"
    else:
        entry["MonitorSpecification"] = {"Tags": {"Key": "team", "Values": ["ml"]}}
    return entry


@functools.cache
def moto(service: str, region: str = REGION) -> Any:
    """A client for moto: made once (that is slow), used only under `mock_aws`, whose
    backends start empty each time."""
    return boto3.client(service, region_name=region)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAws]:
    """Stubbed AWS over moto for the command, printing to a terminal wide enough for whole
    rows."""
    fake = FakeAws()
    monkeypatch.setattr(preflight, "aws_session", fake.session)
    monkeypatch.setattr(cli, "stdout", Console(width=200, soft_wrap=False))
    with mock_aws(), fake.sts, fake.bedrock, fake.accessanalyzer, fake.ce:
        yield fake
        for stubber in fake.stubbers.values():
            stubber.assert_no_pending_responses()


BEDROCK = {"enabled": True, "models": [SONNET_PROFILE, TITAN]}


def stack_file(
    tmp_path: Path,
    bedrock: dict[str, Any] = BEDROCK,
    external: Sequence[str] = (),
    *,
    budget: bool = True,
) -> Path:
    """The dev stack file with this `plinth:bedrock` section and these guardrails provided
    outside the stack; without its `plinth:guardrails.budget` unless `budget` (nor when
    accountBudget is external: the spec refuses both)."""
    document = dev_stack_document()
    document["config"]["plinth:bedrock"] = bedrock
    document["config"]["plinth:guardrails"]["external"] = list(external)
    if not budget or "accountBudget" in external:
        document["config"]["plinth:guardrails"].pop("budget")
    # The dev tenants use the dev models; these checks are about the platform's own.
    document["config"].pop("plinth:tenants")
    follow_the_gateway(document["config"])
    path = tmp_path / "Pulumi.preflight.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["preflight", *args])
    return result.exit_code, result.stdout, result.stderr


def test_passing_stack_exits_0_with_the_table(tmp_path: Path, aws: FakeAws) -> None:
    aws.expect()
    code, out, err = invoke("--config", str(stack_file(tmp_path)), "--stack", "qa")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].rstrip() == (
        f"Preflight: stack qa, us-east-1, account {MOTO_ACCOUNT}"
    )
    assert "inference profile" in out
    assert "routes to us-east-1, us-east-2, us-west-2" in out
    assert re.search(
        r"│ account guardrail +│ guardDuty +│ OK +│ none yet; pulumi up creates it", out
    )
    assert "BLOCKER" not in out
    assert out.endswith("0 blocker(s), 0 warning(s)\n")
    assert aws.regions == ["us-east-1"]


def test_blocked_stack_exits_1(tmp_path: Path, aws: FakeAws) -> None:
    aws.expect(
        titan_lifecycle={"status": "LEGACY"},
        logging=logging_config("security-central-bedrock-logs", "/org/bedrock"),
    )
    code, out, _ = invoke("--config", str(stack_file(tmp_path)))
    assert code == 1
    assert "│ BLOCKER │ an invocation logging configuration already exists" in out
    assert "│ WARN    │ deprecated (legacy): move to a newer model" in out
    assert out.endswith("1 blocker(s), 1 warning(s)\n")


def test_json_format(tmp_path: Path, aws: FakeAws) -> None:
    aws.expect(logging=logging_config(OWN_BUCKET, OWN_LOG_GROUP))
    code, out, _ = invoke("--config", str(stack_file(tmp_path)), "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert {k: document[k] for k in ("stack", "region", "account", "blockers")} == {
        "stack": "dev",
        "region": "us-east-1",
        "account": MOTO_ACCOUNT,
        "blockers": 0,
    }
    assert [(c["check"], c["subject"], c["status"]) for c in document["checks"]] == [
        ("account", MOTO_ACCOUNT, "OK"),
        ("model", SONNET_PROFILE, "OK"),
        ("inference profile", SONNET_PROFILE, "OK"),
        ("model", TITAN, "OK"),
        ("model access", TITAN, "OK"),
        ("model access", SONNET, "OK"),
        ("invocation logging", "account", "OK"),
        *(("account guardrail", guardrail, "OK") for guardrail in GUARDRAILS),
    ]
    assert document["checks"][6]["detail"] == "managed by this stack"


def test_bedrock_region_and_provisioned_throughput(tmp_path: Path, aws: FakeAws) -> None:
    bedrock = {
        **BEDROCK,
        "region": "us-west-2",
        "endpoints": {"runtime": False},
        "provisionedThroughput": [
            {"name": "embed", "model": TITAN, "modelUnits": 1, "commitment": "none"}
        ],
    }
    aws.expect()
    code, out, _ = invoke("--config", str(stack_file(tmp_path, bedrock)), "--format", "json")
    assert code == 0
    # Bedrock in its region; the guardrails in the stack's (Cost Explorer's is global).
    assert aws.regions == ["us-west-2", "us-east-1"]
    assert ("bedrock", "us-west-2") in aws.clients
    assert {region for service, region in aws.clients if service not in ("sts", "bedrock")} == {
        "us-east-1"
    }
    document = json.loads(out)
    assert document["region"] == "us-west-2"
    assert {
        "check": "provisioned throughput",
        "subject": "embed",
        "status": "OK",
        "detail": f"{TITAN}: 1 model unit(s), no commitment",
    } in document["checks"]


def test_access_is_asked_only_for_offered_models(tmp_path: Path, aws: FakeAws) -> None:
    command_r, llama = "cohere.command-r-v1:0", "meta.llama3-8b-instruct-v1:0"
    bedrock = {
        "enabled": True,
        "models": [command_r, llama],
        "provisionedThroughput": [
            {"name": "chat", "model": command_r, "modelUnits": 1, "commitment": "SixMonths"}
        ],
    }
    aws.sts.add_response("get_caller_identity", caller_identity(), {})
    aws.bedrock.add_response(
        "list_foundation_models",
        {"modelSummaries": [summary(command_r, types=("PROVISIONED",))]},
        {},
    )
    aws.bedrock.add_response(
        "get_foundation_model_availability", availability(command_r), {"modelId": command_r}
    )
    aws.bedrock.add_response("get_model_invocation_logging_configuration", {}, {})
    aws.expect_guardrails()
    spec = load_stack_spec(ROOT / "infra", "dev", stack_file(tmp_path, bedrock))
    report = preflight.run_preflight(spec, "dev")
    assert [(c.check, c.subject, c.status) for c in report.checks] == [
        ("account", MOTO_ACCOUNT, Status.OK),
        ("model", command_r, Status.OK),
        ("model", llama, Status.BLOCKER),
        ("provisioned throughput", "chat", Status.OK),
        ("model access", command_r, Status.OK),
        ("invocation logging", "account", Status.OK),
        *(("account guardrail", guardrail, Status.OK) for guardrail in GUARDRAILS),
    ]
    assert (report.blockers, report.warnings, report.exit_code) == (1, 0, 1)


def test_refused_bedrock_call_exits_2_naming_it(tmp_path: Path, aws: FakeAws) -> None:
    aws.sts.add_response("get_caller_identity", caller_identity(), {})
    aws.bedrock.add_client_error(
        "list_foundation_models",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: bedrock:ListFoundationModels",
        http_status_code=403,
    )
    code, out, err = invoke("--config", str(stack_file(tmp_path)))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: AWS refused ListFoundationModels in us-east-1",
        "  AccessDeniedException: not authorized to perform: bedrock:ListFoundationModels",
    ]


def tenant_stack_file(tmp_path: Path) -> Path:
    """The dev-vision tenant stack file: no Bedrock, no guardrails (its platform stack's)."""
    path = tmp_path / "Pulumi.dev-vision.yaml"
    path.write_text((ROOT / "Pulumi.dev-vision.yaml").read_text())
    return path


def test_tenant_stack_without_bedrock_has_nothing_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight, "aws_session", lambda region: pytest.fail("AWS was asked"))
    monkeypatch.setattr(cli, "stdout", Console(width=200, soft_wrap=False))
    path = str(tenant_stack_file(tmp_path))
    code, out, _ = invoke("--config", path, "--stack", "dev-vision")
    assert code == 0
    assert out == (
        "stack 'dev-vision' is a tenant stack without Bedrock: nothing to check (its platform "
        "stack's preflight covers the account)\n"
    )
    code, out, err = invoke("--config", path, "--stack", "dev-vision", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "stack": "dev-vision",
        "region": "us-east-1",
        "account": None,
        "checks": [],
        "blockers": 0,
        "warnings": 0,
    }
    assert "nothing to check" in err


def test_platform_stack_without_bedrock_checks_the_account_and_its_guardrails(
    tmp_path: Path, aws: FakeAws
) -> None:
    aws.sts.add_response("get_caller_identity", caller_identity(), {})
    aws.expect_guardrails()
    path = stack_file(tmp_path, {"enabled": False})
    document = yaml.safe_load(path.read_text())
    document["config"]["plinth:aws"]["region"] = "eu-west-1"
    path.write_text(yaml.safe_dump(document))
    code, out, _ = invoke("--config", str(path), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["region"], report["account"]) == ("eu-west-1", MOTO_ACCOUNT)
    assert [(c["check"], c["subject"], c["status"]) for c in report["checks"]] == [
        ("account", MOTO_ACCOUNT, "OK"),
        *(("account guardrail", guardrail, "OK") for guardrail in GUARDRAILS),
    ]
    assert aws.regions == ["eu-west-1"]
    # Every guardrail in the stack's region but Cost Explorer's and Budgets', served from
    # us-east-1 only.
    assert dict(aws.clients) == {
        "sts": "eu-west-1",
        "cloudtrail": "eu-west-1",
        "config": "eu-west-1",
        "guardduty": "eu-west-1",
        "securityhub": "eu-west-1",
        "accessanalyzer": "eu-west-1",
        "s3control": "eu-west-1",
        "ec2": "eu-west-1",
        "ce": "us-east-1",
        "budgets": "us-east-1",
    }


def test_bad_bedrock_config_exits_2_with_the_key_path(tmp_path: Path) -> None:
    path = stack_file(tmp_path, {"enabled": True, "models": ["claude-sonnet"]})
    code, out, err = invoke("--config", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "error: invalid stack configuration for stack 'dev'"
    assert lines[1].startswith(
        "  plinth:bedrock.models[0]: 'claude-sonnet' is not a Bedrock model ID"
    )
    assert "Traceback" not in err


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The real session, with every credential source boto3 reads switched off."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_credentials")
def test_missing_credentials_exit_2_without_a_traceback(tmp_path: Path) -> None:
    code, out, err = invoke("--config", str(stack_file(tmp_path)))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: no AWS credentials found",
        "  set AWS_PROFILE (after `aws configure` or `aws sso login`), or AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY",
    ]


@pytest.mark.usefixtures("no_credentials")
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    code, _, err = invoke("--config", str(stack_file(tmp_path)), "--debug")
    assert code == 2
    assert "Traceback" in err
    assert "NoCredentialsError" in err


@pytest.mark.usefixtures("no_credentials")
def test_unknown_profile_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code, _, err = invoke("--config", str(stack_file(tmp_path)))
    assert code == 2
    assert err.splitlines() == [
        "error: cannot call AWS in us-east-1",
        "  The config profile (no-such-profile) could not be found",
    ]


# Account guardrails (moto, with stubbed Access Analyzer and Cost Explorer)


@dataclass
class Guardrails:
    """The guardrail checks of the dev stack, against FakeAws."""

    aws: FakeAws
    tmp_path: Path

    def expect(self, **answers: Any) -> None:
        self.aws.expect_guardrails(**answers)

    def rows(
        self, external: Sequence[str] = (), *, budget: bool = True, **client: Any
    ) -> list[CheckResult]:
        """Every row, with these guardrails external (and the stack's budget unless not
        `budget`); `client` replaces services' clients (service name -> client)."""
        path = stack_file(self.tmp_path, external=external, budget=budget)
        spec = load_stack_spec(ROOT / "infra", "dev", path)
        session = self.aws.session(REGION)
        return check_account_guardrails(
            lambda service: client.get(service) or session.client(service), spec, MOTO_ACCOUNT
        )

    def row(
        self, subject: AccountGuardrail, external: Sequence[str] = (), *, budget: bool = True
    ) -> tuple[Status, str]:
        """One guardrail's status and detail."""
        result = row(self.rows(external, budget=budget), subject.value, "account guardrail")
        return result.status, result.detail


@pytest.fixture
def guardrails(aws: FakeAws, tmp_path: Path) -> Guardrails:
    return Guardrails(aws, tmp_path)


def test_a_fresh_account_has_none_of_the_guardrails_yet(guardrails: Guardrails) -> None:
    guardrails.expect()
    none_yet = "none yet; pulumi up creates it"
    assert guardrails.rows() == [
        *(
            CheckResult("account guardrail", subject, Status.OK, none_yet)
            for subject in GUARDRAILS[:-3]
        ),
        CheckResult("account guardrail", "ebsEncryption", Status.OK, "off; pulumi up turns it on"),
        CheckResult("account guardrail", "costAnomalyMonitor", Status.OK, none_yet),
        CheckResult("account guardrail", "accountBudget", Status.OK, none_yet),
    ]


def trail(
    name: str, *, multi_region: bool = True, logging: bool = True, region: str = REGION
) -> None:
    """A trail homed in `region`, logging unless told (a new trail is not)."""
    bucket = f"{name}-{region}-logs"
    moto("s3").create_bucket(Bucket=bucket)
    cloudtrail = moto("cloudtrail", region)
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region)
    if logging:
        cloudtrail.start_logging(Name=name)


def test_the_stacks_own_trail_is_managed(guardrails: Guardrails) -> None:
    guardrails.expect()
    trail("plinth-dev-audit")
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL) == (Status.OK, "managed by this stack")


def test_a_trail_of_the_stacks_name_homed_in_another_region_is_someone_elses(
    guardrails: Guardrails,
) -> None:
    guardrails.expect()
    trail("plinth-dev-audit", region="us-west-2")
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL) == (
        Status.WARN,
        "a multi-region trail already records this account (plinth-dev-audit): this stack "
        "adds a second one (a second copy of management events is billed); list cloudTrail "
        "in plinth:guardrails.external to rely on it",
    )


def test_another_multi_region_trail_warns_of_a_second_copy(guardrails: Guardrails) -> None:
    guardrails.expect()
    trail("security-org-trail")
    trail("app-data-events", multi_region=False)
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL) == (
        Status.WARN,
        "a multi-region trail already records this account (security-org-trail): this stack "
        "adds a second one (a second copy of management events is billed); list cloudTrail "
        "in plinth:guardrails.external to rely on it",
    )


def test_a_single_region_trail_does_not_count(guardrails: Guardrails) -> None:
    guardrails.expect()
    guardrails.expect()
    trail("app-data-events", multi_region=False)
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL) == (
        Status.OK,
        "none yet; pulumi up creates it",
    )
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL, ["cloudTrail"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external) but none exists in us-east-1",
    )


def test_an_external_trail_that_exists_is_ok(guardrails: Guardrails) -> None:
    guardrails.expect()
    trail("security-org-trail", region="eu-west-1")
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL, ["cloudTrail"]) == (
        Status.OK,
        "provided outside this stack: security-org-trail",
    )


def test_an_external_trail_must_be_logging(guardrails: Guardrails) -> None:
    guardrails.expect()
    guardrails.expect()
    trail("security-org-trail", logging=False)
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL, ["cloudTrail"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external): a multi-region trail "
        "(security-org-trail) exists but is not logging",
    )
    # Another one that logs is enough; only logging ones are named.
    trail("backup-trail", region="us-west-2")
    assert guardrails.row(AccountGuardrail.CLOUDTRAIL, ["cloudTrail"]) == (
        Status.OK,
        "provided outside this stack: backup-trail",
    )


def test_an_owned_trail_is_not_asked_whether_it_logs(guardrails: Guardrails) -> None:
    """Only a guardrail declared external must be on: an owned one needs no GetTrailStatus."""
    guardrails.expect()
    own = {
        "Name": "plinth-dev-audit",
        "TrailARN": f"arn:aws:cloudtrail:{REGION}:{MOTO_ACCOUNT}:trail/plinth-dev-audit",
        "HomeRegion": REGION,
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": False,
    }
    with stubbed("cloudtrail") as cloudtrail:
        cloudtrail.add_response(
            "describe_trails", {"trailList": [own]}, {"includeShadowTrails": True}
        )
        result = row(guardrails.rows(cloudtrail=cloudtrail.client), "cloudTrail")
        cloudtrail.assert_no_pending_responses()
    assert (result.status, result.detail) == (Status.OK, "managed by this stack")


def recorder(name: str, *, recording: bool = True) -> None:
    """A configuration recorder, recording (with its delivery channel) unless told."""
    config = moto("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": name, "roleARN": f"arn:aws:iam::{MOTO_ACCOUNT}:role/config"}
    )
    if recording:
        config.put_delivery_channel(DeliveryChannel={"name": name, "s3BucketName": f"{name}-logs"})
        config.start_configuration_recorder(ConfigurationRecorderName=name)


def test_a_foreign_recorder_blocks_and_fails_the_command(tmp_path: Path, aws: FakeAws) -> None:
    aws.expect()
    recorder("default")
    code, out, _ = invoke("--config", str(stack_file(tmp_path)))
    assert code == 1
    assert re.search(
        r"│ account guardrail +│ awsConfig +│ BLOCKER │ a configuration recorder already exists "
        r"\(default\); AWS allows one per region, so pulumi up would fail",
        out,
    )
    assert out.endswith("1 blocker(s), 0 warning(s)\n")


@pytest.mark.parametrize(
    ("external", "expected"),
    [
        ((), (Status.OK, "managed by this stack")),
        (
            ("awsConfig",),
            (Status.OK, "provided outside this stack: recorder plinth-dev-recorder"),
        ),
    ],
)
def test_the_stacks_own_recorder(
    guardrails: Guardrails, external: tuple[str, ...], expected: tuple[Status, str]
) -> None:
    guardrails.expect()
    recorder("plinth-dev-recorder")
    assert guardrails.row(AccountGuardrail.AWS_CONFIG, external) == expected


def test_an_external_recorder_must_exist(guardrails: Guardrails) -> None:
    guardrails.expect()
    assert guardrails.row(AccountGuardrail.AWS_CONFIG, ["awsConfig"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external) but none exists in us-east-1",
    )


def test_an_external_recorder_must_be_recording(guardrails: Guardrails) -> None:
    guardrails.expect()
    recorder("control-tower", recording=False)
    assert guardrails.row(AccountGuardrail.AWS_CONFIG, ["awsConfig"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external): recorder control-tower exists but is "
        "not recording",
    )


def detector(tags: dict[str, str], *, enable: bool = True) -> str:
    detector_id: str = moto("guardduty").create_detector(Enable=enable, Tags=tags)["DetectorId"]
    return detector_id


def test_a_detector_tagged_by_this_stack_is_managed(guardrails: Guardrails) -> None:
    guardrails.expect()
    detector({"managed-by": "plinth", "environment": "dev", "owner": "platform-team@example.com"})
    assert guardrails.row(AccountGuardrail.GUARDDUTY) == (Status.OK, "managed by this stack")


@pytest.mark.parametrize(
    "tags", [{}, {"managed-by": "plinth", "environment": "prod"}, {"environment": "dev"}]
)
def test_a_detector_not_tagged_by_this_stack_blocks(
    guardrails: Guardrails, tags: dict[str, str]
) -> None:
    guardrails.expect()
    detector_id = detector(tags)
    assert guardrails.row(AccountGuardrail.GUARDDUTY) == (
        Status.BLOCKER,
        f"a GuardDuty detector already exists ({detector_id}); AWS allows one per region, so "
        "pulumi up would fail: import it or list guardDuty in plinth:guardrails.external",
    )


def test_an_external_detector_must_exist(guardrails: Guardrails) -> None:
    guardrails.expect()
    guardrails.expect()
    assert guardrails.row(AccountGuardrail.GUARDDUTY, ["guardDuty"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external) but none exists in us-east-1",
    )
    detector_id = detector({})
    assert guardrails.row(AccountGuardrail.GUARDDUTY, ["guardDuty"]) == (
        Status.OK,
        f"provided outside this stack: detector {detector_id} (enabled)",
    )


def test_an_external_detector_must_be_enabled(guardrails: Guardrails) -> None:
    guardrails.expect()
    detector_id = detector({}, enable=False)
    assert guardrails.row(AccountGuardrail.GUARDDUTY, ["guardDuty"]) == (
        Status.BLOCKER,
        f"declared external (plinth:guardrails.external): detector {detector_id} exists but is "
        "disabled",
    )


def test_an_owned_detector_need_not_be_enabled(guardrails: Guardrails) -> None:
    guardrails.expect()
    detector({"managed-by": "plinth", "environment": "dev"}, enable=False)
    assert guardrails.row(AccountGuardrail.GUARDDUTY) == (Status.OK, "managed by this stack")


def test_an_enabled_security_hub_warns_and_satisfies_external(guardrails: Guardrails) -> None:
    guardrails.expect()
    guardrails.expect()
    moto("securityhub").enable_security_hub()
    since = dt.datetime.now(dt.UTC).date().isoformat()
    assert guardrails.row(AccountGuardrail.SECURITY_HUB) == (
        Status.WARN,
        f"Security Hub is already enabled (since {since}): unless this stack enabled it, "
        "pulumi up fails; import it or list securityHub in plinth:guardrails.external",
    )
    assert guardrails.row(AccountGuardrail.SECURITY_HUB, ["securityHub"]) == (
        Status.OK,
        f"provided outside this stack: enabled since {since}",
    )


def test_an_external_security_hub_must_be_enabled(guardrails: Guardrails) -> None:
    guardrails.expect()
    assert guardrails.row(AccountGuardrail.SECURITY_HUB, ["securityHub"]) == (
        Status.BLOCKER,
        "declared external (plinth:guardrails.external) but none exists in us-east-1",
    )


def public_access_block(**settings: bool) -> None:
    moto("s3control").put_public_access_block(
        AccountId=MOTO_ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
            **settings,
        },
    )


def test_an_existing_public_access_block_warns_with_its_settings(guardrails: Guardrails) -> None:
    guardrails.expect()
    public_access_block(RestrictPublicBuckets=False)
    assert guardrails.row(AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK) == (
        Status.WARN,
        "an account public access block is already set (BlockPublicAcls on, IgnorePublicAcls "
        "on, BlockPublicPolicy on, RestrictPublicBuckets off); if another stack manages it, "
        "list s3PublicAccessBlock in plinth:guardrails.external (two stacks would overwrite "
        "each other, and destroying the other one removes it)",
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            None,
            (
                Status.BLOCKER,
                "declared external (plinth:guardrails.external) but none exists in this account",
            ),
        ),
        ({}, (Status.OK, "provided outside this stack: all four settings on")),
        (
            {"BlockPublicPolicy": False, "RestrictPublicBuckets": False},
            (
                Status.BLOCKER,
                "declared external (plinth:guardrails.external) but only partly set: "
                "BlockPublicPolicy, RestrictPublicBuckets off",
            ),
        ),
    ],
)
def test_an_external_public_access_block_must_be_fully_on(
    guardrails: Guardrails, settings: dict[str, bool] | None, expected: tuple[Status, str]
) -> None:
    guardrails.expect()
    if settings is not None:
        public_access_block(**settings)
    external = ["s3PublicAccessBlock"]
    assert guardrails.row(AccountGuardrail.S3_PUBLIC_ACCESS_BLOCK, external) == expected


@pytest.mark.parametrize(
    ("external", "on", "expected"),
    [
        (
            (),
            True,
            (
                Status.WARN,
                "already on; if another stack manages it, list ebsEncryption in "
                "plinth:guardrails.external",
            ),
        ),
        (
            ("ebsEncryption",),
            True,
            (Status.OK, "provided outside this stack: encryption by default is on"),
        ),
        (
            ("ebsEncryption",),
            False,
            (
                Status.BLOCKER,
                "declared external (plinth:guardrails.external) but it is off in us-east-1",
            ),
        ),
    ],
)
def test_ebs_encryption_by_default(
    guardrails: Guardrails, external: tuple[str, ...], on: bool, expected: tuple[Status, str]
) -> None:
    guardrails.expect()
    if on:
        moto("ec2").enable_ebs_encryption_by_default()
    assert guardrails.row(AccountGuardrail.EBS_ENCRYPTION, external) == expected


@pytest.mark.parametrize(
    ("monitors", "external", "expected"),
    [
        (
            [monitor("finops-services")],
            (),
            (
                Status.BLOCKER,
                "an AWS services cost monitor already exists (finops-services); AWS allows one "
                'per account ("Limit exceeded on dimensional spend monitor creation"), so '
                "pulumi up would fail: import it or list costAnomalyMonitor in "
                "plinth:guardrails.external",
            ),
        ),
        ([monitor("plinth-dev-aws-services")], (), (Status.OK, "managed by this stack")),
        ([monitor("ml-team", "CUSTOM")], (), (Status.OK, "none yet; pulumi up creates it")),
        (
            [monitor("finops-services")],
            ("costAnomalyMonitor",),
            (Status.OK, "provided outside this stack: monitor finops-services"),
        ),
        (
            [monitor("ml-team", "CUSTOM")],
            ("costAnomalyMonitor",),
            (
                Status.BLOCKER,
                "declared external (plinth:guardrails.external) but none exists in this account",
            ),
        ),
    ],
)
def test_cost_anomaly_monitor(
    guardrails: Guardrails,
    monitors: list[dict[str, Any]],
    external: tuple[str, ...],
    expected: tuple[Status, str],
) -> None:
    guardrails.expect(monitors=monitors)
    assert guardrails.row(AccountGuardrail.COST_ANOMALY_MONITOR, external) == expected


def test_cost_monitors_are_listed_page_after_page(guardrails: Guardrails, aws: FakeAws) -> None:
    for kind in ("ACCOUNT", "ORGANIZATION"):
        aws.accessanalyzer.add_response("list_analyzers", {"analyzers": []}, {"type": kind})
    aws.ce.add_response(
        "get_anomaly_monitors",
        {"AnomalyMonitors": [monitor("ml-team", "CUSTOM")], "NextPageToken": "page-2"},
        {},
    )
    aws.ce.add_response(
        "get_anomaly_monitors",
        {"AnomalyMonitors": [monitor("finops-services")]},
        {"NextPageToken": "page-2"},
    )
    assert guardrails.row(AccountGuardrail.COST_ANOMALY_MONITOR, ["costAnomalyMonitor"]) == (
        Status.OK,
        "provided outside this stack: monitor finops-services",
    )


def budget(name: str, *, project: str | None = None) -> dict[str, Any]:
    """A monthly cost budget, over the whole account or (`project`) a tenant's tagged spend,
    as DescribeBudgets returns it."""
    entry: dict[str, Any] = {
        "BudgetName": name,
        "BudgetLimit": {"Amount": "1000.0", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    if project:
        entry["CostFilters"] = {"TagKeyValue": [f"user:project${project}"]}
    return entry


@pytest.mark.parametrize(
    ("budgets", "external", "configured", "expected"),
    [
        ([budget("plinth-dev-platform")], (), True, (Status.OK, "managed by this stack")),
        (
            [budget("finops-account"), budget("search", project="search")],
            (),
            True,
            (Status.OK, "none yet; pulumi up creates it"),
        ),
        (
            [budget("finops-account")],
            (),
            False,
            (
                Status.WARN,
                "no budget configured (plinth:guardrails.budget): the account's spend has no alert",
            ),
        ),
        (
            [budget("search", project="search"), budget("finops-account")],
            ("accountBudget",),
            False,
            (Status.OK, "provided outside this stack: budget finops-account"),
        ),
        (
            [budget("search", project="search")],
            ("accountBudget",),
            False,
            (
                Status.BLOCKER,
                "declared external (plinth:guardrails.external) but none exists in this account",
            ),
        ),
    ],
)
def test_account_budget(
    guardrails: Guardrails,
    budgets: list[dict[str, Any]],
    external: tuple[str, ...],
    configured: bool,
    expected: tuple[Status, str],
) -> None:
    """`configured`: the stack sets plinth:guardrails.budget (the spec refuses it with
    accountBudget external). A tenant's budget filters on its project tag: not account-wide."""
    guardrails.expect()
    for entry in budgets:
        moto("budgets").create_budget(AccountId=MOTO_ACCOUNT, Budget=entry)
    assert guardrails.row(AccountGuardrail.ACCOUNT_BUDGET, external, budget=configured) == expected


def test_budgets_are_listed_page_after_page(guardrails: Guardrails) -> None:
    guardrails.expect()
    with stubbed("budgets") as budgets:
        budgets.add_response(
            "describe_budgets",
            {"Budgets": [budget("search", project="search")], "NextToken": "page-2"},
            {"AccountId": MOTO_ACCOUNT},
        )
        budgets.add_response(
            "describe_budgets",
            {"Budgets": [budget("finops-account")]},
            {"AccountId": MOTO_ACCOUNT, "NextToken": "page-2"},
        )
        result = row(guardrails.rows(["accountBudget"], budgets=budgets.client), "accountBudget")
        budgets.assert_no_pending_responses()
    assert (result.status, result.detail) == (
        Status.OK,
        "provided outside this stack: budget finops-account",
    )


NO_ANALYZER = (
    Status.WARN,
    "no analyzer visible from this account: an organization analyzer lives in the management "
    "or delegated administrator account; confirm it covers this account",
)


@pytest.mark.parametrize(
    ("listed", "external", "expected"),
    [
        ((["plinth-dev-external-access"], []), (), (Status.OK, "managed by this stack")),
        (
            (["security-external-access"], ["org-analyzer"]),
            (),
            (
                Status.BLOCKER,
                "an analyzer with this account as zone of trust already exists "
                "(security-external-access); AWS allows one per region, so pulumi up would "
                "fail: import it or list accessAnalyzer in plinth:guardrails.external",
            ),
        ),
        (
            ([], ["org-analyzer"]),
            (),
            (
                Status.OK,
                "none yet; pulumi up creates it; also covered by org-analyzer (organization)",
            ),
        ),
        (([], None), (), (Status.OK, "none yet; pulumi up creates it")),
        (([], None), ("accessAnalyzer",), NO_ANALYZER),
        (([], []), ("accessAnalyzer",), NO_ANALYZER),
        (
            (["security-external-access"], None),
            ("accessAnalyzer",),
            (Status.OK, "provided outside this stack: security-external-access"),
        ),
        (
            ([], ["org-analyzer"]),
            ("accessAnalyzer",),
            (Status.OK, "provided outside this stack: org-analyzer (organization)"),
        ),
    ],
)
def test_access_analyzer(
    guardrails: Guardrails,
    listed: tuple[list[str], list[str] | None],
    external: tuple[str, ...],
    expected: tuple[Status, str],
) -> None:
    """`listed`: the account's analyzers and the organization's (None: that call is refused).
    Outside the organization's management and delegated administrator accounts, AWS allows one
    analyzer per region with the account as zone of trust; an organization analyzer is seen
    only from those accounts."""
    account, organization = listed
    guardrails.expect(analyzers=account, organization_analyzers=organization)
    assert guardrails.row(AccountGuardrail.ACCESS_ANALYZER, external) == expected


def test_analyzers_are_listed_page_after_page(guardrails: Guardrails, aws: FakeAws) -> None:
    for kind in ("ACCOUNT", "ORGANIZATION"):
        first, second = ("team-analyzer", "security-analyzer")
        aws.accessanalyzer.add_response(
            "list_analyzers",
            {"analyzers": [analyzer(f"{kind.lower()}-{first}", kind)], "nextToken": "page-2"},
            {"type": kind},
        )
        aws.accessanalyzer.add_response(
            "list_analyzers",
            {"analyzers": [analyzer(f"{kind.lower()}-{second}", kind)]},
            {"type": kind, "nextToken": "page-2"},
        )
    aws.ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": []}, {})
    assert guardrails.row(AccountGuardrail.ACCESS_ANALYZER, ["accessAnalyzer"]) == (
        Status.OK,
        "provided outside this stack: account-team-analyzer, account-security-analyzer, "
        "organization-team-analyzer (organization), organization-security-analyzer "
        "(organization)",
    )


def test_only_a_refused_organization_listing_is_passed_over(
    guardrails: Guardrails, aws: FakeAws
) -> None:
    """Refused, it says nothing about this account (see test_access_analyzer); any other
    error, such as throttling, stops the command."""
    aws.accessanalyzer.add_response("list_analyzers", {"analyzers": []}, {"type": "ACCOUNT"})
    aws.accessanalyzer.add_client_error(
        "list_analyzers",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
        expected_params={"type": "ORGANIZATION"},
    )
    with pytest.raises(ClientError, match="ThrottlingException"):
        guardrails.rows()


def test_an_organization_listing_invalid_for_this_account_is_passed_over(
    guardrails: Guardrails, aws: FakeAws
) -> None:
    """A member account may get ValidationException for the ORGANIZATION listing: its own
    analyzers still decide."""
    aws.accessanalyzer.add_response("list_analyzers", {"analyzers": []}, {"type": "ACCOUNT"})
    aws.accessanalyzer.add_client_error(
        "list_analyzers",
        service_error_code="ValidationException",
        service_message="Organization analyzers are listed in the management account",
        http_status_code=400,
        expected_params={"type": "ORGANIZATION"},
    )
    aws.ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": []}, {})
    assert guardrails.row(AccountGuardrail.ACCESS_ANALYZER) == (
        Status.OK,
        "none yet; pulumi up creates it",
    )


@pytest.mark.parametrize(
    ("refused", "subject", "action"),
    [
        (
            ("cloudtrail", "describe_trails", "AccessDeniedException"),
            "cloudTrail",
            "cloudtrail:DescribeTrails",
        ),
        (
            ("guardduty", "list_detectors", "AccessDeniedException"),
            "guardDuty",
            "guardduty:ListDetectors",
        ),
        (
            ("s3control", "get_public_access_block", "AccessDenied"),
            "s3PublicAccessBlock",
            "s3:GetAccountPublicAccessBlock",
        ),
        (
            ("ec2", "get_ebs_encryption_by_default", "UnauthorizedOperation"),
            "ebsEncryption",
            "ec2:GetEbsEncryptionByDefault",
        ),
        (
            ("budgets", "describe_budgets", "AccessDeniedException"),
            "accountBudget",
            "budgets:ViewBudget",
        ),
    ],
)
def test_a_refused_guardrail_call_warns_naming_the_permission(
    guardrails: Guardrails, refused: tuple[str, str, str], subject: str, action: str
) -> None:
    service, operation, code = refused
    guardrails.expect()
    with stubbed(service) as denied:
        denied.add_client_error(operation, service_error_code=code, http_status_code=403)
        results = guardrails.rows(**{service: denied.client})
        denied.assert_no_pending_responses()
    assert row(results, subject) == CheckResult(
        "account guardrail", subject, Status.WARN, f"cannot check (missing {action} permission)"
    )
    assert [r.status for r in results].count(Status.WARN) == 1


def test_a_refused_status_call_of_an_external_guardrail_warns(guardrails: Guardrails) -> None:
    guardrails.expect()
    org_trail = {
        "Name": "security-org-trail",
        "TrailARN": "arn:aws:cloudtrail:us-east-1:210987654321:trail/security-org-trail",
        "HomeRegion": "us-east-1",
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": True,
    }
    with stubbed("cloudtrail") as cloudtrail:
        cloudtrail.add_response(
            "describe_trails", {"trailList": [org_trail]}, {"includeShadowTrails": True}
        )
        cloudtrail.add_client_error(
            "get_trail_status",
            service_error_code="AccessDeniedException",
            http_status_code=403,
            expected_params={"Name": org_trail["TrailARN"]},
        )
        result = row(guardrails.rows(["cloudTrail"], cloudtrail=cloudtrail.client), "cloudTrail")
        cloudtrail.assert_no_pending_responses()
    assert (result.status, result.detail) == (
        Status.WARN,
        "cannot check (missing cloudtrail:GetTrailStatus permission)",
    )


def test_a_refused_stubbed_call_warns_too(guardrails: Guardrails) -> None:
    guardrails.expect(monitors=None)
    assert guardrails.row(AccountGuardrail.COST_ANOMALY_MONITOR) == (
        Status.WARN,
        "cannot check (missing ce:GetAnomalyMonitors permission)",
    )


def test_other_guardrail_errors_stop_the_command(tmp_path: Path, aws: FakeAws) -> None:
    aws.sts.add_response("get_caller_identity", caller_identity(), {})
    for kind in ("ACCOUNT", "ORGANIZATION"):
        aws.accessanalyzer.add_response("list_analyzers", {"analyzers": []}, {"type": kind})
    aws.ce.add_client_error(
        "get_anomaly_monitors",
        service_error_code="LimitExceededException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    code, out, err = invoke("--config", str(stack_file(tmp_path, {"enabled": False})))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: AWS refused GetAnomalyMonitors in us-east-1",
        "  LimitExceededException: Rate exceeded",
    ]


def test_a_tenant_stack_has_no_guardrail_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight, "aws_session", lambda region: pytest.fail("AWS was asked"))
    spec = load_stack_spec(ROOT / "infra", "dev-vision", tenant_stack_file(tmp_path))
    assert spec.platform is not None
    report = preflight.run_preflight(spec, "dev-vision")
    assert (report.account, report.checks) == (None, ())
