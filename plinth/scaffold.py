"""`plinth tenant new NAME`: a commented tenant file that validates as it is."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from plinth.spec import PROJECTS_DIR
from plinth.spec.errors import Problem, SpecError, problems_from_validation_error
from plinth.spec.tenants import TenantSpec

TEMPLATE = """\
# yaml-language-server: $schema=../plinth.tenant.schema.json
# Tenant file of the {name} project. To onboard it, list `{name}` under plinth:tenants
# in the platform stack (Pulumi.<stack>.yaml); `make preview` then shows what it gets.
name: {name_yaml}
# Accountable people: budget alerts are emailed to them.
owners:
  - {owner_yaml}
# The cost-center tag on everything the project owns.
costCenter: {cost_center_yaml}
# public | internal | confidential | restricted (restricted turns on S3 object lock).
dataClassification: internal

# Platform clusters the project runs on (at least one: its workloads' identity is bound
# there), with its share of each GPU pool (nvidia.com/gpu units) and its CPU and memory
# requests in total. Pools not listed are closed to it.
clusters: {{}}
#  gpu:
#    gpuQuota:
#      l40s: 2
#    cpu: "32"
#    memory: 128Gi

# Bedrock models (from the platform's plinth:bedrock.models) the project may invoke.
bedrockModels: []
#  - us.anthropic.claude-sonnet-4-5-20250929-v1:0

# Every tenant gets datasets, models and artifacts buckets encrypted with its own KMS key.
dataStores: {{}}
#  vectorStore:             # OpenSearch Serverless vector collection, private to the VPC
#    standbyReplicas: true
#  featureStore:            # SageMaker Feature Store, offline store in the datasets bucket
#    featureGroups:
#      - name: transactions
#        recordIdentifier: transaction_id
#        eventTime: event_time
#        features: {{transaction_id: String, event_time: String, amount: Fractional}}

# Experiment tracking (SageMaker managed MLflow, or MLflow on the gateway's cluster), a
# model registry whose production step the admin persona approves, and a Lake Formation
# catalog of the datasets (docs/mlops.md; the platform stack needs plinth:mlops).
# mlops:
#   tracking:
#     server: sagemaker        # sagemaker | cluster (MLflow in the project's namespace)
#     size: Small              # Small | Medium | Large (SageMaker's)
#   registry: true
#   catalog: true

# Monthly AWS budget in USD over costs tagged project={name}; owners are alerted at these
# percentages of actual spend, and when the forecast passes 100%.
budget:
  monthlyUsd: {budget}
  alertThresholds: [50, 80, 100]

# Who holds each persona: IAM role/user ARNs, IAM Identity Center groups (needs
# plinth:identityCenter) or, on CoreWeave, Kubernetes groups.
personas:
  admin:
    iamPrincipals: []
    ssoGroups: []
  developer:
    iamPrincipals: []
    ssoGroups: []
  viewer:
    iamPrincipals: []
    ssoGroups: []
"""


def tenant_file_text(name: str, owner: str, cost_center: str, budget: int) -> str:
    """The scaffold, checked against the tenant model so it is valid as written.

    Raises SpecError naming the flag behind each bad value.
    """
    text = TEMPLATE.format(
        name=name,
        name_yaml=json.dumps(name),
        # JSON strings are YAML strings: quoting keeps an odd value from becoming a number.
        owner_yaml=json.dumps(owner),
        cost_center_yaml=json.dumps(cost_center),
        budget=budget,
    )
    try:
        TenantSpec.model_validate(yaml.safe_load(text))
    except ValidationError as error:
        problems = [
            Problem(_flag(problem.path), problem.message)
            for problem in problems_from_validation_error(error, TenantSpec, prefix="")
        ]
        raise SpecError(problems, source="tenant") from None
    return text


_FLAGS = {"name": "NAME", "owners": "--owner", "costCenter": "--cost-center"}


def _flag(path: str) -> str:
    """The command-line argument behind a tenant key (`owners[0]` -> `--owner`)."""
    return _FLAGS.get(path.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0], path)


def write_tenant_file(project_root: Path, name: str, text: str) -> Path:
    """Write `projects/<name>.yaml`; an existing file is never overwritten."""
    path = project_root / PROJECTS_DIR / f"{name}.yaml"
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
