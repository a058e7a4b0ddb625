"""A tenant's team in the LLM gateway as a Pulumi resource: `pulumi up` creates the team with
the tenant file's models, monthly budget and limits, issues its virtual key, updates the team
when the file changes, repairs it when someone edited or deleted it by hand (drift is checked
against the live gateway on every preview and refresh), and deletes team and key with the
tenant.

A dynamic provider: Pulumi runs it in the program's virtualenv with the deployer's AWS
credentials. It reads the master key from Secrets Manager at each call and keeps it nowhere;
the team's virtual key is a secret output, encrypted in state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pulumi
import pulumi.dynamic

from components.gateway.admin import (
    GatewayAdmin,
    GatewayAdminError,
    TeamSettings,
    Transport,
)
from components.gateway.transport import eks_transport

TEAM_FIELDS = ("team_id", "models", "max_budget", "rpm_limit", "tpm_limit", "metadata")
"""Inputs that describe the team itself; a change updates it in place (team_id replaces)."""


@dataclass(frozen=True)
class GatewayConnection:
    """Where the gateway's admin API is and where its master key lives.

    With `admin_url` the API is called directly (a runner inside the VPC, or a test on
    loopback); otherwise through the EKS API server's service proxy.
    """

    master_key_secret_arn: pulumi.Input[str]
    region: str
    cluster_name: pulumi.Input[str] = ""
    cluster_endpoint: pulumi.Input[str] = ""
    cluster_certificate_authority: pulumi.Input[str] = ""
    namespace: str = ""
    service: str = ""
    port: int = 4000
    admin_url: str = ""


@dataclass(frozen=True)
class GatewayTeamArgs:
    """A tenant's team: the gateway models it may call, its monthly budget and limits."""

    connection: GatewayConnection
    team_id: str
    models: list[str]
    max_budget: float
    rpm_limit: int
    tpm_limit: int
    metadata: dict[str, Any]


def _admin(props: dict[str, Any]) -> GatewayAdmin:
    region = str(props["region"])
    session = boto3.Session(region_name=region)
    secret = session.client("secretsmanager").get_secret_value(
        SecretId=props["master_key_secret_arn"]
    )
    transport = (
        Transport(base_url=str(props["admin_url"]))
        if props.get("admin_url")
        else eks_transport(
            endpoint=str(props["cluster_endpoint"]),
            certificate_authority=str(props["cluster_certificate_authority"]),
            cluster_name=str(props["cluster_name"]),
            region=region,
            namespace=str(props["namespace"]),
            service=str(props["service"]),
            port=int(props["port"]),
            session=session,
        )
    )
    return GatewayAdmin(transport, str(secret["SecretString"]))


def _settings(props: dict[str, Any]) -> TeamSettings:
    return TeamSettings(
        team_id=str(props["team_id"]),
        models=[str(m) for m in props["models"]],
        max_budget=float(props["max_budget"]),
        rpm_limit=int(props["rpm_limit"]),
        tpm_limit=int(props["tpm_limit"]),
        metadata=dict(props.get("metadata") or {}),
    )


def _key_alias(team_id: str) -> str:
    return f"{team_id}-plinth"


class GatewayTeamProvider(pulumi.dynamic.ResourceProvider):
    """Create, update, read (drift) and delete a team and its key through the admin API."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        admin, team = _admin(props), _settings(props)
        if admin.team(team.team_id) is None:
            admin.create_team(team)
        else:
            # A team of that ID survived a failed run or was made by hand: take it over.
            admin.update_team(team)
        key = admin.generate_key(team.team_id, _key_alias(team.team_id))
        return pulumi.dynamic.CreateResult(id_=team.team_id, outs={**props, "key": key})

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [name for name in TEAM_FIELDS if olds.get(name) != news.get(name)]
        replaces = ["team_id"] if "team_id" in changed else []
        if not changed:
            changed = self._drift(olds, news)
        return pulumi.dynamic.DiffResult(
            changes=bool(changed), replaces=replaces, delete_before_replace=True
        )

    def _drift(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """What the live gateway no longer matches: hand edits, a deleted team or key.
        Unreachable (the gateway is being created, or the network is down): no drift is
        claimed, and the next run looks again."""
        try:
            admin = _admin(news)
            live = admin.team(str(news["team_id"]))
            key = str(olds.get("key") or "")
            key_gone = not key or not admin.key_exists(key)
        except GatewayAdminError:
            return []
        if live is None:
            return ["team"]
        return _settings(news).differences(live) + (["key"] if key_gone else [])

    def update(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        admin, team = _admin(news), _settings(news)
        if admin.team(team.team_id) is None:
            admin.create_team(team)
        else:
            admin.update_team(team)
        key = str(olds.get("key") or "")
        if not key or not admin.key_exists(key):
            key = admin.generate_key(team.team_id, _key_alias(team.team_id))
        return pulumi.dynamic.UpdateResult(outs={**news, "key": key})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """Refresh: the team as the gateway has it (so `pulumi refresh` shows hand edits);
        a team deleted by hand reads as gone, and the next `pulumi up` creates it again."""
        live = _admin(props).team(id_)
        if live is None:
            return pulumi.dynamic.ReadResult(id_=None, outs={})
        seen = {name: live[name] for name in TEAM_FIELDS if name in live and name != "metadata"}
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, **seen})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        admin = _admin(props)
        if props.get("key"):
            admin.delete_key(str(props["key"]))
        admin.delete_team(id_)


class GatewayTeam(pulumi.dynamic.Resource):
    """A tenant's team and virtual key in the LLM gateway (see the module docstring)."""

    key: pulumi.Output[str]
    """The team's virtual key (secret in state); budget and limits bind it."""

    def __init__(
        self, name: str, args: GatewayTeamArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        connection = args.connection
        props: dict[str, Any] = {
            "team_id": args.team_id,
            "models": list(args.models),
            "max_budget": args.max_budget,
            "rpm_limit": args.rpm_limit,
            "tpm_limit": args.tpm_limit,
            "metadata": dict(args.metadata),
            "master_key_secret_arn": connection.master_key_secret_arn,
            "region": connection.region,
            "cluster_name": connection.cluster_name,
            "cluster_endpoint": connection.cluster_endpoint,
            "cluster_certificate_authority": connection.cluster_certificate_authority,
            "namespace": connection.namespace,
            "service": connection.service,
            "port": connection.port,
            "admin_url": connection.admin_url,
            "key": None,
        }
        super().__init__(
            GatewayTeamProvider(),
            name,
            props,
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["key"])
            ),
        )
