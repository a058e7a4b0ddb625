"""S3: encryption with KMS, versioning, no public access, TLS only, access logging, object lock.

Plinth configures each protection of a bucket as its own resource (as the AWS provider
recommends), so most rules here are stack rules: they find, for every bucket, the resource
that refers to it through its `bucket` input. They follow property dependencies rather than
bucket names, which are unknown in a real preview of a new bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policies.catalog import Profile
from policies.profiles import PROFILE_SETTINGS, by_profile
from policies.props import (
    as_list,
    condition_values,
    dig,
    known,
    of_type,
    open_to_anyone,
    referencing,
    sid,
    statements,
)
from policies.report import Report
from policies.rule import Config, Param, advisory, at_least, resource_rule, stack_rule

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
TRAIL = ("aws:cloudtrail/trail:Trail",)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)

AT_REST = {
    "hipaa": ["164.312(a)(2)(iv)"],
    "gdpr": ["Art. 32"],
    "soc2": ["CC6.1"],
    "pci": ["3.5.1"],
    "nist-800-53": ["SC-28", "SC-13"],
}
NO_PUBLIC_ACCESS = {
    "hipaa": ["164.312(a)(1)"],
    "gdpr": ["Art. 25", "Art. 32"],
    "soc2": ["CC6.1", "CC6.6"],
    "pci": ["1.4.2", "7.2.1"],
    "nist-800-53": ["AC-3", "SC-7"],
}


def _attached(
    args: StackValidationArgs, bucket: PolicyResource, types: tuple[str, ...]
) -> list[PolicyResource]:
    return referencing(of_type(args, *types), "bucket", bucket)


def _log_targets(args: StackValidationArgs) -> set[str]:
    """URNs of buckets that receive S3 server access logs (S3 requires SSE-S3 for them)."""
    return {
        dep.urn
        for logging in of_type(args, *LOGGING)
        for dep in logging.property_dependencies.get("targetBucket", ())
    }


def _rules_of(resource: PolicyResource) -> list[Mapping[str, Any]]:
    return as_list(dig(resource.props, "rules"))


def _inline(bucket: PolicyResource, key: str) -> Any:
    """A deprecated inline setting of the bucket itself, when known.

    Stack policies see a bucket's state: during a preview these provider-computed settings are
    unknown, and after deployment they echo whatever S3 reports. They count only for buckets
    that have no separate settings resource.
    """
    return known(bucket.props, key)


def sse_kms_problem(rule: Mapping[str, Any]) -> str | None:
    """Why one SSE rule is not SSE-KMS with a customer-managed key, or None when it is."""
    default = dig(rule, "applyServerSideEncryptionByDefault", default={})
    algorithm = dig(default, "sseAlgorithm")
    if algorithm not in KMS_ALGORITHMS:
        return f"encrypted with {algorithm!r}, not SSE-KMS"
    if not dig(default, "kmsMasterKeyId"):
        return "SSE-KMS without kms_master_key_id uses the AWS-managed key"
    return None


def bucket_encryption_rules(args: StackValidationArgs, bucket: PolicyResource) -> list[Any]:
    """The SSE rules in force: the separate resources', else the inline configuration's."""
    separate = _attached(args, bucket, ENCRYPTION)
    if separate:
        return [rule for resource in separate for rule in _rules_of(resource)]
    return as_list(dig(_inline(bucket, "serverSideEncryptionConfiguration"), "rule"))


@stack_rule(
    id="storage-bucket-encryption",
    area="storage",
    description="Every S3 bucket has a server-side encryption configuration.",
    severity="high",
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket "
    "(components.storage.SecureBucket does this).",
    controls=AT_REST,
)
def bucket_encryption(args: StackValidationArgs, report: Report, _: Config) -> None:
    for bucket in of_type(args, *BUCKETS):
        if not bucket_encryption_rules(args, bucket):
            report("the bucket has no server-side encryption configuration", bucket.urn)


@stack_rule(
    id="storage-bucket-kms",
    area="storage",
    description="S3 buckets are encrypted with a customer-managed KMS key (SSE-KMS), except "
    "server-access-log buckets, which S3 requires to use SSE-S3.",
    severity="high",
    remediation="Set apply_server_side_encryption_by_default to sse_algorithm='aws:kms' with "
    "kms_master_key_id of a customer-managed key, and bucket_key_enabled=True.",
    controls={**AT_REST, "nist-800-53": ["SC-28", "SC-12"], "pci": ["3.5.1", "3.6.1"]},
)
def bucket_kms(args: StackValidationArgs, report: Report, _: Config) -> None:
    log_targets = _log_targets(args)
    for bucket in of_type(args, *BUCKETS):
        if bucket.urn in log_targets:
            continue
        for rule in bucket_encryption_rules(args, bucket):
            problem = sse_kms_problem(rule)
            if problem:
                report(problem, bucket.urn)


@stack_rule(
    id="storage-bucket-public-access-block",
    area="storage",
    description="Every S3 bucket has a public access block with all four settings on.",
    severity="critical",
    remediation="Add an aws.s3.BucketPublicAccessBlock with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets all True.",
    controls=NO_PUBLIC_ACCESS,
)
def bucket_public_access_block(args: StackValidationArgs, report: Report, _: Config) -> None:
    settings = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in of_type(args, *BUCKETS):
        blocks = _attached(args, bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            report("the bucket has no public access block", bucket.urn)
        for block in blocks:
            off = [name for name in settings if dig(block.props, name) is not True]
            if off:
                report(f"public access block leaves off: {', '.join(off)}", bucket.urn)


@stack_rule(
    id="storage-bucket-versioning",
    area="storage",
    description="Every S3 bucket keeps object versions, so overwritten or deleted data can be "
    "recovered.",
    severity="medium",
    remediation="Add an aws.s3.BucketVersioning with versioning_configuration status 'Enabled'.",
    controls={
        "hipaa": ["164.312(c)(1)"],
        "gdpr": ["Art. 32"],
        "nist-800-53": ["CP-10"],
    },
)
def bucket_versioning(args: StackValidationArgs, report: Report, _: Config) -> None:
    for bucket in of_type(args, *BUCKETS):
        separate = _attached(args, bucket, VERSIONING)
        statuses = [dig(v.props, "versioningConfiguration", "status") for v in separate]
        if not separate and dig(_inline(bucket, "versioning"), "enabled") is True:
            statuses.append("Enabled")
        if "Enabled" not in statuses:
            report("versioning is not enabled", bucket.urn)


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    insecure = condition_values(statement, "Bool", "aws:SecureTransport")
    return statement.get("Effect") == "Deny" and any(v.lower() == "false" for v in insecure)


@stack_rule(
    id="storage-bucket-tls-only",
    area="storage",
    description="Every S3 bucket policy denies requests not made over TLS.",
    severity="high",
    remediation="Add a bucket policy statement denying s3:* when aws:SecureTransport is false.",
    controls={
        "hipaa": ["164.312(e)(1)", "164.312(e)(2)(ii)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.7"],
        "pci": ["4.2.1"],
        "nist-800-53": ["SC-8"],
    },
)
def bucket_tls_only(args: StackValidationArgs, report: Report, _: Config) -> None:
    for bucket in of_type(args, *BUCKETS):
        documents = [p.props.get("policy") for p in _attached(args, bucket, BUCKET_POLICY)]
        if not any(_denies_insecure_transport(s) for d in documents for s in statements(d)):
            report("no bucket policy denies aws:SecureTransport=false", bucket.urn)


@stack_rule(
    id="storage-bucket-access-logging",
    area="storage",
    description="S3 buckets log server access to a log bucket (log buckets themselves excepted).",
    severity="medium",
    remediation="Add an aws.s3.BucketLogging pointing at the platform's access-log bucket "
    "(SecureBucketArgs.access_logs).",
    controls={
        "hipaa": ["164.312(b)"],
        "soc2": ["CC7.2"],
        "pci": ["10.2.1"],
        "nist-800-53": ["AU-2", "AU-12"],
    },
    enforcement=advisory(mandatory_in=("soc2", "hipaa", "pci")),
)
def bucket_access_logging(args: StackValidationArgs, report: Report, _: Config) -> None:
    log_targets = _log_targets(args)
    for bucket in of_type(args, *BUCKETS):
        if bucket.urn not in log_targets and not _attached(args, bucket, LOGGING):
            report("server access logging is not configured", bucket.urn)


@stack_rule(
    id="storage-audit-log-object-lock",
    area="storage",
    description="Buckets that receive CloudTrail logs use S3 Object Lock with a default "
    "retention, so audit logs cannot be altered or deleted early.",
    severity="high",
    remediation="Add an aws.s3.BucketObjectLockConfiguration with object_lock_enabled="
    "'Enabled' (or create the bucket with object_lock_enabled=True) whose default retention "
    "meets the profile.",
    controls={"pci": ["10.3.2"], "nist-800-53": ["AU-9", "AU-11"]},
    params=(
        Param(
            name="minRetentionDays",
            description="Shortest default object-lock retention for audit-log buckets, in days.",
            schema={"type": "integer", "minimum": 1},
            default=PROFILE_SETTINGS[Profile.BASELINE].audit_log_days,
            merge=at_least,
            by_profile=by_profile("audit_log_days"),
        ),
        Param(
            name="requireComplianceMode",
            description="Require COMPLIANCE mode (no one, root included, can shorten retention).",
            schema={"type": "boolean"},
            default=False,
            merge=any,
            by_profile={p: s.audit_log_lock == "COMPLIANCE" for p, s in PROFILE_SETTINGS.items()},
        ),
    ),
)
def audit_log_object_lock(args: StackValidationArgs, report: Report, config: Config) -> None:
    trails = of_type(args, *TRAIL)
    for bucket in of_type(args, *BUCKETS):
        if not referencing(trails, "s3BucketName", bucket):
            continue
        locks = _attached(args, bucket, OBJECT_LOCK)
        # S3 turns object lock on at creation or, for a versioned bucket, through the lock
        # configuration's ObjectLockEnabled (PutObjectLockConfiguration).
        enabled = known(bucket.props, "objectLockEnabled") is True or any(
            known(lock.props, "objectLockEnabled") == "Enabled" for lock in locks
        )
        if not enabled or not locks:
            report("audit-log bucket without object lock and a default retention", bucket.urn)
        for lock in locks:
            retention = dig(lock.props, "rule", "defaultRetention", default={})
            # A retention of N years lasts at least N * 365 days and up to N * 366; S3 counts
            # calendar years, so N years meets an N-year minimum (2192 days is six years).
            days = (dig(retention, "days") or 0) + 366 * (dig(retention, "years") or 0)
            if days < config["minRetentionDays"]:
                report(
                    f"object-lock retention {days} days is under {config['minRetentionDays']}",
                    bucket.urn,
                )
            if config["requireComplianceMode"] and dig(retention, "mode") != "COMPLIANCE":
                report(
                    f"object-lock mode {dig(retention, 'mode')!r}, profile requires COMPLIANCE",
                    bucket.urn,
                )


@resource_rule(
    id="storage-no-public-acls",
    area="storage",
    description="No bucket or object grants access to everyone through an ACL.",
    severity="critical",
    remediation="Remove public canned ACLs and AllUsers/AuthenticatedUsers grants; keep "
    "object ownership at BucketOwnerEnforced so ACLs are disabled.",
    controls=NO_PUBLIC_ACCESS,
    types=(
        *BUCKETS,
        "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketAclV2:BucketAclV2",
        "aws:s3/bucketObject:BucketObject",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    ),
)
def no_public_acls(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    acl = dig(args.props, "acl")
    if acl in PUBLIC_CANNED_ACLS:
        report(f"canned ACL {acl!r} makes it public")
    grants = [dig(g, "grantee") for g in as_list(dig(args.props, "accessControlPolicy", "grants"))]
    grants += as_list(dig(args.props, "grants"))  # the bucket's deprecated inline grants
    for grant in grants:
        uri = dig(grant, "uri")
        if uri in PUBLIC_GRANTEES:
            report(f"ACL grants access to {uri}")


@resource_rule(
    id="storage-bucket-policy-no-public-principal",
    area="storage",
    description="Bucket policies never allow the anonymous principal without a condition.",
    severity="critical",
    remediation="Replace Principal '*' with the account or role ARNs that need access, or add "
    "a condition such as aws:PrincipalOrgID or aws:SourceVpce.",
    controls=NO_PUBLIC_ACCESS,
    types=BUCKET_POLICY,
)
def bucket_policy_no_public_principal(
    args: ResourceValidationArgs, report: Report, _: Config
) -> None:
    for statement in statements(dig(args.props, "policy")):
        if open_to_anyone(statement):
            report(f"statement {sid(statement)} allows any principal")


@resource_rule(
    id="storage-acls-disabled",
    area="storage",
    description="Bucket ownership controls keep ACLs disabled (BucketOwnerEnforced).",
    severity="low",
    remediation="Set object_ownership='BucketOwnerEnforced' in aws.s3.BucketOwnershipControls.",
    controls={"soc2": ["CC6.1"], "nist-800-53": ["AC-3"]},
    enforcement=advisory(),
    types=("aws:s3/bucketOwnershipControls:BucketOwnershipControls",),
)
def acls_disabled(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    ownership = dig(args.props, "rule", "objectOwnership")
    if ownership != "BucketOwnerEnforced":
        report(f"object ownership {ownership!r} leaves ACLs in effect")
