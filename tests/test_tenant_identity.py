"""The IAM side of a tenant (TenantIdentity, TenantPermissions), the platform auditor and a
CoreWeave cluster's OIDC provider, run as a small program under the offline engine.

The tenant `search` has members in every persona (IAM principals and Identity Center groups),
runs on one EKS and one CoreWeave cluster, and gets one Bedrock model. Expected names, ARNs
and documents are written by hand from the AWS documentation: role ARNs from the example
account 123456789012, Identity Center role ARNs from "Referencing permission sets in resource
policies", Pod Identity session tags from "Create IAM role with trust policy required by EKS
Pod Identity", EKS access policies from "Review access policy permissions".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi_kubernetes as k8s
import pytest
from support import (
    ROLE,
    ROLE_POLICY,
    bedrock_for_parliament,
    document,
    iam_findings,
    named,
    of_type,
    one,
    parliament_findings_above_low,
    run_components,
    scope,
    statement,
    trust_policy_with_resource,
)

from components.bedrock.grants import GuardrailPin, ProjectModelAccess, ProjectModelAccessArgs
from components.bedrock.models import ModelRef
from components.tenant.contract import Persona, PersonaMembers, TenantCluster
from components.tenant.identity import (
    ClusterOidcProvider,
    ClusterOidcProviderArgs,
    IdentityCenter,
    PlatformAuditor,
    PlatformAuditorArgs,
    TenantIdentity,
    TenantIdentityArgs,
)
from components.tenant.permissions import TenantPermissions, TenantPermissionsArgs
from plinth.audit import StackCompliance, audit_preview
from plinth.engine import Preview, ResourceRecord
from plinth.engine.errors import ProgramError
from policies.catalog import PROFILES
from policies.rules import RULES_BY_ID

ACCOUNT = "123456789012"
ROOT = "arn:aws:iam::123456789012:root"
OPS_ROLE = "arn:aws:iam::123456789012:role/search-ops"
ALICE = "arn:aws:iam::123456789012:user/alice"
AUDITORS = "arn:aws:iam::123456789012:role/security-team"
INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-7223a1b0c6e5f1d2"
IDENTITY_STORE = "d-9067a1b2c3"
EKS_CLUSTER = "plinth-dev-train"
EKS_CLUSTER_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/plinth-dev-train"
COREWEAVE_CLUSTER = "plinth-dev-cw-east"
ISSUER = "oidc.cks.coreweave.com/id/0f6e3c1a-5b7d-4e2a-9c8b-1d2e3f4a5b6c"
OIDC_PROVIDER_ARN = (
    "arn:aws:iam::123456789012:oidc-provider/"
    "oidc.cks.coreweave.com/id/0f6e3c1a-5b7d-4e2a-9c8b-1d2e3f4a5b6c"
)
BUCKETS = ("arn:aws:s3:::plinth-dev-search-datasets", "arn:aws:s3:::plinth-dev-search-models")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/2f1e0d9c-8b7a-4654-8321-0fedcba98765"
COLLECTION_ARN = "arn:aws:aoss:us-east-1:123456789012:collection/a1b2c3d4e5f6g7h8i9j0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
TAGS = {
    "project": "search",
    "cost-center": "cc-search",
    "owner": "search-team@example.com",
    "environment": "dev",
    "data-classification": "internal",
}
GUARDRAIL = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abcdef123456"

PERSONA_ROLES = {
    "admin": "arn:aws:iam::123456789012:role/plinth-dev-search-admin",
    "developer": "arn:aws:iam::123456789012:role/plinth-dev-search-developer",
    "viewer": "arn:aws:iam::123456789012:role/plinth-dev-search-viewer",
}
WORKLOAD_ROLE = "arn:aws:iam::123456789012:role/plinth-dev-search-workload"
ACCESS_POLICIES = {
    "admin": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
    "developer": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    "viewer": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
}

ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
PERMISSION_SET_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
ACCOUNT_ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def clusters(oidc_provider_arn: Any) -> list[TenantCluster]:
    common: dict[str, Any] = {
        "gpu_flavors": {},
        "cohort": "plinth",
        "kueue_api_version": "kueue.x-k8s.io/v1beta1",
    }
    return [
        TenantCluster(
            key="train",
            cloud="aws",
            cluster_name=EKS_CLUSTER,
            kubernetes_provider=k8s.Provider("train-k8s", kubeconfig="{}"),
            **common,
        ),
        TenantCluster(
            key="cw-east",
            cloud="coreweave",
            cluster_name=COREWEAVE_CLUSTER,
            kubernetes_provider=k8s.Provider("cw-east-k8s", kubeconfig="{}"),
            oidc_issuer_url=f"https://{ISSUER}",
            oidc_provider_arn=oidc_provider_arn,
            **common,
        ),
    ]


PERSONAS: Mapping[Persona, PersonaMembers] = {
    "admin": PersonaMembers(iam_principals=[OPS_ROLE], sso_groups=["Search Admins"]),
    "developer": PersonaMembers(sso_groups=["Search Developers", "Search Contractors"]),
    "viewer": PersonaMembers(iam_principals=[ALICE], kubernetes_groups=["search-readers"]),
}


def identity_args(**changes: Any) -> TenantIdentityArgs:
    """The `search` tenant's arguments; call inside a program (its clusters have providers)."""
    values: dict[str, Any] = {
        "scope": scope(),
        "tenant": "search",
        "name_prefix": "plinth-dev",
        "namespace": "search",
        "personas": PERSONAS,
        "tags": TAGS,
        "identity_center": IdentityCenter(INSTANCE_ARN, IDENTITY_STORE),
        **changes,
    }
    if "clusters" not in values:
        values["clusters"] = clusters(OIDC_PROVIDER_ARN)
    return TenantIdentityArgs(**values)


def refusal(**changes: Any) -> str:
    """The error a TenantIdentityArgs with `changes` stops the program with."""
    with pytest.raises(ProgramError) as caught:
        run_components(lambda: identity_args(**changes))
    return str(caught.value)


@pytest.fixture(scope="module")
def tenant() -> Preview:
    def body() -> None:
        oidc = ClusterOidcProvider(
            "cw-east-oidc", ClusterOidcProviderArgs(issuer_url=f"https://{ISSUER}", tags=TAGS)
        )
        identity = TenantIdentity("search", identity_args(clusters=clusters(oidc.arn)))
        models = ProjectModelAccess(
            "search-models",
            ProjectModelAccessArgs(
                scope=scope(),
                project="search",
                models=[ModelRef.parse(HAIKU)],
                tags=TAGS,
                guardrail=GuardrailPin(GUARDRAIL, f"{GUARDRAIL}:1"),
            ),
        )
        TenantPermissions(
            "search-access",
            TenantPermissionsArgs(
                scope=scope(),
                workload_role=identity.workload_role,
                persona_roles=identity.persona_roles,
                bucket_arns=BUCKETS,
                key_arn=KEY_ARN,
                collection_arn=COLLECTION_ARN,
                bedrock_statements=models.statements,
                eks_cluster_arns=identity.eks_cluster_arns,
            ),
        )
        PlatformAuditor(
            "auditor",
            PlatformAuditorArgs(
                scope=scope(),
                name_prefix="plinth-dev",
                principals=[AUDITORS],
                eks_clusters={"train": EKS_CLUSTER},
                tags=TAGS,
            ),
        )

    return run_components(body)


def role(preview: Preview, name: str) -> ResourceRecord:
    return next(r for r in preview.of_type(ROLE) if r.plain_inputs["name"] == name)


def trust(preview: Preview, name: str) -> dict[str, Any]:
    return document(role(preview, name), "assumeRolePolicy")


def access_policy(preview: Preview, purpose: str) -> dict[str, Any]:
    return document(named(preview, ROLE_POLICY, f"search-access-{purpose}"), "policy")


def by_sid(policy: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


# --- persona roles ---------------------------------------------------------------------------


def test_every_persona_with_members_gets_a_role_named_after_tenant_and_persona(
    tenant: Preview,
) -> None:
    names = {r.plain_inputs["name"] for r in tenant.of_type(ROLE)}
    assert names == {
        "plinth-dev-search-admin",
        "plinth-dev-search-developer",
        "plinth-dev-search-viewer",
        "plinth-dev-search-workload",
        "plinth-dev-platform-auditor",
    }


def test_admin_trusts_its_principals_and_its_identity_center_role_only(tenant: Preview) -> None:
    assert trust(tenant, "plinth-dev-search-admin")["Statement"] == [
        {
            "Sid": "AssumedByListedPrincipals",
            "Effect": "Allow",
            "Principal": {"AWS": [OPS_ROLE]},
            "Action": "sts:AssumeRole",
        },
        {
            "Sid": "AssumedThroughIdentityCenterPermissionSet",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "sts:AssumeRole",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": "arn:aws:iam::123456789012:role/aws-reserved/"
                    "sso.amazonaws.com/*AWSReservedSSO_plinth-dev-search-admin_*"
                }
            },
        },
    ]


def test_a_persona_without_sso_groups_trusts_only_its_principals(tenant: Preview) -> None:
    # The viewer's Kubernetes group is bound by the namespace, not through IAM.
    assert trust(tenant, "plinth-dev-search-viewer")["Statement"] == [
        {
            "Sid": "AssumedByListedPrincipals",
            "Effect": "Allow",
            "Principal": {"AWS": [ALICE]},
            "Action": "sts:AssumeRole",
        }
    ]
    developer = trust(tenant, "plinth-dev-search-developer")
    assert [s["Sid"] for s in developer["Statement"]] == [
        "AssumedThroughIdentityCenterPermissionSet"
    ]


def test_persona_sessions_last_one_hour(tenant: Preview) -> None:
    for name in PERSONA_ROLES.values():
        record = role(tenant, name.rsplit("/", 1)[1])
        assert record.plain_inputs["maxSessionDuration"] == 3600


def test_a_persona_held_by_nobody_or_only_by_kubernetes_groups_gets_no_role() -> None:
    def body() -> None:
        TenantIdentity(
            "search",
            identity_args(
                personas={
                    "admin": PersonaMembers(iam_principals=[OPS_ROLE]),
                    "viewer": PersonaMembers(kubernetes_groups=["search-readers"]),
                },
            ),
        )

    preview = run_components(body)
    assert sorted(r.plain_inputs["name"] for r in preview.of_type(ROLE)) == [
        "plinth-dev-search-admin",
        "plinth-dev-search-workload",
    ]
    assert {r.plain_inputs["principalArn"] for r in preview.of_type(ACCESS_ENTRY)} == {
        PERSONA_ROLES["admin"]
    }
    assert of_type(preview, PERMISSION_SET) == []


# --- Identity Center -------------------------------------------------------------------------


def test_each_persona_with_sso_groups_gets_a_permission_set_named_like_its_role(
    tenant: Preview,
) -> None:
    sets = {r.plain_inputs["name"]: r.plain_inputs for r in tenant.of_type(PERMISSION_SET)}
    assert set(sets) == {"plinth-dev-search-admin", "plinth-dev-search-developer"}
    for inputs in sets.values():
        assert inputs["instanceArn"] == INSTANCE_ARN
        assert inputs["sessionDuration"] == "PT1H"


def test_a_permission_set_may_only_assume_its_persona_role_and_describe_eks_clusters(
    tenant: Preview,
) -> None:
    for persona in ("admin", "developer"):
        policy = one(tenant, PERMISSION_SET_POLICY, f"search-{persona}")
        permission_set = named(tenant, PERMISSION_SET, f"search-{persona}")
        assert policy.plain_inputs["permissionSetArn"] == permission_set.id.split(",")[0]
        assert document(policy, "inlinePolicy")["Statement"] == [
            {
                "Sid": "AssumeThePersonaRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": PERSONA_ROLES[persona],
            },
            {
                "Sid": "DescribeTenantClusters",
                "Effect": "Allow",
                "Action": "eks:DescribeCluster",
                "Resource": [EKS_CLUSTER_ARN],
            },
        ]


def test_each_sso_group_is_assigned_its_persona_permission_set_on_the_account(
    tenant: Preview,
) -> None:
    assignments = tenant.of_type(ACCOUNT_ASSIGNMENT)
    assert sorted(r.name for r in assignments) == [
        "search-admin-search-admins",
        "search-developer-search-contractors",
        "search-developer-search-developers",
    ]
    for record in assignments:
        persona = record.name.split("-")[1]
        permission_set = named(tenant, PERMISSION_SET, f"search-{persona}")
        inline = named(tenant, PERMISSION_SET_POLICY, f"search-{persona}")
        assert record.plain_inputs["permissionSetArn"] == permission_set.id.split(",")[0]
        assert record.plain_inputs["instanceArn"] == INSTANCE_ARN
        assert record.plain_inputs["principalType"] == "GROUP"
        assert record.plain_inputs["targetType"] == "AWS_ACCOUNT"
        assert record.plain_inputs["targetId"] == ACCOUNT
        # Provisioning the permission set to the account must see its policy.
        assert inline.urn in record.depends_on
    group_ids = {r.plain_inputs["principalId"] for r in assignments}
    assert len(group_ids) == 3


def test_a_long_permission_set_name_is_shortened_and_the_role_trusts_the_shortened_name() -> None:
    def body() -> None:
        TenantIdentity(
            "fraud",
            identity_args(
                tenant="fraud-detection-eu",
                namespace="fraud-detection-eu",
                personas={
                    "admin": PersonaMembers(sso_groups=["Fraud Admins"]),
                    "developer": PersonaMembers(sso_groups=["Fraud Developers"]),
                },
            ),
        )

    preview = run_components(body)
    names = sorted(r.plain_inputs["name"] for r in preview.of_type(PERMISSION_SET))
    assert len(set(names)) == 2
    for name in names:
        assert len(name) == 32  # Identity Center's limit
        assert name.startswith("plinth-dev-fraud-detect-")
    for persona in ("admin", "developer"):
        permission_set = named(preview, PERMISSION_SET, f"fraud-{persona}")
        pattern = statement(
            trust(preview, f"plinth-dev-fraud-detection-eu-{persona}"),
            "AssumedThroughIdentityCenterPermissionSet",
        )["Condition"]["ArnLike"]["aws:PrincipalArn"]
        assert pattern.endswith(f"/*AWSReservedSSO_{permission_set.plain_inputs['name']}_*")


def test_sso_groups_without_an_identity_center_instance_are_refused() -> None:
    assert (
        "persona 'admin' of tenant 'search' names SSO groups, but no Identity Center "
        "instance is given" in refusal(identity_center=None)
    )


# --- EKS access ------------------------------------------------------------------------------


def test_each_persona_role_enters_the_eks_cluster_in_its_group_and_namespace(
    tenant: Preview,
) -> None:
    entries = {
        r.plain_inputs["principalArn"]: r.plain_inputs
        for r in tenant.of_type(ACCESS_ENTRY)
        if r.name.startswith("search-")
    }
    assert entries == {
        PERSONA_ROLES[persona]: {
            "clusterName": EKS_CLUSTER,
            "principalArn": PERSONA_ROLES[persona],
            "type": "STANDARD",
            "kubernetesGroups": [f"plinth:search:{persona}"],
            "tags": TAGS,
        }
        for persona in ("admin", "developer", "viewer")
    }
    associations = {
        r.plain_inputs["principalArn"]: r.plain_inputs
        for r in tenant.of_type(ACCESS_POLICY_ASSOCIATION)
        if r.name.startswith("search-")
    }
    assert associations == {
        PERSONA_ROLES[persona]: {
            "clusterName": EKS_CLUSTER,
            "principalArn": PERSONA_ROLES[persona],
            "policyArn": ACCESS_POLICIES[persona],
            "accessScope": {"type": "namespace", "namespaces": ["search"]},
        }
        for persona in ("admin", "developer", "viewer")
    }


def test_coreweave_clusters_get_no_eks_resources(tenant: Preview) -> None:
    for type_ in (ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION, POD_IDENTITY):
        assert {r.plain_inputs["clusterName"] for r in tenant.of_type(type_)} == {EKS_CLUSTER}


# --- workload identity -----------------------------------------------------------------------


def test_workload_role_trusts_only_the_workload_service_account_of_the_namespace(
    tenant: Preview,
) -> None:
    assert trust(tenant, "plinth-dev-search-workload")["Statement"] == [
        {
            "Sid": "AssumedByEksPodIdentityForTheWorkloadServiceAccount",
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            # Only the session tags EKS documents for Pod Identity trust (pod-id-role).
            "Condition": {
                "StringEquals": {
                    "aws:RequestTag/eks-cluster-arn": [EKS_CLUSTER_ARN],
                    "aws:RequestTag/kubernetes-namespace": "search",
                    "aws:RequestTag/kubernetes-service-account": "workload",
                }
            },
        },
        {
            "Sid": "AssumedByWorkloadServiceAccountOnCwEast",
            "Effect": "Allow",
            "Principal": {"Federated": OIDC_PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{ISSUER}:sub": "system:serviceaccount:search:workload",
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            },
        },
    ]


def test_the_workload_service_account_is_associated_with_the_role_on_eks(
    tenant: Preview,
) -> None:
    association = one(tenant, POD_IDENTITY)
    assert association.plain_inputs == {
        "clusterName": EKS_CLUSTER,
        "namespace": "search",
        "serviceAccount": "workload",
        "roleArn": WORKLOAD_ROLE,
        "tags": TAGS,
    }


def test_the_coreweave_oidc_provider_trusts_the_issuer_for_sts(tenant: Preview) -> None:
    provider = one(tenant, OIDC_PROVIDER)
    assert provider.id == OIDC_PROVIDER_ARN
    assert provider.plain_inputs == {
        "url": f"https://{ISSUER}",
        "clientIdLists": ["sts.amazonaws.com"],
        "tags": TAGS,
    }


def test_a_coreweave_cluster_without_an_oidc_provider_is_refused() -> None:
    def body() -> None:
        identity_args(clusters=clusters(None))

    with pytest.raises(ProgramError, match="CoreWeave cluster 'cw-east' has no OIDC provider"):
        run_components(body)


def test_a_role_name_over_iams_limit_is_refused() -> None:
    assert "longer than IAM's 64 characters" in refusal(name_prefix="plinth-" + "x" * 41)


# --- permissions -----------------------------------------------------------------------------

OBJECTS = [f"{bucket}/*" for bucket in BUCKETS]
DATA_READ = [
    {
        "Sid": "ListTenantBuckets",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": list(BUCKETS),
    },
    {
        "Sid": "ReadTenantObjects",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
        "Resource": OBJECTS,
    },
    {
        "Sid": "UseTenantKeyThroughS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    },
]
DATA_WRITE = [
    {
        "Sid": "ListTenantBuckets",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
        "Resource": list(BUCKETS),
    },
    DATA_READ[1],
    {
        "Sid": "WriteTenantObjects",
        "Effect": "Allow",
        "Action": [
            "s3:PutObject",
            "s3:PutObjectTagging",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        ],
        "Resource": OBJECTS,
    },
    {
        "Sid": "UseTenantKeyThroughS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    },
]
VECTORS = {
    "Sid": "UseTenantVectorCollection",
    "Effect": "Allow",
    "Action": ["aoss:APIAccessAll"],
    "Resource": COLLECTION_ARN,
}
DESCRIBE_CLUSTERS = {
    "Sid": "DescribeTenantClusters",
    "Effect": "Allow",
    "Action": "eks:DescribeCluster",
    "Resource": [EKS_CLUSTER_ARN],
}


TENANT_SIDS = {
    "ListTenantBuckets",
    "ReadTenantObjects",
    "WriteTenantObjects",
    "UseTenantKeyThroughS3",
    "UseTenantVectorCollection",
    "DescribeTenantClusters",
}
BEDROCK_SIDS = [
    "InvokeApprovedModels",
    "InvokeApprovedModelsBehindProfiles",
    "ApplyPlatformGuardrail",
    "DenyModelCallsWithoutPlatformGuardrail",
]


def without_bedrock(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s["Sid"] in TENANT_SIDS]


def bedrock(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s["Sid"] not in TENANT_SIDS]


def test_each_role_gets_one_inline_policy(tenant: Preview) -> None:
    policies = {r.plain_inputs["role"]: r.plain_inputs["name"] for r in tenant.of_type(ROLE_POLICY)}
    assert policies == {
        "plinth-dev-search-admin": "tenant-access",
        "plinth-dev-search-developer": "tenant-access",
        "plinth-dev-search-viewer": "tenant-access",
        "plinth-dev-search-workload": "tenant-access",
        "plinth-dev-platform-auditor": "read-tenant-mlops",
    }


def test_the_workload_writes_its_data_and_uses_its_collection_and_models(
    tenant: Preview,
) -> None:
    policy = access_policy(tenant, "workload")
    assert without_bedrock(policy) == [*DATA_WRITE, VECTORS]
    assert [s["Sid"] for s in bedrock(policy)] == BEDROCK_SIDS
    assert HAIKU_ARN in statement(policy, "InvokeApprovedModels")["Resource"]


@pytest.mark.parametrize("persona", ["admin", "developer"])
def test_admin_and_developer_get_what_the_workload_gets_and_describe_the_clusters(
    tenant: Preview, persona: str
) -> None:
    policy = access_policy(tenant, persona)
    assert without_bedrock(policy) == [*DATA_WRITE, VECTORS, DESCRIBE_CLUSTERS]
    assert bedrock(policy) == bedrock(access_policy(tenant, "workload"))


def test_the_viewer_reads_the_data_and_describes_the_clusters_only(tenant: Preview) -> None:
    assert access_policy(tenant, "viewer")["Statement"] == [*DATA_READ, DESCRIBE_CLUSTERS]


def test_an_inline_policy_over_iams_limit_stops_the_preview() -> None:
    big = [
        {
            "Sid": f"Invoke{index}",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": f"{HAIKU_ARN}-{'x' * 90}-{index}",
        }
        for index in range(80)
    ]

    def body() -> None:
        identity = TenantIdentity("search", identity_args())
        TenantPermissions(
            "search-access",
            TenantPermissionsArgs(
                scope=scope(),
                workload_role=identity.workload_role,
                persona_roles={},
                bucket_arns=BUCKETS,
                key_arn=KEY_ARN,
                bedrock_statements=big,
            ),
        )

    with pytest.raises(ProgramError, match="exceeds IAM's 10240 per role"):
        run_components(body)


# --- platform auditor ------------------------------------------------------------------------


def test_the_auditor_reads_configuration_and_views_clusters_without_secrets(
    tenant: Preview,
) -> None:
    assert trust(tenant, "plinth-dev-platform-auditor")["Statement"] == [
        {
            "Sid": "AssumedByPlatformAuditors",
            "Effect": "Allow",
            "Principal": {"AWS": [AUDITORS]},
            "Action": "sts:AssumeRole",
        }
    ]
    assert {
        r.plain_inputs["policyArn"]
        for r in tenant.of_type(ATTACHMENT)
        if r.plain_inputs["role"] == "plinth-dev-platform-auditor"
    } == {
        "arn:aws:iam::aws:policy/SecurityAudit",
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    }
    entry = named(tenant, ACCESS_ENTRY, "auditor-train").plain_inputs
    assert entry["principalArn"] == "arn:aws:iam::123456789012:role/plinth-dev-platform-auditor"
    assert entry["type"] == "STANDARD"
    assert "kubernetesGroups" not in entry
    association = named(tenant, ACCESS_POLICY_ASSOCIATION, "auditor-train").plain_inputs
    assert association["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    )
    assert association["accessScope"] == {"type": "cluster"}


# --- checks ----------------------------------------------------------------------------------


def test_the_pack_finds_nothing_in_these_components_under_every_profile(tenant: Preview) -> None:
    # The project's inference profile is ProjectModelAccess's (tested with Bedrock); alone
    # in this program it lacks the stack's invocation logging and endpoint. The account
    # guardrails are the stack's too (tests/test_guardrails.py).
    report = audit_preview(tenant, StackCompliance(profiles=list(PROFILES), waivers=[]))
    assert [
        (f.policy, f.name, f.message)
        for f in report.findings
        if not f.name.startswith("search-models-") and RULES_BY_ID[f.policy].area != "guardrails"
    ] == []


def test_the_previews_report_no_diagnostics(tenant: Preview) -> None:
    assert tenant.diagnostics == []


def parliament_gaps(issuer: str, provider_arn: str) -> list[str]:
    """What parliament 1.6.4 reports on any valid OIDC web-identity trust: it knows only SAML
    providers and four public web-identity providers as Federated principals, and no
    `<issuer>:sub`/`:aud` condition keys (statement.py, _check_principal/_check_condition)."""
    return [
        f"MEDIUM UNKNOWN_FEDERATION_SOURCE: {provider_arn}",
        f"MEDIUM UNKNOWN_CONDITION_FOR_ACTION: Unknown condition {issuer}:sub for action "
        "sts:AssumeRoleWithWebIdentity",
        f"MEDIUM UNKNOWN_CONDITION_FOR_ACTION: Unknown condition {issuer}:aud for action "
        "sts:AssumeRoleWithWebIdentity",
    ]


def test_every_document_has_no_parliament_findings_above_low(tenant: Preview) -> None:
    trusts = {r.plain_inputs["name"]: r for r in tenant.of_type(ROLE)}
    findings = {
        f"trust of {name}": parliament_findings_above_low(trust_policy_with_resource(record))
        for name, record in trusts.items()
    }
    findings |= {
        f"policy of {r.plain_inputs['role']}": iam_findings(
            bedrock_for_parliament(r.plain_inputs["policy"])
        )
        for r in tenant.of_type(ROLE_POLICY)
    }
    findings |= {
        f"permission set {r.name}": parliament_findings_above_low(r.plain_inputs["inlinePolicy"])
        for r in tenant.of_type(PERMISSION_SET_POLICY)
    }
    assert len(findings) == 5 + 5 + 2  # trusts, role policies, permission sets
    workload = findings.pop("trust of plinth-dev-search-workload")
    assert workload == parliament_gaps(ISSUER, OIDC_PROVIDER_ARN)
    assert {name: found for name, found in findings.items() if found} == {}
