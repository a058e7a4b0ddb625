"""An ElastiCache Serverless Valkey cache for a platform service (the gateway's rate-limit
and budget counters, shared by its replicas), reachable only from the service's cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.gateway.network import clients_only_security_group
from components.names import bounded_name

ENGINE = "valkey"
MAJOR_ENGINE_VERSION = "8"
"""Valkey 8, which ElastiCache Serverless offers (the SDK documents "7" and "8"; AWS CDK's
ServerlessCache enum has VALKEY_7 and VALKEY_8). Serverless caches always encrypt in transit
(ElastiCache User Guide, in-transit-encryption)."""
PORTS = (6379, 6380)
"""The serverless endpoint (writes and reads) and the reader endpoint; both TLS-only."""
NAME_LIMIT = 40
"""Serverless cache and user-group names: at most 40 characters (CreateServerlessCache)."""
SERVICE_ACCESS = "on ~* &* +@all -@dangerous"
"""The service user's rights: every key and channel, no administrative commands (FLUSHALL,
CONFIG, KEYS...), in ElastiCache's access-string syntax."""
CONNECT_ACTIONS = ("elasticache:Connect",)
"""IAM authentication to ElastiCache: a token for one user of one cache (ElastiCache User
Guide, auth-iam), which LiteLLM's coordination Redis mints itself (`aws_iam_auth`)."""
DEFAULT_USER_ACCESS = "off -@all"
"""Every user group must hold a user named `default` (CloudFormation AWS::ElastiCache::UserGroup;
the API answers DefaultUserRequired); this one cannot log in or run anything."""


@dataclass(frozen=True)
class ServiceCacheArgs:
    """Inputs of a ServiceCache."""

    name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: Sequence[pulumi.Input[str]]
    key_arn: pulumi.Input[str]
    max_data_gb: int
    max_ecpu_per_second: int
    tags: Mapping[str, str]


class ServiceCache(pulumi.ComponentResource):
    """A Valkey serverless cache: encrypted at rest with the platform key, TLS on every
    connection (serverless caches accept nothing else), access through a user group whose only
    usable user is the service's, authenticated with IAM (no password exists); private subnets
    and a security group that admits the service's cluster only; usage limits that bound the
    bill. It holds counters that the gateway rebuilds, so it is not retained on delete."""

    cache: aws.elasticache.ServerlessCache
    cache_name: str
    user_id: str
    """The service's user: with IAM authentication its name is its ID."""
    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    cache_arn: pulumi.Output[str]
    user_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceCacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:gateway:ServiceCache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cache_name = self.cache_name = bounded_name(args.name, NAME_LIMIT, trim="-")
        security_group = clients_only_security_group(
            name,
            vpc_id=args.vpc_id,
            what="Valkey",
            of=cache_name,
            ports=(PORTS[0], PORTS[-1]),
            clients=args.client_security_group_ids,
            tags={**args.tags, "Name": f"{cache_name}-cache"},
            opts=child,
        )
        self.user_id = bounded_name(f"{cache_name}-service", NAME_LIMIT, trim="-")
        # Never used to sign in: the group's `default` user is switched off.
        unused = random.RandomPassword(
            f"{name}-default-user-password", length=64, special=False, opts=child
        )
        default_user = aws.elasticache.User(
            f"{name}-default-user",
            user_id=bounded_name(f"{cache_name}-default", NAME_LIMIT, trim="-"),
            user_name="default",
            engine=ENGINE,
            access_string=DEFAULT_USER_ACCESS,
            # A valkey user group admits only users with a password or IAM authentication
            # (ElastiCache User Guide, Clusters.RBAC); this one is switched off anyway.
            passwords=[unused.result],
            tags=dict(args.tags),
            opts=child,
        )
        service_user = aws.elasticache.User(
            f"{name}-service-user",
            user_id=self.user_id,
            user_name=self.user_id,
            engine=ENGINE,
            access_string=SERVICE_ACCESS,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(type="iam"),
            tags=dict(args.tags),
            opts=child,
        )
        users = aws.elasticache.UserGroup(
            f"{name}-users",
            user_group_id=cache_name,
            engine=ENGINE,
            user_ids=[default_user.user_id, service_user.user_id],
            tags=dict(args.tags),
            opts=child,
        )
        self.cache = aws.elasticache.ServerlessCache(
            name,
            name=cache_name,
            description=f"Counters of {cache_name}",
            engine=ENGINE,
            major_engine_version=MAJOR_ENGINE_VERSION,
            kms_key_id=args.key_arn,
            subnet_ids=list(args.subnet_ids),
            security_group_ids=[security_group.id],
            user_group_id=users.user_group_id,
            cache_usage_limits=aws.elasticache.ServerlessCacheCacheUsageLimitsArgs(
                data_storage=aws.elasticache.ServerlessCacheCacheUsageLimitsDataStorageArgs(
                    maximum=args.max_data_gb, unit="GB"
                ),
                ecpu_per_seconds=[
                    aws.elasticache.ServerlessCacheCacheUsageLimitsEcpuPerSecondArgs(
                        maximum=args.max_ecpu_per_second
                    )
                ],
            ),
            tags=dict(args.tags),
            opts=child,
        )
        self.endpoint = self.cache.endpoints.apply(lambda found: found[0].address if found else "")
        self.port = self.cache.endpoints.apply(lambda found: found[0].port if found else PORTS[0])
        self.cache_arn = self.cache.arn
        self.user_arn = service_user.arn
        self.register_outputs({"endpoint": self.endpoint, "port": self.port})
