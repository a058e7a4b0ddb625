"""Where AWS resources go: the account, region and partition every ARN is built from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix(partition: str) -> str:
    """The domain of AWS endpoints in a partition (China has its own)."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def via_service(service: str, region: str) -> str:
    """The `kms:ViaService` value of calls a service makes in `region`, e.g.
    `s3.us-east-1.amazonaws.com`."""
    return f"{service}.{region}.{dns_suffix(partition_of(region))}"


@dataclass(frozen=True)
class AwsScope:
    """The account, region and ARN partition a component builds ARNs and policies for.

    `account_id` is usually the output of `aws.get_caller_identity_output()`, so documents
    name the account the provider's credentials actually reach.
    """

    account_id: pulumi.Input[str]
    region: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def service_principal(self, service: str, parent: pulumi.Resource) -> pulumi.Output[str]:
        """The service's principal (`logs.amazonaws.com`), in the form its partition expects.

        The provider keeps the table of partition exceptions; `parent` lends its provider.
        """
        return self._principal(service, parent).name

    def regional_service_principal(
        self, service: str, parent: pulumi.Resource
    ) -> pulumi.Output[str]:
        """The regional form (`logs.us-east-1.amazonaws.com`) some key policies require."""
        return self._principal(service, parent).id

    def _principal(
        self, service: str, parent: pulumi.Resource
    ) -> pulumi.Output[aws.GetServicePrincipalResult]:
        return aws.get_service_principal_output(
            service_name=service,
            region=self.region,
            opts=pulumi.InvokeOutputOptions(parent=parent),
        )

    def endpoint_service_name(
        self, service: str, endpoint_type: str, parent: pulumi.Resource
    ) -> pulumi.Output[str]:
        """The VPC endpoint service name of `service` in this region (fails early at preview
        when the region does not offer it)."""
        return aws.ec2.get_vpc_endpoint_service_output(
            service=service,
            service_type=endpoint_type,
            opts=pulumi.InvokeOutputOptions(parent=parent),
        ).service_name

    def arn(
        self, service: str, resource: pulumi.Input[str], *, regional: bool = True
    ) -> pulumi.Output[str]:
        """arn:<partition>:<service>:<region>:<account>:<resource>."""
        region = self.region if regional else ""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", region, ":", self.account_id, ":", resource
        )

    def managed_policy_arn(self, name: str) -> str:
        """An AWS managed IAM policy, e.g. `AmazonEKSClusterPolicy` or
        `service-role/AmazonEBSCSIDriverPolicy`."""
        return f"arn:{self.partition}:iam::aws:policy/{name}"

    def eks_access_policy_arn(self, name: str) -> str:
        """An EKS cluster access policy, e.g. `AmazonEKSClusterAdminPolicy`."""
        return f"arn:{self.partition}:eks::aws:cluster-access-policy/{name}"

    @property
    def account_root_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")
