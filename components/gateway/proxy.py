"""The LLM gateway on an EKS cluster: the LiteLLM proxy from its official chart, its identity,
its secrets' delivery, its database bootstrap and its network fence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.bedrock.grants import ModelGrantArgs, model_grant_statements
from components.gateway.bootstrap import (
    RESTRICTED_CONTAINER,
    DatabaseBootstrapArgs,
    database_bootstrap,
    master_secret_objects,
    owner_of_existing_database,
)
from components.gateway.cache import CONNECT_ACTIONS
from components.gateway.config import (
    DATABASE_NAME,
    DATABASE_USER,
    KEYS_SECRET,
    MASTER_KEY_ITEM,
    PROXY_PORT,
    REQUEST_LOG_PREFIX,
    SALT_KEY_ITEM,
    ProxySettings,
    database_environment,
    proxy_config,
    trace_environment,
)
from components.gateway.csi import SECRETS_MOUNT, csi_volume, secret_provider_class
from components.gateway.identity import (
    PodRole,
    ServiceIdentities,
    database_connect_statement,
    request_log_statements,
    secret_read_statements,
)
from components.gateway.network import (
    BASE_EGRESS,
    DEFAULT_DENY,
    egress_to_namespace,
    namespace_network_policies,
    restricted_namespace,
)
from components.gateway.release import CHART, IMAGE
from components.iam import Statement
from components.observability.trace_config import OTLP_HTTP_PORT
from components.scope import AwsScope
from components.serving.contract import MODEL_PORT
from components.tenant.contract import GATEWAY_LABEL

NAMESPACE = "plinth-gateway"
SERVICE_ACCOUNT = "litellm"
BOOTSTRAP_SERVICE_ACCOUNT = "litellm-db-bootstrap"
RELEASE = "litellm"
SERVICE = "litellm"
"""The chart names its Service after the release (`<release>-litellm` unless the release name
contains the chart name, which `litellm` does)."""
PROXY_POD_LABELS = {"app.kubernetes.io/name": "litellm"}
"""The labels the chart puts on the proxy's pods (and no other pod of the release)."""
BOOTSTRAP_SQL = owner_of_existing_database(DATABASE_USER, DATABASE_NAME)
"""The proxy's own login owns its database (the cluster's initial one) and schema."""


@dataclass(frozen=True)
class LlmGatewayArgs:
    """Inputs of an LlmGateway (resolved by the platform stack from its spec)."""

    scope: AwsScope
    name_prefix: str
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    version: str
    replicas: int
    models: ModelGrantArgs
    """The Bedrock models and guardrail the gateway role may use."""
    settings: ProxySettings
    master_key_arn: pulumi.Input[str]
    salt_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    database_master_secret_arn: pulumi.Input[str]
    database_resource_id: pulumi.Input[str]
    cache_arn: pulumi.Input[str]
    cache_user_arn: pulumi.Input[str]
    tenant_namespaces: Sequence[str]
    """Tenant namespaces granted the gateway: the only pods that may call it."""
    control_plane_cidrs: Sequence[pulumi.Input[str]]
    """Where the API server's service proxy connects from (admin calls of `pulumi up`)."""
    tags: Mapping[str, str]
    ready: Sequence[pulumi.Resource] = ()
    """Cluster resources to wait for (the CSI driver)."""
    model_namespace: str | None = None
    """The namespace of the self-hosted model servers the proxy calls, if the stack has any."""
    trace_namespace: str | None = None
    """The namespace of the trace collector the proxy sends its spans to, if any."""


class LlmGateway(pulumi.ComponentResource):
    """The LiteLLM proxy, internal only (ClusterIP), in its own namespace:

    - the official chart at a pinned release (past the 2026 advisories), two replicas by
      default, `restricted` pod security, no Helm value holding a secret;
    - a Pod Identity role that may invoke exactly the granted Bedrock models with the platform
      guardrail, read its two secrets, connect to its database user and its cache user;
    - the master and salt keys mounted by the Secrets Store CSI driver from Secrets Manager;
    - a one-off Job that creates the proxy's IAM-authenticated database login, with its own
      role that alone reads the database master secret;
    - NetworkPolicies: ingress on the proxy port only from granted tenant namespaces and the
      control plane, egress only to DNS, the Pod Identity agent, HTTPS/PostgreSQL/Valkey and
      the model servers' port in their namespace.
    """

    namespace: str
    service_url: str
    """Where tenant pods call the gateway (OpenAI-compatible base URL)."""
    release: k8s.helm.v3.Release

    def __init__(
        self, name: str, args: LlmGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:gateway:LlmGateway", name, None, opts)
        self._name, self._args = name, args
        self.namespace = NAMESPACE
        self.service_url = f"http://{SERVICE}.{NAMESPACE}.svc.cluster.local:{PROXY_PORT}"
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = restricted_namespace(
            f"{name}-namespace",
            NAMESPACE,
            pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=list(args.ready))
            ),
            labels={GATEWAY_LABEL: "true"},
        )
        self._in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        self._identities = ServiceIdentities(
            args.scope,
            args.name_prefix,
            args.cluster_name,
            NAMESPACE,
            args.tags,
            parent=self,
            in_namespace=self._in_namespace,
        )
        gateway_role = self._gateway_role()
        bootstrap_role = self._bootstrap_role()
        keys = self._secret_provider_class(
            "keys",
            [
                {
                    "objectName": args.master_key_arn,
                    "objectType": "secretsmanager",
                    "objectAlias": MASTER_KEY_ITEM,
                },
                {
                    "objectName": args.salt_key_arn,
                    "objectType": "secretsmanager",
                    "objectAlias": SALT_KEY_ITEM,
                },
            ],
            sync_to=KEYS_SECRET,
        )
        bootstrap = self._database_bootstrap(bootstrap_role)
        self._network_policies()
        self.release = self._release(depends_on=[gateway_role, keys, bootstrap])
        self.register_outputs({"namespace": self.namespace, "serviceUrl": self.service_url})

    # --- identity -------------------------------------------------------------------------

    def _gateway_role(self) -> PodRole:
        args = self._args
        statements: list[Statement] = [
            *model_grant_statements(args.models, self),
            *secret_read_statements(
                args.scope, [args.master_key_arn, args.salt_key_arn], args.secrets_key_arn
            ),
            database_connect_statement(args.scope, args.database_resource_id, DATABASE_USER),
            {
                "Sid": "ConnectAsTheGatewayCacheUser",
                "Effect": "Allow",
                "Action": list(CONNECT_ACTIONS),
                "Resource": [args.cache_arn, args.cache_user_arn],
            },
        ]
        store = args.settings.request_log
        if store is not None:
            statements += request_log_statements(
                args.scope, store.bucket_name, REQUEST_LOG_PREFIX, store.key_arn, store.region
            )
        return self._identities.role(
            f"{self._name}-gateway",
            role="gateway",
            service_account=SERVICE_ACCOUNT,
            description="LLM gateway (LiteLLM proxy)",
            statements=statements,
        )

    def _bootstrap_role(self) -> PodRole:
        args = self._args
        return self._identities.role(
            f"{self._name}-gateway-db-bootstrap",
            role="gateway-db-bootstrap",
            service_account=BOOTSTRAP_SERVICE_ACCOUNT,
            description="LLM gateway database bootstrap (reads the database master secret)",
            statements=secret_read_statements(
                args.scope, [args.database_master_secret_arn], args.secrets_key_arn
            ),
        )

    # --- secrets --------------------------------------------------------------------------

    def _secret_provider_class(
        self, name: str, objects: list[dict[str, Any]], *, sync_to: str | None = None
    ) -> k8s.apiextensions.CustomResource:
        return secret_provider_class(
            f"{self._name}-{name}-secrets",
            f"litellm-{name}",
            NAMESPACE,
            self._args.scope.region,
            objects,
            opts=self._in_namespace,
            sync_to=sync_to,
        )

    # --- database bootstrap ---------------------------------------------------------------

    def _database_bootstrap(self, role: PodRole) -> k8s.batch.v1.Job:
        args = self._args
        provider_class = self._secret_provider_class(
            "db-master", master_secret_objects(args.database_master_secret_arn)
        )
        return database_bootstrap(
            f"{self._name}-db-bootstrap",
            DatabaseBootstrapArgs(
                job_name="litellm-db-bootstrap",
                namespace=NAMESPACE,
                service_account=BOOTSTRAP_SERVICE_ACCOUNT,
                database_host=args.settings.database_host,
                database=DATABASE_NAME,
                sql=BOOTSTRAP_SQL,
                provider_class="litellm-db-master",
            ),
            pulumi.ResourceOptions.merge(
                self._in_namespace, pulumi.ResourceOptions(depends_on=[role, provider_class])
            ),
        )

    # --- the proxy ------------------------------------------------------------------------

    def _release(self, depends_on: list[pulumi.Resource]) -> k8s.helm.v3.Release:
        args = self._args
        environment = database_environment(args.settings)
        if args.settings.traces is not None:
            environment.update(trace_environment(args.settings.traces))
        values: dict[str, Any] = {
            "replicaCount": args.replicas,
            "image": {"repository": IMAGE, "tag": f"v{args.version}", "pullPolicy": "IfNotPresent"},
            "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
            "service": {"type": "ClusterIP", "port": PROXY_PORT},
            "masterkeySecretName": KEYS_SECRET,
            "masterkeySecretKey": MASTER_KEY_ITEM,
            # No database from the chart: the proxy builds its URL from DATABASE_* with an
            # IAM token (the chart's db.useExisting would render a password URL).
            "db": {"useExisting": False, "deployStandalone": False},
            "redis": {"enabled": False},
            "envVars": environment,
            "extraEnvVars": [
                {
                    "name": "LITELLM_SALT_KEY",
                    "valueFrom": {"secretKeyRef": {"name": KEYS_SECRET, "key": SALT_KEY_ITEM}},
                },
            ],
            "volumes": [csi_volume("keys", "litellm-keys")],
            "volumeMounts": [{"name": "keys", "mountPath": SECRETS_MOUNT, "readOnly": True}],
            "podSecurityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "securityContext": RESTRICTED_CONTAINER,
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"memory": "2Gi"},
            },
            # Helm runs the schema migration once before each install and upgrade; the
            # replicas start with schema updates off.
            "migrationJob": {
                "enabled": True,
                "hooks": {"helm": {"enabled": True}, "argocd": {"enabled": False}},
            },
            "proxy_config": proxy_config(args.settings),
        }
        return k8s.helm.v3.Release(
            f"{self._name}-release",
            name=RELEASE,
            chart=CHART,
            version=args.version,
            namespace=NAMESPACE,
            create_namespace=False,
            values=values,
            opts=pulumi.ResourceOptions.merge(
                self._in_namespace, pulumi.ResourceOptions(depends_on=depends_on)
            ),
        )

    # --- network --------------------------------------------------------------------------

    def _network_policies(self) -> None:
        args = self._args
        proxy_pods = {"matchLabels": PROXY_POD_LABELS}
        tenants = [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": tenant}}}
            for tenant in args.tenant_namespaces
        ]
        control_plane = [{"ipBlock": {"cidr": cidr}} for cidr in args.control_plane_cidrs]
        port = [{"protocol": "TCP", "port": PROXY_PORT}]
        policies: dict[str, dict[str, Any]] = {
            "default-deny": DEFAULT_DENY,
            "allow-granted-tenants": {
                "podSelector": proxy_pods,
                "policyTypes": ["Ingress"],
                "ingress": [{"from": tenants + control_plane, "ports": port}]
                if tenants or control_plane
                else [],
            },
            "allow-egress": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    *BASE_EGRESS,
                    {"ports": [{"protocol": "TCP", "port": p} for p in (443, 5432, 6379, 6380)]},
                    *(
                        egress_to_namespace(namespace, port)
                        for namespace, port in (
                            (args.model_namespace, MODEL_PORT),
                            (args.trace_namespace, OTLP_HTTP_PORT),
                        )
                        if namespace is not None
                    ),
                ],
            },
        }
        namespace_network_policies(self._name, NAMESPACE, policies, self._in_namespace)
