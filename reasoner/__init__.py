"""An eligibility reasoner for the "Portable External Infusion Pump" medical policy.

The coverage criteria are Answer Set Programming rules evaluated by clingo; this
package validates a case, builds facts, drives the solver and renders the decision
with a minimal explanation.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from reasoner.errors import InputFileError, InvalidCase, ReasonerError, ResourceError, RulesError

if TYPE_CHECKING:
    from reasoner.case import Case, case_json_schema, parse_case
    from reasoner.decision import Decision
    from reasoner.engine import decide, decide_all

# The heavy parts (pydantic, clingo) load on first use, so that `reasoner --help` is quick.
_LAZY = {
    "Case": "reasoner.case", "case_json_schema": "reasoner.case", "parse_case": "reasoner.case",
    "Decision": "reasoner.decision", "decide": "reasoner.engine", "decide_all": "reasoner.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reasoner' has no attribute {name!r}")


__all__ = [
    "Case",
    "Decision",
    "InputFileError",
    "InvalidCase",
    "ReasonerError",
    "ResourceError",
    "RulesError",
    "case_json_schema",
    "decide",
    "decide_all",
    "parse_case",
]
__version__ = "0.1.0"
