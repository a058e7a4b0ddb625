"""Fixtures for policies/rules/database.py."""

from __future__ import annotations

from typing import Any

from rule_cases import complies, res, violates

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

HARDENED_CLUSTER = {
    "clusterIdentifier": "plinth-dev-gateway",
    "engine": "aurora-postgresql",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "iamDatabaseAuthenticationEnabled": True,
    "backupRetentionPeriod": 35,
    "deletionProtection": True,
    "enabledCloudwatchLogsExports": ["postgresql", "iam-db-auth-error"],
}


def cluster(**changes: Any):  # type: ignore[no-untyped-def]
    props = {k: v for k, v in {**HARDENED_CLUSTER, **changes}.items() if v is not None}
    return res(CLUSTER, "db", props)


def instance(**props: Any):  # type: ignore[no-untyped-def]
    return res(INSTANCE, "db", props)


HARDENED_CACHE = {"engine": "valkey", "kmsKeyId": KEY, "userGroupId": "gateway-users"}
HARDENED_GROUP = {
    "transitEncryptionEnabled": True,
    "atRestEncryptionEnabled": True,
    "kmsKeyId": KEY,
    "userGroupIds": ["gateway-users"],
}


def cache(**changes: Any):  # type: ignore[no-untyped-def]
    props = {k: v for k, v in {**HARDENED_CACHE, **changes}.items() if v is not None}
    return res(SERVERLESS_CACHE, "cache", props)


def group(**changes: Any):  # type: ignore[no-untyped-def]
    props = {k: v for k, v in {**HARDENED_GROUP, **changes}.items() if v is not None}
    return res(REPLICATION_GROUP, "cache", props)


ENCRYPTED = "database-encrypted-customer-key"
PUBLIC = "database-not-public"
IAM_AUTH = "database-iam-authentication"
BACKUPS = "database-backup-retention"
DELETION = "database-deletion-protection"
CACHE_ENCRYPTED = "cache-encrypted"
CACHE_AUTH = "cache-authentication"
MINOR_UPGRADES = "database-minor-version-upgrades"
LOGS = "database-logs-exported"

CASES = [
    complies(
        MINOR_UPGRADES,
        "the default",
        res(CLUSTER_INSTANCE, "writer", {"instanceClass": "db.serverless"}),
    ),
    violates(
        MINOR_UPGRADES,
        "upgrades off",
        instance(engine="postgres", autoMinorVersionUpgrade=False),
        expect="minor version upgrades are off",
    ),
    complies(LOGS, "engine and IAM logs exported", cluster()),
    violates(
        LOGS,
        "nothing exported",
        cluster(enabledCloudwatchLogsExports=None),
        expect="no engine log",
    ),
    complies(ENCRYPTED, "customer key", cluster()),
    violates(ENCRYPTED, "unencrypted", cluster(storageEncrypted=None), expect="not encrypted"),
    violates(ENCRYPTED, "AWS managed key", cluster(kmsKeyId=None), expect="aws/rds"),
    violates(ENCRYPTED, "an instance without encryption", instance(engine="postgres")),
    violates(ENCRYPTED, "a named cluster without encryption", cluster(storageEncrypted=None)),
    complies(
        ENCRYPTED,
        "a read replica, encrypted as its source is",
        instance(engine="postgres", replicateSourceDb="plinth-dev-db"),
    ),
    complies(
        ENCRYPTED,
        "a cluster restored from a snapshot",
        cluster(storageEncrypted=None, kmsKeyId=None, snapshotIdentifier="before-migration"),
    ),
    violates(
        ENCRYPTED,
        "a replica that turns encryption off",
        instance(engine="mysql", replicateSourceDb="db", storageEncrypted=False),
        expect="not encrypted",
    ),
    complies(PUBLIC, "private cluster instance", res(CLUSTER_INSTANCE, "db-1", {})),
    violates(
        PUBLIC,
        "public cluster instance",
        res(CLUSTER_INSTANCE, "db-1", {"publiclyAccessible": True}),
    ),
    violates(PUBLIC, "public instance", instance(publiclyAccessible=True)),
    complies(IAM_AUTH, "IAM auth on", cluster()),
    violates(
        IAM_AUTH,
        "IAM auth off",
        cluster(iamDatabaseAuthenticationEnabled=None),
        profiles=("soc2",),
    ),
    violates(IAM_AUTH, "IAM auth off on a MySQL instance", instance(engine="mysql")),
    complies(IAM_AUTH, "SQL Server has no IAM auth", instance(engine="sqlserver-se")),
    complies(BACKUPS, "35 days under HIPAA", cluster(), profiles=("hipaa",)),
    violates(BACKUPS, "the 1-day default", cluster(backupRetentionPeriod=None), expect="1 days"),
    violates(
        BACKUPS,
        "14 days under PCI DSS",
        cluster(backupRetentionPeriod=14),
        profiles=("pci",),
        expect="under 35",
    ),
    complies(BACKUPS, "7 days under baseline", cluster(backupRetentionPeriod=7)),
    complies(
        BACKUPS,
        "a read replica, recovered from its source's backups",
        instance(engine="postgres", replicateSourceDb="plinth-dev-db"),
    ),
    violates(BACKUPS, "a standalone instance on the default", instance(engine="postgres")),
    complies(DELETION, "protected", cluster()),
    violates(DELETION, "unprotected", cluster(deletionProtection=None), profiles=("hipaa",)),
    complies(CACHE_ENCRYPTED, "serverless with a customer key", cache()),
    violates(CACHE_ENCRYPTED, "serverless with the AWS owned key", cache(kmsKeyId=None)),
    complies(CACHE_ENCRYPTED, "replication group, TLS required, customer key", group()),
    violates(
        CACHE_ENCRYPTED,
        "replication group without TLS",
        group(transitEncryptionEnabled=None),
        expect="TLS in transit is off",
    ),
    violates(
        CACHE_ENCRYPTED,
        "replication group with TLS only preferred",
        group(transitEncryptionMode="preferred"),
        expect="preferred",
    ),
    violates(
        CACHE_ENCRYPTED,
        "replication group unencrypted at rest",
        group(atRestEncryptionEnabled=False),
        expect="at rest is off",
    ),
    complies(
        CACHE_ENCRYPTED,
        "Valkey replication group, encrypted at rest by default",
        group(engine="valkey", atRestEncryptionEnabled=None),
    ),
    violates(
        CACHE_ENCRYPTED,
        "Redis OSS replication group on its default",
        group(atRestEncryptionEnabled=None),
        expect="at rest is off",
    ),
    complies(CACHE_AUTH, "serverless with a user group", cache()),
    violates(CACHE_AUTH, "serverless without a user group", cache(userGroupId=None)),
    complies(
        CACHE_AUTH, "replication group with an AUTH token", group(userGroupIds=None, authToken="x")
    ),
    violates(CACHE_AUTH, "replication group open", group(userGroupIds=None)),
]
