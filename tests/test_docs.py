"""The docs document every stack config key and the commands CI and users rely on."""

from __future__ import annotations

import json
import typing

from pydantic import BaseModel
from support import ROOT

from plinth.engine import Preview
from plinth.spec.errors import _unwrap_optional
from plinth.spec.model import PlinthSpec
from plinth.spec.schema import stack_file_schema

README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def spec_keys(model: type[BaseModel], prefix: str = "plinth:") -> list[str]:
    """Every leaf key path: sections expanded, entries of a mapping written as `<name>`."""
    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        annotation = _unwrap_optional(field.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(spec_keys(annotation, f"{key}."))
            continue
        keys.append(key)
        if typing.get_origin(annotation) is dict:
            values = _unwrap_optional(typing.get_args(annotation)[1])
            if isinstance(values, type) and issubclass(values, BaseModel):
                keys.extend(spec_keys(values, f"{key}.<name>."))
    return keys


def test_every_spec_key_is_in_the_config_reference() -> None:
    reference = (DOCS / "stack-reference.md").read_text()
    keys = spec_keys(PlinthSpec)
    assert len(keys) > 20
    undocumented = [key for key in keys if f"| `{key}`" not in reference]
    assert undocumented == []


def test_readme_gives_the_setup_commands() -> None:
    assert "make preview" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "plinth.schema.json").read_text())
    assert committed == stack_file_schema(), "run `make schema` and commit plinth.schema.json"


def test_policies_page_rules_and_controls_matrix_is_current() -> None:
    from plinth.docs import splice

    page = (DOCS / "policies.md").read_text()
    assert splice(page) == page, "run `make docs`"
    assert "| `kms-key-rotation` | kms | high |" in page
    assert "| 164.312(b) | Audit controls |" in page


def test_readme_quick_start_shows_the_dev_stack_s_resource_count(dev_preview: Preview) -> None:
    shown = f"{len(dev_preview.resources)} resources would be created in stack plinth/dev"
    assert shown in README
