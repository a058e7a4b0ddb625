"""Tenants: one AI project each, declared in `projects/<name>.yaml` or inline in a stack.

Both forms are validated by `TenantSpec`. A tenant names the platform's clusters and Bedrock
models it uses; those names are checked against the stack (`tenant_problems`) once the stack
itself is valid, so every problem is reported at its exact key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from components.bedrock.models import ModelIdError, ModelRef
from components.mlops.contract import REGISTRY_GROUP_SEPARATOR
from components.tenant.contract import PERSONAS
from plinth.spec.base import (
    DataClassification,
    IamPrincipalArn,
    SpecModel,
    invalid,
    name_fragment,
    tag_value,
    without_duplicates,
)
from plinth.spec.bedrock import BedrockSpec
from plinth.spec.clusters import AnyClusterSpec, node_pool
from plinth.spec.errors import Problem
from plinth.spec.gateway import TenantGatewaySpec, tenant_gateway_problems
from plinth.spec.mlops import TenantMlopsSpec

TENANT_NAME_LIMIT = 20
"""Tenant names appear in namespaces, IAM role, permission-set, OpenSearch collection and
Kueue queue names; 20 characters keeps every derived name within its service's limit."""
RESERVED_TENANT_NAMES = ("default", "gpu", "gpu-operator", "kueue-system", "plinth")
"""Namespaces and queues the platform itself uses (`plinth-gpu` is the shared GPU queue)."""
RESERVED_TENANT_PREFIXES = ("kube-", "plinth-")
"""Kubernetes' own namespaces, and the platform services' (`plinth-gateway`,
`plinth-observability`): a tenant's namespace is its name."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")
_SSO_GROUP = re.compile(r"^[\w+=,.@ -]{1,128}$")
_K8S_GROUP = re.compile(r"^[\w:.@/-]{1,253}$")
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_FEATURE = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")


def _tenant_name(value: str) -> str:
    name_fragment(value, "a tenant name", TENANT_NAME_LIMIT, "fraud-detection")
    if REGISTRY_GROUP_SEPARATOR in value:
        raise invalid(
            f"{value!r} has {REGISTRY_GROUP_SEPARATOR!r}, which separates a tenant from its "
            "models in model registry names"
        )
    if value in RESERVED_TENANT_NAMES or value.startswith(RESERVED_TENANT_PREFIXES):
        reserved = [*RESERVED_TENANT_NAMES, *(f"{prefix}*" for prefix in RESERVED_TENANT_PREFIXES)]
        raise invalid(f"{value!r} is reserved for the platform ({', '.join(reserved)})")
    return value


TenantName = Annotated[str, AfterValidator(_tenant_name)]


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise invalid(f"{value!r} is not an email address (budget alerts go to owners)")
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise invalid(f"{value!r} is not a Kubernetes quantity (such as 64, 500m, 256Gi or 1Ti)")
    return value


def _sso_group(value: str) -> str:
    if not _SSO_GROUP.match(value):
        raise invalid(f"{value!r} is not an IAM Identity Center group display name")
    return value


def _kubernetes_group(value: str) -> str:
    if not _K8S_GROUP.match(value) or value.startswith(("system:", "plinth:")):
        raise invalid(
            f"{value!r} is not a usable Kubernetes group "
            "(no spaces; system: and plinth: groups are reserved)"
        )
    return value


Email = Annotated[str, AfterValidator(_email)]
Quantity = Annotated[str, AfterValidator(_quantity)]
SsoGroup = Annotated[str, AfterValidator(_sso_group)]
KubernetesGroup = Annotated[str, AfterValidator(_kubernetes_group)]


class PersonaSpec(SpecModel):
    """Who holds a persona. Everyone listed may assume the persona's IAM role (or, with
    `kubernetesGroups`, is bound in the namespace directly)."""

    iam_principals: tuple[IamPrincipalArn, ...] = ()
    """IAM role or user ARNs allowed to assume the persona's role."""
    sso_groups: tuple[SsoGroup, ...] = ()
    """IAM Identity Center groups (display names); needs `plinth:identityCenter`."""
    kubernetes_groups: tuple[KubernetesGroup, ...] = ()
    """Groups as the cluster's own sign-in presents them (CoreWeave: your organisation's
    groups), bound to the persona's ClusterRole in the tenant namespace."""

    @field_validator("iam_principals", "sso_groups", "kubernetes_groups")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)

    @property
    def empty(self) -> bool:
        return not (self.iam_principals or self.sso_groups or self.kubernetes_groups)


class PersonasSpec(SpecModel):
    """The tenant's people: admin (manages the namespace), developer (deploys and runs
    workloads), viewer (reads). A persona nobody holds gets no role."""

    admin: PersonaSpec = PersonaSpec()
    developer: PersonaSpec = PersonaSpec()
    viewer: PersonaSpec = PersonaSpec()


class TenantClusterSpec(SpecModel):
    """What the tenant may use on one cluster."""

    gpu_quota: dict[str, Annotated[int, Field(ge=0, le=100000)]] = Field(default_factory=dict)
    """GPUs (nvidia.com/gpu units, i.e. slices on shared pools) per GPU pool of the cluster;
    pools not listed are closed to the tenant."""
    cpu: Quantity = "32"
    """CPU the namespace's pods may request in total."""
    memory: Quantity = "128Gi"
    """Memory the namespace's pods may request (and be limited to) in total."""


class VectorStoreSpec(SpecModel):
    """An OpenSearch Serverless vector collection reachable only from the platform VPC."""

    standby_replicas: bool = True
    """Replicas in a second AZ; off halves the minimum capacity bill but loses zone
    tolerance (fine for dev)."""


FeatureType = Literal["Integral", "Fractional", "String"]


def _feature_name(value: str) -> str:
    if not _FEATURE.match(value):
        raise invalid(
            f"{value!r} is not a SageMaker feature name (letters, digits, - and _, "
            "up to 64 characters, starting with a letter or digit)"
        )
    return value


FeatureName = Annotated[str, AfterValidator(_feature_name)]


class FeatureGroupSpec(SpecModel):
    """A SageMaker feature group whose offline store lives in the tenant's datasets bucket."""

    name: str
    record_identifier: FeatureName
    """The feature that identifies a record (must be one of `features`)."""
    event_time: FeatureName
    """The feature holding each record's event time (a String or Fractional feature)."""
    features: dict[FeatureName, FeatureType] = Field(min_length=2)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return name_fragment(value, "a feature group name", 24, "transactions")

    def problems(self) -> Iterator[tuple[str, str]]:
        """(key, message) for keys naming features the group does not define."""
        for key, feature in (
            ("recordIdentifier", self.record_identifier),
            ("eventTime", self.event_time),
        ):
            if feature not in self.features:
                yield key, f"{feature!r} is not one of the features ({', '.join(self.features)})"
        if self.features.get(self.event_time) == "Integral":
            yield "eventTime", f"{self.event_time!r} must be a String or Fractional feature"


class FeatureStoreSpec(SpecModel):
    """SageMaker Feature Store, offline store only."""

    feature_groups: tuple[FeatureGroupSpec, ...] = Field(min_length=1)


class DataStoresSpec(SpecModel):
    """Data stores beyond the datasets, models and artifacts buckets every tenant gets."""

    vector_store: VectorStoreSpec | None = None
    feature_store: FeatureStoreSpec | None = None


class BudgetSpec(SpecModel):
    """A monthly AWS budget: a tenant's covers costs tagged with its project tag, the
    platform's (plinth:guardrails.budget) the whole account."""

    monthly_usd: int = Field(ge=1, le=100_000_000)
    alert_thresholds: tuple[Annotated[int, Field(ge=1, le=1000)], ...] = (50, 80, 100)
    """Percentages of the budget at which actual spend alerts (a forecast over 100% alerts
    too)."""

    @field_validator("alert_thresholds")
    @classmethod
    def _thresholds(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(values)) != len(values):
            raise invalid(f"{list(values)} lists a threshold more than once")
        return tuple(sorted(values))


class TenantSpec(SpecModel):
    """One AI project: a `projects/<name>.yaml` file or an entry of `plinth:tenants`."""

    name: TenantName
    """The project's name: its namespace, and part of its roles', buckets' and queues' names."""
    owners: tuple[Email, ...] = Field(min_length=1)
    """Accountable people (emails); budget alerts go to them."""
    cost_center: str
    """The `cost-center` tag on everything the tenant owns."""
    data_classification: DataClassification = DataClassification.INTERNAL
    """The most sensitive data the project holds; restricted turns on object lock."""
    clusters: dict[str, TenantClusterSpec] = Field(default_factory=dict)
    """Platform clusters (by name) the project runs on, with its quotas there."""
    bedrock_models: tuple[str, ...] = ()
    """Bedrock models (from the platform's allowlist) the project's roles may invoke."""
    data_stores: DataStoresSpec = DataStoresSpec()
    gateway: TenantGatewaySpec | None = None
    """The project's team on the platform's LLM gateway: models, monthly budget, limits."""
    budget: BudgetSpec
    personas: PersonasSpec = PersonasSpec()
    mlops: TenantMlopsSpec | None = None
    """Experiment tracking, a model registry with an approval step, and a governed catalog."""

    @field_validator("cost_center")
    @classmethod
    def _cost_center(cls, value: str) -> str:
        # Also a label on the tenant's Kubernetes objects, which allow less than AWS tags.
        if not _LABEL_VALUE.match(value):
            raise invalid(
                f"{value!r} is not usable as a tag and Kubernetes label value (1 to 63 "
                "letters, digits, '-', '_' and '.', starting and ending with a letter or "
                "digit, such as cc-search)"
            )
        return tag_value(value)

    @field_validator("owners", "bedrock_models")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)


TenantEntry = str | TenantSpec
"""A `plinth:tenants` entry: a project file's name (`projects/<name>.yaml`) or the tenant."""


_SSO_INSTANCE = re.compile(r"^arn:aws(?:-us-gov|-cn)?:sso:::instance/ssoins-[0-9a-f]{16}$")
_IDENTITY_STORE = re.compile(r"^d-[0-9a-f]{10}$")
_STACK_NAME = re.compile(r"^[\w.-]+/[\w.-]+/[\w.-]+$")


class IdentityCenterSpec(SpecModel):
    """The IAM Identity Center instance whose groups can hold tenant personas. The stack's
    credentials must be allowed to manage it (management or delegated-admin account)."""

    instance_arn: str
    """arn:aws:sso:::instance/ssoins-<16 hex digits> (`aws sso-admin list-instances`)."""
    identity_store_id: str
    """d-<10 hex digits>, the instance's identity store."""

    @field_validator("instance_arn")
    @classmethod
    def _instance(cls, value: str) -> str:
        if not _SSO_INSTANCE.match(value):
            raise invalid(
                f"{value!r} is not an IAM Identity Center instance ARN "
                "(arn:aws:sso:::instance/ssoins-<16 hex digits>)"
            )
        return value

    @field_validator("identity_store_id")
    @classmethod
    def _store(cls, value: str) -> str:
        if not _IDENTITY_STORE.match(value):
            raise invalid(f"{value!r} is not an identity store ID (d- and 10 hex digits)")
        return value


class PlatformStackSpec(SpecModel):
    """For a stack holding only tenants: the platform stack they run on. Its outputs (the
    contract in docs/tenants.md) supply the clusters, keys, buckets and Bedrock settings; only the
    clusters' clouds are needed before those outputs arrive."""

    stack: str
    """The platform stack's fully qualified name: <organization>/<project>/<stack>."""
    clusters: dict[str, Literal["aws", "coreweave"]] = Field(default_factory=dict)
    """Cloud of each platform cluster the tenants use, e.g. {gpu: aws}."""

    @field_validator("stack")
    @classmethod
    def _stack(cls, value: str) -> str:
        if not _STACK_NAME.match(value):
            raise invalid(f"{value!r} is not a stack name (<organization>/<project>/<stack>)")
        return value


@dataclass(frozen=True)
class PlatformOffer:
    """What a platform offers its tenants, from its spec (platform stack) or its outputs
    (tenant stack): schedulable GPU units per cluster and pool, and approved Bedrock models."""

    where: str
    """How problems name the platform: "this stack" or "platform stack <name>"."""
    gpu_units: Mapping[str, Mapping[str, int]]
    bedrock_models: Sequence[str] | None
    """Approved model IDs; None when the platform has no Bedrock."""
    bedrock_providers: Sequence[str] = ()
    """Providers all of whose models are approved."""
    bedrock_source: str = "plinth:bedrock"
    """Where the approved models are set, for messages."""
    gateway_models: Sequence[str] | None = None
    """Models the platform's gateway serves; None when it has no gateway."""
    mlops: bool = False
    """The platform has its MLOps layer (plinth:mlops), which tenants' `mlops` builds on."""
    tracking_cluster: str | None = None
    """The cluster tenants' self-hosted MLflow runs on (the gateway's, beside the Aurora
    cluster holding its databases); None where the platform cannot host it."""


def tenant_problems(
    tenants: tuple[TenantSpec, ...],
    offer: PlatformOffer | None,
    *,
    identity_center: bool,
    prefix: str = "plinth:tenants",
) -> list[Problem]:
    """Problems of tenants in a stack: duplicate names, SSO groups without Identity Center,
    feature-group keys and, given the platform's `offer`, what they ask of it (None in a
    tenant stack, whose platform outputs arrive later: see `offer_problems`)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    feature_groups: dict[str, str] = {}
    for index, tenant in enumerate(tenants):
        at = f"{prefix}[{index}]"
        if tenant.name in seen:
            problems.append(
                Problem(f"{at}.name", f"{tenant.name!r} is also tenant [{seen[tenant.name]}]")
            )
        seen.setdefault(tenant.name, index)
        for persona in PERSONAS:
            if getattr(tenant.personas, persona).sso_groups and not identity_center:
                problems.append(
                    Problem(
                        f"{at}.personas.{persona}.ssoGroups",
                        "SSO groups need plinth:identityCenter (instanceArn, identityStoreId)",
                    )
                )
        store = tenant.data_stores.feature_store
        for g, group in enumerate(store.feature_groups if store else ()):
            group_at = f"{at}.dataStores.featureStore.featureGroups[{g}]"
            for key, message in group.problems():
                problems.append(Problem(f"{group_at}.{key}", message))
            # SageMaker names a group <prefix>-<tenant>-<group>: tenant a-b's group c and
            # tenant a's group b-c would both be <prefix>-a-b-c.
            full_name = f"{tenant.name}-{group.name}"
            if full_name in feature_groups:
                problems.append(
                    Problem(
                        f"{group_at}.name",
                        f"{group.name!r} makes the feature group name <prefix>-{full_name}, "
                        f"which {feature_groups[full_name]} has already; rename the group",
                    )
                )
            feature_groups.setdefault(full_name, f"{group_at}.name")
    return problems + (offer_problems(tenants, offer, prefix=prefix) if offer else [])


def offer_problems(
    tenants: tuple[TenantSpec, ...],
    offer: PlatformOffer,
    *,
    prefix: str = "plinth:tenants",
    unknown_clusters: bool = True,
) -> list[Problem]:
    """Tenants asking for clusters, pools, GPUs or models the platform does not offer.
    `unknown_clusters=False` leaves out clusters the platform lacks (reported elsewhere)."""
    problems: list[Problem] = []
    for index, tenant in enumerate(tenants):
        at = f"{prefix}[{index}]"
        problems += _cluster_problems(tenant, offer, at, unknown_clusters)
        problems += _model_problems(tenant, offer, at)
        if tenant.gateway is not None:
            problems += tenant_gateway_problems(
                tenant.gateway, tenant.data_classification, offer.gateway_models, at
            )
        if tenant.mlops is not None and not offer.mlops:
            problems.append(
                Problem(
                    f"{at}.mlops",
                    f"{offer.where} has no MLOps layer (plinth:mlops: Lake Formation over the "
                    "catalogs, the record of model approvals): set it there first",
                )
            )
        problems += _tracking_problems(tenant, offer, at)
    return problems


def _tracking_problems(tenant: TenantSpec, offer: PlatformOffer, at: str) -> list[Problem]:
    """A self-hosted MLflow (`tracking.server: cluster`) needs the platform stack's gateway
    cluster and the tenant on it."""
    if tenant.mlops is None or not tenant.mlops.on_cluster():
        return []
    where = f"{at}.mlops.tracking.server"
    if offer.tracking_cluster is None:
        reason = (
            "needs plinth:gateway: MLflow's databases live in the gateway's Aurora cluster"
            if offer.where == "this stack"
            else f"is made by the platform stack, beside its database; {offer.where} does not "
            "make it for a tenant stack's tenants: use server: sagemaker"
        )
        return [Problem(where, f"'cluster' {reason}")]
    if offer.tracking_cluster not in tenant.clusters:
        return [
            Problem(
                where,
                f"'cluster' runs MLflow on cluster {offer.tracking_cluster!r} "
                "(plinth:gateway.cluster), beside the platform's Aurora cluster: add it to the "
                "tenant's clusters, or use server: sagemaker (CoreWeave pods reach it with IAM)",
            )
        ]
    return []


def spec_offer(
    clusters: Sequence[AnyClusterSpec],
    bedrock: BedrockSpec,
    gateway_models: Sequence[str] | None = None,
    *,
    mlops: bool = False,
    tracking_cluster: str | None = None,
) -> PlatformOffer:
    """What a platform stack's own clusters, Bedrock and gateway sections offer its tenants."""
    return PlatformOffer(
        where="this stack",
        gpu_units={
            cluster.name: {
                pool.name: node_pool(pool).max_schedulable_gpus for pool in cluster.gpu_pools
            }
            for cluster in clusters
        },
        bedrock_models=bedrock.models if bedrock.enabled else None,
        bedrock_providers=bedrock.allow_providers,
        gateway_models=gateway_models,
        mlops=mlops,
        tracking_cluster=tracking_cluster,
    )


def _cluster_problems(
    tenant: TenantSpec, offer: PlatformOffer, at: str, unknown_clusters: bool
) -> Iterator[Problem]:
    if not tenant.clusters:
        # Its workload identity is bound to a service account on the clusters it names.
        yield Problem(
            f"{at}.clusters",
            "the tenant runs on no cluster: name at least one of "
            f"{offer.where}'s clusters ({', '.join(offer.gpu_units) or 'none'}) with its quotas",
        )
    for key, wanted in tenant.clusters.items():
        pools = offer.gpu_units.get(key)
        if pools is None:
            if not unknown_clusters:
                continue
            yield Problem(
                f"{at}.clusters.{key}",
                f"{key!r} is not a cluster of {offer.where} "
                f"(clusters: {', '.join(offer.gpu_units) or 'none'})",
            )
            continue
        for pool_name, gpus in wanted.gpu_quota.items():
            path = f"{at}.clusters.{key}.gpuQuota.{pool_name}"
            if pool_name not in pools:
                yield Problem(
                    path, f"{pool_name!r} is not a GPU pool of {key!r} (pools: {', '.join(pools)})"
                )
            elif gpus > pools[pool_name]:
                yield Problem(
                    path,
                    f"{gpus} GPUs is more than pool {pool_name!r} can ever hold "
                    f"({pools[pool_name]} at maxNodes)",
                )


def _model_problems(tenant: TenantSpec, offer: PlatformOffer, at: str) -> Iterator[Problem]:
    if tenant.bedrock_models and offer.bedrock_models is None:
        where = f"{offer.where} ({offer.bedrock_source})"
        yield Problem(f"{at}.bedrockModels", f"Bedrock is not enabled in {where}")
        return
    approved = offer.bedrock_models or ()
    for index, model in enumerate(tenant.bedrock_models):
        try:
            provider = ModelRef.parse(model).provider
        except ModelIdError as error:
            yield Problem(f"{at}.bedrockModels[{index}]", str(error))
            continue
        if model not in approved and provider not in offer.bedrock_providers:
            yield Problem(
                f"{at}.bedrockModels[{index}]",
                f"{model!r} is not approved by {offer.bedrock_source}.models "
                f"({', '.join(approved) or 'none'})",
            )
