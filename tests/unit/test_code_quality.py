"""docs/design.md section 3: `ruff` and `mypy --strict` clean: the package, and the scripts that
measure it (benchmarks/) and check it (tools/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ruff_is_clean() -> None:
    completed = run("ruff", "check", "reasoner", "tests", "benchmarks", "tools")
    assert completed.returncode == 0, f"ruff:\n{completed.stdout}\n{completed.stderr}"


def test_mypy_strict_is_clean() -> None:
    completed = run("mypy", "--strict", "reasoner", "benchmarks", "tools")
    assert completed.returncode == 0, f"mypy --strict:\n{completed.stdout}\n{completed.stderr}"
