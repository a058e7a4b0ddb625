"""GPU and Neuron instance families come from EC2's DescribeInstanceTypes data, not a list
written by hand: the committed policies/accelerators.json is what build_accelerators derives
now, and every GPU type Plinth prices or pools is recognised and allowed by default."""

from __future__ import annotations

import json

import pytest
import yaml
from support import ROOT

from components.cluster.instances import AWS_GPU_MACHINES
from policies.build_accelerators import TARGET, document
from policies.rules.eks import is_gpu_instance_type, is_neuron_instance_type
from policies.rules.gpu import POOLABLE_FAMILIES

PRICE_TABLES = sorted((ROOT / "policies" / "price_tables").glob("aws-*.yaml"))
PRICED = sorted(
    {
        name
        for table in PRICE_TABLES
        for name in yaml.safe_load(table.read_text())["instances"]["hourly"]
    }
)


def test_the_committed_families_are_what_the_data_says() -> None:
    assert json.loads(TARGET.read_text()) == document(), (
        "run `python -m policies.build_accelerators`"
    )


@pytest.mark.parametrize("instance_type", [*PRICED, *sorted(AWS_GPU_MACHINES)])
def test_every_priced_or_poolable_gpu_type_is_a_gpu_the_default_allows(
    instance_type: str,
) -> None:
    assert is_gpu_instance_type(instance_type)
    assert instance_type.split(".", 1)[0] in POOLABLE_FAMILIES


@pytest.mark.parametrize(
    ("instance_type", "gpu", "neuron"),
    [
        ("g7e.2xlarge", True, False),  # RTX PRO Server 6000, 2025
        ("p6-b300.48xlarge", True, False),
        ("g5g.xlarge", True, False),  # Graviton with NVIDIA T4G
        ("g4ad.xlarge", False, False),  # AMD Radeon Pro V520
        ("trn2.48xlarge", False, True),
        ("inf2.xlarge", False, True),
        ("m7i.large", False, False),
    ],
)
def test_accelerators_are_told_apart(instance_type: str, gpu: bool, neuron: bool) -> None:
    assert (is_gpu_instance_type(instance_type), is_neuron_instance_type(instance_type)) == (
        gpu,
        neuron,
    )
