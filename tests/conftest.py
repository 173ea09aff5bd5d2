"""Shared fixtures: clingo's log is strict (any message is a RulesError), so no test passes
with an "atom undefined" or similar message from the solver."""

from __future__ import annotations

import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A shell starts a background job (`.ci/run &`) with SIGINT ignored, and every process the
# tests start would inherit that: Ctrl-C would reach none of them and the tests of Ctrl-C
# would fail for a reason of the launch, not of the code. Handled here, SIGINT is back to its
# default in every child (exec resets a handled signal, not an ignored one).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# The on-disk cache of the rules' slice (reasoner/_disk_cache.py) goes to a folder of this run,
# for the tests and every process they start, unless the caller chose one: a test run leaves
# nothing in the user's ~/.cache.
os.environ.setdefault("REASONER_CACHE_DIR", tempfile.mkdtemp(prefix="reasoner-test-cache-"))


@pytest.fixture
def example() -> Any:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
        return data

    return load
