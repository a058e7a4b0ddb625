"""A tenant's experiment tracking on Amazon SageMaker managed MLflow: the tracking server, the
role it works as, and who of the tenant may use it.

Clients (the MLflow SDK with the `sagemaker-mlflow` plugin, which signs requests with the
caller's AWS credentials) talk to the server by its ARN; artifacts go from the client straight
to the artifact store, so writers need the tenant's artifacts bucket too (TenantPermissions
grants it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, key_through, policy_document
from components.mlops.contract import TrackingServerSize
from components.mlops.registry import RegistryArns, registry_statements
from components.scope import AwsScope

ARTIFACT_PREFIX = "mlflow/"
"""Where in the tenant's artifacts bucket the tracking server keeps run and model artifacts."""

TRACKING_READ_ACTIONS = (
    "sagemaker-mlflow:Get*",
    "sagemaker-mlflow:Search*",
    "sagemaker-mlflow:List*",
)
"""The MLflow calls the Service Authorization Reference lists at the Read and List levels."""
TRACKING_WRITE_ACTIONS = (
    *TRACKING_READ_ACTIONS,
    "sagemaker-mlflow:Create*",
    "sagemaker-mlflow:Log*",
    "sagemaker-mlflow:Set*",
    "sagemaker-mlflow:Update*",
    "sagemaker-mlflow:Rename*",
    "sagemaker-mlflow:Delete*",
    "sagemaker-mlflow:Restore*",
    "sagemaker-mlflow:StartTrace",
    "sagemaker-mlflow:EndTrace",
    "sagemaker-mlflow:FinalizeLoggedModel",
    "sagemaker-mlflow:TransitionModelVersionStage",
)
"""Every MLflow call on runs, experiments, models and traces (the Write level): the service
has no separate admin calls, so writers get them all, on the tenant's own server only. Not
`sagemaker-mlflow:*`, which also holds AccessUI, a call on no resource."""
TRACKING_UI_ACTIONS = ("sagemaker-mlflow:AccessUI",)
"""Opening the MLflow UI; the action takes no resource (the presigned URL names the server)."""
TRACKING_OPEN_ACTIONS = (
    "sagemaker:CreatePresignedMlflowTrackingServerUrl",
    "sagemaker:DescribeMlflowTrackingServer",
)
"""A UI sign-in link for the server, and its state and tracking URL."""

SERVER_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
SERVER_BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation")
SERVER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def tracking_statements(server_arn: pulumi.Input[str], *, write: bool) -> list[Statement]:
    """Using the tenant's tracking server: every MLflow call with `write`, else reads only."""
    return [
        {
            "Sid": "UseTenantTrackingServer",
            "Effect": "Allow",
            "Action": list(TRACKING_WRITE_ACTIONS if write else TRACKING_READ_ACTIONS),
            "Resource": server_arn,
        },
        {
            "Sid": "OpenTenantTrackingServer",
            "Effect": "Allow",
            "Action": list(TRACKING_OPEN_ACTIONS),
            "Resource": server_arn,
        },
        {
            "Sid": "OpenMlflowUi",
            "Effect": "Allow",
            "Action": list(TRACKING_UI_ACTIONS),
            "Resource": "*",
        },
    ]


@dataclass(frozen=True)
class TrackingServerArgs:
    """Inputs of a TrackingServer.

    `server_name` is `<prefix>-<tenant>`; `size` and `mlflow_version` come from the tenant
    file. With `automatic_model_registration`, SageMaker copies models registered in MLflow
    into model package groups of the same name, which `registry` bounds to the tenant's.
    """

    scope: AwsScope
    tenant: str
    server_name: str
    artifacts_bucket: pulumi.Input[str]
    artifacts_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    registry: RegistryArns
    tags: Mapping[str, str]
    size: TrackingServerSize = "Small"
    mlflow_version: str = "3.0"
    automatic_model_registration: bool = False


class TrackingServer(pulumi.ComponentResource):
    """A SageMaker managed MLflow tracking server for one tenant:

    - its artifact store is `mlflow/` in the tenant's artifacts bucket, so artifacts are
      encrypted with the tenant's key by the bucket's default and versioned like the rest;
    - its role (trusted by SageMaker for this account only) may read and write that prefix,
      use the tenant key through S3 and, for automatic registration, register versions in the
      tenant's model package groups, never approve them;
    - the server's metadata (experiments, runs, registered models) lives in SageMaker's
      service-managed store and goes with the server on `pulumi destroy`, while the artifacts
      stay in the retained bucket: protect the stack (`plinth:protect`) where runs matter.
    """

    server: aws.sagemaker.MlflowTrackingServer
    role: aws.iam.Role

    def __init__(
        self, name: str, args: TrackingServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:TrackingServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        self.role = aws.iam.Role(
            name,
            description=f"SageMaker MLflow tracking server of tenant {args.tenant}",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "AssumedBySageMakerForThisServerOnly",
                        "Effect": "Allow",
                        "Principal": {"Service": scope.service_principal("sagemaker", parent=self)},
                        "Action": "sts:AssumeRole",
                        # AWS documents no condition for this role's trust (its MLflow IAM page
                        # shows none, its confused-deputy page lists no MLflow feature): they
                        # are checked when SageMaker sends them, never required.
                        "Condition": {
                            "StringEqualsIfExists": {"aws:SourceAccount": scope.account_id},
                            "ArnLikeIfExists": {
                                "aws:SourceArn": scope.arn(
                                    "sagemaker", f"mlflow-tracking-server/{args.server_name}"
                                )
                            },
                        },
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            name,
            role=self.role.id,
            policy=policy_document(self._statements(args)),
            opts=child,
        )
        self.server = aws.sagemaker.MlflowTrackingServer(
            name,
            tracking_server_name=args.server_name,
            artifact_store_uri=pulumi.Output.concat(
                "s3://", args.artifacts_bucket, f"/{ARTIFACT_PREFIX}"
            ),
            role_arn=self.role.arn,
            tracking_server_size=args.size,
            mlflow_version=args.mlflow_version,
            automatic_model_registration=args.automatic_model_registration,
            tags=dict(args.tags),
            # SageMaker checks the role can reach the artifact store when it creates the server.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs(
            {"serverArn": self.server.arn, "trackingUrl": self.server.tracking_server_url}
        )

    def _statements(self, args: TrackingServerArgs) -> list[Statement]:
        statements = artifact_store_statements(
            args.artifacts_bucket_arn, args.key_arn, args.scope.region
        )
        if args.automatic_model_registration:
            statements += registry_statements(args.registry, register=True, approve=False)
        return statements


def artifact_store_statements(
    artifacts_bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str], region: str
) -> list[Statement]:
    """What a tracking server (SageMaker's, or MLflow on a cluster serving artifacts) does in
    its artifact store: objects under `mlflow/` of the tenant's artifacts bucket, encrypted
    with the tenant's key through S3."""
    return [
        {
            "Sid": "ArtifactStoreObjects",
            "Effect": "Allow",
            "Action": list(SERVER_OBJECT_ACTIONS),
            "Resource": pulumi.Output.concat(artifacts_bucket_arn, f"/{ARTIFACT_PREFIX}*"),
        },
        {
            "Sid": "ArtifactStoreBucket",
            "Effect": "Allow",
            "Action": list(SERVER_BUCKET_ACTIONS),
            "Resource": artifacts_bucket_arn,
        },
        key_through("TenantKeyThroughS3", key_arn, SERVER_KEY_ACTIONS, service="s3", region=region),
    ]
