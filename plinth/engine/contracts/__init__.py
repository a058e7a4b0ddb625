"""The cloud's API contracts, checked offline: what the real APIs would refuse.

The mock runtime accepts any value, so a program can preview cleanly and then fail on its
first `pulumi up`. After a program runs, the engine checks every captured resource:

- AWS resources against the constraints of the API operation that creates them (lengths,
  patterns, enums, ranges, required members, nested shapes), from the AWS API models that
  ship with botocore (`aws`, table in `aws_table.yaml`), plus the few limits AWS documents
  outside its models (`documented`);
- Kubernetes objects against the OpenAPI schema of their cluster's Kubernetes version, and
  custom resources against the CRD schemas of the versions Plinth pins (`kubernetes`);
- Helm releases' values against their chart's values schema, for the charts whose schema is
  copied here (`charts`).

Values known only after deployment (unknown outputs) are skipped, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plinth.engine.contracts.violations import Violation
from plinth.engine.errors import EngineRejection
from plinth.engine.result import ResourceRecord

__all__ = ["ContractReport", "ContractViolations", "Violation", "check_contracts"]


class ContractViolations(EngineRejection):
    """The program registers resources the cloud's APIs would refuse."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        count = len({v.urn for v in self.violations})
        super().__init__(
            f"the cloud's APIs would refuse {count} resource(s) of this program",
            [violation.text() for violation in self.violations],
        )


@dataclass(frozen=True)
class ContractReport:
    violations: list[Violation]
    unchecked_kinds: list[str]
    """Kubernetes `apiVersion kind`s with no schema here: their objects were not checked."""
    warnings: list[str]
    """What may fail depending on the account (adjustable quotas)."""


def check_contracts(
    records: Iterable[ResourceRecord],
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> ContractReport:
    """Every contract violation among `records`, by resource. `stack_outputs`
    (referenced stacks' outputs) tell the Kubernetes versions of clusters made elsewhere."""
    # Imported here: the schema libraries load only when a program has run.
    from plinth.engine.contracts import aws, charts, documented, kubernetes

    resources = list(records)
    objects, unchecked = kubernetes.check(resources, stack_outputs)
    position = {record.urn: index for index, record in enumerate(resources)}
    violations = [
        *aws.check(resources),
        *documented.check(resources),
        *objects,
        *charts.check(resources),
    ]
    return ContractReport(
        # Each resource's violations together, in the order of `records` (stable sort).
        violations=sorted(violations, key=lambda v: position.get(v.urn, len(position))),
        unchecked_kinds=sorted(unchecked),
        warnings=documented.notes(resources),
    )
