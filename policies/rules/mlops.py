"""MLOps: experiment artifacts under a customer key, MLflow servers that sign their users in, a
promotion path where registering a model version is not approving it, every approval recorded,
and catalogs governed by Lake Formation (no IAM-only defaults, locations registered)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from components.mlops.platform import APPROVAL_EVENT
from policies.props import (
    IDENTITY_POLICY_TYPES,
    actions,
    allows,
    as_list,
    condition_values,
    dig,
    known,
    of_type,
    referencing,
    resources,
    statements,
)
from policies.report import Report
from policies.rule import Config, resource_rule, stack_rule
from policies.rules.kubernetes import WORKLOADS, pod_spec_of
from policies.rules.storage import BUCKETS, bucket_encryption_rules, sse_kms_problem

TRACKING_SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
CATALOG_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
DATA_LAKE_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
"""Lake Formation's stand-in for "whatever IAM allows": a default grant to it hands a new
database or table to IAM policies alone."""
APPROVAL_KEY = "sagemaker:ModelApprovalStatus"
REGISTRATION = ("sagemaker:createmodelpackage", "sagemaker:updatemodelpackage")
AUTH_APPS = ("basic-auth",)
"""`mlflow server --app-name` values that sign users in (MLflow's built-in authentication)."""
_S3_URI = re.compile(r"^s3://([^/]+)")

PROMOTION = {
    "hipaa": ["164.312(c)(1)"],
    "soc2": ["CC8.1"],
    "nist-800-53": ["CM-3", "AC-5"],
    "nist-ai-rmf": ["MANAGE 1.3"],
}
GOVERNED_CATALOG = {
    "hipaa": ["164.312(a)(1)", "164.312(c)(1)"],
    "gdpr": ["Art. 25", "Art. 32"],
    "soc2": ["CC6.1", "CC6.3"],
    "nist-800-53": ["AC-3", "AC-6"],
    "nist-ai-rmf": ["MAP 4.2"],
}


def _artifact_bucket(args: StackValidationArgs, server: PolicyResource) -> PolicyResource | None:
    """The stack's bucket a tracking server's artifact store is in: the one its URI was
    computed from, else the one named in it."""
    buckets = of_type(args, *BUCKETS)
    deps = {dep.urn for dep in server.property_dependencies.get("artifactStoreUri", ())}
    found = [b for b in buckets if b.urn in deps]
    if found:
        return found[0]
    match = _S3_URI.match(str(known(server.props, "artifactStoreUri", "")))
    named = [b for b in buckets if match and known(b.props, "bucket") == match.group(1)]
    return named[0] if named else None


@stack_rule(
    id="tracking-artifacts-customer-key",
    area="mlops",
    description="An MLflow tracking server keeps its artifacts (models, datasets' samples, "
    "evaluation output) in a bucket encrypted with a customer-managed KMS key: artifacts are "
    "as sensitive as the data they were made from.",
    severity="high",
    remediation="Point artifact_store_uri at a bucket with SSE-KMS under a customer key (Plinth "
    "uses the tenant's artifacts bucket and key when a tenant file sets mlops.tracking).",
    fix={"tenant": "mlops.tracking"},
    controls={
        "hipaa": ["164.312(a)(2)(iv)"],
        "gdpr": ["Art. 32"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["SC-28"],
        "nist-ai-rmf": ["MEASURE 2.7"],
    },
)
def tracking_artifacts_customer_key(args: StackValidationArgs, report: Report, _: Config) -> None:
    for server in of_type(args, TRACKING_SERVER):
        bucket = _artifact_bucket(args, server)
        if bucket is None:
            continue  # a bucket of another stack: its own stack's rules judge it
        rules = bucket_encryption_rules(args, bucket)
        problems = [p for rule in rules if (p := sse_kms_problem(rule))]
        if not rules or problems:
            why = problems[0] if problems else "the bucket has no default encryption"
            report(f"its artifact store's bucket is not under a customer key: {why}", server.urn)


def _mlflow_server_args(container: Mapping[str, Any]) -> list[str] | None:
    """The arguments of `mlflow server` when a container runs it, else None."""
    words = [
        word
        for part in (*as_list(known(container, "command")), *as_list(known(container, "args")))
        for word in (shlex.split(part) if isinstance(part, str) and " " in part else [str(part)])
    ]
    for index, word in enumerate(words):
        if word.rsplit("/", 1)[-1] == "mlflow" and words[index + 1 : index + 2] == ["server"]:
            return words[index + 2 :]
    return None


def _auth_app(server_args: list[str]) -> str | None:
    for index, word in enumerate(server_args):
        if word.startswith("--app-name="):
            return word.split("=", 1)[1]
        if word == "--app-name" and index + 1 < len(server_args):
            return server_args[index + 1]
    return None


@resource_rule(
    id="mlflow-authentication-on",
    area="mlops",
    description="A self-hosted MLflow server signs its users in (MLflow's basic-auth app, or "
    "its chart's auth.enabled): without it anyone who reaches the Service reads and deletes "
    "every experiment and registered model.",
    severity="high",
    remediation="Run `mlflow server --app-name basic-auth` with an admin password from a "
    "Secret (the community chart: auth.enabled true with auth.existingAdminSecret).",
    fix={"tenant": "mlops.tracking"},
    controls={
        "hipaa": ["164.312(d)"],
        "soc2": ["CC6.1"],
        "nist-800-53": ["IA-2", "AC-3"],
        "nist-ai-rmf": ["MEASURE 2.7"],
    },
    types=(*WORKLOADS, HELM_RELEASE),
)
def mlflow_authentication_on(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    if args.resource_type == HELM_RELEASE:
        if str(known(args.props, "chart", "")).rsplit("/", 1)[-1] != "mlflow":
            return
        if dig(args.props, "values", "auth", "enabled") is not True:
            report("the mlflow chart is installed without auth.enabled")
        return
    for container in as_list(dig(pod_spec_of(args.resource_type, args.props), "containers")):
        server_args = _mlflow_server_args(container)
        if server_args is not None and _auth_app(server_args) not in AUTH_APPS:
            report(
                f"container {dig(container, 'name')!r} runs `mlflow server` without authentication"
            )


def _registering_documents(
    args: StackValidationArgs, group: str
) -> Iterator[tuple[PolicyResource, bool]]:
    """(policy resource, may approve) for each identity policy that lets its principal
    register versions in `group`: it may approve unless it denies requests setting the status
    to Approved (or allows registration only with another status)."""
    version = f"model-package/{group}/1"
    for resource in of_type(args, *IDENTITY_POLICY_TYPES):
        document = statements(known(resource.props, "policy", ""))
        registers = [
            s
            for s in document
            if allows(s)
            and any(
                fnmatchcase(a.lower(), p) for a in REGISTRATION for p in map(str.lower, actions(s))
            )
            and any(fnmatchcase(version, r.split(":", 5)[-1]) or r == "*" for r in resources(s))
        ]
        if not registers:
            continue
        # The deny must reach both calls that set a status, or the other one approves.
        denied = {
            action
            for s in document
            if not allows(s) and "Approved" in condition_values(s, "StringEquals", APPROVAL_KEY)
            for action in REGISTRATION
            if any(fnmatchcase(action, pattern.lower()) for pattern in actions(s))
        } == set(REGISTRATION)
        conditioned = all(
            condition_values(s, "StringEquals", APPROVAL_KEY)
            and "Approved" not in condition_values(s, "StringEquals", APPROVAL_KEY)
            for s in registers
        )
        yield resource, not (denied or conditioned)


@stack_rule(
    id="model-approval-separated",
    area="mlops",
    description="Registering a model version is not approving it: for every model package "
    "group, some principal that registers versions cannot set them to Approved (an explicit "
    "deny on sagemaker:ModelApprovalStatus), so production takes a second person's approval.",
    severity="high",
    remediation="Deny sagemaker:CreateModelPackage and sagemaker:UpdateModelPackage with "
    "sagemaker:ModelApprovalStatus = Approved to the roles that register versions, and let only "
    "approvers (the tenant's admin persona) approve; Plinth does this for mlops.registry.",
    fix={"tenant": "mlops.registry"},
    controls=PROMOTION,
)
def model_approval_separated(args: StackValidationArgs, report: Report, _: Config) -> None:
    for group in of_type(args, MODEL_PACKAGE_GROUP):
        name = known(group.props, "modelPackageGroupName")
        if not name:
            continue
        documents = list(_registering_documents(args, str(name)))
        if documents and all(may_approve for _, may_approve in documents):
            report(
                f"every policy that registers versions in {name!r} may also approve them "
                f"({', '.join(sorted(r.name for r, _ in documents))})",
                group.urn,
            )


def _records(pattern: Any, group: str) -> bool:
    """Whether an event pattern matches SageMaker's approval events of `group`."""
    try:
        parsed = json.loads(pattern) if isinstance(pattern, str) else {}
    except json.JSONDecodeError:
        return False
    if "aws.sagemaker" not in as_list(dig(parsed, "source")) or APPROVAL_EVENT not in as_list(
        dig(parsed, "detail-type")
    ):
        return False
    names = dig(parsed, "detail", "ModelPackageGroupName")
    if names is None:
        return True
    return any(
        name == group or (isinstance(name, Mapping) and group.startswith(str(name.get("prefix"))))
        for name in as_list(names)
    )


@stack_rule(
    id="model-approvals-recorded",
    area="mlops",
    description="Every model package group's registrations and approval decisions are "
    "recorded: an EventBridge rule on SageMaker's model package state changes, with a target, "
    "matches the group.",
    severity="medium",
    remediation="Set plinth:mlops in the platform stack (its approval record matches every "
    'group of the account), or add an EventBridge rule for "SageMaker Model Package State '
    'Change" with a log group target. A stack that reads another stack (a tenant stack) is '
    "left to that stack's record.",
    fix={"tenant": "mlops.registry", "*": "plinth:mlops"},
    controls={
        "hipaa": ["164.312(b)"],
        "soc2": ["CC8.1"],
        "nist-800-53": ["AU-12", "CM-3"],
        "nist-ai-rmf": ["MANAGE 1.3"],
    },
)
def model_approvals_recorded(args: StackValidationArgs, report: Report, _: Config) -> None:
    if of_type(args, STACK_REFERENCE):
        return  # a tenant stack: its platform stack records the account's approvals
    targets = of_type(args, EVENT_TARGET)
    recording = [rule for rule in of_type(args, EVENT_RULE) if referencing(targets, "rule", rule)]
    for group in of_type(args, MODEL_PACKAGE_GROUP):
        name = known(group.props, "modelPackageGroupName")
        if name and not any(_records(known(r.props, "eventPattern"), str(name)) for r in recording):
            report(f"no EventBridge rule with a target records {name!r}'s approvals", group.urn)


def _iam_only(permissions: Any) -> bool:
    """Whether default permissions grant IAM_ALLOWED_PRINCIPALS (IAM alone decides)."""
    return any(
        dig(entry, "principal") == IAM_ALLOWED_PRINCIPALS
        or dig(entry, "principal", "dataLakePrincipalIdentifier") == IAM_ALLOWED_PRINCIPALS
        for entry in as_list(permissions)
    )


@resource_rule(
    id="lake-formation-no-iam-only-fallback",
    area="mlops",
    description="Lake Formation's settings give new databases and tables no default grant to "
    "IAM_ALLOWED_PRINCIPALS (AWS's default before the settings are written): with it, any "
    "principal whose IAM policy allows Glue and S3 reads the data, and Lake Formation's "
    "grants decide nothing.",
    severity="high",
    remediation="Set create_database_default_permissions and create_table_default_permissions "
    "to empty lists in aws.lakeformation.DataLakeSettings (plinth:mlops does).",
    fix={"*": "plinth:mlops"},
    controls=GOVERNED_CATALOG,
    types=(DATA_LAKE_SETTINGS,),
)
def no_iam_only_fallback(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    # Left out, a default is cleared: the resource replaces the account's whole settings.
    for key in ("createDatabaseDefaultPermissions", "createTableDefaultPermissions"):
        if _iam_only(args.props.get(key)):
            report(f"{key} grants IAM_ALLOWED_PRINCIPALS")


@stack_rule(
    id="catalog-governed-by-lake-formation",
    area="mlops",
    description="A Glue database's tables are governed by Lake Formation: no IAM-only default "
    "on its new tables, and its S3 location registered with Lake Formation, so reads go through "
    "credentials Lake Formation vends per grant.",
    severity="high",
    remediation="Give aws.glue.CatalogDatabase create_table_default_permissions=[] and register "
    "its location with aws.lakeformation.Resource (mlops.catalog in a tenant file does both).",
    fix={"tenant": "mlops.catalog"},
    controls=GOVERNED_CATALOG,
)
def catalog_governed(args: StackValidationArgs, report: Report, _: Config) -> None:
    registered = of_type(args, "aws:lakeformation/resource:Resource")
    buckets = of_type(args, *BUCKETS)
    for database in of_type(args, CATALOG_DATABASE):
        defaults = database.props.get("createTableDefaultPermissions")
        if defaults is None or _iam_only(defaults):
            report("new tables default to IAM_ALLOWED_PRINCIPALS (IAM alone decides)", database.urn)
        located = {dep.urn for dep in database.property_dependencies.get("locationUri", ())}
        location = [b for b in buckets if b.urn in located]
        if location and not any(referencing(registered, "arn", b) for b in location):
            report("its S3 location is not registered with Lake Formation", database.urn)
