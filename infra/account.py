"""The AWS account and region a stack deploys to, shared by platform and tenant stacks."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.scope import AwsScope
from plinth.spec import PlinthSpec


@dataclass(frozen=True)
class StackAccount:
    on_aws: pulumi.ResourceOptions
    """Options that put a resource on the stack's explicit AWS provider."""
    scope: AwsScope
    """The account the provider's credentials reach, in the spec's region."""
    caller_arn: pulumi.Output[str]
    """Who the credentials are (an assumed role's session, or a user)."""


def stack_account(spec: PlinthSpec) -> StackAccount:
    """One explicit provider: the region comes from the spec, and a stack pinned to an
    account refuses credentials for any other."""
    provider = aws.Provider(
        "aws",
        region=spec.aws.region,
        allowed_account_ids=[spec.aws.account_id] if spec.aws.account_id else None,
    )
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
    return StackAccount(
        on_aws=pulumi.ResourceOptions(provider=provider),
        scope=AwsScope(account_id=identity.account_id, region=spec.aws.region),
        caller_arn=identity.arn,
    )
