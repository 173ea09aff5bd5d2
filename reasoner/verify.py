"""`reasoner verify`: the policy's consistency check, by exhaustive search in clingo.

asp/verify.lp generates every input (request attributes from the code's
vocabularies, documentation answers true / false / unknown) for three abstract
cases: before 2020-04-01, under version 2020-04-01 and under 2020-05-19. Each
check is one solve with one query switched on; a model is a witness, turned back
into a case in the input format and re-decided through the ordinary pipeline,
so that every finding can be fed to `reasoner check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import clingo

from reasoner._facts import DEVICE_FLAGS, claim_space_facts, vocabulary_facts
from reasoner._results import text
from reasoner._solve import PreparedProgram, SolvedModel
from reasoner.catalogue import catalogue
from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, Drug, Setting

VERIFY_ENTRY = "verify.lp"
CASE_DATES = {"before": "2020-01-15", "old": "2020-04-15", "new": "2020-06-15"}
# The bounded claim (asp/verify/claims.lp): a Monday, the Wednesday of that week, the next Tuesday.
CLAIM_CODES = ["E0781", "K0455", "E0784", "A9274", "A4221", "A4222", "A4224", "A4230", "A4232",
               "K0552", "K0601", "96416", "96521", "J1234"]
CLAIM_DATES = [date(2020, 6, 15), date(2020, 6, 17), date(2020, 6, 23)]
CLAIM_MODIFIERS = ["RR", "NU", "59"]
CLAIM_AMOUNTS = [Decimal(300), Decimal(800)]
CLAIM_PRICES = [Decimal(1000)]
CLAIM_PAID = [Decimal(0), Decimal(600)]


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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind, "subject": self.subject, "detail": self.detail,
            "problem": self.problem,
        }
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


def verify(extra_files: Sequence[Path] = ()) -> Report:
    """Run every check; ``extra_files`` are added to the rules (for tests of the checker)."""
    values, kind_codes = vocabulary()
    facts = vocabulary_facts(values, kind_codes) + claim_space()
    program = PreparedProgram(VERIFY_ENTRY, ("--opt-mode=opt",), facts, extra_files)
    checker = _Checker(program)
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
        findings = check()
        report.checks[name] = checker.last_count
        report.findings.extend(findings)
    return report


class _Checker:
    def __init__(self, program: PreparedProgram) -> None:
        self.program = program
        self.queries = sorted(
            (s for s in program.externals if s.name == "query"), key=str
        )
        self.last_count = 0
        self.invariant_text = {
            text(args[0]): text(args[1]) for args in program.facts_of("invariant", 2)
        }

    def _queries(self, kind: str) -> list[clingo.Symbol]:
        found = [q for q in self.queries if q.arguments and q.arguments[0].name == kind]
        self.last_count = len(found) or 1
        return found

    def _witness(self, query: clingo.Symbol) -> SolvedModel | None:
        models = self.program.solve(frozenset({query}))
        return models[-1] if models else None

    def gaps(self) -> list[Finding]:
        (query,) = self._queries("gap")
        model = self._witness(query)
        if model is None:
            return []
        problems = sorted({str(s) for s in model.symbols if s.name == "violation"})
        return [_with_case(model, Finding(
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
            model = self._witness(query)
            if model is None:
                continue
            rule = next(text(s.arguments[3]) for s in model.symbols
                        if s.name == "settled" and text(s.arguments[1]) == winner
                        and text(s.arguments[2]) == loser)
            detail = (f"{winner} ({cat.clauses[winner].verdict}) prevails over {loser} "
                      f"({cat.clauses[loser].verdict}) by {rule}: {cat.label(rule)}")
            where = next(text(s.arguments[0]) for s in model.symbols if s.name == "settled")
            findings.append(_with_case(model, Finding("conflict", f"{winner} > {loser}", detail, False), where))
        return findings

    def invariants(self) -> list[Finding]:
        findings = []
        for query in self._queries("invariant"):
            name = text(query.arguments[1])
            model = self._witness(query)
            if model is not None:
                findings.append(_with_case(model, Finding(
                    "invariant violated", name, self.invariant_text.get(name, name), True,
                ), _first_case_with_decision(model)))
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
            findings.append(_with_case(model, Finding(
                "watched pair", subject, f"both can be met; such a case is decided {decided}", False,
            ), where))
        return findings

    def version_differences(self) -> list[Finding]:
        findings = []
        for query in self._queries("unexplained_version_change"):
            model = self._witness(query)
            if model is not None:
                findings.append(_with_case(model, Finding(
                    "unexplained version difference", "2020-04-01 -> 2020-05-19",
                    "the decision changes between versions outside the clauses the revision added",
                    True,
                ), "new"))
        for query in self._queries("version_change"):
            model = self._witness(query)
            if model is not None:
                findings.append(_with_case(model, Finding(
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


def _first_case_with_decision(model: SolvedModel) -> str:
    return _case_of(model, "decision")


def _with_case(model: SolvedModel, finding: Finding, where: str) -> Finding:
    from reasoner.engine import decide
    from reasoner.errors import ReasonerError
    from reasoner.verify_cases import witness_case

    case = witness_case(model.symbols, CASE_DATES.get(where, CASE_DATES["new"]), finding.kind)
    expected = next((text(s.arguments[1]) for s in model.symbols
                     if s.name == "decision" and text(s.arguments[0]) == where), None)
    try:
        decision: str | None = decide(case, explanation=False).decision
    except ReasonerError as error:
        decision = f"error: {error}"
    return Finding(finding.kind, finding.subject, finding.detail, finding.problem, case,
                   decision, decision == expected)
