"""Any message clingo logs is a rules bug: it raises RulesError, never passes silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner._solve import PreparedProgram, solve
from reasoner.errors import RulesError


def test_the_rules_as_shipped_log_nothing() -> None:
    # Grounding the decision, explanation, verification and not-met proof programs raises on any message.
    for entry in ("main.lp", "explain.lp", "verify.lp", "inert.lp"):
        PreparedProgram(entry)


def test_an_undefined_atom_is_a_rules_error(tmp_path: Path) -> None:
    broken = tmp_path / "undefined.lp"
    broken.write_text("covered_somehow(C) :- case(C), never_defined(C).\n", encoding="utf-8")
    with pytest.raises(RulesError, match="never_defined"):
        PreparedProgram("main.lp", extra_files=[broken])


def test_a_program_with_no_answer_is_a_rules_error(tmp_path: Path) -> None:
    contradiction = tmp_path / "contradiction.lp"
    contradiction.write_text("case(0). :- case(0).\n", encoding="utf-8")
    with pytest.raises(RulesError, match="no answer"):
        solve(["main.lp", str(contradiction)], [])
