"""AWS identities of the gateway's pods: one IAM role per Kubernetes service account, assumed
through EKS Pod Identity, and the statements each one needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import Statement, key_through, pod_identity_trust_statement, policy_document
from components.names import bounded_name
from components.scope import AwsScope

ROLE_NAME_LIMIT = 64

SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
"""What the Secrets Store CSI driver's AWS provider calls to mount a secret (its README and
the AWS managed policy AWSSecretsManagerClientReadOnlyAccess)."""
SECRET_KEY_ACTIONS = ("kms:Decrypt",)
"""Reading a secret encrypted with a customer key decrypts it through Secrets Manager."""
REQUEST_LOG_WRITE_ACTIONS = ("s3:PutObject",)
"""The proxy's S3 logger writes each batch of request records as one object."""
REQUEST_LOG_KEY_ACTIONS = ("kms:GenerateDataKey",)
"""S3 asks KMS for a data key to encrypt each SSE-KMS object it stores."""
DATABASE_CONNECT_ACTIONS = ("rds-db:connect",)
"""IAM database authentication: a token for one database user (Aurora User Guide,
UsingWithRDS.IAMDBAuth.IAMPolicy)."""


def secret_read_statements(
    scope: AwsScope, secret_arns: Sequence[pulumi.Input[str]], key_arn: pulumi.Input[str]
) -> list[Statement]:
    """Read exactly these secrets, and decrypt with their key only through Secrets Manager."""
    return [
        {
            "Sid": "ReadTheServiceSecrets",
            "Effect": "Allow",
            "Action": list(SECRET_READ_ACTIONS),
            "Resource": list(secret_arns),
        },
        key_through(
            "DecryptTheSecretsThroughSecretsManager",
            key_arn,
            SECRET_KEY_ACTIONS,
            service="secretsmanager",
            region=scope.region,
        ),
    ]


def request_log_statements(
    scope: AwsScope,
    bucket_name: pulumi.Input[str],
    prefix: str,
    key_arn: pulumi.Input[str],
    region: str,
) -> list[Statement]:
    """Add objects under one prefix of the log bucket (no reading, no deleting), encrypted
    with its key only through S3 in the bucket's region."""
    return [
        {
            "Sid": "WriteRequestLogs",
            "Effect": "Allow",
            "Action": list(REQUEST_LOG_WRITE_ACTIONS),
            "Resource": pulumi.Output.concat(
                f"arn:{scope.partition}:s3:::", bucket_name, f"/{prefix}/*"
            ),
        },
        key_through(
            "EncryptRequestLogsThroughS3",
            key_arn,
            REQUEST_LOG_KEY_ACTIONS,
            service="s3",
            region=region,
        ),
    ]


def database_connect_statement(
    scope: AwsScope, cluster_resource_id: pulumi.Input[str], user: str
) -> Statement:
    """Connect as one database user of one Aurora cluster with an IAM token."""
    return {
        "Sid": "ConnectAsTheServiceDatabaseUser",
        "Effect": "Allow",
        "Action": list(DATABASE_CONNECT_ACTIONS),
        "Resource": scope.arn(
            "rds-db", pulumi.Output.concat("dbuser:", cluster_resource_id, "/", user)
        ),
    }


@dataclass(frozen=True)
class PodRoleArgs:
    """One service account of one namespace on one EKS cluster, and what it may do."""

    scope: AwsScope
    role_name: str
    description: str
    cluster_name: pulumi.Input[str]
    namespace: str
    service_account: str
    statements: Sequence[Statement]
    tags: Mapping[str, str]


class PodRole(pulumi.ComponentResource):
    """An IAM role only the named service account can assume (Pod Identity session tags pin
    cluster, namespace and service account), its inline policy, and the association."""

    role: aws.iam.Role

    def __init__(
        self, name: str, args: PodRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:gateway:PodRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        cluster_arn = scope.arn("eks", pulumi.Output.concat("cluster/", args.cluster_name))
        self.role = aws.iam.Role(
            name,
            name=bounded_name(args.role_name, ROLE_NAME_LIMIT),
            description=args.description,
            assume_role_policy=policy_document(
                [
                    pod_identity_trust_statement(
                        "AssumedByEksPodIdentityForOneServiceAccount",
                        scope.service_principal("pods.eks", self),
                        cluster_arns=[cluster_arn],
                        namespace=args.namespace,
                        service_account=args.service_account,
                    )
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=policy_document(args.statements),
            opts=child,
        )
        aws.eks.PodIdentityAssociation(
            f"{name}-association",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=args.service_account,
            role_arn=self.role.arn,
            tags=dict(args.tags),
            opts=child,
        )
        self.register_outputs({"roleArn": self.role.arn})


@dataclass(frozen=True)
class ServiceIdentities:
    """Where a platform service's pods get their AWS identities: its cluster and namespace,
    how its roles are named and tagged, and the component (`parent`) and resource options
    (`in_namespace`) its service accounts are made with."""

    scope: AwsScope
    name_prefix: str
    cluster_name: pulumi.Input[str]
    namespace: str
    tags: Mapping[str, str]
    parent: pulumi.Resource
    in_namespace: pulumi.ResourceOptions

    def role(
        self,
        resource_name: str,
        *,
        role: str,
        service_account: str,
        description: str,
        statements: Sequence[Statement],
    ) -> PodRole:
        """The service account `service_account` (its pods mount no API token unless their
        spec asks: they reach AWS through Pod Identity, which needs none, not the API server)
        and the PodRole `<prefix>-<role>` it assumes."""
        account = k8s.core.v1.ServiceAccount(
            f"{resource_name}-sa",
            metadata={"name": service_account, "namespace": self.namespace},
            automount_service_account_token=False,
            opts=self.in_namespace,
        )
        # After the account: what waits for the role (a Deployment, a Job) finds both.
        return PodRole(
            resource_name,
            PodRoleArgs(
                scope=self.scope,
                role_name=f"{self.name_prefix}-{role}",
                description=description,
                cluster_name=self.cluster_name,
                namespace=self.namespace,
                service_account=service_account,
                statements=statements,
                tags=self.tags,
            ),
            pulumi.ResourceOptions(parent=self.parent, depends_on=[account]),
        )
