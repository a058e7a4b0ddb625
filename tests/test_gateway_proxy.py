"""The gateway's configuration in the real LiteLLM proxy (the pinned release, from PyPI, in its
own virtualenv: `make test-tools`), on loopback.

The proxy loads exactly the document `proxy_config` renders for the chart, with only the
addresses changed: the served models point at fake OpenAI-compatible backends, the platform
guardrail at a fake Bedrock ApplyGuardrail endpoint that checks the request path the way the
API does and intervenes on one word. The proxy runs without a database: teams and virtual
keys need PostgreSQL through Prisma, whose engines download only from binaries.prisma.sh,
which this machine cannot reach (the team resource is tested against a loopback admin API in
test_gateway.py). Everything the proxy does with the configuration itself is real: model
routing, fallbacks, refusal of unknown models and keys, and the guardrail on served models.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import yaml
from servers import (
    Backend,
    litellm_proxy,
    loopback_environment,
    model_server,
    reply,
    serve,
)

from components.gateway.config import (
    PLATFORM_GUARDRAIL,
    REQUEST_LOG_PREFIX,
    GuardrailRef,
    ProxySettings,
    RequestLogStore,
    proxy_config,
)

pytestmark = pytest.mark.e2e

MASTER_KEY = "sk-plinth-test-master"
GUARDRAIL_ARN = "arn:aws:bedrock:us-east-1:123456789012:guardrail/g1a2b3c4d5e6"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
LLAMA, MISTRAL = "llama-3-1-8b", "mistral-7b"
BLOCKED_WORD = "project-nightingale"
LOG_BUCKET = "plinth-test-bedrock-logs"
LOG_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
APPLY_PATH = re.compile(r"^/guardrail/([a-z0-9]+)/version/(\d+|DRAFT)/apply$")
"""ApplyGuardrail's path with a guardrail ID (an ARN would have to be URL-encoded)."""


def guardrail_server() -> Backend:
    """Bedrock's ApplyGuardrail: 404 on a malformed path, an intervention on BLOCKED_WORD."""

    class Guardrail(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.server.backend.received.append(  # type: ignore[attr-defined]
                {"path": self.path, "auth": self.headers.get("Authorization", ""), **body}
            )
            if not APPLY_PATH.match(self.path):
                return reply(self, 404, {"message": "UnknownOperationException"})
            if BLOCKED_WORD in json.dumps(body):
                blocked = {"customWords": [{"match": BLOCKED_WORD, "action": "BLOCKED"}]}
                return reply(
                    self,
                    200,
                    {
                        "action": "GUARDRAIL_INTERVENED",
                        "outputs": [{"text": "Sorry, the model cannot answer this."}],
                        "assessments": [{"wordPolicy": blocked}],
                    },
                )
            return reply(self, 200, {"action": "NONE", "outputs": [], "assessments": []})

    return serve(Guardrail)


def log_store_server() -> Backend:
    """S3's PutObject for the request log bucket: keeps each object's key, encryption headers
    and records."""

    class Store(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.server.backend.received.append(  # type: ignore[attr-defined]
                {
                    "path": self.path,
                    "encryption": self.headers.get("x-amz-server-side-encryption"),
                    "key": self.headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
                    "body": body.decode(),
                }
            )
            self.send_response(200)
            self.send_header("ETag", '"0"')
            self.send_header("Content-Length", "0")
            self.end_headers()

    return serve(Store)


@dataclass
class Proxy:
    url: str
    models: dict[str, Backend]
    guardrail: Backend
    log_store: Backend

    def call(self, model: str, prompt: str, key: str = MASTER_KEY) -> tuple[int, Any]:
        body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
        request = urllib.request.Request(
            f"{self.url}/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def configuration(
    models: dict[str, Backend], guardrail: Backend, log_store: Backend
) -> dict[str, Any]:
    """The chart's proxy_config for a stack with two Bedrock and two served models and a
    request log store, the served models, the guardrail and the store pointed at the fakes
    (addresses only; the logger also flushes each record at once instead of batching)."""
    settings = ProxySettings(
        region="us-east-1",
        bedrock_region="us-east-1",
        bedrock_models=[SONNET, TITAN],
        guardrail=GuardrailRef(GUARDRAIL_ARN, "3"),
        served_models=list(models),
        fallbacks={LLAMA: [MISTRAL]},
        request_log=RequestLogStore(LOG_BUCKET, "us-east-1", LOG_KEY),
        metrics=True,
    )
    config = proxy_config(settings)
    config["litellm_settings"]["s3_callback_params"].update(
        s3_endpoint_url=log_store.url, s3_flush_interval=1, s3_batch_size=1
    )
    for entry in config["model_list"]:
        if entry["model_name"] in models:
            entry["litellm_params"]["api_base"] = f"{models[entry['model_name']].url}/v1"
    (platform_guardrail,) = config["guardrails"]
    platform_guardrail["litellm_params"]["aws_bedrock_runtime_endpoint"] = guardrail.url
    return config


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    models = {
        LLAMA: model_server(LLAMA, failing=True),
        MISTRAL: model_server(MISTRAL, failing=False),
    }
    guardrail, log_store = guardrail_server(), log_store_server()
    folder = tmp_path_factory.mktemp("litellm")
    config_file = folder / "config.yaml"
    config_file.write_text(yaml.safe_dump(configuration(models, guardrail, log_store)))
    environment = loopback_environment(
        folder,
        PROXY_MASTER_KEY=MASTER_KEY,
        # Signed guardrail calls with throwaway credentials; nothing leaves loopback.
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        AWS_SECRET_ACCESS_KEY="not-a-secret",
        AWS_REGION="us-east-1",
    )
    try:
        with litellm_proxy(config_file, environment, folder) as url:
            yield Proxy(url, models, guardrail, log_store)
    finally:
        for backend in [*models.values(), guardrail, log_store]:
            backend.server.shutdown()


def _models(proxy: Proxy) -> list[str]:
    request = urllib.request.Request(
        f"{proxy.url}/v1/models", headers={"Authorization": f"Bearer {MASTER_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return sorted(model["id"] for model in json.loads(response.read())["data"])


def test_the_generated_configuration_loads_with_every_model(proxy: Proxy) -> None:
    assert _models(proxy) == sorted([SONNET, TITAN, LLAMA, MISTRAL])


def test_a_served_model_answers_through_the_platform_guardrail(proxy: Proxy) -> None:
    checked = len(proxy.guardrail.received)
    status, answer = proxy.call(MISTRAL, "What is a GPU?")
    assert status == 200, answer
    assert answer["choices"][0]["message"]["content"] == f"hello from {MISTRAL}"
    calls = proxy.guardrail.received[checked:]
    assert {call["source"] for call in calls} == {"INPUT", "OUTPUT"}
    prompt = next(call for call in calls if call["source"] == "INPUT")
    assert prompt["content"] == [{"text": {"text": "What is a GPU?"}}]
    assert all(APPLY_PATH.match(call["path"]) for call in calls)
    assert {APPLY_PATH.match(call["path"]).groups() for call in calls} == {  # type: ignore[union-attr]
        (GUARDRAIL_ARN.rsplit("/", 1)[-1], "3")
    }
    assert all(call["auth"].startswith("AWS4-HMAC-SHA256 ") for call in calls)


def test_the_guardrail_stops_a_prompt_before_the_model_sees_it(proxy: Proxy) -> None:
    status, answer = proxy.call(MISTRAL, f"Tell me about {BLOCKED_WORD}")
    assert status == 400, answer
    assert answer["error"]["provider_specific_fields"]["guardrail_name"] == PLATFORM_GUARDRAIL
    assert not any(BLOCKED_WORD in json.dumps(body) for body in proxy.models[MISTRAL].received)


def test_a_failing_served_model_falls_back_to_the_next(proxy: Proxy) -> None:
    tried = len(proxy.models[LLAMA].received)
    status, answer = proxy.call(LLAMA, "Summarise this")
    assert status == 200, answer
    assert answer["choices"][0]["message"]["content"] == f"hello from {MISTRAL}"
    assert len(proxy.models[LLAMA].received) > tried


def test_a_model_outside_the_configuration_is_refused(proxy: Proxy) -> None:
    status, answer = proxy.call("gpt-4o", "hi")
    assert status == 400
    assert "gpt-4o" in answer["error"]["message"]


def test_a_call_with_an_unknown_key_is_refused(proxy: Proxy) -> None:
    # Without a database the proxy cannot look a virtual key up, and says so (400).
    status, answer = proxy.call(MISTRAL, "an unauthorised call", key="sk-someone-else")
    assert status in (400, 401), answer
    assert not any("unauthorised" in json.dumps(body) for body in proxy.models[MISTRAL].received)


def test_each_request_is_logged_encrypted_and_without_its_messages(proxy: Proxy) -> None:
    prompt = "Which GPU runs the eight billion parameter model?"
    status, answer = proxy.call(MISTRAL, prompt)
    assert status == 200, answer
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = [o for o in proxy.log_store.received if answer["id"] in o["body"]]
        if records:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no request record reached the log store: {proxy.log_store.received}")
    (stored,) = records
    assert stored["path"].startswith(f"/{LOG_BUCKET}/{REQUEST_LOG_PREFIX}/")
    assert (stored["encryption"], stored["key"]) == ("aws:kms", LOG_KEY)
    record = json.loads(stored["body"])
    assert record["model_group"] == MISTRAL
    assert record["total_tokens"] == 7
    assert record["metadata"]["applied_guardrails"] == [PLATFORM_GUARDRAIL]
    assert prompt not in stored["body"]
    assert f"hello from {MISTRAL}" not in stored["body"]
    assert record["messages"] == [{"role": "user", "content": "redacted-by-litellm"}]


def test_the_collector_reads_the_metrics_without_a_key(proxy: Proxy) -> None:
    """The stack's collector scrapes /metrics/ with its EKS identity, not a LiteLLM key: the
    configuration must let it in, and the series the alerts read must be there."""
    status, _ = proxy.call(MISTRAL, "count me")
    assert status == 200
    with urllib.request.urlopen(f"{proxy.url}/metrics/", timeout=30) as response:
        assert response.status == 200
        text = response.read().decode()
    assert "litellm_proxy_total_requests_metric_total" in text
    assert "litellm_guardrail_requests_total" in text
