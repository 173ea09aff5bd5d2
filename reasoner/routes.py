"""Routes closed by what the case says (pure, from solver results and the case).

The rules find them (``closed/3`` in asp/trace.lp): a coverage route that matches the request
but that a given condition closes, each such condition alone. Here they get their labels,
exact sentences, the value the case gives for the closing field, and, where a single fact
closes the route, the answer that would reopen it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from reasoner._results import CaseResult
from reasoner.answers import Answer, AnswerSpec, answer_for, get_field
from reasoner.catalogue import Catalogue
from reasoner.decision import ClosedRoute, ClosingFact, ConditionRef
from reasoner.trace import condition_ref, rule_ref


def with_answer(ref: ConditionRef, cat: Catalogue, device_kind: str) -> ConditionRef:
    spec = cat.answers.get(ref.condition)
    return replace(ref, answer=answer_for(spec, device_kind)) if spec else ref


def closed_routes(
    cat: Catalogue, result: CaseResult, case_json: dict[str, Any], device_kind: str,
) -> tuple[ClosedRoute, ...]:
    """Every coverage route the case closes, in the policy's order."""
    closing: dict[str, list[str]] = defaultdict(list)
    for route, condition in sorted(result.closed):
        closing[route].append(condition)
    routes = []
    for clause_id, clause in cat.clauses.items():
        if clause_id not in closing:
            continue
        facts = tuple(
            _closing_fact(cat, result, case_json, device_kind, condition) for condition in closing[clause_id]
        )
        reopen = None
        if len(facts) == 1:
            reopen = _reopening(cat.answers.get(facts[0].condition.condition), device_kind,
                                facts[0].condition.status == "met")
        routes.append(ClosedRoute(rule_ref(cat, clause_id), clause.pathway, facts, reopen))
    return tuple(routes)


def _closing_fact(
    cat: Catalogue, result: CaseResult, case_json: dict[str, Any], device_kind: str, condition: str,
) -> ClosingFact:
    ref = with_answer(condition_ref(cat, result, condition), cat, device_kind)
    given = get_field(case_json, ref.answer.field) if ref.answer else None
    return ClosingFact(ref, given)


def _reopening(spec: AnswerSpec | None, device_kind: str, closes_by_holding: bool) -> Answer | None:
    """The answer whose other value reopens the route: establish a required condition the case
    documents as not met, or undo an exception that holds."""
    if spec is None:
        return None
    answer = answer_for(spec, device_kind)
    if not closes_by_holding:
        return answer
    if answer.type == "boolean":
        return replace(answer, establishes=tuple(not value for value in answer.establishes))
    if answer.type == "enum":
        return replace(answer, establishes=tuple(v for v in answer.values if v not in answer.establishes))
    return None
