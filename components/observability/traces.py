"""The trace store on the gateway's cluster: Arize Phoenix on its own database of the gateway's
Aurora cluster, behind an OpenTelemetry collector that receives the gateway's spans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.gateway.bootstrap import (
    RESTRICTED_CONTAINER,
    DatabaseBootstrapArgs,
    database_bootstrap,
    master_secret_objects,
    owner_of_new_database,
)
from components.gateway.csi import SECRETS_MOUNT, csi_volume, secret_provider_class
from components.gateway.identity import (
    PodRole,
    ServiceIdentities,
    database_connect_statement,
    secret_read_statements,
)
from components.gateway.network import (
    BASE_EGRESS,
    DEFAULT_DENY,
    namespace_network_policies,
)
from components.gateway.secrets import SecretPlace, generated_secret
from components.observability.trace_config import (
    COLLECTOR_SERVICE,
    HEALTH_PORT,
    NAMESPACE,
    OTLP_HTTP_PORT,
    PHOENIX_PORT,
    TRACES_ENDPOINT,
    collector_config,
)
from components.scope import AwsScope
from components.tenant.contract import TENANT_LABEL

# Confirmed: Arize-ai/phoenix .github/workflows/docker-build-release.yml (at 9478f95) publishes
# `version-<release>-nonroot` for every arize-phoenix-v<release> tag, the form helm/values.yaml
# pins; 20.26.1 is the release on PyPI the trace tests run (tests/phoenix/requirements.in).
PHOENIX_IMAGE = "arizephoenix/phoenix"
PHOENIX_TAG = "version-20.26.1-nonroot"
PHOENIX_USER_ID = 65532
"""The distroless image's nonroot user."""
PHOENIX_DATABASE = "phoenix"
PHOENIX_DATABASE_USER = "phoenix"
# Confirmed: open-telemetry/opentelemetry-collector-releases tag v0.159.0 (2026-08),
# distributions/otelcol-contrib/manifest.yaml: the OTLP receiver, memory_limiter, batch and
# transform processors and the otlphttp exporter; the image runs as UID 10001.
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
COLLECTOR_TAG = "0.159.0"
COLLECTOR_USER_ID = 10001
COLLECTOR_LABELS = {"app.kubernetes.io/name": COLLECTOR_SERVICE}
COLLECTOR_POD_READER = "plinth-otel-collector-pod-reader"
PHOENIX_LABELS = {"app.kubernetes.io/name": "phoenix"}
SCRATCH = "/tmp"
# The trace store's generated secrets: JWT signing, the admin bearer the collector writes with,
# and the first admin's password (Phoenix's default would be `admin`).
PHOENIX_SECRETS = {
    "jwt-secret": ("PHOENIX_SECRET", "Trace store: signs its sessions' tokens"),
    "admin-secret": ("PHOENIX_ADMIN_SECRET", "Trace store: bearer the collector writes with"),
    "admin-password": ("PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD", "Trace store: first admin"),
}


def phoenix_settings(retention_days: int) -> dict[str, str]:
    """Phoenix's settings besides its database and secrets (the trace tests start the real
    server with these): authentication on, traces kept `retention_days`, no telemetry, no
    fonts or scripts fetched from the internet by the browser."""
    return {
        "PHOENIX_ENABLE_AUTH": "true",
        # Engineers reach it through `kubectl port-forward`, over plain HTTP on loopback.
        "PHOENIX_USE_SECURE_COOKIES": "false",
        "PHOENIX_DEFAULT_RETENTION_POLICY_DAYS": str(retention_days),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
    }


@dataclass(frozen=True)
class TraceStoreArgs:
    """Inputs of a TraceStore (the gateway's cluster and database)."""

    scope: AwsScope
    name_prefix: str
    cluster_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    namespace: k8s.core.v1.Namespace
    """`plinth-observability` on that cluster (made by the stack, shared with the dashboards)."""
    ready: Sequence[pulumi.Resource]
    """Cluster resources to wait for (the Secrets Store CSI driver and its CRDs)."""
    database_host: pulumi.Input[str]
    database_resource_id: pulumi.Input[str]
    database_master_secret_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    retention_days: int
    gateway_namespace: str
    """The gateway's namespace: its pods send spans, naming their team."""
    api_server_cidrs: Sequence[pulumi.Input[str]]
    """Where the cluster's API server answers, which the collector asks which pod sent each
    span: the VPC (its endpoints' interfaces) and the cluster's Service range (the
    `kubernetes` Service's address, for network policy engines that judge traffic before
    translating it)."""
    allowed_tenants: Sequence[str]
    """Tenants whose spans keep prompts and completions."""
    tags: Mapping[str, str]
    protect: bool = False


class TraceStore(pulumi.ComponentResource):
    """In the `plinth-observability` namespace (`restricted` Pod Security):

    - Phoenix, authentication on (no self sign-up: the admin invites users), its first admin's
      password, JWT secret and admin bearer generated into Secrets Manager under the platform
      key and mounted with the Secrets Store CSI driver; its database `phoenix` on the gateway's
      Aurora cluster, made by a bootstrap Job, reached with IAM tokens from its own Pod Identity
      role (no database password exists); traces kept `retention_days`;
    - the OpenTelemetry collector, the one door to it: OTLP over HTTP from the gateway and
      from tenants' namespaces (a tenant's own NetworkPolicies decide whether its pods may
      send). It looks up the sending pod's namespace (read access to pods and namespaces,
      cluster-wide), sets the tenant on every span from it (the gateway's team on the
      gateway's spans) and files a tenant app's spans under a project named after the tenant;
      it removes prompts and completions from every span but those of tenants allowed to keep
      them, then writes to Phoenix with the admin bearer;
    - NetworkPolicies: default deny; the collector from the senders only, Phoenix from the
      collector only (engineers use `kubectl port-forward`); egress to DNS, Pod Identity,
      PostgreSQL and, for the collector, Phoenix and the API server.

    Internal only: both are ClusterIP Services.
    """

    namespace: k8s.core.v1.Namespace

    def __init__(
        self, name: str, args: TraceStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:observability:TraceStore", name, None, opts)
        self._name, self._args = name, args
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = args.namespace
        self.namespace = namespace
        self._in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace, *args.ready])
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
        place = SecretPlace(args.name_prefix, "traces", args.key_arn, args.tags)
        secrets = {
            item: generated_secret(
                self, f"{name}-{item}", place, item, description, protect=args.protect
            )
            for item, (_, description) in PHOENIX_SECRETS.items()
        }
        phoenix_role = self._role(
            "phoenix",
            "Trace store (Phoenix): its database user and its secrets",
            [
                database_connect_statement(
                    args.scope, args.database_resource_id, PHOENIX_DATABASE_USER
                ),
                *secret_read_statements(
                    args.scope, [s.arn for s in secrets.values()], args.key_arn
                ),
            ],
        )
        bootstrap_role = self._role(
            "phoenix-db-bootstrap",
            "Trace store database bootstrap (reads the database master secret)",
            secret_read_statements(args.scope, [args.database_master_secret_arn], args.key_arn),
        )
        collector_role = self._role(
            "otel-collector",
            "Trace collector: the trace store's admin bearer",
            secret_read_statements(args.scope, [secrets["admin-secret"].arn], args.key_arn),
        )
        master = self._provider_class(
            "phoenix-db-master", master_secret_objects(args.database_master_secret_arn)
        )
        bootstrap = database_bootstrap(
            f"{name}-db-bootstrap",
            DatabaseBootstrapArgs(
                job_name="phoenix-db-bootstrap",
                namespace=NAMESPACE,
                service_account="phoenix-db-bootstrap",
                database_host=args.database_host,
                # The gateway's database is the cluster's initial one; psql starts there.
                database="litellm",
                sql=owner_of_new_database(PHOENIX_DATABASE_USER, PHOENIX_DATABASE),
                provider_class="phoenix-db-master",
            ),
            pulumi.ResourceOptions.merge(
                self._in_namespace, pulumi.ResourceOptions(depends_on=[bootstrap_role, master])
            ),
        )
        phoenix_secrets = self._provider_class(
            "phoenix-secrets",
            [
                {"objectName": secret.arn, "objectType": "secretsmanager", "objectAlias": item}
                for item, secret in secrets.items()
            ],
            sync_to="phoenix-secrets",
        )
        collector_secrets = self._provider_class(
            "otel-collector-secrets",
            [
                {
                    "objectName": secrets["admin-secret"].arn,
                    "objectType": "secretsmanager",
                    "objectAlias": "admin-secret",
                }
            ],
            sync_to="otel-collector-secrets",
        )
        self._phoenix(depends_on=[phoenix_role, phoenix_secrets, bootstrap])
        self._collector(depends_on=[collector_role, collector_secrets])
        self._network_policies()
        self.endpoint = TRACES_ENDPOINT
        self.register_outputs({"endpoint": self.endpoint})

    def _role(self, account: str, description: str, statements: list[Any]) -> PodRole:
        """The role `<prefix>-<account>` of the service account of the same name."""
        return self._identities.role(
            f"{self._name}-{account}",
            role=account,
            service_account=account,
            description=description,
            statements=statements,
        )

    def _provider_class(
        self, name: str, objects: list[dict[str, Any]], *, sync_to: str | None = None
    ) -> k8s.apiextensions.CustomResource:
        """A SecretProviderClass named `name` (and its synced Secret, `sync_to`)."""
        return secret_provider_class(
            f"{self._name}-{name}",
            name,
            NAMESPACE,
            self._args.scope.region,
            objects,
            opts=self._in_namespace,
            sync_to=sync_to,
        )

    def _phoenix(self, depends_on: list[pulumi.Resource]) -> None:
        args = self._args
        from_secret = [
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": "phoenix-secrets", "key": item}},
            }
            for item, (variable, _) in PHOENIX_SECRETS.items()
        ]
        health = {"httpGet": {"path": "/healthz", "port": "http"}}
        container = {
            "name": "phoenix",
            "image": f"{PHOENIX_IMAGE}:{PHOENIX_TAG}",
            "ports": [{"name": "http", "containerPort": PHOENIX_PORT}],
            "env": [
                {"name": "PHOENIX_PORT", "value": str(PHOENIX_PORT)},
                {"name": "PHOENIX_POSTGRES_HOST", "value": args.database_host},
                {"name": "PHOENIX_POSTGRES_PORT", "value": "5432"},
                {"name": "PHOENIX_POSTGRES_USER", "value": PHOENIX_DATABASE_USER},
                {"name": "PHOENIX_POSTGRES_DB", "value": PHOENIX_DATABASE},
                # IAM tokens from its Pod Identity role, over TLS (Phoenix enforces SSL then).
                {"name": "PHOENIX_POSTGRES_USE_AWS_IAM_AUTH", "value": "true"},
                {"name": "AWS_REGION", "value": args.scope.region},
                *(
                    {"name": variable, "value": value}
                    for variable, value in phoenix_settings(args.retention_days).items()
                ),
                {"name": "PHOENIX_WORKING_DIR", "value": f"{SCRATCH}/phoenix"},
                *from_secret,
            ],
            "readinessProbe": {**health, "periodSeconds": 10},
            "livenessProbe": {**health, "periodSeconds": 30, "failureThreshold": 4},
            "resources": {
                "requests": {"cpu": "250m", "memory": "1Gi"},
                "limits": {"memory": "2Gi"},
            },
            "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True},
            "volumeMounts": [
                {"name": "scratch", "mountPath": SCRATCH},
                {"name": "secrets", "mountPath": SECRETS_MOUNT, "readOnly": True},
            ],
        }
        self._deployment(
            "phoenix",
            labels=PHOENIX_LABELS,
            user_id=PHOENIX_USER_ID,
            container=container,
            volumes=[
                csi_volume("secrets", "phoenix-secrets"),
                {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
            ],
            depends_on=depends_on,
        )
        self._service("phoenix", PHOENIX_LABELS, PHOENIX_PORT)

    def _collector(self, depends_on: list[pulumi.Resource]) -> None:
        args = self._args
        config = k8s.core.v1.ConfigMap(
            f"{self._name}-otel-collector-config",
            metadata={"name": "otel-collector", "namespace": NAMESPACE},
            data={
                "config.yaml": yaml.safe_dump(
                    collector_config(args.allowed_tenants, args.gateway_namespace)
                )
            },
            opts=self._in_namespace,
        )
        container = {
            "name": "otel-collector",
            "image": f"{COLLECTOR_IMAGE}:{COLLECTOR_TAG}",
            "args": ["--config=/etc/otelcol/config.yaml"],
            "ports": [
                {"name": "otlp-http", "containerPort": OTLP_HTTP_PORT},
                {"name": "health", "containerPort": HEALTH_PORT},
            ],
            "readinessProbe": {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 10},
            "livenessProbe": {
                "httpGet": {"path": "/", "port": "health"},
                "periodSeconds": 30,
                "failureThreshold": 4,
            },
            "env": [
                {
                    "name": "PHOENIX_API_KEY",
                    "valueFrom": {
                        "secretKeyRef": {"name": "otel-collector-secrets", "key": "admin-secret"}
                    },
                }
            ],
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"memory": "512Mi"},
            },
            "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True},
            "volumeMounts": [
                {"name": "config", "mountPath": "/etc/otelcol", "readOnly": True},
                {"name": "secrets", "mountPath": SECRETS_MOUNT, "readOnly": True},
            ],
        }
        self._deployment(
            "otel-collector",
            labels=COLLECTOR_LABELS,
            user_id=COLLECTOR_USER_ID,
            container=container,
            volumes=[
                {"name": "config", "configMap": {"name": "otel-collector"}},
                csi_volume("secrets", "otel-collector-secrets"),
            ],
            depends_on=[*depends_on, config, self._pod_reader()],
            api_token=True,
        )
        self._service(COLLECTOR_SERVICE, COLLECTOR_LABELS, OTLP_HTTP_PORT)

    def _deployment(
        self,
        name: str,
        *,
        labels: Mapping[str, str],
        user_id: int,
        container: dict[str, Any],
        volumes: list[dict[str, Any]],
        depends_on: list[pulumi.Resource],
        api_token: bool = False,
    ) -> None:
        pod: dict[str, Any] = {
            "serviceAccountName": name,
            "automountServiceAccountToken": api_token,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": user_id,
                "runAsGroup": user_id,
                "fsGroup": user_id,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": volumes,
        }
        metadata: Any = {"name": name, "namespace": NAMESPACE, "labels": dict(labels)}
        spec: Any = {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
        }
        k8s.apps.v1.Deployment(
            f"{self._name}-{name}",
            metadata=metadata,
            spec=spec,
            opts=pulumi.ResourceOptions.merge(
                self._in_namespace, pulumi.ResourceOptions(depends_on=depends_on)
            ),
        )

    def _pod_reader(self) -> pulumi.Resource:
        """Read access to pods and namespaces for the collector's service account, cluster-wide:
        what it needs to name the namespace each span came from."""
        opts = pulumi.ResourceOptions(parent=self, provider=self._args.kubernetes_provider)
        role = k8s.rbac.v1.ClusterRole(
            f"{self._name}-otel-collector-pod-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR_POD_READER),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=[""],
                    resources=["pods", "namespaces"],
                    verbs=["get", "list", "watch"],
                )
            ],
            opts=opts,
        )
        return k8s.rbac.v1.ClusterRoleBinding(
            f"{self._name}-otel-collector-pod-reader-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR_POD_READER),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=COLLECTOR_POD_READER
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name=COLLECTOR_SERVICE, namespace=NAMESPACE
                )
            ],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])),
        )

    def _service(self, name: str, labels: Mapping[str, str], port: int) -> None:
        spec: Any = {
            "type": "ClusterIP",
            "selector": dict(labels),
            "ports": [{"name": "http", "port": port, "targetPort": port}],
        }
        k8s.core.v1.Service(
            f"{self._name}-{name}-service",
            metadata={"name": name, "namespace": NAMESPACE},
            spec=spec,
            opts=self._in_namespace,
        )

    def _network_policies(self) -> None:
        args = self._args
        senders = [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": args.gateway_namespace}
                }
            },
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": TENANT_LABEL, "operator": "Exists"}]
                }
            },
        ]
        collector = {"podSelector": {"matchLabels": COLLECTOR_LABELS}}
        not_the_collector = {
            "matchExpressions": [
                {
                    "key": "app.kubernetes.io/name",
                    "operator": "NotIn",
                    "values": [COLLECTOR_SERVICE],
                }
            ]
        }
        policies: dict[str, dict[str, Any]] = {
            "default-deny": DEFAULT_DENY,
            "allow-senders": {
                "podSelector": {"matchLabels": COLLECTOR_LABELS},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": senders, "ports": [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]}
                ],
            },
            "allow-collector": {
                "podSelector": {"matchLabels": PHOENIX_LABELS},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [collector], "ports": [{"protocol": "TCP", "port": PHOENIX_PORT}]}
                ],
            },
            "allow-egress": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": list(BASE_EGRESS),
            },
            # Phoenix and its bootstrap Job reach Aurora (in the VPC, behind its security
            # group); the collector does not.
            "allow-postgres": {
                "podSelector": not_the_collector,
                "policyTypes": ["Egress"],
                "egress": [{"ports": [{"protocol": "TCP", "port": 5432}]}],
            },
            "allow-collector-egress": {
                "podSelector": {"matchLabels": COLLECTOR_LABELS},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"podSelector": {"matchLabels": PHOENIX_LABELS}}],
                        "ports": [{"protocol": "TCP", "port": PHOENIX_PORT}],
                    },
                    {
                        "to": [{"ipBlock": {"cidr": cidr}} for cidr in args.api_server_cidrs],
                        "ports": [{"protocol": "TCP", "port": 443}],
                    },
                ],
            },
        }
        namespace_network_policies(self._name, NAMESPACE, policies, self._in_namespace)
