"""How `pulumi up` reaches a gateway that is internal only: through the EKS cluster's API
server, which proxies to the gateway's ClusterIP service (`.../services/<svc>:<port>/proxy`),
authenticated as the deployer with the same kind of token `aws eks get-token` makes. The
deployer already talks to that API server to install the gateway's chart, so no port, load
balancer or VPN is opened for administration.
"""

from __future__ import annotations

import base64
import ssl
from typing import Any

import boto3

from components.gateway.admin import Transport

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
TOKEN_LIFETIME_SECONDS = 60
"""EKS accepts the presigned GetCallerIdentity URL for 15 minutes at most; a call needs less."""


def eks_token(cluster_name: str, region: str, session: boto3.Session | None = None) -> str:
    """A bearer token for the EKS API server: a presigned STS GetCallerIdentity URL naming
    the cluster in the signed `x-k8s-aws-id` header (the aws-iam-authenticator format)."""
    sts = (session or boto3.Session()).client(
        "sts",
        region_name=region,
        endpoint_url=f"https://sts.{region}.amazonaws.com",
    )

    def name_the_cluster(request: Any, **_: Any) -> None:
        request.headers[CLUSTER_HEADER] = cluster_name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", name_the_cluster)
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=TOKEN_LIFETIME_SECONDS, HttpMethod="GET"
    )
    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return TOKEN_PREFIX + encoded


def service_proxy_url(endpoint: str, namespace: str, service: str, port: int) -> str:
    """The API server's proxy path to a ClusterIP service's HTTP port."""
    return (
        f"{endpoint.rstrip('/')}/api/v1/namespaces/{namespace}/services/http:{service}:{port}/proxy"
    )


def eks_transport(
    *,
    endpoint: str,
    certificate_authority: str,
    cluster_name: str,
    region: str,
    namespace: str,
    service: str,
    port: int,
    session: boto3.Session | None = None,
) -> Transport:
    """A Transport to the gateway through the cluster's API server; `certificate_authority`
    is the cluster's CA bundle, base64-encoded as EKS returns it."""
    tls = ssl.create_default_context(cadata=base64.b64decode(certificate_authority).decode())
    return Transport(
        base_url=service_proxy_url(endpoint, namespace, service, port),
        headers={"Authorization": f"Bearer {eks_token(cluster_name, region, session)}"},
        tls=tls,
    )
