"""Kubernetes RBAC: no wildcard grants, no cluster-admin bindings.

A Role or ClusterRole with `*` grants whatever the API server adds later (new resources, new
verbs, CRDs installed next year), and cluster-admin is every right on every object: neither
can be reviewed. Plinth binds personas to the built-in admin, edit and view roles inside a
tenant's namespace and grants its own controllers named resources and verbs.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from policies.props import as_list, dig
from policies.report import Report
from policies.rule import Config, resource_rule

ROLES = (
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
)
BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
RULE_FIELDS = ("apiGroups", "resources", "verbs", "nonResourceURLs")
CLUSTER_ADMIN = "cluster-admin"
RBAC_CONTROLS = {"soc2": ["CC6.1", "CC6.3"], "nist-800-53": ["AC-6", "AC-2"], "pci": ["7.2.2"]}


@resource_rule(
    id="k8s-rbac-no-wildcards",
    area="kubernetes",
    description="Roles and ClusterRoles name the API groups, resources and verbs they grant: "
    "a `*` grants everything the cluster serves now and whatever it serves later.",
    severity="high",
    remediation="List the apiGroups, resources and verbs the subject needs (get, list, watch "
    "for readers); aggregate roles instead of widening one.",
    controls=RBAC_CONTROLS,
    types=ROLES,
)
def rbac_no_wildcards(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for index, rule in enumerate(as_list(dig(args.props, "rules"))):
        for field in RULE_FIELDS:
            if "*" in [str(v) for v in as_list(dig(rule, field))]:
                report(f"rules[{index}].{field} grants '*'")


@resource_rule(
    id="k8s-no-cluster-admin-binding",
    area="kubernetes",
    description="Nothing is bound to cluster-admin: it is every right on every object of the "
    "cluster, tenants' Secrets included. Cluster administrators get it through the EKS access "
    "policy (AmazonEKSClusterAdminPolicy on an access entry Plinth keeps to named roles).",
    severity="critical",
    remediation="Bind the narrowest built-in role (admin, edit or view, in a namespace with a "
    "RoleBinding) or a Role of your own; give operators cluster access through "
    "plinth:clusters[].admins (an EKS access entry).",
    controls=RBAC_CONTROLS,
    types=BINDINGS,
)
def no_cluster_admin_binding(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    role = dig(args.props, "roleRef")
    if dig(role, "kind") == "ClusterRole" and dig(role, "name") == CLUSTER_ADMIN:
        subjects = [str(dig(s, "name")) for s in as_list(dig(args.props, "subjects"))]
        report(f"binds {CLUSTER_ADMIN} to {', '.join(subjects) or 'no subject yet'}")
