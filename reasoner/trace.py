"""The clause trace and references with labels and citations (pure, from solver results)."""

from __future__ import annotations

from collections.abc import Sequence

from reasoner._results import CaseResult
from reasoner.catalogue import Catalogue
from reasoner.decision import Citation, ClauseTrace, ConditionRef, Conflict, RuleRef


def status(result: CaseResult, condition: str) -> str:
    if condition in result.holds:
        return "met"
    if condition in result.refuted:
        return "not_met"
    return "unknown"


def citation(cat: Catalogue, item: str) -> Citation:
    return Citation(cat.quotes.get(item, ()))


def condition_ref(cat: Catalogue, result: CaseResult, condition: str) -> ConditionRef:
    return ConditionRef(condition, cat.label(condition), cat.source(condition),
                        status(result, condition), citation(cat, condition))


def rule_ref(cat: Catalogue, rule: str) -> RuleRef:
    return RuleRef(rule, cat.label(rule), cat.source(rule), citation(cat, rule))


def clause_status(result: CaseResult, clause_id: str, cat: Catalogue) -> str:
    clause = cat.clauses[clause_id]
    if clause_id in result.deciding:
        return "deciding"
    if clause_id in result.met:
        return "defeated"
    blocked = any(x in result.holds for x in clause.unless)
    if blocked or any(x in result.refuted for x in clause.requires):
        return "not_met"
    return "open"


def clause_traces(
    result: CaseResult, cat: Catalogue,
    covers: Sequence[tuple[frozenset[str], str | None]] = (),
) -> tuple[ClauseTrace, ...]:
    """The deciding clause, the met ones, and every route the request could take."""
    shown = set(result.deciding) | set(result.met) | set(result.relevant)
    shown.update(clause for _, clause in covers if clause)
    traces = []
    for clause_id, clause in cat.clauses.items():
        if clause_id not in shown:
            continue
        conditions = tuple(condition_ref(cat, result, x) for x in clause.requires)
        traces.append(ClauseTrace(
            rule_ref(cat, clause_id), clause.pathway,
            cat.pathway_label(clause.pathway) if clause.pathway else "",
            clause.verdict, clause_status(result, clause_id, cat), conditions,
        ))
    traces.sort(key=lambda t: (t.status != "deciding", t.status != "defeated", t.status == "not_met"))
    return tuple(traces)


def conflicts(result: CaseResult, cat: Catalogue) -> tuple[Conflict, ...]:
    return tuple(
        Conflict(winner, loser, rule_ref(cat, rule))
        for winner, loser, rule in sorted(result.settled)
    )
