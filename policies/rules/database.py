"""Databases and caches: encrypted with a customer key, private, IAM-authenticated, backed up,
guarded against deletion; caches encrypted in transit and at rest and behind authentication.

The gateway's Aurora cluster and Valkey cache (components/gateway) meet every rule here; the
rules also judge databases a platform team writes itself.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies.catalog import Profile
from policies.profiles import PROFILE_SETTINGS, by_profile
from policies.props import as_list, dig
from policies.report import Report
from policies.rule import Config, Param, advisory, at_least, resource_rule

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"

# Engines whose users can sign in with an IAM token (RDS: MySQL, MariaDB, PostgreSQL and their
# Aurora editions); Oracle, SQL Server and Db2 authenticate through Kerberos instead.
IAM_AUTH_ENGINES = ("aurora-mysql", "aurora-postgresql", "mysql", "mariadb", "postgres")
# RDS keeps 1 day of backups when backup_retention_period is left out.
RDS_DEFAULT_BACKUP_DAYS = 1
# Inputs that make a database a copy of another: its storage encryption (and key, unless given
# anew) comes from the source, which the rules judge where it is defined.
DERIVED_FROM = {
    RDS_INSTANCE: ("replicateSourceDb", "snapshotIdentifier", "restoreToPointInTime"),
    RDS_CLUSTER: ("snapshotIdentifier", "restoreToPointInTime", "replicationSourceIdentifier"),
}
# A read replica's recovery point is its source's backups (RDS for PostgreSQL keeps none for
# replicas at all).
REPLICA_OF = "replicateSourceDb"
# ElastiCache encrypts a replication group at rest by default for Valkey, not for Redis OSS
# (CreateReplicationGroup, AtRestEncryptionEnabled); Pulumi's engine defaults to redis.
AT_REST_BY_DEFAULT = ("valkey",)


def _derived(resource_type: str, props: Any) -> bool:
    return any(dig(props, name) for name in DERIVED_FROM.get(resource_type, ()))


@resource_rule(
    id="database-encrypted-customer-key",
    area="database",
    description="RDS and Aurora storage is encrypted with a customer-managed KMS key, so the "
    "key policy decides who can read snapshots and the key can be disabled in an incident.",
    severity="high",
    remediation="Set storage_encrypted=True and kms_key_id to a customer-managed key (Plinth "
    "uses the platform key); an existing unencrypted database is encrypted by restoring an "
    "encrypted snapshot copy.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "pci": ["3.5.1"],
        "nist-800-53": ["SC-28"],
    },
    types=(RDS_CLUSTER, RDS_INSTANCE),
)
def database_encrypted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    encrypted = dig(args.props, "storageEncrypted")
    if encrypted is None and _derived(args.resource_type, args.props):
        return  # a replica or restore: encrypted as its source is
    if encrypted is not True:
        report("storage is not encrypted (storage_encrypted is off)")
    elif not dig(args.props, "kmsKeyId"):
        report("storage is encrypted with the AWS managed key aws/rds, not a customer key")


@resource_rule(
    id="database-not-public",
    area="database",
    description="Database instances are not publicly accessible: no public address, reachable "
    "only from inside the VPC.",
    severity="critical",
    remediation="Set publicly_accessible=False and place the database in private subnets "
    "(Plinth's databases use the network's private subnets); reach it through the VPC.",
    controls={
        "hipaa": ["164.312(e)(1)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.6"],
        "pci": ["1.3.1", "1.4.2"],
        "nist-800-53": ["SC-7", "AC-4"],
    },
    types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE),
)
def database_not_public(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "publiclyAccessible") is True:
        report("the instance is publicly accessible")


@resource_rule(
    id="database-iam-authentication",
    area="database",
    description="MySQL, MariaDB and PostgreSQL databases accept IAM authentication, so services "
    "sign in with short-lived tokens from their role instead of a stored password.",
    severity="medium",
    remediation="Set iam_database_authentication_enabled=True and grant the service's role "
    "rds-db:connect on its database user (components/gateway/identity.py shows the statement).",
    controls={
        "soc2": ["CC6.1"],
        "pci": ["8.6.3"],
        "nist-800-53": ["IA-5", "AC-2"],
    },
    enforcement=advisory(mandatory_in=(Profile.SOC2, Profile.HIPAA, Profile.PCI)),
    types=(RDS_CLUSTER, RDS_INSTANCE),
)
def database_iam_authentication(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "engine") not in IAM_AUTH_ENGINES:
        return
    if dig(args.props, "iamDatabaseAuthenticationEnabled") is not True:
        report("IAM database authentication is off")


@resource_rule(
    id="database-backup-retention",
    area="database",
    description="Automated backups are kept at least as long as the compliance profile asks, "
    "so a point-in-time restore reaches back past a bad migration noticed late.",
    severity="medium",
    remediation="Set backup_retention_period to the profile's minimum (7 days baseline, 14 "
    "SOC 2, 35 HIPAA and PCI DSS; RDS allows up to 35). Plinth sets it from the profile.",
    controls={
        "hipaa": ["164.312(c)(1)"],
        "soc2": ["CC7.2"],
        "pci": ["10.5.1"],
        "nist-800-53": ["CP-10"],
    },
    types=(RDS_CLUSTER, RDS_INSTANCE),
    params=(
        Param(
            name="minBackupDays",
            description="Shortest automated backup retention, in days (RDS allows 1-35).",
            schema={"type": "integer", "minimum": 1, "maximum": 35},
            default=PROFILE_SETTINGS[Profile.BASELINE].database_backup_days,
            merge=at_least,
            by_profile=by_profile("database_backup_days"),
        ),
    ),
)
def database_backup_retention(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if dig(args.props, REPLICA_OF):
        return
    days = dig(args.props, "backupRetentionPeriod", default=RDS_DEFAULT_BACKUP_DAYS)
    if days < config["minBackupDays"]:
        report(f"backups are kept {days:g} days, under {config['minBackupDays']}")


@resource_rule(
    id="database-deletion-protection",
    area="database",
    description="Databases refuse deletion until deletion protection is turned off on purpose, "
    "in the profiles whose controls ask for recoverable records.",
    severity="medium",
    remediation="Set deletion_protection=True (Plinth does under plinth:protect or a profile "
    "that asks for it); turn it off in a reviewed change before deleting the database.",
    fix={"*": "plinth:protect"},
    controls={"hipaa": ["164.312(c)(1)"], "soc2": ["CC7.2"], "nist-800-53": ["CP-10"]},
    enforcement=advisory(
        mandatory_in=[p for p, s in PROFILE_SETTINGS.items() if s.database_deletion_protection]
    ),
    types=(RDS_CLUSTER, RDS_INSTANCE),
)
def database_deletion_protection(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if dig(args.props, "deletionProtection") is not True:
        report("deletion protection is off")


@resource_rule(
    id="database-minor-version-upgrades",
    area="database",
    description="RDS and Aurora instances take the engine's minor versions (security fixes) in "
    "their maintenance window, rather than waiting for someone to remember.",
    severity="medium",
    remediation="Leave auto_minor_version_upgrade at its default (true) on aws.rds.Instance "
    "and aws.rds.ClusterInstance; pin a minor version only with a plan to move off it.",
    controls={"soc2": ["CC7.1"], "pci": ["6.3.3"], "nist-800-53": ["SI-2"]},
    types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE),
)
def database_minor_version_upgrades(
    args: ResourceValidationArgs, report: Report, _: Config
) -> None:
    if dig(args.props, "autoMinorVersionUpgrade") is False:
        report("minor version upgrades are off")


@resource_rule(
    id="database-logs-exported",
    area="database",
    description="Databases export their engine logs (and IAM sign-in failures) to CloudWatch "
    "Logs, where they are kept and alarmed on with the rest of the platform's logs.",
    severity="medium",
    remediation="Set enabled_cloudwatch_logs_exports (aurora-postgresql and postgres: "
    "postgresql, iam-db-auth-error; MySQL engines: error, slowquery, audit, iam-db-auth-error).",
    controls={
        "hipaa": ["164.312(b)"],
        "soc2": ["CC7.2"],
        "pci": ["10.2.1"],
        "nist-800-53": ["AU-2", "AU-12"],
    },
    types=(RDS_CLUSTER, RDS_INSTANCE),
)
def database_logs_exported(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not as_list(dig(args.props, "enabledCloudwatchLogsExports")):
        report("no engine log is exported to CloudWatch Logs")


@resource_rule(
    id="cache-encrypted",
    area="database",
    description="ElastiCache data is encrypted in transit (TLS) and at rest with a "
    "customer-managed KMS key.",
    severity="high",
    remediation="Serverless caches always use TLS and encryption at rest: give kms_key_id a "
    "customer key. Replication groups also need transit_encryption_enabled=True (mode "
    "'required') and at_rest_encryption_enabled=True.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1", "CC6.7"],
        "pci": ["3.5.1", "4.2.1"],
        "nist-800-53": ["SC-8", "SC-28"],
    },
    types=(SERVERLESS_CACHE, REPLICATION_GROUP),
)
def cache_encrypted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    props = args.props
    if args.resource_type == REPLICATION_GROUP:
        if dig(props, "transitEncryptionEnabled") is not True:
            report("TLS in transit is off")
        elif dig(props, "transitEncryptionMode", default="required") != "required":
            report("TLS is only preferred: clients may still connect in plain text")
        engine = dig(props, "engine", default="redis")
        at_rest = dig(props, "atRestEncryptionEnabled", default=engine in AT_REST_BY_DEFAULT)
        if at_rest is not True:
            report("encryption at rest is off")
    if not dig(props, "kmsKeyId"):
        report("data at rest is encrypted with an AWS owned key, not a customer key")


@resource_rule(
    id="cache-authentication",
    area="database",
    description="ElastiCache requires clients to authenticate (a user group with RBAC users or "
    "an AUTH token), so reaching the network is not enough to read or change the cache.",
    severity="high",
    remediation="Give the cache a user group (user_group_id on a serverless cache, "
    "user_group_ids on a replication group) whose default user is disabled; Plinth's gateway "
    "cache signs its service user in with IAM.",
    controls={
        "hipaa": ["164.312(d)"],
        "soc2": ["CC6.1"],
        "pci": ["8.3.2"],
        "nist-800-53": ["AC-3", "IA-5"],
    },
    types=(SERVERLESS_CACHE, REPLICATION_GROUP),
)
def cache_authentication(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    props = args.props
    if args.resource_type == SERVERLESS_CACHE:
        if not dig(props, "userGroupId"):
            report("no user group: any client that reaches the cache may use it")
    elif not as_list(dig(props, "userGroupIds")) and not dig(props, "authToken"):
        report("neither a user group nor an AUTH token: any client that reaches it may use it")
