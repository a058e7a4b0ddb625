"""Helm releases' values against their chart's values.schema.json.

Helm validates a release's values, coalesced over the chart's own values.yaml, against the
schema its chart ships before installing anything; the mock runtime does not, so a value the
chart refuses would surface only at `pulumi up`. The defaults and schemas of the charts
Plinth pins are copied in `charts/` (README there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from plinth.engine.contracts.kubernetes import path_text, plain, problem_text, violation
from plinth.engine.contracts.violations import Violation
from plinth.engine.result import ResourceRecord
from plinth.engine.values import Secret

SCHEMA_DIR = Path(__file__).with_name("charts")
RELEASE = "kubernetes:helm.sh/v3:Release"
CHARTS = {
    ("https://community-charts.github.io/helm-charts", "mlflow", "1.11.5"): (
        "community-charts-mlflow-1.11.5"
    ),
}
"""(repository, chart, version) -> the stem of its `.values.yaml` and `.schema.json` here."""


@cache
def _validator(stem: str) -> jsonschema.Validator:
    schema = json.loads((SCHEMA_DIR / f"{stem}.schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


@cache
def _defaults(stem: str) -> Any:
    return yaml.safe_load((SCHEMA_DIR / f"{stem}.values.yaml").read_text()) or {}


def coalesce(given: Any, defaults: Any, *, top: bool = True) -> Any:
    """Values as Helm hands them to the templates and the schema (chartutil's
    CoalesceValues): `given` over the chart's defaults, maps merged key by key, anything else
    replaced. A null removes the default it overrides; a top-level null the chart has no
    default for stays (and meets the schema)."""
    if not (isinstance(given, Mapping) and isinstance(defaults, Mapping)):
        return given
    merged = dict(defaults)
    for key, value in given.items():
        if value is None and (key in defaults or not top):
            merged.pop(key, None)
        else:
            merged[key] = coalesce(value, defaults.get(key), top=False)
    return merged


def _text(value: Any) -> Any:
    return value.value if isinstance(value, Secret) else value


def chart_of(inputs: Mapping[str, Any]) -> tuple[str, str, str]:
    """(repository, chart, version) of a Release's inputs."""
    options = _text(inputs.get("repositoryOpts")) or {}
    repository = _text(options.get("repo", "")) if isinstance(options, Mapping) else ""
    return (
        str(repository).rstrip("/"),
        str(_text(inputs.get("chart", ""))),
        str(_text(inputs.get("version", ""))),
    )


def check(records: Sequence[ResourceRecord]) -> list[Violation]:
    """Violations of the charts' schemas by the releases' values."""
    violations: list[Violation] = []
    for record in records:
        if record.type != RELEASE or record.read:
            continue
        key = chart_of(record.inputs)
        stem = CHARTS.get(key)
        if stem is None:
            continue
        source = f"{key[1]} chart {key[2]} values.schema.json ({key[0]})"
        pruned: set[tuple[str | int, ...]] = set()
        given = plain(record.inputs.get("values") or {}, ("values",), pruned)
        for error in _validator(stem).iter_errors(coalesce(given, _defaults(stem))):
            path = ("values", *error.absolute_path)
            if error.validator == "required" and path in pruned:
                continue  # the required value may be the one not known yet
            violations.append(
                violation(record, path_text(path), error.instance, problem_text(error), source)
            )
    return violations
