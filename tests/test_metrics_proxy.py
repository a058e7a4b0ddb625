"""The model servers' metrics sidecar, run as a real NGINX (Debian's `nginx-light`, installed by
`make test-tools`) in front of a fake vLLM on loopback: `/metrics` passes, the model's API does
not. And the collector and the NetworkPolicy that let it in."""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from servers import Backend, free_port, serve, stop, wait_until_alive
from support import one

from components.observability.collection import scrape_configuration
from components.serving.metrics_proxy import proxy_config
from plinth.engine import Preview

METRICS = b"# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting 0.0\n"


def _vllm() -> Backend:
    """vLLM's routes as far as the sidecar is concerned: `/metrics`, and everything else."""

    class Vllm(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self) -> None:
            self.server.backend.received.append({"method": self.command, "path": self.path})  # type: ignore[attr-defined]
            body = METRICS if self.path == "/metrics" else b'{"object": "list"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    return serve(Vllm)


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Backend]]:
    """NGINX with the sidecar's server block (ports moved to free ones) in front of a fake
    vLLM; the surrounding nginx.conf is the unprivileged image's, reduced to what runs here."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx not found: run `make test-tools` (Debian's nginx-light)"
    folder = tmp_path_factory.mktemp("nginx")
    vllm = _vllm()
    port = free_port()
    model_port = int(vllm.url.rsplit(":", 1)[1])
    (folder / "default.conf").write_text(proxy_config(port, model_port))
    (folder / "nginx.conf").write_text(
        f"""daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {folder}/client;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/default.conf;
}}
"""
    )
    log = folder / "nginx.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_alive(f"http://127.0.0.1:{port}/metrics", process, log, "nginx")
        yield f"http://127.0.0.1:{port}", vllm
    finally:
        stop(process)
        vllm.server.shutdown()


def _status(url: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.mark.e2e
def test_the_sidecar_answers_vllms_metrics(sidecar: tuple[str, Backend]) -> None:
    url, _ = sidecar
    assert _status(f"{url}/metrics") == (200, METRICS)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
        ("POST", "/invocations"),  # vLLM's SageMaker-style route, unauthenticated
        ("POST", "/tokenize"),
        ("GET", "/metrics/../v1/models"),
        ("POST", "/metrics"),
    ],
)
def test_nothing_else_of_vllm_passes(sidecar: tuple[str, Backend], method: str, path: str) -> None:
    url, vllm = sidecar
    before = len(vllm.received)
    status, _ = _status(f"{url}{path}", method)
    assert status in {403, 404}
    assert len(vllm.received) == before, f"{method} {path} reached the model server"


def test_the_collector_scrapes_the_sidecars_only() -> None:
    config = scrape_configuration("gpu", 30)
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "vllm"]
    keep = job["relabel_configs"][0]
    assert keep["source_labels"] == [
        "__meta_kubernetes_namespace",
        "__meta_kubernetes_pod_container_port_name",
    ]
    assert keep["regex"] == "plinth-models;metrics"


def test_model_pods_admit_the_collectors_subnets_on_the_sidecars_port_only(
    dev_preview: Preview,
) -> None:
    policy = one(
        dev_preview, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-metrics-scrape"
    ).plain_inputs["spec"]
    (rule,) = policy["ingress"]
    assert rule == {
        "from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 8081}],
    }
    deployment = one(dev_preview, "kubernetes:apps/v1:Deployment", "model-llama-3-1-8b")
    containers = deployment.plain_inputs["spec"]["template"]["spec"]["containers"]
    sidecar = next(c for c in containers if c["name"] == "metrics")
    assert sidecar["ports"] == [{"name": "metrics", "containerPort": 8081}]
    assert sidecar["securityContext"]["readOnlyRootFilesystem"] is True
    vllm = next(c for c in containers if c["name"] == "vllm")
    assert vllm["ports"] == [{"name": "http", "containerPort": 8000}]
