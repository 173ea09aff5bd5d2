"""An earlier commit, checked out beside this tree for a before/after measurement."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def earlier_tree(commit: str) -> Iterator[Path]:
    """The commit in a temporary git worktree, given this tree's benchmarks/ (so both sides are
    measured by the same scripts); removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        earlier = Path(folder) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(earlier), commit],
                       check=True, capture_output=True)
        try:
            shutil.rmtree(earlier / "benchmarks")
            shutil.copytree(ROOT / "benchmarks", earlier / "benchmarks")
            yield earlier
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(earlier)], check=False)
