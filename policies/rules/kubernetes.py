"""Kubernetes: no privileged pods, GPU containers with limits, tenant isolation, internal LBs.

These rules read Kubernetes objects as Pulumi registers them (`kubernetes:<group>/<version>:
<Kind>` with the manifest's `metadata` and `spec` as inputs), so they cover objects created with
pulumi_kubernetes directly and those a Helm chart or YAML file renders into child resources.
A tenant's namespace is the unit of isolation on the shared clusters: a pod that escapes to its
node, or a namespace that accepts traffic from every other, breaks that isolation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policies.props import as_list, depends_via, dig, known, of_type
from policies.report import Report
from policies.rule import Config, Param, all_of, narrowest, resource_rule, stack_rule

# Where each workload kind keeps the pod spec it runs.
POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOADS = tuple(POD_SPEC_PATHS)
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

TENANT_LABEL = "plinth.dev/tenant"
GPU_RESOURCE = "nvidia.com/gpu"
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
DIRECTIONS = {"Ingress": ("ingress", "from"), "Egress": ("egress", "to")}
"""NetworkPolicy direction -> (its rules' key, the key of a rule's peers)."""


SYSTEM_NAMESPACES = Param(
    name="systemNamespaces",
    description="Namespaces of node-level agents (CNI, device plugins, GPU operator), which "
    "the pod hardening rules leave alone.",
    schema={"type": "array", "items": {"type": "string"}},
    default=["kube-system", "gpu-operator", "kube-node-lease"],
    merge=narrowest,
)


def in_system_namespace(props: Mapping[str, Any], config: Config) -> bool:
    return dig(props, "metadata", "namespace") in config[SYSTEM_NAMESPACES.name]


def pod_spec_of(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec a workload runs, whatever its kind."""
    spec = dig(props, *POD_SPEC_PATHS[resource_type], default={})
    return spec if isinstance(spec, Mapping) else {}


def containers_of(pod_spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every container the pod starts, init containers included."""
    for key in ("initContainers", "containers"):
        yield from (c for c in as_list(dig(pod_spec, key)) if isinstance(c, Mapping))


@resource_rule(
    id="k8s-no-privileged-containers",
    area="kubernetes",
    description="Workloads outside the system namespaces run no privileged container and do not "
    "share the node's network, PID or IPC namespaces, so a compromised pod cannot take over its "
    "node and every other tenant's pods on it.",
    severity="critical",
    remediation="Remove security_context.privileged and host_network/host_pid/host_ipc from the "
    "pod spec; grant the specific capability the container needs instead, or run the workload in "
    "a system namespace if it is node infrastructure (CNI, device plugin).",
    controls={"soc2": ["CC6.1"], "nist-800-53": ["AC-6", "CM-7"]},
    types=WORKLOADS,
    params=(SYSTEM_NAMESPACES,),
)
def no_privilegedcontainers_of(
    args: ResourceValidationArgs, report: Report, config: Config
) -> None:
    if in_system_namespace(args.props, config):
        return
    pod_spec = pod_spec_of(args.resource_type, args.props)
    for field in HOST_NAMESPACES:
        if dig(pod_spec, field) is True:
            report(f"the pod sets {field}: true")
    for container in containers_of(pod_spec):
        if dig(container, "securityContext", "privileged") is True:
            report(f"container {dig(container, 'name')!r} runs privileged")


def uses_gpus(container: Mapping[str, Any]) -> bool:
    """Whether a container asks for GPUs (in its requests or its limits)."""
    return any(
        GPU_RESOURCE in (dig(container, "resources", kind, default={}) or {})
        for kind in ("requests", "limits")
    )


def _quantity(value: Any) -> str:
    """A quantity as text: 1, 1.0 (numbers reach the pack as floats) and "1" all read "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@resource_rule(
    id="k8s-gpu-resource-limits",
    area="kubernetes",
    description="Containers that use GPUs set limits for the GPUs, CPU and memory, so one job "
    "cannot hold a GPU node's other resources and leave its GPUs idle for everyone else.",
    severity="medium",
    remediation="Set resources.limits with 'nvidia.com/gpu', 'cpu' and 'memory' on the container; "
    "if resources.requests names 'nvidia.com/gpu', give it the same count as the limit.",
    controls={"nist-800-53": ["SC-6"]},
    types=WORKLOADS,
)
def gpu_resource_limits(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for container in containers_of(pod_spec_of(args.resource_type, args.props)):
        if not uses_gpus(container):
            continue
        requests = dig(container, "resources", "requests", default={})
        limits = dig(container, "resources", "limits", default={})
        name = dig(container, "name")
        missing = [r for r in (GPU_RESOURCE, "cpu", "memory") if r not in limits]
        if missing:
            report(f"GPU container {name!r} has no limits for: {', '.join(missing)}")
            continue
        limit = _quantity(limits[GPU_RESOURCE])
        requested = _quantity(requests.get(GPU_RESOURCE, limit))  # unset, it defaults to the limit
        if requested != limit:
            report(f"GPU container {name!r} requests {requested} GPUs but limits {limit}")


def _selects_all_pods(policy: PolicyResource) -> bool:
    selector = dig(policy.props, "spec", "podSelector", default={})
    return not dig(selector, "matchLabels") and not dig(selector, "matchExpressions")


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    """The directions a NetworkPolicy isolates (Kubernetes' default when policyTypes is unset)."""
    given = as_list(dig(spec, "policyTypes"))
    if given:
        return [str(t) for t in given]
    return ["Ingress", *(["Egress"] if dig(spec, "egress") else [])]


def denied_directions(policy: PolicyResource) -> set[str]:
    """The directions in which a NetworkPolicy denies by default: it selects every pod of its
    namespace and lists no rule for that direction. Allows belong in other policies; a rule
    here, even one with selectors, would be part of the baseline every pod gets."""
    if not _selects_all_pods(policy):
        return set()
    spec = dig(policy.props, "spec", default={})
    denied: set[str] = set()
    for direction in policy_types(spec):
        if direction not in DIRECTIONS:
            continue
        rules_key, _ = DIRECTIONS[direction]
        if not as_list(dig(spec, rules_key)):
            denied.add(direction)
    return denied


def _named_in(policy: PolicyResource, namespace: PolicyResource) -> bool:
    name = dig(namespace.props, "metadata", "name")
    return bool(name) and dig(policy.props, "metadata", "namespace") == name


def _policies_in(
    namespace: PolicyResource,
    policies: list[PolicyResource],
    namespaces: list[PolicyResource],
) -> list[PolicyResource]:
    """The NetworkPolicies placed in `namespace`: by their metadata's dependency on a Namespace
    (its name is an output, unknown in preview), else by the namespace name they give."""
    placed = []
    for policy in policies:
        linked = [ns.urn for ns in namespaces if depends_via(policy, "metadata", ns)]
        if namespace.urn in linked or (not linked and _named_in(policy, namespace)):
            placed.append(policy)
    return placed


@stack_rule(
    id="k8s-tenant-default-deny",
    area="kubernetes",
    description="Every tenant namespace (labelled plinth.dev/tenant) has a default-deny "
    "NetworkPolicy for ingress and egress, so tenants reach each other only where a policy "
    "allows it.",
    severity="high",
    remediation="Add a kubernetes.networking.v1.NetworkPolicy in the namespace with "
    "pod_selector={} and policy_types=['Ingress', 'Egress'] and no rules; allow the traffic the "
    "tenant needs (DNS, its own pods) in further policies.",
    controls={
        "hipaa": ["164.312(a)(1)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.6"],
        "pci": ["1.3.1", "1.3.2"],
        "nist-800-53": ["AC-4", "SC-7"],
    },
)
def tenant_default_deny(args: StackValidationArgs, report: Report, _: Config) -> None:
    namespaces = of_type(args, NAMESPACE)
    policies = of_type(args, NETWORK_POLICY)
    for namespace in namespaces:
        if TENANT_LABEL not in dig(namespace.props, "metadata", "labels", default={}):
            continue
        denied = {
            d for p in _policies_in(namespace, policies, namespaces) for d in denied_directions(p)
        }
        missing = [d for d in DIRECTIONS if d not in denied]
        if missing:
            report(
                f"tenant namespace has no default-deny NetworkPolicy for {' and '.join(missing)}",
                namespace.urn,
            )


@resource_rule(
    id="k8s-loadbalancer-internal",
    area="kubernetes",
    description="Services of type LoadBalancer ask for an internal load balancer, so a workload "
    "is not put on the internet by a one-line Service change; public entry goes through the "
    "platform's ingress.",
    severity="high",
    remediation="Annotate the Service with service.beta.kubernetes.io/aws-load-balancer-scheme: "
    "internal (AWS Load Balancer Controller) or service.beta.kubernetes.io/"
    "aws-load-balancer-internal: 'true' (legacy in-tree controller).",
    controls={"soc2": ["CC6.6"], "pci": ["1.4.2"], "nist-800-53": ["SC-7"]},
    types=(SERVICE,),
    params=(
        Param(
            name="internalAnnotations",
            description="Annotations (key=value) any one of which makes a LoadBalancer internal.",
            schema={"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.*$"}},
            default=[
                "service.beta.kubernetes.io/aws-load-balancer-scheme=internal",
                "service.beta.kubernetes.io/aws-load-balancer-internal=true",
            ],
            merge=all_of,
        ),
    ),
)
def loadbalancer_internal(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if dig(args.props, "spec", "type") != "LoadBalancer":
        return
    annotations = dig(args.props, "metadata", "annotations", default={})
    accepted = [pair.partition("=") for pair in config["internalAnnotations"]]
    if not any(str(annotations.get(key, "")).strip() == value for key, _, value in accepted):
        report("LoadBalancer Service has no internal-scheme annotation, so it is internet-facing")


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
# Names that say "this is the credential itself", compared with separators removed and case
# folded. References to a credential (`existingSecret`, `masterkeySecretName`, `tokenFile`)
# end otherwise and are what the rule asks for.
CREDENTIAL_NAME_ENDINGS = (
    "password",
    "passwd",
    "token",
    "apikey",
    "masterkey",
    "saltkey",
    "privatekey",
    "secretaccesskey",
    "clientsecret",
)


# Values that point at a credential kept elsewhere rather than hold it: LiteLLM's environment
# references (`os.environ/NAME`) and shell/Kubernetes variable expansion (`$(NAME)`, `${NAME}`).
CREDENTIAL_REFERENCE_PREFIXES = ("os.environ/", "$(", "${")
# Values that switch a credential feature on or off (`HF_HUB_DISABLE_TOKEN=1`,
# `useToken: "true"`) rather than hold one.
SWITCH_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1"})
# A command-line option with its value in the same word: `--api-key=sk-...`, `-password=x`.
INLINE_OPTION = re.compile(r"^--?(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)=(?P<value>.*)$", re.DOTALL)
OPTION = re.compile(r"^--?(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)$")


def _literal(value: Any) -> bool:
    return (
        isinstance(value, str)
        and bool(value)
        and not value.startswith(CREDENTIAL_REFERENCE_PREFIXES)
        and value.lower() not in SWITCH_VALUES
    )


def credential_name(name: str) -> bool:
    """Whether an environment variable, option, Helm value or ConfigMap key names a
    credential."""
    folded = "".join(ch for ch in name.lower() if ch.isalnum())
    return folded.endswith(CREDENTIAL_NAME_ENDINGS)


def _credential_options(words: Any, path: str) -> Iterator[str]:
    """Where a command line (a container's `command`/`args`, a chart's extra arguments) gives a
    credential as an option: `--api-key=sk-...` or `--api-key sk-...`."""
    if not isinstance(words, Sequence) or isinstance(words, str):
        return
    items = [known(words, index) for index in range(len(words))]
    for index, word in enumerate(items):
        if not isinstance(word, str):
            continue
        inline, bare = INLINE_OPTION.match(word), OPTION.match(word)
        if inline and credential_name(inline["name"]) and _literal(inline["value"]):
            yield f"{path}[{index}] (--{inline['name']})"
        elif bare and credential_name(bare["name"]) and index + 1 < len(items):
            following = items[index + 1]
            if _literal(following) and not str(following).startswith("-"):
                yield f"{path}[{index + 1}] (--{bare['name']})"


def _env_credentials(entries: Any, path: str) -> Iterator[str]:
    """Where a list of `{name, value}` entries (a container's env, or a chart's `env`/`extraEnv`
    value in that shape) sets a credential-named variable to a literal."""
    for index, entry in enumerate(as_list(entries)):
        if not isinstance(entry, Mapping):
            continue
        name = known(entry, "name")
        if isinstance(name, str) and credential_name(name) and _literal(known(entry, "value")):
            yield f"{path}[{index}] ({name})"


def _values_credentials(value: Any, path: str) -> Iterator[str]:
    """Literal credentials anywhere in a Helm release's values: a credential-named key, an
    env-shaped list entry, or a credential option in a list of arguments."""
    if isinstance(value, Mapping):
        for key in value:
            item = known(value, key)
            if isinstance(key, str) and credential_name(key) and _literal(item):
                yield f"{path}.{key}"
            else:
                yield from _values_credentials(item, f"{path}.{key}")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        yield from _env_credentials(value, path)
        yield from _credential_options(value, path)
        for index in range(len(value)):
            yield from _values_credentials(known(value, index), f"{path}[{index}]")


@resource_rule(
    id="k8s-no-plaintext-credentials",
    area="kubernetes",
    description="No password, token or API key is written as a literal in a container's "
    "environment, a ConfigMap or a Helm release's values, where anyone who can read the "
    "workload, the release or the Pulumi state reads the credential.",
    severity="high",
    remediation="Keep the credential in AWS Secrets Manager and mount it with the Secrets Store "
    "CSI driver (as the gateway does), or reference a Kubernetes Secret: env valueFrom."
    "secretKeyRef, or the chart's existing-secret value instead of the literal.",
    controls={
        "hipaa": ["164.312(a)(1)"],
        "soc2": ["CC6.1"],
        "pci": ["8.3.2", "8.6.2"],
        "nist-800-53": ["IA-5"],
    },
    types=(*WORKLOADS, CONFIG_MAP, HELM_RELEASE),
)
def no_plaintext_credentials(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if args.resource_type == HELM_RELEASE:
        for where in _values_credentials(dig(args.props, "values", default={}), "values"):
            report(f"Helm value {where} holds a literal credential")
    elif args.resource_type == CONFIG_MAP:
        data = dig(args.props, "data", default={})
        for key in data:
            if _literal(known(data, key)) and credential_name(key):
                report(f"ConfigMap key {key!r} holds a credential")
    else:
        for container in containers_of(pod_spec_of(args.resource_type, args.props)):
            named = f"container {dig(container, 'name')!r}"
            for where in _env_credentials(dig(container, "env"), "env"):
                report(f"{named} sets {where} as a literal")
            for part in ("command", "args"):
                for where in _credential_options(dig(container, part), part):
                    report(f"{named} passes a literal credential in {where}")
