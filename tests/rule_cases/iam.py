"""Fixtures for policies/rules/iam.py."""

from __future__ import annotations

import json

from rule_cases import complies, res, violates

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCOUNT = "123456789012"
LOG_GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:net-flow-logs"
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def doc(*statements):  # type: ignore[no-untyped-def]
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):  # type: ignore[no-untyped-def]
    return {"Sid": "Grant", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements):  # type: ignore[no-untyped-def]
    return res(POLICY, "p", {"policy": doc(*statements)})


def trust(*statements):  # type: ignore[no-untyped-def]
    return res(ROLE, "r", {"assumeRolePolicy": doc(*statements)})


def attach(arn, type_=ROLE_ATTACHMENT):  # type: ignore[no-untyped-def]
    return res(type_, "a", {"role": "r", "policyArn": arn})


# What components/network/vpc.py generates for the flow-log delivery role.
FLOW_LOG_TRUST = {
    "Sid": "AssumedOnlyByTheServiceForThisAccount",
    "Effect": "Allow",
    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
    "Action": "sts:AssumeRole",
    "Condition": {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/*"},
    },
}
flow_log_role_policy = res(
    ROLE_POLICY,
    "net-flow-logs",
    {
        "role": "net-flow-logs",
        "policy": doc(
            {
                "Sid": "WriteToTheFlowLogGroupOnly",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [LOG_GROUP, f"{LOG_GROUP}:log-stream:*"],
            }
        ),
    },
)


def web_identity(condition):  # type: ignore[no-untyped-def]
    return {
        "Sid": "GitHubActions",
        "Effect": "Allow",
        "Principal": {"Federated": GITHUB_OIDC},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


AUDIENCE = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}

CASES = [
    violates("iam-no-admin-wildcard", "Action * on *", policy(allow("*")), expect="Action '*'"),
    violates(
        "iam-no-admin-wildcard",
        "Allow NotAction on * grants all but a few actions",
        res(
            ROLE_POLICY,
            "rp",
            {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        ),
        expect="NotAction",
    ),
    violates(
        "iam-no-admin-wildcard",
        "*:* in a role's inline policy given as an object",
        res(
            ROLE,
            "r",
            {
                "inlinePolicies": [
                    {"name": "admin", "policy": {"Statement": [allow(["s3:GetObject", "*:*"])]}}
                ]
            },
        ),
        expect="inlinePolicies[0]",
    ),
    complies("iam-no-admin-wildcard", "Plinth's flow-log role policy", flow_log_role_policy),
    complies(
        "iam-no-admin-wildcard",
        "Deny * on * is a guardrail, not a grant",
        policy({"Effect": "Deny", "Action": "*", "Resource": "*"}),
    ),
    violates(
        "iam-no-sensitive-service-wildcards",
        "s3:* even on one bucket",
        policy(allow("s3:*", "arn:aws:s3:::data/*")),
        expect="'s3:*' (s3)",
    ),
    violates(
        "iam-no-sensitive-service-wildcards",
        "action names are case-insensitive",
        policy(allow(["IAM:*"], f"arn:aws:iam::{ACCOUNT}:role/app")),
        expect="'iam:*' (iam)",
    ),
    violates(
        "iam-no-sensitive-service-wildcards",
        "* on a named resource grants every sensitive service",
        policy(allow("*", "arn:aws:s3:::data")),
        expect="kms",
    ),
    violates(
        "iam-no-sensitive-service-wildcards",
        "a service added through the policy config",
        policy(allow("lambda:*")),
        config={"sensitiveServices": ["lambda"]},
        expect="lambda",
    ),
    complies(
        "iam-no-sensitive-service-wildcards", "Plinth's flow-log role policy", flow_log_role_policy
    ),
    complies(
        "iam-no-sensitive-service-wildcards",
        "a wildcard on a service outside the list",
        policy(allow("logs:*", LOG_GROUP)),
    ),
    violates(
        "iam-no-admin-managed-policy",
        "AdministratorAccess on a role",
        attach("arn:aws:iam::aws:policy/AdministratorAccess"),
        expect="AdministratorAccess",
    ),
    violates(
        "iam-no-admin-managed-policy",
        "PowerUserAccess through a PolicyAttachment in GovCloud",
        attach(
            "arn:aws-us-gov:iam::aws:policy/PowerUserAccess",
            "aws:iam/policyAttachment:PolicyAttachment",
        ),
        expect="PowerUserAccess",
    ),
    violates(
        "iam-no-admin-managed-policy",
        "IAMFullAccess in a role's managedPolicyArns",
        res(ROLE, "r", {"managedPolicyArns": ["arn:aws:iam::aws:policy/IAMFullAccess"]}),
        expect="IAMFullAccess",
    ),
    violates(
        "iam-no-admin-managed-policy",
        "AdministratorAccess listed as an exclusive attachment",
        res(
            "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
            "x",
            {"userName": "ops", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
        ),
    ),
    complies(
        "iam-no-admin-managed-policy",
        "a narrow AWS managed policy",
        attach("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
    ),
    violates(
        "iam-trust-policy-scoped",
        "AWS * without condition",
        trust({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        expect="any principal",
    ),
    violates(
        "iam-trust-policy-scoped",
        "GitHub OIDC checking only the audience: any repository can assume the role",
        trust(web_identity({"StringEquals": AUDIENCE})),
        expect=":sub",
    ),
    violates(
        "iam-trust-policy-scoped",
        "a :sub condition of '*' pins nothing",
        trust(
            web_identity(
                {
                    "StringEquals": AUDIENCE,
                    "StringLike": {"token.actions.githubusercontent.com:sub": "*"},
                }
            )
        ),
        expect="token.actions.githubusercontent.com",
    ),
    complies("iam-trust-policy-scoped", "Plinth's flow-log service trust", trust(FLOW_LOG_TRUST)),
    complies(
        "iam-trust-policy-scoped",
        "GitHub OIDC pinned to one repository",
        trust(
            web_identity(
                {
                    "StringEquals": AUDIENCE,
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
                }
            )
        ),
    ),
    complies(
        "iam-trust-policy-scoped",
        "another account's role (cross-account trust is allowed)",
        trust(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:role/deployer"},
                "Action": "sts:AssumeRole",
            }
        ),
    ),
    complies(
        "iam-trust-policy-scoped",
        "any principal of the organisation",
        trust(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            }
        ),
    ),
    violates(
        "iam-passrole-scoped",
        "iam:PassRole on *",
        policy(allow(["ecs:RunTask", "iam:PassRole"])),
        expect="iam:PassRole",
    ),
    violates(
        "iam-passrole-scoped",
        "iam:Pass* on every role but one",
        policy(
            {
                "Effect": "Allow",
                "Action": "iam:Pass*",
                "NotResource": f"arn:aws:iam::{ACCOUNT}:role/admin",
            }
        ),
    ),
    complies(
        "iam-passrole-scoped",
        "PassRole of one named role",
        policy(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/task-execution")),
    ),
    complies(
        "iam-passrole-scoped",
        "iam:* is left to iam-no-sensitive-service-wildcards",
        policy(allow("iam:*")),
    ),
    violates(
        "iam-no-user-access-keys",
        "an access key (advisory under baseline)",
        res("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"}),
        expect="long-lived",
    ),
    violates(
        "iam-no-user-access-keys",
        "an access key under SOC 2",
        res("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"}),
        profiles=("soc2",),
    ),
    complies(
        "iam-no-user-access-keys",
        "a user without keys",
        res("aws:iam/user:User", "ci", {"name": "ci"}),
    ),
    violates(
        "iam-trust-policy-scoped",
        "a sub pattern that any repository matches",
        trust(web_identity({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}})),
        expect=":sub",
    ),
    complies(
        "iam-trust-policy-scoped",
        "a sub pattern fixed to one repository",
        trust(
            web_identity(
                {
                    "StringEquals": AUDIENCE,
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
                }
            )
        ),
    ),
]
