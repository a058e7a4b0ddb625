"""Pulumi projects and stack config files, read the way the Pulumi CLI reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from plinth import yaml_files
from plinth.engine.errors import ProjectError

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
# Offline there is no secrets provider to decrypt `secure:` values; programs get this instead.
SECRET_PLACEHOLDER = "offline-secret-placeholder"


@dataclass(frozen=True)
class Project:
    """A Pulumi project: its name, root folder and program folder."""

    name: str
    root: Path
    program: Path
    stack_config_dir: Path
    defaults: dict[str, str] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")]
            for p in self.stack_config_dir.glob("Pulumi.*.yaml")
        )


@dataclass(frozen=True)
class StackConfig:
    """Config as the engine hands it to a program: `namespace:key` -> string value."""

    values: dict[str, str]
    secret_keys: list[str]
    notes: list[str] = field(default_factory=list)


def find_project(start: Path) -> Project:
    """The project whose Pulumi.yaml is at or above `start` (a project or program folder)."""
    start = start.resolve()
    if not start.is_dir():
        raise ProjectError(f"program folder {str(start)!r} does not exist")
    for folder in (start, *start.parents):
        for candidate in PROJECT_FILES:
            if (folder / candidate).is_file():
                return _read_project(folder / candidate)
    raise ProjectError(f"no Pulumi.yaml in {str(start)!r} or any folder above it")


def _read_project(path: Path) -> Project:
    document = _load_yaml(path)
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{path}: 'name' is missing")
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(
            f"{path}: runtime is {runtime_name!r}; the offline engine runs Python programs only"
        )
    root = path.parent
    program = (root / str(document.get("main") or ".")).resolve()
    if not (program / "__main__.py").is_file():
        raise ProjectError(f"{path}: program folder {str(program)!r} has no __main__.py")
    config_dir = root / str(document.get("stackConfigDir") or ".")
    return Project(
        name=name,
        root=root,
        program=program,
        stack_config_dir=config_dir,
        defaults=_project_defaults(name, document.get("config")),
    )


def _project_defaults(project: str, config: Any) -> dict[str, str]:
    """Project-level config: `key: value` or `key: {default|value: ...}`."""
    defaults: dict[str, str] = {}
    if not isinstance(config, dict):
        return defaults
    for key, entry in config.items():
        value = entry
        if isinstance(entry, dict):
            if "value" not in entry and "default" not in entry:
                continue
            value = entry.get("value", entry.get("default"))
        defaults[_qualify(project, str(key))] = _to_wire(value)
    return defaults


def load_stack_config(project: Project, stack: str, config_file: Path | None = None) -> StackConfig:
    """The stack's config (its Pulumi.<stack>.yaml, or `config_file`) over project defaults."""
    path = config_file or project.stack_file(stack)
    if not path.is_file():
        if config_file is not None:
            raise ProjectError(f"config file {str(path)!r} does not exist")
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(
            f"stack {stack!r} has no config file {path.name} in {str(path.parent)!r} "
            f"(stacks with config files: {known})"
        )
    document = _load_yaml(path)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{path}: 'config' must be a mapping of keys to values")
    stray = sorted(str(key) for key in document if ":" in str(key))
    if stray and not config:
        raise ProjectError(
            f"{path}: {', '.join(stray)} are at the top level, where Pulumi ignores them: "
            "indent them under `config:`"
        )
    values = dict(project.defaults)
    secret_keys: list[str] = []
    plain_credentials: list[str] = []
    for key, value in config.items():
        qualified = _qualify(project.name, str(key))
        stripped = _strip_secure(value)
        if stripped != value:  # the value held a `secure:` entry
            secret_keys.append(qualified)
        plain_credentials += _plain_credentials(qualified, stripped)
        values[qualified] = _to_wire(stripped)
    if plain_credentials:
        raise ProjectError(
            f"{path.name} holds credentials as plain text, readable by whoever reads the "
            "repository: set each with `pulumi config set --secret` (a secure: value) or keep "
            "it in Secrets Manager\n" + "\n".join(plain_credentials)
        )
    notes = []
    if document.get("environment"):
        notes.append(
            f"{path.name}: Pulumi ESC environments are not resolved offline; "
            "only the file's own config is used"
        )
    if secret_keys:
        notes.append(
            f"secure values ({', '.join(sorted(secret_keys))}) cannot be decrypted offline; "
            f"the program sees {SECRET_PLACEHOLDER!r}"
        )
    return StackConfig(values=values, secret_keys=sorted(secret_keys), notes=notes)


def stack_platforms(project: Project) -> dict[str, str | None]:
    """Each stack with a stack file -> the platform stack it reads (`<organization>/<project>/
    <stack>` from its `<project>:platform.stack`), or None for a platform stack."""
    found: dict[str, str | None] = {}
    for stack in project.stacks():
        config = _load_yaml(project.stack_file(stack)).get("config") or {}
        platform = config.get(f"{project.name}:platform") if isinstance(config, dict) else None
        reference = platform.get("stack") if isinstance(platform, dict) else None
        found[stack] = reference if isinstance(reference, str) else None
    return found


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _to_wire(value: Any) -> str:
    """Pulumi's encoding: strings as is, booleans lowercase, objects and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _plain_credentials(key: str, value: Any) -> list[str]:
    """Where a config value holds a recognisable credential (the shapes the policy pack's
    secrets-no-embedded-credentials knows: cloud keys, LLM providers' keys, tokens)."""
    from policies.rules.secrets import credentials_in

    return [f"  {path}: {kind}" for path, kind in credentials_in({key: value})]


def _strip_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {key: _strip_secure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_secure(item) for item in value]
    return value


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml_files.load(path)
    except yaml.YAMLError as error:
        # PyYAML's message names the file, line and column with a caret: keep its lines.
        where = "\n".join(f"    {line}" for line in str(error).splitlines())
        raise ProjectError(f"{path}: not valid YAML:\n{where}") from None
    except OSError as error:
        raise ProjectError(f"{path}: cannot be read ({error.strerror})") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return document


def load_stack_outputs(path: Path) -> dict[str, dict[str, Any]]:
    """`--stack-outputs FILE`: {"<org>/<project>/<stack>": {"<output>": value, ...}, ...}."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProjectError(f"stack outputs file {str(path)!r}: {error.strerror}") from None
    except ValueError as error:
        raise ProjectError(f"stack outputs file {str(path)!r}: not valid JSON ({error})") from None
    problems = []
    if not isinstance(document, dict):
        problems.append("top level must be an object of stack name -> outputs object")
    else:
        problems = [
            f"{name!r}: outputs must be an object, got {type(outputs).__name__}"
            for name, outputs in document.items()
            if not isinstance(outputs, dict)
        ]
    if problems:
        raise ProjectError(f"stack outputs file {str(path)!r} is invalid", problems)
    outputs: dict[str, dict[str, Any]] = document
    return outputs
