"""Aurora's IAM sign-in, in front of a real PostgreSQL on loopback.

Aurora with IAM database authentication asks a client for a cleartext password and accepts
only an RDS authentication token: a SigV4-presigned `connect` request for the database user,
the cluster's endpoint and port, signed for `rds-db` in the cluster's region within the
last 15 minutes. No cloud is reachable here, so this front plays that part: it speaks
PostgreSQL's start-up protocol, asks for the password, checks the token with its own SigV4
computation (not botocore's signer) against the test's credentials, then hands the
connection to a real PostgreSQL (which trusts loopback) or refuses it with the error Aurora
sends. TLS is not offered (the client must allow plaintext: sslmode `prefer`).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
CLEARTEXT_PASSWORD = 3
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
"""botocore's SigV4QueryAuth (which generate_db_auth_token uses) signs an empty body's hash."""


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    region: str


def _key(secret: str, date: str, region: str) -> bytes:
    signing = f"AWS4{secret}".encode()
    for part in (date, region, "rds-db", "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    return signing


def token_problem(
    token: str, user: str, endpoint: str, credentials: Credentials, now: datetime
) -> str | None:
    """Why Aurora would refuse `token` for `user` at `endpoint` (`host:port`), or None."""
    host, separator, query = token.partition("/?")
    if not separator:
        return "not an RDS authentication token"
    params = dict(parse_qsl(query, keep_blank_values=True))
    expected = {"Action": "connect", "DBUser": user, "X-Amz-Algorithm": "AWS4-HMAC-SHA256"}
    for name, value in expected.items():
        if params.get(name) != value:
            return f"{name} is {params.get(name)!r}, not {value!r}"
    if host != endpoint:
        return f"signed for {host!r}, not the endpoint {endpoint!r}"
    access_key, date, region, service, terminal = params.get("X-Amz-Credential", "").split("/")
    if (access_key, region, service, terminal) != (
        credentials.access_key,
        credentials.region,
        "rds-db",
        "aws4_request",
    ):
        return f"credential scope {params.get('X-Amz-Credential')!r} is not this cluster's"
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if not signed_at <= now + timedelta(minutes=5) or now > signed_at + timedelta(
        seconds=int(params.get("X-Amz-Expires", "0"))
    ):
        return f"signed at {signed_at:%H:%M:%S}, not valid at {now:%H:%M:%S}"
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(params.items())
        if k != "X-Amz-Signature"
    )
    canonical = "\n".join(
        ["GET", "/", canonical_query, f"host:{host}", "", "host", EMPTY_PAYLOAD_HASH]
    )
    scope = f"{date}/{region}/rds-db/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    signature = hmac.new(
        _key(credentials.secret_key, date, region), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(signature, params.get("X-Amz-Signature", "")):
        return "the signature does not match"
    return None


def _read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _startup(client: socket.socket) -> bytes:
    """The client's StartupMessage, declining TLS and GSSAPI encryption first."""
    while True:
        (length,) = struct.unpack("!i", _read_exactly(client, 4))
        body = _read_exactly(client, length - 4)
        (code,) = struct.unpack("!i", body[:4])
        if code in (SSL_REQUEST, GSS_REQUEST):
            client.sendall(b"N")
            continue
        return struct.pack("!i", length) + body


def _parameters(startup: bytes) -> dict[str, str]:
    fields = startup[8:].split(b"\0")
    return {
        fields[i].decode(): fields[i + 1].decode()
        for i in range(0, len(fields) - 1, 2)
        if fields[i]
    }


def _refusal(message: str) -> bytes:
    # Aurora's answer to a bad token: FATAL, SQLSTATE 28P01 (invalid_password).
    body = b"SFATAL\0C28P01\0M" + message.encode() + b"\0\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@dataclass
class IamFront:
    """Where clients connect (`port`) and what the front saw: (user, database) of accepted
    sign-ins, (user, reason) of refused ones."""

    port: int
    upstream_port: int
    credentials: Credentials
    accepted: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve(self, client: socket.socket) -> None:
        with client:
            try:
                startup = _startup(client)
                parameters = _parameters(startup)
                client.sendall(b"R" + struct.pack("!ii", 8, CLEARTEXT_PASSWORD))
                kind, length = struct.unpack("!ci", _read_exactly(client, 5))
                password = _read_exactly(client, length - 4).rstrip(b"\0").decode()
            except (ConnectionError, OSError, struct.error):
                return
            user = parameters.get("user", "")
            problem = (
                token_problem(password, user, self.endpoint, self.credentials, datetime.now(UTC))
                if kind == b"p"
                else "no password message"
            )
            if problem:
                self.refused.append((user, problem))
                client.sendall(_refusal(f'PAM authentication failed for user "{user}"'))
                return
            self.accepted.append((user, parameters.get("database", user)))
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
                upstream.sendall(startup)
                back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                back.start()
                _pipe(client, upstream)
                back.join(timeout=5)


@contextmanager
def iam_front(upstream_port: int, credentials: Credentials) -> Iterator[IamFront]:
    """The front on a free loopback port, for the duration of the block."""
    listener = socket.create_server(("127.0.0.1", 0))
    front = IamFront(listener.getsockname()[1], upstream_port, credentials)
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=front.serve, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        stopping.set()
        listener.close()
        thread.join(timeout=5)
