"""Fixtures for policies/rules/storage.py."""

from __future__ import annotations

import json

from plinth.engine.values import UNKNOWN
from rule_cases import complies, res, violates

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
TRAIL = "aws:cloudtrail/trail:Trail"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

data = res(BUCKET, "data")
logs = res(BUCKET, "access-logs")
audit = res(BUCKET, "audit", {"objectLockEnabled": True})


def sse(bucket, algorithm="aws:kms", key=KEY_ARN, name=None):  # type: ignore[no-untyped-def]
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return res(
        SSE,
        name or f"{bucket.name}-sse",
        {"bucket": bucket.name, "rules": [{"applyServerSideEncryptionByDefault": default}]},
        deps={"bucket": [bucket]},
    )


def block(bucket, **off: bool):  # type: ignore[no-untyped-def]
    flags = dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )
    return res(
        PAB,
        f"{bucket.name}-pab",
        {"bucket": bucket.name, **flags, **off},
        deps={"bucket": [bucket]},
    )


def bucket_policy(bucket, statements):  # type: ignore[no-untyped-def]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return res(
        POLICY,
        f"{bucket.name}-policy",
        {"bucket": bucket.name, "policy": document},
        deps={"bucket": [bucket], "policy": [bucket]},
    )


def access_logging(bucket, target):  # type: ignore[no-untyped-def]
    return res(
        LOGGING,
        f"{bucket.name}-logging",
        {"bucket": bucket.name, "targetBucket": target.name},
        deps={"bucket": [bucket], "targetBucket": [target]},
    )


DENY_HTTP = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
PUBLIC_READ = {
    "Sid": "Public",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::data/*",
}
trail = res(TRAIL, "trail", {"s3BucketName": "audit"}, deps={"s3BucketName": [audit]})


def lock(days, mode="COMPLIANCE"):  # type: ignore[no-untyped-def]
    return res(
        LOCK,
        "audit-lock",
        {"bucket": "audit", "rule": {"defaultRetention": {"mode": mode, "days": days}}},
        deps={"bucket": [audit]},
    )


OPEN_OVER_TLS = {
    **PUBLIC_READ,
    "Sid": "OpenOverTls",
    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
}
AES256_RULE = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
DENY_HTTP_LIST = {**DENY_HTTP, "Condition": {"Bool": {"aws:securetransport": ["false"]}}}


def years_lock(years):  # type: ignore[no-untyped-def]
    return res(
        LOCK,
        "audit-lock",
        {"bucket": "audit", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": years}}},
        deps={"bucket": [audit]},
    )


CASES = [
    violates("storage-bucket-encryption", "bucket without encryption resource", data),
    complies("storage-bucket-encryption", "separate SSE resource", data, sse(data)),
    complies(
        "storage-bucket-encryption",
        "deprecated inline configuration",
        res(
            BUCKET,
            "inline",
            {
                "serverSideEncryptionConfiguration": {
                    "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
                }
            },
        ),
    ),
    violates(
        "storage-bucket-kms",
        "SSE-S3 on a data bucket",
        data,
        sse(data, "AES256", None),
        expect="AES256",
    ),
    violates(
        "storage-bucket-kms",
        "SSE-KMS with the AWS-managed key",
        data,
        sse(data, key=None),
        expect="AWS-managed",
    ),
    complies("storage-bucket-kms", "customer-managed key", data, sse(data)),
    complies(
        "storage-bucket-kms",
        "access-log bucket keeps SSE-S3 as S3 requires",
        data,
        logs,
        sse(data),
        sse(logs, "AES256", None),
        access_logging(data, logs),
    ),
    violates("storage-bucket-public-access-block", "no block", data),
    violates(
        "storage-bucket-public-access-block",
        "one flag off",
        data,
        block(data, ignorePublicAcls=False),
        expect="ignorePublicAcls",
    ),
    complies("storage-bucket-public-access-block", "all four on", data, block(data)),
    violates("storage-bucket-versioning", "no versioning", data),
    violates(
        "storage-bucket-versioning",
        "suspended",
        data,
        res(
            VERSIONING,
            "v",
            {"versioningConfiguration": {"status": "Suspended"}},
            deps={"bucket": [data]},
        ),
    ),
    complies(
        "storage-bucket-versioning",
        "enabled",
        data,
        res(
            VERSIONING,
            "v",
            {"versioningConfiguration": {"status": "Enabled"}},
            deps={"bucket": [data]},
        ),
    ),
    violates("storage-bucket-tls-only", "no bucket policy", data),
    violates(
        "storage-bucket-tls-only",
        "policy without the TLS deny",
        data,
        bucket_policy(data, [PUBLIC_READ]),
    ),
    complies(
        "storage-bucket-tls-only",
        "denies aws:SecureTransport=false",
        data,
        bucket_policy(data, [DENY_HTTP]),
    ),
    violates(
        "storage-bucket-access-logging",
        "data bucket without logging",
        data,
        logs,
        access_logging(logs, logs),
    ),
    complies(
        "storage-bucket-access-logging",
        "logs to the access-log bucket",
        data,
        logs,
        access_logging(data, logs),
    ),
    violates("storage-audit-log-object-lock", "trail bucket without lock", audit, trail),
    violates(
        "storage-audit-log-object-lock",
        "retention below the HIPAA six years",
        audit,
        trail,
        lock(365),
        profiles=("hipaa",),
        expect="under 2192",
    ),
    violates(
        "storage-audit-log-object-lock",
        "governance mode under PCI",
        audit,
        trail,
        lock(400, "GOVERNANCE"),
        profiles=("pci",),
        expect="COMPLIANCE",
    ),
    complies(
        "storage-audit-log-object-lock",
        "compliance-mode lock of six years",
        audit,
        trail,
        lock(2192),
        profiles=("hipaa",),
    ),
    complies("storage-audit-log-object-lock", "buckets without trails need no lock", data),
    complies(
        "storage-audit-log-object-lock",
        "lock enabled by the lock configuration on a versioned bucket",
        res(BUCKET, "audit"),
        trail,
        res(
            LOCK,
            "audit-lock",
            {
                "bucket": "audit",
                "objectLockEnabled": "Enabled",
                "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 365}},
            },
            deps={"bucket": [res(BUCKET, "audit")]},
        ),
    ),
    violates(
        "storage-audit-log-object-lock",
        "a default retention on a bucket whose lock is not enabled",
        res(BUCKET, "audit"),
        trail,
        res(
            LOCK,
            "audit-lock",
            {"bucket": "audit", "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 365}}},
            deps={"bucket": [res(BUCKET, "audit")]},
        ),
        expect="without object lock",
    ),
    violates(
        "storage-no-public-acls", "public-read canned ACL", res(BUCKET, "b", {"acl": "public-read"})
    ),
    violates(
        "storage-no-public-acls",
        "AllUsers grant",
        res(
            "aws:s3/bucketAcl:BucketAcl",
            "acl",
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "permission": "READ",
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            },
                        }
                    ]
                }
            },
        ),
        expect="AllUsers",
    ),
    violates(
        "storage-no-public-acls",
        "inline AllUsers grant on the bucket",
        res(
            BUCKET,
            "b",
            {
                "grants": [
                    {
                        "type": "Group",
                        "permissions": ["READ"],
                        "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                    }
                ]
            },
        ),
        expect="AllUsers",
    ),
    complies("storage-no-public-acls", "private ACL", res(BUCKET, "b", {"acl": "private"})),
    violates(
        "storage-bucket-policy-no-public-principal",
        "public read",
        bucket_policy(data, [PUBLIC_READ]),
    ),
    complies(
        "storage-bucket-policy-no-public-principal",
        "Principal * only in a conditioned deny",
        bucket_policy(data, [DENY_HTTP]),
    ),
    violates(
        "storage-acls-disabled",
        "ObjectWriter ownership",
        res(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "o",
            {"rule": {"objectOwnership": "ObjectWriter"}},
        ),
    ),
    complies(
        "storage-acls-disabled",
        "BucketOwnerEnforced",
        res(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "o",
            {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        ),
    ),
    complies(
        "storage-bucket-tls-only",
        "condition value as a list, key in another case",
        data,
        bucket_policy(data, [DENY_HTTP_LIST]),
    ),
    complies(
        "storage-bucket-versioning",
        "inline state unknown during preview; the separate resource decides",
        res(BUCKET, "data", {"versioning": UNKNOWN}),
        res(
            VERSIONING,
            "v",
            {"versioningConfiguration": {"status": "Enabled"}},
            deps={"bucket": [data]},
        ),
    ),
    violates(
        "storage-bucket-kms",
        "inline AES256 configuration and no separate resource",
        res(BUCKET, "data", {"serverSideEncryptionConfiguration": {"rule": AES256_RULE}}),
        expect="AES256",
    ),
    complies(
        "storage-bucket-kms",
        "a separate KMS resource wins over the bucket's echoed AES256 state",
        res(BUCKET, "data", {"serverSideEncryptionConfiguration": {"rule": AES256_RULE}}),
        sse(data),
    ),
    violates(
        "storage-bucket-policy-no-public-principal",
        "a TLS condition does not scope the principal",
        bucket_policy(data, [OPEN_OVER_TLS]),
        expect="OpenOverTls",
    ),
    complies(
        "storage-audit-log-object-lock",
        "a lock of six calendar years meets six years",
        audit,
        trail,
        years_lock(6),
        profiles=("hipaa",),
    ),
]
