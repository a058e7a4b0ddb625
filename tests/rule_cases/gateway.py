"""Fixtures for policies/rules/gateway.py."""

from __future__ import annotations

from rule_cases import complies, res, violates

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "oci://ghcr.io/berriai/litellm-helm"


def release(version: str | None, tag: str | None = None, chart: str = CHART):  # type: ignore[no-untyped-def]
    values = {"image": {"tag": tag}} if tag else {}
    props = {"chart": chart, "values": values, **({"version": version} if version else {})}
    return res(RELEASE, "litellm", props)


RULE = "gateway-litellm-past-advisories"
CASES = [
    complies(RULE, "Plinth's pin", release("1.104.0", "v1.104.0")),
    complies(RULE, "the first fixed release", release("1.83.7", "v1.83.7-stable")),
    complies(RULE, "another chart", release("1.0.0", chart="gpu-operator")),
    violates(RULE, "chart before the fix", release("1.83.6")),
    violates(RULE, "chart unpinned", release(None)),
    violates(RULE, "image tag before the fix", release("1.104.0", "v1.81.16")),
    violates(RULE, "a compromised release", release("1.82.8")),
    violates(RULE, "chart by repository name", release("1.80.0", chart="litellm-helm")),
]

BUDGET_RULE = "gateway-budget-within-tenant-budget"
BUDGET = "aws:budgets/budget:Budget"
DYNAMIC = "pulumi-python:dynamic:Resource"


def tenant_budget(tenant: str, limit: str):  # type: ignore[no-untyped-def]
    cost_filters = [{"name": "TagKeyValue", "values": [f"user:project${tenant}"]}]
    return res(BUDGET, f"{tenant}-budget", {"limitAmount": limit, "costFilters": cost_filters})


def team(tenant: str, budget: float):  # type: ignore[no-untyped-def]
    props = {"team_id": tenant, "max_budget": budget, "metadata": {"plinth_tenant": tenant}}
    return res(DYNAMIC, f"{tenant}-gateway-team", props)


CASES += [
    complies(BUDGET_RULE, "within", tenant_budget("search", "2000"), team("search", 500)),
    complies(BUDGET_RULE, "equal", tenant_budget("search", "500"), team("search", 500)),
    violates(
        BUDGET_RULE,
        "above",
        tenant_budget("search", "400"),
        team("search", 500),
        expect="above the tenant's AWS budget 400",
    ),
    violates(BUDGET_RULE, "no AWS budget", team("search", 500), expect="no AWS budget"),
    complies(
        BUDGET_RULE,
        "another dynamic resource",
        res(DYNAMIC, "other", {"max_budget": 1e9}),
    ),
]

ONLY_GATEWAY = "gateway-model-servers-only-from-gateway"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POD = "kubernetes:core/v1:Pod"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
MODEL_LABELS = {"plinth.dev/model-server": "llama"}
GATEWAY_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "plinth-gateway"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "litellm"}},
}


def model_server(namespace: str = "plinth-models"):  # type: ignore[no-untyped-def]
    containers = [
        {"name": "vllm", "ports": [{"name": "http", "containerPort": 8000}]},
        {"name": "metrics", "ports": [{"name": "metrics", "containerPort": 8081}]},
    ]
    template = {"metadata": {"labels": MODEL_LABELS}, "spec": {"containers": containers}}
    props = {"metadata": {"name": "llama", "namespace": namespace}, "spec": {"template": template}}
    return res(DEPLOYMENT, "llama", props)


def policy(name: str, spec: dict[str, object], namespace: str = "plinth-models"):  # type: ignore[no-untyped-def]
    return res(
        NETWORK_POLICY, name, {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
    )


DENY = policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
MODEL_PODS = {"matchExpressions": [{"key": "plinth.dev/model-server", "operator": "Exists"}]}


def allow(  # type: ignore[no-untyped-def]
    *peers: dict[str, object], selector: dict[str, object] = MODEL_PODS, port: object = 8000
):
    ingress = [{"from": list(peers), "ports": [{"protocol": "TCP", "port": port}]}]
    return policy(
        "allow", {"podSelector": selector, "policyTypes": ["Ingress"], "ingress": ingress}
    )


VPC = {"ipBlock": {"cidr": "10.40.0.0/16"}}


CASES += [
    complies(
        ONLY_GATEWAY,
        "deny, then the gateway's pods only",
        model_server(),
        DENY,
        allow(GATEWAY_PEER),
    ),
    violates(
        ONLY_GATEWAY,
        "no default deny",
        model_server(),
        allow(GATEWAY_PEER),
        expect="no default-deny ingress",
    ),
    violates(
        ONLY_GATEWAY,
        "a tenant namespace admitted too",
        model_server(),
        DENY,
        allow(
            GATEWAY_PEER,
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "search"}}},
        ),
        expect="other than the gateway",
    ),
    violates(
        ONLY_GATEWAY,
        "the whole gateway namespace, not its proxy pods",
        model_server(),
        DENY,
        allow({"namespaceSelector": GATEWAY_PEER["namespaceSelector"]}),
    ),
    violates(
        ONLY_GATEWAY,
        "an allow-all rule",
        model_server(),
        DENY,
        policy("open", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}),
    ),
    complies(
        ONLY_GATEWAY,
        "a policy selecting other pods does not count",
        model_server(),
        DENY,
        allow({"ipBlock": {"cidr": "0.0.0.0/0"}}, selector={"matchLabels": {"app": "other"}}),
    ),
    violates(
        ONLY_GATEWAY,
        "a bare model-server Pod in a namespace without policies",
        res(
            POD, "llama", {"metadata": {"namespace": "default", "labels": MODEL_LABELS}, "spec": {}}
        ),
    ),
    complies(ONLY_GATEWAY, "no model servers", DENY),
    complies(
        ONLY_GATEWAY,
        "a collector admitted to the metrics port only",
        model_server(),
        DENY,
        allow(VPC, port=8081),
    ),
    complies(
        ONLY_GATEWAY,
        "the metrics port by name",
        model_server(),
        DENY,
        allow(VPC, port="metrics"),
    ),
    violates(
        ONLY_GATEWAY,
        "a collector admitted to the model's port",
        model_server(),
        DENY,
        allow(VPC, port=8000),
        expect="other than the gateway",
    ),
]
