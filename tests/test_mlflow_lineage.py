"""Lineage and isolation on a real MLflow tracking server, on loopback: MLflow 3.15.1 (the
release of the chart the self-hosted path installs; `make test-tools`) with its basic-auth
app on, every experiment and model closed to users not granted it (`default_permission =
NO_PERMISSIONS`), its tracking and user stores in a real PostgreSQL.

A data scientist of one tenant runs a training script from a git checkout: it records the
dataset it read (an S3 object version in the source URI), trains and registers a model.
`plinth lineage` then reads back, through MLflow's REST API, the run, the dataset version and
the commit behind the registered version; a user of another tenant is refused all of it.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from servers import free_port, loopback_environment, postgres_server, stop, wait_until_alive
from support import ROOT
from typer.testing import CliRunner

from plinth.cli import app

pytestmark = pytest.mark.e2e

MLFLOW = ROOT / ".tools" / "mlflow" / "bin"
MODEL = "plinth-dev-fraud-detection--fraud-score"
DATASET = (
    "s3://plinth-dev-fraud-detection-datasets/transactions/2026-11.parquet"
    "?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
)
# MLflow 3.15 reads the first admin's password from this file only, and its bundled file
# says `password1234`: the file is written whole, from a generated password.
AUTH_CONFIG = """\
[mlflow]
default_permission = NO_PERMISSIONS
database_uri = {database_uri}
admin_username = admin
admin_password = {admin_password}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
"""
BUNDLED_ADMIN_PASSWORD = "password1234"


@dataclass(frozen=True)
class Server:
    url: str
    admin_password: str

    def call(
        self, method: str, path: str, user: tuple[str, str] | None, body: Any = None
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.url}/api/2.0/mlflow/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        if user:
            token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def create_user(self, name: str) -> tuple[str, str]:
        password = secrets.token_urlsafe(16)
        status, _ = self.call(
            "POST",
            "users/create",
            ("admin", self.admin_password),
            {"username": name, "password": password},
        )
        assert status == 200, status
        return name, password


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("mlflow")
    assert (MLFLOW / "mlflow").is_file(), "run `make test-tools` (the MLflow virtualenv)"
    with postgres_server() as postgres:
        for database in ("mlflow", "mlflow_auth"):
            postgres.create_database(database)
        admin_password = secrets.token_urlsafe(16)
        config = folder / "basic_auth.ini"
        config.write_text(
            AUTH_CONFIG.format(
                database_uri=postgres.url("mlflow_auth"), admin_password=admin_password
            )
        )
        port = free_port()
        log_file = folder / "mlflow.log"
        environment = loopback_environment(
            folder,
            MLFLOW_AUTH_CONFIG_PATH=str(config),
            MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(32),
        )
        with log_file.open("w") as log:
            process = subprocess.Popen(
                [
                    str(MLFLOW / "mlflow"),
                    "server",
                    "--app-name",
                    "basic-auth",
                    "--backend-store-uri",
                    postgres.url("mlflow"),
                    "--artifacts-destination",
                    (folder / "artifacts").as_uri(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=folder,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                wait_until_alive(f"{url}/health", process, log_file, "MLflow")
                yield Server(url, admin_password)
            finally:
                stop(process)


@pytest.fixture(scope="module")
def trained(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A data scientist's run from a git checkout of the training code: its user, the run's
    ID, the registered version and the checkout's commit."""
    user = server.create_user("fraud-data-scientist")
    checkout = tmp_path_factory.mktemp("training-code")
    (checkout / "train.py").write_text((ROOT / "tests" / "mlflow" / "log_run.py").read_text())
    git = ["git", "-C", str(checkout), "-c", "user.name=ds", "-c", "user.email=ds@example.com"]
    for command in (["init", "-q"], ["add", "train.py"], ["commit", "-q", "-m", "baseline"]):
        subprocess.run([*git, *command], check=True, timeout=30)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, timeout=30, capture_output=True, text=True
    ).stdout.strip()
    done = subprocess.run(
        [str(MLFLOW / "python"), "train.py", DATASET, MODEL],
        cwd=checkout,
        env=loopback_environment(
            checkout,
            MLFLOW_TRACKING_URI=server.url,
            MLFLOW_TRACKING_USERNAME=user[0],
            MLFLOW_TRACKING_PASSWORD=user[1],
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "user": user, "commit": commit}


def lineage(server: Server, user: tuple[str, str] | None, *args: str) -> tuple[int, str, str]:
    environment = {"MLFLOW_TRACKING_USERNAME": "", "MLFLOW_TRACKING_PASSWORD": ""}
    if user:
        environment = {"MLFLOW_TRACKING_USERNAME": user[0], "MLFLOW_TRACKING_PASSWORD": user[1]}
    result = CliRunner().invoke(
        app, ["lineage", MODEL, *args, "--tracking-uri", server.url], env=environment
    )
    return result.exit_code, result.stdout, result.stderr


def test_lineage_names_the_run_the_dataset_version_and_the_commit(
    server: Server, trained: dict[str, Any]
) -> None:
    code, out, err = lineage(server, trained["user"], str(trained["version"]), "--format", "json")
    assert code == 0, err
    found = json.loads(out)
    assert found["run"]["id"] == trained["run_id"]
    assert found["run"]["name"] == "baseline"
    assert found["code"]["commit"] == trained["commit"]
    (dataset,) = found["datasets"]
    assert dataset["source"] == DATASET
    assert dataset["versionId"] == "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    assert dataset["context"] == "training"
    assert dataset["name"] == "transactions"


def test_lineage_as_text(server: Server, trained: dict[str, Any]) -> None:
    code, out, _ = lineage(server, trained["user"], str(trained["version"]))
    assert code == 0
    assert f"from run {trained['run_id']} (baseline)" in out
    assert f"code: {trained['commit']}" in out
    assert "version 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" in out


def test_another_tenant_s_user_reads_nothing(server: Server, trained: dict[str, Any]) -> None:
    other = server.create_user("search-data-scientist")
    version = f"model-versions/get?name={MODEL}&version={trained['version']}"
    run = f"runs/get?run_id={trained['run_id']}"
    assert [server.call("GET", path, trained["user"])[0] for path in (version, run)] == [200, 200]
    assert [server.call("GET", path, other)[0] for path in (version, run)] == [403, 403]
    code, _, err = lineage(server, other, str(trained["version"]))
    assert code == 1
    assert "not allowed for this user" in err


def test_nobody_reads_without_signing_in(server: Server, trained: dict[str, Any]) -> None:
    assert server.call("GET", f"runs/get?run_id={trained['run_id']}", None)[0] == 401
    code, _, err = lineage(server, None, str(trained["version"]))
    assert code == 1
    assert "not signed in" in err


def test_the_bundled_admin_password_does_not_sign_in(server: Server) -> None:
    assert (
        server.call("GET", "experiments/search?max_results=1", ("admin", BUNDLED_ADMIN_PASSWORD))[0]
        == 401
    )
    assert (
        server.call("GET", "experiments/search?max_results=1", ("admin", server.admin_password))[0]
        == 200
    )


def test_a_bad_tracking_uri_is_bad_input() -> None:
    result = CliRunner().invoke(app, ["lineage", MODEL, "1", "--tracking-uri", "mlflow.example"])
    assert result.exit_code == 2
    assert "is not a tracking server" in result.stderr
