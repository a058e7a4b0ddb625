"""The platform's MLOps layer (`plinth:mlops`): Lake Formation in control of the account's
catalog, and the record of model approvals, which tenants' `mlops` builds on."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from platform_layers import Foundation

from components.mlops.platform import ApprovalRecord, ApprovalRecordArgs, DataLake, DataLakeArgs
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec
from policies.profiles import settings_for


@dataclass(frozen=True)
class MlopsLayer:
    data_lake: DataLake
    approvals: ApprovalRecord


def deployer_arn(base: Foundation) -> pulumi.Output[str]:
    """The IAM role (or user) running Pulumi: the caller's session resolved to its issuer, as
    Lake Formation's administrators are roles and users, not sessions."""
    return aws.iam.get_session_context_output(
        arn=base.account.caller_arn,
        opts=pulumi.InvokeOutputOptions(provider=base.on_aws.provider),
    ).issuer_arn


def mlops_layer(
    spec: PlinthSpec, base: Foundation, auditor_arn: pulumi.Input[str] | None
) -> MlopsLayer | None:
    """Lake Formation's settings and tags, and the approval record, when `plinth:mlops` asks."""
    wanted = spec.mlops
    if wanted is None:
        return None
    data_lake = DataLake(
        f"{base.prefix}-data-lake",
        DataLakeArgs(
            admins=wanted.lake_formation_admins,
            deployer_arn=deployer_arn(base),
            auditor_arn=auditor_arn,
        ),
        base.on_aws,
    )
    approvals = ApprovalRecord(
        f"{base.prefix}-model-approvals",
        ApprovalRecordArgs(
            scope=base.scope,
            name_prefix=base.prefix,
            key_arn=base.platform_key.arn,
            retention_days=settings_for(spec.compliance.profiles).log_group_days,
            tags=spec.common_tags(),
            protect=spec.protect,
        ),
        base.on_aws,
    )
    for component in (data_lake, approvals):
        origins.record(component, stack_entry("mlops", "plinth:mlops"))
    return MlopsLayer(data_lake=data_lake, approvals=approvals)
