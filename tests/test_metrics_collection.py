"""How each cluster's metrics reach the workspace: the managed collector's scrape configuration
on EKS and the Prometheus agent on CoreWeave, both checked by Prometheus's own `promtool`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROLE_POLICY, iam_findings, named, of_type, one

from components.observability.collection import CLOUD_DCGM_POD, scrape_configuration
from plinth.engine import Preview

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ROLE = "aws:iam/role:Role"
WORKSPACE = "aws:amp/workspace:Workspace"


def _promtool(
    config: dict[str, Any], folder: Path, *, agent: bool
) -> subprocess.CompletedProcess[str]:
    """`promtool check config` on a configuration. Debian builds Prometheus without Kubernetes
    service discovery, so each job's `kubernetes_sd_configs` is checked as a static target
    list; everything else (relabelling, authorization, TLS, remote write with SigV4, what
    agent mode refuses) is checked as written."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: run `make test-tools` (Debian's prometheus package)"
    checked = {
        **config,
        "scrape_configs": [
            {
                **{k: v for k, v in job.items() if k != "kubernetes_sd_configs"},
                "static_configs": [{"targets": ["discovered:80"]}],
            }
            for job in config["scrape_configs"]
        ],
    }
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(checked, sort_keys=False))
    # --syntax-only: the service-account token the jobs read exists only in a pod.
    command = [promtool, "check", "config", "--syntax-only", *(["--agent"] if agent else [])]
    return subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=30, check=False
    )


def _promtool_check(config: dict[str, Any], folder: Path, *, agent: bool) -> str:
    """The check's output; the test fails with it when promtool refuses the configuration."""
    done = _promtool(config, folder, agent=agent)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_managed_collectors_configuration_is_valid_prometheus(tmp_path: Path) -> None:
    config = scrape_configuration("gpu", 30)
    assert "is valid" in _promtool_check(config, tmp_path, agent=False)
    assert [job["job_name"] for job in config["scrape_configs"]] == [
        "kube-state-metrics",
        "dcgm-exporter",
        "kueue",
        "vllm",
        "llm-gateway",
    ]
    # AMP refuses tls_config in a managed collector's configuration.
    assert "tls_config" not in json.dumps(config)


def _agent_config(preview: Preview) -> dict[str, Any]:
    """The agent's prometheus.yml as the coreweave stack's ConfigMap holds it."""
    config_map = named(preview, CONFIG_MAP, "plinth-cw-train-metrics-agent-config")
    assert config_map.plain_inputs["metadata"] == {
        "name": "prometheus-agent-config",  # <release>-<configMapOverrideName>
        "namespace": "plinth-metrics",
    }
    loaded: dict[str, Any] = yaml.safe_load(config_map.plain_inputs["data"]["prometheus.yml"])
    return loaded


def test_the_agents_configuration_is_valid_for_prometheus_in_agent_mode(
    coreweave_preview: Preview, tmp_path: Path
) -> None:
    config = _agent_config(coreweave_preview)
    _promtool_check(config, tmp_path, agent=True)
    assert [job["job_name"] for job in config["scrape_configs"]] == [
        "kube-state-metrics",
        "dcgm-exporter",
        "kueue",
        "vllm",
        "llm-gateway",
    ]
    assert set(config) == {"global", "scrape_configs", "remote_write"}
    values = named(
        coreweave_preview, RELEASE, "plinth-cw-train-metrics-agent-prometheus"
    ).plain_inputs["values"]
    # The chart mounts this ConfigMap and renders no configuration of its own.
    assert values["server"]["configMapOverrideName"] == "config"
    assert values["alertmanager"] == {"enabled": False}


def test_promtool_refuses_what_agent_mode_refuses(
    coreweave_preview: Preview, tmp_path: Path
) -> None:
    """The check above can fail: the chart's default rule files would break an agent."""
    config = {**_agent_config(coreweave_preview), "rule_files": ["/etc/config/alerts.yml"]}
    done = _promtool(config, tmp_path, agent=True)
    assert done.returncode != 0
    assert "agent" in (done.stdout + done.stderr).lower()


@pytest.mark.parametrize(
    ("labels", "kept"),
    [
        ("nvidia-dcgm-exporter;;9400", True),  # the GPU operator's exporter
        (";dcgm-exporter;9400", True),  # NVIDIA's own manifest
        (";nvidia-dcgm-exporter;9400", True),
        ("nvidia-dcgm-exporter;;8080", False),  # another port of it
        ("vllm;;9400", False),  # someone else's pod on 9400
        (";;9400", False),
    ],
)
def test_the_cloud_run_dcgm_exporter_is_found_by_its_labels(labels: str, kept: bool) -> None:
    # Prometheus anchors relabel regexes at both ends, as re.fullmatch does (RE2 and Python
    # agree on this syntax).
    assert (re.fullmatch(CLOUD_DCGM_POD, labels) is not None) is kept


def test_a_coreweave_cluster_writes_through_an_agent_with_web_identity(
    coreweave_preview: Preview,
) -> None:
    role = one(coreweave_preview, ROLE, "train-metrics-agent")
    role_arn = "arn:aws:iam::123456789012:role/plinth-cw-train-metrics-agent"
    assert role.plain_inputs["name"] == role_arn.rsplit("/", 1)[1]
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    provider = one(coreweave_preview, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.urn in role.property_dependencies["assumeRolePolicy"]
    assert re.fullmatch(
        r"arn:aws:iam::123456789012:oidc-provider/.+", statement["Principal"]["Federated"]
    )
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = statement["Condition"]["StringEquals"]
    assert sorted(conditions.values()) == sorted(
        ["system:serviceaccount:plinth-metrics:prometheus-agent", "sts.amazonaws.com"]
    )
    assert all(key.endswith((":sub", ":aud")) for key in conditions)

    workspace = one(coreweave_preview, WORKSPACE)
    (policy,) = of_type(coreweave_preview, ROLE_POLICY, "train-metrics-agent")
    assert workspace.urn in policy.property_dependencies["policy"]
    (grant,) = json.loads(policy.plain_inputs["policy"])["Statement"]
    assert grant["Action"] == ["aps:RemoteWrite"]
    assert re.fullmatch(
        r"arn:aws:aps:us-east-1:123456789012:workspace/ws-[0-9a-f-]{36}", grant["Resource"]
    )
    assert iam_findings(policy.plain_inputs["policy"]) == []

    values = named(
        coreweave_preview, RELEASE, "plinth-cw-train-metrics-agent-prometheus"
    ).plain_inputs["values"]
    server = values["server"]
    assert server["defaultFlagsOverride"][0] == "--agent"
    (remote_write,) = _agent_config(coreweave_preview)["remote_write"]
    assert re.fullmatch(
        r"https://aps-workspaces\.us-east-1\.amazonaws\.com/workspaces/ws-[0-9a-f-]{36}"
        r"/api/v1/remote_write",
        remote_write["url"],
    )
    assert grant["Resource"].rsplit("/", 1)[1] in remote_write["url"]
    assert remote_write["sigv4"] == {"region": "us-east-1"}
    env = {e["name"]: e["value"] for e in server["env"]}
    assert env["AWS_ROLE_ARN"] == role_arn
    (volume,) = server["extraVolumes"]
    (source,) = volume["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "sts.amazonaws.com"
    (mount,) = server["extraVolumeMounts"]
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == f"{mount['mountPath']}/token"
    assert values["serviceAccounts"]["server"]["name"] == "prometheus-agent"


def test_nothing_reaches_the_agent_and_it_reaches_only_aws_and_the_cluster(
    coreweave_preview: Preview,
) -> None:
    policies = {
        p.plain_inputs["metadata"]["name"]: p.plain_inputs["spec"]
        for p in of_type(coreweave_preview, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.plain_inputs["metadata"]["namespace"] == "plinth-metrics"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert set(policies) == {"default-deny", "allow-egress"}
    egress = policies["allow-egress"]["egress"]
    public = next(rule for rule in egress if rule["ports"] == [{"protocol": "TCP", "port": 443}])
    assert public["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert "10.0.0.0/8" in public["to"][0]["ipBlock"]["except"]
    namespace = named(
        coreweave_preview, "kubernetes:core/v1:Namespace", "plinth-cw-train-metrics-agent-namespace"
    )
    labels = namespace.plain_inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
