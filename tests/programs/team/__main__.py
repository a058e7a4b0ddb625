"""Fixture: a team's own program, plain pulumi_aws and pulumi_kubernetes, in two stacks.

`weak` writes what public examples often do; `hardened` fixes each weakness and nothing
else, so the policy pack must find every weakness in the first and none of them in the
second (tests/test_team_program.py).
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

hardened = pulumi.Config().require_bool("hardened")


def pick(weak, strong):  # type: ignore[no-untyped-def]
    return strong if hardened else weak


key = aws.kms.Key("team", enable_key_rotation=True, deletion_window_in_days=30)
vpc = aws.ec2.Vpc("team", cidr_block="10.20.0.0/16")
subnets = [
    aws.ec2.Subnet(f"private-{zone}", vpc_id=vpc.id, cidr_block=cidr, availability_zone=zone)
    for zone, cidr in (("eu-west-1a", "10.20.1.0/24"), ("eu-west-1b", "10.20.2.0/24"))
]
subnet_group = aws.rds.SubnetGroup("team", subnet_ids=[s.id for s in subnets])

# --- data: database, cache, secrets ------------------------------------------------------
features = aws.rds.Instance(
    "features",
    engine="postgres",
    engine_version="17.7",
    instance_class="db.t4g.medium",
    allocated_storage=50,
    db_subnet_group_name=subnet_group.name,
    username="features",
    manage_master_user_password=True,
    master_user_secret_kms_key_id=key.arn,
    publicly_accessible=pick(True, False),
    storage_encrypted=pick(False, True),
    kms_key_id=pick(None, key.arn),
    iam_database_authentication_enabled=pick(False, True),
    backup_retention_period=pick(1, 14),
    deletion_protection=pick(False, True),
    auto_minor_version_upgrade=pick(False, True),
    enabled_cloudwatch_logs_exports=pick([], ["postgresql", "iam-db-auth-error"]),
    skip_final_snapshot=False,
    final_snapshot_identifier="features-final",
)
aws.elasticache.ReplicationGroup(
    "sessions",
    description="session cache",
    engine="valkey",
    node_type="cache.t4g.small",
    num_cache_clusters=2,
    automatic_failover_enabled=True,
    subnet_group_name=aws.elasticache.SubnetGroup(
        "sessions", subnet_ids=[s.id for s in subnets]
    ).name,
    transit_encryption_enabled=pick(False, True),
    at_rest_encryption_enabled=True,
    kms_key_id=pick(None, key.arn),
    user_group_ids=pick(None, ["team-users"]),
)
provider_key = aws.secretsmanager.Secret("provider-key", kms_key_id=pick(None, key.arn))
# The application's own database user, kept where AWS's rotation functions can rotate it.
app_sign_in = aws.secretsmanager.Secret("features-app", kms_key_id=key.arn)
aws.secretsmanager.SecretVersion(
    "features-app",
    secret_id=app_sign_in.id,
    secret_string=pulumi.Output.json_dumps(
        {
            "engine": "postgres",
            "host": features.address,
            "username": "app",
            "password": random.RandomPassword("features-app", length=32, special=False).result,
        }
    ),
)
if hardened:
    aws.secretsmanager.SecretRotation(
        "features-app",
        secret_id=app_sign_in.id,
        rotation_lambda_arn="arn:aws:lambda:eu-west-1:123456789012:function:"
        "SecretsManagerRDSPostgreSQLRotationSingleUser",
        rotation_rules={"automatically_after_days": 30},
    )
# What a consuming stack reads: the key itself, or where it is kept.
pulumi.export(
    "providerKey",
    pick(pulumi.Output.secret("sk-proj-1234567890abcdefghijklmnop"), provider_key.arn),
)

# --- images, messages, functions ---------------------------------------------------------
aws.ecr.Repository(
    "inference",
    image_tag_mutability=pick("MUTABLE", "IMMUTABLE"),
    image_scanning_configuration={"scan_on_push": pick(False, True)},
    encryption_configurations=pick(None, [{"encryption_type": "KMS", "kms_key": key.arn}]),
)
aws.sns.Topic("events", kms_master_key_id=pick(None, key.id))
jobs = aws.sqs.Queue(
    "jobs", sqs_managed_sse_enabled=pick(False, None), kms_master_key_id=pick(None, key.id)
)
aws.sqs.QueuePolicy(
    "jobs",
    queue_url=jobs.url,
    policy=jobs.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Producers",
                        "Effect": "Allow",
                        "Principal": pick("*", {"Service": "events.amazonaws.com"}),
                        "Action": "sqs:SendMessage",
                        "Resource": arn,
                        **pick(
                            {},
                            {"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
                        ),
                    }
                ],
            }
        )
    ),
)
role = aws.iam.Role(
    "ingest",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)
ingest_group = aws.ec2.SecurityGroup("ingest", vpc_id=vpc.id, description="ingest function")
ingest = aws.lambda_.Function(
    "ingest",
    role=role.arn,
    runtime="python3.13",
    handler="ingest.handler",
    code=pulumi.AssetArchive(
        {"ingest.py": pulumi.StringAsset("def handler(e, c):\n    return e\n")}
    ),
    environment={"variables": {"FEATURES_HOST": features.address}},
    vpc_config=pick(
        None, {"subnet_ids": [s.id for s in subnets], "security_group_ids": [ingest_group.id]}
    ),
)
aws.lambda_.Permission(
    "invoke",
    function=ingest.name,
    action="lambda:InvokeFunction",
    principal=pick("*", "s3.amazonaws.com"),
    source_arn=pick(None, "arn:aws:s3:::team-uploads"),
)
aws.lambda_.FunctionUrl(
    "ingest", function_name=ingest.name, authorization_type=pick("NONE", "AWS_IAM")
)

# --- the inference API on Kubernetes -------------------------------------------------------
NAMESPACE = "inference"
container_context = pick(
    {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}, "runAsUser": 0},
    {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "capabilities": {"drop": ["ALL"]},
    },
)
api_container = {
    "name": "api",
    "image": pick("ghcr.io/example/inference-api:latest", "ghcr.io/example/inference-api:2.3.1"),
    "ports": [{"containerPort": 8080, **pick({"hostPort": 8080}, {})}],
    "env": pick(
        [{"name": "OPENAI_API_KEY", "value": "sk-proj-1234567890abcdefghijklmnop"}],
        [
            {
                "name": "OPENAI_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "provider", "key": "api-key"}},
            }
        ],
    ),
    "resources": pick(
        {"limits": {"nvidia.com/gpu": 1}},
        {
            "requests": {"cpu": "4", "memory": "16Gi"},
            "limits": {"nvidia.com/gpu": 1, "cpu": "4", "memory": "16Gi"},
        },
    ),
    "securityContext": container_context,
    "volumeMounts": [{"name": pick("host", "scratch"), "mountPath": "/data"}],
}
k8s.apps.v1.Deployment(
    "api",
    metadata={"name": "api", "namespace": NAMESPACE},
    spec={
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                **pick({"hostNetwork": True}, {"serviceAccountName": "api"}),
                "containers": [api_container],
                "volumes": [
                    pick(
                        {"name": "host", "hostPath": {"path": "/var/lib"}},
                        {"name": "scratch", "emptyDir": {}},
                    )
                ],
                **pick(
                    {},
                    {
                        "tolerations": [
                            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                        ]
                    },
                ),
            },
        },
    },
)
k8s.core.v1.ConfigMap(
    "api-settings",
    metadata={"name": "api-settings", "namespace": NAMESPACE},
    data=pick({"DB_PASSWORD": "hunter2-features"}, {"LOG_LEVEL": "info"}),
)
k8s.core.v1.Service(
    "api",
    metadata={
        "name": "api",
        "namespace": NAMESPACE,
        "annotations": pick(
            {}, {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
        ),
    },
    spec={
        "type": "LoadBalancer",
        "selector": {"app": "api"},
        "ports": [{"port": 443, "targetPort": 8080}],
    },
)
k8s.rbac.v1.ClusterRole(
    "api-reader",
    metadata={"name": "api-reader"},
    rules=[
        {
            "apiGroups": pick(["*"], [""]),
            "resources": pick(["*"], ["configmaps"]),
            "verbs": pick(["*"], ["get", "list", "watch"]),
        }
    ],
)
k8s.rbac.v1.ClusterRoleBinding(
    "api-ops",
    metadata={"name": "api-ops"},
    role_ref={
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": pick("cluster-admin", "view"),
    },
    subjects=[{"kind": "Group", "name": "api-ops", "apiGroup": "rbac.authorization.k8s.io"}],
)
