"""The batch report: what a batch run decided, counted from its output records.

One builder serves both `reasoner batch --summary FILE` (fed each record as it is written) and
`reasoner report OUT.jsonl` (fed each line of an output file, parsed), so both give the same
numbers for the same run. Only the time fields differ: `report` cannot know them and sets them
to null.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reasoner.outputs import json_text, write_atomically

if TYPE_CHECKING:
    from rich.console import RenderableType

# The kinds of error record, in the order the summary lists them.
NOT_UTF8 = "not_utf8"
EMPTY_LINE = "empty_line"
INVALID_JSON = "invalid_json"
INVALID_CASE = "invalid_case"
RULES_ERROR = "rules_error"
INTERNAL_ERROR = "internal_error"  # anything else that failed on one line: the line is kept as a record
# A line longer than reasoner.inputs.MAX_CASE_BYTES.
TOO_LONG = "too_long"
ERROR_KINDS = (INVALID_JSON, NOT_UTF8, EMPTY_LINE, TOO_LONG, INVALID_CASE, RULES_ERROR, INTERNAL_ERROR)
UNKNOWN_KIND = "unknown"  # an error record without a kind (written before records had one)

DECISION_KINDS = ("covered", "not_medically_necessary", "experimental_investigational", "not_applicable")
LINE_OUTCOMES = ("payable", "reduced", "denied", "not_applicable")
CUT_OUTCOMES = frozenset({"denied", "reduced"})


def record_digest(record: Any) -> dict[str, Any] | None:
    """The parts of an output record that a summary counts, in the record's own shape.

    None when ``record`` is not a batch record (neither a decision nor an error record).
    A digest is itself a record with the same digest, so the batch can send digests from its
    workers instead of whole records and count exactly what `report` counts.
    """
    if not isinstance(record, dict):
        return None
    if "decision" in record:
        return _decision_digest(record)
    if isinstance(record.get("error"), str):
        kind = record.get("kind")
        return {"error": "", "kind": kind if isinstance(kind, str) and kind else UNKNOWN_KIND}
    return None


def _decision_digest(record: dict[str, Any]) -> dict[str, Any] | None:
    decision, complete, rule = record.get("decision"), record.get("complete"), record.get("rule")
    if not isinstance(decision, str) or not isinstance(complete, bool):
        return None
    if rule is not None and not (isinstance(rule, dict) and isinstance(rule.get("rule"), str)):
        return None
    lines = record.get("lines", [])
    if not isinstance(lines, list):
        return None
    digest_lines = []
    for line in lines:
        reasons = line.get("reasons", []) if isinstance(line, dict) else None
        if not isinstance(line, dict) or not isinstance(line.get("outcome"), str) or not isinstance(reasons, list):
            return None
        if not all(isinstance(reason, dict) and isinstance(reason.get("rule"), str) for reason in reasons):
            return None
        digest_lines.append({"outcome": line["outcome"], "reasons": [{"rule": reason["rule"]} for reason in reasons]})
    explained = record.get("explained")
    return {
        "decision": decision,
        "complete": complete,
        "explained": explained if isinstance(explained, bool) else None,
        "rule": {"rule": rule["rule"]} if rule is not None else None,
        "lines": digest_lines,
    }


@dataclass
class BatchSummary:
    """Counts over the records of one batch run."""

    decisions: Counter[tuple[str, bool]] = field(default_factory=Counter)
    explained: int = 0
    lines: Counter[str] = field(default_factory=Counter)
    line_rules: Counter[str] = field(default_factory=Counter)
    deciding_rules: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unreadable_lines: int = 0

    def add(self, record: Any) -> bool:
        """Count one output record (or its digest); False, and counted as unreadable, when it is not one."""
        digest = record_digest(record)
        if digest is None:
            self.unreadable_lines += 1
            return False
        if "error" in digest:
            self.errors[digest["kind"]] += 1
            return True
        self.decisions[digest["decision"], digest["complete"]] += 1
        self.explained += digest["explained"] is True
        if digest["rule"] is not None:
            self.deciding_rules[digest["rule"]["rule"]] += 1
        for line in digest["lines"]:
            self.lines[line["outcome"]] += 1
            if line["outcome"] in CUT_OUTCOMES:
                self.line_rules.update(reason["rule"] for reason in line["reasons"])
        return True

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    @property
    def cases(self) -> int:
        """Every record: each input line of the batch gave one, decided or not."""
        return self.decided + sum(self.errors.values())

    def to_json(self, seconds: float | None = None) -> dict[str, Any]:
        """The summary; ``seconds`` None (as in `report`) makes both time fields null."""
        kinds = _ordered({kind for kind, _ in self.decisions}, DECISION_KINDS)
        rate = self.cases / seconds if seconds else None
        return {
            "cases": self.cases,
            "decided": self.decided,
            "decisions": {
                kind: {"complete": self.decisions[kind, True], "incomplete": self.decisions[kind, False]}
                for kind in kinds
            },
            "explained": self.explained,
            "lines": {outcome: self.lines[outcome] for outcome in _ordered(set(self.lines), LINE_OUTCOMES)},
            "line_rules": _by_count(self.line_rules),
            "deciding_rules": _by_count(self.deciding_rules),
            "errors": {kind: self.errors[kind] for kind in _ordered(set(self.errors), ERROR_KINDS)},
            "unreadable_lines": self.unreadable_lines,
            "seconds": round(seconds, 3) if seconds is not None else None,
            "cases_per_second": round(rate, 1) if rate is not None else None,
        }


def _ordered(seen: set[str], known: tuple[str, ...]) -> list[str]:
    """The known names in their order (always, so a job finds every key), then any other, sorted."""
    return [*known, *sorted(seen - set(known))]


def _by_count(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def write_json_atomically(path: Path, data: Any) -> None:
    """The summary as indented JSON, written whole or not at all (reasoner.outputs)."""
    write_atomically(path, json_text(data, indent=2) + "\n")


def summary_view(summary: dict[str, Any], title: str = "batch summary") -> RenderableType:
    """The summary as tables, for people (standard error after a batch, or `reasoner report`)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    cases = Table(title=title, title_justify="left")
    for column in ("result", "complete", "incomplete", "cases"):
        cases.add_column(column, justify="left" if column == "result" else "right")
    for kind, counts in summary["decisions"].items():
        complete, incomplete = counts["complete"], counts["incomplete"]
        cases.add_row(kind, _n(complete), _n(incomplete), _n(complete + incomplete))
    for kind, count in summary["errors"].items():
        if count:
            cases.add_row(f"error: {kind}", "", "", _n(count))
    errors = sum(summary["errors"].values())
    cases.add_row("errors", "", "", _n(errors), style="bold" if errors else None, end_section=True)
    cases.add_row("all cases", "", "", _n(summary["cases"]), style="bold")

    lines = Table(title="claim lines", title_justify="left")
    lines.add_column("outcome")
    lines.add_column("lines", justify="right")
    for outcome, count in summary["lines"].items():
        lines.add_row(outcome, _n(count))

    parts: list[RenderableType] = [cases, lines]
    line_rules, deciding_rules = summary["line_rules"], summary["deciding_rules"]
    rules = sorted(
        set(line_rules) | set(deciding_rules),
        key=lambda rule: (-line_rules.get(rule, 0), -deciding_rules.get(rule, 0), rule),
    )
    if rules:
        table = Table(title="rules", title_justify="left")
        table.add_column("rule")
        table.add_column("lines denied or reduced", justify="right")
        table.add_column("cases decided", justify="right")
        for rule in rules:
            table.add_row(rule, _n(line_rules.get(rule, 0), blank=True), _n(deciding_rules.get(rule, 0), blank=True))
        parts.append(table)

    footer = f"{_n(summary['explained'])} of {_n(summary['decided'])} decisions explained"
    if summary["seconds"] is not None:
        footer += f"; {summary['seconds']:,.1f} s, {summary['cases_per_second'] or 0:,.0f} cases per second"
    parts.append(Text(footer))
    if summary["unreadable_lines"]:
        parts.append(Text(f"{_n(summary['unreadable_lines'])} lines are not batch records", style="bold red"))
    return Group(*parts)


def _n(count: int, blank: bool = False) -> str:
    return "" if blank and not count else f"{count:,}"
