"""IAM: no administrator grants, scoped trust and PassRole, no long-lived user access keys.

Identity-based policy documents reach a stack as the `policy` of aws.iam.Policy, RolePolicy,
UserPolicy and GroupPolicy, and as a Role's `inlinePolicies`; AWS managed policies arrive as
ARNs on attachment resources. A role's trust policy (`assumeRolePolicy`) decides who can take
its permissions at all. These rules read the documents statement by statement; IAM action
names are case-insensitive, so they compare them in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies.props import (
    IDENTITY_POLICY_TYPES,
    ROLE_TYPE,
    actions,
    allows,
    as_list,
    dig,
    identity_policies,
    open_to_anyone,
    resources,
    sid,
    statements,
)
from policies.report import Report
from policies.rule import Config, Param, advisory, all_of, resource_rule

DOCUMENT_TYPES = (*IDENTITY_POLICY_TYPES, ROLE_TYPE)
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
# Attachments of one managed policy (`policyArn`) and the exclusive lists (`policyArns`).
SINGLE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
EXCLUSIVE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
# AWS managed policies that grant (nearly) everything, or the power to grant oneself anything;
# matched in every partition (aws, aws-cn, aws-us-gov, aws-iso...).
ADMIN_MANAGED_POLICY = re.compile(
    r"^arn:aws(?:-[a-z]+)*:iam::aws:policy/(AdministratorAccess|PowerUserAccess|IAMFullAccess)$"
)
ADMIN_ACTIONS = ("*", "*:*")
WEB_IDENTITY_PROVIDER = ":oidc-provider/"
SUBJECT_OPERATORS = ("StringEquals", "StringLike")

LEAST_PRIVILEGE = {
    "hipaa": ["164.308(a)(4)(i)"],
    "soc2": ["CC6.3"],
    "pci": ["7.2.2"],
    "nist-800-53": ["AC-6"],
}


def _allow_statements(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, statement) for each Allow statement of the identity policies of the resource."""
    for label, policy in identity_policies(args.resource_type, args.props):
        for statement in statements(policy):
            if allows(statement):
                yield label, statement


def _on_every_resource(statement: Mapping[str, Any]) -> bool:
    """Resource "*", or NotResource (every resource but the few it names)."""
    return "*" in resources(statement) or "NotResource" in statement


def _lower_actions(statement: Mapping[str, Any]) -> list[str]:
    return [action.lower() for action in actions(statement)]


@resource_rule(
    id="iam-no-admin-wildcard",
    area="iam",
    description="No identity policy allows every action on every resource (Action '*' or an "
    "Allow with NotAction on Resource '*').",
    severity="critical",
    remediation="List the actions the principal needs and the ARNs it needs them on, in the "
    "`policy` document (or `inline_policies`) instead of Action '*' / NotAction.",
    controls=LEAST_PRIVILEGE,
    types=DOCUMENT_TYPES,
)
def no_admin_wildcard(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for label, statement in _allow_statements(args):
        if not _on_every_resource(statement):
            continue
        if any(action in ADMIN_ACTIONS for action in actions(statement)):
            report(f"{label}: statement {sid(statement)} allows Action '*' on every resource")
        elif "NotAction" in statement:
            report(f"{label}: statement {sid(statement)} allows NotAction on every resource")


def _service_wildcards(statement: Mapping[str, Any], sensitive: list[str]) -> Iterator[str]:
    """The actions granting all of a sensitive service: `svc:*`, or a wildcard service part."""
    for action in _lower_actions(statement):
        service, _, name = action.partition(":")
        if action == "*" or name == "*":
            hit = [s for s in sensitive if fnmatchcase(s.lower(), service)]
            if hit:
                yield f"{action!r} ({', '.join(hit)})"


@resource_rule(
    id="iam-no-sensitive-service-wildcards",
    area="iam",
    description="No identity policy allows all actions of a sensitive service (iam:*, kms:*, "
    "s3:*...), on any resource.",
    severity="high",
    remediation="Replace `<service>:*` in the `policy` document with the specific actions "
    "needed (e.g. s3:GetObject, kms:Decrypt).",
    controls=LEAST_PRIVILEGE,
    types=DOCUMENT_TYPES,
    params=(
        Param(
            name="sensitiveServices",
            description="IAM service prefixes whose `<service>:*` grants are refused.",
            schema={"type": "array", "items": {"type": "string"}},
            default=[
                "iam",
                "kms",
                "sts",
                "s3",
                "bedrock",
                "organizations",
                "secretsmanager",
                "eks",
                "ec2",
            ],
            merge=all_of,
        ),
    ),
)
def no_sensitive_service_wildcards(
    args: ResourceValidationArgs, report: Report, config: Config
) -> None:
    sensitive = list(config["sensitiveServices"])
    for label, statement in _allow_statements(args):
        for grant in _service_wildcards(statement, sensitive):
            report(f"{label}: statement {sid(statement)} allows {grant}")


def _attached_policy_arns(args: ResourceValidationArgs) -> list[str]:
    if args.resource_type in SINGLE_ATTACHMENTS:
        return [str(arn) for arn in as_list(dig(args.props, "policyArn"))]
    if args.resource_type in EXCLUSIVE_ATTACHMENTS:
        return [str(arn) for arn in as_list(dig(args.props, "policyArns"))]
    # aws.iam.Role's deprecated `managed_policy_arns`, still an input in pulumi-aws 7.
    return [str(arn) for arn in as_list(dig(args.props, "managedPolicyArns"))]


@resource_rule(
    id="iam-no-admin-managed-policy",
    area="iam",
    description="No role, user or group is given the AdministratorAccess, PowerUserAccess or "
    "IAMFullAccess AWS managed policy.",
    severity="high",
    remediation="Attach a customer-managed policy with the needed actions instead; change the "
    "`policy_arn` of the attachment (or `managed_policy_arns` of the role).",
    controls=LEAST_PRIVILEGE,
    types=(*SINGLE_ATTACHMENTS, *EXCLUSIVE_ATTACHMENTS, ROLE_TYPE),
)
def no_admin_managed_policy(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for arn in _attached_policy_arns(args):
        match = ADMIN_MANAGED_POLICY.match(arn)
        if match:
            report(f"attaches the AWS managed policy {match.group(1)}")


def _federated_web_identity(statement: Mapping[str, Any]) -> list[str]:
    federated = as_list(dig(statement, "Principal", "Federated"))
    return [str(p) for p in federated if WEB_IDENTITY_PROVIDER in str(p)]


def _names_a_subject(value: str) -> bool:
    """A `sub` pattern that fixes who the subject is before any wildcard: an owner and
    repository (`repo:acme/app:*`) or a namespace and service account
    (`system:serviceaccount:team-a:trainer`), not `*` or `repo:*`."""
    literal = re.split(r"[*?]", value, maxsplit=1)[0]
    return "/" in literal or literal.count(":") >= 3


def _pins_subject(statement: Mapping[str, Any]) -> bool:
    """A StringEquals/StringLike condition on a `<provider>:sub` key whose every value names a
    subject."""
    for operator in SUBJECT_OPERATORS:
        tests = dig(statement, "Condition", operator)
        if not isinstance(tests, Mapping):
            continue
        for key, values in tests.items():
            subjects = [str(v) for v in as_list(values)]
            if str(key).endswith(":sub") and subjects and all(map(_names_a_subject, subjects)):
                return True
    return False


def _trust_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    if open_to_anyone(statement):
        yield "lets any principal assume the role"
    for provider in _federated_web_identity(statement):
        if not _pins_subject(statement):
            name = provider.split(WEB_IDENTITY_PROVIDER, 1)[1]
            yield f"trusts {name} without a StringEquals/StringLike condition on its :sub claim"


@resource_rule(
    id="iam-trust-policy-scoped",
    area="iam",
    description="Role trust policies never let anyone assume the role: no unconditioned "
    "Principal '*', and OIDC web-identity trust pins the token subject (`:sub`).",
    severity="critical",
    remediation="In `assume_role_policy`, name the account, role or service principal; for an "
    "OIDC provider add a StringEquals/StringLike condition on `<provider>:sub` (e.g. "
    "`token.actions.githubusercontent.com:sub` = `repo:org/repo:ref:refs/heads/main`).",
    controls={
        "hipaa": ["164.312(a)(1)"],
        "soc2": ["CC6.1"],
        "pci": ["7.2.1"],
        "nist-800-53": ["AC-3"],
    },
    types=(ROLE_TYPE,),
)
def trust_policy_scoped(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    # Cross-account AWS principals are allowed: which accounts are "ours" is not knowable here.
    for statement in statements(dig(args.props, "assumeRolePolicy")):
        if allows(statement):
            for problem in _trust_problems(statement):
                report(f"trust statement {sid(statement)} {problem}")


def _passes_role(statement: Mapping[str, Any]) -> bool:
    """iam:PassRole named explicitly or by an `iam:Pass*`-style pattern (`*`/`iam:*` aside)."""
    for action in _lower_actions(statement):
        service, _, name = action.partition(":")
        if service == "iam" and name != "*" and fnmatchcase("passrole", name):
            return True
    return False


@resource_rule(
    id="iam-passrole-scoped",
    area="iam",
    description="iam:PassRole is granted on named roles only, never on Resource '*' (which lets "
    "the holder hand any role, admin included, to a service it controls).",
    severity="high",
    remediation="Set the Resource of the iam:PassRole statement to the ARNs of the roles to "
    "pass, and add an iam:PassedToService condition.",
    controls=LEAST_PRIVILEGE,
    types=DOCUMENT_TYPES,
)
def passrole_scoped(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for label, statement in _allow_statements(args):
        if _passes_role(statement) and _on_every_resource(statement):
            report(f"{label}: statement {sid(statement)} allows iam:PassRole on every role")


@resource_rule(
    id="iam-no-user-access-keys",
    area="iam",
    description="No IAM user access keys: they are long-lived credentials that leak and do not "
    "expire.",
    severity="medium",
    remediation="Remove the aws.iam.AccessKey; give workloads an IAM role (instance profile, "
    "IRSA / EKS Pod Identity, OIDC for CI) and people IAM Identity Center (SSO).",
    controls={
        "hipaa": ["164.312(d)"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["AC-2", "IA-5"],
    },
    enforcement=advisory(mandatory_in=("soc2", "hipaa", "pci")),
    types=(ACCESS_KEY,),
)
def no_user_access_keys(_args: ResourceValidationArgs, report: Report, _: Config) -> None:
    report("creates a long-lived IAM user access key")
