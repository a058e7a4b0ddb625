"""Fixtures shared by every test module (helpers live in support.py)."""

from __future__ import annotations

import pytest
from support import ROOT

from plinth.engine import Preview, preview_stack


@pytest.fixture(scope="session")
def dev_preview() -> Preview:
    """The built-in dev stack, previewed once per test session."""
    return preview_stack(ROOT / "infra", "dev")
