"""Who may act for a tenant: its persona roles, its workload role, and how people and pods
reach them (IAM Identity Center, EKS access entries, EKS Pod Identity, OIDC federation from
CoreWeave); plus the platform's own read-only auditor.

What the roles may do once assumed is attached separately (permissions.py): the identities
exist before the tenant's data stores, which name the roles in their policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.cluster.eks_compute import cluster_access
from components.iam import (
    WEB_IDENTITY_AUDIENCE,
    Statement,
    pod_identity_trust_statement,
    policy_document,
    web_identity_trust_statement,
)
from components.mlops.registry import RegistryArns, registry_statements
from components.mlops.tracking import tracking_statements
from components.names import bounded_name
from components.scope import AwsScope
from components.tenant.contract import (
    PERSONAS,
    WORKLOAD_SERVICE_ACCOUNT,
    Persona,
    PersonaMembers,
    TenantCluster,
    persona_group,
)
from components.tenant.permissions import cluster_statements

ROLE_NAME_LIMIT = 64
PERMISSION_SET_NAME_LIMIT = 32
MAX_SESSION_HOURS = 12
"""IAM's ceiling for a role's maximum session duration (and Identity Center's for a
permission set's session)."""

PERSONA_ACCESS_POLICIES: Mapping[Persona, str] = {
    "admin": "AmazonEKSAdminPolicy",
    "developer": "AmazonEKSEditPolicy",
    "viewer": "AmazonEKSViewPolicy",
}
"""EKS access policies per persona, each scoped to the tenant namespace. The viewer gets
AmazonEKSViewPolicy, which (unlike AmazonEKSAdminViewPolicy) cannot read Secrets."""

AUDITOR_MANAGED_POLICIES = ("SecurityAudit", "job-function/ViewOnlyAccess")
AUDITOR_ACCESS_POLICY = "AmazonEKSViewPolicy"
"""Cluster-wide, but still without Secrets: an auditor reads configuration, never credentials."""


def _sso_role_arn_pattern(scope: AwsScope, permission_set: str) -> pulumi.Output[str]:
    """The ARN of every role Identity Center creates in this account for `permission_set`:
    `role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<name>_<suffix>` (the
    region appears when the Identity Center instance is outside us-east-1; the suffix changes
    whenever the role is re-created, hence the wildcards; the `_` after the name keeps
    `<name>-other` permission sets out)."""
    return scope.arn(
        "iam",
        f"role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_{permission_set}_*",
        regional=False,
    )


def _sid(text: str) -> str:
    """A statement ID fragment from a name (`cw-east` -> `CwEast`): Sids are alphanumeric."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text))


@dataclass(frozen=True)
class IdentityCenter:
    """The IAM Identity Center instance whose groups may hold personas
    (`aws ssoadmin list-instances`)."""

    instance_arn: pulumi.Input[str]
    identity_store_id: pulumi.Input[str]


@dataclass(frozen=True)
class TenantIdentityArgs:
    """Inputs of a TenantIdentity.

    `max_session_hours` bounds persona sessions. It defaults to 1 hour, IAM's default:
    people reaching a persona through Identity Center or another role are chaining roles,
    which AWS caps at one hour (CLI and API) whatever the role allows, so a longer setting
    would mostly lengthen sessions of IAM users, the principals least worth trusting longer.
    """

    scope: AwsScope
    tenant: str
    name_prefix: str
    """Physical names are `<prefix>-<tenant>-<persona>` and `<prefix>-<tenant>-workload`."""
    namespace: str
    personas: Mapping[Persona, PersonaMembers]
    clusters: Sequence[TenantCluster]
    tags: Mapping[str, str] = field(default_factory=dict)
    identity_center: IdentityCenter | None = None
    max_session_hours: int = 1

    def __post_init__(self) -> None:
        longest = max((*PERSONAS, "workload"), key=len)
        name = f"{self.name_prefix}-{self.tenant}-{longest}"
        if len(name) > ROLE_NAME_LIMIT:
            raise ValueError(
                f"role name {name!r} is longer than IAM's {ROLE_NAME_LIMIT} characters: "
                "shorten the name prefix or the tenant name"
            )
        if not self.clusters:
            raise ValueError(f"tenant {self.tenant!r} runs on no cluster")
        for cluster in self.clusters:
            if cluster.cloud == "coreweave" and cluster.oidc_provider_arn is None:
                raise ValueError(
                    f"CoreWeave cluster {cluster.key!r} has no OIDC provider: the workload "
                    "role could not be assumed from it"
                )
        if not 1 <= self.max_session_hours <= MAX_SESSION_HOURS:
            raise ValueError(f"max_session_hours must be 1 to {MAX_SESSION_HOURS}")
        if self.identity_center is None:
            for persona, members in self.personas.items():
                if members.sso_groups:
                    raise ValueError(
                        f"persona {persona!r} of tenant {self.tenant!r} names SSO groups, "
                        "but no Identity Center instance is given"
                    )

    def role_name(self, purpose: str) -> str:
        return f"{self.name_prefix}-{self.tenant}-{purpose}"

    @property
    def eks_clusters(self) -> list[TenantCluster]:
        return [cluster for cluster in self.clusters if cluster.cloud == "aws"]


class TenantIdentity(pulumi.ComponentResource):
    """A tenant's IAM identities and how they are reached:

    - one role per persona (`<prefix>-<tenant>-<persona>`) that has IAM principals or SSO
      groups, assumable by the listed principals and by the Identity Center role of the
      persona's permission set, nothing else. A persona held by no one, or only by
      Kubernetes groups (bound by the namespace directly), gets no role;
    - per SSO group: a permission set per persona that may only assume the persona role and
      describe the tenant's EKS clusters, assigned to the group on this account;
    - per EKS cluster and persona role: an access entry putting the role in the persona's
      Kubernetes group, with the persona's EKS access policy limited to the tenant namespace
      (CoreWeave clusters bind the groups through the namespace's RoleBindings instead);
    - the workload role (`<prefix>-<tenant>-workload`), assumable only by the tenant's
      `workload` service account in its namespace: through EKS Pod Identity on the tenant's
      EKS clusters (one association per cluster), and through each CoreWeave cluster's OIDC
      provider.
    """

    persona_roles: dict[Persona, aws.iam.Role]
    workload_role: aws.iam.Role
    pod_identities: list[aws.eks.PodIdentityAssociation]
    eks_cluster_arns: list[pulumi.Output[str]]
    """The tenant's EKS clusters, for TenantPermissions."""

    def __init__(
        self, name: str, args: TenantIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:TenantIdentity", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        eks_arns = [
            args.scope.arn("eks", pulumi.Output.concat("cluster/", c.cluster_name))
            for c in args.eks_clusters
        ]
        self.eks_cluster_arns = eks_arns

        self.persona_roles = {}
        for persona in PERSONAS:
            members = args.personas.get(persona, PersonaMembers())
            if not (members.iam_principals or members.sso_groups):
                continue
            permission_set = bounded_name(args.role_name(persona), PERMISSION_SET_NAME_LIMIT)
            role = aws.iam.Role(
                f"{name}-{persona}",
                name=args.role_name(persona),
                description=f"The {persona} persona of tenant {args.tenant}",
                assume_role_policy=policy_document(self._persona_trust(members, permission_set)),
                max_session_duration=args.max_session_hours * 3600,
                tags=dict(args.tags),
                opts=child,
            )
            self.persona_roles[persona] = role
            if members.sso_groups:
                self._single_sign_on(persona, members.sso_groups, permission_set, role, eks_arns)
            for cluster in args.eks_clusters:
                cluster_access(
                    f"{name}-{persona}-{cluster.key}",
                    cluster.cluster_name,
                    role.arn,
                    access_policy=args.scope.eks_access_policy_arn(
                        PERSONA_ACCESS_POLICIES[persona]
                    ),
                    namespaces=[args.namespace],
                    kubernetes_groups=[persona_group(args.tenant, persona)],
                    tags=args.tags,
                    parent=self,
                )

        self.workload_role = aws.iam.Role(
            f"{name}-workload",
            name=args.role_name("workload"),
            description=f"Workloads of tenant {args.tenant} ({WORKLOAD_SERVICE_ACCOUNT} "
            f"service account in {args.namespace})",
            assume_role_policy=policy_document(self._workload_trust(eks_arns)),
            tags=dict(args.tags),
            opts=child,
        )
        self.pod_identities = [
            aws.eks.PodIdentityAssociation(
                f"{name}-workload-{cluster.key}",
                cluster_name=cluster.cluster_name,
                namespace=args.namespace,
                service_account=WORKLOAD_SERVICE_ACCOUNT,
                role_arn=self.workload_role.arn,
                tags=dict(args.tags),
                opts=child,
            )
            for cluster in args.eks_clusters
        ]
        self.register_outputs(
            {
                "personaRoles": {p: role.arn for p, role in self.persona_roles.items()},
                "workloadRole": self.workload_role.arn,
            }
        )

    def _persona_trust(self, members: PersonaMembers, permission_set: str) -> list[Statement]:
        scope = self._args.scope
        statements: list[Statement] = []
        if members.iam_principals:
            statements.append(
                {
                    "Sid": "AssumedByListedPrincipals",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(members.iam_principals)},
                    "Action": "sts:AssumeRole",
                }
            )
        if members.sso_groups:
            statements.append(
                {
                    "Sid": "AssumedThroughIdentityCenterPermissionSet",
                    "Effect": "Allow",
                    "Principal": {"AWS": scope.account_root_arn},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "ArnLike": {
                            "aws:PrincipalArn": _sso_role_arn_pattern(scope, permission_set)
                        }
                    },
                }
            )
        return statements

    def _single_sign_on(
        self,
        persona: Persona,
        groups: Sequence[str],
        permission_set_name: str,
        role: aws.iam.Role,
        eks_arns: Sequence[pulumi.Output[str]],
    ) -> None:
        """A permission set that can only step into the persona role, given to the groups."""
        args, name = self._args, f"{self._name}-{persona}"
        center = args.identity_center
        assert center is not None  # TenantIdentityArgs refuses SSO groups without one
        child = pulumi.ResourceOptions(parent=self)
        permission_set = aws.ssoadmin.PermissionSet(
            name,
            name=permission_set_name,
            description=f"Assume the {persona} role of tenant {args.tenant}",
            instance_arn=center.instance_arn,
            session_duration=f"PT{args.max_session_hours}H",
            tags=dict(args.tags),
            opts=child,
        )
        statements: list[Statement] = [
            {
                "Sid": "AssumeThePersonaRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": role.arn,
            }
        ]
        # `aws eks update-kubeconfig` reads the cluster endpoint before assuming the role.
        statements += cluster_statements(eks_arns)
        inline = aws.ssoadmin.PermissionSetInlinePolicy(
            name,
            instance_arn=center.instance_arn,
            permission_set_arn=permission_set.arn,
            inline_policy=policy_document(statements),
            opts=child,
        )
        for group in groups:
            # Assigning provisions the permission set to the account: after its policy exists.
            aws.ssoadmin.AccountAssignment(
                f"{name}-{_slug(group)}",
                instance_arn=center.instance_arn,
                permission_set_arn=permission_set.arn,
                principal_type="GROUP",
                principal_id=group_id(center.identity_store_id, group, self),
                target_type="AWS_ACCOUNT",
                target_id=args.scope.account_id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[inline]),
            )

    def _workload_trust(self, eks_arns: Sequence[pulumi.Output[str]]) -> list[Statement]:
        """EKS Pod Identity for the workload service account on the EKS clusters, and web
        identity federation on the others."""
        args = self._args
        statements: list[Statement] = []
        if eks_arns:
            statements.append(
                pod_identity_trust_statement(
                    "AssumedByEksPodIdentityForTheWorkloadServiceAccount",
                    args.scope.service_principal("pods.eks", self),
                    cluster_arns=eks_arns,
                    namespace=args.namespace,
                    service_account=WORKLOAD_SERVICE_ACCOUNT,
                )
            )
        for cluster in args.clusters:
            if cluster.oidc_provider_arn is None:
                continue
            statements.append(
                web_identity_trust_statement(
                    f"AssumedByWorkloadServiceAccountOn{_sid(cluster.key)}",
                    cluster.oidc_provider_arn,
                    cluster.oidc_issuer_url,
                    namespace=args.namespace,
                    service_account=WORKLOAD_SERVICE_ACCOUNT,
                )
            )
        return statements


def group_id(
    identity_store_id: pulumi.Input[str], display_name: str, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The ID of the Identity Center group with this display name (looked up at deployment:
    the group must exist)."""
    found = aws.identitystore.get_group_output(
        identity_store_id=identity_store_id,
        alternate_identifier=aws.identitystore.GetGroupAlternateIdentifierArgs(
            unique_attribute=aws.identitystore.GetGroupAlternateIdentifierUniqueAttributeArgs(
                attribute_path="DisplayName", attribute_value=display_name
            )
        ),
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    return found.group_id


def _slug(text: str) -> str:
    """A resource-name fragment from a group display name (which may contain spaces)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class PlatformAuditorArgs:
    """Inputs of a PlatformAuditor: who may audit, and the EKS clusters to read."""

    scope: AwsScope
    name_prefix: str
    principals: Sequence[str]
    eks_clusters: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """EKS cluster names by their key in the platform spec (the key names the resources)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.principals:
            raise ValueError("a platform auditor role needs at least one principal")


class PlatformAuditor(pulumi.ComponentResource):
    """The platform's read-only auditor persona: a role (`<prefix>-platform-auditor`) the
    given principals may assume, with the AWS managed SecurityAudit and ViewOnlyAccess
    policies (configuration and metadata, no data reads), reads of every tenant's MLflow
    tracking server and model registry (runs, models and approval states: the evidence of
    what was promoted; neither managed policy reaches `sagemaker-mlflow`; artifacts are listed,
    their contents stay in tenant buckets it cannot read), and on every EKS
    cluster a cluster-wide AmazonEKSViewPolicy access entry (no Secrets)."""

    role: aws.iam.Role

    def __init__(
        self, name: str, args: PlatformAuditorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:PlatformAuditor", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            name,
            name=f"{args.name_prefix}-platform-auditor",
            description="Read-only audit of the platform",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "AssumedByPlatformAuditors",
                        "Effect": "Allow",
                        "Principal": {"AWS": list(args.principals)},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )
        for policy in AUDITOR_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy.rsplit('/', 1)[-1]}",
                role=self.role.name,
                policy_arn=args.scope.managed_policy_arn(policy),
                opts=child,
            )
        tenants = f"{args.name_prefix}-*"
        aws.iam.RolePolicy(
            f"{name}-mlops",
            role=self.role.id,
            name="read-tenant-mlops",
            policy=policy_document(
                [
                    *tracking_statements(
                        args.scope.arn("sagemaker", f"mlflow-tracking-server/{tenants}"),
                        write=False,
                    ),
                    *registry_statements(
                        RegistryArns(
                            groups=[args.scope.arn("sagemaker", f"model-package-group/{tenants}")],
                            versions=[args.scope.arn("sagemaker", f"model-package/{tenants}/*")],
                        ),
                        register=False,
                        approve=False,
                    ),
                ]
            ),
            opts=child,
        )
        for key, cluster_name in args.eks_clusters.items():
            cluster_access(
                f"{name}-{key}",
                cluster_name,
                self.role.arn,
                access_policy=args.scope.eks_access_policy_arn(AUDITOR_ACCESS_POLICY),
                tags=args.tags,
                parent=self,
            )
        self.register_outputs({"role": self.role.arn})


@dataclass(frozen=True)
class ClusterOidcProviderArgs:
    """Inputs of a ClusterOidcProvider: the cluster's service-account token issuer."""

    issuer_url: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class ClusterOidcProvider(pulumi.ComponentResource):
    """An IAM OIDC provider trusting a CoreWeave cluster's service-account tokens for STS
    (audience `sts.amazonaws.com`), so its pods can assume roles by web identity.

    No thumbprint is given: it is optional in IAM, which then fetches and pins the issuer's
    top intermediate CA itself (and ignores thumbprints for issuers it validates through its
    own trusted CAs), so a hard-coded one could only go stale.
    """

    provider: aws.iam.OpenIdConnectProvider
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterOidcProviderArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:ClusterOidcProvider", name, None, opts)
        self.provider = aws.iam.OpenIdConnectProvider(
            name,
            url=args.issuer_url,
            client_id_lists=[WEB_IDENTITY_AUDIENCE],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.provider.arn
        self.register_outputs({"arn": self.arn})
