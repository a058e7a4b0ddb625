"""Account-wide defaults that close whole classes of mistakes: no public S3, no unencrypted
EBS volume, and a standing report of anything shared outside the account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AccountDefaultsArgs:
    """Inputs of AccountDefaults: which of the three settings this stack owns."""

    analyzer_name: str
    tags: Mapping[str, str]
    public_access_block: bool = True
    ebs_encryption: bool = True
    access_analyzer: bool = True


class AccountDefaults(pulumi.ComponentResource):
    """Account-level settings, each only when the stack owns it:

    - the account's S3 public access block, all four settings on: no bucket of the account can
      be made public, whatever its own settings say;
    - EBS encryption by default in the region: every new volume and snapshot is encrypted with
      the account's default EBS key (the AWS managed `aws/ebs` unless someone set another).
      Plinth sets no customer managed default key: it would need grants for every role that
      launches instances (EKS Auto Mode and Karpenter nodes among them), and a missing grant
      stops nodes from launching;
    - an IAM Access Analyzer (zone of trust: the account) that reports every bucket, key, role
      and other resource shared with a principal outside the account.

    Retained on delete: `pulumi destroy` never makes the account more open than it found it.
    """

    def __init__(
        self, name: str, args: AccountDefaultsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:AccountDefaults", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        if args.public_access_block:
            aws.s3.AccountPublicAccessBlock(
                f"{name}-s3-public-access-block",
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=kept,
            )
        if args.ebs_encryption:
            aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption", enabled=True, opts=kept)
        if args.access_analyzer:
            aws.accessanalyzer.Analyzer(
                f"{name}-access-analyzer",
                analyzer_name=args.analyzer_name,
                type="ACCOUNT",
                tags=dict(args.tags),
                opts=kept,
            )
        self.register_outputs({})
