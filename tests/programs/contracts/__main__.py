"""Fixture: one resource per kind of API contract, with values the real APIs refuse on the
`broken` stack and their corrections on the `fixed` stack. Each breakage is what a user's
program could plausibly contain; the comment says which rule refuses it."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

fixed = pulumi.Config().get_bool("fixed") or False

# Pattern ([0-9a-zA-Z][ _-]?)+: a model ID's dots and colons are not allowed in the name.
aws.bedrock.InferenceProfile(
    "profile",
    name="team-claude-haiku-v1-0" if fixed else "team-anthropic.claude-3-haiku-v1:0",
    model_source={"copy_from": "arn:aws:bedrock:us-east-1::foundation-model/x.y-v1:0"},
)
# Length: role names are at most 64 characters.
aws.iam.Role(
    "role",
    name="inference" if fixed else "inference-" + "x" * 60,
    assume_role_policy='{"Version":"2012-10-17","Statement":[]}',
)
# Enum: EKS log types are api, audit, authenticator, controllerManager, scheduler.
aws.eks.Cluster(
    "cluster",
    role_arn="arn:aws:iam::123456789012:role/eks",
    vpc_config={"subnet_ids": ["subnet-0123456789abcdef0"]},
    enabled_cluster_log_types=["api", "audit"] if fixed else ["api", "apiserver"],
)
# Nested: a guardrail filter's type is an enum inside a list inside a structure.
aws.bedrock.Guardrail(
    "guardrail",
    blocked_input_messaging="Blocked.",
    blocked_outputs_messaging="Blocked.",
    content_policy_config={
        "filters_configs": [
            {
                "type": "HATE" if fixed else "HATRED",
                "input_strength": "HIGH",
                "output_strength": "HIGH",
            }
        ]
    },
)
# Documented outside the model: CloudWatch Logs retention takes listed values only.
aws.cloudwatch.LogGroup("logs", retention_in_days=30 if fixed else 10)
# Kubernetes, unknown field: `label` is not an ObjectMeta field.
k8s.core.v1.Namespace(
    "namespace",
    metadata={"name": "team", "labels" if fixed else "label": {"team": "a"}},
)
# Kubernetes, wrong type: a PriorityClass value is an integer.
k8s.scheduling.v1.PriorityClass(
    "priority", metadata={"name": "team"}, value=1000 if fixed else "high"
)
# Custom resource: Kueue's queueingStrategy is StrictFIFO or BestEffortFIFO.
k8s.apiextensions.CustomResource(
    "queue",
    api_version="kueue.x-k8s.io/v1beta2",
    kind="ClusterQueue",
    metadata={"name": "team"},
    spec={"queueingStrategy": "BestEffortFIFO" if fixed else "FIFO", "resourceGroups": []},
)
