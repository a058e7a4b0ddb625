"""The gateway's generated credentials, each a Secrets Manager secret under the platform key.

Values come from `random.RandomPassword`, which Pulumi keeps encrypted in state as a secret
(as it does the secret versions); they never appear in Helm values or stack outputs. The pods
read them through the Secrets Store CSI driver with their own Pod Identity, and the tenant-team
resource reads the master key with the deployer's credentials. Write-only (`_wo`) arguments
would not keep them out of state either (pulumi/pulumi-terraform-bridge#3201), and a value
drawn anew on every run could not be compared. Bump `version` to rotate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

MASTER_KEY_PREFIX = "sk-"
"""LiteLLM accepts only master keys that start with sk-."""
KEY_LENGTH = 48
"""Characters of each generated value (alphanumeric: it travels in headers and URLs)."""
RECOVERY_WINDOW_DAYS = 30
"""Days a deleted secret stays recoverable (the longest Secrets Manager allows)."""


@dataclass(frozen=True)
class SecretPlace:
    """Where a service's generated secrets live: `<name_prefix>/<service>/<name>`, under
    `key_arn`; `version` is their rotation counter."""

    name_prefix: str
    service: str
    key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    version: int = 1

    def secret_name(self, secret: str) -> str:
        return f"{self.name_prefix}/{self.service}/{secret}"


def generated_secret(
    parent: pulumi.Resource,
    resource_name: str,
    place: SecretPlace,
    secret: str,
    description: str,
    *,
    prefix: str = "",
    login: str | None = None,
    protect: bool = False,
    retain: bool = False,
) -> aws.secretsmanager.Secret:
    """A Secrets Manager secret holding a drawn value (`prefix` + KEY_LENGTH alphanumerics),
    marked secret in state; a new value is drawn when the place's version changes. With
    `login`, the secret is a sign-in, `{"username": login, "password": value}` (the shape of
    RDS-managed secrets, which SecretProviderClasses pick apart with jmesPath)."""
    created = aws.secretsmanager.Secret(
        resource_name,
        name=place.secret_name(secret),
        description=description,
        kms_key_id=place.key_arn,
        recovery_window_in_days=RECOVERY_WINDOW_DAYS,
        tags=dict(place.tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=retain),
    )
    drawn = random.RandomPassword(
        f"{resource_name}-value",
        length=KEY_LENGTH,
        special=False,
        min_lower=1,
        min_upper=1,
        min_numeric=1,
        keepers={"version": str(place.version)},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    value: pulumi.Output[str] = pulumi.Output.secret(drawn.result.apply(lambda v: f"{prefix}{v}"))
    if login is not None:
        value = pulumi.Output.json_dumps({"username": login, "password": value})
    aws.secretsmanager.SecretVersion(
        f"{resource_name}-version",
        secret_id=created.id,
        secret_string=value,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return created


@dataclass(frozen=True)
class GatewaySecretsArgs:
    """Where the secrets live and how they are encrypted."""

    name_prefix: str
    key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    version: int = 1
    """Rotation counter: new values are drawn and written when it changes."""
    protect: bool = False


class GatewaySecrets(pulumi.ComponentResource):
    """Two secrets: the master key (admin API, never handed to teams) and the salt key (LiteLLM
    encrypts provider credentials stored in its database with it: losing it loses them, so it
    is retained on delete). The database and the cache take IAM tokens, so they have none."""

    master_key: aws.secretsmanager.Secret
    salt_key: aws.secretsmanager.Secret

    def __init__(
        self, name: str, args: GatewaySecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:gateway:GatewaySecrets", name, None, opts)
        where = SecretPlace(args.name_prefix, "gateway", args.key_arn, args.tags, args.version)
        self.master_key = generated_secret(
            self,
            f"{name}-master-key",
            where,
            "master-key",
            "LLM gateway master key (admin API only)",
            prefix=MASTER_KEY_PREFIX,
            protect=args.protect,
        )
        self.salt_key = generated_secret(
            self,
            f"{name}-salt-key",
            where,
            "salt-key",
            "LLM gateway salt key (encrypts stored credentials)",
            protect=args.protect,
            retain=True,
        )
        self.register_outputs(
            {
                "masterKeyArn": self.master_key.arn,
                "saltKeyArn": self.salt_key.arn,
            }
        )
