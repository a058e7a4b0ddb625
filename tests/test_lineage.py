"""`plinth lineage` against a SageMaker tracking server: requests signed the way SageMaker's
MLflow plugin (sagemaker-mlflow 0.5.0) signs them, since no SageMaker endpoint is reachable
here: its regional experiments host, SigV4 for the `sagemaker-mlflow` service with the
server's ARN and the payload hash among the signed headers, spaces as %20. The self-hosted
path runs against a real MLflow server in test_mlflow_lineage.py."""

from __future__ import annotations

import pytest

from plinth.lineage import TrackingServer

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/plinth-dev-fraud-detection"


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The headers of one GET, as the tracking server would receive them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEOFFLINE01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "offline-secret-key-for-signing-only")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    request = TrackingServer(ARN).request("registered-models/get", name="fraud score")
    return {"url": request.full_url, **{k.lower(): v for k, v in request.header_items()}}


def test_requests_go_to_the_region_s_experiments_host(signed: dict[str, str]) -> None:
    assert signed["url"] == (
        "https://eu-west-1.experiments.sagemaker.aws/api/2.0/mlflow/registered-models/get"
        "?name=fraud%20score"
    )


def test_requests_are_signed_for_sagemaker_mlflow_with_the_server_s_arn(
    signed: dict[str, str],
) -> None:
    authorization = signed["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEOFFLINE01/")
    assert "/eu-west-1/sagemaker-mlflow/aws4_request" in authorization
    signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "x-amz-content-sha256", "x-mlflow-sm-tracking-server-arn"} <= set(
        signed_headers
    )
    assert signed["x-mlflow-sm-tracking-server-arn"] == ARN


def test_an_arn_of_something_else_is_bad_input() -> None:
    with pytest.raises(ValueError, match="not a SageMaker tracking server ARN"):
        TrackingServer("arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/x")
