"""A secure S3 bucket: private, encrypted, versioned, TLS-only, logged, with retention rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document
from components.scope import AwsScope


@dataclass(frozen=True)
class ObjectLock:
    """Default WORM retention applied to every new object version."""

    mode: str  # GOVERNANCE or COMPLIANCE
    days: int


@dataclass(frozen=True)
class AccessLogDestination:
    """Where a bucket's S3 server access logs go: a bucket that admits them (a SecureBucket
    made with `accepts_access_logs=True`, here or in another stack) and the key prefix for
    this bucket's logs. `ready` are the resources that make the target admit logs (its
    policy), so logging starts only once delivery works."""

    bucket_name: pulumi.Input[str]
    prefix: str
    ready: Sequence[pulumi.Resource] = ()

    def under(self, prefix: str) -> AccessLogDestination:
        """The same target with `prefix` appended to the key prefix."""
        return AccessLogDestination(self.bucket_name, f"{self.prefix}{prefix}", self.ready)


@dataclass(frozen=True)
class ServiceWriter:
    """An AWS service allowed to write objects under `key_prefix`, only on behalf of this
    account's resources matching `source_arn_like` (the confused-deputy guard)."""

    service: str
    """Service principal name without the domain, e.g. `bedrock` or `logging.s3`."""
    source_arn_like: pulumi.Input[str]
    key_prefix: pulumi.Input[str] = ""
    reads_bucket_acl: bool = False
    """CloudTrail reads the bucket ACL (s3:GetBucketAcl) before it delivers."""


@dataclass(frozen=True)
class SecureBucketArgs:
    """Inputs of a SecureBucket.

    Data buckets pass `kms_key_arn`. `accepts_access_logs=True` makes the bucket a target for
    S3 server access logs instead: S3 can only deliver those to a bucket encrypted with
    S3-managed keys (SSE-S3), so such a bucket must not set a KMS key.

    `retain_on_delete` defaults to True: `pulumi destroy` leaves the bucket and the settings
    that keep it private, encrypted and versioned, rather than deleting data or stripping its
    protection. Lifecycle, access logging and object-lock retention are not retained (unless
    `retain_retention_rules`): removing them from the program removes them from the bucket.

    Object lock can be turned on for an existing bucket (it is versioned), never off again.
    """

    scope: AwsScope
    tags: Mapping[str, str]
    kms_key_arn: pulumi.Input[str] | None = None
    access_logs: AccessLogDestination | None = None
    accepts_access_logs: bool = False
    noncurrent_version_days: int = 90
    expire_objects_after_days: int | None = None
    object_lock: ObjectLock | None = None
    service_writers: tuple[ServiceWriter, ...] = ()
    retain_on_delete: bool = True
    retain_retention_rules: bool = False
    """Keep lifecycle and object-lock retention after destroy too: for a bucket that something
    retained (an audit trail) keeps writing to, whose new objects must stay locked and expire."""
    protect: bool = False

    def __post_init__(self) -> None:
        if self.accepts_access_logs == (self.kms_key_arn is not None):
            raise ValueError(
                "a SecureBucket takes kms_key_arn (data bucket) or accepts_access_logs=True "
                "(S3 access-log target, SSE-S3), exactly one of them"
            )


# How long an interrupted multipart upload may hold storage before S3 discards its parts.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7


class SecureBucket(pulumi.ComponentResource):
    """An S3 bucket with the protections auditors expect, each as its own resource:

    - ownership BucketOwnerEnforced (ACLs off) and all four public-access blocks on;
    - versioning on; noncurrent versions expire after `noncurrent_version_days`, so deletes and
      overwrites are recoverable for that long without growing forever;
    - default encryption SSE-KMS with the given key and S3 Bucket Keys (fewer KMS calls);
    - a bucket policy denying any request not made over TLS;
    - server access logging to the access-log bucket;
    - optional object lock (WORM) with a default retention.
    """

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:storage:SecureBucket", name, None, opts)
        self._accepts_access_logs = args.accepts_access_logs
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.retain_on_delete
        )
        # Object lock is switched on by BucketObjectLockConfiguration, not here: on the bucket
        # it is create-only, and changing it would replace the bucket (orphaning its data).
        self.bucket = aws.s3.Bucket(
            name,
            force_destroy=False,
            tags=dict(args.tags),
            opts=stateful,
        )
        bucket_id = self.bucket.id
        # Protective settings outlive `pulumi destroy` with the bucket: deleting them would
        # leave a retained bucket public-capable, unencrypted or unversioned.
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete)
        child = pulumi.ResourceOptions(parent=self)

        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=keep,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=keep,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            opts=keep,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[self._encryption_rule(args)],
            opts=keep,
        )
        # S3 rejects a policy change racing a public-access-block change on the same bucket.
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=policy_document(self._policy_statements(args)),
            opts=pulumi.ResourceOptions.merge(
                keep, pulumi.ResourceOptions(depends_on=[public_access_block])
            ),
        )
        if args.access_logs is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=args.access_logs.bucket_name,
                target_prefix=args.access_logs.prefix,
                # Logs are delivered from the start: the target must already admit them.
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.access_logs.ready)),
            )
        rules = keep if args.retain_retention_rules else child
        after_versioning = pulumi.ResourceOptions.merge(
            rules, pulumi.ResourceOptions(depends_on=[versioning])
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[self._lifecycle_rule(args)],
            opts=after_versioning,
        )
        if args.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule={
                    "default_retention": {
                        "mode": args.object_lock.mode,
                        "days": args.object_lock.days,
                    }
                },
                opts=after_versioning,
            )

        self.arn = self.bucket.arn
        self.name = self.bucket.bucket
        self.register_outputs({"arn": self.arn, "name": self.name})

    def log_destination(self, prefix: str) -> AccessLogDestination:
        """This bucket (made with `accepts_access_logs=True`) as the target of another
        bucket's access logs, under `prefix`."""
        if not self._accepts_access_logs:
            raise ValueError("only a bucket made with accepts_access_logs=True takes access logs")
        return AccessLogDestination(self.bucket.id, prefix, (self.policy,))

    @staticmethod
    def _encryption_rule(
        args: SecureBucketArgs,
    ) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict:
        if args.kms_key_arn is None:
            return {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        return {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": args.kms_key_arn,
            },
            "bucket_key_enabled": True,
        }

    @staticmethod
    def _lifecycle_rule(
        args: SecureBucketArgs,
    ) -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
        rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "retention",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS
            },
        }
        if args.expire_objects_after_days is not None:
            rule["expiration"] = {"days": args.expire_objects_after_days}
        return rule

    def _policy_statements(self, args: SecureBucketArgs) -> list[Statement]:
        arn = self.bucket.arn
        objects = pulumi.Output.concat(arn, "/*")
        statements: list[Statement] = [
            {
                "Sid": "DenyRequestsWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        writers = list(args.service_writers)
        if args.accepts_access_logs:
            writers.append(
                ServiceWriter("logging.s3", source_arn_like=f"arn:{args.scope.partition}:s3:::*")
            )
        for writer in writers:
            principal = {"Service": args.scope.service_principal(writer.service, parent=self)}
            condition = {
                "StringEquals": {"aws:SourceAccount": args.scope.account_id},
                "ArnLike": {"aws:SourceArn": writer.source_arn_like},
            }
            word = _sid_word(writer.service)
            if writer.reads_bucket_acl:
                statements.append(
                    {
                        "Sid": f"AclCheckBy{word}ForThisAccount",
                        "Effect": "Allow",
                        "Principal": principal,
                        "Action": "s3:GetBucketAcl",
                        "Resource": arn,
                        "Condition": condition,
                    }
                )
            statements.append(
                {
                    "Sid": f"WritesFrom{word}ForThisAccount",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(arn, "/", writer.key_prefix, "*"),
                    "Condition": condition,
                }
            )
        return statements


def _sid_word(service: str) -> str:
    """`logging.s3` -> `LoggingS3`: statement IDs allow only letters and digits."""
    return "".join(part.capitalize() for part in service.replace("-", ".").split("."))
