"""TenantData, TenantBudget and CostAllocationTags, asserted on captured inputs and options.

Expected names, ARNs, policy documents and permission lists are written by hand from the AWS
documentation (OpenSearch Serverless data access permissions, the Budgets TagKeyValue
format, AmazonSageMakerFeatureStoreAccess) for tenant `fraud` of stack prefix `plinth-dev`
in the example account 123456789012; random IDs (key, buckets, VPC endpoint) come from
their records.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import (
    BUCKET,
    KMS_KEY,
    ROLE,
    ROLE_POLICY,
    document,
    named,
    of_type,
    one,
    parliament_findings_above_low,
    role_arn,
    run_components,
    scope,
    trust_policy_with_resource,
)

from components.storage import SecureBucket, SecureBucketArgs
from components.tenant.budget import (
    CostAllocationTags,
    CostAllocationTagsArgs,
    TenantBudget,
    TenantBudgetArgs,
)
from components.tenant.data import (
    FeatureGroupDefinition,
    FeatureStore,
    TenantData,
    TenantDataArgs,
    VectorStore,
    feature_group_name,
    opensearch_name,
)
from plinth.engine import Preview, ResourceRecord

ACCOUNT = "123456789012"
WRITER = "arn:aws:iam::123456789012:role/plinth-dev-fraud-developer"
READER = "arn:aws:iam::123456789012:role/plinth-dev-fraud-viewer"
KEY_ADMIN = "arn:aws:iam::123456789012:role/key-admins"
TAGS = {"project": "fraud", "cost-center": "cc-42"}
CIDRS = ("10.0.0.0/16", "10.1.0.0/16")
SUBNETS = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
VPC = "vpc-0123456789abcdef0"
TRANSACTIONS = FeatureGroupDefinition(
    name="transactions",
    record_identifier="transaction_id",
    event_time="event_time",
    features={"transaction_id": "String", "event_time": "String", "amount": "Fractional"},
)
CUSTOMERS = FeatureGroupDefinition(
    name="customers",
    record_identifier="customer_id",
    event_time="updated_at",
    features={"customer_id": "Integral", "updated_at": "Fractional"},
)

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
SECURITY_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
COLLECTION = "aws:opensearch/serverlessCollection:ServerlessCollection"
AOSS_ENDPOINT = "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
BUDGET = "aws:budgets/budget:Budget"
COST_TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"

COLLECTION_NAME = "plinth-dev-fraud"


def tenant_data(**overrides: Any) -> Preview:
    """Tenant `fraud` (restricted, with a vector store and two feature groups), logging to a
    platform access-log bucket named `access-logs` under `tenants/`."""

    def body() -> None:
        logs = SecureBucket(
            "access-logs", SecureBucketArgs(scope=scope(), tags={}, accepts_access_logs=True)
        )
        args: dict[str, Any] = {
            "scope": scope(),
            "tenant": "fraud",
            "name_prefix": "plinth-dev",
            "tags": TAGS,
            "classification": "restricted",
            "access_logs": logs.log_destination("tenants/"),
            "kms_administrators": (KEY_ADMIN,),
            "vector_store": vector_store(),
            "feature_store": FeatureStore(groups=(TRANSACTIONS, CUSTOMERS)),
            **overrides,
        }
        TenantData("plinth-dev-fraud", TenantDataArgs(**args))

    return run_components(body)


def vector_store(**overrides: Any) -> VectorStore:
    args: dict[str, Any] = {
        "vpc_id": VPC,
        "subnet_ids": SUBNETS,
        "allowed_cidrs": CIDRS,
        "read_write_principals": (WRITER,),
        "read_only_principals": (READER,),
        **overrides,
    }
    return VectorStore(**args)


@pytest.fixture(scope="module")
def restricted() -> Preview:
    return tenant_data()


@pytest.fixture(scope="module")
def internal() -> Preview:
    return tenant_data(classification="internal", vector_store=None, feature_store=None)


def key_arn(preview: Preview) -> str:
    return f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{one(preview, KMS_KEY).id}"


def bucket_name(preview: Preview, kind: str) -> str:
    return named(preview, BUCKET, f"plinth-dev-fraud-{kind}").id


def policy_named(preview: Preview, kind: str) -> ResourceRecord:
    return named(preview, SECURITY_POLICY, f"plinth-dev-fraud-vectors-{kind}")


# --- key and buckets ----------------------------------------------------------------------------


def test_the_tenant_has_its_own_rotated_key_with_an_alias(restricted: Preview) -> None:
    key = one(restricted, KMS_KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["tags"] == {**TAGS, "data-classification": "restricted"}
    admins = [
        s for s in document(key, "policy")["Statement"] if s["Principal"] == {"AWS": [KEY_ADMIN]}
    ]
    assert len(admins) == 1
    assert "kms:Decrypt" not in admins[0]["Action"]
    assert one(restricted, "aws:kms/alias:Alias").inputs["name"] == "alias/plinth-dev-fraud"


@pytest.mark.parametrize("kind", ["datasets", "models", "artifacts"])
def test_buckets_are_encrypted_with_the_tenant_key(restricted: Preview, kind: str) -> None:
    bucket = named(restricted, BUCKET, f"plinth-dev-fraud-{kind}")
    assert bucket.inputs["tags"] == {**TAGS, "data-classification": "restricted"}
    (rule,) = one(restricted, SSE, f"plinth-dev-fraud-{kind}").inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key_arn(restricted),
        },
        "bucketKeyEnabled": True,
    }


def test_exactly_three_tenant_buckets(restricted: Preview) -> None:
    tenant_buckets = {r.name for r in restricted.of_type(BUCKET) if r.name != "access-logs"}
    assert tenant_buckets == {
        "plinth-dev-fraud-datasets",
        "plinth-dev-fraud-models",
        "plinth-dev-fraud-artifacts",
    }


@pytest.mark.parametrize("kind", ["datasets", "models", "artifacts"])
def test_buckets_log_to_the_platform_bucket_under_the_tenant(
    restricted: Preview, kind: str
) -> None:
    logging = one(restricted, LOGGING, f"plinth-dev-fraud-{kind}")
    assert logging.inputs["bucket"] == bucket_name(restricted, kind)
    assert logging.inputs["targetBucket"] == one(restricted, BUCKET, "access-logs").id
    assert logging.inputs["targetPrefix"] == f"tenants/fraud/{kind}/"


def test_restricted_datasets_and_models_are_under_compliance_lock(restricted: Preview) -> None:
    locks = {record.inputs["bucket"]: record.inputs for record in restricted.of_type(OBJECT_LOCK)}
    expected = {
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}},
    }
    assert locks == {
        bucket_name(restricted, "datasets"): {
            "bucket": bucket_name(restricted, "datasets"),
            **expected,
        },
        bucket_name(restricted, "models"): {
            "bucket": bucket_name(restricted, "models"),
            **expected,
        },
    }


def test_retention_of_restricted_data_follows_the_argument() -> None:
    preview = tenant_data(restricted_retention_days=2190, vector_store=None, feature_store=None)
    assert {r.inputs["rule"]["defaultRetention"]["days"] for r in preview.of_type(OBJECT_LOCK)} == {
        2190
    }


def test_no_object_lock_below_restricted(internal: Preview) -> None:
    assert internal.of_type(OBJECT_LOCK) == []
    assert one(internal, KMS_KEY).inputs["tags"]["data-classification"] == "internal"
    assert named(internal, BUCKET, "plinth-dev-fraud-datasets").inputs["tags"] == {
        **TAGS,
        "data-classification": "internal",
    }


def test_no_optional_stores_unless_asked(internal: Preview) -> None:
    for type_ in (
        COLLECTION,
        SECURITY_POLICY,
        ACCESS_POLICY,
        AOSS_ENDPOINT,
        SECURITY_GROUP,
        FEATURE_GROUP,
        ROLE,
    ):
        assert internal.of_type(type_) == [], type_


# --- vector store -----------------------------------------------------------------------------


def test_encryption_policy_binds_the_collection_to_the_tenant_key(restricted: Preview) -> None:
    policy = policy_named(restricted, "encryption")
    assert policy.inputs["name"] == COLLECTION_NAME
    assert policy.inputs["type"] == "encryption"
    assert json.loads(policy.inputs["policy"]) == {
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/plinth-dev-fraud"]}],
        "AWSOwnedKey": False,
        "KmsARN": key_arn(restricted),
    }


def test_network_policy_admits_only_the_tenant_endpoint(restricted: Preview) -> None:
    policy = policy_named(restricted, "network")
    assert policy.inputs["name"] == COLLECTION_NAME
    assert policy.inputs["type"] == "network"
    endpoint = one(restricted, AOSS_ENDPOINT)
    assert endpoint.id.startswith("vpce-")
    # No `dashboard` rule: Dashboards are reachable from no network.
    assert json.loads(policy.inputs["policy"]) == [
        {
            "Rules": [{"ResourceType": "collection", "Resource": ["collection/plinth-dev-fraud"]}],
            "AllowFromPublic": False,
            "SourceVPCEs": [endpoint.id],
        }
    ]


def test_data_access_policy_grants_read_write_and_read_only(restricted: Preview) -> None:
    policy = one(restricted, ACCESS_POLICY)
    assert policy.inputs["name"] == COLLECTION_NAME
    assert policy.inputs["type"] == "data"
    rule_sets = {entry["Description"]: entry for entry in json.loads(policy.inputs["policy"])}
    assert set(rule_sets) == {"read-write", "read-only"}
    assert rule_sets["read-write"]["Principal"] == [WRITER]
    assert rule_sets["read-only"]["Principal"] == [READER]
    assert permissions(rule_sets["read-write"]) == {
        ("collection", "collection/plinth-dev-fraud"): {
            "aoss:CreateCollectionItems",
            "aoss:DeleteCollectionItems",
            "aoss:UpdateCollectionItems",
            "aoss:DescribeCollectionItems",
        },
        ("index", "index/plinth-dev-fraud/*"): {
            "aoss:CreateIndex",
            "aoss:DeleteIndex",
            "aoss:UpdateIndex",
            "aoss:DescribeIndex",
            "aoss:ReadDocument",
            "aoss:WriteDocument",
        },
    }
    assert permissions(rule_sets["read-only"]) == {
        ("collection", "collection/plinth-dev-fraud"): {"aoss:DescribeCollectionItems"},
        ("index", "index/plinth-dev-fraud/*"): {"aoss:DescribeIndex", "aoss:ReadDocument"},
    }


def permissions(rule_set: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for rule in rule_set["Rules"]:
        (resource,) = rule["Resource"]
        found[(rule["ResourceType"], resource)] = set(rule["Permission"])
    return found


def test_read_only_principals_alone_get_no_write_rule_set() -> None:
    preview = tenant_data(vector_store=vector_store(read_write_principals=()), feature_store=None)
    rule_sets = json.loads(one(preview, ACCESS_POLICY).inputs["policy"])
    assert [entry["Description"] for entry in rule_sets] == ["read-only"]


def test_collection_is_a_vector_search_collection_created_after_its_policies(
    restricted: Preview,
) -> None:
    collection = one(restricted, COLLECTION)
    assert collection.inputs["name"] == COLLECTION_NAME
    assert collection.inputs["type"] == "VECTORSEARCH"
    assert collection.inputs["standbyReplicas"] == "ENABLED"
    assert collection.inputs["tags"] == {**TAGS, "data-classification": "restricted"}
    policies = {
        policy_named(restricted, "encryption").urn,
        policy_named(restricted, "network").urn,
        one(restricted, ACCESS_POLICY).urn,
    }
    assert policies <= set(collection.depends_on)


def test_standby_replicas_can_be_turned_off() -> None:
    preview = tenant_data(vector_store=vector_store(standby_replicas=False), feature_store=None)
    assert one(preview, COLLECTION).inputs["standbyReplicas"] == "DISABLED"


def test_vpc_endpoint_admits_https_from_allowed_cidrs_only(restricted: Preview) -> None:
    group = one(restricted, SECURITY_GROUP)
    assert group.inputs["vpcId"] == VPC
    assert "ingress" not in group.inputs
    assert "egress" not in group.inputs
    rules = of_type(restricted, INGRESS)
    assert {
        (
            r.inputs["securityGroupId"],
            r.inputs["cidrIpv4"],
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in rules
    } == {
        (group.id, "10.0.0.0/16", "tcp", 443, 443),
        (group.id, "10.1.0.0/16", "tcp", 443, 443),
    }
    assert len(rules) == 2
    endpoint = one(restricted, AOSS_ENDPOINT)
    assert endpoint.inputs == {
        "name": COLLECTION_NAME,
        "vpcId": VPC,
        "subnetIds": list(SUBNETS),
        "securityGroupIds": [group.id],
    }


def test_long_names_are_shortened_to_32_characters_without_colliding() -> None:
    first = opensearch_name("plinth-production-eu", "fraud-detection-apac")
    second = opensearch_name("plinth-production-eu", "fraud-detection-emea")
    assert len(first) == len(second) == 32
    assert first.startswith("plinth-production-eu-fr-")
    assert first != second
    assert opensearch_name("plinth-dev", "fraud") == "plinth-dev-fraud"


def test_names_opensearch_rejects_are_refused() -> None:
    with pytest.raises(ValueError, match="OpenSearch Serverless name"):
        opensearch_name("1plinth", "fraud")


@pytest.mark.parametrize(
    "changes",
    [
        {"allowed_cidrs": ()},
        {"allowed_cidrs": ("10.0.0.0/33",)},
        {"subnet_ids": ()},
        {"read_write_principals": (), "read_only_principals": ()},
    ],
)
def test_unusable_vector_stores_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (ipaddress's own message for bad CIDRs)
        vector_store(**changes)


# --- feature store ------------------------------------------------------------------------------


def feature_store_role(preview: Preview) -> ResourceRecord:
    return one(preview, ROLE, "feature-store")


def test_only_sagemaker_for_the_tenant_s_feature_groups_assumes_the_role(
    restricted: Preview,
) -> None:
    role = feature_store_role(restricted)
    # Only keys SageMaker documents, and only as IfExists: Feature Store is not among the
    # features its confused-deputy page lists (a feature-group SourceArn is undocumented).
    assert document(role, "assumeRolePolicy")["Statement"] == [
        {
            "Sid": "AssumedBySageMakerForThisAccountOnly",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
                "ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:123456789012:*"},
            },
        }
    ]
    assert parliament_findings_above_low(trust_policy_with_resource(role)) == []


def test_the_role_writes_only_the_offline_store_with_the_tenant_key(restricted: Preview) -> None:
    policy_record = one(restricted, ROLE_POLICY, "feature-store")
    assert policy_record.inputs["role"] == feature_store_role(restricted).id
    datasets = f"arn:aws:s3:::{bucket_name(restricted, 'datasets')}"
    assert document(policy_record, "policy")["Statement"] == [
        {
            "Sid": "WriteOfflineStoreObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": f"{datasets}/feature-store/*",
        },
        {
            "Sid": "CheckOfflineStoreBucketOwner",
            "Effect": "Allow",
            "Action": "s3:GetBucketAcl",
            "Resource": datasets,
        },
        {
            "Sid": "EncryptWithTheTenantKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": key_arn(restricted),
            "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        },
        {
            "Sid": "UpdateOfflineStoreTables",
            "Effect": "Allow",
            "Action": ["glue:GetTable", "glue:UpdateTable"],
            "Resource": [
                "arn:aws:glue:us-east-1:123456789012:catalog",
                "arn:aws:glue:us-east-1:123456789012:database/sagemaker_featurestore",
                "arn:aws:glue:us-east-1:123456789012:table/sagemaker_featurestore/"
                "plinth-dev-fraud-transactions-*",
                "arn:aws:glue:us-east-1:123456789012:table/sagemaker_featurestore/"
                "plinth-dev-fraud-customers-*",
            ],
        },
    ]
    assert parliament_findings_above_low(policy_record.plain_inputs["policy"]) == []


def test_feature_groups_keep_an_encrypted_offline_store_only(restricted: Preview) -> None:
    role = feature_store_role(restricted)
    role_policy = one(restricted, ROLE_POLICY, "feature-store")
    groups = {r.inputs["featureGroupName"]: r for r in restricted.of_type(FEATURE_GROUP)}
    assert set(groups) == {"plinth-dev-fraud-transactions", "plinth-dev-fraud-customers"}
    transactions = groups["plinth-dev-fraud-transactions"]
    assert transactions.inputs["recordIdentifierFeatureName"] == "transaction_id"
    assert transactions.inputs["eventTimeFeatureName"] == "event_time"
    assert transactions.inputs["featureDefinitions"] == [
        {"featureName": "transaction_id", "featureType": "String"},
        {"featureName": "event_time", "featureType": "String"},
        {"featureName": "amount", "featureType": "Fractional"},
    ]
    for group in groups.values():
        assert group.inputs["offlineStoreConfig"] == {
            "s3StorageConfig": {
                "s3Uri": f"s3://{bucket_name(restricted, 'datasets')}/feature-store",
                "kmsKeyId": key_arn(restricted),
            },
            "tableFormat": "Glue",
        }
        assert group.inputs["onlineStoreConfig"] == {"enableOnlineStore": False}
        assert group.inputs["roleArn"] == role_arn(role)
        assert role_policy.urn in group.depends_on


def test_feature_group_names_over_64_characters_are_refused() -> None:
    assert feature_group_name("plinth-dev", "fraud", "tx") == "plinth-dev-fraud-tx"
    with pytest.raises(ValueError, match="at most 64"):
        feature_group_name("plinth-production-eu-west", "fraud-detection-apac", "x" * 24)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"record_identifier": "missing"}, "not a feature"),
        (
            {"event_time": "count", "features": {"id": "String", "count": "Integral"}},
            "String or Fractional",
        ),
        (
            {"features": {"id": "String", "event_time": "String", "write_time": "String"}},
            "reserves",
        ),
    ],
)
def test_unusable_feature_groups_are_refused(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "name": "g",
        "record_identifier": "id",
        "event_time": "event_time",
        "features": {"id": "String", "event_time": "String"},
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        FeatureGroupDefinition(**args)


# --- pulumi destroy -----------------------------------------------------------------------------


def test_destroy_keeps_the_data_and_removes_access(restricted: Preview) -> None:
    retained = {(r.type, r.name) for r in restricted.resources if r.retain_on_delete}
    for kind in ("datasets", "models", "artifacts"):
        assert (BUCKET, f"plinth-dev-fraud-{kind}") in retained
    assert (KMS_KEY, "plinth-dev-fraud") in retained
    assert ("aws:kms/alias:Alias", "plinth-dev-fraud-alias") in retained
    assert (COLLECTION, "plinth-dev-fraud-vectors") in retained
    assert (SECURITY_POLICY, "plinth-dev-fraud-vectors-encryption") in retained
    for type_, name in (
        (SECURITY_POLICY, "plinth-dev-fraud-vectors-network"),
        (ACCESS_POLICY, "plinth-dev-fraud-vectors-access"),
        (AOSS_ENDPOINT, "plinth-dev-fraud-vectors"),
        (SECURITY_GROUP, "plinth-dev-fraud-vectors"),
        (ROLE, "plinth-dev-fraud-feature-store"),
        (FEATURE_GROUP, "plinth-dev-fraud-transactions"),
    ):
        assert (type_, name) not in retained, name
    assert not any(r.protect for r in restricted.resources)


def test_protect_guards_the_stateful_resources() -> None:
    preview = tenant_data(protect=True)
    protected = {(r.type, r.name) for r in preview.resources if r.protect}
    assert protected == {
        (KMS_KEY, "plinth-dev-fraud"),
        (BUCKET, "plinth-dev-fraud-datasets"),
        (BUCKET, "plinth-dev-fraud-models"),
        (BUCKET, "plinth-dev-fraud-artifacts"),
        (COLLECTION, "plinth-dev-fraud-vectors"),
    }


def test_children_belong_to_the_component(restricted: Preview) -> None:
    component = one(restricted, "plinth:tenant:TenantData")
    for type_ in (COLLECTION, AOSS_ENDPOINT, ACCESS_POLICY, FEATURE_GROUP, ROLE):
        assert {r.parent for r in restricted.of_type(type_)} == {component.urn}, type_


# --- budget -------------------------------------------------------------------------------------

OWNERS = ("lead@example.com", "finance@example.com")


def budget(**overrides: Any) -> Preview:
    args: dict[str, Any] = {
        "name": "plinth-dev-fraud",
        "monthly_limit_usd": 5000,
        "owners": OWNERS,
        "tag_value": "fraud",
        "thresholds_percent": (100, 50, 80),
        "tags": TAGS,
        **overrides,
    }
    return run_components(lambda: TenantBudget("plinth-dev-fraud", TenantBudgetArgs(**args)))


def test_budget_is_monthly_cost_in_usd_over_the_tenant_s_project_tag() -> None:
    record = one(budget(), BUDGET)
    assert record.inputs["name"] == "plinth-dev-fraud"
    assert record.inputs["budgetType"] == "COST"
    assert record.inputs["timeUnit"] == "MONTHLY"
    assert record.inputs["limitAmount"] == "5000"
    assert record.inputs["limitUnit"] == "USD"
    assert record.inputs["costFilters"] == [
        {"name": "TagKeyValue", "values": ["user:project$fraud"]}
    ]
    assert record.inputs["costTypes"] == {"includeCredit": False, "includeRefund": False}
    assert record.inputs["tags"] == TAGS


def test_budget_alerts_owners_at_each_threshold_and_on_forecast() -> None:
    notifications = one(budget(), BUDGET).inputs["notifications"]

    def alert(kind: str, threshold: int) -> dict[str, Any]:
        return {
            "notificationType": kind,
            "comparisonOperator": "GREATER_THAN",
            "threshold": threshold,
            "thresholdType": "PERCENTAGE",
            "subscriberEmailAddresses": list(OWNERS),
        }

    assert notifications == [
        alert("ACTUAL", 50),
        alert("ACTUAL", 80),
        alert("ACTUAL", 100),
        alert("FORECASTED", 100),
    ]


def test_budget_filters_on_another_tag_when_asked() -> None:
    record = one(budget(tag_key="cost-center", tag_value="cc-42"), BUDGET)
    assert record.inputs["costFilters"] == [
        {"name": "TagKeyValue", "values": ["user:cost-center$cc-42"]}
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"owners": ()}, "owners"),
        ({"owners": tuple(f"o{i}@example.com" for i in range(11))}, "owners"),
        ({"thresholds_percent": (80, 80)}, "twice"),
        ({"thresholds_percent": tuple(range(10, 110, 10))}, "at most 9"),
        ({"thresholds_percent": (0,)}, "positive"),
        ({"monthly_limit_usd": 0}, "at least 1"),
        ({"name": "a:b"}, "budget name"),
    ],
)
def test_unusable_budgets_are_refused(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "name": "plinth-dev-fraud",
        "monthly_limit_usd": 100,
        "owners": OWNERS,
        "tag_value": "fraud",
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        TenantBudgetArgs(**args)


def test_cost_allocation_tags_are_activated() -> None:
    preview = run_components(lambda: CostAllocationTags("plinth-dev", CostAllocationTagsArgs()))
    assert {(r.inputs["tagKey"], r.inputs["status"]) for r in preview.of_type(COST_TAG)} == {
        ("project", "Active"),
        ("cost-center", "Active"),
    }
