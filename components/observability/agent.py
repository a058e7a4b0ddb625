"""Metrics collection where the AWS managed collector cannot reach (CoreWeave clusters): a
Prometheus server in agent mode on the cluster, scraping what the managed collector scrapes on
EKS and remote-writing it to the stack's workspace with a role it assumes by web identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.software import SYSTEM_TOLERATIONS
from components.gateway.bootstrap import RESTRICTED_CONTAINER
from components.gateway.network import (
    BASE_EGRESS,
    DEFAULT_DENY,
    PRIVATE_RANGES,
    PUBLIC_HTTPS,
    namespace_network_policies,
    restricted_namespace,
)
from components.iam import WEB_IDENTITY_AUDIENCE, policy_document, web_identity_trust_statement
from components.observability.collection import (
    REMOTE_WRITE_ACTIONS,
    kube_state_metrics,
    scrape_configuration,
)

PROMETHEUS_CHART = "prometheus"
# Confirmed: prometheus-community/helm-charts charts/prometheus/Chart.yaml at cf408a29
# (2026-08-22): version 29.27.0, appVersion v3.14.0 (agent mode is `--agent` in Prometheus 3).
PROMETHEUS_VERSION = "29.27.0"
PROMETHEUS_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
AGENT_NAMESPACE = "plinth-metrics"
AGENT_SERVICE_ACCOUNT = "prometheus-agent"
TOKEN_DIRECTORY = "/var/run/secrets/sts.amazonaws.com/serviceaccount"
"""Where the agent's projected token for STS is mounted (the path EKS's webhook uses)."""
TOKEN_SECONDS = 86400
"""The projected token's lifetime; the kubelet renews it at 80% of that."""
CHART_DEFAULT_JOBS = (
    "prometheus",
    "kubernetes-api-servers",
    "kubernetes-nodes",
    "kubernetes-nodes-cadvisor",
    "kubernetes-service-endpoints",
    "kubernetes-service-endpoints-slow",
    "prometheus-pushgateway",
    "kubernetes-services",
    "kubernetes-pods",
    "kubernetes-pods-slow",
)
"""The chart's own scrape jobs (values.yaml `scrapeConfigs`), all turned off: the agent
scrapes what the platform's alerts and dashboards read, no more (AMP bills per sample)."""
SCRAPE_PORTS = (443, 6443, 8080, 8443, 9400)
"""The API server (service discovery), kube-state-metrics, Kueue and DCGM exporter ports."""


@dataclass(frozen=True)
class ClusterMetricsAgentArgs:
    """Inputs of a ClusterMetricsAgent (one per CoreWeave cluster)."""

    name_prefix: str
    cluster_name: str
    """The cluster's name in the stack (the `cluster` label of its series)."""
    kubernetes_provider: k8s.Provider
    ready: list[pulumi.Resource]
    oidc_provider_arn: pulumi.Input[str]
    """The IAM OIDC provider trusting the cluster's service-account tokens."""
    oidc_issuer_url: pulumi.Input[str]
    workspace_arn: pulumi.Input[str]
    remote_write_url: pulumi.Input[str]
    region: str
    interval_seconds: int
    tags: Mapping[str, str]


class ClusterMetricsAgent(pulumi.ComponentResource):
    """Metrics of one cluster outside AWS into the stack's workspace:

    - kube-state-metrics, as on EKS;
    - Prometheus (pinned chart) in agent mode in `plinth-metrics` (`restricted` Pod
      Security): no local queries, rules or alerts (those run in the workspace), a write-ahead
      log on an emptyDir as its only storage. It scrapes kube-state-metrics, the DCGM exporter
      the cloud runs (found by its pods' labels), and Kueue, and remote-writes with SigV4;
    - an IAM role only the agent's service account on this cluster may assume (web identity
      through the cluster's OIDC provider, audience STS), allowed `aps:RemoteWrite` on this one
      workspace. The workspace's key needs no grant: AMP decrypts through its own;
    - NetworkPolicies: nothing may reach the agent; it may reach DNS, AWS's public HTTPS
      endpoints (STS, AMP), and the API server and scrape ports inside the cluster.
    """

    role: aws.iam.Role

    def __init__(
        self, name: str, args: ClusterMetricsAgentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:observability:ClusterMetricsAgent", name, None, opts)
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=args.ready
        )
        kube_state_metrics(f"{name}-kube-state-metrics", args.kubernetes_provider, self)
        self.role = aws.iam.Role(
            name,
            name=f"{args.name_prefix}-{args.cluster_name}-metrics-agent",
            description=f"Prometheus agent on {args.cluster_name}: writes to the workspace",
            assume_role_policy=policy_document(
                [
                    web_identity_trust_statement(
                        "AssumedByTheMetricsAgent",
                        args.oidc_provider_arn,
                        args.oidc_issuer_url,
                        namespace=AGENT_NAMESPACE,
                        service_account=AGENT_SERVICE_ACCOUNT,
                    )
                ]
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        writes = aws.iam.RolePolicy(
            f"{name}-writes",
            role=self.role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": list(REMOTE_WRITE_ACTIONS),
                        "Resource": args.workspace_arn,
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        namespace = restricted_namespace(f"{name}-namespace", AGENT_NAMESPACE, on_cluster)
        in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        namespace_network_policies(
            name,
            AGENT_NAMESPACE,
            {
                "default-deny": DEFAULT_DENY,
                "allow-egress": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        BASE_EGRESS[0],  # DNS; no Pod Identity agent outside EKS
                        PUBLIC_HTTPS,
                        {
                            "to": [{"ipBlock": {"cidr": cidr}} for cidr in PRIVATE_RANGES],
                            "ports": [{"protocol": "TCP", "port": p} for p in SCRAPE_PORTS],
                        },
                    ],
                },
            },
            in_namespace,
        )
        k8s.helm.v3.Release(
            f"{name}-prometheus",
            name=AGENT_SERVICE_ACCOUNT,
            chart=PROMETHEUS_CHART,
            version=PROMETHEUS_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=PROMETHEUS_REPOSITORY),
            namespace=AGENT_NAMESPACE,
            create_namespace=False,
            values=pulumi.Output.all(self.role.arn, args.remote_write_url).apply(
                lambda resolved: agent_values(
                    args.cluster_name,
                    args.interval_seconds,
                    role_arn=resolved[0],
                    remote_write_url=resolved[1],
                    region=args.region,
                )
            ),
            # It writes as soon as it starts: its grant first.
            opts=pulumi.ResourceOptions.merge(
                in_namespace, pulumi.ResourceOptions(depends_on=[writes])
            ),
        )
        self.register_outputs({"role": self.role.arn})


def agent_values(
    cluster_name: str, interval_seconds: int, *, role_arn: str, remote_write_url: str, region: str
) -> dict[str, Any]:
    """The prometheus chart's values for an agent that writes to AMP with web identity."""
    scrape = scrape_configuration(
        cluster_name,
        interval_seconds,
        gpu_operator_managed_by_cloud=True,
        skip_kueue_certificate_check=True,
    )
    token_file = f"{TOKEN_DIRECTORY}/token"
    return {
        "alertmanager": {"enabled": False},
        "kube-state-metrics": {"enabled": False},
        "prometheus-node-exporter": {"enabled": False},
        "prometheus-pushgateway": {"enabled": False},
        "serviceAccounts": {"server": {"create": True, "name": AGENT_SERVICE_ACCOUNT}},
        "scrapeConfigs": {job: {"enabled": False} for job in CHART_DEFAULT_JOBS},
        # Agent mode refuses rule files, alerting and remote read.
        "serverFiles": {
            "prometheus.yml": {"rule_files": None, "scrape_configs": scrape["scrape_configs"]}
        },
        "configmapReload": {
            "prometheus": {"containerSecurityContext": _restricted_container()},
        },
        "server": {
            # The chart's default flags include TSDB retention, which agent mode refuses.
            "defaultFlagsOverride": [
                "--agent",
                "--config.file=/etc/config/prometheus.yml",
                "--storage.agent.path=/data",
                "--web.enable-lifecycle",
            ],
            "global": scrape["global"],
            "remoteWrite": [{"url": remote_write_url, "sigv4": {"region": region}}],
            "persistentVolume": {"enabled": False},
            "env": [
                {"name": "AWS_ROLE_ARN", "value": role_arn},
                {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": token_file},
                {"name": "AWS_REGION", "value": region},
                {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
            ],
            "extraVolumes": [
                {
                    "name": "aws-token",
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "audience": WEB_IDENTITY_AUDIENCE,
                                    "expirationSeconds": TOKEN_SECONDS,
                                    "path": "token",
                                }
                            }
                        ]
                    },
                }
            ],
            "extraVolumeMounts": [
                {"name": "aws-token", "mountPath": TOKEN_DIRECTORY, "readOnly": True}
            ],
            "containerSecurityContext": _restricted_container(),
            "tolerations": list(SYSTEM_TOLERATIONS),
            "resources": {
                "requests": {"cpu": "100m", "memory": "512Mi"},
                "limits": {"memory": "1Gi"},
            },
            "service": {"type": "ClusterIP"},
        },
    }


def _restricted_container() -> dict[str, Any]:
    return {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True}
