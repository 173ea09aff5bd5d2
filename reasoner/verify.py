"""`reasoner verify`: the policy's consistency check, by exhaustive search in clingo.

asp/verify.lp generates every input (request attributes from the code's
vocabularies, documentation answers true / false / unknown) for three abstract
cases: before 2020-04-01, under version 2020-04-01 and under 2020-05-19. Each
check is one solve with one query switched on; a model is a witness, turned back
into a case in the input format and re-decided through the ordinary pipeline,
so that every finding can be fed to `reasoner check`.

The witnesses are stable: each solve enumerates every optimal model (the
``#minimize`` of asp/verify/space.lp and claims.lp) and the one printed is the
first of them in a fixed order of their atoms, whatever order the solver found
them in; so the report changes only when what it reports changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clingo

from reasoner._facts import DEVICE_FLAGS, claim_space_facts, vocabulary_facts
from reasoner._results import text
from reasoner._solve import PreparedProgram, SolvedModel
from reasoner.catalogue import catalogue
from reasoner.verify_cases import witness_case
from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, Drug, Setting

if TYPE_CHECKING:
    from reasoner.decision import Decision

VERIFY_ENTRY = "verify.lp"
CASE_DATES = {"before": "2020-01-15", "old": "2020-04-15", "new": "2020-06-15"}
# The bounded claim (asp/verify/claims.lp): a Monday, the Wednesday of that week, the next Tuesday.
CLAIM_CODES = ["E0781", "K0455", "E0784", "A9274", "A4221", "A4222", "A4224", "A4230", "A4232",
               "K0552", "K0601", "96416", "96521", "99213", "J1234"]
CLAIM_DATES = [date(2020, 6, 15), date(2020, 6, 17), date(2020, 6, 23)]
CLAIM_MODIFIERS = ["RR", "NU", "59"]
CLAIM_AMOUNTS = [Decimal(300), Decimal(800)]
CLAIM_PRICES = [Decimal(1000)]
CLAIM_PAID = [Decimal(0), Decimal(600)]
# Every optimal model of a solve, so that the witness can be chosen by a fixed order.
SOLVER_ARGUMENTS = ("--opt-mode=optN",)


def claim_space() -> list[clingo.Symbol]:
    return claim_space_facts(CLAIM_CODES, CLAIM_DATES, CLAIM_MODIFIERS, CLAIM_AMOUNTS, CLAIM_PRICES,
                             CLAIM_PAID, list(Acquisition))


@dataclass(frozen=True)
class Finding:
    """One result of the check; ``problem`` findings make verify fail."""

    kind: str
    subject: str
    detail: str
    problem: bool
    case: dict[str, Any] | None = None
    decision: str | None = None
    reproduced: bool | None = None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind, "subject": self.subject, "detail": self.detail,
            "problem": self.problem,
        }
        if self.source is not None:
            data["source"] = self.source
        if self.case is not None:
            data.update(case=self.case, decision=self.decision, reproduced=self.reproduced)
        return data


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.problem for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "problems": sum(f.problem for f in self.findings),
            "findings": [f.to_json() for f in self.findings],
        }


def vocabulary() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The input space's vocabularies, from the code's enumerations."""
    codes = sorted({code for allowed in DEVICE_CODES.values() for code in allowed})
    values: dict[str, list[str]] = {
        "drug": [d.value for d in Drug],
        "setting": [s.value for s in Setting],
        "device_kind": [k.value for k in DeviceKind],
        "device_hcpcs": codes,
    }
    values.update({flag: ["true", "false"] for flag in DEVICE_FLAGS})
    kind_codes = {kind.value: sorted(allowed) for kind, allowed in DEVICE_CODES.items()}
    return values, kind_codes


def verify(
    extra_files: Sequence[Path] = (), solver_arguments: Sequence[str] = (), *,
    checks: Collection[str] | None = None, invariants: Collection[str] | None = None,
) -> Report:
    """Run every check (or only the named ``checks``, and of the invariants only those named).

    ``extra_files`` are added to the rules and ``solver_arguments`` to clingo's (both for tests
    of the checker: a broken rule, another search order).
    """
    values, kind_codes = vocabulary()
    request = vocabulary_facts(values, kind_codes)
    arguments = (*SOLVER_ARGUMENTS, *solver_arguments)
    # The request alone for the checks of decisions; with the bounded claim for gaps and
    # invariants (the claim's lines change no decision, and without them those solves stay small).
    checker = _Checker(PreparedProgram(VERIFY_ENTRY, arguments, request, extra_files),
                       PreparedProgram(VERIFY_ENTRY, arguments, request + claim_space(), extra_files),
                       invariants)
    report = Report()
    for name, check in (
        ("gaps and contradictions", checker.gaps),
        ("dead clauses", checker.dead_clauses),
        ("conflicts", checker.conflicts),
        ("invariants", checker.invariants),
        ("watched pairs", checker.watched_pairs),
        ("version differences", checker.version_differences),
        ("unused conditions", checker.unused_conditions),
        ("sentence map", checker.sentence_map),
    ):
        if checks is not None and name not in checks:
            continue
        findings = check()
        report.checks[name] = checker.last_count
        report.findings.extend(findings)
    report.findings = checker.reproduce(report.findings)
    return report


class _Checker:
    def __init__(self, program: PreparedProgram, with_claim: PreparedProgram,
                 invariants: Collection[str] | None = None) -> None:
        self.program = program
        self.with_claim = with_claim
        self.only_invariants = invariants
        self.queries = sorted(
            (s for s in program.externals if s.name == "query"), key=str
        )
        self.last_count = 0
        # What each witness showed, to compare with `reasoner check` on its case (reproduce).
        self.seen: list[tuple[Finding, _Seen]] = []
        self.invariant_text = {
            text(args[0]): text(args[1]) for args in program.facts_of("invariant", 2)
        }
        self.invariant_source = {
            text(args[0]): text(args[1]) for args in program.facts_of("invariant_source", 2)
        }

    def _queries(self, kind: str) -> list[clingo.Symbol]:
        found = [q for q in self.queries if q.arguments and q.arguments[0].name == kind]
        self.last_count = len(found) or 1
        return found

    def _witness(
        self, query: clingo.Symbol, *, claim: bool = False,
        prefer: Callable[[SolvedModel], bool] | None = None,
    ) -> SolvedModel | None:
        """The first optimal model in a fixed order, its atoms sorted; None when there is none.

        ``claim``: search with the bounded claim (asp/verify/claims.lp); ``prefer``: the optimal
        models it holds for come first."""
        models = (self.with_claim if claim else self.program).solve(frozenset({query}))
        optimal = [m for m in models if m.optimal] or models[-1:]
        if not optimal:
            return None
        chosen = min(optimal, key=lambda m: (prefer is not None and not prefer(m), _canonical(m)))
        return SolvedModel(tuple(sorted(chosen.symbols, key=str)), chosen.cost, chosen.optimal)

    def _with_case(self, model: SolvedModel, finding: Finding, where: str) -> Finding:
        """The finding with its witness as a case (dated as the abstract case ``where``)."""
        case = witness_case(model.symbols, CASE_DATES.get(where, CASE_DATES["new"]), finding.kind,
                            claim=where == "new")
        expected = next((text(s.arguments[1]) for s in model.symbols
                         if s.name == "decision" and text(s.arguments[0]) == where), None)
        with_case = replace(finding, case=case)
        self.seen.append((with_case, _Seen(expected, _lines_seen(model, where), _warnings_seen(model, where))))
        return with_case

    def reproduce(self, findings: list[Finding]) -> list[Finding]:
        """Each witness case re-decided by the ordinary pipeline (in one batch where it can be)."""
        seen = {id(finding): expected for finding, expected in self.seen}
        pending = [f for f in findings if id(f) in seen and f.case is not None]
        decided = _decide_each([f.case for f in pending if f.case is not None])
        by_id = {id(f): outcome for f, outcome in zip(pending, decided, strict=True)}
        result = []
        for finding in findings:
            if id(finding) not in by_id:
                result.append(finding)
                continue
            outcome = by_id[id(finding)]
            if isinstance(outcome, str):
                result.append(replace(finding, decision=f"error: {outcome}", reproduced=False))
                continue
            witness = seen[id(finding)]
            reproduced = (outcome.decision == witness.decision
                          and witness.lines == _lines_decided(outcome.to_json())
                          and witness.warnings <= set(outcome.warnings))
            result.append(replace(finding, decision=outcome.decision, reproduced=reproduced))
        return result

    def gaps(self) -> list[Finding]:
        (query,) = self._queries("gap")
        model = self._witness(query, claim=True)
        if model is None:
            return []
        problems = sorted({str(s) for s in model.symbols if s.name == "violation"})
        return [self._with_case(model, Finding(
            "gap or contradiction", ", ".join(problems),
            "an input with no decision or with two decisions", True,
        ), _case_of(model, "violation"))]

    def dead_clauses(self) -> list[Finding]:
        findings = []
        for query in self._queries("met"):
            clause = text(query.arguments[1])
            if self._witness(query) is None:
                findings.append(Finding("dead clause", clause, "no input meets this clause", True))
        return findings

    def conflicts(self) -> list[Finding]:
        cat = catalogue()
        findings = []
        for query in self._queries("conflict"):
            winner, loser = text(query.arguments[1]), text(query.arguments[2])
            verdict = cat.clauses[winner].verdict
            # A witness where the winner's verdict is the decision shows the rule at work.
            model = self._witness(query, prefer=functools.partial(_settles, winner, loser, verdict))
            if model is None:
                continue
            rule = next(text(s.arguments[3]) for s in model.symbols
                        if s.name == "settled" and text(s.arguments[1]) == winner
                        and text(s.arguments[2]) == loser)
            detail = (f"{winner} ({cat.clauses[winner].verdict}) prevails over {loser} "
                      f"({cat.clauses[loser].verdict}) by {rule}: {cat.label(rule)}")
            where = (_settled_where(model, winner, loser, verdict) or _settled_where(model, winner, loser)
                     or ["new"])[0]
            findings.append(self._with_case(model, Finding("conflict", f"{winner} > {loser}", detail, False), where))
        return findings

    def invariants(self) -> list[Finding]:
        findings: list[Finding] = []
        queries = self._queries("invariant")
        if self.only_invariants is not None:
            queries = [q for q in queries if text(q.arguments[1]) in self.only_invariants]
            self.last_count = len(queries)
        for query in queries:
            name = text(query.arguments[1])
            model = self._witness(query, claim=True)
            if model is not None:
                where = next((text(s.arguments[1]) for s in model.symbols
                              if s.name == "counterexample" and len(s.arguments) == 2
                              and text(s.arguments[0]) == name), "new")
                findings.append(self._with_case(model, Finding(
                    "invariant violated", name, self.invariant_text.get(name, name), True,
                    source=self.invariant_source.get(name),
                ), where))
        return findings

    def watched_pairs(self) -> list[Finding]:
        findings = []
        for query in self._queries("overlap"):
            first, second = text(query.arguments[1]), text(query.arguments[2])
            model = self._witness(query)
            subject = f"{first} / {second}"
            if model is None:
                findings.append(Finding("watched pair", subject, "no input meets both", False))
                continue
            where = next(text(s.arguments[0]) for s in model.symbols
                         if s.name == "met" and text(s.arguments[1]) == first)
            decided = next(text(s.arguments[1]) for s in model.symbols
                           if s.name == "decision" and text(s.arguments[0]) == where)
            findings.append(self._with_case(model, Finding(
                "watched pair", subject, f"both can be met; such a case is decided {decided}", False,
            ), where))
        return findings

    def version_differences(self) -> list[Finding]:
        findings = []
        for query in self._queries("unexplained_version_change"):
            model = self._witness(query)
            if model is not None:
                findings.append(self._with_case(model, Finding(
                    "unexplained version difference", "2020-04-01 -> 2020-05-19",
                    "the decision changes between versions outside the clauses the revision added",
                    True,
                ), "new"))
        for query in self._queries("version_change"):
            model = self._witness(query)
            if model is not None:
                findings.append(self._with_case(model, Finding(
                    "version difference", "2020-04-01 -> 2020-05-19",
                    "the decision changes between versions, within a clause the revision added "
                    f"({_decisions(model)})", False,
                ), "new"))
        self.last_count = 2
        return findings

    def sentence_map(self) -> list[Finding]:
        self.last_count = len(catalogue().sentences)
        return _sentence_problems()

    def unused_conditions(self) -> list[Finding]:
        cat = catalogue()
        read = {x for clause in cat.clauses.values() for x in (*clause.requires, *clause.unless)}
        read |= cat.read_by_rules
        unused = [x for x in cat.conditions if x not in read]
        self.last_count = len(cat.conditions)
        return [Finding("unused condition", x, "no clause or billing rule reads it", True)
                for x in unused]


def _sentence_problems() -> list[Finding]:
    cat = catalogue()
    findings = []
    for number in sorted(cat.sentences):
        if number not in cat.encodes and number not in cat.informational:
            findings.append(Finding("sentence left out", f"sentence {number}",
                                    f"{cat.sentences[number]!r}: neither encoded nor informational", True))
        for item in cat.encodes.get(number, []):
            if item not in cat.labels:
                findings.append(Finding("sentence map", f"sentence {number}",
                                        f"encodes {item}, which is no rule of the policy", True))
    encoded = {item for items in cat.encodes.values() for item in items}
    for item in [*cat.clauses, *cat.rules]:
        if item not in encoded:
            findings.append(Finding("rule without sentence", item,
                                    "no sentence of the policy is mapped to it", True))
    return findings


def _decisions(model: SolvedModel) -> str:
    found = {text(s.arguments[0]): text(s.arguments[1]) for s in model.symbols if s.name == "decision"}
    dated = sorted((CASE_DATES[c], d) for c, d in found.items() if c in CASE_DATES)
    return ", ".join(f"{date}: {decision}" for date, decision in dated)


def _case_of(model: SolvedModel, predicate: str) -> str:
    return next((text(s.arguments[0]) for s in model.symbols if s.name == predicate), "new")


def _settles(winner: str, loser: str, decision: str, model: SolvedModel) -> bool:
    return bool(_settled_where(model, winner, loser, decision))


def _settled_where(model: SolvedModel, winner: str, loser: str, decision: str | None = None) -> list[str]:
    """The cases of the witness where ``winner`` prevails over ``loser`` (and the decision is ``decision``)."""
    decided = {text(s.arguments[0]): text(s.arguments[1]) for s in model.symbols if s.name == "decision"}
    return sorted(text(s.arguments[0]) for s in model.symbols
                  if s.name == "settled" and text(s.arguments[1]) == winner and text(s.arguments[2]) == loser
                  and (decision is None or decided.get(text(s.arguments[0])) == decision))


def _canonical(model: SolvedModel) -> list[str]:
    """The fixed order of witnesses: by their atoms, sorted, as text."""
    return sorted(str(symbol) for symbol in model.symbols)


@dataclass(frozen=True)
class _Seen:
    """What a witness showed: the decision of its case, its lines, the rules' warnings."""

    decision: str | None
    lines: dict[int, dict[str, Any]]
    warnings: set[str]


def _decide_each(cases: list[dict[str, Any]]) -> list[Decision | str]:
    """Each case decided (explanation off), in one batch; a case the pipeline refuses gets the error."""
    from reasoner.case import parse_case
    from reasoner.engine import decide, decide_all
    from reasoner.errors import ReasonerError

    try:
        return list(decide_all([parse_case(case) for case in cases], explanation=False))
    except ReasonerError:
        pass
    outcomes: list[Decision | str] = []
    for case in cases:
        try:
            outcomes.append(decide(case, explanation=False))
        except ReasonerError as error:
            outcomes.append(str(error))
    return outcomes


def _lines_seen(model: SolvedModel, where: str) -> dict[int, dict[str, Any]]:
    """Each line's outcome, units and amount allowed (in cents) in the witness."""
    lines: dict[int, dict[str, Any]] = {}
    fields = {"line_outcome": "outcome", "units_allowed": "units_allowed", "amount_allowed": "amount_allowed"}
    for symbol in model.symbols:
        if symbol.name in fields and text(symbol.arguments[0]) == where:
            value = symbol.arguments[2]
            lines.setdefault(symbol.arguments[1].number, {})[fields[symbol.name]] = (
                value.number if value.type == clingo.SymbolType.Number else text(value))
    return lines


def _lines_decided(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The same, as `reasoner check` decides the witness case."""
    lines: dict[int, dict[str, Any]] = {}
    for line in result["lines"]:
        seen: dict[str, Any] = {"outcome": line["outcome"], "units_allowed": line["units_allowed"]}
        if line.get("amount_allowed") is not None:
            seen["amount_allowed"] = round(line["amount_allowed"] * 100)
        lines[line["line"]] = seen
    return lines


def _warnings_seen(model: SolvedModel, where: str) -> set[str]:
    """The rules' warnings in the witness, worded as the decision words them."""
    cat = catalogue()
    return {f"claim line {s.arguments[2].number}: {cat.label(text(s.arguments[1]))}"
            for s in model.symbols if s.name == "case_warning" and text(s.arguments[0]) == where}
