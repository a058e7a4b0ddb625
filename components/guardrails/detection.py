"""Detection: GuardDuty watches for threats, Security Hub scores the account against standards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.scope import AwsScope

# What an AI platform needs watched, as GuardDuty protection plans (detector features):
# reads of training data and models in S3, the EKS audit log (who did what in the cluster),
# and runtime monitoring of the nodes' processes (crypto-miners on stolen GPU capacity, reverse
# shells in inference containers), whose agent GuardDuty installs as an EKS add-on.
DETECTOR_FEATURES: Mapping[str, Sequence[str]] = {
    "S3_DATA_EVENTS": (),
    "EKS_AUDIT_LOGS": (),
    "RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
}


@dataclass(frozen=True)
class ThreatDetectionArgs:
    """Inputs of a ThreatDetection."""

    tags: Mapping[str, str]
    protect: bool = False


class ThreatDetection(pulumi.ComponentResource):
    """The region's GuardDuty detector with the protections of DETECTOR_FEATURES, publishing
    updated findings every 15 minutes (the shortest interval; the default is six hours).

    Retained on delete: deleting a detector deletes its findings, which are evidence."""

    detector: aws.guardduty.Detector

    def __init__(
        self, name: str, args: ThreatDetectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:ThreatDetection", name, None, opts)
        self.detector = aws.guardduty.Detector(
            name,
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        for feature, extras in DETECTOR_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{name}-{feature.lower().replace('_', '-')}",
                detector_id=self.detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    {"name": extra, "status": "ENABLED"} for extra in extras
                ],
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
        self.register_outputs({"detectorId": self.detector.id})


def standard_arn(scope: AwsScope, standard: str) -> str:
    """A Security Hub standard's ARN from its path (`pci-dss/v/4.0.1`); standards belong to no
    account, so the account field is empty."""
    return f"arn:{scope.partition}:securityhub:{scope.region}::standards/{standard}"


@dataclass(frozen=True)
class SecurityHubArgs:
    """Inputs of a SecurityHub: the standards to subscribe to, as paths after `standards/`."""

    scope: AwsScope
    standards: Sequence[str]
    protect: bool = False


class SecurityHub(pulumi.ComponentResource):
    """Security Hub for the region, subscribed to exactly the standards the stack's profiles
    choose (AWS's default pair is turned off, so nothing is enabled that no profile asked for),
    with consolidated control findings (one finding per control across standards) and new
    controls of subscribed standards enabled as AWS adds them.

    Security Hub's controls are evaluated by AWS Config rules, so it needs a recorder in the
    region (ConfigRecording, or an external one). Retained on delete, with its
    subscriptions: disabling Security Hub discards its findings."""

    account: aws.securityhub.Account
    subscriptions: dict[str, aws.securityhub.StandardsSubscription]

    def __init__(
        self, name: str, args: SecurityHubArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:guardrails:SecurityHub", name, None, opts)
        self.account = aws.securityhub.Account(
            name,
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        self.subscriptions = {
            standard: aws.securityhub.StandardsSubscription(
                # The version is in the name: a new version is a new subscription, and the
                # retained old one stays until removed by hand.
                f"{name}-{standard.replace('/v/', '-').replace('.', '-')}",
                standards_arn=standard_arn(args.scope, standard),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.account], retain_on_delete=True
                ),
            )
            for standard in args.standards
        }
        self.register_outputs({"standards": [standard_arn(args.scope, s) for s in args.standards]})
