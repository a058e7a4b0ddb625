"""Metrics collection on an EKS cluster: kube-state-metrics, and the AWS managed collector
(an Amazon Managed Service for Prometheus scraper) that reads it, the GPU operator's DCGM
exporter, Kueue and the LLM gateway, and writes them to the stack's workspace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from components.cluster.contract import POOL_LABEL
from components.cluster.software import GPU_OPERATOR_NAMESPACE, KUEUE_NAMESPACE, SYSTEM_TOLERATIONS
from components.iam import Statement, policy_document
from components.scope import AwsScope
from components.serving.contract import SERVING_NAMESPACE

KUBE_STATE_METRICS_CHART = "kube-state-metrics"
# Confirmed: prometheus-community/helm-charts charts/kube-state-metrics/Chart.yaml at cf408a29
# (2026-08-22): version 8.4.0, appVersion 2.20.0.
KUBE_STATE_METRICS_VERSION = "8.4.0"
KUBE_STATE_METRICS_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
KUBE_STATE_METRICS_NAMESPACE = "kube-system"
DCGM_SERVICE = "nvidia-dcgm-exporter"
"""The GPU operator's exporter Service (port `gpu-metrics`, 9400), with pod and namespace
attribution on (DCGM_EXPORTER_KUBERNETES=true in the operator's DaemonSet, confirmed in
NVIDIA/gpu-operator v25.10.1 assets/state-dcgm-exporter)."""
KUEUE_METRICS_SERVICE = ".+-controller-manager-metrics-service"
"""Kueue's metrics Service, named after its release (`kueue-...` from the upstream chart; the
cloud's own chart may name it differently)."""
CLOUD_DCGM_POD = r"(nvidia-dcgm-exporter;[^;]*|[^;]*;(nvidia-)?dcgm-exporter);9400"
"""A DCGM exporter pod the cloud runs (label `app` or `app.kubernetes.io/name`, port 9400: the
GPU operator's and NVIDIA's own manifests): its Service is not documented."""
GATEWAY_NAMESPACE = "plinth-gateway"
GATEWAY_POD_NAME = "litellm"
SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
"""The token the managed collector presents, as its EKS identity (AMP's default configuration
reads the API server with it)."""

# The collector writes into a workspace encrypted with a customer managed key only through a
# role configuration: it assumes the source role, which assumes the target role that may
# write ("Creating scraper for workspaces enabled with customer managed keys", AMP user guide).
SCRAPER_PRINCIPAL = "scraper.aps.amazonaws.com"
REMOTE_WRITE_ACTIONS = ("aps:RemoteWrite",)


def scrape_configuration(
    cluster_name: str,
    interval_seconds: int,
    *,
    gpu_operator_managed_by_cloud: bool = False,
    skip_kueue_certificate_check: bool = False,
) -> dict[str, Any]:
    """The Prometheus configuration of a cluster's collector: each job keeps one Service's
    endpoints (or the gateway's or the DCGM exporter's pods) and labels its series with the
    cluster. Where the cloud runs the GPU operator, its DCGM exporter is found by its pods'
    labels. `skip_kueue_certificate_check` is for an in-cluster Prometheus, which checks
    certificates by default: Kueue's metrics endpoint serves a self-signed one."""

    def job(name: str, keep: Sequence[str], regex: str, **settings: Any) -> dict[str, Any]:
        return {
            "job_name": name,
            "kubernetes_sd_configs": [{"role": settings.pop("role", "endpoints")}],
            "relabel_configs": [
                {"source_labels": list(keep), "regex": regex, "action": "keep"},
                {"target_label": "cluster", "replacement": cluster_name},
            ],
            **settings,
        }

    endpoint = ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name"]
    port = "__meta_kubernetes_endpoint_port_name"
    # honor_labels: DCGM's own `namespace` and `pod` name the GPU's workload (the tenant), not
    # the exporter's pod.
    dcgm = (
        job(
            "dcgm-exporter",
            [
                "__meta_kubernetes_pod_label_app",
                "__meta_kubernetes_pod_label_app_kubernetes_io_name",
                "__meta_kubernetes_pod_container_port_number",
            ],
            CLOUD_DCGM_POD,
            role="pod",
            honor_labels=True,
        )
        if gpu_operator_managed_by_cloud
        else job(
            "dcgm-exporter",
            [*endpoint, port],
            f"{GPU_OPERATOR_NAMESPACE};{DCGM_SERVICE};gpu-metrics",
            honor_labels=True,
        )
    )
    # Kueue's metrics need a caller allowed to GET /metrics: AMP's access entry for the managed
    # collector grants it, the agent's chart its ClusterRole. No tls_config for the managed
    # collector: AMP's list of the configuration it accepts leaves it out, and a refused
    # configuration fails CreateScraper. The agent skips the certificate check (Kueue's is
    # self-signed, its CA not published): the token goes to the endpoints the API server
    # lists for Kueue's Service, which only those who may write to kueue-system can change.
    kueue_tls = (
        {"tls_config": {"insecure_skip_verify": True}} if skip_kueue_certificate_check else {}
    )
    return {
        "global": {"scrape_interval": f"{interval_seconds}s"},
        "scrape_configs": [
            job(
                "kube-state-metrics",
                [*endpoint, port],
                f"{KUBE_STATE_METRICS_NAMESPACE};{KUBE_STATE_METRICS_CHART};http",
            ),
            dcgm,
            job(
                "kueue",
                endpoint,
                f"{KUEUE_NAMESPACE};{KUEUE_METRICS_SERVICE}",
                scheme="https",
                authorization={"credentials_file": SERVICE_ACCOUNT_TOKEN},
                **kueue_tls,
            ),
            # The model servers' metrics sidecars (vLLM's /metrics alone): the model's own port
            # admits the gateway only.
            job(
                "vllm",
                ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_port_name"],
                f"{SERVING_NAMESPACE};metrics",
                role="pod",
            ),
            job(
                "llm-gateway",
                [
                    "__meta_kubernetes_namespace",
                    "__meta_kubernetes_pod_label_app_kubernetes_io_name",
                    "__meta_kubernetes_pod_container_port_number",
                ],
                f"{GATEWAY_NAMESPACE};{GATEWAY_POD_NAME};4000",
                role="pod",
                metrics_path="/metrics/",
            ),
        ],
    }


def kube_state_metrics(
    name: str,
    provider: k8s.Provider,
    parent: pulumi.Resource,
    *,
    after: Sequence[pulumi.Resource] = (),
) -> k8s.helm.v3.Release:
    """kube-state-metrics (pinned chart) on the system nodes, never on GPU nodes, exporting
    the nodes' `plinth.dev/gpu-pool` label so GPU use adds up per pool."""
    return k8s.helm.v3.Release(
        name,
        name=KUBE_STATE_METRICS_CHART,
        chart=KUBE_STATE_METRICS_CHART,
        version=KUBE_STATE_METRICS_VERSION,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=KUBE_STATE_METRICS_REPOSITORY),
        namespace=KUBE_STATE_METRICS_NAMESPACE,
        create_namespace=False,
        values={
            "metricLabelsAllowlist": [f"nodes=[{POOL_LABEL}]"],
            "tolerations": list(SYSTEM_TOLERATIONS),
            "resources": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"memory": "256Mi"},
            },
        },
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(after)),
    )


@dataclass(frozen=True)
class ClusterMetricsArgs:
    """Inputs of a ClusterMetrics (one per EKS cluster)."""

    scope: AwsScope
    name_prefix: str
    cluster_name: str
    """The cluster's name in the stack (the `cluster` label of its series)."""
    cluster_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets in at least two zones: the collector puts an interface in each."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """The cluster's security group, which its nodes and pods accept traffic from."""
    workspace_arn: pulumi.Input[str]
    interval_seconds: int
    kubernetes_provider: k8s.Provider
    tags: Mapping[str, str]
    ready: Sequence[pulumi.Resource] = ()
    """Cluster resources kube-state-metrics waits for."""


class ClusterMetrics(pulumi.ComponentResource):
    """Metrics of one EKS cluster into the stack's workspace:

    - kube-state-metrics (pinned chart, on the system nodes, never on GPU nodes), exporting
      the nodes' `plinth.dev/gpu-pool` label so GPU use adds up per pool;
    - the AWS managed collector, scraping kube-state-metrics, the DCGM exporter (GPU use per
      tenant namespace and pod), Kueue (admission, queueing, quota), the gateway (requests,
      tokens, spend and budgets per team) and the served models' vLLM servers (queue depth,
      KV cache, time to first token). AMP creates the collector's EKS access entry itself
      (clusters in API authentication mode);
    - the two roles the collector needs to write into a workspace encrypted with a customer
      managed key: a source role only the collectors of this account assume, and a target role
      only that source role assumes, with `sts:ExternalId` set to a collector of this account,
      that may write to this one workspace and nothing else.

    The served models' vLLM servers are scraped through their metrics sidecars (their own port
    admits only the gateway's pods).
    """

    scraper: aws.amp.Scraper

    def __init__(
        self, name: str, args: ClusterMetricsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:observability:ClusterMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kube_state_metrics(
            f"{name}-kube-state-metrics", args.kubernetes_provider, self, after=args.ready
        )
        scope = args.scope
        collectors = scope.arn("aps", "scraper/*")
        source = aws.iam.Role(
            f"{name}-collector-source",
            description=f"AMP managed collector of {args.cluster_name}: the role it starts from",
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": SCRAPER_PRINCIPAL},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            # The collector's own ARN does not exist before the roles do.
                            "ArnLike": {"aws:SourceArn": collectors},
                            "StringEquals": {"aws:SourceAccount": scope.account_id},
                        },
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )
        target = aws.iam.Role(
            f"{name}-collector-target",
            description=f"AMP managed collector of {args.cluster_name}: writes to the workspace",
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": source.arn},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringLike": {"sts:ExternalId": collectors}},
                    }
                ]
            ),
            tags=dict(args.tags),
            opts=child,
        )
        assumes = aws.iam.RolePolicy(
            f"{name}-collector-source-assumes-target",
            role=source.id,
            policy=policy_document(
                [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target.arn}]
            ),
            opts=child,
        )
        writes: list[Statement] = [
            {
                "Effect": "Allow",
                "Action": list(REMOTE_WRITE_ACTIONS),
                "Resource": args.workspace_arn,
            }
        ]
        may_write = aws.iam.RolePolicy(
            f"{name}-collector-target-writes",
            role=target.id,
            policy=policy_document(writes),
            opts=child,
        )
        self.scraper = aws.amp.Scraper(
            name,
            alias=f"{args.name_prefix}-{args.cluster_name}",
            source={
                "eks": {
                    "cluster_arn": args.cluster_arn,
                    "subnet_ids": list(args.subnet_ids),
                    "security_group_ids": list(args.security_group_ids),
                }
            },
            destination={"amp": {"workspace_arn": args.workspace_arn}},
            role_configuration={"source_role_arn": source.arn, "target_role_arn": target.arn},
            scrape_configuration=yaml.safe_dump(
                scrape_configuration(args.cluster_name, args.interval_seconds), sort_keys=False
            ),
            tags=dict(args.tags),
            # Its first writes go through the roles: their policies first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[assumes, may_write]),
        )
        self.register_outputs({"scraperArn": self.scraper.arn})
