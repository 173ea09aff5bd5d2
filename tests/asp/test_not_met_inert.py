"""asp/inert.lp: the solver's proof that a condition documented not met never changes a decision
or its primary clause as the known conditions stand (docs/explanations.md section 3: the clauses
read only established conditions). The explanation relies on it to ask the deletion's "same
outcome" questions about the established literals alone (reasoner/explain.py, `gives`)."""

from __future__ import annotations

from pathlib import Path

from reasoner import explain
from reasoner._solve import PreparedProgram


def test_the_rules_as_shipped_have_no_counterexample() -> None:
    assert not PreparedProgram(explain.NOT_MET_INERT).satisfiable_named(())
    assert explain.not_met_is_inert()


def test_a_rule_that_reads_a_condition_documented_not_met_is_found(tmp_path: Path) -> None:
    """Were medical review established whenever insulin is documented not the drug, dropping that
    literal would change the decision: the proof finds the counterexample, and the explanation
    would then ask its questions with every literal."""
    reads_not_met = tmp_path / "reads_not_met.lp"
    reads_not_met.write_text("holds(C, medical_review_established) :- refuted(C, drug_insulin).\n", encoding="utf-8")
    counterexample = PreparedProgram(explain.NOT_MET_INERT, extra_files=[reads_not_met]).solve(frozenset(), models=1)
    assert counterexample
    shown = {str(symbol) for symbol in counterexample[0].symbols}
    assert "dropped(drug_insulin)" in shown
    assert "known(drug_insulin,false)" in shown


def test_a_rule_that_reads_an_established_condition_is_no_counterexample(tmp_path: Path) -> None:
    """The proof is about documented-not-met literals only: a rule reading established ones is
    what every clause does, and leaves it standing."""
    reads_held = tmp_path / "reads_held.lp"
    reads_held.write_text("holds(C, medical_review_established) :- holds(C, drug_insulin).\n", encoding="utf-8")
    assert not PreparedProgram(explain.NOT_MET_INERT, extra_files=[reads_held]).satisfiable_named(())
