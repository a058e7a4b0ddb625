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
import yaml

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
CONFIG_SUFFIX = "config"
"""The agent's configuration is the ConfigMap `<release>-config`, which Plinth writes whole
(the chart's `server.configMapOverrideName`): none of the chart's default scrape jobs (AMP
bills per sample) or rule files (agent mode refuses them; a null value in Helm values cannot
remove them, as Pulumi drops nulls before Helm sees them)."""
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
        kube_state_metrics(
            f"{name}-kube-state-metrics", args.kubernetes_provider, self, after=args.ready
        )
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
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={
                "name": f"{AGENT_SERVICE_ACCOUNT}-{CONFIG_SUFFIX}",
                "namespace": AGENT_NAMESPACE,
            },
            data=pulumi.Output.from_input(args.remote_write_url).apply(
                lambda url: {
                    "prometheus.yml": yaml.safe_dump(
                        agent_config(
                            args.cluster_name,
                            args.interval_seconds,
                            remote_write_url=url,
                            region=args.region,
                        ),
                        sort_keys=False,
                    )
                }
            ),
            opts=in_namespace,
        )
        k8s.helm.v3.Release(
            f"{name}-prometheus",
            name=AGENT_SERVICE_ACCOUNT,
            chart=PROMETHEUS_CHART,
            version=PROMETHEUS_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=PROMETHEUS_REPOSITORY),
            namespace=AGENT_NAMESPACE,
            create_namespace=False,
            values=self.role.arn.apply(lambda arn: agent_values(role_arn=arn, region=args.region)),
            # It writes as soon as it starts: its configuration and grant first.
            opts=pulumi.ResourceOptions.merge(
                in_namespace, pulumi.ResourceOptions(depends_on=[writes, config])
            ),
        )
        self.register_outputs({"role": self.role.arn})


def agent_config(
    cluster_name: str, interval_seconds: int, *, remote_write_url: str, region: str
) -> dict[str, Any]:
    """The agent's whole prometheus.yml: the platform's scrape jobs (the cloud's own DCGM
    exporter found by its pods), remote write to the workspace signed with SigV4. Nothing of
    the chart's default configuration (its rule files would stop an agent)."""
    scrape = scrape_configuration(
        cluster_name,
        interval_seconds,
        gpu_operator_managed_by_cloud=True,
        skip_kueue_certificate_check=True,
    )
    return {
        **scrape,
        "remote_write": [{"url": remote_write_url, "sigv4": {"region": region}}],
    }


def agent_values(*, role_arn: str, region: str) -> dict[str, Any]:
    """The prometheus chart's values for an agent that reads its configuration from the
    ConfigMap `<release>-config` and writes to AMP with web identity."""
    token_file = f"{TOKEN_DIRECTORY}/token"
    return {
        "alertmanager": {"enabled": False},
        "kube-state-metrics": {"enabled": False},
        "prometheus-node-exporter": {"enabled": False},
        "prometheus-pushgateway": {"enabled": False},
        "serviceAccounts": {"server": {"create": True, "name": AGENT_SERVICE_ACCOUNT}},
        "configmapReload": {
            "prometheus": {"containerSecurityContext": _restricted_container()},
        },
        "server": {
            # The chart then renders no configuration of its own and mounts ours.
            "configMapOverrideName": CONFIG_SUFFIX,
            # The chart's default flags include TSDB retention, which agent mode refuses.
            "defaultFlagsOverride": [
                "--agent",
                "--config.file=/etc/config/prometheus.yml",
                "--storage.agent.path=/data",
                "--web.enable-lifecycle",
            ],
            "persistentVolume": {"enabled": False},
            "env": [
                {"name": "AWS_ROLE_ARN", "value": role_arn},
                {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": token_file},
                {"name": "AWS_REGION", "value": region},
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
