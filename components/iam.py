"""IAM and resource-policy documents built from outputs, rendered as JSON strings.

Documents are plain dicts whose leaves may be Outputs; `policy_document` resolves them into
the JSON string that resource arguments such as `policy` and `assume_role_policy` take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.scope import via_service

Statement = Mapping[str, Any]


def suffixed(value: pulumi.Input[str], suffix: str) -> pulumi.Input[str]:
    """`value` + `suffix` (an ARN and its resource part): a plain string when `value` is one,
    so pure statement builders return JSON-ready documents that tests evaluate as they are."""
    if isinstance(value, str):
        return f"{value}{suffix}"
    return pulumi.Output.concat(value, suffix)


def key_through(
    sid: str,
    key_arn: pulumi.Input[str],
    actions: Sequence[str],
    *,
    service: str,
    region: str,
) -> Statement:
    """Using a KMS key only as `service` uses it for the caller (`kms:ViaService`): a grant
    about a bucket's or a secret's data, which cannot call KMS directly, e.g. to decrypt
    ciphertext taken out of the bucket."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": via_service(service, region)}},
    }


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A version-2012-10-17 policy document as a JSON string."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


POD_IDENTITY_TAGS = {
    "namespace": "aws:RequestTag/kubernetes-namespace",
    "service_account": "aws:RequestTag/kubernetes-service-account",
    "cluster": "aws:RequestTag/eks-cluster-arn",
}
"""Session tags EKS Pod Identity sets when it assumes a role, which its trust policy may
require (EKS User Guide, pod-id-role and pod-id-abac:
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html)."""


def pod_identity_trust_statement(
    sid: str,
    principal: pulumi.Input[str],
    *,
    cluster_arns: Sequence[pulumi.Input[str]],
    namespace: str,
    service_account: str,
) -> Statement:
    """Trust for EKS Pod Identity (`pods.eks.amazonaws.com`), for one service account of one
    namespace on the given clusters: pinned by the session tags Pod Identity sets, as the
    EKS User Guide documents (pod-id-role). Not by aws:SourceArn or aws:SourceAccount, which
    AWS does not document for this principal (a podidentityassociation SourceArn is reported
    to stop credentials: awslabs/mountpoint-s3-csi-driver#781). The associations must keep
    session tags on (the default)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {
            "StringEquals": {
                POD_IDENTITY_TAGS["cluster"]: list(cluster_arns),
                POD_IDENTITY_TAGS["namespace"]: namespace,
                POD_IDENTITY_TAGS["service_account"]: service_account,
            }
        },
    }


WEB_IDENTITY_AUDIENCE = "sts.amazonaws.com"
"""The audience of service-account tokens exchanged with STS."""


def web_identity_trust_statement(
    sid: str,
    provider_arn: pulumi.Input[str],
    issuer_url: pulumi.Input[str],
    *,
    namespace: str,
    service_account: str,
) -> Statement:
    """Trust for one service account's tokens from a cluster's OIDC issuer (web identity
    federation, where EKS Pod Identity does not reach): its `sub` and the STS audience, the
    conditions IAM documents for OIDC providers (keys are the issuer URL without its scheme)."""
    subject = f"system:serviceaccount:{namespace}:{service_account}"

    def claims(url: str) -> dict[str, str]:
        issuer = url.removeprefix("https://")
        return {f"{issuer}:sub": subject, f"{issuer}:aud": WEB_IDENTITY_AUDIENCE}

    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": pulumi.Output.from_input(issuer_url).apply(claims)},
    }


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
