"""The platform program (infra/) on the dev stack and variants of it."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from support import (
    BUCKET,
    KMS_KEY,
    LOG_GROUP,
    ROLE,
    TENANT_BUCKETS,
    dev_bucket_names,
    dev_tenants,
    named,
    of_type,
    one,
    preview_dev,
    tenant_members,
)

from plinth.engine import Preview
from policies.rules.cost import REQUIRED_TAG_KEYS, is_taggable

STATEFUL = (BUCKET, KMS_KEY, LOG_GROUP)


def tenants_by_component() -> dict[str, dict[str, Any]]:
    """The dev tenants' files by the name of their Tenant component (`plinth-dev-<name>`)."""
    return {f"plinth-dev-{name}": tenant for name, tenant in dev_tenants().items()}


def key_arn_of(key: Any) -> str:
    return f"arn:aws:kms:us-east-1:123456789012:key/{key.id}"


def encryption_by_bucket(preview: Preview) -> dict[str, dict[str, Any]]:
    """Each bucket's default encryption, by the bucket's logical name."""
    encryption = preview.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    return {
        r.name.removesuffix("-encryption"): r.inputs["rules"][0][
            "applyServerSideEncryptionByDefault"
        ]
        for r in encryption
    }


def test_composes_network_key_and_buckets(dev_preview: Preview) -> None:
    components = {(r.type, r.name) for r in dev_preview.resources if not r.custom}
    assert components >= {
        ("plinth:network:Network", "plinth-dev-net"),
        ("plinth:storage:EncryptionKey", "plinth-dev-platform"),
        ("plinth:storage:SecureBucket", "plinth-dev-access-logs"),
        ("plinth:storage:SecureBucket", "plinth-dev-datasets"),
        ("plinth:storage:SecureBucket", "plinth-dev-models"),
    }


def test_every_taggable_resource_carries_the_common_tags(dev_preview: Preview) -> None:
    """The platform's resources carry the stack's owner and cost center; a tenant's carry its
    file's (first) owner, cost center, data classification and its project name."""
    tenants = tenants_by_component()
    members = tenant_members(dev_preview)
    taggable = [r for r in dev_preview.resources if is_taggable(r.type)]
    assert len([r for r in taggable if r.urn not in members]) >= 25
    assert {members[r.urn] for r in taggable if r.urn in members} == set(tenants)
    for record in taggable:
        tags = record.plain_inputs.get("tags") or {}
        missing = [key for key in REQUIRED_TAG_KEYS if key not in tags]
        assert not missing, f"{record.urn} lacks {missing}"
        assert tags["environment"] == "dev"
        assert tags["managed-by"] == "plinth"
        if record.urn in members:
            tenant = tenants[members[record.urn]]
            assert tags["owner"] == tenant["owners"][0], record.urn
            assert tags["cost-center"] == tenant["costCenter"], record.urn
            assert tags["data-classification"] == tenant["dataClassification"], record.urn
            assert tags["project"] == tenant["name"], record.urn
        else:
            assert tags["owner"] == "platform-team@example.com", record.urn
            assert tags["cost-center"] == "cc-ai-platform", record.urn


def test_bucket_classification_tags_follow_the_spec(dev_preview: Preview) -> None:
    classification = {
        r.name: r.inputs["tags"]["data-classification"] for r in dev_preview.of_type(BUCKET)
    }
    assert classification == {
        "plinth-dev-access-logs": "internal",
        "plinth-dev-audit-logs": "internal",
        "plinth-dev-bedrock-logs": "internal",
        "plinth-dev-datasets": "confidential",
        "plinth-dev-models": "internal",
        # Each tenant's buckets carry the classification its file declares.
        **{
            f"plinth-dev-{name}-{kind}": tenant["dataClassification"]
            for name, tenant in dev_tenants().items()
            for kind in TENANT_BUCKETS
        },
    }


def test_data_and_logs_are_encrypted_with_the_platform_key(dev_preview: Preview) -> None:
    key_arn = dev_preview.outputs["platformKeyArn"]
    platform_key = named(dev_preview, KMS_KEY, "plinth-dev-platform")
    assert platform_key.urn not in tenant_members(dev_preview)
    assert key_arn == key_arn_of(platform_key)
    by_bucket = encryption_by_bucket(dev_preview)
    assert set(by_bucket) == dev_bucket_names()
    # The platform key encrypts the platform's data only, never a tenant's.
    assert {name for name, rule in by_bucket.items() if rule.get("kmsMasterKeyId") == key_arn} == {
        "plinth-dev-datasets",
        "plinth-dev-models",
        "plinth-dev-bedrock-logs",
    }
    assert by_bucket["plinth-dev-datasets"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn,
    }
    assert by_bucket["plinth-dev-models"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert by_bucket["plinth-dev-bedrock-logs"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn,
    }
    assert by_bucket["plinth-dev-access-logs"] == {"sseAlgorithm": "AES256"}
    # The audit trail has a key of its own (AccountGuardrails explains why).
    audit_key = named(dev_preview, KMS_KEY, "plinth-dev-audit")
    assert by_bucket["plinth-dev-audit-logs"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn_of(audit_key),
    }
    log_groups = dev_preview.of_type(LOG_GROUP)
    assert {r.name for r in log_groups} == {
        "plinth-dev-net-flow-logs",
        "plinth-dev-gpu-control-plane",
        "plinth-dev-bedrock",
        "plinth-dev-trail-logs",  # the audit trail's copy (soc2), under the audit key
        "plinth-dev-metrics-logs",  # the Prometheus workspace's rule and alert logs
        "plinth-dev-model-approvals",  # model registrations and approvals (plinth:mlops)
    }
    assert all(
        r.inputs["kmsKeyId"]
        == (key_arn_of(audit_key) if r.name == "plinth-dev-trail-logs" else key_arn)
        for r in log_groups
    )


def test_tenant_data_is_encrypted_with_the_tenant_s_own_key(dev_preview: Preview) -> None:
    by_bucket = encryption_by_bucket(dev_preview)
    members = tenant_members(dev_preview)
    tenant_keys = {}
    for name in dev_tenants():
        key = named(dev_preview, KMS_KEY, f"plinth-dev-{name}")
        assert members[key.urn] == f"plinth-dev-{name}"
        arn = key_arn_of(key)
        assert dev_preview.outputs["tenants"][name]["keyArn"] == arn
        for kind in TENANT_BUCKETS:
            assert by_bucket[f"plinth-dev-{name}-{kind}"] == {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": arn,
            }
        tenant_keys[name] = arn
    assert len(set(tenant_keys.values())) == len(dev_tenants())
    assert dev_preview.outputs["platformKeyArn"] not in tenant_keys.values()


def test_data_buckets_log_to_the_access_log_bucket(dev_preview: Preview) -> None:
    log_bucket = one(dev_preview, BUCKET, "access-logs").id
    targets = {
        r.name: (r.inputs["targetBucket"], r.inputs["targetPrefix"])
        for r in dev_preview.of_type("aws:s3/bucketLogging:BucketLogging")
    }
    assert targets == {
        "plinth-dev-datasets-logging": (log_bucket, "datasets/"),
        "plinth-dev-models-logging": (log_bucket, "models/"),
        "plinth-dev-bedrock-logs-logging": (log_bucket, "bedrock-logs/"),
        "plinth-dev-audit-logs-logging": (log_bucket, "audit-logs/"),
        # Tenants' buckets log there too, each under tenants/<tenant>/<bucket>/.
        **{
            f"plinth-dev-{name}-{kind}-logging": (log_bucket, f"tenants/{name}/{kind}/")
            for name in dev_tenants()
            for kind in TENANT_BUCKETS
        },
    }


def test_every_aws_resource_uses_the_stack_s_explicit_provider(dev_preview: Preview) -> None:
    (provider,) = dev_preview.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    assert "allowedAccountIds" not in provider.inputs
    aws_resources = [r for r in dev_preview.resources if r.type.startswith("aws:")]
    assert {r.provider.rsplit("::", 1)[0] for r in aws_resources} == {provider.urn}


def test_stateful_resources_are_retained_and_unprotected_in_dev(dev_preview: Preview) -> None:
    stateful = [r for r in dev_preview.resources if r.type in STATEFUL]
    members = tenant_members(dev_preview)
    # the platform, audit and security-alarm topic keys, five buckets (access logs, datasets,
    # models, Bedrock logs, audit logs), the flow-log, control-plane, Bedrock invocation,
    # trail, Prometheus workspace and model approval log groups
    assert len([r for r in stateful if r.urn not in members]) == 14
    # each tenant's own key and buckets
    assert Counter(members[r.urn] for r in stateful if r.urn in members) == {
        component: 1 + len(TENANT_BUCKETS) for component in tenants_by_component()
    }
    assert all(r.retain_on_delete for r in stateful)
    assert not any(r.protect for r in dev_preview.resources)


def test_protected_stack_protects_stateful_resources(tmp_path: Path) -> None:
    preview = preview_dev(tmp_path, {"plinth:protect": True})
    protected = {r.type for r in preview.resources if r.protect}
    assert protected >= set(STATEFUL)
    assert all(r.protect for r in preview.resources if r.type in STATEFUL)


def test_dev_uses_a_single_nat_and_three_azs(dev_preview: Preview) -> None:
    assert len(dev_preview.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(dev_preview.of_type("aws:ec2/subnet:Subnet")) == 6


def test_pinned_account_and_object_lock_from_config(tmp_path: Path) -> None:
    preview = preview_dev(
        tmp_path,
        {
            "plinth:aws": {"region": "eu-central-1", "accountId": "210987654321"},
            "plinth:bedrock": {
                "enabled": True,
                "models": ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0"],
            },
            "plinth:storage": {
                "buckets": {"audit": {"objectLock": {"mode": "COMPLIANCE", "days": 365}}}
            },
        },
        # The dev tenants use us-east-1 models this variant does not approve.
        removals=("plinth:tenants",),
    )
    (provider,) = preview.of_type("pulumi:providers:aws")
    # Provider configuration reaches the engine JSON-encoded, as in a real deployment.
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["210987654321"]
    assert provider.inputs["region"] == "eu-central-1"
    assert sorted(r.name for r in preview.of_type(BUCKET)) == [
        "plinth-dev-access-logs",
        "plinth-dev-audit",
        "plinth-dev-audit-logs",
        "plinth-dev-bedrock-logs",
    ]
    lock = one(
        preview,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "plinth-dev-audit-object-lock",
    )
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}
    assert (
        of_type(preview, "aws:ec2/vpcEndpoint:VpcEndpoint", "-s3")[0].inputs["serviceName"]
        == "com.amazonaws.eu-central-1.s3"
    )
    # The AZ lookup goes through the stack's provider (the engine's fallback is us-east-1).
    zones = sorted({s.inputs["availabilityZone"] for s in preview.of_type("aws:ec2/subnet:Subnet")})
    assert zones == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


def test_cost_allocation_tags_are_activated_only_when_asked(
    tmp_path: Path, dev_preview: Preview
) -> None:
    tag = "aws:costexplorer/costAllocationTag:CostAllocationTag"
    assert not dev_preview.of_type(tag)
    preview = preview_dev(tmp_path, {"plinth:activateCostAllocationTags": True})
    assert sorted((r.inputs["tagKey"], r.inputs["status"]) for r in preview.of_type(tag)) == [
        ("cost-center", "Active"),
        ("project", "Active"),
    ]


def test_stack_outputs(dev_preview: Preview) -> None:
    outputs = dev_preview.outputs
    buckets = {r.name: r.id for r in dev_preview.of_type(BUCKET)}
    assert outputs["dataBuckets"] == {
        "datasets": buckets["plinth-dev-datasets"],
        "models": buckets["plinth-dev-models"],
    }
    assert outputs["accessLogBucket"] == buckets["plinth-dev-access-logs"]
    assert outputs["vpcId"] == one(dev_preview, "aws:ec2/vpc:Vpc").id
    assert len(outputs["privateSubnetIds"]) == 3
    assert outputs["region"] == "us-east-1"


def mlops_roles(mlops: dict[str, Any] | None) -> int:
    """Roles a tenant file's `mlops` adds: the tracking server's (SageMaker's, or MLflow's on
    the cluster), the catalog location's."""
    if mlops is None:
        return 0
    return ("tracking" in mlops) + bool(mlops.get("catalog", True))


def test_physical_names_are_valid_for_their_services(dev_preview: Preview) -> None:
    buckets = dev_preview.of_type(BUCKET)
    assert {bucket.name for bucket in buckets} == dev_bucket_names()
    for bucket in buckets:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket.id), bucket.id
    roles = dev_preview.of_type(ROLE)
    members = tenant_members(dev_preview)
    # flow logs, EKS cluster, EKS nodes, Bedrock log delivery, the auditor (plinth:auditors),
    # the AWS Config recorder, the trail's CloudWatch Logs delivery (soc2), the gateway, its
    # database bootstrap and the served model's weights reader (plinth:gateway), the metrics
    # collector's source and target roles, the trace store's Phoenix, database bootstrap and
    # collector (plinth:observability), and the tenants' MLflow databases bootstrap
    # (a tenant's tracking.server: cluster)
    assert len([role for role in roles if role.urn not in members]) == 16
    # each tenant: its workload role, one per persona in its file, the feature store's, and
    # its tracking server's and catalog location's (mlops)
    assert Counter(members[role.urn] for role in roles if role.urn in members) == {
        component: 1
        + len(tenant["personas"])
        + ("featureStore" in tenant.get("dataStores", {}))
        + mlops_roles(tenant.get("mlops"))
        for component, tenant in tenants_by_component().items()
    }
    for role in roles:
        assert re.fullmatch(r"[\w+=,.@-]{1,64}", role.id), role.id


def test_no_warnings_from_the_program(dev_preview: Preview) -> None:
    assert dev_preview.diagnostics == []
