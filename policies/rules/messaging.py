"""Registries, queues and functions a platform team adds around its AI services: ECR
repositories scanned on push, with immutable tags and a customer key; SNS topics and SQS
queues encrypted and closed to the public; Lambda functions nobody can call anonymously, and
inside the VPC of the data stores they are configured with.

Plinth itself makes one SNS topic (the security alarms', under its own key); these rules are
for the programs teams write beside it.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policies.props import as_list, dig, given, known, of_type, open_to_anyone, sid, statements
from policies.report import Report
from policies.rule import Config, advisory, resource_rule, stack_rule

REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"

ON_PUSH_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
"""Registry scanning rule frequencies that scan every image as it is pushed."""
IMMUTABLE_TAGS = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")
KMS_ENCRYPTION = ("KMS", "KMS_DSSE")
AT_REST = {
    "hipaa": ["164.312(a)(2)(iv)"],
    "gdpr": ["Art. 32"],
    "soc2": ["CC6.1"],
    "pci": ["3.5.1"],
    "nist-800-53": ["SC-28", "SC-12"],
}
NOT_PUBLIC = {
    "hipaa": ["164.312(a)(1)"],
    "gdpr": ["Art. 32"],
    "soc2": ["CC6.1", "CC6.6"],
    "pci": ["1.3.1", "7.2.1"],
    "nist-800-53": ["AC-3", "SC-7"],
}


def _registry_scans_on_push(args: StackValidationArgs) -> bool:
    for config in of_type(args, REGISTRY_SCANNING):
        for rule in as_list(dig(config.props, "rules")):
            if dig(rule, "scanFrequency") in ON_PUSH_FREQUENCIES:
                return True
    return False


@stack_rule(
    id="ecr-scan-on-push",
    area="registries",
    description="Every image pushed to an ECR repository is scanned for known vulnerabilities "
    "(the repository's scan on push, or the registry's scanning rules), before a cluster "
    "pulls it.",
    severity="high",
    remediation="Set image_scanning_configuration.scan_on_push=True on the repository, or an "
    "aws.ecr.RegistryScanningConfiguration (scan_type ENHANCED) with a SCAN_ON_PUSH or "
    "CONTINUOUS_SCAN rule.",
    controls={"soc2": ["CC7.1"], "pci": ["6.3.3"], "nist-800-53": ["SI-2", "CA-7"]},
)
def ecr_scan_on_push(args: StackValidationArgs, report: Report, _: Config) -> None:
    if _registry_scans_on_push(args):
        return
    for repository in of_type(args, REPOSITORY):
        if dig(repository.props, "imageScanningConfiguration", "scanOnPush") is not True:
            report("images pushed here are not scanned", urn=repository.urn)


@resource_rule(
    id="ecr-immutable-tags",
    area="registries",
    description="ECR repositories refuse to move a tag to another image, so a version a "
    "cluster runs is the version that was scanned and reviewed.",
    severity="medium",
    remediation="Set image_tag_mutability='IMMUTABLE' (or IMMUTABLE_WITH_EXCLUSION for a few "
    "moving tags a build needs).",
    controls={"nist-800-53": ["CM-6", "SI-7"], "soc2": ["CC8.1"]},
    types=(REPOSITORY,),
)
def ecr_immutable_tags(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    mutability = dig(args.props, "imageTagMutability", default="MUTABLE")
    if mutability not in IMMUTABLE_TAGS:
        report(f"image tags are {mutability}")


@resource_rule(
    id="ecr-customer-key",
    area="registries",
    description="ECR repositories encrypt images with a KMS key rather than ECR's AES-256 "
    "default, so the key policy decides who may pull a model server's image.",
    severity="medium",
    remediation="Set encryption_configurations=[{encryption_type: 'KMS', kms_key: <key ARN>}] "
    "(only when the repository is created: ECR cannot change it later).",
    controls=AT_REST,
    types=(REPOSITORY,),
)
def ecr_customer_key(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    configured = as_list(dig(args.props, "encryptionConfigurations"))
    kinds = [dig(c, "encryptionType", default="AES256") for c in configured] or ["AES256"]
    if not any(kind in KMS_ENCRYPTION for kind in kinds):
        report(f"images are encrypted with {kinds[0]}, not a KMS key")


@resource_rule(
    id="sns-topic-encrypted",
    area="messaging",
    description="SNS topics encrypt their messages at rest with a KMS key (SNS has no "
    "encryption by default): alerts and events carry tenant and model names, sometimes data.",
    severity="medium",
    remediation="Set kms_master_key_id to a customer-managed key whose policy lets the "
    "publishing services use it (as Plinth's alarm topic does).",
    controls=AT_REST,
    types=(TOPIC,),
)
def sns_topic_encrypted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsMasterKeyId"):
        report("messages are stored unencrypted (no kms_master_key_id)")


@resource_rule(
    id="sqs-queue-encrypted",
    area="messaging",
    description="SQS queues keep messages encrypted at rest, with a KMS key or SQS-managed "
    "keys, never with encryption turned off.",
    severity="medium",
    remediation="Set kms_master_key_id to a customer-managed key, or leave "
    "sqs_managed_sse_enabled at its default (true).",
    controls=AT_REST,
    types=(QUEUE,),
)
def sqs_queue_encrypted(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if not dig(args.props, "kmsMasterKeyId") and dig(args.props, "sqsManagedSseEnabled") is False:
        report("server-side encryption is turned off")


@resource_rule(
    id="messaging-no-public-principal",
    area="messaging",
    description="Topic and queue policies never let any principal publish, subscribe, send or "
    "receive without a condition that pins the caller's account, organisation or source.",
    severity="critical",
    remediation="Name the accounts, roles or service principals in the statement, or add an "
    "aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID condition.",
    controls=NOT_PUBLIC,
    types=(TOPIC, TOPIC_POLICY, QUEUE, QUEUE_POLICY),
)
def messaging_no_public_principal(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    for statement in statements(dig(args.props, "policy")):
        if open_to_anyone(statement):
            report(f"statement {sid(statement)} allows any principal")


@resource_rule(
    id="lambda-not-public",
    area="messaging",
    description="No Lambda function can be invoked by anyone: no permission for principal "
    "'*' without a source, and no function URL without IAM authentication.",
    severity="critical",
    remediation="Grant lambda:InvokeFunction to the calling service with source_arn (or "
    "source_account), and set a function URL's authorization_type to AWS_IAM.",
    controls=NOT_PUBLIC,
    types=(LAMBDA_PERMISSION, FUNCTION_URL),
)
def lambda_not_public(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    props = args.props
    if args.resource_type == FUNCTION_URL:
        if dig(props, "authorizationType") == "NONE":
            report("the function URL takes unauthenticated requests")
        return
    scoped = any(dig(props, key) for key in ("sourceArn", "sourceAccount", "principalOrgId"))
    if dig(props, "principal") == "*" and not scoped:
        report("any principal may invoke the function")


FUNCTION = "aws:lambda/function:Function"
AURORA = "aws:rds/cluster:Cluster"
DATA_IN_A_VPC = (
    "aws:rds/instance:Instance",
    AURORA,
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/proxy:Proxy",
    "aws:docdb/cluster:Cluster",
    "aws:docdb/elasticCluster:ElasticCluster",
    "aws:neptune/cluster:Cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
    "aws:elasticache/serverlessCache:ServerlessCache",
    "aws:memorydb/cluster:Cluster",
    "aws:efs/accessPoint:AccessPoint",
)
"""Data stores a function reaches through their VPC. Redshift is not listed: its Data API is
an HTTPS endpoint, so a function given a cluster need not be in its VPC."""
CONNECTION_INPUTS = ("environment", "fileSystemConfig")
"""Where a function is given the stores it connects to (a description naming a database, say,
connects to nothing)."""


def _connects_to(store: PolicyResource) -> bool:
    """Whether a function given `store` connects through its VPC: an Aurora cluster with the
    Data API on is also reached over HTTPS."""
    return store.resource_type in DATA_IN_A_VPC and not (
        store.resource_type == AURORA and known(store.props, "enableHttpEndpoint") is True
    )


@stack_rule(
    id="lambda-in-vpc-for-data",
    area="messaging",
    description="A Lambda function given a database, cache or file system that lives in a VPC "
    "(in its environment or file system configuration) runs in that VPC, so the store need "
    "not be reachable from outside it.",
    severity="high",
    remediation="Set vpc_config (subnet_ids: the private subnets, security_group_ids: a group "
    "the store's security group admits) on the aws.lambda_.Function; for Aurora, the Data API "
    "(enable_http_endpoint) is the alternative.",
    controls={
        "hipaa": ["164.312(e)(1)"],
        "soc2": ["CC6.6"],
        "pci": ["1.3.1"],
        "nist-800-53": ["SC-7"],
    },
    enforcement=advisory(mandatory_in=["hipaa", "pci"]),
)
def lambda_in_vpc_for_data(args: StackValidationArgs, report: Report, _: Config) -> None:
    for function in of_type(args, FUNCTION):
        if given(function.props, "vpcConfig", "subnetIds"):
            continue
        stores = sorted(
            {
                store.name
                for name in CONNECTION_INPUTS
                for store in function.property_dependencies.get(name, ())
                if _connects_to(store)
            }
        )
        if stores:
            report(f"reaches {', '.join(stores)} but runs outside any VPC", urn=function.urn)
