"""Where AWS resources go: the account, region and partition every ARN is built from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class AwsScope:
    """The account, region and ARN partition a component builds ARNs and policies for.

    `account_id` is usually the output of `aws.get_caller_identity_output()`, so documents
    name the account the provider's credentials actually reach.
    """

    account_id: pulumi.Input[str]
    region: str
    partition: str = "aws"

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def service_principal(self, service: str) -> str:
        """`logs` -> `logs.amazonaws.com` (the form IAM trust and key policies accept)."""
        return f"{service}.{self.dns_suffix}"

    def regional_service_principal(self, service: str) -> str:
        """`logs` -> `logs.us-east-1.amazonaws.com` (CloudWatch Logs wants this form)."""
        return f"{service}.{self.region}.{self.dns_suffix}"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> pulumi.Output[str]:
        """arn:<partition>:<service>:<region>:<account>:<resource>."""
        region = self.region if regional else ""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", region, ":", self.account_id, ":", resource
        )

    @property
    def account_root_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")
