"""An eligibility reasoner for the "Portable External Infusion Pump" medical policy.

The coverage criteria are Answer Set Programming rules evaluated by clingo; this
package validates a case, builds facts, drives the solver and renders the decision
with a minimal explanation.
"""

from reasoner.case import Case, case_json_schema, parse_case
from reasoner.decision import Decision
from reasoner.engine import decide, decide_all
from reasoner.errors import InputFileError, InvalidCase, ReasonerError, RulesError

__all__ = [
    "Case",
    "Decision",
    "InputFileError",
    "InvalidCase",
    "ReasonerError",
    "RulesError",
    "case_json_schema",
    "decide",
    "decide_all",
    "parse_case",
]
__version__ = "0.1.0"
