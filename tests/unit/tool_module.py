"""Loading a script of tools/ as a module, for the tests of its functions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def load_tool(script: str, name: str) -> ModuleType:
    """tools/``script`` as the module ``name`` (registered: dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
