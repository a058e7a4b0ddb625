"""Writes policies/accelerators.json: the EC2 instance families with NVIDIA GPUs and with AWS
Neuron accelerators, from EC2's DescribeInstanceTypes data (moto's copy of it, every type
AWS offers in any region, with each type's GpuInfo and NeuronInfo).

Run `python -m policies.build_accelerators` after upgrading moto; a test fails while the
committed file differs from what this writes. The pack reads the file, so it needs no moto.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import moto

TARGET = Path(__file__).with_name("accelerators.json")
SOURCE = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"


def families(types: dict[str, Any]) -> dict[str, list[str]]:
    """Instance families by accelerator: `nvidia` (a GPU made by NVIDIA) and `neuron`
    (Inferentia or Trainium)."""
    found: dict[str, set[str]] = {"nvidia": set(), "neuron": set()}
    for name, info in types.items():
        family = name.split(".", 1)[0]
        gpus = (info.get("GpuInfo") or {}).get("Gpus") or []
        if any(gpu.get("Manufacturer") == "NVIDIA" for gpu in gpus):
            found["nvidia"].add(family)
        if info.get("NeuronInfo"):
            found["neuron"].add(family)
    return {kind: sorted(names) for kind, names in found.items()}


def document() -> dict[str, Any]:
    types = json.loads(gzip.decompress(SOURCE.read_bytes()))
    return {
        "source": f"EC2 DescribeInstanceTypes, as moto {moto.__version__} copies it "
        "(moto/ec2/resources/instance_types.json.gz)",
        **families(types),
    }


def main() -> None:
    TARGET.write_text(json.dumps(document(), indent=2) + "\n")


if __name__ == "__main__":
    main()
