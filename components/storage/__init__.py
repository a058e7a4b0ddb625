"""The data layer's building blocks: KMS keys and secure buckets."""

from components.storage.bucket import (
    AccessLogDestination,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
    ServiceWriter,
)
from components.storage.kms import EncryptionKey, EncryptionKeyArgs

__all__ = [
    "AccessLogDestination",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "ObjectLock",
    "SecureBucket",
    "SecureBucketArgs",
    "ServiceWriter",
]
