"""Stack spec: the `plinth:` config namespace parsed into one validated object.

`load_spec` is the only way `infra/` reads configuration. It runs before any resource is
registered and raises `SpecError` listing every problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from plinth import yaml_files
from plinth.spec.base import DataClassification
from plinth.spec.config_keys import config_key_problems
from plinth.spec.errors import Problem, SpecError, problems_from_validation_error
from plinth.spec.model import PlinthSpec
from plinth.spec.platform import PLATFORM_OUTPUT, PlatformContract, contract_problems

NAMESPACE = "plinth"

__all__ = [
    "NAMESPACE",
    "PLATFORM_OUTPUT",
    "DataClassification",
    "PlatformContract",
    "PlinthSpec",
    "Problem",
    "SpecError",
    "check_platform_contract",
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


PROJECTS_DIR = "projects"
"""Where tenant files live, relative to the project directory."""


def load_spec(config: Mapping[str, str], project_dir: Path | None = None) -> PlinthSpec:
    """Validate the `plinth:` keys of a Pulumi config mapping (`"plinth:<key>": value`).

    `plinth:tenants` entries that are names are read from `<project_dir>/projects/<name>.yaml`
    first; problems inside a file are reported under the file's name.
    """
    values = namespace_values(config)
    files, problems = _read_tenant_files(values, project_dir)
    problems += config_key_problems(config, NAMESPACE)
    try:
        spec = PlinthSpec.model_validate(values)
    except ValidationError as error:
        entries = values.get("tenants")
        # Entries still naming a file are files that could not be read: reported already.
        unread = {
            f"{NAMESPACE}:tenants[{index}]"
            for index, entry in enumerate(entries if isinstance(entries, list) else [])
            if isinstance(entry, str)
        }
        problems += [
            problem
            for problem in problems_from_validation_error(error, PlinthSpec, prefix=f"{NAMESPACE}:")
            if problem.path not in unread
        ]
        raise SpecError(_in_files(problems, files)) from None
    problems += spec.problems()
    if problems:
        raise SpecError(_in_files(problems, files))
    spec._tenant_files = files
    return spec


def check_platform_contract(spec: PlinthSpec, published: Any) -> PlatformContract:
    """Validate what a tenant stack's platform stack published (its `plinthPlatform` output,
    None when absent) and the stack's tenants against it; SpecError lists every problem."""
    assert spec.platform is not None
    stack = spec.platform.stack
    if published is None:
        raise SpecError(
            [
                Problem(
                    f"{NAMESPACE}:platform.stack",
                    f"{stack} has no output {PLATFORM_OUTPUT!r}: is it a Plinth platform "
                    "stack, updated since tenant stacks were introduced?",
                )
            ]
        )
    try:
        contract = PlatformContract.model_validate(published)
    except ValidationError as error:
        raise SpecError(
            problems_from_validation_error(
                error, PlatformContract, prefix=f"{stack} output {PLATFORM_OUTPUT}."
            ),
            source=f"platform contract of {stack}",
        ) from None
    problems = contract_problems(spec, contract)
    if problems:
        raise SpecError(_in_files(problems, spec._tenant_files))
    return contract


def load_spec_from_pulumi(project_dir: Path) -> PlinthSpec:
    """Validate the running Pulumi program's configuration (real engine or offline engine)."""
    from pulumi.runtime import config as runtime_config

    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return load_spec(config, project_dir)


def _read_tenant_files(
    values: dict[str, Any], project_dir: Path | None
) -> tuple[dict[int, str], list[Problem]]:
    """Replace tenant names in `values["tenants"]` by their files' contents.

    Returns the file of each replaced entry (by index) and the problems reading them.
    """
    entries = values.get("tenants")
    if not isinstance(entries, list):
        return {}, []
    files: dict[int, str] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            continue
        at = f"{NAMESPACE}:tenants[{index}]"
        if not _FILE_STEM.match(entry):
            problems.append(Problem(at, f"{entry!r} is not a tenant file name (such as ml-search)"))
            continue
        relative = f"{PROJECTS_DIR}/{entry}.yaml"
        path = project_dir / relative if project_dir else None
        if path is None or not path.is_file():
            known = sorted(p.stem for p in path.parent.glob("*.yaml")) if path else []
            problems.append(
                Problem(
                    at, f"no tenant file {relative} (files there: {', '.join(known) or 'none'})"
                )
            )
            continue
        try:
            document = yaml_files.load(path, str(relative))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(relative, f"cannot be read: {error}"))
            continue
        except yaml.YAMLError as error:
            # PyYAML's message points at the line and column with a caret: keep its lines.
            where = "\n".join(f"    {line}" for line in str(error).splitlines())
            problems.append(Problem(relative, f"is not valid YAML:\n{where}"))
            continue
        if not isinstance(document, dict):
            problems.append(
                Problem(relative, "must be a mapping of tenant keys (name, owners, ...)")
            )
            continue
        if document.get("name") != entry:
            problems.append(
                Problem(
                    f"{relative}:name",
                    f"{document.get('name')!r} must be the file's name, {entry!r}",
                )
            )
        entries[index] = document
        files[index] = relative
    return files, problems


_FILE_STEM = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TENANT_PATH = re.compile(rf"^{NAMESPACE}:tenants\[(\d+)\]\.?(.*)$")


def _in_files(problems: list[Problem], files: dict[int, str]) -> list[Problem]:
    """Problems inside a tenant read from a file are reported as `<file>:<key path>`."""
    located = []
    for problem in problems:
        match = _TENANT_PATH.match(problem.path)
        if match and int(match[1]) in files:
            relative, rest = files[int(match[1])], match[2]
            located.append(Problem(f"{relative}:{rest}" if rest else relative, problem.message))
        else:
            located.append(problem)
    return sorted(set(located))
