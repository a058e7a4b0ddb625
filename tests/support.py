"""Shared helpers: every component and stack is tested on what the offline engine captures.

Assertions run on captured inputs (the engine's camelCase property names, as policies see
them), never inside `apply` callbacks.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from components.scope import AwsScope
from plinth.engine import Preview, ResourceRecord, preview_stack, run_callable
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID
from plinth.engine.project import _to_wire

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"
IAM_SIMULATOR = Path(__file__).resolve().parent / "iam_simulate"

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TENANT = "plinth:tenant:Tenant"
TENANT_BUCKETS = ("datasets", "models", "artifacts")
"""The buckets every tenant gets (its data layer, components/tenant/data.py)."""


def dev_stack_document() -> dict[str, Any]:
    """The built-in dev stack file, parsed (a fresh copy each call)."""
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    return copy.deepcopy(document)


def dev_tenants() -> dict[str, dict[str, Any]]:
    """The dev stack's tenants by name, each parsed from its `projects/<name>.yaml` file."""
    names: list[str] = dev_stack_document()["config"]["plinth:tenants"]
    tenants: dict[str, dict[str, Any]] = {}
    for name in names:
        tenant = yaml.safe_load((ROOT / "projects" / f"{name}.yaml").read_text())
        assert tenant["name"] == name, f"projects/{name}.yaml names {tenant['name']!r}"
        tenants[name] = tenant
    assert tenants, "the dev stack lists no tenants"
    return tenants


def dev_bucket_names() -> set[str]:
    """The S3 buckets (logical names) the dev stack file asks for: the access-log bucket, one
    per `plinth:storage.buckets` key, the Bedrock invocation-log bucket when Bedrock is on,
    the audit-log bucket unless CloudTrail and Config are both external, and each tenant's
    own buckets."""
    config = dev_stack_document()["config"]
    names = {
        "plinth-dev-access-logs",
        *(f"plinth-dev-{key}" for key in config["plinth:storage"]["buckets"]),
        *(f"plinth-dev-{tenant}-{kind}" for tenant in dev_tenants() for kind in TENANT_BUCKETS),
    }
    if config["plinth:bedrock"]["enabled"]:
        names.add("plinth-dev-bedrock-logs")
    external = config.get("plinth:guardrails", {}).get("external", [])
    if not {"cloudTrail", "awsConfig"} <= set(external):
        names.add("plinth-dev-audit-logs")
    return names


def tenant_members(preview: Preview) -> dict[str, str]:
    """Every resource inside a tenant (under a `plinth:tenant:Tenant` component, at any depth):
    its URN -> that Tenant component's name. The platform's own resources are not keys.

    Follows parent links rather than reading URNs: offline, a URN names only the type of its
    nearest parent."""
    by_urn = {r.urn: r for r in preview.resources}
    members: dict[str, str] = {}
    for record in preview.resources:
        parent = by_urn.get(record.parent)
        while parent is not None and parent.type != TENANT:
            parent = by_urn.get(parent.parent)
        if parent is not None:
            members[record.urn] = parent.name
    return members


def preview_dev(
    tmp_path: Path, changes: Mapping[str, Any] | None = None, removals: tuple[str, ...] = ()
) -> Preview:
    """Preview this repo's program on the dev stack file with some `plinth:` keys changed.
    The dev gateway follows a variant's clusters: onto its first EKS cluster when `gpu` is
    gone (keeping the served models whose pool is there, the fallbacks and tenant grants of
    models still served), and away (with the tenants' gateway grants, which then have no
    gateway) when it has no EKS cluster or no Bedrock."""
    document = dev_stack_document()
    config = document["config"]
    config.update(changes or {})
    for key in removals:
        config.pop(key, None)
    follow_the_gateway(config)
    config_file = tmp_path / "Pulumi.test.yaml"
    config_file.write_text(yaml.safe_dump(document))
    return preview_stack(ROOT / "infra", "dev", config_file=config_file)


def follow_the_gateway(config: dict[str, Any]) -> None:
    """Keep a variant of the dev stack valid: see preview_dev."""
    gateway = config.get("plinth:gateway")
    if gateway is None:
        return
    eks = [c["name"] for c in config.get("plinth:clusters", []) if c.get("cloud") == "aws"]
    bedrock = config.get("plinth:bedrock", {}).get("enabled", False)
    if eks and bedrock:
        cluster = gateway["cluster"] if gateway["cluster"] in eks else eks[0]
        config["plinth:gateway"] = _served_where_possible({**gateway, "cluster": cluster}, config)
        served = _gateway_models(config)
        config["plinth:tenants"] = [
            _granted_only(entry, served) for entry in config.get("plinth:tenants", [])
        ]
        return
    del config["plinth:gateway"]
    if "plinth:observability" in config:  # the trace store lives on the gateway's cluster
        config["plinth:observability"] = {
            k: v for k, v in config["plinth:observability"].items() if k != "traces"
        }
    config["plinth:tenants"] = [
        _without_gateway(entry) for entry in config.get("plinth:tenants", [])
    ]


def _served_where_possible(gateway: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The gateway with the served models whose pool its cluster has (and bucket the stack),
    and the fallbacks between models it still serves."""
    cluster = next(c for c in config["plinth:clusters"] if c["name"] == gateway["cluster"])
    pools = {pool["name"] for pool in cluster.get("gpuPools", [])}
    buckets = config.get("plinth:storage", {}).get("buckets")
    served = [
        m
        for m in gateway.get("servedModels", [])
        if m["pool"] in pools and (buckets is None or m.get("bucket", "models") in buckets)
    ]
    models = _gateway_models({**config, "plinth:gateway": {"servedModels": served}})
    fallbacks = {
        model: [to for to in chain if to in models]
        for model, chain in gateway.get("fallbacks", {}).items()
        if model in models
    }
    return {
        **gateway,
        "servedModels": served,
        "fallbacks": {model: chain for model, chain in fallbacks.items() if chain},
    }


def _gateway_models(config: dict[str, Any]) -> set[str]:
    served = config["plinth:gateway"].get("servedModels", [])
    return {*config["plinth:bedrock"].get("models", []), *(m["name"] for m in served)}


def _granted_only(entry: Any, models: set[str]) -> Any:
    """A tenant entry granted only the gateway models still served (none: no grant); an
    entry that needs no change (or names a file of another project) is left as it is."""
    inlined = _inlined(entry) if _is_repo_tenant(entry) else entry
    if not isinstance(inlined, dict) or "gateway" not in inlined:
        return entry
    granted = inlined["gateway"].get("models", [])
    kept = [m for m in granted if m in models]
    if kept == granted:
        return entry
    if not kept:
        return _without_gateway(inlined)
    return {**inlined, "gateway": {**inlined["gateway"], "models": kept}}


def _is_repo_tenant(entry: Any) -> bool:
    return isinstance(entry, str) and (ROOT / "projects" / f"{entry}.yaml").is_file()


def _inlined(entry: Any) -> Any:
    """A tenant entry as a mapping (a file entry is read and inlined)."""
    if isinstance(entry, str):
        return yaml.safe_load((ROOT / "projects" / f"{entry}.yaml").read_text())
    return entry


def _without_gateway(entry: Any) -> Any:
    """A tenant entry without its gateway grant."""
    return {key: value for key, value in _inlined(entry).items() if key != "gateway"}


def run_components(
    body: Callable[[], Any], *, region: str = "us-east-1", config: Mapping[str, Any] | None = None
) -> Preview:
    """Run `body` (which builds components) as a program offline; returns the capture."""
    wire = {key: _to_wire(value) for key, value in (config or {}).items()}
    return run_callable(body, project="test", stack="test", config={"aws:region": region, **wire})


def scope(region: str = "us-east-1") -> AwsScope:
    return AwsScope(account_id=EXAMPLE_ACCOUNT_ID, region=region)


def of_type(preview: Preview, type_: str, name_contains: str = "") -> list[ResourceRecord]:
    return [r for r in preview.of_type(type_) if name_contains in r.name]


def one(preview: Preview, type_: str, name_contains: str = "") -> ResourceRecord:
    found = of_type(preview, type_, name_contains)
    assert len(found) == 1, f"expected one {type_} named *{name_contains}*, got {len(found)}"
    return found[0]


def document(record: ResourceRecord, key: str) -> dict[str, Any]:
    """A JSON policy document input, parsed."""
    parsed: dict[str, Any] = json.loads(record.plain_inputs[key])
    return parsed


def statement(policy: Mapping[str, Any], sid: str) -> dict[str, Any]:
    matches = [s for s in policy["Statement"] if s.get("Sid") == sid]
    assert len(matches) == 1, f"no single statement {sid!r} in {policy}"
    found: dict[str, Any] = matches[0]
    return found


def named(preview: Preview, type_: str, name: str) -> ResourceRecord:
    found = [r for r in preview.of_type(type_) if r.name == name]
    assert len(found) == 1, f"expected one {type_} named {name}, got {len(found)}"
    return found[0]


def role_arn(role: ResourceRecord) -> str:
    """A role's ARN from its physical name (the role record's ID)."""
    return f"arn:aws:iam::{EXAMPLE_ACCOUNT_ID}:role/{role.id}"


def provider_urn(record: ResourceRecord) -> str:
    """The URN part of a resource's provider reference (`urn::id`)."""
    return record.provider.rsplit("::", 1)[0]


def trust_policy_with_resource(role: ResourceRecord) -> str:
    """A role's trust policy with its implicit resource (the role) written out: parliament
    reads every document as an identity policy, stops at a statement without Resource, and
    would check nothing else in it."""
    policy = document(role, "assumeRolePolicy")
    for entry in policy["Statement"]:
        assert "Resource" not in entry, entry
        assert "NotResource" not in entry, entry
        entry["Resource"] = role_arn(role)
    return json.dumps(policy)


def _parliament_above_low(policy_json: str) -> list[Any]:
    """parliament's findings worse than LOW (with its own severities), for an IAM policy."""
    import parliament

    analysis = parliament.analyze_policy_string(policy_json, include_community_auditors=False)
    enhanced = [parliament.enhance_finding(finding) for finding in analysis.findings]
    return [finding for finding in enhanced if finding.severity not in ("LOW", "MUTE")]


def parliament_findings_above_low(policy_json: str) -> list[str]:
    """parliament's findings (with its own severities) worse than LOW, for an IAM policy."""
    return [f"{f.severity} {f.issue}: {f.detail}" for f in _parliament_above_low(policy_json)]


def required_formats(action: str) -> set[str]:
    """The ARN formats parliament's IAM database marks required (`*`) for an action."""
    from parliament.statement import get_arn_format, get_privilege_info

    service, name = action.split(":", 1)
    info = get_privilege_info(service, name)
    return {
        get_arn_format(entry["resource_type"], info["service_resources"])
        for entry in info["resource_types"]
        if "*" in entry["resource_type"]
    }


def iam_findings(policy_json: str) -> list[str]:
    """parliament's findings worse than LOW, with RESOURCE_MISMATCH judged the way IAM judges
    it: an action with several resource types (bedrock:InvokeModel takes foundation models,
    inference profiles, provisioned models...) needs a resource of one of them. parliament
    1.6.4 asks for one of each (duo-labs/parliament#48, fix in the unmerged #208), so it would
    report every grant of named models. A mismatch stays when no resource of the statement is
    of any type the action takes."""
    findings = []
    for finding in _parliament_above_low(policy_json):
        detail = finding.detail
        if finding.issue == "RESOURCE_MISMATCH":
            unmatched: dict[str, set[str]] = {}
            for item in detail:
                unmatched.setdefault(item["action"], set()).add(item["required_format"])
            detail = [
                item
                for item in detail
                if unmatched[item["action"]] >= required_formats(item["action"])
            ]
            if not detail:
                continue
        findings.append(f"{finding.severity} {finding.issue}: {detail}")
    return findings


_BEDROCK_MODEL_ARN = re.compile(
    r"^(?P<head>arn:[\w-]+:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)/)"
    r"(?P<model>.+)$"
)
_PARLIAMENT_UNKNOWN_KEY = "bedrock:GuardrailIdentifier"
_PARLIAMENT_STAND_IN_KEY = "bedrock:InferenceProfileArn"


def bedrock_for_parliament(policy_json: str) -> str:
    """An IAM policy with the two things parliament 1.6.4 wrongly rejects in Bedrock grants
    rewritten, so that every other check still runs on the rest of it:

    - its `is_arn_strictly_valid` rejects any ':' in an ARN's resource ID after the resource
      type (RESOURCE_MISMATCH), but Bedrock model IDs contain one
      (`foundation-model/amazon.titan-embed-text-v2:0`): inside the model ID of
      `foundation-model/` and `inference-profile/` ARNs, ':' becomes the one-character
      wildcard '?', which matches the same ARN and that check accepts;
    - its IAM database predates the condition key `bedrock:GuardrailIdentifier`
      (UNKNOWN_CONDITION_FOR_ACTION): the key is renamed to `bedrock:InferenceProfileArn`,
      which parliament knows for the same actions and which has the same type (ARN), so the
      operator and value are still type-checked.

    Nothing else changes: actions, effects, other resources, other condition keys.
    """
    policy = json.loads(policy_json)
    entries = policy["Statement"]
    for entry in entries if isinstance(entries, list) else [entries]:
        for key in ("Resource", "NotResource"):
            if key in entry:
                value = entry[key]
                entry[key] = (
                    [_mask_model_id(v) for v in value]
                    if isinstance(value, list)
                    else _mask_model_id(value)
                )
        for keys in (entry.get("Condition") or {}).values():
            if _PARLIAMENT_UNKNOWN_KEY in keys:
                if _PARLIAMENT_STAND_IN_KEY in keys:
                    raise ValueError(f"both condition keys under one operator: {keys}")
                keys[_PARLIAMENT_STAND_IN_KEY] = keys.pop(_PARLIAMENT_UNKNOWN_KEY)
    return json.dumps(policy)


def _mask_model_id(arn: str) -> str:
    match = _BEDROCK_MODEL_ARN.match(arn)
    if match is None:
        return arn
    return match["head"] + match["model"].replace(":", "?")


def simulate(principal: str, policies: list[Any], requests: list[dict[str, Any]]) -> list[str]:
    """Decisions of @cloud-copilot/iam-simulate (tests/iam_simulate), one per request
    ({action, resource, context}): "Allowed", "ExplicitlyDenied", "ImplicitlyDenied" or
    "error: ..." (an unknown action, ARN or condition key). It evaluates every condition
    operator, explicit denies and NotResource, against AWS's IAM data, for the identity
    `policies` of `principal`."""
    assert (IAM_SIMULATOR / "node_modules").is_dir(), (
        "run `make test-tools` (npm ci in tests/iam_simulate)"
    )
    completed = subprocess.run(
        ["node", str(IAM_SIMULATOR / "simulate.mjs")],
        input=json.dumps({"principal": principal, "policies": policies, "requests": requests}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=IAM_SIMULATOR,
    )
    decisions: list[str] = json.loads(completed.stdout)
    return decisions
