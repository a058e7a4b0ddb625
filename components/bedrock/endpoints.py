"""Endpoint policies for Bedrock's interface VPC endpoints."""

from __future__ import annotations

import pulumi

from components.iam import policy_document
from components.scope import AwsScope


def account_only_endpoint_policy(scope: AwsScope) -> pulumi.Output[str]:
    """Bedrock calls through the endpoint only by this account's principals.

    Identity policies decide which models each principal may call; the endpoint keeps stolen
    credentials of other accounts (and anonymous requests) from using the VPC's private path
    to Bedrock, for example to move data out through another account's model logs.
    """
    return policy_document(
        [
            {
                "Sid": "OnlyThisAccountsPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "bedrock:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": scope.account_id}},
            }
        ]
    )
