"""The decision program's shown atoms, sorted per case into plain Python values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from sys import intern

import clingo

from reasoner.errors import RulesError


def text(symbol: clingo.Symbol) -> str:
    """A constant's name or a String's text."""
    return symbol.string if symbol.type == clingo.SymbolType.String else str(symbol)


@dataclass
class LineResult:
    outcome: str = ""
    units_allowed: int | None = None
    cents_allowed: int | None = None
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    causes: list[tuple[str, str]] = field(default_factory=list)  # (rule, cause term)


@dataclass
class CaseResult:
    """What the decision program said about one case."""

    decisions: list[str] = field(default_factory=list)
    version: str | None = None
    primary: str | None = None
    pathway: str | None = None
    deciding: set[str] = field(default_factory=set)
    met: set[str] = field(default_factory=set)
    settled: list[tuple[str, str, str]] = field(default_factory=list)
    relevant: set[str] = field(default_factory=set)
    closed: set[tuple[str, str]] = field(default_factory=set)  # (route, closing condition)
    open_attributes: set[str] = field(default_factory=set)
    holds: set[str] = field(default_factory=set)
    refuted: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    lines: dict[int, LineResult] = field(default_factory=dict)
    warnings: list[tuple[str, int]] = field(default_factory=list)

    @property
    def decision(self) -> str:
        if self.violations or len(self.decisions) != 1:
            problems = self.violations or [f"{len(self.decisions)} decisions"]
            raise RulesError("the rules gave no single decision: " + ", ".join(problems))
        return self.decisions[0]

    def line(self, number: int) -> LineResult:
        return self.lines.setdefault(number, LineResult())


def _record(result: CaseResult, name: str, args: list[str]) -> None:
    first = args[0] if args else ""
    if name == "decision":
        result.decisions.append(first)
    elif name == "case_version":
        result.version = first
    elif name == "primary":
        result.primary = first
    elif name == "pathway":
        result.pathway = first
    elif name in ("deciding", "met", "relevant", "holds", "refuted"):
        getattr(result, name).add(first)
    elif name == "closed":
        result.closed.add((first, args[1]))
    elif name == "open_attribute":
        result.open_attributes.add(first)
    elif name == "settled":
        result.settled.append((first, args[1], args[2]))
    elif name == "violation":
        result.violations.append(first)
    else:
        _record_line(result, name, args)


def _record_line(result: CaseResult, name: str, args: list[str]) -> None:
    if name == "case_warning":
        result.warnings.append((args[0], int(args[1])))
        return
    line = result.line(int(args[0]))
    if name == "line_outcome":
        line.outcome = args[1]
    elif name == "units_allowed":
        line.units_allowed = int(args[1])
    elif name == "amount_allowed":
        line.cents_allowed = int(args[1])
    elif name == "line_reason":
        line.reasons.append(args[1])
    elif name == "line_missing":
        line.missing.append(args[1])
    elif name == "line_cause":
        line.causes.append((args[1], args[2]))


def split_atom(atom: str) -> tuple[str, list[str]]:
    """name(a,b(c,d),e) -> ("name", ["a", "b(c,d)", "e"]): one C call per atom instead of many.

    The decision program shows only constants, numbers and nested terms of them (no
    Strings), so splitting at top-level commas is exact. The arguments are interned: the same
    condition names come back in every case, and the explanation memos keep many sets of them.
    """
    name, _, rest = atom.partition("(")
    args: list[str] = []
    depth, start = 0, 0
    body = rest[:-1]
    for index, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(intern(body[start:index]))
            start = index + 1
    if body:
        args.append(intern(body[start:]))
    return name, args


# Shown atoms read before, by symbol: in a batch the same atoms (a case key, a condition, a
# line number and an outcome) come back chunk after chunk, and a lookup is ten times cheaper
# than turning a symbol into text and splitting it. Bounded: cleared when it grows past this.
_PARSED: dict[clingo.Symbol, tuple[str, list[str]]] = {}
PARSED_CACHE_SIZE = 200_000


def parsed(symbol: clingo.Symbol) -> tuple[str, list[str]]:
    """split_atom(str(symbol)), remembered."""
    found = _PARSED.get(symbol)
    if found is None:
        if len(_PARSED) >= PARSED_CACHE_SIZE:
            _PARSED.clear()
        found = _PARSED[symbol] = split_atom(str(symbol))
    return found


def results_by_case(symbols: Iterable[clingo.Symbol]) -> dict[int, CaseResult]:
    """Group shown atoms by their first argument, the internal case key."""
    results: dict[int, CaseResult] = {}
    for symbol in symbols:
        name, args = parsed(symbol)
        key = int(args[0])
        result = results.get(key)
        if result is None:
            result = results[key] = CaseResult()
        _record(result, name, args[1:])
    return results
