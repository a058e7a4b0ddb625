"""Fixtures for policies/rules/rbac.py."""

from __future__ import annotations

from typing import Any

from rule_cases import complies, res, violates

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"

WILDCARDS = "k8s-rbac-no-wildcards"
CLUSTER_ADMIN = "k8s-no-cluster-admin-binding"


def rule(**fields: Any) -> dict[str, Any]:
    return {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"], **fields}


def binding(type_: str, kind: str, role: str):  # type: ignore[no-untyped-def]
    props = {
        "metadata": {"name": "ops", "namespace": "team-a"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": [{"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}],
    }
    return res(type_, "ops", props)


CASES = [
    complies(
        WILDCARDS,
        "named groups, resources and verbs",
        res(CLUSTER_ROLE, "reader", {"rules": [rule()]}),
    ),
    violates(
        WILDCARDS,
        "every verb on secrets",
        res(ROLE, "secrets", {"rules": [rule(resources=["secrets"], verbs=["*"])]}),
        expect="rules[0].verbs",
    ),
    violates(
        WILDCARDS,
        "every resource of every group",
        res(CLUSTER_ROLE, "all", {"rules": [rule(), rule(apiGroups=["*"], resources=["*"])]}),
        expect="rules[1].apiGroups",
    ),
    complies(
        CLUSTER_ADMIN,
        "the built-in edit role in a namespace",
        binding(ROLE_BINDING, "ClusterRole", "edit"),
    ),
    violates(
        CLUSTER_ADMIN,
        "a group bound to cluster-admin",
        binding(CLUSTER_ROLE_BINDING, "ClusterRole", "cluster-admin"),
        expect="binds cluster-admin to ops",
    ),
    violates(
        CLUSTER_ADMIN,
        "cluster-admin inside one namespace is still every right there",
        binding(ROLE_BINDING, "ClusterRole", "cluster-admin"),
        expect="cluster-admin",
    ),
]
