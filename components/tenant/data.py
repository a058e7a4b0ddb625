"""A tenant's data layer: its own KMS key, its buckets, and optional vector and feature stores."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.bedrock.guardrail import Classification
from components.iam import Statement, key_through, policy_document
from components.names import bounded_name
from components.scope import AwsScope
from components.storage import (
    AccessLogDestination,
    EncryptionKey,
    EncryptionKeyArgs,
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
)

FeatureType = Literal["Integral", "Fractional", "String"]

BUCKETS = ("datasets", "models", "artifacts")
LOCKED_BUCKETS = ("datasets", "models")
"""Buckets under object lock for restricted data: what a model was trained on and the model.
Artifacts (checkpoints, evaluation output) are derived and reproducible from those two and
churn heavily; years of undeletable checkpoints would cost more than they prove."""
RESTRICTED_LOCK_MODE = "COMPLIANCE"
"""COMPLIANCE, not GOVERNANCE: a GOVERNANCE lock yields to anyone allowed
s3:BypassGovernanceRetention, which an account administrator (or an attacker holding one's
credentials) can grant itself, so it proves nothing about insiders. COMPLIANCE is the WORM
mode assessed for SEC 17a-4(f) record keeping and the evidence HIPAA and PCI integrity
controls expect: nobody, root included, can delete an object version or shorten its lock.
The price is that a mistaken upload stays, and is billed, until its retention ends; hence a
short default retention (TenantDataArgs.restricted_retention_days)."""

OPENSEARCH_NAME_LIMIT = 32
"""OpenSearch Serverless policy and VPC endpoint names: 3-32 characters, `[a-z][a-z0-9-]+`
(collections allow 64; they share the policies' name here)."""
_OPENSEARCH_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
COLLECTION_READ_WRITE = (
    "aoss:CreateCollectionItems",
    "aoss:DeleteCollectionItems",
    "aoss:UpdateCollectionItems",
    "aoss:DescribeCollectionItems",
)
INDEX_READ_WRITE = (
    "aoss:CreateIndex",
    "aoss:DeleteIndex",
    "aoss:UpdateIndex",
    "aoss:DescribeIndex",
    "aoss:ReadDocument",
    "aoss:WriteDocument",
)
COLLECTION_READ_ONLY = ("aoss:DescribeCollectionItems",)
INDEX_READ_ONLY = ("aoss:DescribeIndex", "aoss:ReadDocument")

FEATURE_GROUP_NAME_LIMIT = 64
_FEATURE_GROUP_NAME = re.compile(r"^[a-z0-9]([_-]*[a-z0-9]){0,63}$")
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
"""Columns SageMaker adds to every offline store record."""
FEATURE_STORE_PREFIX = "feature-store"
FEATURE_STORE_DATABASE = "sagemaker_featurestore"
"""The Glue database Feature Store creates offline store tables in."""


def opensearch_name(name_prefix: str, tenant: str) -> str:
    """`<prefix>-<tenant>`: the tenant's collection and its policies' and VPC endpoint's name.

    Names over 32 characters keep their first 23 and end with 8 hex digits of their SHA-256,
    so two long tenant names sharing a start still get different names.
    """
    name = bounded_name(f"{name_prefix}-{tenant}", OPENSEARCH_NAME_LIMIT, trim="-")
    if not _OPENSEARCH_NAME.match(name):
        raise ValueError(f"{name!r} is not an OpenSearch Serverless name ([a-z][a-z0-9-]+)")
    return name


def feature_group_name(name_prefix: str, tenant: str, group: str) -> str:
    """`<prefix>-<tenant>-<group>`, SageMaker's feature group name (at most 64 characters).

    Kept lowercase: the offline store's Glue table and the group's ARN are lowercase, and
    the role's permissions match them by name.
    """
    name = f"{name_prefix}-{tenant}-{group}"
    if len(name) > FEATURE_GROUP_NAME_LIMIT or not _FEATURE_GROUP_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a usable feature group name (lowercase letters, digits, - and _, "
            f"at most {FEATURE_GROUP_NAME_LIMIT} characters)"
        )
    return name


@dataclass(frozen=True)
class VectorStore:
    """An OpenSearch Serverless vector collection reachable only through a VPC endpoint.

    The endpoint sits in `subnet_ids` of `vpc_id` behind a security group admitting HTTPS from
    `allowed_cidrs` only. `read_write_principals` (IAM role ARNs) manage indexes and documents;
    `read_only_principals` only search. A principal also needs `aoss:APIAccessAll` on the
    collection in its own IAM policy: the data access policy alone is not enough.
    `standby_replicas` keeps a copy in a second AZ (AWS's default); off halves the minimum
    capacity bill and loses zone tolerance.
    """

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    allowed_cidrs: Sequence[str]
    read_write_principals: Sequence[pulumi.Input[str]]
    read_only_principals: Sequence[pulumi.Input[str]] = ()
    standby_replicas: bool = True

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("a vector store needs at least one subnet for its VPC endpoint")
        if not self.allowed_cidrs:
            raise ValueError("a vector store needs at least one CIDR allowed to reach it")
        for cidr in self.allowed_cidrs:
            ipaddress.IPv4Network(cidr)  # raises ValueError on anything but an IPv4 CIDR
        if not self.read_write_principals and not self.read_only_principals:
            raise ValueError("a vector store needs at least one principal allowed to use it")


@dataclass(frozen=True)
class FeatureGroupDefinition:
    """One feature group: its name within the tenant and its features' types.

    `record_identifier` and `event_time` must be features; the event time is a String
    (ISO-8601) or Fractional (Unix seconds) feature.
    """

    name: str
    record_identifier: str
    event_time: str
    features: Mapping[str, FeatureType]

    def __post_init__(self) -> None:
        for role, feature in (
            ("record identifier", self.record_identifier),
            ("event time", self.event_time),
        ):
            if feature not in self.features:
                raise ValueError(f"the {role} {feature!r} is not a feature of {self.name!r}")
        if self.features[self.event_time] == "Integral":
            raise ValueError(f"the event time {self.event_time!r} must be String or Fractional")
        reserved = sorted(set(self.features) & set(RESERVED_FEATURE_NAMES))
        if reserved:
            raise ValueError(f"{', '.join(reserved)}: names SageMaker reserves for its columns")


@dataclass(frozen=True)
class FeatureStore:
    """SageMaker Feature Store groups with an offline store only."""

    groups: Sequence[FeatureGroupDefinition]


@dataclass(frozen=True)
class TenantDataArgs:
    """Inputs of a TenantData.

    `access_logs` is the platform's access-log bucket with the prefix tenant logs go under
    (usually `tenants/`): each bucket logs to `<prefix><tenant>/<bucket>/`.
    `restricted_retention_days` is the COMPLIANCE lock on restricted datasets and models:
    365 days keeps what each model was trained on provably unaltered through a yearly audit
    cycle (PCI DSS 10.5.1 likewise keeps 12 months of audit history), while a mistaken upload
    is stuck for at most a year.
    """

    scope: AwsScope
    tenant: str
    name_prefix: str
    tags: Mapping[str, str]
    classification: Classification
    access_logs: AccessLogDestination
    kms_administrators: Sequence[str] = ()
    noncurrent_version_days: int = 90
    restricted_retention_days: int = 365
    vector_store: VectorStore | None = None
    feature_store: FeatureStore | None = None
    protect: bool = False

    def __post_init__(self) -> None:
        if self.restricted_retention_days < 1:
            raise ValueError("restricted_retention_days must be at least 1")
        if self.vector_store is not None:
            opensearch_name(self.name_prefix, self.tenant)
        for group in self.feature_store.groups if self.feature_store else ():
            feature_group_name(self.name_prefix, self.tenant, group.name)


class TenantData(pulumi.ComponentResource):
    """Everything a tenant stores, readable only with use of the tenant's own KMS key:

    - an EncryptionKey aliased `<prefix>-<tenant>` (rotated; retained on destroy);
    - SecureBuckets `datasets`, `models` and `artifacts` (private, versioned, TLS-only,
      SSE-KMS with the tenant key, access-logged to the platform bucket, retained on
      destroy), tagged with the data classification; restricted data puts datasets and
      models under a COMPLIANCE object lock;
    - optionally a private OpenSearch Serverless vector collection: encryption policy with the
      tenant key, network policy admitting only the tenant's VPC endpoint (no public access,
      no Dashboards), data access policy for the read-write and read-only principals;
    - optionally SageMaker feature groups whose offline store is `feature-store/` in the
      datasets bucket, written through a role SageMaker may assume only for these groups.

    `pulumi destroy` keeps the data: key, buckets, collection and its encryption policy are
    retained (and protected with `protect`). It removes what grants access (network and data
    access policies, VPC endpoint, feature store role), leaving retained data unreachable
    rather than exposed. Feature groups hold no data of their own (no online store): their
    offline data stays in the retained datasets bucket.
    """

    key: EncryptionKey
    buckets: dict[str, SecureBucket]
    bucket_arns: dict[str, pulumi.Output[str]]
    collection: aws.opensearch.ServerlessCollection | None
    collection_arn: pulumi.Output[str] | None
    vpc_endpoint: aws.opensearch.ServerlessVpcEndpoint | None
    feature_store_role: aws.iam.Role | None
    feature_groups: dict[str, aws.sagemaker.FeatureGroup]

    def __init__(
        self, name: str, args: TenantDataArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:TenantData", name, None, opts)
        self._name = name
        self._args = args
        self._tags = {**args.tags, "data-classification": args.classification}
        child = pulumi.ResourceOptions(parent=self)
        self.key = EncryptionKey(
            name,
            EncryptionKeyArgs(
                scope=args.scope,
                description=f"Plinth tenant {args.tenant}: buckets, vector and feature stores",
                tags=self._tags,
                administrators=args.kms_administrators,
                alias=f"{args.name_prefix}-{args.tenant}",
                protect=args.protect,
            ),
            child,
        )
        self.buckets = {kind: self._bucket(kind) for kind in BUCKETS}
        self.bucket_arns = {kind: bucket.arn for kind, bucket in self.buckets.items()}

        self.collection = self.collection_arn = self.vpc_endpoint = None
        if args.vector_store is not None:
            self.collection = self._vector_store(args.vector_store)
            self.collection_arn = self.collection.arn
        self.feature_store_role = None
        self.feature_groups = {}
        if args.feature_store is not None:
            self._feature_store(args.feature_store)

        self.register_outputs(
            {
                "keyArn": self.key.arn,
                "buckets": {kind: bucket.name for kind, bucket in self.buckets.items()},
                "bucketArns": self.bucket_arns,
                "collectionArn": self.collection_arn,
                "collectionEndpoint": self.collection.collection_endpoint
                if self.collection
                else None,
                "featureGroups": {key: group.arn for key, group in self.feature_groups.items()},
            }
        )

    def _bucket(self, kind: str) -> SecureBucket:
        args = self._args
        locked = args.classification == "restricted" and kind in LOCKED_BUCKETS
        return SecureBucket(
            f"{self._name}-{kind}",
            SecureBucketArgs(
                scope=args.scope,
                tags=self._tags,
                kms_key_arn=self.key.arn,
                access_logs=args.access_logs.under(f"{args.tenant}/{kind}/"),
                noncurrent_version_days=args.noncurrent_version_days,
                object_lock=ObjectLock(RESTRICTED_LOCK_MODE, args.restricted_retention_days)
                if locked
                else None,
                protect=args.protect,
            ),
            pulumi.ResourceOptions(parent=self),
        )

    def _vector_store(self, store: VectorStore) -> aws.opensearch.ServerlessCollection:
        args = self._args
        name = f"{self._name}-vectors"
        collection_name = opensearch_name(args.name_prefix, args.tenant)
        collection = [f"collection/{collection_name}"]
        indexes = [f"index/{collection_name}/*"]
        child = pulumi.ResourceOptions(parent=self)

        group = aws.ec2.SecurityGroup(
            name,
            description=f"HTTPS to the {args.tenant} vector store endpoint from allowed networks",
            vpc_id=store.vpc_id,
            tags=self._tags,
            opts=child,
        )
        for cidr in store.allowed_cidrs:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-https-{cidr.replace('.', '-').replace('/', '-')}",
                security_group_id=group.id,
                description=f"HTTPS from {cidr}",
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                tags=self._tags,
                opts=child,
            )
        self.vpc_endpoint = aws.opensearch.ServerlessVpcEndpoint(
            name,
            name=collection_name,
            vpc_id=store.vpc_id,
            subnet_ids=list(store.subnet_ids),
            security_group_ids=[group.id],
            opts=child,
        )
        # Policy names are unique per policy type, so all three share the collection's name.
        # The encryption policy stays with the retained collection it binds to the tenant key.
        encryption = aws.opensearch.ServerlessSecurityPolicy(
            f"{name}-encryption",
            name=collection_name,
            type="encryption",
            description=f"{args.tenant} vectors: encrypted with the tenant key",
            policy=pulumi.Output.json_dumps(
                {
                    "Rules": [{"ResourceType": "collection", "Resource": collection}],
                    "AWSOwnedKey": False,
                    "KmsARN": self.key.arn,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        # Only the collection endpoint is named: Dashboards match no rule, so no network
        # reaches them.
        network = aws.opensearch.ServerlessSecurityPolicy(
            f"{name}-network",
            name=collection_name,
            type="network",
            description=f"{args.tenant} vectors: through the tenant's VPC endpoint only",
            policy=pulumi.Output.json_dumps(
                [
                    {
                        "Rules": [{"ResourceType": "collection", "Resource": collection}],
                        "AllowFromPublic": False,
                        "SourceVPCEs": [self.vpc_endpoint.id],
                    }
                ]
            ),
            opts=child,
        )
        access = aws.opensearch.ServerlessAccessPolicy(
            f"{name}-access",
            name=collection_name,
            type="data",
            description=f"{args.tenant} vectors: read-write and read-only principals",
            policy=pulumi.Output.json_dumps(_data_access_rules(store, collection, indexes)),
            opts=child,
        )
        return aws.opensearch.ServerlessCollection(
            name,
            name=collection_name,
            type="VECTORSEARCH",
            description=f"Vector store of tenant {args.tenant}",
            standby_replicas="ENABLED" if store.standby_replicas else "DISABLED",
            tags=self._tags,
            # Creation fails without a matching encryption policy; the others make it usable
            # the moment it exists.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                retain_on_delete=True,
                depends_on=[encryption, network, access],
            ),
        )

    def _feature_store_trust(self) -> Statement:
        """SageMaker may assume the feature-store role, for this account only.

        SageMaker's confused-deputy page documents aws:SourceAccount and aws:SourceArn for its
        principal in general (account-wide pattern `arn:<partition>:sagemaker:<region>:<account>:*`)
        but does not list Feature Store among the features that send them, and its
        execution-role trust shows no condition
        (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html,
        .../sagemaker-roles.html). So both are `IfExists`: a request made for another account
        is refused, and offline-store writes still work if SageMaker sends neither.
        """
        scope = self._args.scope
        return {
            "Sid": "AssumedBySageMakerForThisAccountOnly",
            "Effect": "Allow",
            "Principal": {"Service": scope.service_principal("sagemaker", parent=self)},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEqualsIfExists": {"aws:SourceAccount": scope.account_id},
                "ArnLikeIfExists": {"aws:SourceArn": scope.arn("sagemaker", "*")},
            },
        }

    def _feature_store(self, store: FeatureStore) -> None:
        args = self._args
        name = f"{self._name}-feature-store"
        names = {
            group.name: feature_group_name(args.name_prefix, args.tenant, group.name)
            for group in store.groups
        }
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            description=f"SageMaker writes the offline feature store of tenant {args.tenant}",
            assume_role_policy=policy_document([self._feature_store_trust()]),
            tags=self._tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=policy_document(self._offline_store_statements(list(names.values()))),
            opts=child,
        )
        self.feature_store_role = role
        offline_store = pulumi.Output.concat(
            "s3://", self.buckets["datasets"].name, "/", FEATURE_STORE_PREFIX
        )
        for group in store.groups:
            self.feature_groups[group.name] = aws.sagemaker.FeatureGroup(
                f"{self._name}-{group.name}",
                feature_group_name=names[group.name],
                description=f"{group.name} features of tenant {args.tenant}",
                record_identifier_feature_name=group.record_identifier,
                event_time_feature_name=group.event_time,
                feature_definitions=[
                    {"feature_name": feature, "feature_type": kind}
                    for feature, kind in group.features.items()
                ],
                # Glue (append-only Parquet), not Iceberg: Iceberg maintenance deletes and
                # rewrites files, which a restricted tenant's object lock forbids.
                offline_store_config={
                    "s3_storage_config": {"s3_uri": offline_store, "kms_key_id": self.key.arn},
                    "table_format": "Glue",
                },
                # No online store: it would be a second copy of the data outside the bucket's
                # versioning, lock and access logs, billed per request; training and batch
                # inference read the offline store.
                online_store_config={"enable_online_store": False},
                role_arn=role.arn,
                tags=self._tags,
                # SageMaker checks the role when the group is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
            )

    def _offline_store_statements(self, group_names: Sequence[str]) -> list[Statement]:
        """What the offline store needs (AmazonSageMakerFeatureStoreAccess, narrowed): write
        objects under `feature-store/` with the tenant key, and keep its Glue tables current."""
        scope = self._args.scope
        datasets = self.buckets["datasets"].arn
        return [
            {
                "Sid": "WriteOfflineStoreObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:PutObjectAcl"],
                "Resource": pulumi.Output.concat(datasets, f"/{FEATURE_STORE_PREFIX}/*"),
            },
            {
                "Sid": "CheckOfflineStoreBucketOwner",
                "Effect": "Allow",
                "Action": "s3:GetBucketAcl",
                "Resource": datasets,
            },
            key_through(
                "EncryptWithTheTenantKeyThroughS3",
                self.key.arn,
                ["kms:GenerateDataKey"],
                service="s3",
                region=scope.region,
            ),
            {
                # Feature Store names each table `<feature group>-<creation time>`.
                "Sid": "UpdateOfflineStoreTables",
                "Effect": "Allow",
                "Action": ["glue:GetTable", "glue:UpdateTable"],
                "Resource": [
                    scope.arn("glue", "catalog"),
                    scope.arn("glue", f"database/{FEATURE_STORE_DATABASE}"),
                    *(
                        scope.arn("glue", f"table/{FEATURE_STORE_DATABASE}/{group}-*")
                        for group in group_names
                    ),
                ],
            },
        ]


def _data_access_rules(
    store: VectorStore, collection: list[str], indexes: list[str]
) -> list[dict[str, Any]]:
    """The data access policy: one rule set per kind of principal."""
    grants = (
        ("read-write", store.read_write_principals, COLLECTION_READ_WRITE, INDEX_READ_WRITE),
        ("read-only", store.read_only_principals, COLLECTION_READ_ONLY, INDEX_READ_ONLY),
    )
    return [
        {
            "Description": description,
            "Rules": [
                {
                    "ResourceType": "collection",
                    "Resource": collection,
                    "Permission": list(on_collection),
                },
                {"ResourceType": "index", "Resource": indexes, "Permission": list(on_indexes)},
            ],
            "Principal": list(principals),
        }
        for description, principals, on_collection, on_indexes in grants
        if principals
    ]
