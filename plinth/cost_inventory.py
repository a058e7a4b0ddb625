"""What a stack builds that AWS or CoreWeave bills, counted from its validated spec.

Counting from the spec keeps `plinth cost` offline and quick (no preview). The counts mirror
what `infra/` registers for the same spec; tests/test_cost.py previews every stack file of this
repository and checks each count against the preview's resources, and that every resource type
a preview holds is either one of KINDS or in FREE_TYPES, so a new billable resource cannot be
added without saying how it is billed.

Each kind is billed one of three ways (`Billing`):
- PRICED: a list price by the hour or month whatever the resource does, so the estimate prices
  it from the region's table (unknown where the table lacks the price);
- USAGE_BASED: billed by what it stores, processes or is asked (GB, events, requests, tokens),
  which a spec cannot tell: named with its count under "not estimated", never priced at $0;
- NOT_IN_TABLE: it has, or may have, a charge of its own that no price table holds: named with
  its count under "not estimated" too.
FREE_TYPES are configuration with no charge of its own (VPCs, subnets, routes, security groups,
IAM, key aliases, bucket settings, access entries, access policies); what they configure is
billed on the resource they belong to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from components.bedrock.models import ModelRef, supports_guardrails
from components.guardrails.alarms import CIS_ALARMS
from components.guardrails.config import MANAGED_RULES
from components.guardrails.detection import DETECTOR_FEATURES
from components.guardrails.singletons import AccountGuardrail
from components.tenant.data import BUCKETS
from plinth.spec import PlinthSpec
from plinth.spec.bedrock import endpoint_services
from plinth.spec.tenants import TenantSpec
from policies.profiles import settings_for


class Billing(StrEnum):
    PRICED = "priced"
    USAGE_BASED = "usage-based"
    NOT_IN_TABLE = "no price in the table"


@dataclass(frozen=True)
class Kind:
    """A billable kind of resource: a Pulumi type, or one sort of resource of a type (interface
    endpoints are VpcEndpoints; so are free gateway endpoints)."""

    key: str
    label: str
    billing: Billing
    detail: str
    """What is billed (usage-based), or why it is not priced (no price in the table)."""
    type: str | None
    """Its Pulumi type; None for a charge with no resource of its own (EKS Auto Mode's fee)."""


def _kind(key: str, label: str, billing: Billing, type_: str | None, detail: str = "") -> Kind:
    return Kind(key, label, billing, detail, type_)


P, U, N = Billing.PRICED, Billing.USAGE_BASED, Billing.NOT_IN_TABLE
KINDS: tuple[Kind, ...] = (
    _kind("eks-cluster", "EKS clusters", P, "aws:eks/cluster:Cluster"),
    _kind("gpu-node-group", "GPU node groups", P, "aws:eks/nodeGroup:NodeGroup"),
    _kind("nat-gateway", "NAT gateways", P, "aws:ec2/natGateway:NatGateway"),
    _kind("elastic-ip", "Elastic IPs", P, "aws:ec2/eip:Eip"),
    _kind("interface-endpoint", "interface endpoints", P, "aws:ec2/vpcEndpoint:VpcEndpoint"),
    _kind("kms-key", "KMS keys", P, "aws:kms/key:Key"),
    _kind("metric-alarm", "CloudWatch alarms", P, "aws:cloudwatch/metricAlarm:MetricAlarm"),
    _kind(
        "vector-collection",
        "OpenSearch Serverless collections",
        P,
        "aws:opensearch/serverlessCollection:ServerlessCollection",
    ),
    _kind(
        "provisioned-throughput",
        "Bedrock provisioned throughput",
        P,
        "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput",
    ),
    _kind("s3-bucket", "S3 buckets", U, "aws:s3/bucket:Bucket", "storage, requests, transfer"),
    _kind("log-group", "log groups", U, "aws:cloudwatch/logGroup:LogGroup", "ingestion, storage"),
    _kind(
        "metric-filter",
        "log metric filters",
        U,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "a custom metric each, billed in the hours it gets data",
    ),
    _kind("flow-log", "VPC flow logs", U, "aws:ec2/flowLog:FlowLog", "logs delivered"),
    _kind(
        "trail",
        "CloudTrail trails",
        U,
        "aws:cloudtrail/trail:Trail",
        "data events; management events beyond the first copy",
    ),
    _kind(
        "config-recorder",
        "AWS Config recorders",
        U,
        "aws:cfg/recorder:Recorder",
        "configuration items recorded",
    ),
    _kind("config-rule", "AWS Config rules", U, "aws:cfg/rule:Rule", "rule evaluations"),
    _kind(
        "guardduty",
        "GuardDuty detectors",
        U,
        "aws:guardduty/detector:Detector",
        "events and data analysed",
    ),
    _kind(
        "guardduty-feature",
        "GuardDuty protections",
        U,
        "aws:guardduty/detectorFeature:DetectorFeature",
        "data each protection analyses",
    ),
    _kind(
        "security-hub",
        "Security Hub",
        U,
        "aws:securityhub/account:Account",
        "findings ingested",
    ),
    _kind(
        "security-hub-standard",
        "Security Hub standards",
        U,
        "aws:securityhub/standardsSubscription:StandardsSubscription",
        "security checks run",
    ),
    _kind(
        "feature-group",
        "SageMaker feature groups",
        U,
        "aws:sagemaker/featureGroup:FeatureGroup",
        "records written; offline store in S3",
    ),
    _kind(
        "bedrock-guardrail",
        "Bedrock guardrails",
        U,
        "aws:bedrock/guardrail:Guardrail",
        "text units evaluated",
    ),
    _kind(
        "inference-profile",
        "Bedrock inference profiles",
        U,
        "aws:bedrock/inferenceProfile:InferenceProfile",
        "model tokens",
    ),
    _kind("sns-topic", "SNS topics", U, "aws:sns/topic:Topic", "notifications delivered"),
    _kind(
        "vector-endpoint",
        "OpenSearch Serverless VPC endpoints",
        N,
        "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint",
        "a PrivateLink interface endpoint; no source read says whether PrivateLink's hourly "
        "rate applies",
    ),
    _kind(
        "system-node-group",
        "EKS system node groups",
        N,
        "aws:eks/nodeGroup:NodeGroup",
        "CPU instances: the tables hold GPU instances only",
    ),
    _kind(
        "auto-mode",
        "EKS Auto Mode clusters",
        N,
        None,
        "the management fee per node and the general-purpose nodes",
    ),
    _kind("budget", "AWS Budgets", N, "aws:budgets/budget:Budget", "no source read"),
    _kind(
        "anomaly-monitor",
        "cost anomaly monitors",
        N,
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
        "no source read",
    ),
    _kind(
        "access-analyzer",
        "IAM Access Analyzers",
        N,
        "aws:accessanalyzer/analyzer:Analyzer",
        "no source read",
    ),
    _kind(
        "aurora-storage",
        "Aurora clusters",
        U,
        "aws:rds/cluster:Cluster",
        "storage, I/O and backups beyond the cluster's size",
    ),
    _kind(
        "aurora-serverless",
        "Aurora Serverless v2 instances",
        P,
        "aws:rds/clusterInstance:ClusterInstance",
    ),
    _kind(
        "serverless-cache",
        "ElastiCache Serverless caches",
        P,
        "aws:elasticache/serverlessCache:ServerlessCache",
    ),
    _kind("secret", "Secrets Manager secrets", P, "aws:secretsmanager/secret:Secret"),
    _kind(
        "prometheus-workspace",
        "Managed Prometheus workspaces",
        U,
        "aws:amp/workspace:Workspace",
        "samples ingested, stored and queried (its rules' evaluation included)",
    ),
    _kind(
        "prometheus-collector",
        "Managed Prometheus collectors",
        U,
        "aws:amp/scraper:Scraper",
        "collector hours and samples collected",
    ),
    _kind(
        "grafana-workspace",
        "Managed Grafana workspaces",
        U,
        "aws:grafana/workspace:Workspace",
        "a seat a month for each person who signs in (admins' seats cost more than viewers')",
    ),
    _kind(
        "mlflow-tracking-server",
        "SageMaker MLflow tracking servers",
        N,
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        "hours at each server's size, no AWS rate read (the pricing page renders with "
        "JavaScript), and metadata storage",
    ),
    _kind(
        "glue-database",
        "Glue Data Catalog databases",
        U,
        "aws:glue/catalogDatabase:CatalogDatabase",
        "catalog objects beyond the free million, and requests",
    ),
    _kind(
        "coreweave-cluster",
        "CoreWeave clusters",
        N,
        "coreweave:index/cksCluster:CksCluster",
        "CoreWeave's charges beyond GPU instances",
    ),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}

FREE_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable",
        "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/internetGateway:InternetGateway", "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/placementGroup:PlacementGroup",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:kms/alias:Alias",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws:eks/addon:Addon",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy",
        "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
        "aws:cfg/deliveryChannel:DeliveryChannel", "aws:cfg/recorderStatus:RecorderStatus",
        "aws:bedrock/guardrailVersion:GuardrailVersion",
        "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:costexplorer/anomalySubscription:AnomalySubscription",
        "aws:resourcegroups/group:Group", "aws:resourcegroups/resource:Resource",
        "coreweave:index/networkingVpc:NetworkingVpc",
        "aws:secretsmanager/secretVersion:SecretVersion", "aws:rds/subnetGroup:SubnetGroup",
        "aws:elasticache/user:User", "aws:elasticache/userGroup:UserGroup",
        "aws:amp/workspaceConfiguration:WorkspaceConfiguration",
        "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
        "aws:amp/alertManagerDefinition:AlertManagerDefinition",
        "aws:grafana/roleAssociation:RoleAssociation",
        "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
        "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
        "grafana:oss/dataSource:DataSource", "grafana:oss/folder:Folder",
        "grafana:oss/dashboard:Dashboard",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:lakeformation/dataLakeSettings:DataLakeSettings", "aws:lakeformation/lfTag:LfTag",
        "aws:lakeformation/resource:Resource",
        "aws:lakeformation/resourceLfTags:ResourceLfTags",
        "aws:lakeformation/permissions:Permissions",
        "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    }
)  # fmt: skip
"""Resource types with no charge of their own: the traffic, logs or deliveries they configure
are billed where the kinds above say (an email a topic subscription sends is the topic's).
The model registry and Lake Formation's permissions cost nothing themselves; EventBridge does
not bill AWS services' events on the default bus."""


def inventory(spec: PlinthSpec) -> Counter[str]:
    """How many of each billable kind (KINDS' keys) the stack builds. A tenant stack builds its
    tenants only: the platform's resources are its platform stack's."""
    counts: Counter[str] = Counter()
    if spec.platform is None:
        _platform(spec, counts)
    bedrock = spec.platform is not None or spec.bedrock.enabled
    for tenant in spec.tenants:
        _tenant(tenant, counts, bedrock=bedrock)
    return +counts


def _platform(spec: PlinthSpec, counts: Counter[str]) -> None:
    counts["kms-key"] += 1  # the platform key
    network = spec.network
    gateways = {"perAz": network.az_count, "single": 1, "none": 0}[network.nat_gateways]
    counts["nat-gateway"] += gateways
    counts["elastic-ip"] += gateways  # each gateway's public address
    counts["interface-endpoint"] += len(interface_endpoints(spec))
    counts["flow-log"] += 1
    counts["log-group"] += 1  # the flow logs'
    counts["s3-bucket"] += 1 + len(spec.storage.buckets)  # access logs, data buckets
    _guardrails(spec, counts)
    for cluster in spec.clusters:
        if cluster.cloud == "coreweave":
            counts["coreweave-cluster"] += 1
            continue
        counts["eks-cluster"] += 1
        counts["log-group"] += 1  # control-plane logs
        if cluster.mode == "auto":
            counts["auto-mode"] += 1
        else:
            counts["system-node-group"] += 1
            counts["gpu-node-group"] += len(cluster.gpu_pools)
    _bedrock(spec, counts)
    if spec.gateway is not None and spec.bedrock.enabled:
        counts["aurora-storage"] += 1
        counts["aurora-serverless"] += 1
        counts["serverless-cache"] += 1
        counts["secret"] += 2  # the master and salt keys
        counts["secret"] += sum(
            1 for t in spec.tenants if t.gateway is not None and t.gateway.key_in_secrets_manager
        )  # team keys kept in Secrets Manager too
        # The first admin's sign-in of each tenant's MLflow on the gateway's cluster.
        counts["secret"] += sum(1 for t in spec.tenants if t.mlops and t.mlops.on_cluster())
    if spec.observability is not None and spec.observability.traces and spec.gateway:
        counts["secret"] += 3  # the trace store's JWT secret, admin bearer, admin password
    if spec.observability is not None:
        counts["prometheus-workspace"] += 1
        counts["prometheus-collector"] += sum(1 for c in spec.clusters if c.cloud == "aws")
        counts["log-group"] += 1  # the workspace's rule and alert manager logs
        if spec.observability.grafana is not None and spec.identity_center is not None:
            counts["grafana-workspace"] += 1
    if spec.mlops is not None:
        counts["log-group"] += 1  # the model approval record


def interface_endpoints(spec: PlinthSpec) -> tuple[str, ...]:
    """The services the VPC has interface endpoints for (each in every AZ)."""
    return (*spec.network.interface_endpoints, *endpoint_services(spec.bedrock))


def _guardrails(spec: PlinthSpec, counts: Counter[str]) -> None:
    """What AccountGuardrails builds for the guardrails the stack owns."""
    owned = set(AccountGuardrail) - set(spec.guardrails.external)
    profile = settings_for(spec.compliance.profiles)
    owns_trail = AccountGuardrail.CLOUDTRAIL in owned
    if owns_trail or AccountGuardrail.AWS_CONFIG in owned:
        counts["kms-key"] += 1  # the audit key
        counts["s3-bucket"] += 1  # the audit-log bucket
    if owns_trail:
        counts["trail"] += 1
        if profile.trail_alarms:
            counts["log-group"] += 1  # the trail's copy in CloudWatch Logs
            counts["metric-filter"] += len(CIS_ALARMS)
            counts["metric-alarm"] += len(CIS_ALARMS)
    if (owns_trail and profile.trail_alarms) or spec.observability is not None:
        counts["sns-topic"] += 1  # the alarm topic: trail alarms, metric alerts
        counts["kms-key"] += 1  # the alarm topic's key
    if AccountGuardrail.AWS_CONFIG in owned:
        counts["config-recorder"] += 1
        counts["config-rule"] += len(MANAGED_RULES)
    if AccountGuardrail.GUARDDUTY in owned:
        counts["guardduty"] += 1
        counts["guardduty-feature"] += len(DETECTOR_FEATURES)
    if AccountGuardrail.SECURITY_HUB in owned:
        counts["security-hub"] += 1
        counts["security-hub-standard"] += len(profile.security_hub_standards)
    if AccountGuardrail.ACCESS_ANALYZER in owned:
        counts["access-analyzer"] += 1
    if spec.guardrails.budget is not None:
        counts["budget"] += 1
    if AccountGuardrail.COST_ANOMALY_MONITOR in owned:
        counts["anomaly-monitor"] += 1


def _bedrock(spec: PlinthSpec, counts: Counter[str]) -> None:
    bedrock = spec.bedrock
    if not bedrock.enabled:
        return
    counts["bedrock-guardrail"] += 1
    counts["provisioned-throughput"] += len(bedrock.provisioned_throughput)
    if AccountGuardrail.INVOCATION_LOGGING in spec.guardrails.external:
        return
    counts["s3-bucket"] += 1  # invocation logs
    counts["log-group"] += 1
    if (bedrock.region or spec.aws.region) != spec.aws.region:
        # S3 and KMS are regional: a key and an access-log bucket in the Bedrock region.
        counts["kms-key"] += 1
        counts["s3-bucket"] += 1


def _tenant(tenant: TenantSpec, counts: Counter[str], *, bedrock: bool) -> None:
    """What a Tenant builds: its key, buckets, budget, data stores and model profiles."""
    counts["kms-key"] += 1
    counts["s3-bucket"] += len(BUCKETS)
    counts["budget"] += 1
    stores = tenant.data_stores
    if stores.vector_store is not None:
        counts["vector-collection"] += 1
        counts["vector-endpoint"] += 1
    if stores.feature_store is not None:
        counts["feature-group"] += len(stores.feature_store.feature_groups)
    if tenant.mlops is not None:
        counts["mlflow-tracking-server"] += tenant.mlops.on_sagemaker() is not None
        counts["glue-database"] += tenant.mlops.catalog
    if bedrock:
        # An application inference profile per model Bedrock guards (for cost attribution).
        refs = [ModelRef.parse(model) for model in tenant.bedrock_models]
        counts["inference-profile"] += sum(supports_guardrails(ref.model_id) for ref in refs)
