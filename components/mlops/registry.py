"""A tenant's model registry: a SageMaker model package group, and who may register, approve
and read model versions in it.

The promotion path is the approval status: a version is registered `PendingManualApproval`
and reaches production (`Approved`) only through the tenant's admin persona. IAM enforces it
with `sagemaker:ModelApprovalStatus`, which CreateModelPackage and UpdateModelPackage carry
(Service Authorization Reference, Amazon SageMaker AI: actions and condition keys).

The statement builders are pure: given plain-string ARNs they return JSON-ready dicts, which
the tests evaluate with an IAM policy simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, suffixed
from components.mlops.contract import REGISTRY_GROUP_SEPARATOR

APPROVED = "Approved"
"""The approval status that lets a model version be deployed."""

REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
"""Registering a version into a group, and changing its status, metadata or stage."""
READ_VERSION_ACTIONS = ("sagemaker:DescribeModelPackage",)
READ_GROUP_ACTIONS = ("sagemaker:DescribeModelPackageGroup",)
LIST_ACTIONS = ("sagemaker:ListModelPackages", "sagemaker:ListModelPackageGroups")
"""Listing takes no resource: it returns names across the account, never a version's content."""
CREATE_GROUP_ACTIONS = ("sagemaker:CreateModelPackageGroup",)
"""MLflow's automatic registration creates a group per registered model."""
TAG_ACTIONS = ("sagemaker:AddTags",)
"""Registering tags the new group or version (SageMaker authorises tags per resource)."""


@dataclass(frozen=True)
class RegistryArns:
    """The ARN patterns of a tenant's registry: its own group `<prefix>-<tenant>` and the
    groups `<prefix>-<tenant>--<model>`, and the versions in them."""

    groups: list[pulumi.Input[str]]
    versions: list[pulumi.Input[str]]


def registry_arns(arn_prefix: pulumi.Input[str], group: str) -> RegistryArns:
    """The registry's ARN patterns, `arn_prefix` being `arn:<partition>:sagemaker:<region>:
    <account>:` (an Output in a program, a string in tests)."""
    names = [group, f"{group}{REGISTRY_GROUP_SEPARATOR}*"]
    return RegistryArns(
        groups=[suffixed(arn_prefix, f"model-package-group/{name}") for name in names],
        versions=[suffixed(arn_prefix, f"model-package/{name}/*") for name in names],
    )


def registry_statements(arns: RegistryArns, *, register: bool, approve: bool) -> list[Statement]:
    """Reading the tenant's groups and versions; with `register`, registering versions and
    creating the per-model groups; with `approve`, also approving them.

    Without `approve`, an explicit Deny refuses any request that sets the status to Approved,
    whatever else the principal is allowed: a developer (or a pipeline running as the
    workload) can register, reject or re-queue a version, never promote it.
    """
    statements: list[Statement] = [
        {
            "Sid": "ReadTenantModelRegistry",
            "Effect": "Allow",
            "Action": [*READ_GROUP_ACTIONS, *READ_VERSION_ACTIONS],
            "Resource": [*arns.groups, *arns.versions],
        },
        {
            "Sid": "ListModelRegistry",
            "Effect": "Allow",
            "Action": list(LIST_ACTIONS),
            "Resource": "*",
        },
    ]
    if not register:
        return statements
    statements += [
        {
            "Sid": "RegisterTenantModelVersions",
            "Effect": "Allow",
            "Action": list(REGISTER_ACTIONS),
            "Resource": arns.versions,
        },
        {
            "Sid": "CreateTenantModelGroups",
            "Effect": "Allow",
            "Action": list(CREATE_GROUP_ACTIONS),
            "Resource": arns.groups,
        },
        {
            "Sid": "TagTenantModels",
            "Effect": "Allow",
            "Action": list(TAG_ACTIONS),
            "Resource": [*arns.groups, *arns.versions],
        },
    ]
    if not approve:
        statements.append(
            {
                "Sid": "OnlyTheTenantAdminApproves",
                "Effect": "Deny",
                "Action": list(REGISTER_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": APPROVED}},
            }
        )
    return statements


@dataclass(frozen=True)
class ModelRegistryArgs:
    """Inputs of a ModelRegistry: the group's name (`<prefix>-<tenant>`, 63 characters at
    most) and the tenant's tags."""

    group_name: str
    tenant: str
    tags: Mapping[str, str]


class ModelRegistry(pulumi.ComponentResource):
    """The tenant's SageMaker model package group: its versions are the candidates for
    production, each `PendingManualApproval` until the tenant's admin approves it.

    The group holds metadata only (the model artifacts stay in the tenant's buckets);
    SageMaker refuses to delete a group that still has versions, so `pulumi destroy` cannot
    remove the record of what was approved while it exists.
    """

    group: aws.sagemaker.ModelPackageGroup

    def __init__(
        self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:ModelRegistry", name, None, opts)
        self.group = aws.sagemaker.ModelPackageGroup(
            name,
            model_package_group_name=args.group_name,
            model_package_group_description=(
                f"Model versions of tenant {args.tenant}; production needs its admin's approval"
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"groupArn": self.group.arn})
