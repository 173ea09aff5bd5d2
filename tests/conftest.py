"""Shared fixtures: clingo's log is strict (any message is a RulesError), so no test passes
with an "atom undefined" or similar message from the solver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def example() -> Any:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
        return data

    return load
