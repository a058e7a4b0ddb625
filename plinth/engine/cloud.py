"""Plausible computed outputs for mocked resources and invokes.

IDs, physical names and ARNs follow each service's real format, with the stack's region and
a fixed example account, so documents built from outputs (bucket policies, IAM policies)
read exactly as they would after a real deployment. Values derive from a hash of the
resource's type and name: the same program always previews the same way.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.scope import dns_suffix, partition_of

EXAMPLE_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
INVOCATION_LOGGING = (
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
)


@dataclass(frozen=True)
class MockedResource:
    """What the mock knows about one resource it is asked to create."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    region: str
    account: str = EXAMPLE_ACCOUNT_ID

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def digest(self, length: int, salt: str = "") -> str:
        seed = f"{self.type}::{self.name}::{salt}".encode()
        return hashlib.sha256(seed).hexdigest()[:length]

    def uuid(self) -> str:
        """A stable UUID-shaped ID (8-4-4-4-12 hex), as AMP gives workspaces and scrapers."""
        hexes = self.digest(32, "uuid")
        return "-".join(hexes[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))

    def physical_name(self, key: str = "name", *, lowercase: bool = False) -> str:
        """The given name, or Pulumi's auto-name: the logical name plus 7 random hex chars."""
        given = self.inputs.get(key)
        if isinstance(given, str) and given:
            return given
        prefix = self.inputs.get(f"{key}Prefix")
        name = f"{prefix}{self.digest(26)}" if prefix else f"{self.name}-{self.digest(7)}"
        return name.lower() if lowercase else name

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


Computed = tuple[str, dict[str, Any]]

# EC2-family resources: (id prefix, ARN resource kind or None when the type has no ARN).
_EC2_STYLE: dict[str, tuple[str, str | None]] = {
    "aws:ec2/vpc:Vpc": ("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": ("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "internet-gateway"),
    "aws:ec2/eip:Eip": ("eipalloc", "elastic-ip"),
    "aws:ec2/natGateway:NatGateway": ("nat", "natgateway"),
    "aws:ec2/routeTable:RouteTable": ("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", None),
    "aws:ec2/securityGroup:SecurityGroup": ("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg", "security-group"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr", "security-group-rule"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce", "vpc-endpoint"),
    "aws:ec2/flowLog:FlowLog": ("fl", "vpc-flow-log"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("lt", "launch-template"),
    "aws:ec2/placementGroup:PlacementGroup": ("pg", "placement-group"),
}


def _ec2(resource: MockedResource) -> Computed:
    prefix, kind = _EC2_STYLE[resource.type]
    resource_id = f"{prefix}-{resource.digest(17)}"
    state: dict[str, Any] = {"ownerId": resource.account}
    if kind:
        state["arn"] = resource.arn("ec2", f"{kind}/{resource_id}")
    if resource.type == "aws:ec2/vpc:Vpc":
        state |= {
            "defaultSecurityGroupId": f"sg-{resource.digest(17, 'sg')}",
            "defaultNetworkAclId": f"acl-{resource.digest(17, 'acl')}",
            "mainRouteTableId": f"rtb-{resource.digest(17, 'rtb')}",
        }
    elif resource.type == "aws:ec2/eip:Eip":
        state |= {"allocationId": resource_id, "publicIp": _documentation_ip(resource)}
    elif resource.type == "aws:ec2/natGateway:NatGateway":
        state |= {
            "publicIp": _documentation_ip(resource),
            "networkInterfaceId": f"eni-{resource.digest(17, 'eni')}",
        }
    elif resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
        state |= {"state": "available", "prefixListId": f"pl-{resource.digest(8, 'pl')}"}
    return resource_id, state


def _documentation_ip(resource: MockedResource) -> str:
    """An address from TEST-NET-3 (RFC 5737), which is never routed."""
    return f"203.0.113.{int(resource.digest(2, 'ip'), 16) % 254 + 1}"


def _route(resource: MockedResource) -> Computed:
    return f"r-{resource.inputs.get('routeTableId', 'rtb')}{resource.digest(10)}", {}


def _log_group(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return name, {"name": name, "arn": resource.arn("logs", f"log-group:{name}")}


def _iam_role(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    path = resource.inputs.get("path") or "/"
    return name, {
        "name": name,
        "arn": resource.arn("iam", f"role{path}{name}", regional=False),
        "uniqueId": "AROA" + resource.digest(17).upper(),
    }


def _iam_policy(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    path = resource.inputs.get("path") or "/"
    arn = resource.arn("iam", f"policy{path}{name}", regional=False)
    return arn, {"name": name, "arn": arn, "policyId": "ANPA" + resource.digest(17).upper()}


def _iam_role_policy(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return f"{resource.inputs.get('role', '')}:{name}", {"name": name}


def _oidc_provider(resource: MockedResource) -> Computed:
    issuer = str(resource.inputs.get("url", "")).removeprefix("https://")
    arn = resource.arn("iam", f"oidc-provider/{issuer}", regional=False)
    return arn, {"arn": arn}


def _permission_set(resource: MockedResource) -> Computed:
    instance_arn = str(resource.inputs.get("instanceArn", ""))
    instance = instance_arn.rsplit("/", 1)[-1]
    arn = f"arn:{resource.partition}:sso:::permissionSet/{instance}/ps-{resource.digest(16)}"
    return f"{arn},{instance_arn}", {"arn": arn}


def _kms_key(resource: MockedResource) -> Computed:
    key_id = str(uuid.UUID(resource.digest(32)))
    return key_id, {"keyId": key_id, "arn": resource.arn("kms", f"key/{key_id}")}


def _kms_alias(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    target = str(resource.inputs.get("targetKeyId", ""))
    return name, {
        "name": name,
        "arn": resource.arn("kms", name),
        "targetKeyArn": resource.arn("kms", f"key/{target}"),
    }


def _s3_bucket(resource: MockedResource) -> Computed:
    name = resource.physical_name("bucket", lowercase=True)
    suffix = dns_suffix(resource.partition)
    return name, {
        "bucket": name,
        "arn": f"arn:{resource.partition}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.{suffix}",
        "bucketRegionalDomainName": f"{name}.s3.{resource.region}.{suffix}",
        "region": resource.region,
    }


def _bucket_setting(resource: MockedResource) -> Computed:
    """Bucket sub-resources (versioning, policy, ...) take the bucket name as their ID."""
    return str(resource.inputs.get("bucket", resource.name)), {}


def _eks_cluster(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    oidc_id = resource.digest(32).upper()
    region = resource.region
    # A made-up certificate: the kubeconfig embeds it, nothing ever connects with it offline.
    certificate = base64.b64encode(f"offline CA of {name}".encode()).decode()
    vpc_config = {
        **dict(resource.inputs.get("vpcConfig") or {}),
        "clusterSecurityGroupId": f"sg-{resource.digest(17, 'cluster-sg')}",
    }
    return name, {
        "name": name,
        "arn": resource.arn("eks", f"cluster/{name}"),
        "endpoint": f"https://{oidc_id}.gr7.{region}.eks.{dns_suffix(resource.partition)}",
        "certificateAuthority": {"data": certificate},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}
        ],
        "vpcConfig": vpc_config,
        # EKS picks 172.20.0.0/16 when the VPC is in 10.0.0.0/8 (as Plinth's defaults are).
        "kubernetesNetworkConfig": {
            "ipFamily": "ipv4",
            "serviceIpv4Cidr": "172.20.0.0/16",
            **dict(resource.inputs.get("kubernetesNetworkConfig") or {}),
        },
        "status": "ACTIVE",
    }


def _eks_node_group(resource: MockedResource) -> Computed:
    name = resource.physical_name("nodeGroupName")
    cluster = str(resource.inputs.get("clusterName", ""))
    return f"{cluster}:{name}", {
        "nodeGroupName": name,
        "arn": resource.arn("eks", f"nodegroup/{cluster}/{name}/{resource.digest(8)}"),
        "status": "ACTIVE",
    }


def _eks_addon(resource: MockedResource) -> Computed:
    cluster, addon = resource.inputs.get("clusterName", ""), resource.inputs.get("addonName", "")
    return f"{cluster}:{addon}", {
        "arn": resource.arn("eks", f"addon/{cluster}/{addon}/{resource.digest(8)}")
    }


def _launch_template(resource: MockedResource) -> Computed:
    resource_id, state = _ec2(resource)
    return resource_id, {**state, "latestVersion": 1, "defaultVersion": 1}


def _placement_group(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return name, {"name": name, **_ec2(resource)[1]}


def _coreweave_vpc(resource: MockedResource) -> Computed:
    return str(uuid.UUID(resource.digest(32))), {"name": resource.physical_name()}


def _cks_cluster(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    cluster_id = str(uuid.UUID(resource.digest(32)))
    zone = str(resource.inputs.get("zone", "")).lower()
    host = f"{resource.digest(6)}-{resource.digest(8, 'api')}.k8s.{zone}.coreweave.com"
    return cluster_id, {
        "name": name,
        "apiServerEndpoint": host,
        "serviceAccountOidcIssuerUrl": f"https://oidc.cks.coreweave.com/id/{cluster_id}",
        "status": "STATUS_RUNNING",
    }


# Destination regions of system inference profiles, as Bedrock reported them for Anthropic
# models in 2026; offline previews only need a plausible, stable answer.
PROFILE_DESTINATIONS = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}


def routed_models(profile_id: str, region: str) -> list[dict[str, str]]:
    """The foundation models a system inference profile (`us.<model>`) routes calls to."""
    geography, _, model = profile_id.partition(".")
    partition = partition_of(region)
    if geography == "global":  # global profiles name the model with no region
        return [{"modelArn": f"arn:{partition}:bedrock:::foundation-model/{model}"}]
    return [
        {"modelArn": f"arn:{partition}:bedrock:{destination}::foundation-model/{model}"}
        for destination in PROFILE_DESTINATIONS.get(geography, (region,))
    ]


def _guardrail(resource: MockedResource) -> Computed:
    guardrail_id = resource.digest(12)
    arn = resource.arn("bedrock", f"guardrail/{guardrail_id}")
    return f"{guardrail_id},DRAFT", {
        "guardrailArn": arn,
        "guardrailId": guardrail_id,
        "version": "DRAFT",
        "status": "READY",
    }


def _guardrail_version(resource: MockedResource) -> Computed:
    return f"{resource.inputs.get('guardrailArn', '')},1", {"version": "1"}


def _inference_profile(resource: MockedResource) -> Computed:
    profile_id = resource.digest(12)
    source = str(dict(resource.inputs.get("modelSource") or {}).get("copyFrom", ""))
    if "inference-profile/" in source:
        models = routed_models(source.split("inference-profile/", 1)[1], resource.region)
    else:
        models = [{"modelArn": source}]
    return profile_id, {
        "arn": resource.arn("bedrock", f"application-inference-profile/{profile_id}"),
        "models": models,
        "status": "ACTIVE",
        "type": "APPLICATION",
    }


def _provisioned_throughput(resource: MockedResource) -> Computed:
    arn = resource.arn("bedrock", f"provisioned-model/{resource.digest(12)}")
    return arn, {"provisionedModelArn": arn}


def _invocation_logging(resource: MockedResource) -> Computed:
    return resource.region, {}


def _aoss_collection(resource: MockedResource) -> Computed:
    """OpenSearch Serverless collections are known by a random ID, not their name."""
    collection_id = resource.digest(20)
    endpoint = f"https://{collection_id}.{resource.region}.aoss.{dns_suffix(resource.partition)}"
    return collection_id, {
        "arn": resource.arn("aoss", f"collection/{collection_id}"),
        "collectionEndpoint": endpoint,
        "dashboardEndpoint": f"{endpoint}/_dashboards",
    }


def _aoss_vpc_endpoint(resource: MockedResource) -> Computed:
    return f"vpce-{resource.digest(17)}", {}


def _feature_group(resource: MockedResource) -> Computed:
    name = resource.physical_name("featureGroupName")
    return name, {"arn": resource.arn("sagemaker", f"feature-group/{name.lower()}")}


def _mlflow_tracking_server(resource: MockedResource) -> Computed:
    name = resource.physical_name("trackingServerName")
    return name, {
        "arn": resource.arn("sagemaker", f"mlflow-tracking-server/{name}"),
        "trackingServerUrl": (
            f"https://t-{resource.digest(12)}.{resource.region}.experiments.sagemaker.aws"
        ),
    }


def _model_package_group(resource: MockedResource) -> Computed:
    name = resource.physical_name("modelPackageGroupName")
    return name, {"arn": resource.arn("sagemaker", f"model-package-group/{name.lower()}")}


def _event_rule(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return name, {"name": name, "arn": resource.arn("events", f"rule/{name}")}


def _glue_database(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return f"{resource.account}:{name}", {
        "name": name,
        "catalogId": resource.account,
        "arn": resource.arn("glue", f"database/{name}"),
    }


def _budget(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    arn = f"arn:{resource.partition}:budgets::{resource.account}:budget/{name}"
    return f"{resource.account}:{name}", {"name": name, "arn": arn}


def _resource_group(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    return name, {"name": name, "arn": resource.arn("resource-groups", f"group/{name}")}


def _capacity_reservation(resource: MockedResource) -> Computed:
    """Reservations are read, never made, by Plinth: offline every one is in the region's
    first zone (a real read returns its own)."""
    return f"cr-{resource.digest(17)}", {"availabilityZone": f"{resource.region}a"}


def _rds_cluster(resource: MockedResource) -> Computed:
    name = resource.physical_name("clusterIdentifier")
    suffix = dns_suffix(resource.partition)
    host = f"{name}.cluster-{resource.digest(12)}.{resource.region}.rds.{suffix}"
    state: dict[str, Any] = {
        "arn": resource.arn("rds", f"cluster:{name}"),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "clusterResourceId": f"cluster-{resource.digest(26).upper()}",
        "engineVersion": resource.inputs.get("engineVersion", ""),
    }
    if resource.inputs.get("manageMasterUserPassword"):
        # RDS names the secret it manages rds!cluster-<uuid> (Aurora User Guide,
        # rds-secrets-manager).
        secret = f"rds!cluster-{uuid.UUID(resource.digest(32))}"
        state["masterUserSecrets"] = [
            {
                "secretArn": resource.arn(
                    "secretsmanager", f"secret:{secret}-{resource.digest(6)}"
                ),
                "secretStatus": "active",
                "kmsKeyId": resource.inputs.get("masterUserSecretKmsKeyId", ""),
            }
        ]
    return name, state


def _serverless_cache(resource: MockedResource) -> Computed:
    name = resource.physical_name()
    suffix = dns_suffix(resource.partition)
    host = f"{name}-{resource.digest(6)}.serverless.{resource.region}.cache.{suffix}"
    return name, {
        "arn": resource.arn("elasticache", f"serverlesscache:{name}"),
        "endpoints": [{"address": host, "port": 6379}],
        "readerEndpoints": [{"address": host, "port": 6380}],
        "status": "available",
    }


def _cache_user(resource: MockedResource) -> Computed:
    user_id = str(resource.inputs.get("userId", resource.name))
    return user_id, {"arn": resource.arn("elasticache", f"user:{user_id}")}


def _secret(resource: MockedResource) -> Computed:
    # Secrets Manager appends a hyphen and six random characters to a secret's ARN.
    arn = resource.arn("secretsmanager", f"secret:{resource.physical_name()}-{resource.digest(6)}")
    return arn, {"arn": arn}


def _prometheus_workspace(resource: MockedResource) -> Computed:
    workspace_id = f"ws-{resource.uuid()}"
    suffix = dns_suffix(resource.partition)
    return workspace_id, {
        "arn": resource.arn("aps", f"workspace/{workspace_id}"),
        "prometheusEndpoint": (
            f"https://aps-workspaces.{resource.region}.{suffix}/workspaces/{workspace_id}/"
        ),
    }


def _grafana_workspace(resource: MockedResource) -> Computed:
    workspace_id = f"g-{resource.digest(10)}"
    return workspace_id, {
        "arn": resource.arn("grafana", f"/workspaces/{workspace_id}"),
        "endpoint": f"{workspace_id}.grafana-workspace.{resource.region}.amazonaws.com",
    }


def _grafana_service_account(resource: MockedResource) -> Computed:
    account_id = str(int(resource.digest(4), 16) % 1000 + 2)
    workspace = str(resource.inputs.get("workspaceId", ""))
    return f"{workspace},{account_id}", {"serviceAccountId": account_id}


def _grafana_token(resource: MockedResource) -> Computed:
    token_id = str(int(resource.digest(4), 16) % 1000 + 1)
    # A stand-in the preview never shows: the provider marks `key` secret.
    key = f"glsa_{resource.digest(32, 'key')}_{resource.digest(8, 'crc')}"
    return token_id, {"serviceAccountTokenId": token_id, "key": key}


def _prometheus_scraper(resource: MockedResource) -> Computed:
    scraper_id = f"s-{resource.uuid()}"
    return scraper_id, {
        "arn": resource.arn("aps", f"scraper/{scraper_id}"),
        "roleArn": resource.arn(
            "iam",
            "role/aws-service-role/scraper.aps.amazonaws.com/"
            f"AWSServiceRoleForAmazonPrometheusScraper_{scraper_id[2:18]}",
            regional=False,
        ),
    }


def _sns_topic(resource: MockedResource) -> Computed:
    # A topic's ARN is its name under the account and region (no resource type).
    arn = resource.arn("sns", resource.physical_name())
    return arn, {"arn": arn, "name": resource.physical_name()}


def _random_password(resource: MockedResource) -> Computed:
    """A stand-in the preview never shows: its consumers mark it secret."""
    length = int(resource.inputs.get("length", 16))
    return "none", {"result": ("offline" + resource.digest(64))[:length], "bcryptHash": ""}


_BY_TYPE: dict[str, Callable[[MockedResource], Computed]] = {
    **dict.fromkeys(_EC2_STYLE, _ec2),
    "aws:ec2/route:Route": _route,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:iam/rolePolicy:RolePolicy": _iam_role_policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ssoadmin/permissionSet:PermissionSet": _permission_set,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:ec2/placementGroup:PlacementGroup": _placement_group,
    "aws:bedrock/guardrail:Guardrail": _guardrail,
    "aws:bedrock/guardrailVersion:GuardrailVersion": _guardrail_version,
    "aws:bedrock/inferenceProfile:InferenceProfile": _inference_profile,
    "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput": _provisioned_throughput,
    INVOCATION_LOGGING: _invocation_logging,
    "aws:opensearch/serverlessCollection:ServerlessCollection": _aoss_collection,
    "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint": _aoss_vpc_endpoint,
    "aws:sagemaker/featureGroup:FeatureGroup": _feature_group,
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": _mlflow_tracking_server,
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _model_package_group,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:glue/catalogDatabase:CatalogDatabase": _glue_database,
    "aws:budgets/budget:Budget": _budget,
    "coreweave:index/networkingVpc:NetworkingVpc": _coreweave_vpc,
    "coreweave:index/cksCluster:CksCluster": _cks_cluster,
    "aws:ec2/capacityReservation:CapacityReservation": _capacity_reservation,
    "aws:resourcegroups/group:Group": _resource_group,
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:elasticache/serverlessCache:ServerlessCache": _serverless_cache,
    "aws:elasticache/user:User": _cache_user,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:amp/workspace:Workspace": _prometheus_workspace,
    "aws:amp/scraper:Scraper": _prometheus_scraper,
    "aws:grafana/workspace:Workspace": _grafana_workspace,
    "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": _grafana_service_account,
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": _grafana_token,
    "aws:sns/topic:Topic": _sns_topic,
    "random:index/randomPassword:RandomPassword": _random_password,
}


def _generic(resource: MockedResource) -> Computed:
    resource_id = f"{resource.name}-{resource.digest(8)}"
    state: dict[str, Any] = {}
    package, _, rest = resource.type.partition(":")
    if package == "aws" and "arn" not in resource.inputs:
        service = rest.split("/")[0].split(":")[0]
        kind = resource.type.rsplit(":", 1)[-1].lower()
        state["arn"] = resource.arn(service, f"{kind}/{resource_id}")
    return resource_id, state


def computed_outputs(resource: MockedResource) -> Computed:
    """(id, outputs) for a mocked custom resource; outputs exclude the inputs."""
    if resource.type.startswith("aws:s3/bucket") and resource.type != "aws:s3/bucket:Bucket":
        return _bucket_setting(resource)
    return _BY_TYPE.get(resource.type, _generic)(resource)
