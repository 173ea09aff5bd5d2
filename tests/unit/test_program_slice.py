"""The decision program is grounded without the statements its output cannot depend on.

reasoner/_slice.py keeps every statement that is not a rule with a head (show statements,
constraints, directives) and every rule defining a predicate those read, transitively. The
labels, sources and quotes beside the rules are dropped, and nothing the decision shows may
change: the scenarios are decided by the whole program and by the kept part, atom for atom.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import clingo
import pytest
import yaml
from clingo import ast

from reasoner import _solve, parse_case
from reasoner._facts import case_facts, kind_code_facts
from reasoner._slice import _defined, relevant_statements
from reasoner.engine import solve_cases
from reasoner.errors import RulesError
from reasoner.vocabulary import KIND_CODES

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


def _no_messages(code: clingo.MessageCode, message: str) -> None:
    raise AssertionError(f"clingo said {code}: {message}")


def heads(statements: list[ast.AST]) -> set[str]:
    return {name for s in statements for name, _ in (_defined(s) or ())}


def parsed(*paths: Path) -> list[ast.AST]:
    statements: list[ast.AST] = []
    ast.parse_files([str(path) for path in paths], statements.append, logger=_no_messages)
    return statements


def sliced(tmp_path: Path, program: str) -> list[str]:
    path = tmp_path / "p.lp"
    path.write_text(program, encoding="utf-8")
    return [str(s) for s in relevant_statements(parsed(path)) if s.ast_type != ast.ASTType.Program]


def test_labels_sources_and_quotes_are_not_grounded_for_a_decision() -> None:
    everything = parsed(_solve.asp_dir() / "main.lp")
    kept = relevant_statements(everything)
    assert {"label", "source", "quote", "question"} <= heads(everything)
    assert not {"label", "source", "quote", "question", "answer_example"} & heads(kept)
    assert {"decision", "line_outcome", "units_allowed", "line_cause"} <= heads(kept)


def test_a_chain_of_rules_under_a_shown_atom_is_kept_and_the_rest_dropped(tmp_path: Path) -> None:
    program = """
        a(1). b(X) :- a(X), not c(X). c(2) :- d. d.
        label(a, "A"). note(X) :- label(X, _).
        -e(1). f :- -e(1).
        p("x"; "y"). q(X) :- p(X).
        #show b/1.
        #show g(X) : f, g(X).
        :- q("z").
    """
    kept = sliced(tmp_path, program)
    assert {"a(1).", "d.", "c(2) :- d."} <= set(kept)
    assert {"-e(1).", "f :- -e(1)."} <= set(kept)  # read by a #show term's condition
    assert {'p("x";"y").', "q(X) :- p(X)."} <= set(kept)  # read by the constraint
    assert not any(s.startswith(("label(", "note(")) for s in kept)


def _shown(control: clingo.Control, cases: list[object]) -> set[str]:
    with control.backend() as backend:
        facts = itertools.chain(kind_code_facts(KIND_CODES), *(case_facts(c, k) for k, c in enumerate(cases)))  # type: ignore[arg-type]
        for fact in facts:
            backend.add_rule([backend.add_atom(fact)])
    control.ground([("base", [])])
    found: set[str] = set()
    control.solve(on_model=lambda model: found.update(str(s) for s in model.symbols(shown=True)))
    return found


@pytest.mark.parametrize("entry", ["main.lp", "brief.lp"])
def test_the_kept_program_shows_what_the_whole_program_shows(entry: str) -> None:
    cases = [parse_case(yaml.safe_load(path.read_text(encoding="utf-8"))["case"]) for path in SCENARIOS]
    whole = clingo.Control(logger=_no_messages)
    whole.load(str(_solve.asp_dir() / entry))
    part = clingo.Control(logger=_no_messages)
    with ast.ProgramBuilder(part) as builder:
        for statement in relevant_statements(parsed(_solve.asp_dir() / entry)):
            builder.add(statement)
    expected = _shown(whole, cases)
    assert len(expected) > 1000
    assert _shown(part, cases) == expected


TRACE_OUTPUT = ("deciding", "met", "relevant", "closed")


def test_the_brief_program_shows_the_decision_program_without_the_explanations_trace() -> None:
    """Decisions-only mode (asp/brief.lp) shows, for every scenario case, exactly what the decision
    program shows but the clause trace and the closed routes, and grounds none of trace.lp."""
    cases = [parse_case(yaml.safe_load(path.read_text(encoding="utf-8"))["case"]) for path in SCENARIOS]
    shown = {}
    for entry in ("main.lp", "brief.lp"):
        control = clingo.Control(logger=_no_messages)
        control.load(str(_solve.asp_dir() / entry))
        shown[entry] = _shown(control, cases)
    assert {s for s in shown["main.lp"] if not s.startswith(tuple(f"{name}(" for name in TRACE_OUTPUT))} \
        == shown["brief.lp"]
    assert any(s.startswith("closed(") for s in shown["main.lp"])
    kept = heads(relevant_statements(parsed(_solve.asp_dir() / "brief.lp")))
    assert not {"relevant", "closed", "route_impossible", "unmet_route", "request_possible"} & kept
    assert {"decision", "settled", "holds", "refuted", "open_attribute", "line_outcome"} <= kept


def _answers(program: _solve.PreparedProgram, question: list[_solve.ExternalName]) -> list[frozenset[str]]:
    return sorted((frozenset(str(s) for s in model.symbols) for model in program.solve_named(question)), key=sorted)


def test_the_sliced_explanation_program_answers_every_question_as_the_whole_one() -> None:
    """Explanations solve on the sliced explanation program of the case's version
    (reasoner/_solve.explanation_program: the version a fact); the catalogue is read from the whole
    one, where every version is an external. For the known conditions of every scenario, each kind
    of question (the decision, change, cover, same and other outcome: docs/explanations.md) has the
    same models on both, and the sliced one has no labels left to read."""
    whole = _solve._explanation_rules(sliced=False)
    asked: dict[str, int] = {}
    for path in SCENARIOS:
        result = solve_cases([parse_case(yaml.safe_load(path.read_text(encoding="utf-8"))["case"])])[0]
        if result.version is None:
            continue
        sliced_program = _solve.explanation_program(result.version)
        base = [*(("known", x, "true") for x in sorted(result.holds)),
                *(("known", x, "false") for x in sorted(result.refuted)),
                *(("free_attribute", a) for a in sorted(result.open_attributes))]
        same = [("mode", "same"), ("target", result.decision)]
        same += [("target_primary", result.primary)] if result.primary else []
        other = [("mode", "other"), *same[1:]]
        for extra in ([], [("mode", "change"), ("target", result.decision)], [("mode", "cover")], same, other):
            assert _answers(sliced_program, base + extra) \
                == _answers(whole, [("version_is", result.version), *base, *extra]), (path.name, extra)
            asked[result.version] = asked.get(result.version, 0) + 1
    assert len(asked) == 2  # both versions of the policy
    assert sum(asked.values()) > 100
    labels = {atom.name for atom in sliced_program.static_facts()} & {"label", "source", "quote", "question"}
    assert not labels
    assert {"label", "source", "quote", "question"} <= {atom.name for atom in whole.static_facts()}


def test_an_explanation_program_is_only_for_a_version_of_the_rules() -> None:
    with pytest.raises(RulesError, match="no policy version 'v1999_01_01'"):
        _solve.explanation_program("v1999_01_01")
