"""What a tenant's roles may do: its own buckets, key, vector collection, models and clusters,
named by ARN, and nothing of any other tenant.

The statement builders are pure: with plain-string ARNs they return plain JSON-ready dicts,
so the isolation test evaluates exactly these documents against real (moto) resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, key_through, policy_document, suffixed
from components.scope import AwsScope
from components.tenant.contract import Persona

INLINE_POLICY_LIMIT = 10_240
"""IAM's quota on the inline policies of one role, counted without whitespace."""

BUCKET_READ_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation")
BUCKET_WRITE_ACTIONS = ("s3:ListBucketMultipartUploads",)
OBJECT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging")
# No s3:DeleteObjectVersion: writers add delete markers, only the bucket's lifecycle (or a
# break-glass admin) removes versions for good.
OBJECT_WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
# S3 asks KMS for a data key to write an SSE-KMS object and to decrypt one to read it (and, for
# a multipart upload, to decrypt the data key of each part).
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
VECTOR_STORE_ACTIONS = ("aoss:APIAccessAll",)


def data_statements(
    bucket_arns: Sequence[pulumi.Input[str]],
    key_arn: pulumi.Input[str],
    *,
    write: bool,
    region: str,
) -> list[Statement]:
    """Listing and reading (with `write`, also writing) the objects of the given buckets,
    and the tenant key, only as S3 uses it for them.

    The key grant carries `kms:ViaService = s3.<region>.amazonaws.com`: these statements are
    about the buckets, so the role cannot call KMS directly, e.g. to decrypt ciphertext taken
    out of a bucket. The same key also encrypts the tenant's OpenSearch Serverless collection
    and SageMaker offline store, but those services use it through their own grants and
    roles, not through these statements.
    """
    buckets = list(bucket_arns)
    objects = [suffixed(arn, "/*") for arn in buckets]
    statements: list[Statement] = [
        {
            "Sid": "ListTenantBuckets",
            "Effect": "Allow",
            "Action": [*BUCKET_READ_ACTIONS, *(BUCKET_WRITE_ACTIONS if write else ())],
            "Resource": buckets,
        },
        {
            "Sid": "ReadTenantObjects",
            "Effect": "Allow",
            "Action": list(OBJECT_READ_ACTIONS),
            "Resource": objects,
        },
    ]
    if write:
        statements.append(
            {
                "Sid": "WriteTenantObjects",
                "Effect": "Allow",
                "Action": list(OBJECT_WRITE_ACTIONS),
                "Resource": objects,
            }
        )
    statements.append(
        key_through(
            "UseTenantKeyThroughS3",
            key_arn,
            KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS,
            service="s3",
            region=region,
        )
    )
    return statements


def vector_store_statements(collection_arn: pulumi.Input[str]) -> list[Statement]:
    """Calling the OpenSearch APIs of the tenant's collection. IAM only opens the door: what
    may be read or written inside it is the collection's data access policy."""
    return [
        {
            "Sid": "UseTenantVectorCollection",
            "Effect": "Allow",
            "Action": list(VECTOR_STORE_ACTIONS),
            "Resource": collection_arn,
        }
    ]


def cluster_statements(cluster_arns: Sequence[pulumi.Input[str]]) -> list[Statement]:
    """Describing the tenant's EKS clusters (what `aws eks update-kubeconfig` needs)."""
    if not cluster_arns:
        return []
    return [
        {
            "Sid": "DescribeTenantClusters",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": list(cluster_arns),
        }
    ]


def _within_inline_limit(document: str) -> str:
    size = len(json.dumps(json.loads(document), separators=(",", ":")))
    if size > INLINE_POLICY_LIMIT:
        raise ValueError(
            f"an inline policy of {size} characters exceeds IAM's {INLINE_POLICY_LIMIT} per role"
        )
    return document


@dataclass(frozen=True)
class TenantPermissionsArgs:
    """Inputs of TenantPermissions: the roles of a TenantIdentity and the tenant's resources.

    `bedrock_statements` are the project's model grants (`ProjectModelAccess.statements`);
    `eks_cluster_arns` the tenant's EKS clusters.
    """

    scope: AwsScope
    workload_role: aws.iam.Role
    persona_roles: Mapping[Persona, aws.iam.Role]
    bucket_arns: Sequence[pulumi.Input[str]]
    key_arn: pulumi.Input[str]
    collection_arn: pulumi.Input[str] | None = None
    bedrock_statements: Sequence[Statement] = ()
    eks_cluster_arns: Sequence[pulumi.Input[str]] = ()


class TenantPermissions(pulumi.ComponentResource):
    """One inline policy per tenant role:

    - workload: read and write the tenant's data, its vector collection, its Bedrock models;
    - admin and developer: the same, plus describing the tenant's EKS clusters (people run
      and debug what the workloads run);
    - viewer: read the tenant's data and describe its clusters.

    Each document must stay within IAM's 10,240 characters of inline policy per role (checked
    when the document is known; the Bedrock grant is the part that grows with models).
    """

    policies: dict[str, aws.iam.RolePolicy]

    def __init__(
        self, name: str, args: TenantPermissionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:TenantPermissions", name, None, opts)
        region = args.scope.region
        writes = data_statements(args.bucket_arns, args.key_arn, write=True, region=region)
        vectors = (
            vector_store_statements(args.collection_arn) if args.collection_arn is not None else []
        )
        clusters = cluster_statements(args.eks_cluster_arns)
        workload = [*writes, *vectors, *args.bedrock_statements]
        documents: dict[str, tuple[aws.iam.Role, list[Statement]]] = {
            "workload": (args.workload_role, workload)
        }
        for persona, role in args.persona_roles.items():
            documents[persona] = (
                role,
                [
                    *data_statements(args.bucket_arns, args.key_arn, write=False, region=region),
                    *clusters,
                ]
                if persona == "viewer"
                else [*workload, *clusters],
            )
        self.policies = {
            purpose: aws.iam.RolePolicy(
                f"{name}-{purpose}",
                name="tenant-access",
                role=role.id,
                policy=policy_document(statements).apply(_within_inline_limit),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for purpose, (role, statements) in documents.items()
        }
        self.register_outputs({"policies": {k: p.name for k, p in self.policies.items()}})
