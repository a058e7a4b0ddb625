"""The account's audit trail: every API call, in every region, signed and encrypted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

TRAIL_PREFIX = "cloudtrail"
"""Key prefix of CloudTrail's log files in the audit bucket (`cloudtrail/AWSLogs/...`)."""


@dataclass(frozen=True)
class AuditTrailArgs:
    """Inputs of an AuditTrail.

    The bucket must let CloudTrail check its ACL and write under `cloudtrail/AWSLogs/<account>/`
    for this trail (SecureBucket `service_writers`, `reads_bucket_acl=True`), and `key_arn`'s
    policy must let CloudTrail encrypt for it (EncryptionKeyArgs.cloudtrail_trails): CloudTrail
    checks both when the trail is created, so `ready` (the bucket policy) comes first.
    """

    trail_name: str
    bucket_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    data_bucket_arns: Sequence[pulumi.Input[str]]
    tags: Mapping[str, str]
    ready: Sequence[pulumi.Resource] = ()
    protect: bool = False


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail with global service events and log file validation
    (signed hourly digests prove that no delivered log was altered or removed), encrypted with
    the audit key, recording:

    - every management event, read and write, in every region: IAM and STS calls, the EKS and
      Bedrock control planes (clusters, access entries, guardrails, model access) included;
    - S3 object-level data events (reads and writes) on the platform's data buckets, the
      evidence of who read which training data or model. Data events cost per event, so only
      the data buckets are selected, not the log buckets.

    Retained on delete: an audit trail that stops with `pulumi destroy` leaves a gap auditors
    ask about. Remove it by hand (`aws cloudtrail delete-trail`) once that is intended.
    """

    trail: aws.cloudtrail.Trail
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:AuditTrail", name, None, opts)
        selectors: list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict] = [
            {
                "name": "All management events",
                "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
            }
        ]
        if args.data_bucket_arns:
            selectors.append(
                {
                    "name": "Object reads and writes on the platform's data buckets",
                    "field_selectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                        {
                            "field": "resources.ARN",
                            "starts_withs": [
                                pulumi.Output.concat(arn, "/") for arn in args.data_bucket_arns
                            ],
                        },
                    ],
                }
            )
        self.trail = aws.cloudtrail.Trail(
            name,
            name=args.trail_name,
            s3_bucket_name=args.bucket_name,
            s3_key_prefix=TRAIL_PREFIX,
            kms_key_id=args.key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            advanced_event_selectors=selectors,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.ready),
                protect=args.protect,
                retain_on_delete=True,
            ),
        )
        self.arn = self.trail.arn
        self.register_outputs({"arn": self.arn})
