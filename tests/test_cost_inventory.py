"""The cost estimate counts what a stack builds from its spec, without a preview. These tests
preview the stacks and check every count against the resources the program registers, and that
every resource type a stack registers is billed one of the ways `plinth.cost_inventory` names
(or is free), so a new resource cannot slip into a stack unpriced and unlisted."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml
from support import ROOT, dev_stack_document

from plinth.cost_inventory import FREE_TYPES, KINDS, KINDS_BY_KEY, Billing, inventory
from plinth.document import load_stack_spec
from plinth.engine import Preview, preview_stack

VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KIND_OF_TYPE = {kind.type: kind.key for kind in KINDS if kind.type}
BILLED_PREFIXES = ("aws:", "coreweave:")


def kind_of(type_: str, name: str, inputs: dict[str, object]) -> str | None:
    """The billable kind a previewed resource is, or None for a free one."""
    if type_ == VPC_ENDPOINT:  # gateway endpoints (S3) are free
        return "interface-endpoint" if inputs.get("vpcEndpointType") == "Interface" else None
    if type_ == NODE_GROUP:
        return "system-node-group" if name.endswith("-system") else "gpu-node-group"
    return KIND_OF_TYPE.get(type_)


def previewed(preview: Preview) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in preview.resources:
        if kind := kind_of(record.type, record.name, record.inputs):
            counts[kind] += 1
    return counts


def counted(stack: str, config_file: Path | None = None) -> Counter[str]:
    """The spec's inventory, less what has no resource of its own (EKS Auto Mode's fee)."""
    counts = inventory(load_stack_spec(ROOT / "infra", stack, config_file))
    return Counter({key: n for key, n in counts.items() if KINDS_BY_KEY[key].type})


def unclassified(preview: Preview) -> set[str]:
    billed_types = {kind.type for kind in KINDS}
    return {
        record.type
        for record in preview.resources
        if record.type.startswith(BILLED_PREFIXES) and record.type not in billed_types | FREE_TYPES
    }


def test_the_dev_stack_is_counted_as_it_is_built(dev_preview: Preview) -> None:
    assert counted("dev") == previewed(dev_preview)
    assert unclassified(dev_preview) == set()


def test_the_coreweave_stack_is_counted_as_it_is_built(coreweave_preview: Preview) -> None:
    assert counted("coreweave") == previewed(coreweave_preview)
    assert unclassified(coreweave_preview) == set()


def test_a_tenant_stack_is_counted_as_it_is_built(dev_preview: Preview, tmp_path: Path) -> None:
    outputs = tmp_path / "dev.json"
    outputs.write_text(json.dumps(dev_preview.as_stack_outputs()))
    preview = preview_stack(ROOT / "infra", "dev-vision", stack_outputs_file=outputs)
    assert counted("dev-vision") == previewed(preview)
    assert unclassified(preview) == set()


def test_other_choices_are_counted_as_they_are_built(tmp_path: Path) -> None:
    """Node groups, a NAT gateway per AZ, Bedrock in another region, no trail alarms (the
    baseline profile), guardrails provided outside the stack, standby replicas."""
    document = dev_stack_document()
    config = document["config"]
    config["plinth:clusters"][0]["mode"] = "nodegroups"
    config["plinth:network"]["natGateways"] = "perAz"
    config["plinth:bedrock"].update(
        {"region": "us-west-2", "endpoints": {"runtime": False, "agentRuntime": False}}
    )
    config["plinth:compliance"] = {"profiles": ["baseline"]}
    config["plinth:guardrails"]["external"] = ["guardDuty", "securityHub", "costAnomalyMonitor"]
    tenant = yaml.safe_load((ROOT / "projects" / "fraud-detection.yaml").read_text())
    tenant["dataStores"]["vectorStore"]["standbyReplicas"] = True
    config["plinth:tenants"] = [tenant]
    config_file = tmp_path / "Pulumi.dev.yaml"
    config_file.write_text(yaml.safe_dump(document))
    preview = preview_stack(ROOT / "infra", "dev", config_file=config_file)
    counts = counted("dev", config_file)
    assert counts == previewed(preview)
    assert (counts["system-node-group"], counts["nat-gateway"], counts["metric-alarm"]) == (1, 3, 0)
    assert unclassified(preview) == set()


def test_every_kind_is_billed_one_way_and_says_why_it_is_not_priced() -> None:
    assert len(KINDS_BY_KEY) == len(KINDS)
    assert FREE_TYPES.isdisjoint(kind.type for kind in KINDS)
    unpriced = [kind for kind in KINDS if kind.billing is not Billing.PRICED]
    assert all(kind.detail for kind in unpriced)
