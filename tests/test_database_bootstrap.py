"""The database bootstrap scripts the gateway and the trace store run on the shared Aurora
cluster, run by psql against a real PostgreSQL on loopback as Aurora's master user would: a
role that may create databases and roles and administers `rds_iam`, not a superuser."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from servers import Postgres, postgres_program, postgres_server

from components.gateway.bootstrap import owner_of_existing_database, owner_of_new_database

pytestmark = pytest.mark.e2e

MASTER = "aurora_master"
INITIAL_DATABASE = "litellm"


@pytest.fixture(scope="module")
def aurora_like() -> Iterator[Postgres]:
    with postgres_server() as postgres:
        # What Aurora gives: the rds_iam role, a master user with rds_superuser's rights to
        # create roles and databases (and to grant rds_iam), owning the initial database.
        for sql in (
            "CREATE ROLE rds_iam",
            f"CREATE ROLE {MASTER} LOGIN CREATEDB CREATEROLE",
            f"GRANT rds_iam TO {MASTER} WITH ADMIN OPTION",
            f"CREATE DATABASE {INITIAL_DATABASE} OWNER {MASTER}",
        ):
            postgres.query("postgres", sql)
        yield postgres


def kubelet_expanded(value: str) -> str:
    """An environment variable's value as the kubelet hands it to the container: `$$` becomes
    `$`, `$(NAME)` of a variable it knows is replaced (the Job defines none the script uses),
    anything else stays (Kubernetes API, EnvVar.value)."""
    return re.sub(r"\$\$", "$", value)


def _run_as_master(postgres: Postgres, script: str) -> subprocess.CompletedProcess[str]:
    """The Job's psql invocation: the script on standard input, stop at the first error."""
    command = [
        postgres_program("psql"),
        *("-h", "127.0.0.1", "-p", str(postgres.port), "-U", MASTER, "-d", INITIAL_DATABASE),
        *("--set", "ON_ERROR_STOP=1", "--no-psqlrc", "--file=-"),
    ]
    return subprocess.run(
        command, input=script, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("script", "user", "database"),
    [
        (owner_of_existing_database("litellm", INITIAL_DATABASE), "litellm", INITIAL_DATABASE),
        (owner_of_new_database("phoenix", "phoenix"), "phoenix", "phoenix"),
    ],
    ids=["gateway", "trace-store"],
)
def test_the_script_makes_an_iam_only_login_that_owns_its_database_twice_over(
    aurora_like: Postgres, script: str, user: str, database: str
) -> None:
    for attempt in range(2):  # a retried Job runs it again
        # What psql reads: the script as the Job's environment variable carries it.
        done = _run_as_master(aurora_like, kubelet_expanded(script))
        assert done.returncode == 0, f"attempt {attempt}: {done.stdout}{done.stderr}"
    login = aurora_like.query(
        "postgres",
        f"SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = '{user}'",
    )
    assert login == ["t|t"]  # a login with no password: IAM tokens only
    members = aurora_like.query(
        "postgres",
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        f"JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '{user}'",
    )
    assert members == ["rds_iam"]
    owner = aurora_like.query(
        "postgres",
        f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database}'",
    )
    assert owner == [user]
    schema_owner = aurora_like.query(
        database, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
    )
    assert schema_owner == [user]


def test_a_failing_statement_stops_the_script(aurora_like: Postgres) -> None:
    script = f"ALTER DATABASE nowhere OWNER TO {MASTER};\nCREATE ROLE after_the_error;\n"
    done = _run_as_master(aurora_like, script)
    assert done.returncode != 0
    assert '"nowhere" does not exist' in done.stderr
    assert (
        aurora_like.query("postgres", "SELECT 1 FROM pg_roles WHERE rolname = 'after_the_error'")
        == []
    )


def test_the_kubelet_expansion_is_modelled() -> None:
    # The harness can fail: an untagged dollar quote does not survive the kubelet.
    assert kubelet_expanded("DO $$ BEGIN END $$;") == "DO $ BEGIN END $;"
    assert kubelet_expanded("DO $plinth$ BEGIN END $plinth$;") == "DO $plinth$ BEGIN END $plinth$;"
