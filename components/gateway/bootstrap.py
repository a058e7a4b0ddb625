"""A platform service's database on the shared Aurora cluster: its own login (IAM
authentication only) and what it owns, made once by a Job that signs in as the RDS-managed
master user. The gateway and the trace store each run one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.gateway.csi import SECRETS_MOUNT, csi_volume

POSTGRES_IMAGE = "public.ecr.aws/docker/library/postgres:17.7-alpine"
"""psql for the one-off database bootstrap, matching the Aurora engine's major version (the
official image, mirrored by ECR Public)."""
POSTGRES_USER_ID = 70
"""The image's `postgres` user (Alpine's UID)."""
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""What the `restricted` Pod Security Standard asks of every container."""
MASTER_SECRET_VOLUME = "db-master"


def _iam_login(user: str) -> str:
    # A tagged dollar quote: the script travels in an environment variable, where the kubelet
    # turns `$$` into `$` (Kubernetes' EnvVar value expansion), which would break `DO $$`.
    return f"""\
DO $plinth$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN
    CREATE ROLE {user} LOGIN;
  END IF;
END $plinth$;
GRANT rds_iam TO {user};
GRANT {user} TO CURRENT_USER;
"""


def _owned_by(user: str, database: str) -> str:
    # PostgreSQL lets every role connect to a new database and create temporary tables in it
    # (PUBLIC's defaults): one service's or tenant's user could list another's tables. Only the
    # owner, and the master user through its membership in the owner's role, keep them.
    return (
        f"ALTER DATABASE {database} OWNER TO {user};\n"
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC;\n"
    )


def owner_of_existing_database(user: str, database: str) -> str:
    """Idempotent: `user` signs in with IAM only (`rds_iam`, no password) and owns `database`
    (the cluster's initial database) and its schema, so its migrations can create tables; no
    other user may connect to it."""
    return _iam_login(user) + _owned_by(user, database) + f"ALTER SCHEMA public OWNER TO {user};\n"


def owner_of_new_database(user: str, database: str) -> str:
    """Idempotent: as above, for a database the script creates when it is missing (psql's
    \\gexec runs the CREATE only when the query returns it), then connects to."""
    return (
        _iam_login(user) + f"SELECT 'CREATE DATABASE {database} OWNER {user}'\n"
        f"  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')\\gexec\n"
        + _owned_by(user, database)
        + f"\\connect {database}\nALTER SCHEMA public OWNER TO {user};\n"
    )


def master_secret_objects(secret_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """The RDS-managed master secret's user name and password, as two mounted files."""
    return [
        {
            "objectName": secret_arn,
            "objectType": "secretsmanager",
            "jmesPath": [
                {"path": "username", "objectAlias": "username"},
                {"path": "password", "objectAlias": "password"},
            ],
        }
    ]


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    """One bootstrap Job: where it runs, whom it signs in as, and the script it runs."""

    job_name: str
    namespace: str
    service_account: str
    """Its Pod Identity role may read the master secret, nothing else."""
    database_host: pulumi.Input[str]
    database: str
    """The database psql connects to first (the cluster's initial one)."""
    sql: str
    provider_class: str
    """The SecretProviderClass that mounts the master secret (master_secret_objects)."""


def database_bootstrap(
    name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions
) -> k8s.batch.v1.Job:
    """The Job: psql over TLS as the master user, the script on standard input (so psql's own
    commands, `\\gexec` and `\\connect`, work), stopping at the first error; retried by
    Kubernetes while the cluster or its DNS name is not ready yet."""
    # libpq reads PGHOST, PGPORT, PGDATABASE and PGSSLMODE from the environment.
    script = (
        f'export PGPASSWORD="$(cat {SECRETS_MOUNT}/password)"\n'
        f'printf "%s\\n" "$BOOTSTRAP_SQL" | psql --username="$(cat {SECRETS_MOUNT}/username)" '
        "--set ON_ERROR_STOP=1 --no-psqlrc --file=-\n"
    )
    container = {
        "name": "psql",
        "image": POSTGRES_IMAGE,
        "command": ["/bin/sh", "-c", script],
        "env": [
            {"name": "PGHOST", "value": args.database_host},
            {"name": "PGPORT", "value": "5432"},
            {"name": "PGDATABASE", "value": args.database},
            {"name": "PGSSLMODE", "value": "require"},
            {"name": "BOOTSTRAP_SQL", "value": args.sql},
        ],
        "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}},
        "volumeMounts": [
            {"name": MASTER_SECRET_VOLUME, "mountPath": SECRETS_MOUNT, "readOnly": True}
        ],
    }
    spec: Any = {
        "backoffLimit": 6,
        "template": {
            "spec": {
                "serviceAccountName": args.service_account,
                "automountServiceAccountToken": False,
                "restartPolicy": "Never",
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": POSTGRES_USER_ID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [container],
                "volumes": [csi_volume(MASTER_SECRET_VOLUME, args.provider_class)],
            }
        },
    }
    return k8s.batch.v1.Job(
        name,
        metadata={"name": args.job_name, "namespace": args.namespace},
        spec=spec,
        opts=opts,
    )
