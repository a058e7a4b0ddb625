"""The `clusters` section of the spec: every kind of mistake gets one problem at its exact path,
and the AWS GPU machine table agrees with EC2's instance type data (moto's copy of it)."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import moto
import pytest

from components.cluster.instances import AWS_GPU_MACHINES
from components.cluster.node_sizes import AWS_NODE_SIZES
from plinth.spec import SpecError, load_spec

MINIMAL = {
    "plinth:environment": "dev",
    "plinth:owner": "team@example.com",
    "plinth:costCenter": "cc-1",
    "plinth:aws": {"region": "us-east-1"},
}
RESERVATION = "cr-0123456789abcdef0"
SECOND_RESERVATION = "cr-0123456789abcdef1"


def wire(config: dict[str, Any]) -> dict[str, str]:
    """Encode like Pulumi: objects and lists as JSON strings, scalars as strings."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
    }


def aws_cluster(
    name: str = "gpu", pool: dict[str, Any] | None = None, **keys: Any
) -> dict[str, Any]:
    """A valid EKS cluster with one L4 pool, with `pool` keys and cluster `keys` changed."""
    base = {"name": "l4", "instanceTypes": ["g6.xlarge"], "minNodes": 0, "maxNodes": 2}
    return {"name": name, "cloud": "aws", "gpuPools": [{**base, **(pool or {})}], **keys}


def coreweave_cluster(
    name: str = "train", pool: dict[str, Any] | None = None, **keys: Any
) -> dict[str, Any]:
    """A valid CKS cluster with one H100 pool, with `pool` keys and cluster `keys` changed."""
    base = {"name": "h100", "instanceType": "gd-8xh100ib-i128", "minNodes": 0, "maxNodes": 2}
    cluster = {"name": name, "cloud": "coreweave", "zone": "US-EAST-04A"}
    return {**cluster, "gpuPools": [{**base, **(pool or {})}], **keys}


def config(clusters: list[dict[str, Any]], environment: str = "dev") -> dict[str, Any]:
    return {**MINIMAL, "plinth:environment": environment, "plinth:clusters": clusters}


def problems(clusters: list[dict[str, Any]], environment: str = "dev") -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(wire(config(clusters, environment)))
    return [(problem.path, problem.message) for problem in caught.value.problems]


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(mapping)
    del trimmed[key]
    return trimmed


def test_the_base_clusters_are_valid() -> None:
    """The cases below break these one key at a time: each problem is the change's own."""
    spec = load_spec(wire(config([aws_cluster(), coreweave_cluster()])))
    assert [cluster.name for cluster in spec.clusters] == ["gpu", "train"]
    nodegroups = aws_cluster(
        mode="nodegroups",
        systemInstanceType="m7i.xlarge",
        addonVersions={"coredns": "v1.13.2-eksbuild.4"},
        publicAccessCidrs=["198.51.100.0/24"],
        pool={
            "instanceTypes": ["p5.48xlarge"],
            "efa": True,
            "capacityType": "capacity-block",
            "capacityReservationIds": [RESERVATION],
            "sharing": {"mode": "mig", "profile": "all-1g.10gb"},
        },
    )
    assert load_spec(wire(config([nodegroups]))).clusters[0].gpu_pools[0].efa is True
    # Node groups launch into several On-Demand Capacity Reservations (a reservation group).
    several = aws_cluster(
        mode="nodegroups",
        pool={
            "capacityType": "reserved",
            "capacityReservationIds": [RESERVATION, SECOND_RESERVATION],
        },
    )
    pool = load_spec(wire(config([several]))).clusters[0].gpu_pools[0]
    assert pool.capacity_reservation_ids == (RESERVATION, SECOND_RESERVATION)


CASES: list[tuple[str, list[dict[str, Any]], str, str, str]] = [
    # (id, clusters, environment, problem path, message fragment)
    (
        "unknown-cloud",
        [{**aws_cluster(), "cloud": "gcp"}],
        "dev",
        "plinth:clusters[0].cloud",
        "'gcp' is not allowed; expected one of 'aws', 'coreweave'",
    ),
    (
        "missing-cloud",
        [without(aws_cluster(), "cloud")],
        "dev",
        "plinth:clusters[0].cloud",
        "required key is missing",
    ),
    (
        "min-nodes-over-max",
        [aws_cluster(pool={"minNodes": 3, "maxNodes": 2})],
        "dev",
        "plinth:clusters[0].gpuPools[0].maxNodes",
        "2 is less than minNodes (3)",
    ),
    (
        "non-gpu-instance-type",
        [aws_cluster(pool={"instanceTypes": ["m5.large"]})],
        "dev",
        "plinth:clusters[0].gpuPools[0].instanceTypes[0]",
        "'m5.large' is not an AWS GPU machine type",
    ),
    (
        "duplicate-pool-names",
        [{**aws_cluster(), "gpuPools": [aws_cluster()["gpuPools"][0]] * 2}],
        "dev",
        "plinth:clusters[0].gpuPools",
        "'l4' listed more than once",
    ),
    (
        "duplicate-cluster-names",
        [aws_cluster("gpu"), coreweave_cluster("gpu")],
        "dev",
        "plinth:clusters",
        "'gpu' listed more than once",
    ),
    (
        "sharing-in-auto-mode",
        [aws_cluster(pool={"sharing": {"mode": "timeSlicing", "replicas": 4}})],
        "dev",
        "plinth:clusters[0]",
        "gpu pools 'l4' set sharing, which needs mode 'nodegroups'",
    ),
    (
        "sharing-on-coreweave",
        [coreweave_cluster(pool={"sharing": {"mode": "timeSlicing", "replicas": 4}})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "sharing is not available on CoreWeave",
    ),
    (
        "mig-on-a-non-mig-gpu",
        [
            aws_cluster(
                mode="nodegroups", pool={"sharing": {"mode": "mig", "profile": "all-1g.10gb"}}
            )
        ],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "sharing.mode 'mig' needs MIG-capable GPUs; L4 cannot be partitioned",
    ),
    (
        "efa-on-a-non-efa-type",
        [aws_cluster(mode="nodegroups", pool={"efa": True})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "efa: true, but g6.xlarge do not support EFA",
    ),
    (
        "efa-in-auto-mode",
        [aws_cluster(pool={"instanceTypes": ["p5.48xlarge"], "efa": True})],
        "dev",
        "plinth:clusters[0]",
        "gpu pools 'l4' ask for EFA, which Plinth sets up with mode 'nodegroups'",
    ),
    (
        "capacity-block-without-reservations",
        [aws_cluster(pool={"capacityType": "capacity-block"})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "capacityType 'capacity-block' needs capacityReservationIds",
    ),
    (
        "reservations-with-on-demand",
        [aws_cluster(pool={"capacityReservationIds": [RESERVATION]})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "capacityReservationIds need capacityType 'reserved' or 'capacity-block' "
        "(it is 'on-demand')",
    ),
    (
        "capacity-block-of-several-types",
        [
            aws_cluster(
                pool={
                    "instanceTypes": ["p5.48xlarge", "p5en.48xlarge"],
                    "capacityType": "capacity-block",
                    "capacityReservationIds": [RESERVATION],
                }
            )
        ],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "a Capacity Block is for one instance type",
    ),
    (
        "several-capacity-blocks-on-a-node-group",
        [
            aws_cluster(
                mode="nodegroups",
                pool={
                    "instanceTypes": ["p5.48xlarge"],
                    "capacityType": "capacity-block",
                    "capacityReservationIds": [RESERVATION, SECOND_RESERVATION],
                },
            )
        ],
        "dev",
        "plinth:clusters[0]",
        "gpu pools 'l4' list several Capacity Blocks; a node group launches into one block",
    ),
    (
        "efa-types-with-different-network-cards",
        [
            aws_cluster(
                mode="nodegroups",
                pool={"instanceTypes": ["p5.48xlarge", "p5en.48xlarge"], "efa": True},
            )
        ],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "efa: true needs instance types with the same network cards",
    ),
    (
        "bad-reservation-id",
        [aws_cluster(pool={"capacityType": "reserved", "capacityReservationIds": ["cr-123"]})],
        "dev",
        "plinth:clusters[0].gpuPools[0].capacityReservationIds",
        "'cr-123' not a capacity reservation ID (cr- and 17 hex digits)",
    ),
    (
        "public-cidr-whole-internet",
        [aws_cluster(publicAccessCidrs=["0.0.0.0/0"])],
        "dev",
        "plinth:clusters[0].publicAccessCidrs",
        "'0.0.0.0/0' opens the API server to a large part of the internet",
    ),
    (
        "public-cidr-private-range",
        [aws_cluster(publicAccessCidrs=["10.0.0.0/8"])],
        "dev",
        "plinth:clusters[0].publicAccessCidrs",
        "'10.0.0.0/8' is not a public range",
    ),
    (
        "unsupported-kubernetes-version",
        [aws_cluster(kubernetesVersion="1.29")],
        "dev",
        "plinth:clusters[0].kubernetesVersion",
        "'1.29' is not allowed; expected '1.33', '1.34' or '1.35'",
    ),
    (
        "system-instance-type-in-auto-mode",
        [aws_cluster(systemInstanceType="m7i.xlarge")],
        "dev",
        "plinth:clusters[0]",
        "systemInstanceType applies to mode 'nodegroups' only",
    ),
    (
        "reserved-label-prefix",
        [aws_cluster(pool={"labels": {"nvidia.com/foo": "bar"}})],
        "dev",
        "plinth:clusters[0].gpuPools[0].labels",
        "'nvidia.com/foo' uses a reserved prefix",
    ),
    (
        "gb200-not-a-whole-rack",
        [coreweave_cluster(pool={"instanceType": "gb200-4x", "minNodes": 18, "maxNodes": 20})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "gb200-4x comes in whole racks of 18 nodes without autoscaling",
    ),
    (
        "gb200-fixed-but-not-a-multiple-of-the-rack",
        [coreweave_cluster(pool={"instanceType": "gb200-4x", "minNodes": 20, "maxNodes": 20})],
        "dev",
        "plinth:clusters[0].gpuPools[0]",
        "set minNodes = maxNodes = a multiple of 18",
    ),
    (
        "coreweave-name-too-long",
        [coreweave_cluster("training-cluster-01")],
        "dev-us-east",
        "plinth:clusters",
        "CoreWeave cluster 'training-cluster-01' would be named "
        "'dev-us-east-training-cluster-01', over CoreWeave's 30 characters",
    ),
    (
        "bad-coreweave-zone",
        [coreweave_cluster(zone="us-east-04a")],
        "dev",
        "plinth:clusters[0].zone",
        "'us-east-04a' is not a CoreWeave zone name",
    ),
    (
        "unknown-key-in-a-pool",
        [aws_cluster(pool={"maxnodes": 2})],
        "dev",
        "plinth:clusters[0].gpuPools[0].maxnodes",
        "unknown key 'maxnodes' (did you mean 'maxNodes'?); allowed keys: "
        "capacityReservationIds, capacityType, efa, instanceTypes, labels, maxNodes, minNodes, "
        "name, sharing",
    ),
    (
        "coreweave-key-on-an-aws-cluster",
        [aws_cluster(zone="US-EAST-04A")],
        "dev",
        "plinth:clusters[0].zone",
        "unknown key 'zone'",
    ),
    (
        "bad-addon-build",
        [aws_cluster(mode="nodegroups", addonVersions={"coredns": "1.13.2"})],
        "dev",
        "plinth:clusters[0].addonVersions",
        "coredns: '1.13.2' not an EKS add-on build",
    ),
]


@pytest.mark.parametrize(
    ("clusters", "environment", "path", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_cluster_mistake_is_one_problem_at_its_path(
    clusters: list[dict[str, Any]], environment: str, path: str, fragment: str
) -> None:
    found = problems(clusters, environment)
    assert len(found) == 1, found
    assert found[0][0] == path, found
    assert fragment in found[0][1], found


def test_every_broken_cluster_is_reported_at_once() -> None:
    found = problems(
        [
            aws_cluster("first", pool={"minNodes": 3, "maxNodes": 2}),
            coreweave_cluster("second", zone="nowhere"),
            aws_cluster("third", publicAccessCidrs=["0.0.0.0/0"]),
        ]
    )
    assert [path for path, _ in found] == [
        "plinth:clusters[0].gpuPools[0].maxNodes",
        "plinth:clusters[1].zone",
        "plinth:clusters[2].publicAccessCidrs",
    ]


# --- the AWS machine table against EC2's DescribeInstanceTypes data -------------------------

POOLED_FAMILIES = {
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
    "g4dn", "g5", "g6", "g6e", "gr6", "g7", "g7e",
}  # fmt: skip


@pytest.fixture(scope="module")
def ec2_instance_types() -> dict[str, dict[str, Any]]:
    path = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"
    data: dict[str, dict[str, Any]] = json.loads(gzip.decompress(path.read_bytes()))
    return data


def first_gpu(entry: dict[str, Any]) -> dict[str, Any]:
    gpus: list[dict[str, Any]] = entry.get("GpuInfo", {}).get("Gpus", [])
    return gpus[0] if gpus else {}


def test_machine_table_matches_ec2_instance_data(
    ec2_instance_types: dict[str, dict[str, Any]],
) -> None:
    mismatches = []
    for name, machine in AWS_GPU_MACHINES.items():
        entry = ec2_instance_types.get(name)
        if entry is None:
            mismatches.append(f"{name}: not an EC2 instance type")
            continue
        gpu = first_gpu(entry)
        network = entry.get("NetworkInfo", {})
        actual = {
            "gpus": gpu.get("Count"),
            "gpu": gpu.get("Name"),
            "efa": network.get("EfaSupported", False),
            "manufacturer": gpu.get("Manufacturer"),
            "x86_64": "x86_64" in entry["ProcessorInfo"]["SupportedArchitectures"],
            "network_cards": network.get("MaximumNetworkCards", 1),
            "efa_interfaces": network.get("EfaInfo", {}).get("MaximumEfaInterfaces", 0),
        }
        expected = {
            "gpus": machine.gpus,
            "gpu": machine.gpu,
            "efa": machine.efa,
            "manufacturer": "NVIDIA",
            "x86_64": True,
            "network_cards": machine.network_cards,
            "efa_interfaces": machine.efa_interfaces,
        }
        if actual != expected:
            mismatches.append(f"{name}: table {expected}, EC2 {actual}")
    assert mismatches == []


def test_efa_layout_uses_every_efa_device_ec2_offers(
    ec2_instance_types: dict[str, dict[str, Any]],
) -> None:
    """Each EFA type's launch-template layout: an ENA primary, then EFA-only interfaces on
    exactly the network cards EC2 says support EFA, as many as it has EFA devices."""
    for name, machine in AWS_GPU_MACHINES.items():
        if not machine.efa:
            continue
        cards = ec2_instance_types[name]["NetworkInfo"]["NetworkCards"]
        supports = {card["NetworkCardIndex"]: card.get("InterfaceTypes", []) for card in cards}
        layout = machine.efa_layout()
        assert layout[0] == (0, 0, "interface"), name
        efa = [(card, device) for card, device, kind in layout if kind == "efa-only"]
        assert len(efa) == machine.efa_interfaces, name
        assert sorted({card for card, _ in efa}) == sorted(
            index for index, kinds in supports.items() if "efa-only" in kinds
        ), name


def test_machine_table_lists_every_whole_gpu_x86_nvidia_type_of_the_pooled_families(
    ec2_instance_types: dict[str, dict[str, Any]],
) -> None:
    eligible = {
        name
        for name, entry in ec2_instance_types.items()
        if name.split(".")[0] in POOLED_FAMILIES
        and first_gpu(entry).get("Manufacturer") == "NVIDIA"
        and isinstance(first_gpu(entry).get("Count"), int)
        and first_gpu(entry)["Count"] >= 1
        and "x86_64" in entry["ProcessorInfo"]["SupportedArchitectures"]
    }
    assert len(eligible) > 40, sorted(eligible)  # the filter found the families at all
    assert sorted(eligible - set(AWS_GPU_MACHINES)) == []


def test_node_sizes_match_ec2_instance_data(
    ec2_instance_types: dict[str, dict[str, Any]],
) -> None:
    assert set(AWS_NODE_SIZES) == set(AWS_GPU_MACHINES)
    mismatches = [
        f"{name}: {size} vs EC2 {entry['VCpuInfo']['DefaultVCpus']} vCPUs, "
        f"{entry['MemoryInfo']['SizeInMiB']} MiB"
        for name, size in AWS_NODE_SIZES.items()
        if (entry := ec2_instance_types[name])
        and (size.vcpus, size.memory_gib)
        != (entry["VCpuInfo"]["DefaultVCpus"], entry["MemoryInfo"]["SizeInMiB"] // 1024)
    ]
    assert mismatches == []
