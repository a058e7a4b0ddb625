"""The gateway's traces end to end, on loopback: the real LiteLLM proxy (the gateway's own
configuration, `proxy_config` with a trace export) sends its OpenTelemetry spans to a real
Phoenix server (the pinned release, `make test-tools`) with authentication on, backed by a
real PostgreSQL; the test reads the spans back through Phoenix's REST API.

One stand-in: the proxy's key table lives in PostgreSQL through Prisma, whose engines this
machine cannot download (see test_gateway_proxy.py), so a `custom_auth` hook maps two test
keys to the teams `pulumi up` would create for two tenants: `search` (internal data, allowed
to keep its messages) and `fraud-detection` (confidential). Everything after the key lookup
is the proxy's own code: redaction, the opt-out header, span attributes, the OTLP exporter.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import (
    Backend,
    Postgres,
    free_port,
    litellm_proxy,
    loopback_environment,
    model_server,
    postgres_server,
    stop,
    wait_until_alive,
)
from support import ROOT

from components.gateway.config import (
    REDACTION_OPT_OUT_HEADER,
    ProxySettings,
    TraceExport,
    proxy_config,
    team_metadata,
    trace_environment,
)
from components.observability.traces import phoenix_settings

pytestmark = pytest.mark.e2e

PHOENIX = ROOT / ".tools" / "phoenix" / "bin" / "phoenix"
MODEL = "mistral-7b"
PROJECT = "plinth-gateway"
MASTER_KEY = "sk-plinth-test-master"
# Phoenix's secrets: 32+ characters with a digit and a lowercase letter, and different.
PHOENIX_SECRET = "plinth-test-jwt-signing-secret-0123456789"
ADMIN_SECRET = "plinth-test-admin-bearer-secret-9876543210"
ADMIN_PASSWORD = "Plinth-test-first-admin-7"
TEAM_KEYS = {
    "sk-search-team": ("search", True),
    "sk-fraud-team": ("fraud-detection", False),
}
"""Test key -> (tenant, whether its data classification lets it keep messages)."""
CUSTOM_AUTH = """
from litellm.proxy._types import UserAPIKeyAuth

TEAMS = {teams!r}


async def user_api_key_auth(request, api_key):
    tenant, metadata = TEAMS[api_key]
    return UserAPIKeyAuth(
        api_key=api_key, team_id=tenant, team_alias=tenant, team_metadata=metadata,
        models=[{model!r}],
    )
"""


@dataclass(frozen=True)
class TraceStore:
    url: str
    database: Postgres
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_ready(self) -> None:
        wait_until_alive(f"{self.url}/healthz", self.process, self.log, "Phoenix")

    def spans(self) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.url}/v1/projects/{PROJECT}/spans?limit=100",
            headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data: list[dict[str, Any]] = json.loads(response.read())["data"]
                return data
        except urllib.error.HTTPError as error:
            if error.code == 404:  # the project appears with its first span
                return []
            raise


@contextmanager
def _phoenix_started(folder: Path, postgres: Postgres) -> Iterator[TraceStore]:
    """Phoenix on a free port, started but not yet waited for (the proxy starts meanwhile):
    call `_ready` before using it."""
    assert PHOENIX.is_file(), "run `make test-tools` (the Phoenix server's virtualenv)"
    postgres.create_database("phoenix")
    port = free_port()
    environment = loopback_environment(
        folder,
        PHOENIX_SQL_DATABASE_URL=postgres.url("phoenix"),
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(free_port()),
        PHOENIX_WORKING_DIR=str(folder / "work"),
        PHOENIX_SECRET=PHOENIX_SECRET,
        PHOENIX_ADMIN_SECRET=ADMIN_SECRET,
        PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD=ADMIN_PASSWORD,
        # The trace store's own settings, as its Deployment sets them.
        **phoenix_settings(retention_days=30),
    )
    log_file = folder / "phoenix.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [str(PHOENIX), "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield TraceStore(f"http://127.0.0.1:{port}", postgres, process, log_file)
        finally:
            stop(process)


@dataclass
class Gateway:
    url: str
    model: Backend

    def call(self, key: str, prompt: str, *, keep_messages: bool = False) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if keep_messages:
            headers[REDACTION_OPT_OUT_HEADER] = "true"
        body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
        request = urllib.request.Request(
            f"{self.url}/v1/chat/completions", data=json.dumps(body).encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer


def _export(trace_store: TraceStore) -> TraceExport:
    return TraceExport(f"{trace_store.url}/v1/traces", PROJECT)


def _configuration(model: Backend, trace_store: TraceStore) -> dict[str, Any]:
    """The gateway's configuration with one served model and a trace export, the model and
    the trace endpoint pointed at loopback, and the key-table stand-in."""
    settings = ProxySettings(
        region="us-east-1",
        bedrock_region="us-east-1",
        bedrock_models=[],
        guardrail=None,
        served_models=[MODEL],
        traces=_export(trace_store),
    )
    config = proxy_config(settings)
    (entry,) = config["model_list"]
    entry["litellm_params"]["api_base"] = f"{model.url}/v1"
    config["general_settings"]["custom_auth"] = "team_keys.user_api_key_auth"
    return config


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraceStore, Gateway]]:
    """PostgreSQL, then Phoenix and the proxy starting side by side (the proxy only needs
    Phoenix's address until it sends its first span)."""
    model = model_server(MODEL)
    folder = tmp_path_factory.mktemp("gateway")
    teams = {
        key: (tenant, team_metadata(tenant, 1000.0, log_messages))
        for key, (tenant, log_messages) in TEAM_KEYS.items()
    }
    (folder / "team_keys.py").write_text(CUSTOM_AUTH.format(teams=teams, model=MODEL))
    try:
        with (
            postgres_server() as postgres,
            _phoenix_started(tmp_path_factory.mktemp("phoenix"), postgres) as trace_store,
        ):
            config_file = folder / "config.yaml"
            config_file.write_text(yaml.safe_dump(_configuration(model, trace_store)))
            environment = loopback_environment(
                folder,
                PROXY_MASTER_KEY=MASTER_KEY,
                PYTHONPATH=str(folder),
                # The chart's environment for the export: where the spans go, their project.
                **trace_environment(_export(trace_store)),
                # In the cluster the collector holds this credential; here the proxy sends
                # directly.
                PHOENIX_API_KEY=ADMIN_SECRET,
                OTEL_BSP_SCHEDULE_DELAY="200",  # export each span within 0.2 s, not 5 s
            )
            with litellm_proxy(config_file, environment, folder) as url:
                trace_store.wait_until_ready()
                yield trace_store, Gateway(url, model)
    finally:
        model.server.shutdown()


@pytest.fixture(scope="module")
def trace_store(servers: tuple[TraceStore, Gateway]) -> TraceStore:
    return servers[0]


@pytest.fixture(scope="module")
def gateway(servers: tuple[TraceStore, Gateway]) -> Gateway:
    return servers[1]


def _spans_of(trace_store: TraceStore, response_id: str) -> list[dict[str, Any]]:
    """The spans of one request (they carry the model's response ID), waiting for the
    exporter's batch to arrive."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        spans = [
            span
            for span in trace_store.spans()
            if span["attributes"].get("llm.response.id") == response_id
        ]
        if spans:
            return spans
        time.sleep(1)
    pytest.fail(f"no span of {response_id} reached Phoenix")


def test_a_confidential_tenants_prompt_is_redacted_even_when_its_client_asks_to_keep_it(
    gateway: Gateway, trace_store: TraceStore
) -> None:
    prompt = "Is account 4111-1111 fraudulent?"
    answer = gateway.call("sk-fraud-team", prompt, keep_messages=True)
    spans = _spans_of(trace_store, answer["id"])
    for span in spans:
        attributes = span["attributes"]
        assert attributes["litellm.team_id"] == "fraud-detection"
        assert attributes["llm.token_count.prompt"] == 3
        assert attributes["llm.token_count.completion"] == 4
        assert attributes["llm.model_name"] == MODEL
        assert prompt not in json.dumps(attributes)
        assert f"hello from {MODEL}" not in json.dumps(attributes)
        assert attributes["input.value"] == "redacted-by-litellm"


def test_a_tenant_allowed_to_keep_messages_keeps_them_when_its_client_asks(
    gateway: Gateway, trace_store: TraceStore
) -> None:
    prompt = "Which index serves the product search?"
    kept = _spans_of(trace_store, gateway.call("sk-search-team", prompt, keep_messages=True)["id"])
    assert {span["attributes"]["litellm.team_id"] for span in kept} == {"search"}
    assert all(span["attributes"]["input.value"] == prompt for span in kept)
    assert all(
        span["attributes"]["llm.output_messages.0.message.content"] == f"hello from {MODEL}"
        for span in kept
    )
    # Without the header, the same tenant's messages stay redacted: keeping them is opt-in.
    default = _spans_of(trace_store, gateway.call("sk-search-team", prompt)["id"])
    assert all(span["attributes"]["input.value"] == "redacted-by-litellm" for span in default)


def test_the_trace_store_refuses_readers_without_credentials(trace_store: TraceStore) -> None:
    request = urllib.request.Request(f"{trace_store.url}/v1/projects/{PROJECT}/spans")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401


def test_the_spans_are_stored_in_postgresql(gateway: Gateway, trace_store: TraceStore) -> None:
    answer = gateway.call("sk-search-team", "Where do the spans go?")
    (span, *_) = _spans_of(trace_store, answer["id"])
    stored = trace_store.database.query(
        "phoenix",
        f"SELECT count(*) FROM spans WHERE attributes->'llm'->'response'->>'id' = '{answer['id']}'",
    )
    assert stored == [str(len(_spans_of(trace_store, answer["id"])))]
    assert span["attributes"]["litellm.team_id"] == "search"


def _login(trace_store: TraceStore, password: str) -> int:
    request = urllib.request.Request(
        f"{trace_store.url}/auth/login",
        data=json.dumps({"email": "admin@localhost", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_first_admin_signs_in_with_the_generated_password_only(
    trace_store: TraceStore,
) -> None:
    # The Deployment passes this variable from the generated secret; Phoenix's default is
    # `admin`, which must not work.
    assert _login(trace_store, "admin") == 401
    assert _login(trace_store, ADMIN_PASSWORD) in (200, 204)
