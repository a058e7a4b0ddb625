"""Reading the YAML files users write (stack files, tenant files, waivers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load(path: Path, shown_as: str | None = None) -> Any:
    """The document in `path`. A syntax error's marks name the file (`shown_as`, else the
    path) where PyYAML says `"<unicode string>"`, and keep its line, column and caret."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        for mark in (error.context_mark, error.problem_mark):
            if mark is not None:
                mark.name = shown_as or str(path)
        raise
