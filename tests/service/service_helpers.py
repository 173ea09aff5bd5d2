"""Shared by the service tests: the server's body limit, and the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.json") if p.name != "expected.json")
MAX_BODY = 64 * 1024  # small, so that the limit is cheap to test


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
