"""The decision program's shown atoms, sorted per case into plain Python values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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


def _record(result: CaseResult, name: str, args: list[clingo.Symbol]) -> None:
    first = text(args[0]) if args else ""
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
    elif name == "settled":
        result.settled.append((first, text(args[1]), text(args[2])))
    elif name == "violation":
        result.violations.append(first)
    else:
        _record_line(result, name, args)


def _record_line(result: CaseResult, name: str, args: list[clingo.Symbol]) -> None:
    if name == "line_outcome":
        result.line(args[0].number).outcome = text(args[1])
    elif name == "units_allowed":
        result.line(args[0].number).units_allowed = args[1].number
    elif name == "amount_allowed":
        result.line(args[0].number).cents_allowed = args[1].number
    elif name == "line_reason":
        result.line(args[0].number).reasons.append(text(args[1]))
    elif name == "line_missing":
        result.line(args[0].number).missing.append(text(args[1]))
    elif name == "case_warning":
        result.warnings.append((text(args[0]), args[1].number))


def results_by_case(symbols: Iterable[clingo.Symbol]) -> dict[int, CaseResult]:
    """Group shown atoms by their first argument, the internal case key."""
    results: dict[int, CaseResult] = {}
    for symbol in symbols:
        key, *rest = symbol.arguments
        result = results.setdefault(key.number, CaseResult())
        _record(result, symbol.name, rest)
    return results
