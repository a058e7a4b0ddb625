"""EncryptionKey and SecureBucket, asserted on captured inputs and options."""

from __future__ import annotations

import pytest
from support import (
    BUCKET,
    BUCKET_POLICY,
    KMS_KEY,
    document,
    one,
    parliament_findings_above_low,
    run_components,
    scope,
    statement,
)

from components.scope import via_service
from components.storage import (
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)
from components.storage.kms import KEY_ADMIN_ACTIONS
from plinth.engine import Preview

TAGS = {"owner": "o", "cost-center": "c", "environment": "t", "data-classification": "restricted"}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ADMIN = "arn:aws:iam::123456789012:role/key-admins"

PROTECTIVE_SETTINGS = {
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    BUCKET_POLICY,
}
SETTINGS_TYPES = {
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    BUCKET_POLICY,
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
}


def key(**overrides: object) -> Preview:
    args = {
        "scope": scope(),
        "description": "test key",
        "tags": TAGS,
        "allow_cloudwatch_logs": True,
        "administrators": (ADMIN,),
        **overrides,
    }
    return run_components(lambda: EncryptionKey("platform", EncryptionKeyArgs(**args)))  # type: ignore[arg-type]


def access_log_bucket() -> SecureBucket:
    return SecureBucket(
        "access-logs",
        SecureBucketArgs(
            scope=scope(), tags=TAGS, accepts_access_logs=True, expire_objects_after_days=365
        ),
    )


def data_bucket(**overrides: object) -> Preview:
    """A data bucket named `datasets` logging to an access-log bucket named `access-logs`."""

    def body() -> None:
        args = {
            "scope": scope(),
            "tags": TAGS,
            "kms_key_arn": KEY_ARN,
            "access_logs": access_log_bucket().log_destination("datasets/"),
            "noncurrent_version_days": 30,
            **overrides,
        }
        SecureBucket("datasets", SecureBucketArgs(**args))  # type: ignore[arg-type]

    return run_components(body)


@pytest.fixture(scope="module")
def bucket() -> Preview:
    return data_bucket()


def test_key_rotates_and_is_retained_with_its_alias() -> None:
    preview = key(deletion_window_days=14)
    record = one(preview, KMS_KEY)
    assert record.inputs["enableKeyRotation"] is True
    assert record.inputs["deletionWindowInDays"] == 14
    assert record.inputs["tags"] == TAGS
    assert record.retain_on_delete is True
    assert one(preview, "aws:kms/alias:Alias").retain_on_delete is True


def test_key_policy_is_least_privilege() -> None:
    policy = document(one(key(), KMS_KEY), "policy")
    root = statement(policy, "AccountIamPoliciesGovernUse")
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    admins = statement(policy, "AdministratorsManageOnly")
    assert admins["Principal"] == {"AWS": [ADMIN]}
    assert set(admins["Action"]) == set(KEY_ADMIN_ACTIONS)
    assert not any(action in admins["Action"] for action in ("kms:Decrypt", "kms:Encrypt"))
    logs = statement(policy, "CloudWatchLogsForThisAccountOnly")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"
        }
    }
    assert all("*" not in action for action in logs["Action"])
    assert all(
        s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in policy["Statement"]
    )


def test_key_policy_leaves_out_what_was_not_asked_for() -> None:
    policy = document(one(key(allow_cloudwatch_logs=False, administrators=()), KMS_KEY), "policy")
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountIamPoliciesGovernUse"]


def test_key_alias_targets_the_key() -> None:
    preview = key(alias="plinth-dev")
    alias = one(preview, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/plinth-dev"
    assert alias.inputs["targetKeyId"] == one(preview, KMS_KEY).id


def test_bucket_blocks_all_public_access_and_acls(bucket: Preview) -> None:
    block = one(bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "datasets")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag
    ownership = one(bucket, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "datasets")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_is_versioned_and_kms_encrypted_with_bucket_keys(bucket: Preview) -> None:
    name = one(bucket, BUCKET, "datasets").id
    versioning = one(bucket, "aws:s3/bucketVersioning:BucketVersioning", "datasets")
    assert versioning.inputs == {"bucket": name, "versioningConfiguration": {"status": "Enabled"}}
    encryption = one(
        bucket,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "datasets",
    )
    assert encryption.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": KEY_ARN,
            },
            "bucketKeyEnabled": True,
        }
    ]


def test_bucket_policy_denies_everything_without_tls(bucket: Preview) -> None:
    name = one(bucket, BUCKET, "datasets").id
    policy_record = one(bucket, BUCKET_POLICY, "datasets")
    deny = statement(document(policy_record, "policy"), "DenyRequestsWithoutTls")
    assert deny == {
        "Sid": "DenyRequestsWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert parliament_findings_above_low(policy_record.plain_inputs["policy"]) == []
    public_access_block = one(
        bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "datasets"
    )
    assert public_access_block.urn in policy_record.depends_on


def test_bucket_logs_access_and_expires_old_versions(bucket: Preview) -> None:
    logging = one(bucket, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == one(bucket, BUCKET, "access-logs").id
    assert logging.inputs["targetPrefix"] == "datasets/"
    # Delivery must be admitted by the target bucket's policy before logging starts.
    assert one(bucket, BUCKET_POLICY, "access-logs").urn in logging.depends_on
    lifecycle = one(
        bucket, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "datasets"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert "expiration" not in rule
    versioning = one(bucket, "aws:s3/bucketVersioning:BucketVersioning", "datasets")
    assert versioning.urn in lifecycle.depends_on


def test_bucket_and_its_protective_settings_are_retained_on_delete(bucket: Preview) -> None:
    data = one(bucket, BUCKET, "datasets")
    assert data.retain_on_delete is True
    assert data.inputs["forceDestroy"] is False
    settings = [r for r in bucket.resources if r.parent == data.parent and r.type in SETTINGS_TYPES]
    assert {r.type for r in settings} == SETTINGS_TYPES
    assert {r.type for r in settings if r.retain_on_delete} == PROTECTIVE_SETTINGS
    assert not any(r.protect for r in bucket.resources)


def test_protected_bucket() -> None:
    preview = data_bucket(protect=True)
    assert one(preview, BUCKET, "datasets").protect is True
    assert one(preview, BUCKET, "access-logs").protect is False


def test_object_lock_when_asked_without_replacing_the_bucket() -> None:
    preview = data_bucket(object_lock=ObjectLock(mode="COMPLIANCE", days=2190))
    # On the bucket itself object lock is create-only: setting it there would replace the
    # bucket (and orphan its data) when a stack turns it on later.
    assert "objectLockEnabled" not in one(preview, BUCKET, "datasets").inputs
    lock = one(preview, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 2190}}
    versioning = one(preview, "aws:s3/bucketVersioning:BucketVersioning", "datasets")
    assert versioning.urn in lock.depends_on


def test_no_object_lock_by_default(bucket: Preview) -> None:
    assert "objectLockEnabled" not in one(bucket, BUCKET, "datasets").inputs
    assert (
        bucket.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    )


def test_access_log_bucket_uses_sse_s3_and_admits_log_delivery_from_this_account() -> None:
    preview = run_components(access_log_bucket)
    name = one(preview, BUCKET).id
    encryption = one(
        preview,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    assert encryption.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    delivery = statement(
        document(one(preview, BUCKET_POLICY), "policy"), "WritesFromLoggingS3ForThisAccount"
    )
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"arn:aws:s3:::{name}/*"
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    (rule,) = one(
        preview, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert rule["expiration"] == {"days": 365}
    assert preview.of_type("aws:s3/bucketLogging:BucketLogging") == []


@pytest.mark.parametrize(
    "conflicting",
    [
        {"kms_key_arn": KEY_ARN, "accepts_access_logs": True},
        {"kms_key_arn": None, "accepts_access_logs": False},
    ],
)
def test_bucket_args_take_exactly_one_encryption_kind(conflicting: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one of them"):
        SecureBucketArgs(scope=scope(), tags=TAGS, **conflicting)  # type: ignore[arg-type]


def test_arns_follow_the_region_s_partition() -> None:
    preview = run_components(
        lambda: EncryptionKey(
            "key",
            EncryptionKeyArgs(
                scope=scope("cn-north-1"), description="d", tags=TAGS, allow_cloudwatch_logs=True
            ),
        ),
        region="cn-north-1",
    )
    record = one(preview, KMS_KEY)
    policy = document(record, "policy")
    assert statement(policy, "AccountIamPoliciesGovernUse")["Principal"] == {
        "AWS": "arn:aws-cn:iam::123456789012:root"
    }
    logs = statement(policy, "CloudWatchLogsForThisAccountOnly")
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert preview.outputs == {}


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
    ],
)
def test_scope_partition_follows_the_region(region: str, partition: str) -> None:
    assert scope(region).partition == partition


def test_kms_via_service_uses_the_partition_s_domain() -> None:
    assert via_service("s3", "eu-west-1") == "s3.eu-west-1.amazonaws.com"
    assert via_service("s3", "cn-north-1") == "s3.cn-north-1.amazonaws.com.cn"
