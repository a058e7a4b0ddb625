"""KMS: key rotation, no key policy open to any principal, a safe deletion window."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from policies.props import dig, open_to_anyone, sid, statements
from policies.report import Report
from policies.rule import Config, Param, advisory, at_least, resource_rule

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
# Rotation only exists for symmetric encryption keys (asymmetric and HMAC keys cannot rotate).
ROTATABLE_SPECS = ("SYMMETRIC_DEFAULT",)


@resource_rule(
    id="kms-key-rotation",
    area="kms",
    description="Symmetric customer-managed KMS keys rotate their key material automatically.",
    severity="high",
    remediation="Set enable_key_rotation=True on aws.kms.Key (components.storage.EncryptionKey "
    "does this).",
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "soc2": ["CC6.1"],
        "pci": ["3.7.4"],
        "nist-800-53": ["SC-12"],
    },
    types=(KEY,),
)
def key_rotation(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    spec = dig(args.props, "customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    if spec in ROTATABLE_SPECS and dig(args.props, "enableKeyRotation") is not True:
        report("automatic key rotation is off")


@resource_rule(
    id="kms-key-policy-no-wildcard-principal",
    area="kms",
    description="Key policies never allow Principal '*' without a condition that pins the "
    "caller's account or service.",
    severity="critical",
    remediation="Name the account root, roles or service principals that need the key, or add "
    "a kms:CallerAccount / aws:SourceAccount condition to the statement.",
    controls={
        "hipaa": ["164.312(a)(1)"],
        "soc2": ["CC6.1", "CC6.3"],
        "pci": ["3.6.1", "7.2.2"],
        "nist-800-53": ["AC-3", "AC-6", "SC-12"],
    },
    types=(KEY, KEY_POLICY),
)
def key_policy_no_wildcard(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for statement in statements(dig(args.props, "policy")):
        if open_to_anyone(statement):
            report(f"statement {sid(statement)} allows any principal")


@resource_rule(
    id="kms-key-deletion-window",
    area="kms",
    description="A scheduled key deletion waits long enough to notice and cancel a mistake.",
    severity="medium",
    remediation="Set deletion_window_in_days to the profile's minimum (30 days for regulated "
    "profiles); data encrypted under a deleted key is lost for good.",
    controls={"nist-800-53": ["SC-12"]},
    enforcement=advisory(mandatory_in=("hipaa", "pci")),
    types=(KEY,),
    params=(
        Param(
            name="minDeletionWindowDays",
            description="Shortest allowed KMS key deletion window, in days (AWS allows 7-30).",
            schema={"type": "integer", "minimum": 7, "maximum": 30},
            default=7,
            merge=at_least,
            by_profile={"soc2": 30, "hipaa": 30, "pci": 30},
        ),
    ),
)
def key_deletion_window(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    window = dig(args.props, "deletionWindowInDays", default=30)  # AWS default when unset
    if window < config["minDeletionWindowDays"]:
        report(f"deletion window {window} days is under {config['minDeletionWindowDays']}")
