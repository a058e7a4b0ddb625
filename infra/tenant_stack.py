"""A tenant stack: tenants on a platform that another stack runs.

The platform stack publishes `plinthPlatform` (the contract, docs/tenants.md). This
program reads it through a StackReference, validates it and the tenants against it (every
problem at once, nothing registered but the reference), then builds the same Tenant
components a platform stack builds for its own tenants, reaching the platform's clusters with
kubeconfigs that hold no credential.
"""

import pulumi
from account import stack_account
from tenancy import TENANT_LOG_PREFIX, BedrockAccess, TenantPlatform, add_tenants, identity_center

from components.bedrock.grants import GuardrailPin
from components.cluster.kubeconfig import cluster_provider
from components.scope import AwsScope
from components.storage import AccessLogDestination
from components.tenant import TenantNetwork
from components.tenant.contract import PLATFORM_REFERENCE, TenantCluster
from plinth.spec import PLATFORM_OUTPUT, PlatformContract, PlinthSpec, check_platform_contract
from plinth.spec.platform import ClusterContract


async def build(spec: PlinthSpec) -> None:
    """Register the spec's tenants on the platform stack `plinth:platform.stack` names."""
    assert spec.platform is not None
    reference = pulumi.StackReference(PLATFORM_REFERENCE, stack_name=spec.platform.stack)
    published = await reference.get_output_details(PLATFORM_OUTPUT)
    contract = check_platform_contract(spec, published.value or published.secret_value)

    account = stack_account(spec)
    used = {key for tenant in spec.tenants for key in tenant.clusters}
    add_tenants(
        spec,
        TenantPlatform(
            scope=account.scope,
            name_prefix=spec.name_prefix,
            common_tags=spec.common_tags,
            access_logs=AccessLogDestination(contract.access_log_bucket, TENANT_LOG_PREFIX),
            network=TenantNetwork(
                vpc_id=contract.network.vpc_id,
                subnet_ids=contract.network.private_subnet_ids,
                cidr=contract.network.cidr,
            ),
            clusters={
                key: tenant_cluster(key, cluster, spec.aws.region)
                for key, cluster in contract.clusters.items()
                if key in used
            },
            bedrock=bedrock_access(contract, account.scope.account_id),
            identity_center=identity_center(spec),
            kms_administrators=contract.kms_administrators,
            noncurrent_version_days=contract.noncurrent_version_retention_days,
            protect=spec.protect,
        ),
        account.on_aws,
    )


def tenant_cluster(key: str, cluster: ClusterContract, region: str) -> TenantCluster:
    """A platform cluster as the contract describes it, with a provider to reach it."""
    return TenantCluster(
        key=key,
        cloud=cluster.cloud,
        cluster_name=cluster.name,
        kubernetes_provider=cluster_provider(
            f"{key}-k8s",
            cloud=cluster.cloud,
            endpoint=cluster.endpoint,
            certificate_authority=cluster.certificate_authority,
            cluster_name=cluster.name,
            region=region,
        ),
        gpu_flavors={name: pool.flavor for name, pool in cluster.gpu_pools.items()},
        cohort=cluster.cohort,
        kueue_api_version=cluster.kueue_api_version,
        oidc_issuer_url=cluster.oidc_issuer_url,
        oidc_provider_arn=cluster.oidc_provider_arn,
        dns_cidrs=cluster.dns_cidrs,
    )


def bedrock_access(
    contract: PlatformContract, account_id: pulumi.Input[str]
) -> BedrockAccess | None:
    bedrock = contract.bedrock
    if bedrock is None:
        return None
    pin = None
    if bedrock.guardrail_arn and bedrock.guardrail_version_arn:
        pin = GuardrailPin(bedrock.guardrail_arn, bedrock.guardrail_version_arn)
    return BedrockAccess(AwsScope(account_id=account_id, region=bedrock.region), pin)
