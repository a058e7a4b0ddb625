"""The IAM sign-in hook the self-hosted MLflow loads (components/mlops/rds_iam_auth.py): each
PostgreSQL sign-in gets an RDS authentication token that Aurora's check (rds_iam_front,
an independent SigV4 computation) accepts for that user, endpoint and region only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rds_iam_front import Credentials, token_problem

from components.mlops.rds_iam_auth import with_iam_token

CREDENTIALS = Credentials(
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"
)
HOST = "plinth-dev-gateway.cluster-abc.us-east-1.rds.amazonaws.com"


@dataclass(frozen=True)
class Dialect:
    name: str


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS.secret_key)
    monkeypatch.setenv("AWS_REGION", CREDENTIALS.region)


def signed(cparams: dict[str, Any]) -> str:
    with_iam_token(Dialect("postgresql"), None, [], cparams)
    return str(cparams["password"])


def test_a_sign_in_named_by_the_url_gets_a_token_for_its_user_and_endpoint() -> None:
    token = signed({"host": HOST, "port": 5432, "user": "mlflow_search", "password": ""})
    now = datetime.now(UTC)
    assert token_problem(token, "mlflow_search", f"{HOST}:5432", CREDENTIALS, now) is None
    # The same token is refused for another user, another endpoint, or after 15 minutes.
    assert token_problem(token, "mlflow_vision", f"{HOST}:5432", CREDENTIALS, now)
    assert token_problem(token, "mlflow_search", f"{HOST}:5433", CREDENTIALS, now)
    later = now + timedelta(minutes=16)
    assert token_problem(token, "mlflow_search", f"{HOST}:5432", CREDENTIALS, later)
    forged = token.replace("DBUser=mlflow_search", "DBUser=postgres")
    assert token_problem(forged, "postgres", f"{HOST}:5432", CREDENTIALS, now) == (
        "the signature does not match"
    )


def test_the_chart_s_empty_url_takes_libpq_s_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # The chart's backend store is `postgresql://`: host, port and user come from PG*.
    monkeypatch.setenv("PGHOST", HOST)
    monkeypatch.setenv("PGPORT", "5432")
    monkeypatch.setenv("PGUSER", "mlflow_search")
    token = signed({})
    assert (
        token_problem(token, "mlflow_search", f"{HOST}:5432", CREDENTIALS, datetime.now(UTC))
        is None
    )


def test_other_databases_are_left_alone() -> None:
    cparams: dict[str, Any] = {"database": "mlflow.db"}
    with_iam_token(Dialect("sqlite"), None, [], cparams)
    assert cparams == {"database": "mlflow.db"}
