"""satisfied, missing, questions, complete and the clause trace, from solver results.

All reasoning is done by clingo on ``asp/explain.lp``, grounded once per process
for one abstract case whose known conditions are external atoms (see
docs/explanations.md). Python only chooses which literals to try and orders the
answers.

A *literal* is a condition with the value the case documents: ``(x, True)`` for
``holds``, ``(x, False)`` for ``refuted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from reasoner._results import CaseResult, parsed, text
from reasoner._solve import ExternalName, SolvedModel, explanation_program, has_no_model
from reasoner.catalogue import Catalogue, catalogue
from reasoner.decision import Alternative, ClauseTrace, ConditionRef, Conflict, Question
from reasoner.minimal import deletion, quickxplain
from reasoner.trace import citation, clause_traces, condition_ref, conflicts, rule_ref

MAX_ALTERNATIVES = 5

Literal = tuple[str, bool]


@dataclass(frozen=True)
class Summary:
    complete: bool
    satisfied: tuple[ConditionRef, ...]
    missing: tuple[Alternative, ...]
    more_missing: bool
    questions: tuple[Question, ...]
    clauses: tuple[ClauseTrace, ...]
    conflicts: tuple[Conflict, ...]


@cache
def literal(condition: str, value: bool) -> Literal:
    """One shared tuple per literal: the memos below keep thousands of sets of them."""
    return (condition, value)


def known_literals(result: CaseResult) -> frozenset[Literal]:
    """The case's documented conditions as literals."""
    return frozenset([literal(x, True) for x in result.holds] + [literal(x, False) for x in result.refuted])


class AbstractCase:
    """Solves about one case's conditions on the prepared explanation program."""

    def __init__(self, version: str, free_attributes: frozenset[str] = frozenset()) -> None:
        self.version = version
        self.free_attributes = free_attributes
        self.program = explanation_program(version)

    def solve(
        self, known: frozenset[Literal], mode: str | None = None, target: str | None = None,
        models: int = 0,
    ) -> tuple[SolvedModel, ...]:
        return _solved(self.version, self.free_attributes, tuple(sorted(known)), mode, target, models)

    def decision(self, known: frozenset[Literal]) -> str:
        return self.outcome(known)[0]

    def outcome(self, known: frozenset[Literal]) -> tuple[str, str | None]:
        """The decision and its primary clause with only these literals known."""
        (model,) = self.solve(known, models=1)
        found = {s.name: text(s.arguments[1]) for s in model.symbols if s.name in ("decision", "primary")}
        return found["decision"], found.get("primary")

    def gives(self, known: frozenset[Literal], outcome: tuple[str, str | None]) -> bool:
        """With only these literals known, the decision and its primary clause are ``outcome``
        (what ``outcome`` returns, asked as one satisfiability check: no model is read). Asked
        about the established literals alone when the solver has proved that a literal
        documented not met never changes the outcome (``not_met_is_inert``): the question is
        then the same for every removal of such a literal, and the memo answers it."""
        decision, primary = outcome
        return _satisfiable(self.version, self.free_attributes, _asked(known), "same", decision, primary)

    def gives_for_every_subset(self, known: frozenset[Literal], outcome: tuple[str, str | None]) -> bool:
        """``gives`` is true of every subset of ``known``: one check that no model of
        mode(other) exists when the literals' ``known/2`` externals are left free (the solver
        may leave out any of them). Projected to established literals as ``gives`` is."""
        decision, primary = outcome
        return not _satisfiable(self.version, self.free_attributes, (), "other", decision, primary, _asked(known))

    def forced(self, known: frozenset[Literal], target: str) -> bool:
        """No way of establishing the open conditions changes the decision from target."""
        return not _satisfiable(self.version, self.free_attributes, tuple(sorted(known)), "change", target)

    def assumption_sets(
        self, known: frozenset[Literal], mode: str, target: str | None = None,
    ) -> list[tuple[frozenset[str], str | None]]:
        """The subset-minimal sets of assumed conditions, each with the clause it leads to."""
        found = []
        for model in self.solve(known, mode, target):
            atoms = [parsed(symbol) for symbol in model.symbols]  # the same few atoms case after case
            assumed = frozenset(arguments[1] for name, arguments in atoms if name == "assume")
            primary = next((arguments[1] for name, arguments in atoms if name == "primary"), None)
            found.append((assumed, primary))
        return found


NOT_MET_INERT = "inert.lp"


@cache
def not_met_is_inert() -> bool:
    """Whether no condition documented not met can change the decision or its primary clause as
    the known conditions stand: asp/inert.lp, two abstract cases that differ by one such literal
    and in their outcome, has no model. Proved once per set of rules; a rule that reads such a
    literal makes it false, and the questions are then asked with every literal."""
    return has_no_model(NOT_MET_INERT)


def _asked(known: frozenset[Literal]) -> tuple[Literal, ...]:
    """The literals an outcome question is asked with, sorted for the memo: the established ones
    alone when the not-met ones are proved inert (``not_met_is_inert``), else all of them."""
    return tuple(sorted(lit for lit in known if lit[1]) if not_met_is_inert() else sorted(known))


SOLVE_CACHE_SIZE = 8192


@lru_cache(maxsize=SOLVE_CACHE_SIZE)
def _solved(
    version: str, free_attributes: frozenset[str], known: tuple[Literal, ...],
    mode: str | None, target: str | None, models: int,
) -> tuple[SolvedModel, ...]:
    """One solve of the explanation program, remembered: cases whose explanations differ still
    ask many of the same questions (the same subset of conditions, the same target). ``known``
    is sorted: a tuple of shared literals is a quarter of a frozenset's memory in the memo."""
    return tuple(explanation_program(version).solve_named(_externals(free_attributes, known, mode, target), models))


@lru_cache(maxsize=SOLVE_CACHE_SIZE)
def _satisfiable(
    version: str, free_attributes: frozenset[str], known: tuple[Literal, ...], mode: str, target: str,
    target_primary: str | None = None, free: tuple[Literal, ...] = (),
) -> bool:
    """Whether the explanation program has a model for this question, remembered as ``_solved``;
    the literals ``free`` are neither known nor unknown: the solver chooses."""
    return explanation_program(version).satisfiable_named(
        _externals(free_attributes, known, mode, target, target_primary),
        [_known_external(x, value) for x, value in free])


def _externals(
    free_attributes: frozenset[str], known: tuple[Literal, ...], mode: str | None, target: str | None,
    target_primary: str | None = None,
) -> list[ExternalName]:
    """The true externals of one question about the abstract case (asp/explain/abstract_case.lp);
    the version is a fact of the program the question is asked of (``explanation_program``)."""
    externals: list[ExternalName] = [_known_external(x, value) for x, value in known]
    externals += [("free_attribute", attribute) for attribute in free_attributes]
    if mode is not None:
        externals.append(("mode", mode))
    if target is not None:
        externals.append(("target", target))
    if target_primary is not None:
        externals.append(("target_primary", target_primary))
    return externals


def _known_external(condition: str, value: bool) -> ExternalName:
    return ("known", condition, "true" if value else "false")


@dataclass(frozen=True)
class ExplanationKey:
    """Everything an explanation depends on: two cases with equal keys share it."""

    version: str | None
    decision: str
    primary: str | None
    holds: frozenset[str]
    refuted: frozenset[str]
    deciding: frozenset[str]
    met: frozenset[str]
    relevant: frozenset[str]
    settled: tuple[tuple[str, str, str], ...]
    closed: frozenset[tuple[str, str]]
    open_attributes: frozenset[str]

    @classmethod
    def of(cls, result: CaseResult) -> ExplanationKey:
        return cls(result.version, result.decision, result.primary, frozenset(result.holds),
                   frozenset(result.refuted), frozenset(result.deciding), frozenset(result.met),
                   frozenset(result.relevant), tuple(sorted(result.settled)),
                   frozenset(result.closed), frozenset(result.open_attributes))

    def result(self) -> CaseResult:
        return CaseResult(
            decisions=[self.decision], version=self.version, primary=self.primary,
            deciding=set(self.deciding), met=set(self.met), settled=list(self.settled),
            relevant=set(self.relevant), holds=set(self.holds), refuted=set(self.refuted),
            closed=set(self.closed), open_attributes=set(self.open_attributes),
        )


CACHE_SIZE = 1024


def explain(result: CaseResult) -> Summary:
    """The full explanation of one decided case (it speaks only of conditions).

    Memoised on the case's conditions: a batch of similar cases solves each profile once.
    """
    return _explain(ExplanationKey.of(result))


def brief(result: CaseResult) -> Summary:
    """Decision-only mode: completeness is still a solver query; nothing else is explained."""
    return _brief(ExplanationKey.of(result))


@lru_cache(maxsize=CACHE_SIZE)
def _explain(key: ExplanationKey) -> Summary:
    return _explain_uncached(key.result(), catalogue())


@lru_cache(maxsize=CACHE_SIZE)
def _brief(key: ExplanationKey) -> Summary:
    result, cat = key.result(), catalogue()
    decision = result.decision
    if result.version is None:
        return Summary(True, (), (), False, (), (), ())
    known = known_literals(result)
    complete = AbstractCase(result.version, frozenset(result.open_attributes)).forced(known, decision)
    return Summary(complete, (), (), False, (), (), conflicts(result, cat))


def _explain_uncached(result: CaseResult, cat: Catalogue) -> Summary:
    decision = result.decision
    if result.version is None:
        return Summary(True, (), (), False, (), (), ())
    known = known_literals(result)
    given = {cat.attributes[x] for x, _ in known if x in cat.attributes}
    abstract = AbstractCase(result.version, frozenset(given | result.open_attributes))
    changes = abstract.assumption_sets(known, "change", decision)
    complete = not changes
    covers = abstract.assumption_sets(known, "cover") if decision != "covered" else []
    satisfied = _satisfied(abstract, known, decision, complete, result, cat)
    missing, more = _missing(covers, result, cat)
    return Summary(
        complete=complete,
        satisfied=tuple(condition_ref(cat, result, x) for x, _ in satisfied),
        missing=missing,
        more_missing=more,
        questions=_questions(changes, result, cat),
        clauses=clause_traces(result, cat, covers),
        conflicts=conflicts(result, cat),
    )


# --- satisfied ------------------------------------------------------------------


def _satisfied(
    abstract: AbstractCase, known: frozenset[Literal], decision: str, complete: bool,
    result: CaseResult, cat: Catalogue,
) -> list[Literal]:
    """A subset-minimal set of known literals that alone gives the decision.

    Complete cases: the set *forces* the decision (no way of establishing the
    other conditions changes it); a monotone property, minimised by QuickXplain.
    Otherwise: with only the set known the decision, and the clause that decides
    it, are the same; minimised by deletion (the property is not monotone, so
    each removal is re-checked).
    """
    preferred = set(cat.clauses[result.primary].requires) if result.primary else set()
    pool = _pool(known, cat)
    ordered = sorted(pool, key=lambda lit: (lit[0] not in preferred, not lit[1], lit[0]))
    if complete:
        if pool != known and not abstract.forced(pool, decision):
            ordered = sorted(known, key=lambda lit: (lit[0] not in preferred, not lit[1], lit[0]))
        return quickxplain(ordered, lambda s: abstract.forced(frozenset(s), decision))
    same = (decision, result.primary)
    return deletion(ordered, lambda s: abstract.gives(frozenset(s), same),
                    lambda s: abstract.gives_for_every_subset(frozenset(s), same))


def _pool(known: frozenset[Literal], cat: Catalogue) -> frozenset[Literal]:
    """The known literals less those another known literal already implies.

    A request attribute with a condition that holds is pinned by it (its refuted
    siblings follow); a condition that holds settles its complement. Any subset-minimal
    set found in the pool is subset-minimal outright: its own subsets are in the pool.
    """
    holding = {x for x, value in known if value}
    pinned = {cat.attributes[x] for x in holding if x in cat.attributes}
    implied = {
        (x, False) for x, value in known
        if not value and (cat.attributes.get(x) in pinned or cat.complementary.get(x) in holding)
    }
    return known - implied


# --- missing and questions ------------------------------------------------------


def _missing(
    covers: list[tuple[frozenset[str], str | None]], result: CaseResult, cat: Catalogue,
) -> tuple[tuple[Alternative, ...], bool]:
    def order(item: tuple[frozenset[str], str | None]) -> tuple[int, int, list[str]]:
        assumed, clause = item
        rank = cat.clauses[clause].order if clause in cat.clauses else 0
        return (len(assumed), rank, sorted(assumed))

    ranked = sorted(covers, key=order)
    alternatives = tuple(
        Alternative(
            tuple(condition_ref(cat, result, x) for x in _condition_order(assumed, clause, cat)),
            (rule_ref(cat, clause),) if clause else (),
        )
        for assumed, clause in ranked[:MAX_ALTERNATIVES]
    )
    return alternatives, len(ranked) > MAX_ALTERNATIVES


def _condition_order(assumed: frozenset[str], clause: str | None, cat: Catalogue) -> list[str]:
    """Required conditions first; a condition that another one in the set implies is left out
    (the abduction assumes it along with the other): the wider diagnosis class beside the
    narrower, "epoprostenol or treprostinil" beside "epoprostenol"."""
    listed = list(cat.clauses[clause].requires) if clause in cat.clauses else []
    implied = {y for x in assumed for y in cat.wider_than(x) if y in assumed}
    return sorted(assumed - implied, key=lambda x: (listed.index(x) if x in listed else len(listed), x))


def _questions(
    changes: list[tuple[frozenset[str], str | None]], result: CaseResult, cat: Catalogue,
) -> tuple[Question, ...]:
    """Unknown conditions that could change the decision, most decisive first.

    A condition's weight is the size of the smallest set it belongs to: one
    whose answer alone changes the decision comes before one of five; among equal
    weights, the one that belongs to more sets of that size comes first.
    """
    weight: dict[str, int] = {}
    for assumed, _ in changes:
        for x in assumed:
            if x not in result.refuted:
                weight[x] = min(weight.get(x, len(assumed)), len(assumed))
    # Among equal weights, the condition in most of the sets of that size comes first.
    share = {x: sum(1 for assumed, _ in changes if x in assumed and len(assumed) == weight[x]) for x in weight}
    ordered = sorted(weight, key=lambda x: (weight[x], -share[x], x))
    return tuple(
        Question(x, cat.questions.get(x, f"Is it documented that: {cat.label(x)}?"), cat.source(x),
                 citation(cat, x), label=cat.label(x))
        for x in ordered
    )
