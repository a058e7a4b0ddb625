"""A tenant's MLflow tracking server on its own namespace of the platform's gateway cluster,
for teams that keep experiment tracking next to their training jobs instead of on SageMaker:
MLflow from the community-charts chart with authentication on, its stores in databases of
the platform's Aurora cluster reached with IAM tokens, artifacts in the tenant's bucket.

It runs on the gateway's EKS cluster because that is where the platform's Aurora cluster
admits clients (its security group admits that cluster's pods) and where the Secrets Store
CSI driver runs. CoreWeave clusters have no private path to the VPC: CoreWeave-only teams
use the SageMaker server, which their pods reach through the cluster's IAM OIDC provider.
The platform makes the databases (tracking_databases.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.gateway.bootstrap import (
    RESTRICTED_CONTAINER,
    master_secret_objects,
)
from components.gateway.csi import SECRETS_MOUNT, csi_volume, secret_provider_class
from components.gateway.identity import (
    ServiceIdentities,
    database_connect_statement,
    secret_read_statements,
)
from components.gateway.network import (
    namespace_network_policies,
)
from components.gateway.secrets import SecretPlace, generated_secret
from components.iam import policy_document
from components.mlops.tracking import ARTIFACT_PREFIX, artifact_store_statements
from components.scope import AwsScope

# Confirmed: community-charts/helm-charts at ae700ff, charts/mlflow/Chart.yaml: version
# 1.11.5, appVersion 3.15.1; the repository's README adds it with `helm repo add
# community-charts https://community-charts.github.io/helm-charts`. The image is
# burakince/mlflow (burakince/mlflow at 741a4d7, "Update dependencies for MLflow 3.15.1":
# Python 3.13, boto3 and psycopg2 installed, user `mlflow` UID 1001).
CHART = "mlflow"
CHART_REPOSITORY = "https://community-charts.github.io/helm-charts"
CHART_VERSION = "1.11.5"
MLFLOW_VERSION = "3.15.1"
IMAGE = "burakince/mlflow"
MLFLOW_USER_ID = 1001
RELEASE = "mlflow"
"""The release name; the chart names its objects after it (`mlflow`, `mlflow-env-configmap`)."""
SERVICE = "mlflow"
SERVICE_PORT = 80
CONTAINER_PORT = 5000
SERVICE_ACCOUNT = "mlflow"
POD_LABELS = {"app.kubernetes.io/name": CHART, "app.kubernetes.io/instance": RELEASE}
"""The chart's selector labels on the server's pods."""
ADMIN_USER = "admin"
ADMIN_SECRET_ITEM = "admin"
ADMIN_SECRET = "mlflow-admin"
"""The SecretProviderClass and the Kubernetes Secret it syncs: the first admin's sign-in."""
DATABASE_LOGIN = "mlflow-database-login"
"""The database user's name, in the Secret the chart reads it from. Its `password` is empty:
no database password exists (rds_iam_auth.py signs in with IAM tokens)."""
IAM_AUTH_HOOK = "mlflow-rds-iam-auth"
IAM_AUTH_HOOK_DIR = "/opt/plinth"
IAM_AUTH_HOOK_SOURCE = Path(__file__).with_name("rds_iam_auth.py")
DEFAULT_PERMISSION = "NO_PERMISSIONS"
"""Users see only the experiments and models they are granted (MLflow's basic-auth app)."""


@dataclass(frozen=True)
class TrackingDatabase:
    """A tenant's MLflow databases on the platform's Aurora cluster and the user owning them
    (`mlflow_<tenant>`, `-` as `_`: PostgreSQL names unquoted)."""

    user: str
    tracking: str
    """Experiments, runs, registered models."""
    users: str
    """The basic-auth app's users and permissions."""


def tracking_database(tenant: str) -> TrackingDatabase:
    name = f"mlflow_{tenant.replace('-', '_')}"
    return TrackingDatabase(user=name, tracking=name, users=f"{name}_auth")


def postgres_in(cidr: str) -> dict[str, Any]:
    """A NetworkPolicy egress rule: PostgreSQL in `cidr` (Aurora, in the VPC) only."""
    return {"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": 5432}]}


def secret_place(
    name_prefix: str, tenant: str, key_arn: pulumi.Input[str], tags: Mapping[str, str]
) -> SecretPlace:
    return SecretPlace(f"{name_prefix}-{tenant}", "mlflow", key_arn, tags)


def admin_secret_name(name_prefix: str, tenant: str) -> str:
    """`<prefix>-<tenant>/mlflow/admin`: the server's first admin's sign-in."""
    return secret_place(name_prefix, tenant, "", {}).secret_name(ADMIN_SECRET_ITEM)


def service_host(namespace: str) -> str:
    return f"{SERVICE}.{namespace}.svc.cluster.local"


def tracking_url(namespace: str) -> str:
    """The tracking URI pods use (the Service answers on port 80)."""
    return f"http://{service_host(namespace)}"


def allowed_hosts(namespace: str) -> list[str]:
    """Host headers the server answers (MLflow 3.5+ refuses others against DNS rebinding):
    the Service's names in the cluster, and loopback for `kubectl port-forward`. Not the
    private address ranges MLflow allows by default: clients use the Service's name."""
    names = [SERVICE, f"{SERVICE}.{namespace}", f"{SERVICE}.{namespace}.svc"]
    names.append(service_host(namespace))
    return [*names, *(f"{name}:*" for name in names), "localhost:*", "127.0.0.1:*"]


@dataclass(frozen=True)
class ServerSettings:
    """What the chart values are made of (plain strings in the tests, outputs in a stack)."""

    namespace: str
    region: str
    database_host: pulumi.Input[str]
    artifacts_bucket: pulumi.Input[str]
    key_arn: pulumi.Input[str]


def server_environment(settings: ServerSettings) -> dict[str, pulumi.Input[str]]:
    """The server's own environment besides the chart's (PGHOST, PGPORT, PGDATABASE, PGUSER):
    the IAM sign-in hook on PYTHONPATH, TLS to Aurora, and artifacts written with the tenant's
    key named explicitly."""
    return {
        "PYTHONPATH": IAM_AUTH_HOOK_DIR,
        "AWS_REGION": settings.region,
        "PGSSLMODE": "require",
        "MLFLOW_S3_UPLOAD_EXTRA_ARGS": (
            _upload_arguments(settings.key_arn)
            if isinstance(settings.key_arn, str)
            else pulumi.Output.all(settings.key_arn).apply(lambda key: _upload_arguments(key[0]))
        ),
    }


def _upload_arguments(key_arn: str) -> str:
    """boto3 upload arguments MLflow adds to every artifact it writes: SSE-KMS, this key."""
    return json.dumps({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_arn})


MIGRATION = """\
import os
from mlflow.server.auth.db.utils import migrate_if_needed
from mlflow.store.db import utils

utils._initialize_tables(utils.create_sqlalchemy_engine_with_retry("postgresql://"))
users = "postgresql://{PGUSER}@{PGHOST}:{PGPORT}/{MLFLOW_USERS_DATABASE}".format(**os.environ)
migrate_if_needed(utils.create_sqlalchemy_engine_with_retry(users), "head")
"""
"""Both stores' schemas brought to this MLflow release before the server starts: the tracking
store as the chart's own migrations.py does (create what a new database lacks, upgrade an
existing one; `postgresql://` lets libpq's PG* variables name it), the user store as the
basic-auth app does at start. Each server worker would otherwise migrate the user store at
once, racing on its version table."""


def chart_values(settings: ServerSettings) -> dict[str, Any]:
    """The mlflow chart's values (its values.schema.json holds them to its fields)."""
    database = tracking_database(settings.namespace)
    pod_security = {
        "runAsNonRoot": True,
        "runAsUser": MLFLOW_USER_ID,
        "runAsGroup": MLFLOW_USER_ID,
        "fsGroup": MLFLOW_USER_ID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container_security = {
        **RESTRICTED_CONTAINER,
        "readOnlyRootFilesystem": True,
        "runAsUser": MLFLOW_USER_ID,
        "runAsGroup": MLFLOW_USER_ID,
    }
    environment = server_environment(settings)
    hook_mount = {"name": "iam-auth", "mountPath": IAM_AUTH_HOOK_DIR, "readOnly": True}
    postgres = {"host": settings.database_host, "port": 5432}
    login = {"name": DATABASE_LOGIN, "usernameKey": "username", "passwordKey": "password"}
    return {
        "image": {"repository": IMAGE, "tag": MLFLOW_VERSION, "pullPolicy": "IfNotPresent"},
        # Its service account and Pod Identity role are Plinth's (ServiceIdentities).
        "serviceAccount": {"create": False, "automount": False, "name": SERVICE_ACCOUNT},
        "podSecurityContext": pod_security,
        "securityContext": container_security,
        "service": {"type": "ClusterIP", "port": SERVICE_PORT, "containerPort": CONTAINER_PORT},
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "telemetry": {"enabled": False},
        "serverAllowedHosts": allowed_hosts(settings.namespace),
        "backendStore": {
            # The chart's migration and connection-check init containers cannot load the
            # IAM hook; `db-upgrade` below runs the same migration with it.
            "databaseMigration": False,
            "databaseConnectionCheck": False,
            "postgres": {"enabled": True, **postgres, "database": database.tracking},
            "existingDatabaseSecret": login,
        },
        # Clients send artifacts through the server (no S3 rights needed by users); the
        # server writes them under mlflow/ in the tenant's artifacts bucket.
        "artifactRoot": {
            "proxiedArtifactStorage": True,
            "s3": {
                "enabled": True,
                "bucket": settings.artifacts_bucket,
                "path": ARTIFACT_PREFIX.rstrip("/"),
            },
        },
        "auth": {
            "enabled": True,
            "existingAdminSecret": {
                "name": ADMIN_SECRET,
                "usernameKey": "username",
                "passwordKey": "password",
            },
            "defaultPermission": DEFAULT_PERMISSION,
            "postgres": {
                "enabled": True,
                **postgres,
                "database": database.users,
                "existingSecret": login,
            },
        },
        "extraEnvVars": environment,
        "initContainers": [
            {
                # The server refuses an older schema: MIGRATION brings both stores up first.
                "name": "db-upgrade",
                "image": f"{IMAGE}:{MLFLOW_VERSION}",
                "command": ["python", "-c", MIGRATION],
                "env": [
                    *({"name": name, "value": value} for name, value in environment.items()),
                    {"name": "MLFLOW_USERS_DATABASE", "value": database.users},
                    {
                        "name": "PGUSER",
                        "valueFrom": {"secretKeyRef": {"name": DATABASE_LOGIN, "key": "username"}},
                    },
                ],
                "envFrom": [{"configMapRef": {"name": f"{RELEASE}-env-configmap"}}],
                "securityContext": container_security,
                "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}},
                "volumeMounts": [hook_mount, {"name": "tmp", "mountPath": "/tmp"}],
            }
        ],
        "extraVolumes": [
            {"name": "iam-auth", "configMap": {"name": IAM_AUTH_HOOK}},
            csi_volume("admin", ADMIN_SECRET),
        ],
        "extraVolumeMounts": [
            hook_mount,
            {"name": "admin", "mountPath": SECRETS_MOUNT, "readOnly": True},
        ],
    }


@dataclass(frozen=True)
class SelfHostedTrackingArgs:
    """Inputs of a SelfHostedTracking: one tenant's namespace on the gateway's cluster.

    `ready` holds what its objects wait for (the tenant's workspace on the cluster, the
    Secrets Store CSI driver, the Job that creates its databases); `admin_role` is the tenant's
    admin persona role, which may read the server's first admin sign-in; `database_cidr` is
    where Aurora answers (the VPC)."""

    scope: AwsScope
    tenant: str
    name_prefix: str
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    ready: Sequence[pulumi.Resource]
    database_host: pulumi.Input[str]
    database_resource_id: pulumi.Input[str]
    database_cidr: str
    artifacts_bucket: pulumi.Input[str]
    artifacts_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    admin_role: aws.iam.Role | None
    tags: Mapping[str, str]
    protect: bool = False


class SelfHostedTracking(pulumi.ComponentResource):
    """MLflow 3.15.1 (community-charts `mlflow` 1.11.5) in the tenant's namespace:

    - authentication on (MLflow's basic-auth app) with no permission by default: the tenant's
      admin signs in as `admin` with a generated password (Secrets Manager
      `<prefix>-<tenant>/mlflow/admin`, the tenant key; MLflow's bundled default would be
      `password1234`) and creates a user per person or workload;
    - tracking and user stores in databases `mlflow_<tenant>` and `mlflow_<tenant>_auth` of
      the platform's Aurora cluster (made by the platform's bootstrap Job), reached over TLS
      as their owner `mlflow_<tenant>` with IAM tokens from the server's Pod Identity role
      (rds_iam_auth.py): no database password exists;
    - artifacts served by the server from `mlflow/` of the tenant's artifacts bucket, written
      with the tenant's key; the role reads and writes objects under that prefix only (it may
      list the bucket's keys);
    - internal only: a ClusterIP Service in a namespace whose NetworkPolicies admit the
      tenant's own pods (and the platform gateway's); one more policy lets the server reach
      PostgreSQL in the VPC. It answers Host headers of its Service names and loopback only.

    Whoever holds Kubernetes `edit` in the namespace (the tenant's admin and developer
    personas) can read the synced admin Secret and run pods as `mlflow` with the server's
    rights: they are the tenant's own. MLflow creates its admin once: a new value in the
    secret does not change the admin's password in MLflow. The databases outlive the
    release; `pulumi destroy` leaves them in Aurora.
    """

    release: k8s.helm.v3.Release
    admin_secret: aws.secretsmanager.Secret
    url: str

    def __init__(
        self, name: str, args: SelfHostedTrackingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:SelfHostedTracking", name, None, opts)
        namespace = args.tenant
        database = tracking_database(namespace)
        in_namespace = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=list(args.ready)
        )
        self.admin_secret = generated_secret(
            self,
            f"{name}-admin",
            secret_place(args.name_prefix, args.tenant, args.key_arn, args.tags),
            ADMIN_SECRET_ITEM,
            f"MLflow of tenant {args.tenant}: the first admin's sign-in",
            login=ADMIN_USER,
            protect=args.protect,
        )
        identities = ServiceIdentities(
            args.scope,
            f"{args.name_prefix}-{args.tenant}",
            args.cluster_name,
            namespace,
            args.tags,
            parent=self,
            in_namespace=in_namespace,
        )
        role = identities.role(
            f"{name}-server",
            role="mlflow",
            service_account=SERVICE_ACCOUNT,
            description=f"MLflow of tenant {args.tenant}: its database user, artifacts, sign-in",
            statements=[
                database_connect_statement(args.scope, args.database_resource_id, database.user),
                *secret_read_statements(args.scope, [self.admin_secret.arn], args.key_arn),
                *artifact_store_statements(
                    args.artifacts_bucket_arn, args.key_arn, args.scope.region
                ),
            ],
        )
        if args.admin_role is not None:
            aws.iam.RolePolicy(
                f"{name}-admin-sign-in",
                role=args.admin_role.id,
                name="read-mlflow-admin",
                policy=policy_document(
                    secret_read_statements(args.scope, [self.admin_secret.arn], args.key_arn)
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        made = [
            role,
            secret_provider_class(
                f"{name}-admin-provider",
                ADMIN_SECRET,
                namespace,
                args.scope.region,
                master_secret_objects(self.admin_secret.arn),
                opts=in_namespace,
                sync_to=ADMIN_SECRET,
            ),
            k8s.core.v1.ConfigMap(
                f"{name}-iam-auth",
                metadata={"name": IAM_AUTH_HOOK, "namespace": namespace},
                data={"sitecustomize.py": IAM_AUTH_HOOK_SOURCE.read_text()},
                opts=in_namespace,
            ),
            k8s.core.v1.Secret(
                f"{name}-database-login",
                metadata={"name": DATABASE_LOGIN, "namespace": namespace},
                type="Opaque",
                string_data={"username": database.user, "password": ""},
                opts=in_namespace,
            ),
        ]
        namespace_network_policies(
            name,
            namespace,
            {
                "allow-mlflow-database": {
                    "podSelector": {"matchLabels": POD_LABELS},
                    "policyTypes": ["Egress"],
                    "egress": [postgres_in(args.database_cidr)],
                }
            },
            in_namespace,
        )
        settings = ServerSettings(
            namespace=namespace,
            region=args.scope.region,
            database_host=args.database_host,
            artifacts_bucket=args.artifacts_bucket,
            key_arn=args.key_arn,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=namespace,
            create_namespace=False,
            values=chart_values(settings),
            opts=pulumi.ResourceOptions.merge(
                in_namespace, pulumi.ResourceOptions(depends_on=made)
            ),
        )
        self.url = tracking_url(namespace)
        self.register_outputs({"url": self.url, "adminSecretArn": self.admin_secret.arn})
