"""Loopback servers for the end-to-end tests: fakes that record what they receive, and real
PostgreSQL and LiteLLM processes, each bounded in time and bound to 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from glob import glob
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
from support import ROOT

LITELLM = ROOT / ".tools" / "litellm" / "bin" / "litellm"
START_SECONDS = 120
"""How long a real server may take to answer its health route before the test fails."""


@dataclass
class Backend:
    """A fake server and what it received."""

    server: ThreadingHTTPServer
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def reply(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def serve(handler: type[BaseHTTPRequestHandler]) -> Backend:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    backend = Backend(server)
    server.backend = backend  # type: ignore[attr-defined]
    Thread(target=server.serve_forever, daemon=True).start()
    return backend


def model_server(name: str, *, failing: bool = False) -> Backend:
    """vLLM's chat completions route, answering as `name` (or failing with a 500)."""

    class Model(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.server.backend.received.append(body)  # type: ignore[attr-defined]
            if failing:
                return reply(self, 500, {"error": {"message": "model server down"}})
            usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
            message = {"role": "assistant", "content": f"hello from {name}"}
            return reply(
                self,
                200,
                {
                    "id": f"chatcmpl-{name}-{len(self.server.backend.received)}",  # type: ignore[attr-defined]
                    "object": "chat.completion",
                    "created": 1,
                    "model": body["model"],
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": usage,
                },
            )

    return serve(Model)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_alive(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    """Until `url` answers 2xx, failing the test if the process exits or START_SECONDS pass."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{what} did not start in {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def loopback_environment(home: Path, **extra: str) -> dict[str, str]:
    """A server's environment: this machine's PATH, its own HOME, no proxy for loopback."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost",
        **extra,
    }


@contextmanager
def litellm_proxy(config_file: Path, environment: Mapping[str, str], folder: Path) -> Iterator[str]:
    """The real LiteLLM proxy on a free loopback port, with `config_file`; yields its URL."""
    assert LITELLM.is_file(), "run `make test-tools` (the LiteLLM proxy's virtualenv)"
    port = free_port()
    log_file = folder / "proxy.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [
                str(LITELLM),
                "--config",
                str(config_file),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_alive(f"{url}/health/liveliness", process, log_file, "the proxy")
            yield url
        finally:
            stop(process)


def postgres_program(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    assert found, f"{name} not found: run `make test-tools` (Debian's postgresql package)"
    return found


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass(frozen=True)
class Postgres:
    """A PostgreSQL server on loopback that trusts local connections (a throwaway cluster)."""

    port: int

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def _client(self, program: str) -> list[str]:
        return [
            postgres_program(program),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
        ]

    def query(self, database: str, sql: str) -> list[str]:
        """The rows of one query, each as its columns joined by `|`."""
        result = subprocess.run(
            [*self._client("psql"), "-d", database, "-At", "-c", sql],
            check=True,
            timeout=30,
            capture_output=True,
            text=True,
        )
        return result.stdout.splitlines()

    def run_script(self, database: str, script: str) -> None:
        """A psql script (psql's own commands included) as the superuser, stopping at the
        first error."""
        subprocess.run(
            [*self._client("psql"), "-d", database, "--no-psqlrc", "-v", "ON_ERROR_STOP=1"],
            input=script,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        )

    def create_database(self, name: str) -> None:
        subprocess.run(
            [*self._client("createdb"), name],
            check=True,
            timeout=30,
        )


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A fresh cluster (initdb) in its own temporary directory, which Debian's `postgres` user
    can reach when the tests run as root (pytest's are private to root), started on a free
    loopback port; stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="plinth-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    control = [postgres_program("pg_ctl"), "-D", str(data), "-o", options]
    try:
        for command in (
            [postgres_program("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            [*control, "-l", str(folder / "server.log"), "-w", "start"],
        ):
            done = subprocess.run(
                _as_postgres_user(command),
                check=False,  # the assertion below shows the program's own words
                timeout=120,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}{done.stderr}"
        yield Postgres(port)
    finally:
        subprocess.run(
            _as_postgres_user([*control, "-m", "fast", "-w", "stop"]),
            timeout=60,
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
