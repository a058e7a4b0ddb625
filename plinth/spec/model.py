"""The typed stack spec: everything a stack says under the `plinth:` config namespace.

Keys are camelCase in `Pulumi.<stack>.yaml` (Pulumi's convention) and snake_case in Python.
Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.guardrails.singletons import AccountGuardrail
from components.network.layout import LayoutError, SubnetLayout
from plinth.spec.base import (
    NAME,
    TAG_TEXT,
    AwsRegion,
    DataClassification,
    IamPrincipalArn,
    LogRetentionDays,
    SpecModel,
    invalid,
    name_fragment,
    tag_value,
    without_duplicates,
)
from plinth.spec.bedrock import BedrockSpec, check_bedrock
from plinth.spec.clusters import AnyClusterSpec, check_clusters, largest_node, node_pool
from plinth.spec.errors import Problem
from plinth.spec.gateway import GatewaySpec, gateway_problems
from plinth.spec.guardrails import GuardrailsSpec
from plinth.spec.mlops import PlatformMlopsSpec
from plinth.spec.observability import ObservabilitySpec
from plinth.spec.tenants import (
    IdentityCenterSpec,
    PlatformStackSpec,
    TenantSpec,
    spec_offer,
    tenant_problems,
)
from policies.catalog import Profile
from policies.profiles import settings_for

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")


class AwsSpec(SpecModel):
    """Where the stack deploys on AWS."""

    region: AwsRegion
    """AWS region for every resource of the stack, e.g. us-east-1."""
    account_id: str | None = None
    """When set, the AWS provider refuses credentials for any other account."""

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_ID.match(value):
            raise invalid(f"{value!r} is not an AWS account ID (12 digits, quoted in YAML)")
        return value


class KmsSpec(SpecModel):
    """The platform KMS key that encrypts logs and data by default."""

    administrators: tuple[IamPrincipalArn, ...] = ()
    """IAM role or user ARNs that may manage (not use) the key, besides the account root."""


class FlowLogSpec(SpecModel):
    """VPC flow logs, delivered to a KMS-encrypted CloudWatch log group."""

    retention_days: LogRetentionDays = 365
    """One year by default: PCI DSS 10.5.1 asks for twelve months of audit history."""
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


MAX_AZS = 6


class NetworkSpec(SpecModel):
    """The VPC the platform runs in."""

    az_count: int = Field(default=3, ge=1, le=MAX_AZS)
    """Availability zones to spread subnets over (3 gives zone-failure tolerance)."""
    cidr: str = "10.0.0.0/16"
    """IPv4 range of the VPC, from the private ranges (RFC 1918), /16 to /22."""
    nat_gateways: Literal["perAz", "single", "none"] = "perAz"
    """perAz survives an AZ outage; single is cheaper (dev); none = no internet egress."""
    interface_endpoints: tuple[str, ...] = ()
    """AWS services reached privately through interface endpoints, e.g. sts, ecr.api, logs."""
    flow_logs: FlowLogSpec = FlowLogSpec()

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str, info: ValidationInfo) -> str:
        try:
            if "/" not in value:
                raise ValueError(value)
            network = ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise invalid(f"{value!r} is not an IPv4 network (CIDR such as 10.0.0.0/16)") from None
        if str(network) != value:
            raise invalid(f"{value!r} has host bits set; did you mean {str(network)!r}?")
        if not network.is_private:
            raise invalid(f"{value!r} is not a private (RFC 1918) range")
        if not 16 <= network.prefixlen <= 22:
            raise invalid(f"{value!r} is outside the allowed sizes /16 to /22")
        az_count = info.data.get("az_count")
        if isinstance(az_count, int):
            try:
                SubnetLayout.plan(value, az_count)
            except LayoutError as error:
                raise invalid(str(error)) from None
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _ENDPOINT_SERVICE.match(value):
                raise invalid(f"{value!r} is not an AWS service endpoint name (such as ecr.api)")
            if value == "s3":
                raise invalid("'s3' is always provisioned as a gateway endpoint; remove it")
        return without_duplicates(values)


class ObjectLockSpec(SpecModel):
    """Write-once retention for every new object version (WORM)."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    """GOVERNANCE can be lifted by privileged users; COMPLIANCE cannot, even by root."""
    days: int = Field(ge=1, le=36500)


class BucketSpec(SpecModel):
    """A data bucket (datasets, model artifacts, ...)."""

    data_classification: DataClassification | None = None
    """Overrides the stack's classification for this bucket's tag."""
    object_lock: ObjectLockSpec | None = None
    """Can be turned on for an existing bucket; S3 never turns it off again."""


def _bucket_key(value: str) -> str:
    if not (NAME.match(value) and 3 <= len(value) <= 32):
        raise invalid(
            f"bucket key {value!r} is not a name "
            "(lowercase letters, digits and '-', 3 to 32 characters, such as datasets)"
        )
    return value


BucketKey = Annotated[str, AfterValidator(_bucket_key)]


def _default_buckets() -> dict[str, BucketSpec]:
    return {"datasets": BucketSpec(), "models": BucketSpec()}


class StorageSpec(SpecModel):
    """The data layer: an access-log bucket and the data buckets."""

    access_log_retention_days: int = Field(default=365, ge=90, le=3653)
    """Days to keep S3 server access logs (at least 90)."""
    noncurrent_version_retention_days: int = Field(default=90, ge=1, le=3653)
    """Days a replaced or deleted object version stays recoverable."""
    buckets: dict[BucketKey, BucketSpec] = Field(default_factory=_default_buckets)


class ComplianceSpec(SpecModel):
    """What the stack must prove: the compliance profiles it claims and its waivers."""

    profiles: tuple[Profile, ...] = (Profile.BASELINE,)
    """Profiles whose policy enforcement and thresholds apply (baseline always does)."""
    waivers: str | None = None
    """Waivers file for `plinth audit`, relative to the project directory."""

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, values: tuple[Profile, ...]) -> tuple[Profile, ...]:
        return without_duplicates(values)


class PlinthSpec(SpecModel):
    """The whole `plinth:` namespace of a stack."""

    environment: str
    """Short lowercase environment name (dev, staging, prod); part of resource names."""
    owner: str
    """Team or person accountable for the stack; the `owner` tag."""
    cost_center: str
    """The `cost-center` tag used for cost allocation."""
    data_classification: DataClassification = DataClassification.INTERNAL
    """Default classification for the stack's resources."""
    protect: bool = False
    """Protect stateful resources (keys, buckets, log groups) from `pulumi destroy`."""
    extra_tags: dict[str, str] = Field(default_factory=dict)
    """More tags for every resource; cannot override the common ones."""
    aws: AwsSpec
    kms: KmsSpec = KmsSpec()
    network: NetworkSpec = NetworkSpec()
    storage: StorageSpec = StorageSpec()
    compliance: ComplianceSpec = ComplianceSpec()
    clusters: tuple[AnyClusterSpec, ...] = ()
    """GPU Kubernetes clusters (EKS or CoreWeave), each with its GPU pools."""
    bedrock: BedrockSpec = BedrockSpec()
    gateway: GatewaySpec | None = None
    """The LLM gateway (LiteLLM) in front of the approved Bedrock models, with a team, key,
    budget and limits per tenant that asks for it."""
    observability: ObservabilitySpec | None = None
    """Amazon Managed Service for Prometheus for the stack, with the platform's alert rules
    paging the alarm topic."""
    mlops: PlatformMlopsSpec | None = None
    """Lake Formation in control of the account's data catalog, so tenants' `mlops.catalog`
    databases are governed by grants, and the record of model approvals."""
    identity_center: IdentityCenterSpec | None = None
    """IAM Identity Center, for tenant personas held by SSO groups."""
    auditors: tuple[IamPrincipalArn, ...] = ()
    """IAM roles or users that may assume the platform's read-only auditor role."""
    guardrails: GuardrailsSpec = GuardrailsSpec()
    activate_cost_allocation_tags: bool = False
    """Activate the `project` and `cost-center` tag keys for cost allocation, which tenants'
    budgets filter on. Account-wide, and only the management account of an AWS Organization
    may do it: leave off where the billing team activates them."""
    platform: PlatformStackSpec | None = None
    """Set in a stack that holds only tenants: the platform stack they run on."""
    tenants: tuple[TenantSpec, ...] = ()
    """AI projects on the platform: names of `projects/<name>.yaml` files, or tenants inline."""

    _tenant_files: dict[int, str] = PrivateAttr(default_factory=dict)
    """The file each tenant entry was read from (by index), for locating problems."""

    def tenant_file(self, index: int) -> str | None:
        """The file `tenants[index]` was read from (`projects/<name>.yaml`); None if inline."""
        return self._tenant_files.get(index)

    @field_validator("bedrock")
    @classmethod
    def _bedrock(cls, bedrock: BedrockSpec, info: ValidationInfo) -> BedrockSpec:
        aws, network = info.data.get("aws"), info.data.get("network")
        check_bedrock(
            bedrock,
            aws.region if isinstance(aws, AwsSpec) else None,
            network.interface_endpoints if isinstance(network, NetworkSpec) else (),
        )
        return bedrock

    @field_validator("clusters")
    @classmethod
    def _clusters(
        cls, clusters: tuple[AnyClusterSpec, ...], info: ValidationInfo
    ) -> tuple[AnyClusterSpec, ...]:
        check_clusters(clusters, info.data.get("environment"))
        return clusters

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        return name_fragment(value, "an environment name", 16, "dev or prod")

    @field_validator("owner", "cost_center")
    @classmethod
    def _tag_value(cls, value: str) -> str:
        return tag_value(value)

    @field_validator("extra_tags")
    @classmethod
    def _extra_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        problems = []
        for key, value in tags.items():
            if key in COMMON_TAG_KEYS or key.lower().startswith("aws:"):
                problems.append(f"{key!r} is reserved")
            elif not key or len(key) > 128 or not TAG_TEXT.match(key):
                problems.append(f"{key!r} is not a valid tag key")
            elif len(value) > 256 or not TAG_TEXT.match(value):
                problems.append(f"{key!r} has an invalid value {value!r}")
        if problems:
            raise invalid(
                "; ".join(problems) + f" (reserved keys: {', '.join(COMMON_TAG_KEYS)}, aws:*)"
            )
        return tags

    def problems(self) -> list[Problem]:
        """Problems across sections that single keys cannot show: tenants against the
        stack's clusters and models, and platform sections set in a tenant stack."""
        if self.platform is None:
            return (
                self._profile_problems()
                + self._guardrail_problems()
                + self._gateway_problems()
                + self._observability_problems()
                + tenant_problems(
                    self.tenants,
                    spec_offer(
                        self.clusters,
                        self.bedrock,
                        self.gateway_models() if self.gateway else None,
                        mlops=self.mlops is not None,
                        tracking_cluster=self.gateway.cluster if self.gateway else None,
                    ),
                    identity_center=self.identity_center is not None,
                )
            )
        owned_by_platform = [
            key
            for key in (
                "kms",
                "network",
                "storage",
                "clusters",
                "bedrock",
                "auditors",
                "guardrails",
                "gateway",
                "observability",
                "mlops",
                "activate_cost_allocation_tags",
            )
            if key in self.model_fields_set
        ]
        problems = [
            Problem(
                f"plinth:{to_camel(key)}",
                f"the platform stack {self.platform.stack} owns this; a tenant stack "
                "sets only environment, owner, costCenter, aws, protect, compliance, "
                "identityCenter, platform and tenants",
            )
            for key in owned_by_platform
        ]
        declared = ", ".join(self.platform.clusters) or "none"
        problems += [
            Problem(
                f"plinth:tenants[{index}].clusters.{key}",
                f"{key!r} is not in plinth:platform.clusters ({declared})",
            )
            for index, tenant in enumerate(self.tenants)
            for key in tenant.clusters
            if key not in self.platform.clusters
        ]
        return (
            problems
            + self._profile_problems()
            + tenant_problems(self.tenants, None, identity_center=self.identity_center is not None)
        )

    def _profile_problems(self) -> list[Problem]:
        """Regions outside the residency the claimed compliance profiles require (GDPR). Other
        profile thresholds (log retention, lock modes) are the policy pack's, where a waiver
        can grant a justified exception; data residency is not waivable."""
        profiles = [p.value for p in self.compliance.profiles]
        settings = settings_for(profiles)
        claimed = ", ".join(profiles)
        problems: list[Problem] = []
        if settings.allowed_regions:
            regions = {"plinth:aws.region": self.aws.region}
            if self.bedrock.region:
                regions["plinth:bedrock.region"] = self.bedrock.region
            problems += [
                Problem(
                    path,
                    f"{region!r} is outside the regions the profiles ({claimed}) allow: "
                    f"{', '.join(settings.allowed_regions)}",
                )
                for path, region in regions.items()
                if region not in settings.allowed_regions
            ]
        return problems

    def _observability_problems(self) -> list[Problem]:
        wanted = self.observability
        problems: list[Problem] = []
        if wanted is not None and wanted.traces is not None and not self.gateway:
            problems.append(
                Problem(
                    "plinth:observability.traces",
                    "the trace store runs on the gateway's cluster and database, and keeps the "
                    "gateway's traces: set plinth:gateway, or remove traces",
                )
            )
        if wanted is not None and wanted.grafana is not None and self.identity_center is None:
            problems.append(
                Problem(
                    "plinth:observability.grafana",
                    "Amazon Managed Grafana signs people in through IAM Identity Center: set "
                    "plinth:identityCenter, or remove grafana (the dashboards are then "
                    "ConfigMaps for a Grafana on the cluster)",
                )
            )
        return problems

    def _gateway_problems(self) -> list[Problem]:
        if self.gateway is None:
            return []
        cluster = next((c for c in self.clusters if c.name == self.gateway.cluster), None)
        return list(
            gateway_problems(
                self.gateway,
                aws_clusters=[c.name for c in self.clusters if c.cloud == "aws"],
                other_clusters=[c.name for c in self.clusters if c.cloud != "aws"],
                models=self.gateway_models(),
                pools={p.name: node_pool(p) for p in cluster.gpu_pools} if cluster else {},
                nodes={
                    p.name: node
                    for p in (cluster.gpu_pools if cluster else ())
                    if (node := largest_node(p)) is not None
                },
                buckets=list(self.storage.buckets),
            )
        )

    def gateway_models(self) -> tuple[str, ...]:
        """The models the gateway serves: the approved Bedrock models, by model ID, and the
        models the stack serves itself, by name."""
        bedrock = self.bedrock.models if self.bedrock.enabled else ()
        served = tuple(m.name for m in self.gateway.served_models) if self.gateway else ()
        return bedrock + served

    def gateway_bedrock_models(self) -> tuple[str, ...]:
        """The Bedrock models the gateway calls: those some tenant is granted through it, and
        those their fallbacks (and fallbacks of fallbacks) lead to, in the allowlist's order.
        The gateway's role may invoke these and no other."""
        if self.gateway is None:
            return ()
        wanted = {m for t in self.tenants if t.gateway for m in t.gateway.models}
        pending = list(wanted)
        while pending:
            for fallback in self.gateway.fallbacks.get(pending.pop(), ()):
                if fallback not in wanted:
                    wanted.add(fallback)
                    pending.append(fallback)
        return tuple(m for m in self.gateway_models() if m in wanted and m in self.bedrock.models)

    def _guardrail_problems(self) -> list[Problem]:
        guardrails, problems = self.guardrails, []
        if guardrails.budget is not None and not guardrails.subscribers:
            problems.append(
                Problem(
                    "plinth:guardrails.subscribers",
                    "plinth:guardrails.budget is set but no one is alerted: list at least one "
                    "email",
                )
            )
        profiles = [p.value for p in self.compliance.profiles]
        if (
            settings_for(profiles).trail_alarms
            and AccountGuardrail.CLOUDTRAIL not in guardrails.external
            and not guardrails.subscribers
        ):
            problems.append(
                Problem(
                    "plinth:guardrails.subscribers",
                    f"the compliance profiles ({', '.join(profiles)}) alarm on the audit trail's "
                    "security events (root use, IAM, key and network changes), but no one is "
                    "alerted: list at least one email",
                )
            )
        if guardrails.budget is not None and AccountGuardrail.ACCOUNT_BUDGET in guardrails.external:
            problems.append(
                Problem(
                    "plinth:guardrails.budget",
                    "set, but plinth:guardrails.external lists accountBudget (provided outside "
                    "this stack): remove one of them",
                )
            )
        return problems

    @property
    def name_prefix(self) -> str:
        """Prefix of physical resource names: plinth-<environment>."""
        return f"plinth-{self.environment}"

    def common_tags(self, classification: DataClassification | None = None) -> dict[str, str]:
        """The tags every taggable resource carries."""
        return {
            **self.extra_tags,
            "owner": self.owner,
            "cost-center": self.cost_center,
            "environment": self.environment,
            "data-classification": (classification or self.data_classification).value,
            "managed-by": "plinth",
        }


COMMON_TAG_KEYS = ("owner", "cost-center", "environment", "data-classification", "managed-by")


def json_schema() -> dict[str, Any]:
    """JSON Schema of the spec (camelCase keys, as written in stack files)."""
    return PlinthSpec.model_json_schema(by_alias=True)
