"""A tenant's place on one cluster: its namespace, and the fences around it.

Everything here is what Kubernetes and Kueue enforce on the tenant's workloads, whatever the
tenant's own people do inside the namespace: how many GPUs, how much CPU and memory, which
pods may run (Pod Security Admission), what traffic flows (NetworkPolicies, which an admission
policy keeps out of the tenant's hands), and who may act (RoleBindings to the built-in roles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import GPU_RESOURCE, POD_IDENTITY_AGENT
from components.cluster.software import ANY_FLAVOR, kueue_cohort_field
from components.observability.trace_config import COLLECTOR_SERVICE, OTLP_HTTP_PORT
from components.observability.trace_config import NAMESPACE as TRACE_NAMESPACE
from components.tenant.contract import (
    GATEWAY_LABEL,
    LOCAL_QUEUE,
    PERSONAS,
    TENANT_LABEL,
    WORKLOAD_SERVICE_ACCOUNT,
    Persona,
    PersonaMembers,
    TenantCluster,
    persona_group,
    tenant_cluster_queue,
)

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace to its name: selectors can trust it."""
POD_SECURITY_LABEL = "pod-security.kubernetes.io"
PERSONA_CLUSTER_ROLES: Mapping[Persona, str] = {
    "admin": "admin",
    "developer": "edit",
    "viewer": "view",
}
"""The built-in ClusterRole each persona gets in the tenant namespace."""
RBAC_API_GROUP = "rbac.authorization.k8s.io"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "plinth"

NETWORKING_API_GROUP = "networking.k8s.io"
_NETWORK_POLICIES_EVERYWHERE = (
    f"authorizer.group('{NETWORKING_API_GROUP}').resource('networkpolicies')"
)
"""NetworkPolicies with no namespace: the cluster scope, which only ClusterRoleBindings and
cluster-wide EKS access policies grant, never a binding inside a namespace."""
NETWORK_POLICY_FENCE = (
    "request.operation == 'UPDATE'"
    f" ? {_NETWORK_POLICIES_EVERYWHERE}.check('update').allowed()"
    f" || {_NETWORK_POLICIES_EVERYWHERE}.check('patch').allowed()"
    f" : {_NETWORK_POLICIES_EVERYWHERE}.check(request.operation.lowerAscii()).allowed()"
)
"""Admits a change to a NetworkPolicy only from whoever may make the same change in every
namespace. Admission reports a patch as an UPDATE, so either verb counts (the EKS network
policy controller patches and updates policies for its finalizer). The expression reads no
`object`, which is null for DELETE, and makes at most two authorization checks on any path:
the API server's cost estimate allows two per expression."""
NETWORK_POLICY_FENCE_MESSAGE = (
    "NetworkPolicies in tenant namespaces are managed by the platform (Plinth); "
    "ask the platform team"
)

LINK_LOCAL = "169.254.0.0/16"
KUBE_DNS = {
    "namespace": {NAMESPACE_NAME_LABEL: "kube-system"},
    "pods": {"k8s-app": "kube-dns"},
}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


@dataclass(frozen=True)
class TenantWorkspaceArgs:
    """Inputs of a TenantWorkspace: one tenant on one cluster.

    - `tenant` names the namespace (a DNS label).
    - `gpu_quota`: `nvidia.com/gpu` units the tenant may hold in each of the cluster's GPU
      pools (by pool name); pools not listed get none.
    - `cpu`, `memory`: the namespace's totals for requests (Kubernetes quantities); memory
      limits are capped at `memory` too.
    - `labels`: cost labels (project, cost-center, data-classification...) for every object.
    - Container defaults apply to containers that set no requests, so they still count
      against the quota: half a CPU and 1 GiB, with memory limited to its request (memory
      cannot be reclaimed from a running container, so overcommitting it means OOM kills,
      possibly of other tenants' pods on shared nodes). No default CPU limit: CPU is
      reclaimable, and limits only throttle. A container that requests more memory than the
      default limit must set its own limit.
    - `max_pods`, `max_persistent_volume_claims`: object counts, against runaway
      controllers and volume sprawl rather than as a budget.
    - `https_egress_cidr` minus `https_egress_except`: where pods may open HTTPS
      connections. Everywhere by default: S3 (through its gateway endpoint) and the public
      AWS endpoints use public addresses, interface endpoints private ones, and other
      tenants' pods accept no traffic anyway. The link-local range is excepted: pods reach
      no node-local service over it (the instance metadata service among them); the Pod
      Identity agent has its own rule.
    - `gateway_access`: the tenant is granted the platform's LLM gateway, so its pods may
      reach the gateway namespaces, and send their own OpenTelemetry traces (OTLP over HTTP)
      to the platform's trace collector where the cluster has one; without it they cannot,
      whatever the gateway or the collector admits.
    - `pod_security_version`: the Pod Security Standards release `restricted` is enforced
      as: pinned, so a cluster upgrade never starts rejecting pods that ran the day before;
      warnings and audit entries follow the latest release to show what the next pin would
      reject. v1.33 is the oldest minor Plinth's clusters run.
    """

    tenant: str
    cluster: TenantCluster
    gpu_quota: Mapping[str, int]
    cpu: str
    memory: str
    personas: Mapping[Persona, PersonaMembers]
    labels: Mapping[str, str]
    default_cpu_request: str = "500m"
    default_memory_request: str = "1Gi"
    default_memory_limit: str = "1Gi"
    max_pods: int = 500
    max_persistent_volume_claims: int = 50
    https_egress_cidr: str = "0.0.0.0/0"
    https_egress_except: Sequence[str] = (LINK_LOCAL,)
    pod_security_version: str = "v1.33"
    gateway_access: bool = False


class TenantWorkspace(pulumi.ComponentResource):
    """A tenant's namespace on one cluster, through the cluster's Kubernetes provider:

    - the namespace, labelled with the tenant (`plinth.dev/tenant`) and its cost labels, under
      Pod Security Admission `restricted` (no privileged, root or host-namespace pods; GPU pods
      need none of that: the device plugin and container toolkit hand them their devices);
    - a ResourceQuota: the tenant's GPUs on this cluster (`requests.nvidia.com/gpu`, the only
      form quotas take for extended resources), CPU and memory requests, memory limits, pod
      and volume-claim counts, and no LoadBalancer or NodePort Service (traffic comes in
      through the platform gateway);
    - a LimitRange giving containers without requests the defaults above. No per-container
      maximum: the quota bounds the total, and one training container may rightly take a
      whole GPU node's memory;
    - NetworkPolicies: `default-deny` (all ingress and egress), then one allow each for DNS,
      pods of the namespace among themselves (distributed training), the platform gateway
      both ways and its trace collector (with gateway access), HTTPS egress to the cloud's
      APIs, and on EKS the Pod Identity agent;
    - a RoleBinding per persona: the persona's group (and its `kubernetes_groups`) to the
      built-in `admin`, `edit` or `view` ClusterRole;
    - a ValidatingAdmissionPolicy and its binding (cluster-scoped, both named
      `plinth-<tenant>-network-policies`) refusing any create, update or delete of a
      NetworkPolicy in the namespace unless the requester may make that change in every
      namespace. The built-in `admin` and `edit` roles (and EKS's admin and edit access
      policies) may write NetworkPolicies, and RBAC cannot take a permission away: without the
      policy a tenant admin or developer could delete `default-deny`. The test is "allowed
      cluster-wide" rather than "not in the tenant's groups" because a tenant admin can pass
      its rights on with RoleBindings of its own: to a service account of the namespace (which
      `edit` may impersonate) or to another identity of its people. Such grants are all
      namespaced, so none passes. Platform deployers, cluster admins and the controllers that
      touch NetworkPolicies (the namespace controller, the EKS network policy controller) act
      cluster-wide and pass. Quotas and LimitRanges need no such fence: the built-in roles only
      read them. Nor do LocalQueues: Kueue's roles do not aggregate into `admin` or `edit`, so
      tenants can neither write them nor grant themselves that, and a LocalQueue pointed at
      another tenant's queue or the shared one would admit nothing (their namespace selectors
      leave this namespace out). RoleBindings stay open: Kubernetes lets a tenant grant only
      what it holds, and workloads routinely need a Role for their service account;
    - the `workload` ServiceAccount, with no token mounted unless a pod asks for one;
    - a Kueue ClusterQueue of its own in the cluster's cohort, selecting only this namespace,
      with no quota of its own: it may borrow up to the tenant's share of each pool (and of
      CPU and memory) from the capacity the shared `plinth-gpu` queue lends the cohort, and
      no more. It preempts only the tenant's own lower-priority workloads; with nothing to
      lend, it never reclaims from other tenants. A LocalQueue `gpu` in the namespace feeds
      it.

    Every object carries the tenant label, the cost labels and `app.kubernetes.io/managed-by:
    plinth`, so whoever reads the cluster sees what the platform manages.
    """

    namespace: k8s.core.v1.Namespace
    namespace_name: pulumi.Output[str]
    service_account: k8s.core.v1.ServiceAccount
    cluster_queue: k8s.apiextensions.CustomResource
    local_queue: k8s.apiextensions.CustomResource

    def __init__(
        self, name: str, args: TenantWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:tenant:TenantWorkspace", name, None, opts)
        _check(args)
        self._name = name
        self._args = args
        self._labels = {**args.labels, TENANT_LABEL: args.tenant, MANAGED_BY_LABEL: MANAGED_BY}
        cohort_field = kueue_cohort_field(args.cluster.kueue_api_version)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.tenant, labels={**self._labels, **_pod_security(args)}
            ),
            opts=self._opts(),
        )
        self.namespace_name = self.namespace.metadata.name
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=self._metadata("tenant-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=self._quota()),
            opts=self._opts(),
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=self._metadata("tenant-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={
                            "cpu": args.default_cpu_request,
                            "memory": args.default_memory_request,
                        },
                        default={"memory": args.default_memory_limit},
                    )
                ]
            ),
            opts=self._opts(),
        )
        self._network_policies()
        self._network_policy_fence()
        for persona in PERSONAS:
            self._role_binding(persona, args.personas.get(persona, PersonaMembers()))
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-workload",
            metadata=self._metadata(WORKLOAD_SERVICE_ACCOUNT),
            automount_service_account_token=False,
            opts=self._opts(),
        )

        queue_name = tenant_cluster_queue(args.tenant)
        self.cluster_queue = k8s.apiextensions.CustomResource(
            f"{name}-cluster-queue",
            api_version=args.cluster.kueue_api_version,
            kind="ClusterQueue",
            metadata={"name": queue_name, "labels": self._labels},
            spec=self._cluster_queue_spec(cohort_field),
            opts=self._opts(),
        )
        self.local_queue = k8s.apiextensions.CustomResource(
            f"{name}-local-queue",
            api_version=args.cluster.kueue_api_version,
            kind="LocalQueue",
            metadata=self._metadata(LOCAL_QUEUE),
            spec={"clusterQueue": queue_name},
            opts=self._opts(self.cluster_queue),
        )
        self.register_outputs(
            {
                "namespace": self.namespace_name,
                "serviceAccount": WORKLOAD_SERVICE_ACCOUNT,
                "clusterQueue": queue_name,
                "localQueue": LOCAL_QUEUE,
            }
        )

    def _opts(self, *after: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._args.cluster.kubernetes_provider,
            depends_on=[*self._args.cluster.ready, *after],
        )

    def _metadata(self, object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
        """Metadata of an object in the namespace (placed by the namespace's output, so it
        waits for the namespace and the policy pack sees where it lives)."""
        return k8s.meta.v1.ObjectMetaArgs(
            name=object_name, namespace=self.namespace_name, labels=self._labels
        )

    def _quota(self) -> dict[str, str]:
        args = self._args
        gpus = sum(args.gpu_quota.get(pool, 0) for pool in args.cluster.gpu_flavors)
        return {
            f"requests.{GPU_RESOURCE}": str(gpus),
            "requests.cpu": args.cpu,
            "requests.memory": args.memory,
            "limits.memory": args.memory,
            "pods": str(args.max_pods),
            "persistentvolumeclaims": str(args.max_persistent_volume_claims),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }

    def _network_policies(self) -> None:
        args = self._args
        every_pod = k8s.meta.v1.LabelSelectorArgs()
        gateway = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={GATEWAY_LABEL: "true"})
        )
        same_namespace = k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=every_pod)
        trace_collector = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": TRACE_NAMESPACE}
            ),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"app.kubernetes.io/name": COLLECTOR_SERVICE}
            ),
        )
        dns_servers = [
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels=KUBE_DNS["namespace"]
                ),
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=KUBE_DNS["pods"]),
            ),
            *(_ip_block(cidr) for cidr in args.cluster.dns_cidrs),
        ]
        both, egress = ["Ingress", "Egress"], ["Egress"]
        policies: dict[str, dict[str, Any]] = {
            # Selects every pod and allows nothing: the baseline the allows below open up.
            "default-deny": {"policy_types": both},
            "allow-dns": {
                "policy_types": egress,
                "egress": [_egress(dns_servers, [_port("UDP", 53), _port("TCP", 53)])],
            },
            "allow-same-namespace": {
                "policy_types": both,
                "ingress": [_ingress([same_namespace])],
                "egress": [_egress([same_namespace])],
            },
            "allow-https-egress": {
                "policy_types": egress,
                "egress": [
                    _egress(
                        [_ip_block(args.https_egress_cidr, args.https_egress_except)],
                        [_port("TCP", 443)],
                    )
                ],
            },
        }
        if args.gateway_access:
            policies["allow-gateway"] = {
                "policy_types": both,
                "ingress": [_ingress([gateway])],
                "egress": [_egress([gateway])],
            }
            policies["allow-trace-collector"] = {
                "policy_types": egress,
                "egress": [_egress([trace_collector], [_port("TCP", OTLP_HTTP_PORT)])],
            }
        if args.cluster.cloud == "aws":
            policies["allow-pod-identity"] = {
                "policy_types": egress,
                "egress": [_egress([_ip_block(POD_IDENTITY_AGENT)], [_port("TCP", 80)])],
            }
        for policy_name, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(
                f"{self._name}-{policy_name}",
                metadata=self._metadata(policy_name),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=every_pod, **spec),
                opts=self._opts(),
            )

    def _network_policy_fence(self) -> None:
        admission = k8s.admissionregistration.v1
        fence_name = f"plinth-{self._args.tenant}-network-policies"
        policy = admission.ValidatingAdmissionPolicy(
            f"{self._name}-network-policy-fence",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=fence_name, labels=self._labels),
            spec=admission.ValidatingAdmissionPolicySpecArgs(
                # An expression that cannot be evaluated refuses the change, never lets it by.
                failure_policy="Fail",
                match_constraints=admission.MatchResourcesArgs(
                    resource_rules=[
                        admission.NamedRuleWithOperationsArgs(
                            api_groups=[NETWORKING_API_GROUP],
                            api_versions=["*"],
                            operations=["CREATE", "UPDATE", "DELETE"],
                            resources=["networkpolicies"],
                            scope="Namespaced",
                        )
                    ]
                ),
                validations=[
                    admission.ValidationArgs(
                        expression=NETWORK_POLICY_FENCE,
                        message=NETWORK_POLICY_FENCE_MESSAGE,
                        reason="Forbidden",
                    )
                ],
            ),
            opts=self._opts(),
        )
        # The policy names no namespace: the binding confines it to this tenant's, by the name
        # label the API server sets on every namespace.
        admission.ValidatingAdmissionPolicyBinding(
            f"{self._name}-network-policy-fence",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=fence_name, labels=self._labels),
            spec=admission.ValidatingAdmissionPolicyBindingSpecArgs(
                policy_name=policy.metadata.name,
                validation_actions=["Deny"],
                match_resources=admission.MatchResourcesArgs(
                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                        match_labels={NAMESPACE_NAME_LABEL: self._args.tenant}
                    )
                ),
            ),
            opts=self._opts(),
        )

    def _role_binding(self, persona: Persona, members: PersonaMembers) -> None:
        groups = [persona_group(self._args.tenant, persona), *members.kubernetes_groups]
        k8s.rbac.v1.RoleBinding(
            f"{self._name}-{persona}",
            metadata=self._metadata(f"plinth-{persona}"),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group=RBAC_API_GROUP, kind="ClusterRole", name=PERSONA_CLUSTER_ROLES[persona]
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(api_group=RBAC_API_GROUP, kind="Group", name=group)
                for group in groups
            ],
            opts=self._opts(),
        )

    def _cluster_queue_spec(self, cohort_field: str) -> dict[str, Any]:
        args = self._args
        # Nominal quota 0 and a borrowing limit of the tenant's share: every admitted workload
        # borrows from the shared queue's nominal capacity, and never more than the share.
        resource_groups: list[dict[str, Any]] = []
        if args.cluster.gpu_flavors:
            resource_groups.append(
                {
                    "coveredResources": [GPU_RESOURCE],
                    "flavors": [
                        {
                            "name": flavor,
                            "resources": [_borrowed(GPU_RESOURCE, args.gpu_quota.get(pool, 0))],
                        }
                        for pool, flavor in args.cluster.gpu_flavors.items()
                    ],
                }
            )
        resource_groups.append(
            {
                "coveredResources": ["cpu", "memory"],
                "flavors": [
                    {
                        "name": ANY_FLAVOR,
                        "resources": [_borrowed("cpu", args.cpu), _borrowed("memory", args.memory)],
                    }
                ],
            }
        )
        return {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: args.tenant}},
            cohort_field: args.cluster.cohort,
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": resource_groups,
            "preemption": {
                # Reclaiming applies to workloads within nominal quota, which is 0 here; and
                # Kueue rejects borrowWithinCohort unless reclaiming is allowed. Tenants thus
                # never preempt each other: a tenant's inference may preempt its own batch.
                "reclaimWithinCohort": "Never",
                "borrowWithinCohort": {"policy": "Never"},
                "withinClusterQueue": "LowerPriority",
            },
        }


def _check(args: TenantWorkspaceArgs) -> None:
    """Refuse inputs the API server or Kueue would reject, or that would silently grant
    nothing, at preview rather than halfway through an update."""
    if not _DNS_LABEL.match(args.tenant):
        raise ValueError(f"tenant {args.tenant!r} is not a DNS label (a namespace name)")
    unknown = sorted(set(args.gpu_quota) - set(args.cluster.gpu_flavors))
    if unknown:
        raise ValueError(
            f"tenant {args.tenant!r}: GPU quota for pools {unknown} that cluster "
            f"{args.cluster.key!r} does not have (it has {sorted(args.cluster.gpu_flavors)})"
        )
    negative = {pool: n for pool, n in args.gpu_quota.items() if n < 0}
    if negative:
        raise ValueError(f"tenant {args.tenant!r}: negative GPU quota {negative}")
    quantities = {
        "cpu": args.cpu,
        "memory": args.memory,
        "default_cpu_request": args.default_cpu_request,
        "default_memory_request": args.default_memory_request,
        "default_memory_limit": args.default_memory_limit,
    }
    bad = {key: value for key, value in quantities.items() if not _QUANTITY.match(value)}
    if bad:
        raise ValueError(f"tenant {args.tenant!r}: not Kubernetes quantities: {bad}")
    reserved = [
        key
        for key in args.labels
        if key in (TENANT_LABEL, MANAGED_BY_LABEL) or key.startswith(POD_SECURITY_LABEL)
    ]
    if reserved:
        raise ValueError(f"tenant {args.tenant!r}: labels {reserved} are set by Plinth")


def _pod_security(args: TenantWorkspaceArgs) -> dict[str, str]:
    labels = {}
    for mode, version in (
        ("enforce", args.pod_security_version),
        ("warn", "latest"),
        ("audit", "latest"),
    ):
        labels[f"{POD_SECURITY_LABEL}/{mode}"] = "restricted"
        labels[f"{POD_SECURITY_LABEL}/{mode}-version"] = version
    return labels


def _borrowed(resource: str, limit: int | str) -> dict[str, Any]:
    return {"name": resource, "nominalQuota": 0, "borrowingLimit": limit}


def _port(protocol: str, port: int) -> k8s.networking.v1.NetworkPolicyPortArgs:
    return k8s.networking.v1.NetworkPolicyPortArgs(protocol=protocol, port=port)


def _ip_block(
    cidr: pulumi.Input[str], excepted: Sequence[str] = ()
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr, except_=list(excepted) or None)
    )


def _ingress(
    peers: Sequence[k8s.networking.v1.NetworkPolicyPeerArgs],
) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=list(peers))


def _egress(
    peers: Sequence[k8s.networking.v1.NetworkPolicyPeerArgs],
    ports: Sequence[k8s.networking.v1.NetworkPolicyPortArgs] = (),
) -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
    return k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=list(peers), ports=list(ports) or None)
