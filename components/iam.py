"""IAM and resource-policy documents built from outputs, rendered as JSON strings.

Documents are plain dicts whose leaves may be Outputs; `policy_document` resolves them into
the JSON string that resource arguments such as `policy` and `assume_role_policy` take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

Statement = Mapping[str, Any]


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A version-2012-10-17 policy document as a JSON string."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust_policy(
    service_principal: pulumi.Input[str],
    *,
    source_account: pulumi.Input[str],
    source_arn_like: pulumi.Input[str] | None,
    actions: Sequence[str] = ("sts:AssumeRole",),
) -> pulumi.Output[str]:
    """Trust for one AWS service, pinned to this account and source ARN (confused deputy).

    `source_arn_like=None` pins the account only, for services that do not send a source ARN
    when they assume a role (AWS Config). Services that pass session tags (EKS, EKS Pod
    Identity) also need `sts:TagSession`.
    """
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn_like is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn_like}
    return policy_document(
        [
            {
                "Sid": "AssumedOnlyByTheServiceForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": service_principal},
                "Action": actions[0] if len(actions) == 1 else list(actions),
                "Condition": condition,
            }
        ]
    )
