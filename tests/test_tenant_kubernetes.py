"""TenantWorkspace on an EKS cluster (Kueue v1beta2) and a CoreWeave cluster (Kueue v1beta1),
asserted on the inputs the offline engine captures. Expected objects are written out by hand
from the Kubernetes and Kueue APIs, not derived from the component."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from support import of_type, one, run_components

from components.cluster.contract import Cloud
from components.tenant.contract import Persona, PersonaMembers, TenantCluster
from components.tenant.kubernetes import TenantWorkspace, TenantWorkspaceArgs
from plinth.audit.analyzer import AuditResource, analyze
from plinth.engine import Preview
from plinth.engine.errors import ProgramError
from plinth.engine.result import ResourceRecord
from policies.pack import PACK_NAME, checked_types, pack_config, policies

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
FENCE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
FENCE_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
K8S_PROVIDER = "pulumi:providers:kubernetes"
ADDON = "aws:eks/addon:Addon"
COMPONENT = "plinth:tenant:TenantWorkspace"
DEFAULT_DENY_RULE = "k8s-tenant-default-deny"

V1BETA1 = "kueue.x-k8s.io/v1beta1"
V1BETA2 = "kueue.x-k8s.io/v1beta2"
COST_LABELS = {"project": "vision", "cost-center": "cc-42", "data-classification": "internal"}
LABELS = {**COST_LABELS, "plinth.dev/tenant": "vision", "app.kubernetes.io/managed-by": "plinth"}
PERSONAS: dict[Persona, PersonaMembers] = {
    "admin": PersonaMembers(kubernetes_groups=("cw:vision-leads",)),
    "developer": PersonaMembers(
        iam_principals=("arn:aws:iam::123456789012:role/dev",),
        kubernetes_groups=("cw:vision-devs", "cw:vision-interns"),
    ),
}


@dataclass(frozen=True)
class Profile:
    cloud: Cloud
    kueue_api_version: str
    gpu_flavors: Mapping[str, str]
    gpu_quota: Mapping[str, int]


EKS = Profile(
    "aws",
    V1BETA2,
    {"h100": "gpu-h100", "l40s": "gpu-l40s", "a10g": "gpu-a10g"},
    {"h100": 16, "l40s": 4},
)
COREWEAVE = Profile("coreweave", V1BETA1, {"b200": "gpu-b200"}, {"b200": 8})


@dataclass
class Built:
    preview: Preview
    profile: Profile

    def one(self, type_: str, name_contains: str = "") -> dict[str, Any]:
        inputs: dict[str, Any] = one(self.preview, type_, name_contains).plain_inputs
        return inputs

    def kueue(self, kind: str) -> ResourceRecord:
        (record,) = [r for r in self.preview.resources if r.type.endswith(f":{kind}")]
        return record

    def policies(self) -> dict[str, dict[str, Any]]:
        return {
            r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]
            for r in of_type(self.preview, NETWORK_POLICY)
        }


def tenant_cluster(
    profile: Profile, provider: k8s.Provider, ready: Sequence[pulumi.Resource]
) -> TenantCluster:
    return TenantCluster(
        key="main",
        cloud=profile.cloud,
        cluster_name="plinth-test-main",
        kubernetes_provider=provider,
        gpu_flavors=profile.gpu_flavors,
        cohort="plinth",
        kueue_api_version=profile.kueue_api_version,
        ready=ready,
    )


def build(
    profile: Profile, change: Callable[[TenantWorkspaceArgs], TenantWorkspaceArgs] = lambda a: a
) -> Built:
    def body() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # Stands in for what the cluster says Kubernetes objects must wait for.
        ready = aws.eks.Addon("gpu-layer", cluster_name="plinth-test-main", addon_name="x")
        args = TenantWorkspaceArgs(
            tenant="vision",
            cluster=tenant_cluster(profile, provider, [ready]),
            gpu_quota=profile.gpu_quota,
            cpu="96",
            memory="384Gi",
            personas=PERSONAS,
            labels=COST_LABELS,
        )
        TenantWorkspace("vision-main", change(args))

    return Built(run_components(body), profile)


@pytest.fixture(scope="module")
def eks() -> Built:
    return build(EKS)


@pytest.fixture(scope="module")
def coreweave() -> Built:
    return build(COREWEAVE)


@pytest.fixture(scope="module", params=["eks", "coreweave"])
def built(request: pytest.FixtureRequest) -> Built:
    result: Built = request.getfixturevalue(request.param)
    return result


# --- Namespace ----------------------------------------------------------------------------


def test_namespace_is_labelled_and_enforces_restricted_pods(built: Built) -> None:
    assert built.one(NAMESPACE) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "vision",
            "labels": {
                "plinth.dev/tenant": "vision",
                "app.kubernetes.io/managed-by": "plinth",
                "project": "vision",
                "cost-center": "cc-42",
                "data-classification": "internal",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "v1.33",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": "latest",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/audit-version": "latest",
            },
        },
    }


# --- Quota and defaults -------------------------------------------------------------------


def test_quota_caps_gpus_at_the_sum_of_the_pools_and_blocks_external_services(
    eks: Built, coreweave: Built
) -> None:
    for built, gpus in ((eks, "20"), (coreweave, "8")):  # 16 H100 + 4 L40S; 8 B200
        quota = built.one(QUOTA)
        assert quota["metadata"] == {
            "name": "tenant-quota",
            "namespace": "vision",
            "labels": LABELS,
        }
        assert quota["spec"] == {
            "hard": {
                "requests.nvidia.com/gpu": gpus,
                "requests.cpu": "96",
                "requests.memory": "384Gi",
                "limits.memory": "384Gi",
                "pods": "500",
                "persistentvolumeclaims": "50",
                "services.loadbalancers": "0",
                "services.nodeports": "0",
            }
        }


def test_tenant_without_gpus_on_a_cluster_gets_a_zero_gpu_quota() -> None:
    built = build(EKS, lambda a: replace(a, gpu_quota={}))
    assert built.one(QUOTA)["spec"]["hard"]["requests.nvidia.com/gpu"] == "0"


def test_limit_range_gives_containers_default_requests_and_a_memory_limit(built: Built) -> None:
    limits = built.one(LIMIT_RANGE)
    assert limits["metadata"] == {
        "name": "tenant-defaults",
        "namespace": "vision",
        "labels": LABELS,
    }
    assert limits["spec"] == {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": "500m", "memory": "1Gi"},
                "default": {"memory": "1Gi"},
            }
        ]
    }


# --- NetworkPolicies ----------------------------------------------------------------------

DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
KUBE_DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
GATEWAY_PEER = {"namespaceSelector": {"matchLabels": {"plinth.dev/gateway": "true"}}}
EXPECTED_POLICIES: dict[str, dict[str, Any]] = {
    "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    "allow-dns": {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [KUBE_DNS_PEER], "ports": DNS_PORTS}],
    },
    "allow-same-namespace": {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}]}],
        "egress": [{"to": [{"podSelector": {}}]}],
    },
    "allow-https-egress": {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        ],
    },
}
GATEWAY_POLICY = {
    "podSelector": {},
    "policyTypes": ["Ingress", "Egress"],
    "ingress": [{"from": [GATEWAY_PEER]}],
    "egress": [{"to": [GATEWAY_PEER]}],
}
TRACE_COLLECTOR_POLICY = {
    "podSelector": {},
    "policyTypes": ["Egress"],
    "egress": [
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "plinth-observability"}
                    },
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 4318}],
        }
    ],
}
POD_IDENTITY_POLICY = {
    "podSelector": {},
    "policyTypes": ["Egress"],
    "egress": [
        {
            "to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}],
            "ports": [{"protocol": "TCP", "port": 80}],
        }
    ],
}


def test_network_policies_on_eks_add_the_pod_identity_agent(eks: Built) -> None:
    assert eks.policies() == {**EXPECTED_POLICIES, "allow-pod-identity": POD_IDENTITY_POLICY}


def test_network_policies_on_coreweave_need_no_pod_identity_agent(coreweave: Built) -> None:
    assert coreweave.policies() == EXPECTED_POLICIES


def test_only_a_tenant_granted_the_gateway_may_reach_it_and_its_trace_collector(
    coreweave: Built,
) -> None:
    """Without a grant the tenant's egress fence (default deny, HTTPS on 443 only) leaves no
    way to the gateway's port or the collector's; with one, the gateway namespaces are allowed
    both ways and the collector's OTLP port outward."""
    assert coreweave.policies() == EXPECTED_POLICIES
    granted = build(COREWEAVE, lambda a: replace(a, gateway_access=True))
    assert granted.policies() == {
        **EXPECTED_POLICIES,
        "allow-gateway": GATEWAY_POLICY,
        "allow-trace-collector": TRACE_COLLECTOR_POLICY,
    }


def test_network_policies_sit_in_the_namespace(built: Built) -> None:
    for record in of_type(built.preview, NETWORK_POLICY):
        metadata = record.plain_inputs["metadata"]
        assert metadata == {"name": metadata["name"], "namespace": "vision", "labels": LABELS}


def test_node_local_dns_addresses_join_the_dns_allow() -> None:
    built = build(
        EKS, lambda a: replace(a, cluster=replace(a.cluster, dns_cidrs=("172.20.0.10/32",)))
    )
    assert built.policies()["allow-dns"]["egress"] == [
        {"to": [KUBE_DNS_PEER, {"ipBlock": {"cidr": "172.20.0.10/32"}}], "ports": DNS_PORTS}
    ]


def test_https_egress_range_is_an_argument() -> None:
    built = build(
        EKS,
        lambda a: replace(a, https_egress_cidr="10.0.0.0/16", https_egress_except=()),
    )
    assert built.policies()["allow-https-egress"]["egress"][0]["to"] == [
        {"ipBlock": {"cidr": "10.0.0.0/16"}}
    ]


# --- The policy pack's tenant isolation rule ----------------------------------------------


def default_deny_verdicts(records: Sequence[ResourceRecord]) -> list[str]:
    resources = [AuditResource.of(record) for record in records]
    result = analyze(resources, policies(), pack_config(["baseline"]), PACK_NAME, checked_types())
    return [d.message for d in result.diagnostics if d.policy == DEFAULT_DENY_RULE]


def test_policy_pack_finds_the_default_deny(built: Built) -> None:
    assert default_deny_verdicts(built.preview.resources) == []


def test_policy_pack_flags_the_namespace_without_the_default_deny(built: Built) -> None:
    without = [r for r in built.preview.resources if not r.name.endswith("-default-deny")]
    assert len(without) == len(built.preview.resources) - 1
    (message,) = default_deny_verdicts(without)
    assert "no default-deny NetworkPolicy for Ingress and Egress" in message


# --- The fence around the NetworkPolicies -------------------------------------------------

FENCE_NAME = "plinth-vision-network-policies"
# The cluster scope of NetworkPolicies: the CEL authorizer library checks the cluster scope
# when no namespace is given, which namespaced RoleBindings (and namespace-scoped EKS access
# policies) never grant.
EVERYWHERE = "authorizer.group('networking.k8s.io').resource('networkpolicies')"
EXPECTED_FENCE = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": FENCE_NAME, "labels": LABELS},
    "spec": {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["networking.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "resources": ["networkpolicies"],
                    "scope": "Namespaced",
                }
            ]
        },
        "validations": [
            {
                # A patch reaches admission as an UPDATE: either verb, granted cluster-wide.
                "expression": "request.operation == 'UPDATE'"
                f" ? {EVERYWHERE}.check('update').allowed()"
                f" || {EVERYWHERE}.check('patch').allowed()"
                f" : {EVERYWHERE}.check(request.operation.lowerAscii()).allowed()",
                "message": "NetworkPolicies in tenant namespaces are managed by the platform "
                "(Plinth); ask the platform team",
                "reason": "Forbidden",
            }
        ],
    },
}
EXPECTED_FENCE_BINDING = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicyBinding",
    "metadata": {"name": FENCE_NAME, "labels": LABELS},
    "spec": {
        "policyName": FENCE_NAME,
        "validationActions": ["Deny"],
        "matchResources": {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vision"}}
        },
    },
}


def fence_expression(record: ResourceRecord) -> str:
    (validation,) = record.plain_inputs["spec"]["validations"]
    expression: str = validation["expression"]
    return expression


def selects(selector: Mapping[str, Any], namespace: ResourceRecord) -> bool:
    """Whether a namespaceSelector selects a namespace, with the name label the API server
    adds to every namespace."""
    assert set(selector) == {"matchLabels"}, selector
    metadata = namespace.plain_inputs["metadata"]
    labels = {**metadata["labels"], "kubernetes.io/metadata.name": metadata["name"]}
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def test_fence_refuses_network_policy_changes_unless_allowed_cluster_wide(built: Built) -> None:
    assert built.one(FENCE) == EXPECTED_FENCE


def test_fence_binding_denies_in_the_tenant_namespace(built: Built) -> None:
    assert built.one(FENCE_BINDING) == EXPECTED_FENCE_BINDING
    # Named through the policy's output, so created after it and deleted before it.
    binding = one(built.preview, FENCE_BINDING)
    assert one(built.preview, FENCE).urn in binding.property_dependencies["spec"]


def test_fence_expression_checks_only_the_cluster_scope(built: Built) -> None:
    expression = fence_expression(one(built.preview, FENCE))
    # Every authorization check is on NetworkPolicies with no namespace: a check scoped to the
    # request's namespace (`.namespace(...)`, `authorizer.requestResource`) would pass anyone
    # the tenant admin has bound there.
    chains = re.findall(r"(authorizer\S*?)\.check\(", expression)
    assert set(chains) == {EVERYWHERE}
    assert "requestResource" not in expression
    # `object` is null for DELETE and `oldObject` for CREATE: the decision reads neither.
    assert not re.search(r"\b(object|oldObject|namespaceObject|params)\b", expression)
    # The API server's cost estimate allows two authorization checks per expression.
    # UPDATE checks update or patch; CREATE and DELETE check their own verb.
    _, branches = expression.split(" ? ", 1)
    assert [branch.count(".check(") for branch in branches.split(" : ")] == [2, 1], expression


@pytest.fixture(scope="module")
def two_tenants() -> Preview:
    def body() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        cluster = tenant_cluster(EKS, provider, [])
        for tenant in ("vision", "speech"):
            TenantWorkspace(
                f"{tenant}-main",
                TenantWorkspaceArgs(
                    tenant=tenant,
                    cluster=cluster,
                    gpu_quota={"h100": 8},
                    cpu="8",
                    memory="32Gi",
                    personas={} if tenant == "speech" else PERSONAS,
                    labels={},
                ),
            )

    # The engine raises on duplicate URNs, as the real engine does.
    return run_components(body)


def test_each_tenants_fence_binds_its_own_policy_in_its_own_namespace(
    two_tenants: Preview,
) -> None:
    namespaces = of_type(two_tenants, NAMESPACE)
    bindings = of_type(two_tenants, FENCE_BINDING)
    assert len(namespaces) == len(bindings) == 2
    selected = {
        b.plain_inputs["spec"]["policyName"]: [
            n.plain_inputs["metadata"]["name"]
            for n in namespaces
            if selects(b.plain_inputs["spec"]["matchResources"]["namespaceSelector"], n)
        ]
        for b in bindings
    }
    # Speech's admin changing a NetworkPolicy in speech meets only speech's binding, and the
    # same request in vision is refused by RBAC before admission.
    assert selected == {
        "plinth-vision-network-policies": ["vision"],
        "plinth-speech-network-policies": ["speech"],
    }
    assert sorted(p.plain_inputs["metadata"]["name"] for p in of_type(two_tenants, FENCE)) == [
        "plinth-speech-network-policies",
        "plinth-vision-network-policies",
    ]


def test_fence_does_not_depend_on_who_the_tenants_people_are(two_tenants: Preview) -> None:
    # Vision has personas with CoreWeave groups, speech none: the rule is the same, since it
    # asks the authorizer rather than listing groups a RoleBinding could route around.
    specs = [p.plain_inputs["spec"] for p in of_type(two_tenants, FENCE)]
    assert len(specs) == 2
    assert specs[0] == specs[1]


# --- RBAC and the workload identity -------------------------------------------------------


def subjects(*groups: str) -> list[dict[str, str]]:
    return [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g} for g in groups]


def test_each_persona_is_bound_to_its_builtin_role(built: Built) -> None:
    bindings = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in of_type(built.preview, ROLE_BINDING)
    }
    assert {name: b["roleRef"] for name, b in bindings.items()} == {
        "plinth-admin": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "admin",
        },
        "plinth-developer": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "edit",
        },
        "plinth-viewer": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "view",
        },
    }
    assert bindings["plinth-admin"]["subjects"] == subjects(
        "plinth:vision:admin", "cw:vision-leads"
    )
    assert bindings["plinth-developer"]["subjects"] == subjects(
        "plinth:vision:developer", "cw:vision-devs", "cw:vision-interns"
    )
    # No members given: the persona group alone (EKS access entries put the persona role in it).
    assert bindings["plinth-viewer"]["subjects"] == subjects("plinth:vision:viewer")
    for binding in bindings.values():
        assert binding["metadata"]["namespace"] == "vision"


def test_workload_service_account_mounts_no_token_by_default(built: Built) -> None:
    assert built.one(SERVICE_ACCOUNT) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "workload", "namespace": "vision", "labels": LABELS},
        "automountServiceAccountToken": False,
    }


# --- Kueue --------------------------------------------------------------------------------

PREEMPTION = {
    "reclaimWithinCohort": "Never",
    "borrowWithinCohort": {"policy": "Never"},
    "withinClusterQueue": "LowerPriority",
}
CPU_MEMORY_GROUP = {
    "coveredResources": ["cpu", "memory"],
    "flavors": [
        {
            "name": "plinth-any",
            "resources": [
                {"name": "cpu", "nominalQuota": 0, "borrowingLimit": "96"},
                {"name": "memory", "nominalQuota": 0, "borrowingLimit": "384Gi"},
            ],
        }
    ],
}


def gpu(flavor: str, limit: int) -> dict[str, Any]:
    return {
        "name": flavor,
        "resources": [{"name": "nvidia.com/gpu", "nominalQuota": 0, "borrowingLimit": limit}],
    }


def test_cluster_queue_borrows_up_to_the_tenants_share_v1beta2(eks: Built) -> None:
    queue = eks.kueue("ClusterQueue").plain_inputs
    assert queue["apiVersion"] == "kueue.x-k8s.io/v1beta2"
    assert queue["metadata"] == {"name": "plinth-vision", "labels": LABELS}
    assert queue["spec"] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vision"}},
        "cohortName": "plinth",
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [
            {
                "coveredResources": ["nvidia.com/gpu"],
                # a10g has no quota: listed, so the queue covers it, but never borrowable.
                "flavors": [gpu("gpu-h100", 16), gpu("gpu-l40s", 4), gpu("gpu-a10g", 0)],
            },
            CPU_MEMORY_GROUP,
        ],
        "preemption": PREEMPTION,
    }


def test_cluster_queue_names_its_cohort_the_v1beta1_way(coreweave: Built) -> None:
    queue = coreweave.kueue("ClusterQueue").plain_inputs
    assert queue["apiVersion"] == "kueue.x-k8s.io/v1beta1"
    assert queue["spec"] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vision"}},
        "cohort": "plinth",
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [
            {"coveredResources": ["nvidia.com/gpu"], "flavors": [gpu("gpu-b200", 8)]},
            CPU_MEMORY_GROUP,
        ],
        "preemption": PREEMPTION,
    }


def test_local_queue_feeds_the_tenant_queue(built: Built) -> None:
    local = built.kueue("LocalQueue")
    assert local.plain_inputs == {
        "apiVersion": built.profile.kueue_api_version,
        "kind": "LocalQueue",
        "metadata": {"name": "gpu", "namespace": "vision", "labels": LABELS},
        "spec": {"clusterQueue": "plinth-vision"},
    }
    assert built.kueue("ClusterQueue").urn in local.depends_on


def test_cluster_without_gpu_pools_gets_only_cpu_and_memory() -> None:
    no_gpus = replace(EKS, gpu_flavors={}, gpu_quota={})
    spec = build(no_gpus).kueue("ClusterQueue").plain_inputs["spec"]
    assert spec["resourceGroups"] == [CPU_MEMORY_GROUP]


# --- Wiring -------------------------------------------------------------------------------


def test_every_child_uses_the_clusters_provider_and_waits_for_it(built: Built) -> None:
    component = one(built.preview, COMPONENT)
    provider = one(built.preview, K8S_PROVIDER)
    ready = one(built.preview, ADDON)
    children = [r for r in built.preview.resources if r.parent == component.urn]
    # Namespace, quota, limits, 3 RoleBindings, ServiceAccount, 2 queues, fence and its
    # binding, NetworkPolicies (no gateway grant here).
    expected = 1 + 1 + 1 + 3 + 1 + 2 + 2 + (5 if built.profile.cloud == "aws" else 4)
    assert len(children) == expected
    for child in children:
        assert child.provider == f"{provider.urn}::{provider.id}", child.name
        assert ready.urn in child.depends_on, child.name


def test_every_object_says_plinth_manages_it(built: Built) -> None:
    objects = [r for r in built.preview.resources if "metadata" in r.plain_inputs]
    assert len(objects) == len(of_type(built.preview, NETWORK_POLICY)) + 11
    for record in objects:
        labels = record.plain_inputs["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "plinth", record.name
        assert labels["plinth.dev/tenant"] == "vision", record.name


def test_namespaced_objects_are_placed_through_the_namespace(built: Built) -> None:
    namespace = one(built.preview, NAMESPACE)
    namespaced = [
        r
        for r in built.preview.resources
        if r.type not in (NAMESPACE, COMPONENT)
        and "namespace" in r.plain_inputs.get("metadata", {})
    ]
    assert len(namespaced) == len(of_type(built.preview, NETWORK_POLICY)) + 7
    for record in namespaced:
        assert namespace.urn in record.property_dependencies["metadata"], record.name


def test_two_tenants_share_a_cluster(two_tenants: Preview) -> None:
    queues = [r for r in two_tenants.resources if r.type.endswith(":ClusterQueue")]
    assert sorted(q.plain_inputs["metadata"]["name"] for q in queues) == [
        "plinth-speech",
        "plinth-vision",
    ]


# --- Refused inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: replace(a, tenant="Vision_1"), "not a DNS label"),
        (lambda a: replace(a, gpu_quota={"h200": 8}), r"pools \['h200'\]"),
        (lambda a: replace(a, gpu_quota={"h100": -1}), "negative GPU quota"),
        (lambda a: replace(a, memory="384 GiB"), "not Kubernetes quantities"),
        (lambda a: replace(a, labels={"plinth.dev/tenant": "other"}), "set by Plinth"),
        (lambda a: replace(a, labels={"app.kubernetes.io/managed-by": "me"}), "set by Plinth"),
        (
            lambda a: replace(a, labels={"pod-security.kubernetes.io/enforce": "privileged"}),
            "set by Plinth",
        ),
        (
            lambda a: replace(
                a, cluster=replace(a.cluster, kueue_api_version="kueue.x-k8s.io/v1alpha1")
            ),
            "unsupported Kueue API version",
        ),
    ],
)
def test_bad_inputs_are_refused(
    change: Callable[[TenantWorkspaceArgs], TenantWorkspaceArgs], message: str
) -> None:
    with pytest.raises(ProgramError, match=message):
        build(EKS, change)


# --- Core manifests against the Kubernetes API schemas ------------------------------------

# Kueue's ClusterQueue and LocalQueue are CRDs, which kubernetes-validate has no schema for.
CORE_TYPES = (
    NAMESPACE,
    QUOTA,
    LIMIT_RANGE,
    NETWORK_POLICY,
    ROLE_BINDING,
    SERVICE_ACCOUNT,
    FENCE,
    FENCE_BINDING,
)


@pytest.mark.parametrize("kubernetes_version", ["1.33.0", "1.34.0", "1.35.0"])
def test_core_manifests_are_valid_kubernetes(
    eks: Built, coreweave: Built, kubernetes_version: str
) -> None:
    kinds = set()
    for built in (eks, coreweave):
        for record in built.preview.resources:
            if record.type in CORE_TYPES:
                kubernetes_validate.validate(record.plain_inputs, kubernetes_version, strict=True)
                kinds.add(record.plain_inputs["kind"])
    assert kinds == {
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "RoleBinding",
        "ServiceAccount",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }


def test_manifest_validation_catches_a_misspelt_admission_policy_binding_field() -> None:
    manifest = {
        **EXPECTED_FENCE_BINDING,
        "spec": {"policyName": FENCE_NAME, "validationAction": ["Deny"]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.33.0", strict=True)


def test_manifest_validation_catches_a_misspelt_network_policy_field() -> None:
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x", "namespace": "vision"},
        "spec": {"podSelector": {}, "policyType": ["Ingress"]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.34.0", strict=True)
