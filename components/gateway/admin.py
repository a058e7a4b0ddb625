"""A client for the LiteLLM proxy's admin API: the team and key calls that keep a tenant's
team in the gateway equal to its tenant file.

Requests carry the master key in `x-litellm-api-key`, the proxy's own header for it
(litellm/proxy/_types.py, SpecialHeaders), so a transport can use `Authorization` for itself:
the Kubernetes API server's service proxy authenticates the deployer with it and drops it.
Only the standard library: the dynamic provider that uses this runs in Pulumi's provider
process with the program's virtualenv.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MASTER_KEY_HEADER = "x-litellm-api-key"
TIMEOUT_SECONDS = 30
BUDGET_DURATION = "1mo"
"""Budgets reset monthly, like the tenant's AWS budget (LiteLLM's duration syntax)."""
MANAGED_BY = {"managed_by": "plinth"}
"""Team metadata that marks a team as Plinth's (others are never touched)."""


class GatewayAdminError(RuntimeError):
    """The admin API refused a call or could not be reached; the message says which call."""


@dataclass(frozen=True)
class TeamSettings:
    """What a tenant's team must be: its models, monthly budget and limits."""

    team_id: str
    models: Sequence[str]
    max_budget: float
    rpm_limit: int
    tpm_limit: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The /team/new and /team/update body (NewTeamRequest / UpdateTeamRequest)."""
        return {
            "team_id": self.team_id,
            "team_alias": self.team_id,
            "models": list(self.models),
            "max_budget": self.max_budget,
            "budget_duration": BUDGET_DURATION,
            "rpm_limit": self.rpm_limit,
            "tpm_limit": self.tpm_limit,
            "metadata": {**self.metadata, **MANAGED_BY},
        }

    def differences(self, live: Mapping[str, Any]) -> list[str]:
        """The settings a live team (from /team/info) no longer has, by field name."""
        wanted = self.body()
        found: list[str] = []
        for name in ("models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit"):
            have, want = live.get(name), wanted[name]
            if name == "models":
                have, want = sorted(have or []), sorted(want)
            if have != want:
                found.append(name)
        live_metadata = live.get("metadata") or {}
        if any(live_metadata.get(k) != v for k, v in wanted["metadata"].items()):
            found.append("metadata")
        return found


@dataclass(frozen=True)
class Transport:
    """How requests reach the admin API: a base URL, headers of the transport itself and
    the TLS context for it."""

    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None


class GatewayAdmin:
    """The team and key calls of one gateway, authenticated with its master key."""

    def __init__(self, transport: Transport, master_key: str) -> None:
        self._transport = transport
        self._master_key = master_key

    def team(self, team_id: str) -> dict[str, Any] | None:
        """The team's settings, or None when the gateway has no such team."""
        query = urllib.parse.urlencode({"team_id": team_id})
        found = self._call("GET", f"/team/info?{query}", missing_ok=True)
        if found is None:
            return None
        info = found.get("team_info", found)
        return dict(info) if isinstance(info, Mapping) else None

    def create_team(self, team: TeamSettings) -> None:
        self._call("POST", "/team/new", team.body())

    def update_team(self, team: TeamSettings) -> None:
        self._call("POST", "/team/update", team.body())

    def delete_team(self, team_id: str) -> None:
        self._call("POST", "/team/delete", {"team_ids": [team_id]}, missing_ok=True)

    def generate_key(self, team_id: str, alias: str) -> str:
        """A new virtual key of the team. It names no models of its own, so it may call
        exactly the team's, and the team's budget and limits bind it."""
        created = self._call(
            "POST",
            "/key/generate",
            {"team_id": team_id, "key_alias": alias, "metadata": dict(MANAGED_BY)},
        )
        key = (created or {}).get("key")
        if not isinstance(key, str) or not key:
            raise GatewayAdminError(f"/key/generate for team {team_id!r} returned no key")
        return key

    def key_exists(self, key: str) -> bool:
        query = urllib.parse.urlencode({"key": key})
        return self._call("GET", f"/key/info?{query}", missing_ok=True) is not None

    def delete_key(self, key: str) -> None:
        self._call("POST", "/key/delete", {"keys": [key]}, missing_ok=True)

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        transport = self._transport
        request = urllib.request.Request(
            transport.base_url.rstrip("/") + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                **transport.headers,
                MASTER_KEY_HEADER: self._master_key,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        where = f"{method} {path.split('?', 1)[0]}"
        try:
            with urllib.request.urlopen(
                request, timeout=TIMEOUT_SECONDS, context=transport.tls
            ) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            if missing_ok and _is_missing(error.code, detail):
                return None
            raise GatewayAdminError(f"{where}: HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayAdminError(f"{where}: gateway unreachable: {error}") from None
        decoded = json.loads(payload) if payload else {}
        return decoded if isinstance(decoded, dict) else {"result": decoded}


def _is_missing(status: int, detail: str) -> bool:
    """The proxy answers a missing team or key with 404, or with 400 and 'not found' /
    'doesn't exist' in its message, depending on the route."""
    text = detail.lower()
    return status == 404 or (
        status == 400
        and ("not found" in text or "doesn't exist" in text or "does not exist" in text)
    )
