"""The metrics sidecar of a model server pod: NGINX answering vLLM's `/metrics` on a port of its
own, and nothing else, so metrics collectors can be let in without reaching the model."""

from __future__ import annotations

from typing import Any

from components.gateway.bootstrap import RESTRICTED_CONTAINER
from components.serving.contract import METRICS_PORT, MODEL_PORT

# Confirmed: nginx/docker-nginx-unprivileged at e26803b (2026-07-15): stable is 1.30.4
# (stable/alpine-slim/Dockerfile), and .github/workflows/alpine-stable.yml publishes
# `<major>.<minor>.<patch>-alpine-slim` to Docker Hub's nginxinc/nginx-unprivileged.
PROXY_IMAGE = "nginxinc/nginx-unprivileged"
PROXY_TAG = "1.30.4-alpine-slim"
PROXY_USER = 101
"""The image's unprivileged `nginx` user."""
CONFIG_DIRECTORY = "/etc/nginx/conf.d"
SCRATCH = "/tmp"
"""Where the image keeps its pid file and temporary files: an emptyDir, the root is read-only."""


def proxy_config(listen_port: int = METRICS_PORT, model_port: int = MODEL_PORT) -> str:
    """The sidecar's server block: GET (and HEAD) `/metrics` from vLLM on the pod's loopback;
    every other path and method refused."""
    return f"""server {{
    listen {listen_port};
    location = /metrics {{
        limit_except GET {{
            deny all;
        }}
        proxy_pass http://127.0.0.1:{model_port}/metrics;
    }}
    location / {{
        return 404;
    }}
}}
"""


def metrics_sidecar(config_map: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sidecar container (port `metrics`), and the volumes it mounts: its configuration
    from the ConfigMap `config_map` (key `default.conf`) and a scratch directory."""
    container = {
        "name": "metrics",
        "image": f"{PROXY_IMAGE}:{PROXY_TAG}",
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
        # Whether NGINX listens, not whether vLLM answers yet (the model server's own probes
        # say that; an HTTP probe here would fail while the model loads).
        "readinessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 30},
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"memory": "32Mi"},
        },
        "securityContext": {
            **RESTRICTED_CONTAINER,
            "readOnlyRootFilesystem": True,
            "runAsUser": PROXY_USER,
            "runAsGroup": PROXY_USER,
        },
        "volumeMounts": [
            {"name": "metrics-config", "mountPath": CONFIG_DIRECTORY, "readOnly": True},
            {"name": "metrics-scratch", "mountPath": SCRATCH},
        ],
    }
    volumes = [
        {"name": "metrics-config", "configMap": {"name": config_map}},
        {"name": "metrics-scratch", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    return container, volumes
