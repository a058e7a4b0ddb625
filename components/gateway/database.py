"""An Aurora PostgreSQL Serverless v2 cluster for a platform service (the gateway's teams,
keys and spend), reachable only from the cluster that runs the service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.gateway.network import clients_only_security_group
from components.names import bounded_name

ENGINE = aws.rds.EngineType.AURORA_POSTGRESQL
ENGINE_VERSION = "17.7"
"""Aurora PostgreSQL 17.7, released 2025-12-18 (Aurora PostgreSQL release notes,
auroraqpm.updates) and run on Serverless v2 in public deployments; check a region with
`aws rds describe-orderable-db-instance-options --engine aurora-postgresql
--db-instance-class db.serverless`. Later minor releases apply in the maintenance window."""
PORT = 5432
LOG_EXPORTS = ("postgresql", "iam-db-auth-error")
"""The engine log and IAM authentication failures, to CloudWatch Logs (the values
CreateDBCluster accepts for aurora-postgresql)."""
IDENTIFIER_LIMIT = 63
"""DB cluster and instance identifiers: at most 63 characters (CreateDBCluster)."""


@dataclass(frozen=True)
class ServiceDatabaseArgs:
    """Inputs of a ServiceDatabase.

    `backup_days` and `deletion_protection` come from the stack's compliance profiles
    (policies/profiles.py); the cluster is retained on `pulumi destroy` whatever they say,
    and a final snapshot is taken if it is ever deleted.
    """

    identifier: str
    database_name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups allowed to connect (the EKS cluster's, which its pods carry)."""
    key_arn: pulumi.Input[str]
    min_capacity: float
    max_capacity: float
    backup_days: int
    deletion_protection: bool
    tags: Mapping[str, str]
    protect: bool = False


class ServiceDatabase(pulumi.ComponentResource):
    """Aurora PostgreSQL Serverless v2 with:

    - storage, Performance Insights and the RDS-managed master secret encrypted with the
      platform key; the master password is generated and rotated by RDS in Secrets Manager,
      never passed through Pulumi;
    - IAM database authentication on, so services connect with short-lived tokens from their
      Pod Identity role instead of a stored password;
    - private subnets only, not publicly accessible, and a security group that admits
      PostgreSQL from the given client groups only;
    - automated backups and deletion protection per profile, copy of tags to snapshots, a
      final snapshot on deletion, and retention on `pulumi destroy` (the data outlives the
      stack).
    """

    cluster: aws.rds.Cluster
    instance: aws.rds.ClusterInstance
    security_group: aws.ec2.SecurityGroup
    endpoint: pulumi.Output[str]
    resource_id: pulumi.Output[str]
    """The cluster's resource ID, which `rds-db:connect` ARNs name."""

    def __init__(
        self, name: str, args: ServiceDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:gateway:ServiceDatabase", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True)
        identifier = bounded_name(args.identifier, IDENTIFIER_LIMIT, trim="-")
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=identifier,
            description=f"Private subnets of {identifier}",
            subnet_ids=list(args.subnet_ids),
            tags=dict(args.tags),
            opts=keep,
        )
        self.security_group = clients_only_security_group(
            name,
            vpc_id=args.vpc_id,
            what="PostgreSQL",
            of=identifier,
            ports=(PORT, PORT),
            clients=args.client_security_group_ids,
            tags={**args.tags, "Name": f"{identifier}-db"},
            opts=child,
        )
        self.cluster = aws.rds.Cluster(
            name,
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            engine_mode="provisioned",
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args.min_capacity, max_capacity=args.max_capacity
            ),
            database_name=args.database_name,
            master_username="plinth_admin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.key_arn,
            iam_database_authentication_enabled=True,
            storage_encrypted=True,
            kms_key_id=args.key_arn,
            port=PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            backup_retention_period=args.backup_days,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{identifier}-final",
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            tags=dict(args.tags),
            opts=keep,
        )
        self.instance = aws.rds.ClusterInstance(
            f"{name}-writer",
            identifier=bounded_name(f"{args.identifier}-1", IDENTIFIER_LIMIT, trim="-"),
            cluster_identifier=self.cluster.id,
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_version=self.cluster.engine_version,
            instance_class="db.serverless",
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.key_arn,
            db_subnet_group_name=subnets.name,
            tags=dict(args.tags),
            opts=keep,
        )
        self.endpoint = self.cluster.endpoint
        self.resource_id = self.cluster.cluster_resource_id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "resourceId": self.resource_id,
                "masterUserSecret": self.cluster.master_user_secrets,
            }
        )
