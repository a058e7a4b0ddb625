"""Secrets: no credentials in resource inputs or stack outputs, AWS-managed database passwords.

Every resource input is recorded in the Pulumi state and usually also in the cloud resource's
own configuration (Lambda environment, EC2 user data, container definitions), where anyone
allowed to read the configuration reads the credential. Credentials belong in Secrets Manager
or SSM SecureString parameters, referenced by ARN. Database engines can keep their master
password there themselves, rotated, so the program never handles it at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any, NamedTuple

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policies.props import ROOT_STACK, dig, given, known, of_type, string_leaves
from policies.report import Report
from policies.rule import Config, Param, advisory, at_most, resource_rule, stack_rule
from policies.schedules import longest_gap_days

# Patterns with a fixed, documented prefix only: generic "long random string" detectors (an
# AWS secret access key is 40 base64 characters) misfire on hashes and IDs.
CREDENTIAL_PATTERNS = {
    "an AWS access key ID": re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    "a private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "a GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    "a Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    # LLM providers' keys (their documented prefixes): OpenAI project, service-account and
    # admin keys, Anthropic API and admin keys, Hugging Face tokens, Google API keys.
    "an OpenAI key": re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    "an Anthropic key": re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{20,}"),
    "a Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
}


def credential_kinds(text: str) -> list[str]:
    """What recognisable credentials a text holds ("an OpenAI key", ...), never the values."""
    return [kind for kind, pattern in CREDENTIAL_PATTERNS.items() if pattern.search(text)]


def credentials_in(
    values: Mapping[str, Any], skipped: Collection[str] = ()
) -> Iterator[tuple[str, str]]:
    """(path, kind) for every recognisable credential in `values` but the keys `skipped`.

    Every key is read: an unknown value (computed from another resource's outputs, not text in
    the program) is skipped rather than stopping the rule, and `pulumi up` runs the rule again
    with it known."""
    for name in values:
        if name in skipped:
            continue
        for path, _key, text in string_leaves(known(values, name), name):
            for kind in credential_kinds(text):
                yield path, kind


# Inputs whose very purpose is to carry a secret into a store made for it (the remediation
# this rule asks for, and the only way to import a certificate's private key).
SECRET_STORE_INPUTS = {
    "aws:secretsmanager/secretVersion:SecretVersion": (
        "secretString",
        "secretStringWo",
        "secretBinary",
    ),
    "aws:acm/certificate:Certificate": ("privateKey", "privateKeyWo"),
    "aws:iam/serverCertificate:ServerCertificate": ("privateKey",),
    "kubernetes:core/v1:Secret": ("data", "stringData"),
}
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
SSM_SECURE_INPUTS = ("value", "valueWo")


def _store_inputs(args: ResourceValidationArgs) -> tuple[str, ...]:
    if args.resource_type == SSM_PARAMETER and dig(args.props, "type") == "SecureString":
        return SSM_SECURE_INPUTS
    return SECRET_STORE_INPUTS.get(args.resource_type, ())


@resource_rule(
    id="secrets-no-embedded-credentials",
    area="secrets",
    description="No resource input holds a recognisable credential (AWS access key ID, private "
    "key, GitHub or Slack token, OpenAI, Anthropic, Hugging Face or Google API key), whatever "
    "its name: a ConfigMap's file, a container's environment, a chart's values.",
    severity="critical",
    remediation="Store the credential in aws.secretsmanager.Secret (or an SSM SecureString "
    "parameter) and pass its ARN (e.g. ECS `secrets[].valueFrom`); use IAM roles instead of "
    "AWS access keys; then revoke the exposed credential.",
    controls={
        "soc2": ["CC6.1"],
        "pci": ["8.3.2", "8.6.2"],
        "nist-800-53": ["IA-5"],
    },
)
def no_embedded_credentials(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for path, kind in credentials_in(args.props, skipped=_store_inputs(args)):
        report(f"input {path} holds {kind}")  # never the value itself


@stack_rule(
    id="secrets-not-in-stack-outputs",
    area="secrets",
    description="No stack output holds a recognisable credential (the kinds "
    "secrets-no-embedded-credentials knows), marked secret or not: every stack output is "
    "readable by whoever reads the stack (`pulumi stack output --show-secrets`) and by every "
    "stack that references it.",
    severity="high",
    remediation="Export the ARN of the aws.secretsmanager.Secret that holds the credential "
    "(consumers read it with their own IAM permission) instead of the value, then revoke the "
    "exposed credential.",
    controls={"soc2": ["CC6.1"], "pci": ["8.6.2"], "nist-800-53": ["IA-5"]},
)
def not_in_stack_outputs(args: StackValidationArgs, report: Report, _: Config) -> None:
    # The engine hands stack policies the root stack with the stack outputs as its properties,
    # secret ones unwrapped (the policy SDK decodes secrets to their values), so a credential
    # is found whether or not the program marked it secret.
    for stack in of_type(args, ROOT_STACK):
        for path, kind in credentials_in(stack.props):
            report(f"stack output {path} holds {kind}", urn=stack.urn)


class _PasswordInputs(NamedTuple):
    supplied: tuple[str, ...]
    managed_switch: str
    """The argument that makes AWS generate the password and keep it in Secrets Manager."""


# The `*Wo` (write-only) inputs are no better: pulumi-terraform-bridge still records their
# encrypted values in the state inputs (pulumi/pulumi-terraform-bridge#3201).
DATABASE_PASSWORDS = {
    "aws:rds/instance:Instance": _PasswordInputs(
        ("password", "passwordWo"), "manage_master_user_password"
    ),
    "aws:rds/cluster:Cluster": _PasswordInputs(
        ("masterPassword", "masterPasswordWo"), "manage_master_user_password"
    ),
    "aws:docdb/cluster:Cluster": _PasswordInputs(
        ("masterPassword", "masterPasswordWo"), "manage_master_user_password"
    ),
    "aws:redshift/cluster:Cluster": _PasswordInputs(
        ("masterPassword", "masterPasswordWo"), "manage_master_password"
    ),
}


@resource_rule(
    id="secrets-managed-database-passwords",
    area="secrets",
    description="RDS, Aurora, DocumentDB and Redshift master passwords are generated and "
    "rotated by AWS in Secrets Manager, not passed as an input that lands in the Pulumi "
    "state and never rotates.",
    severity="high",
    remediation="Remove `password` / `master_password` (and their `_wo` forms) and set "
    "manage_master_user_password=True (Redshift: manage_master_password=True); RDS and Aurora "
    "take master_user_secret_kms_key_id, Redshift master_password_secret_kms_key_id, to "
    "encrypt the secret with a customer-managed key.",
    controls={"soc2": ["CC6.1"], "pci": ["8.6.3"], "nist-800-53": ["IA-5"]},
    types=tuple(DATABASE_PASSWORDS),
)
def managed_database_passwords(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    inputs = DATABASE_PASSWORDS[args.resource_type]
    for name in inputs.supplied:
        if given(args.props, name):  # a generated (unknown) password is given too
            report(
                f"the master password is given as input {name}; set {inputs.managed_switch}=True"
            )


SECRET = "aws:secretsmanager/secret:Secret"


@resource_rule(
    id="secrets-customer-key",
    area="secrets",
    description="Secrets Manager secrets are encrypted with a customer-managed KMS key, so "
    "reading a secret needs the key policy's consent as well as the secret's, and the key's "
    "use is logged per caller.",
    severity="medium",
    remediation="Set kms_key_id on aws.secretsmanager.Secret to a customer-managed key (Plinth "
    "uses the platform key); the default aws/secretsmanager key lets anyone in the account "
    "with secretsmanager:GetSecretValue decrypt.",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "soc2": ["CC6.1"],
        "pci": ["3.5.1", "3.6.1"],
        "nist-800-53": ["SC-12", "SC-28"],
    },
    types=(SECRET,),
)
def secret_customer_key(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsKeyId"):
        report("the secret is encrypted with the AWS managed key aws/secretsmanager")


SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
# What Secrets Manager's rotation templates read from a database secret (docs.aws.amazon.com/
# secretsmanager/latest/userguide/reference_secret_json_structure.html): a secret of this
# shape is one AWS can rotate.
DATABASE_SIGN_IN_FIELDS = frozenset({"engine", "host", "username", "password"})
SECRET_VALUE_INPUTS = ("secretString", "secretStringWo")


def _holds_database_sign_in(version: PolicyResource) -> bool:
    """A known value in the rotation templates' shape; an unknown one (during preview) computed
    from a database. A value without a password (an IAM sign-in's) has nothing to rotate."""
    for name in SECRET_VALUE_INPUTS:
        value = known(version.props, name)
        if isinstance(value, str):
            try:
                fields = json.loads(value)
            except ValueError:
                return False
            return isinstance(fields, dict) and fields.keys() >= DATABASE_SIGN_IN_FIELDS
        if given(version.props, name):
            sources = version.property_dependencies.get(name, ())
            return any(source.resource_type in DATABASE_PASSWORDS for source in sources)
    return False


def _secret_names(args: StackValidationArgs) -> dict[str, str]:
    """The stack's secrets' URNs by their known names."""
    return {
        name: secret.urn
        for secret in of_type(args, SECRET)
        if isinstance(name := known(secret.props, "name"), str)
    }


def _secret_of(resource: PolicyResource, names: Mapping[str, str]) -> str | None:
    """The secret a version or rotation is for: the URN of the Secret resource its `secretId`
    was computed from or names (by name or ARN), else the literal ID; None while unknown."""
    for source in resource.property_dependencies.get("secretId", ()):
        if source.resource_type == SECRET:
            return source.urn
    secret_id = known(resource.props, "secretId")
    if not isinstance(secret_id, str):
        return None
    # An ARN ends `:secret:<name>-<6 random characters>`.
    _, arn, tail = secret_id.partition(":secret:")
    return names.get(tail.rsplit("-", 1)[0] if arn else secret_id, secret_id)


def _rotation_days(rotation: PolicyResource) -> float | None:
    """The longest time between rotations; None when the schedule cannot be read."""
    rules = known(rotation.props, "rotationRules", {})
    if isinstance(days := known(rules, "automaticallyAfterDays"), int | float):
        return float(days)
    return longest_gap_days(str(known(rules, "scheduleExpression", "")))


@stack_rule(
    id="secrets-database-rotation",
    area="secrets",
    description="A Secrets Manager secret holding a database sign-in (computed from a database, "
    "or in the engine/host/username/password shape AWS's rotation functions read) is rotated "
    "by Secrets Manager, at least every maxRotationDays days.",
    severity="medium",
    remediation="Add an aws.secretsmanager.SecretRotation for the secret (a rotation function "
    "from AWS's templates, rotation_rules.automatically_after_days at most the threshold); for "
    "a master password, manage_master_user_password=True rotates it without a function.",
    controls={"soc2": ["CC6.1"], "pci": ["8.6.3"], "nist-800-53": ["IA-5"]},
    enforcement=advisory(mandatory_in=["pci"]),
    params=(
        Param(
            name="maxRotationDays",
            description="Longest interval between rotations of a database sign-in, in days.",
            schema={"type": "integer", "minimum": 1},
            default=90,
            merge=at_most,
        ),
    ),
)
def database_rotation(args: StackValidationArgs, report: Report, config: Config) -> None:
    at_most_days = config["maxRotationDays"]
    names = _secret_names(args)
    rotations = {_secret_of(r, names): r for r in of_type(args, SECRET_ROTATION)}
    for version in of_type(args, SECRET_VERSION):
        secret = _secret_of(version, names)
        if secret is None or not _holds_database_sign_in(version):
            continue
        rotation = rotations.get(secret)
        if rotation is None:
            report("this database sign-in is never rotated", urn=version.urn)
        elif (days := _rotation_days(rotation)) is None:
            report("its rotation schedule cannot be read", urn=rotation.urn)
        elif days > at_most_days:
            report(
                f"rotations up to {days:g} days apart, more than {at_most_days}", urn=rotation.urn
            )
