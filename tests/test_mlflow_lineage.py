"""The self-hosted tracking server as the platform configures it, on loopback: MLflow 3.15.1
(the release of the chart SelfHostedTracking installs; `make test-tools`) started the way
the chart starts it from the component's values (chart_values): its basic-auth app on with
no permission by default, the generated admin sign-in, the hosts it answers, and its
tracking and user stores in a real PostgreSQL reached only through IAM tokens. The stores'
databases and their owner are made by the platform's bootstrap SQL; the schema by the
`db-upgrade` init container's command; every sign-in goes through rds_iam_front, which
accepts nothing but a valid RDS token for the user and endpoint (Aurora's check), and the
tokens come from the component's own hook (rds_iam_auth.py loaded as sitecustomize).

A data scientist of one tenant runs a training script from a git checkout: it records the
dataset it read (an S3 object version in the source URI), trains and registers a model.
`plinth lineage` then reads back, through MLflow's REST API, the run, the dataset version and
the commit behind the registered version; a user of another tenant is refused all of it.
Artifacts go to a local folder: S3 is not reachable here.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rds_iam_front import Credentials, IamFront, iam_front
from servers import (
    Postgres,
    free_port,
    loopback_environment,
    postgres_program,
    postgres_server,
    stop,
    wait_until_alive,
)
from support import ROOT
from typer.testing import CliRunner

from components.gateway.bootstrap import owner_of_new_database
from components.mlops.selfhosted import (
    ADMIN_USER,
    IAM_AUTH_HOOK_SOURCE,
    MIGRATION,
    ServerSettings,
    chart_values,
    service_host,
    tracking_database,
)
from plinth.cli import app

pytestmark = pytest.mark.e2e

MLFLOW = ROOT / ".tools" / "mlflow" / "bin"
TENANT = "fraud-detection"
OTHER_TENANT = "search"
MODEL = "plinth-dev-fraud-detection--fraud-score"
DATASET = (
    "s3://plinth-dev-fraud-detection-datasets/transactions/2026-11.parquet"
    "?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
)
BUNDLED_ADMIN_PASSWORD = "password1234"
"""MLflow 3.15's bundled basic_auth.ini admin password, which the chart's file replaces."""
CREDENTIALS = Credentials(
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"
)
"""What the server's Pod Identity role would hand it; the front checks tokens against them."""


def chart_ini(values: dict[str, Any], port: int, admin_password: str) -> str:
    """basic_auth.ini as the chart writes it (auth_ini_configmap.yaml, then its
    ini-file-initializer with the admin Secret and the database login Secret, whose
    password is empty), with the front's port for Aurora's."""
    auth = values["auth"]
    database = auth["postgres"]
    user = tracking_database(TENANT).user
    return (
        "[mlflow]\n"
        f"default_permission = {auth['defaultPermission']}\n"
        f"database_uri = postgresql://{user}:@{database['host']}:{port}/{database['database']}\n"
        f"admin_username = {ADMIN_USER}\n"
        f"admin_password = {admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )


@dataclass(frozen=True)
class Server:
    url: str
    admin_password: str
    front: IamFront
    postgres: Postgres
    log: Path

    def call(
        self,
        method: str,
        path: str,
        user: tuple[str, str] | None,
        body: Any = None,
        host: str | None = None,
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
        if host:
            request.add_header("Host", host)
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
            (ADMIN_USER, self.admin_password),
            {"username": name, "password": password},
        )
        assert status == 200, status
        return name, password


def _databases(postgres: Postgres) -> None:
    """What the platform's bootstrap Jobs run for two tenants, on a server that has Aurora's
    rds_iam role; each script twice, as a Job retried or re-run would."""
    postgres.run_script("postgres", "CREATE ROLE rds_iam;")
    for tenant in (TENANT, OTHER_TENANT):
        database = tracking_database(tenant)
        script = owner_of_new_database(database.user, database.tracking) + owner_of_new_database(
            database.user, database.users
        )
        for _ in range(2):
            postgres.run_script("postgres", script)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("mlflow")
    assert (MLFLOW / "mlflow").is_file(), "run `make test-tools` (the MLflow virtualenv)"
    values = chart_values(
        ServerSettings(
            namespace=TENANT,
            region=CREDENTIALS.region,
            database_host="127.0.0.1",
            artifacts_bucket="plinth-dev-fraud-detection-artifacts",
            key_arn="arn:aws:kms:us-east-1:123456789012:key/tenant",
        )
    )
    hook = folder / "hook"
    hook.mkdir()
    shutil.copy(IAM_AUTH_HOOK_SOURCE, hook / "sitecustomize.py")
    with postgres_server() as postgres, iam_front(postgres.port, CREDENTIALS) as front:
        _databases(postgres)
        admin_password = secrets.token_urlsafe(24)
        config = folder / "basic_auth.ini"
        config.write_text(chart_ini(values, front.port, admin_password))
        backend = values["backendStore"]["postgres"]
        environment = loopback_environment(
            folder,
            # The chart's: the env ConfigMap (PGHOST, PGPORT, PGDATABASE, allowed hosts) and
            # the login Secret (PGUSER, an empty PGPASSWORD).
            PGHOST=backend["host"],
            PGPORT=str(front.port),
            PGDATABASE=backend["database"],
            PGUSER=tracking_database(TENANT).user,
            PGPASSWORD="",
            MLFLOW_SERVER_ALLOWED_HOSTS=",".join(values["serverAllowedHosts"]),
            MLFLOW_AUTH_CONFIG_PATH=str(config),
            MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(32),
            AWS_ACCESS_KEY_ID=CREDENTIALS.access_key,
            AWS_SECRET_ACCESS_KEY=CREDENTIALS.secret_key,
            # Plinth's (extraEnvVars), the hook's folder in place of the mounted ConfigMap's;
            # the front offers no TLS, so sslmode `prefer` instead of `require`.
            **{
                name: value
                for name, value in values["extraEnvVars"].items()
                if name not in ("PYTHONPATH", "PGSSLMODE", "MLFLOW_S3_UPLOAD_EXTRA_ARGS")
            },
            PYTHONPATH=str(hook),
            PGSSLMODE="prefer",
        )
        (init,) = values["initContainers"]
        assert init["command"] == ["python", "-c", MIGRATION]
        own = {e["name"]: e["value"] for e in init["env"] if "value" in e}
        migrated = subprocess.run(
            [str(MLFLOW / "python"), "-c", MIGRATION],
            env={**environment, "MLFLOW_USERS_DATABASE": own["MLFLOW_USERS_DATABASE"]},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        port = free_port()
        log_file = folder / "mlflow.log"
        with log_file.open("w") as log:
            # The chart's command (deployment.yaml) for its values, with two workers (the
            # chart leaves MLflow's four): they start together on the migrated stores.
            process = subprocess.Popen(
                [
                    str(MLFLOW / "mlflow"),
                    "server",
                    "--host=127.0.0.1",
                    f"--port={port}",
                    "--backend-store-uri=postgresql://",
                    f"--artifacts-destination={(folder / 'artifacts').as_uri()}",
                    "--serve-artifacts",
                    f"--app-name={values['auth'].get('appName', 'basic-auth')}",
                    "--workers=2",
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=folder,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                wait_until_alive(f"{url}/health", process, log_file, "MLflow")
                yield Server(url, admin_password, front, postgres, log_file)
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


def test_the_stores_are_reached_with_iam_tokens_only(
    server: Server, trained: dict[str, Any]
) -> None:
    database = tracking_database(TENANT)
    signed_in = set(server.front.accepted)
    assert {(database.user, database.tracking), (database.user, database.users)} <= signed_in
    assert {user for user, _ in signed_in} == {database.user}
    assert server.front.refused == []
    # The front is Aurora's check, not a pass-through: a password is refused.
    refused = subprocess.run(
        [str(MLFLOW / "python"), "-c", "import psycopg2; psycopg2.connect('')"],
        env=loopback_environment(
            ROOT,
            PGHOST="127.0.0.1",
            PGPORT=str(server.front.port),
            PGUSER=database.user,
            PGDATABASE=database.tracking,
            PGPASSWORD="not-a-token",
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode != 0
    assert "PAM authentication failed" in refused.stderr
    assert server.front.refused == [(database.user, "not an RDS authentication token")]


def test_it_answers_its_service_names_and_nothing_else(server: Server) -> None:
    admin = (ADMIN_USER, server.admin_password)
    path = "experiments/search?max_results=1"
    for host in (service_host(TENANT), f"mlflow.{TENANT}", "localhost:5000"):
        assert server.call("GET", path, admin, host=host)[0] == 200, host
    status, body = server.call("GET", path, admin, host="mlflow.attacker.example")
    assert status == 403
    assert "Invalid Host header" in body


def test_no_worker_died_starting(server: Server, trained: dict[str, Any]) -> None:
    log = server.log.read_text()
    assert "died" not in log
    assert "UniqueViolation" not in log


def test_a_tenant_s_database_user_cannot_open_another_s_databases(server: Server) -> None:
    """The bootstrap takes PUBLIC's CONNECT and TEMPORARY away: search's user may open its own
    databases only (direct to PostgreSQL, which trusts loopback: the grant alone decides)."""
    mine, theirs = tracking_database(OTHER_TENANT), tracking_database(TENANT)

    def connects(user: str, database: str) -> bool:
        done = subprocess.run(
            [
                *(postgres_program("psql"), "-h", "127.0.0.1", "-p", str(server.postgres.port)),
                *("-U", user, "-d", database, "-c", "SELECT 1"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0 or "permission denied for database" in done.stderr, done
        return done.returncode == 0

    assert connects(mine.user, mine.tracking)
    assert connects(mine.user, mine.users)
    assert not connects(mine.user, theirs.tracking)
    assert not connects(mine.user, theirs.users)
