"""IAM database authentication for MLflow's PostgreSQL connections.

MLflow opens its tracking and user stores with SQLAlchemy and has no setting for IAM tokens,
while the platform's Aurora cluster admits its services with IAM tokens only (no password
exists). The self-hosted tracking server (selfhosted.py) mounts this file as
`sitecustomize.py` on the server's PYTHONPATH; Python imports it at start-up, before MLflow,
and it registers one SQLAlchemy `do_connect` hook on every engine: each new PostgreSQL
connection signs in with a fresh token for its host, port and user, made with the pod's own
credentials (EKS Pod Identity) by boto3, which the MLflow image carries. Tokens live 15
minutes and only sign-ins use them, so pooled connections outlive them, and nothing caches
one.

Only the Python standard library, boto3 and SQLAlchemy are imported: this file runs inside
the MLflow image, not in Plinth.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from functools import cache
from typing import Any

DEFAULT_PORT = 5432


@cache
def _rds_client(region: str) -> Any:
    import boto3  # the image's; a client is thread-safe and reused by every sign-in

    return boto3.client("rds", region_name=region)


def iam_token(host: str, port: int, user: str, region: str) -> str:
    """An RDS IAM authentication token (a SigV4 presigned `connect` request, made locally)."""
    token: str = _rds_client(region).generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    return token


def with_iam_token(
    dialect: Any, connection_record: Any, cargs: Any, cparams: MutableMapping[str, Any]
) -> None:
    """SQLAlchemy's `do_connect` hook: PostgreSQL sign-ins get a token as their password.
    Host, port and user come from the URL or, when it names none (the chart's backend store
    is `postgresql://`), from libpq's PGHOST, PGPORT and PGUSER."""
    if dialect.name != "postgresql":
        return
    host = cparams.get("host") or os.environ["PGHOST"]
    port = int(cparams.get("port") or os.environ.get("PGPORT") or DEFAULT_PORT)
    user = cparams.get("user") or os.environ["PGUSER"]
    cparams["password"] = iam_token(host, port, user, os.environ["AWS_REGION"])


def install() -> None:
    """Hook every SQLAlchemy engine the process creates."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "do_connect", with_iam_token)


if __name__ == "sitecustomize":
    install()
