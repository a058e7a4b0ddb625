"""Provisioned throughput: dedicated Bedrock model capacity, bought in model units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.bedrock.models import foundation_model_arn
from components.scope import AwsScope

Commitment = Literal["none", "OneMonth", "SixMonths"]


@dataclass(frozen=True)
class ProvisionedThroughputArgs:
    """Inputs of a ProvisionedThroughput. `commitment` is required, never defaulted: it is a
    term AWS bills in full whether or not the capacity is used or deleted."""

    scope: AwsScope
    provisioned_model_name: str
    model_id: str
    model_units: int
    commitment: Commitment
    tags: Mapping[str, str]


class ProvisionedThroughput(pulumi.ComponentResource):
    """Provisioned throughput for one foundation model.

    Without a commitment it is billed by the hour and can be deleted at any time. With one,
    it is protected from `pulumi destroy` and from replacement (every argument forces a new
    purchase): removing it must be a deliberate `pulumi state unprotect`, not a side effect.
    """

    throughput: aws.bedrock.ProvisionedModelThroughput
    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ProvisionedThroughputArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("plinth:bedrock:ProvisionedThroughput", name, None, opts)
        committed = args.commitment != "none"
        self.throughput = aws.bedrock.ProvisionedModelThroughput(
            name,
            provisioned_model_name=args.provisioned_model_name,
            model_arn=foundation_model_arn(args.scope, args.model_id),
            model_units=args.model_units,
            commitment_duration=args.commitment if committed else None,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=committed),
        )
        self.arn = self.throughput.provisioned_model_arn
        self.register_outputs({"arn": self.arn})
