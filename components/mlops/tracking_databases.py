"""The platform's side of the tenants' self-hosted MLflow (selfhosted.py): their databases on
the platform's Aurora cluster, made by Jobs in a platform namespace that holds the master
user's secret, which no tenant namespace may."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.gateway.bootstrap import (
    DatabaseBootstrapArgs,
    database_bootstrap,
    master_secret_objects,
    owner_of_new_database,
)
from components.gateway.csi import secret_provider_class
from components.gateway.identity import PodRole, ServiceIdentities, secret_read_statements
from components.gateway.network import (
    BASE_EGRESS,
    DEFAULT_DENY,
    namespace_network_policies,
    restricted_namespace,
)
from components.mlops.selfhosted import postgres_in, tracking_database
from components.scope import AwsScope

BOOTSTRAP_NAMESPACE = "plinth-mlops"
"""The platform namespace whose Jobs create the tenants' MLflow databases: they sign in as the
Aurora master user, which no tenant namespace may hold."""
BOOTSTRAP_ACCOUNT = "mlflow-db-bootstrap"
MASTER_PROVIDER_CLASS = "aurora-master"


@dataclass(frozen=True)
class TrackingDatabasesArgs:
    """The platform's Aurora cluster (its master secret and host) on the gateway's cluster,
    and the tenants whose MLflow databases to make there."""

    scope: AwsScope
    name_prefix: str
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    ready: Sequence[pulumi.Resource]
    database_host: pulumi.Input[str]
    master_secret_arn: pulumi.Input[str]
    master_key_arn: pulumi.Input[str]
    initial_database: str
    """The cluster's initial database, where psql signs in first."""
    database_cidr: str
    """Where Aurora answers (the VPC)."""
    tenants: Sequence[str]
    tags: Mapping[str, str]


class TrackingDatabases(pulumi.ComponentResource):
    """The tenants' MLflow databases, made by the platform, not by the tenants: in the
    `plinth-mlops` namespace (`restricted`, default deny, egress to DNS, Pod Identity and
    PostgreSQL only), one Job per tenant signs in as Aurora's master user (its own Pod
    Identity role reads the RDS-managed master secret) and, idempotently, creates the user
    `mlflow_<tenant>` (IAM sign-in only) and the two databases it owns. `jobs` maps each
    tenant to its Job, which the tenant's server waits for."""

    jobs: dict[str, k8s.batch.v1.Job]

    def __init__(
        self, name: str, args: TrackingDatabasesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:TrackingDatabases", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = restricted_namespace(
            f"{name}-namespace",
            BOOTSTRAP_NAMESPACE,
            pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=list(args.ready))
            ),
        )
        in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace, *args.ready])
        )
        role: PodRole = ServiceIdentities(
            args.scope,
            args.name_prefix,
            args.cluster_name,
            BOOTSTRAP_NAMESPACE,
            args.tags,
            parent=self,
            in_namespace=in_namespace,
        ).role(
            f"{name}-bootstrap",
            role=BOOTSTRAP_ACCOUNT,
            service_account=BOOTSTRAP_ACCOUNT,
            description="Tenants' MLflow databases bootstrap (reads the database master secret)",
            statements=secret_read_statements(
                args.scope, [args.master_secret_arn], args.master_key_arn
            ),
        )
        master = secret_provider_class(
            f"{name}-master",
            MASTER_PROVIDER_CLASS,
            BOOTSTRAP_NAMESPACE,
            args.scope.region,
            master_secret_objects(args.master_secret_arn),
            opts=in_namespace,
        )
        namespace_network_policies(
            name,
            BOOTSTRAP_NAMESPACE,
            {
                "default-deny": DEFAULT_DENY,
                "allow-egress": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [*BASE_EGRESS, postgres_in(args.database_cidr)],
                },
            },
            in_namespace,
        )
        self.jobs = {}
        for tenant in args.tenants:
            database = tracking_database(tenant)
            self.jobs[tenant] = database_bootstrap(
                f"{name}-{tenant}",
                DatabaseBootstrapArgs(
                    job_name=f"mlflow-{tenant}-db",
                    namespace=BOOTSTRAP_NAMESPACE,
                    service_account=BOOTSTRAP_ACCOUNT,
                    database_host=args.database_host,
                    database=args.initial_database,
                    sql=owner_of_new_database(database.user, database.tracking)
                    + owner_of_new_database(database.user, database.users),
                    provider_class=MASTER_PROVIDER_CLASS,
                ),
                pulumi.ResourceOptions.merge(
                    in_namespace, pulumi.ResourceOptions(depends_on=[role, master])
                ),
            )
        self.register_outputs({"namespace": BOOTSTRAP_NAMESPACE, "tenants": list(args.tenants)})
