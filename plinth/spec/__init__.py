"""Stack spec: the `plinth:` config namespace parsed into one validated object.

`load_spec` is the only way `infra/` reads configuration. It runs before any resource is
registered and raises `SpecError` listing every problem at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from plinth.spec.errors import Problem, SpecError, problems_from_validation_error
from plinth.spec.model import DataClassification, PlinthSpec

NAMESPACE = "plinth"

__all__ = [
    "NAMESPACE",
    "DataClassification",
    "PlinthSpec",
    "Problem",
    "SpecError",
    "load_spec",
    "load_spec_from_pulumi",
    "namespace_values",
]


def namespace_values(config: Mapping[str, str], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The keys of one config namespace, with Pulumi's JSON-encoded objects and lists decoded.

    Pulumi hands every config value to the program as a string; objects and lists arrive as
    JSON. Scalars stay strings and pydantic coerces them ("3" -> 3, "true" -> True).
    """
    values: dict[str, Any] = {}
    for key, raw in config.items():
        found, _, name = key.partition(":")
        if found != namespace or not name:
            continue
        values[name] = _decode(raw)
    return values


def _decode(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        decoded = json.loads(raw)
    except ValueError:
        return raw
    return decoded if isinstance(decoded, dict | list) else raw


def load_spec(config: Mapping[str, str]) -> PlinthSpec:
    """Validate the `plinth:` keys of a Pulumi config mapping (`"plinth:<key>": value`)."""
    try:
        return PlinthSpec.model_validate(namespace_values(config))
    except ValidationError as error:
        problems = problems_from_validation_error(error, PlinthSpec, prefix=f"{NAMESPACE}:")
        raise SpecError(problems) from None


def load_spec_from_pulumi() -> PlinthSpec:
    """Validate the running Pulumi program's configuration (real engine or offline engine)."""
    from pulumi.runtime import config as runtime_config

    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return load_spec(config)
