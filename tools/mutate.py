#!/usr/bin/env python3
"""Mutation testing of the rules: how many small mistakes in asp/ do the checks catch?

    .venv/bin/python tools/mutate.py --mutants 120 --seed 1 --jobs 2 --out mutation-report/

Generates single-point mutants of the .lp files under asp/ (a deleted fact, a flipped
verdict, a swapped precedence, an integer changed by one, a body literal dropped or negated,
a comparison changed), sampled across every file that has a point to mutate. Each mutant is
a copy of asp/ with one change; the checks run on it with the reasoner pointed at that copy
(``REASONER_ASP_DIR``), layer by layer, until one fails:

    verify       `reasoner verify --format json` finds a problem (exit 1)
    properties   the hypothesis properties (tests/property, profile `mutation`) fail
    scenarios    the scenarios (tests/test_scenarios.py, tests/asp/test_line_causes.py) fail
    rules        the rules' own tests (the rest of tests/asp) fail

A mutant the rules cannot even load (a syntax error, an unsafe variable, a predicate left
undefined) is `invalid`, and counted apart. A mutant that passes every layer is a survivor:
it is then decided over a corpus of cases (every scenario, every witness `verify` prints,
and generated cases), with `reasoner verify` and `reasoner diff`, and compared with the
original rules; identical outputs mean it is likely equivalent, a different output is a gap
in the checks, shown with the case that tells the two apart.

Writes report.json (every mutant: where, which operator, its diff, the outcome, the layer
that killed it, the time of each layer) and report.md (the score, survivors with their
diffs). Progress goes to standard error. Not part of CI (a full run takes the better part of
an hour); see docs/verification.md, "Mutation testing".

Exit status: 0 the run finished (1 with --fail-under when the score is below it), 2 a usage
error or rules that fail a check before any mutation, 130 interrupted (the report written so
far is kept).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import difflib
import fnmatch
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import clingo
import clingo.ast

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the project's own package, when run as tools/mutate.py
    sys.path.insert(0, str(ROOT))
ASP_DIR_VARIABLE = "REASONER_ASP_DIR"  # reasoner/_solve.py: asp_dir()
CACHE_DIR_VARIABLE = "REASONER_CACHE_DIR"  # reasoner/_disk_cache.py: cache_dir()
TOOL = "tools/mutate.py"
REPORT_VERSION = 1

# --------------------------------------------------------------------------------------
# Reading .lp files: statements, comments, strings
# --------------------------------------------------------------------------------------

CODE, STRING, COMMENT = 0, 1, 2


class LpSyntaxError(ValueError):
    """A .lp file this tool cannot split into statements (or clingo cannot parse)."""


@dataclass(frozen=True)
class Statement:
    """One statement of a file: text[start:end], from its first character to its final '.'
    (and a trailing annotation such as `[free]` or `[1@2]`), starting on line ``line``."""

    start: int
    end: int
    line: int
    text: str

    @property
    def is_directive(self) -> bool:
        return self.text.startswith("#")


def classify(text: str, name: str = "<text>") -> bytearray:
    """For each character: CODE, STRING (inside "..." with its quotes) or COMMENT
    (`% ...` to the end of the line, `%* ... *%` blocks)."""
    kinds = bytearray(len(text))
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%":
            if text.startswith("%*", i):
                j = text.find("*%", i + 2)
                if j < 0:
                    raise LpSyntaxError(f"{name}:{line_of(text, i)}: block comment %* is never closed")
                j += 2
            else:
                j = text.find("\n", i)
                j = n if j < 0 else j
            kinds[i:j] = bytes([COMMENT]) * (j - i)
            i = j
        elif char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\n":
                    break
                j += 2 if text[j] == "\\" else 1
            if j >= n or text[j] != '"':
                raise LpSyntaxError(f"{name}:{line_of(text, i)}: string is never closed")
            j += 1
            kinds[i:j] = bytes([STRING]) * (j - i)
            i = j
        else:
            i += 1
    return kinds


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def split_statements(text: str, name: str = "<text>") -> list[Statement]:
    """The statements of a program, in order. A statement ends with a '.' outside strings
    and comments that is not part of a range `..`; a `#script` ends with `#end.`."""
    kinds = classify(text, name)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    statements: list[Statement] = []
    i, n = 0, len(text)
    start: int | None = None
    while i < n:
        char = text[i]
        if start is None:
            if kinds[i] == COMMENT or char.isspace():
                i += 1
                continue
            start = i
            if text.startswith("#script", i):
                close = text.find("#end.", i)
                if close < 0:
                    raise LpSyntaxError(f"{name}:{line_of(text, i)}: #script without #end.")
                statements.append(_statement(text, start, close + 5, line_starts))
                start, i = None, close + 5
                continue
        if kinds[i] == CODE and char == ".":
            before = text[i - 1] if i > 0 and kinds[i - 1] == CODE else ""
            after = text[i + 1] if i + 1 < n and kinds[i + 1] == CODE else ""
            if before == "." or after == ".":
                i += 1
                continue
            end = _after_annotation(text, kinds, i + 1, name)
            statements.append(_statement(text, start, end, line_starts))
            start, i = None, end
            continue
        i += 1
    if start is not None:
        raise LpSyntaxError(f"{name}:{line_of(text, start)}: statement has no final '.'")
    return statements


def _after_annotation(text: str, kinds: bytearray, end: int, name: str) -> int:
    """The end of a statement, past a `[...]` annotation after its '.' (#external, weak
    constraints, #heuristic)."""
    j, n = end, len(text)
    while j < n and (kinds[j] == COMMENT or text[j].isspace()):
        j += 1
    if j < n and kinds[j] == CODE and text[j] == "[":
        k = text.find("]", j)
        while k >= 0 and kinds[k] != CODE:
            k = text.find("]", k + 1)
        if k < 0:
            raise LpSyntaxError(f"{name}:{line_of(text, j)}: '[' after a statement is never closed")
        return k + 1
    return end


def _statement(text: str, start: int, end: int, line_starts: list[int]) -> Statement:
    return Statement(start, end, bisect.bisect_right(line_starts, start), text[start:end])


def code_view(text: str, name: str = "<text>") -> str:
    """The text with every string and comment character replaced by NUL (same length), so
    that patterns match code only."""
    kinds = classify(text, name)
    return "".join(c if k == CODE else "\0" for c, k in zip(text, kinds, strict=True))


# --------------------------------------------------------------------------------------
# Mutation points
# --------------------------------------------------------------------------------------

# Facts that are text for people (labels, citations, questions, the policy's words): a
# mutation there changes what is shown, not what is decided; out of scope.
TEXT_PREDICATES = frozenset({
    "label", "source", "question", "quote", "pathway_label", "invariant_source",
    "field_question", "answer_unit", "answer_example",
})
DECISION_VERDICTS = ("covered", "not_medically_necessary", "experimental_investigational", "not_applicable")
LINE_OUTCOMES = ("payable", "reduced", "denied", "not_applicable")
CLAUSE_VERDICT_PREDICATES = frozenset({"clause", "verdict_rank"})
VERDICT_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_'])(" + "|".join(sorted(set(DECISION_VERDICTS + LINE_OUTCOMES))) + r")(?![A-Za-z0-9_'])"
)
INTEGER_PATTERN = re.compile(r"(?<![A-Za-z0-9_'])\d+(?![A-Za-z0-9_'])")
COMPARISON_PATTERN = re.compile(r"!=|<=|>=|==|<|>|=")
COMPARISON_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "!=", "==": "!=", "!=": "="}
# Precedence data: swap the two clauses of one fact (who prevails over whom) ...
SWAP_ARGUMENTS = {("overrides", 2), ("precedence_rule", 3)}
# ... or the verdicts of two rank facts (which verdict prevails).
SWAP_BETWEEN_FACTS = {("verdict_rank", 2)}

OPERATORS = (
    "delete_fact", "flip_verdict", "swap_precedence", "change_int",
    "drop_literal", "negate_literal", "change_comparison",
)
OPERATOR_HELP = {
    "delete_fact": "delete one fact (requires/2, unless/2, clause/3, a code list, a range, ...)",
    "flip_verdict": "replace a verdict (covered, not_medically_necessary, ...) or a line outcome by another",
    "swap_precedence": "swap who prevails: the clauses of overrides/2 or precedence_rule/3,"
                       " the verdicts of two verdict_rank/2 facts",
    "change_int": "change an integer literal by one (up or down)",
    "drop_literal": "drop one literal of a rule's body",
    "negate_literal": "negate one literal of a rule's body (add or remove `not`)",
    "change_comparison": "change a comparison of a rule's body (< and <=, > and >=, = and !=)",
}


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] of a file by ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Candidate:
    """One possible mutant: edits of one file (of one statement, or two for a swap)."""

    file: str  # relative to the asp folder, with /
    line: int
    operator: str
    description: str
    edits: tuple[Edit, ...]
    statement: int  # index of the (first) statement changed


@dataclass
class FileReport:
    """What the generator found in one file."""

    file: str
    statements: int = 0
    directives: int = 0
    text_facts: int = 0
    mutable_statements: int = 0
    candidates: int = 0
    rejected: int = 0  # candidates whose statement clingo refuses (syntax, unsafe variable)
    undefined: int = 0  # facts not deleted: the predicate would be left undefined
    sampled: int = 0
    skipped_reason: str | None = None


@dataclass
class _Parsed:
    """clingo's view of one statement."""

    kind: str  # "rule", "fact", "constraint", "other"
    head_signatures: list[tuple[str, int]]
    predicate: tuple[str, int] | None  # of a fact
    head_end: int  # offset in the statement where the head ends
    body: list[tuple[int, int, str]]  # (start, end, kind) of each top-level body element
    arguments: list[tuple[int, int]]  # spans of a fact's arguments


def _offset(text: str, line: int, column: int) -> int:
    """clingo's (line, byte column), both 1-based, as a character offset in ``text``."""
    lines = text.split("\n")
    before = sum(len(item) + 1 for item in lines[: line - 1])
    encoded = lines[line - 1].encode("utf-8")[: column - 1]
    return before + len(encoded.decode("utf-8", errors="ignore"))


def _silent(_code: clingo.MessageCode, _message: str) -> None:
    return None


def parse_statement(text: str) -> _Parsed:
    """Parse one statement with clingo's own parser (its spans are what the operators edit)."""
    found: list[clingo.ast.AST] = []

    def keep(node: clingo.ast.AST) -> None:
        if node.ast_type != clingo.ast.ASTType.Program:
            found.append(node)

    try:
        clingo.ast.parse_string(text, keep, logger=_silent)
    except RuntimeError as error:
        raise LpSyntaxError(f"clingo cannot parse: {text[:80]!r}") from error
    parsed = _Parsed("other", [], None, 0, [], [])
    if len(found) != 1:
        return parsed
    node = found[0]
    if node.ast_type in (clingo.ast.ASTType.Defined,):
        parsed.head_signatures.append((str(node.name), int(node.arity)))
        return parsed
    if node.ast_type == clingo.ast.ASTType.External:
        parsed.head_signatures.extend(_atom_signatures(node.atom))
        return parsed
    if node.ast_type != clingo.ast.ASTType.Rule:
        return parsed
    head = node.head
    parsed.head_end = _offset(text, head.location.end.line, head.location.end.column)
    parsed.body = [
        (
            _offset(text, element.location.begin.line, element.location.begin.column),
            _offset(text, element.location.end.line, element.location.end.column),
            _element_kind(element),
        )
        for element in node.body
    ]
    if head.ast_type == clingo.ast.ASTType.Literal and head.atom.ast_type == clingo.ast.ASTType.BooleanConstant:
        parsed.kind = "constraint"
        return parsed
    parsed.head_signatures.extend(_head_signatures(head))
    parsed.kind = "rule" if node.body else "fact"
    if parsed.kind == "fact" and head.ast_type == clingo.ast.ASTType.Literal:
        symbol = head.atom.symbol if head.atom.ast_type == clingo.ast.ASTType.SymbolicAtom else None
        if symbol is not None and symbol.ast_type == clingo.ast.ASTType.Function:
            parsed.predicate = (str(symbol.name), len(symbol.arguments))
            parsed.arguments = [
                (
                    _offset(text, argument.location.begin.line, argument.location.begin.column),
                    _offset(text, argument.location.end.line, argument.location.end.column),
                )
                for argument in symbol.arguments
            ]
        elif symbol is not None and symbol.ast_type == clingo.ast.ASTType.Pool and symbol.arguments:
            first = symbol.arguments[0]
            if first.ast_type == clingo.ast.ASTType.Function:
                parsed.predicate = (str(first.name), len(first.arguments))
    return parsed


def _element_kind(element: clingo.ast.AST) -> str:
    if element.ast_type != clingo.ast.ASTType.Literal:
        return "other"  # a conditional literal, an aggregate with its condition
    atom_type = element.atom.ast_type
    if atom_type == clingo.ast.ASTType.SymbolicAtom:
        return ("atom", "negated", "double_negated")[int(element.sign)]
    if atom_type == clingo.ast.ASTType.Comparison and int(element.sign) == 0:
        return "comparison"
    return "other"


def _atom_signatures(atom: clingo.ast.AST) -> list[tuple[str, int]]:
    symbol = atom.symbol if atom.ast_type == clingo.ast.ASTType.SymbolicAtom else atom
    if symbol.ast_type == clingo.ast.ASTType.Pool:
        return [sig for argument in symbol.arguments for sig in _atom_signatures(argument)]
    if symbol.ast_type == clingo.ast.ASTType.Function:
        return [(str(symbol.name), len(symbol.arguments))]
    return []


def _head_signatures(head: clingo.ast.AST) -> list[tuple[str, int]]:
    if head.ast_type == clingo.ast.ASTType.Literal:
        return _atom_signatures(head.atom)
    signatures: list[tuple[str, int]] = []
    for element in getattr(head, "elements", []):
        literal = element.literal if hasattr(element, "literal") else element
        if literal.ast_type == clingo.ast.ASTType.ConditionalLiteral:
            literal = literal.literal
        if literal.ast_type == clingo.ast.ASTType.Literal:
            signatures.extend(_atom_signatures(literal.atom))
    return signatures


def statement_is_valid(text: str) -> bool:
    """Whether clingo accepts the statement on its own (parses and grounds: no syntax error,
    no unsafe variable). What it refers to is not checked here."""
    if not text.strip():
        return True
    try:
        control = clingo.Control(["--warn=none"], logger=_silent)
        control.add("base", [], text)
        control.ground([("base", [])])
    except RuntimeError:
        return False
    return True


@dataclass
class _FileScan:
    file: str
    text: str
    statements: list[Statement]
    parsed: list[_Parsed | None]


def scan_file(path: Path, name: str) -> _FileScan:
    text = path.read_text(encoding="utf-8")
    statements = split_statements(text, name)
    parsed: list[_Parsed | None] = []
    for statement in statements:
        if statement.text.startswith(("#include", "#show", "#script", "#program", "#const")):
            parsed.append(None)
            continue
        try:
            parsed.append(parse_statement(statement.text))
        except LpSyntaxError as error:
            raise LpSyntaxError(f"{name}:{statement.line}: {error}") from None
    return _FileScan(name, text, statements, parsed)


def candidates_of(
    scan: _FileScan, defined: Counter[tuple[str, int]], declared: set[tuple[str, int]],
) -> tuple[list[Candidate], FileReport]:
    """Every valid mutant of one file, and what was skipped."""
    report = FileReport(scan.file, statements=len(scan.statements))
    found: list[Candidate] = []
    rank_facts: list[int] = []
    for index, (statement, parsed) in enumerate(zip(scan.statements, scan.parsed, strict=True)):
        if statement.is_directive or parsed is None:
            report.directives += 1
            continue
        if parsed.kind == "fact" and parsed.predicate and parsed.predicate[0] in TEXT_PREDICATES:
            report.text_facts += 1
            continue
        found.extend(_statement_candidates(scan, index, parsed, defined, declared, report))
        if parsed.kind == "fact" and parsed.predicate in SWAP_BETWEEN_FACTS:
            rank_facts.append(index)
    found.extend(_swap_between_facts(scan, rank_facts))
    valid = [c for c in found if all(statement_is_valid(t) for t in _edited_statements(c))]
    report.rejected = len(found) - len(valid)
    report.candidates = len(valid)
    report.mutable_statements = len({c.statement for c in valid})
    if not valid:
        report.skipped_reason = _why_nothing(report)
    return valid, report


def _why_nothing(report: FileReport) -> str:
    if report.statements == 0:
        return "no statements"
    if report.directives == report.statements:
        return "directives only (#include, #show, #defined, ...)"
    if report.directives + report.text_facts == report.statements:
        return "text facts (labels, citations, quotes) and directives only: out of scope"
    return "no operator applies"


def _statement_candidates(
    scan: _FileScan, index: int, parsed: _Parsed,
    defined: Counter[tuple[str, int]], declared: set[tuple[str, int]], report: FileReport,
) -> Iterator[Candidate]:
    statement = scan.statements[index]
    text = statement.text
    view = code_view(text)

    def make(operator: str, description: str, new_text: str) -> Candidate:
        return Candidate(scan.file, statement.line, operator, _clip(description, 200),
                         (Edit(statement.start, statement.end, new_text),), index)

    if parsed.kind == "fact" and parsed.predicate is not None:
        if defined[parsed.predicate] > 1 or parsed.predicate in declared:
            yield make("delete_fact", f"delete {_one_line(text)}", "")
        else:
            report.undefined += 1
        if parsed.predicate in SWAP_ARGUMENTS and len(parsed.arguments) >= 2:
            (a0, a1), (b0, b1) = parsed.arguments[0], parsed.arguments[1]
            swapped = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
            yield make("swap_precedence", f"{_one_line(text)} -> {_one_line(swapped)}", swapped)
    for match in VERDICT_PATTERN.finditer(view):
        word = match.group(1)
        enclosing = _enclosing_function(view, match.start())
        group: tuple[str, ...] = LINE_OUTCOMES if enclosing == "line_outcome" else DECISION_VERDICTS
        if word not in group:
            group = LINE_OUTCOMES if word in LINE_OUTCOMES else DECISION_VERDICTS
        if enclosing in CLAUSE_VERDICT_PREDICATES:  # a clause's verdict is never not_applicable
            group = tuple(v for v in group if v != "not_applicable")
        for other in group:
            if other != word:
                new_text = text[: match.start()] + other + text[match.end():]
                yield make("flip_verdict", f"{word} -> {other}: {_one_line(new_text)}", new_text)
    for match in INTEGER_PATTERN.finditer(view):
        value = int(match.group())
        for changed in (value + 1, value - 1):
            new_text = text[: match.start()] + str(changed) + text[match.end():]
            yield make("change_int", f"{value} -> {changed}: {_one_line(new_text)}", new_text)
    yield from _body_candidates(text, view, parsed, make)


def _body_candidates(
    text: str, view: str, parsed: _Parsed, make: Callable[[str, str, str], Candidate],
) -> Iterator[Candidate]:
    body = parsed.body
    if parsed.kind not in ("rule", "constraint") or not body:
        return
    for position, (start, end, kind) in enumerate(body):
        literal = _one_line(text[start:end])
        if len(body) >= 2:
            cut = (start, body[position + 1][0]) if position + 1 < len(body) else (body[position - 1][1], end)
            yield make("drop_literal", f"drop `{literal}`", text[: cut[0]] + text[cut[1]:])
        elif parsed.kind == "rule":
            yield make("drop_literal", f"drop `{literal}` (the rule becomes a fact)",
                       text[: parsed.head_end] + text[end:].lstrip())
        if kind == "atom":
            yield make("negate_literal", f"`{literal}` -> `not {literal}`", text[:start] + "not " + text[start:])
        elif kind == "negated":
            stripped = re.sub(r"^not\s+", "", text[start:end])
            yield make("negate_literal", f"`{literal}` -> `{_one_line(stripped)}`",
                       text[:start] + stripped + text[end:])
        elif kind == "comparison":
            operator = _top_level_operator(view, start, end)
            if operator is not None:
                at, symbol = operator
                new = COMPARISON_SWAP[symbol]
                new_literal = _one_line(text[start:at] + new + text[at + len(symbol): end])
                yield make("change_comparison", f"`{literal}` -> `{new_literal}`",
                           text[:at] + new + text[at + len(symbol):])


def _top_level_operator(view: str, start: int, end: int) -> tuple[int, str] | None:
    depth, i = 0, start
    while i < end:
        char = view[i]
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif depth == 0:
            match = COMPARISON_PATTERN.match(view, i, end)
            if match:
                return i, match.group()
        i += 1
    return None


def _enclosing_function(view: str, offset: int) -> str:
    """The name of the term or atom whose parentheses enclose ``offset`` ('' at top level)."""
    depth = 0
    for i in range(offset - 1, -1, -1):
        char = view[i]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                match = re.search(r"([a-z_][A-Za-z0-9_']*)\s*$", view[:i])
                return match.group(1) if match else ""
            depth -= 1
    return ""


def _swap_between_facts(scan: _FileScan, facts: list[int]) -> Iterator[Candidate]:
    for a_position, first in enumerate(facts):
        for second in facts[a_position + 1:]:
            one, two = scan.statements[first], scan.statements[second]
            parsed_one, parsed_two = scan.parsed[first], scan.parsed[second]
            assert parsed_one is not None
            assert parsed_two is not None
            (a0, a1), (b0, b1) = parsed_one.arguments[0], parsed_two.arguments[0]
            new_one = one.text[:a0] + two.text[b0:b1] + one.text[a1:]
            new_two = two.text[:b0] + one.text[a0:a1] + two.text[b1:]
            yield Candidate(
                scan.file, one.line, "swap_precedence",
                f"swap the verdicts of {_one_line(one.text)} and {_one_line(two.text)}",
                (Edit(one.start, one.end, new_one), Edit(two.start, two.end, new_two)), first,
            )


def _edited_statements(candidate: Candidate) -> list[str]:
    return [edit.replacement for edit in candidate.edits]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end:]
    return text


def unified_diff(file: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/asp/{file}", tofile=f"b/asp/{file}", n=1,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass
class Generation:
    """Every candidate, by file, and what each file held."""

    texts: dict[str, str]
    candidates: dict[str, list[Candidate]]
    files: dict[str, FileReport]


def generate(asp: Path, patterns: Sequence[str] = (), operators: Sequence[str] = OPERATORS) -> Generation:
    """All candidate mutants of the .lp files under ``asp`` (those matching ``patterns``)."""
    paths = sorted(asp.rglob("*.lp"))
    if not paths:
        raise LpSyntaxError(f"{asp}: no .lp files")
    scans = [scan_file(path, path.relative_to(asp).as_posix()) for path in paths]
    defined: Counter[tuple[str, int]] = Counter()
    declared: set[tuple[str, int]] = set()
    for scan in scans:
        for statement, parsed in zip(scan.statements, scan.parsed, strict=True):
            if parsed is None:
                continue
            if statement.is_directive:
                declared.update(parsed.head_signatures)
            else:
                defined.update(set(parsed.head_signatures))
    generation = Generation({}, {}, {})
    for scan in scans:
        generation.texts[scan.file] = scan.text
        if patterns and not any(fnmatch.fnmatch(scan.file, pattern) for pattern in patterns):
            continue
        found, report = candidates_of(scan, defined, declared)
        found = [c for c in found if c.operator in operators]
        report.candidates = len(found)
        report.mutable_statements = len({c.statement for c in found})
        if not found and report.skipped_reason is None:
            report.skipped_reason = "no candidate of the chosen operators"
        generation.candidates[scan.file] = found
        generation.files[scan.file] = report
    return generation


def allocate(total: int, weights: dict[str, float], capacity: dict[str, int], rng: random.Random) -> dict[str, int]:
    """How many mutants each file gets: one each first (at random when there are fewer
    mutants than files), the rest in proportion to the weights (capped by each capacity)."""
    files = sorted(f for f in weights if capacity[f] > 0)
    quota = dict.fromkeys(files, 0)
    if total <= 0 or not files:
        return quota
    if total < len(files):
        for name in rng.sample(files, total):
            quota[name] = 1
        return quota
    for name in files:
        quota[name] = 1
    left = total - len(files)
    while left > 0:
        open_files = [f for f in files if quota[f] < capacity[f]]
        if not open_files:
            break
        weight = sum(weights[f] for f in open_files) or len(open_files)
        shares = {f: left * (weights[f] or 1) / weight for f in open_files}
        given = 0
        for name in open_files:
            extra = min(math.floor(shares[name]), capacity[name] - quota[name])
            quota[name] += extra
            given += extra
        rest = left - given
        by_remainder = sorted(open_files, key=lambda f: (-(shares[f] - math.floor(shares[f])), f))
        for name in by_remainder:
            if rest <= 0:
                break
            if quota[name] < capacity[name]:
                quota[name] += 1
                rest -= 1
        left = total - sum(quota.values())
    return quota


def pick(candidates: list[Candidate], count: int, rng: random.Random) -> list[Candidate]:
    """``count`` candidates of one file, spread over the operators (round robin, in a random
    order) and over statements (a statement mutated once before any is mutated twice)."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.operator].append(candidate)
    order = sorted(groups)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(groups[name])
    chosen: list[Candidate] = []
    used: set[int] = set()
    while len(chosen) < count and any(groups.values()):
        for name in order:
            group = groups[name]
            if not group or len(chosen) >= count:
                continue
            fresh = next((c for c in group if c.statement not in used), group[0])
            group.remove(fresh)
            chosen.append(fresh)
            used.add(fresh.statement)
    return chosen


@dataclass
class Mutant:
    id: str
    file: str
    line: int
    operator: str
    description: str
    original: str
    mutated: str
    diff: str
    outcome: str = "not run"  # killed | survived | invalid | error | not run
    killed_by: str | None = None  # the first layer that failed (or "invalid program")
    killed_by_all: list[str] = field(default_factory=list)  # with --all-layers: every layer that failed
    detail: str = ""
    layers: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    equivalence: dict[str, Any] | None = None
    edits: tuple[Edit, ...] = ()
    verify_output: str = ""  # verify's JSON, for the equivalence check (not in the report)


def sample(generation: Generation, count: int, seed: int) -> list[Mutant]:
    """``count`` mutants sampled across the files, deterministic for a seed."""
    rng = random.Random(seed)
    capacity = {f: len(c) for f, c in generation.candidates.items()}
    # By the square root of the statements there are to mutate: a long table of data (the
    # sentence map) gets more mutants than a short file of rules, but not ten times more.
    weights = {f: math.sqrt(generation.files[f].mutable_statements) for f in generation.candidates}
    quota = allocate(count, weights, capacity, rng)
    chosen: list[Candidate] = []
    for name in sorted(quota):
        picked = pick(generation.candidates[name], quota[name], rng)
        generation.files[name].sampled = len(picked)
        chosen.extend(picked)
    chosen.sort(key=lambda c: (c.file, c.line, c.operator, c.description))
    mutants = []
    for number, candidate in enumerate(chosen, start=1):
        before = generation.texts[candidate.file]
        after = apply_edits(before, candidate.edits)
        original = "\n".join(before[e.start:e.end] for e in candidate.edits)
        mutated = "\n".join(e.replacement for e in candidate.edits)
        mutants.append(Mutant(
            id=f"m{number:03d}", file=candidate.file, line=candidate.line, operator=candidate.operator,
            description=candidate.description, original=original, mutated=mutated,
            diff=unified_diff(candidate.file, before, after), edits=candidate.edits,
        ))
    return mutants


# --------------------------------------------------------------------------------------
# Running the checks on a mutant
# --------------------------------------------------------------------------------------

LAYERS = ("verify", "properties", "scenarios", "rules")
LAYER_HELP = {
    "verify": "reasoner verify --format json: killed when it reports a problem (exit 1)",
    "properties": "pytest tests/property with HYPOTHESIS_PROFILE=mutation",
    "scenarios": "pytest tests/test_scenarios.py tests/asp/test_line_causes.py",
    "rules": "pytest tests/asp (the rules' own tests, but test_line_causes.py)",
}
PROPERTY_TESTS = ("tests/property",)
SCENARIO_TESTS = ("tests/test_scenarios.py", "tests/asp/test_line_causes.py")
RULES_TESTS = ("tests/asp", "--ignore=tests/asp/test_line_causes.py")
# A rules error that says the program itself is broken, rather than an answer that is wrong.
INVALID_PROGRAM = re.compile(r"clingo (failed|reported)|has no main\.lp")


class Stopped(Exception):
    """The run is being interrupted."""


@dataclass
class Completed:
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


class Processes:
    """Child processes, each in its own process group, all of which can be stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self.stopping = threading.Event()

    def run(self, argv: Sequence[str], env: dict[str, str], timeout: float, cwd: Path = ROOT) -> Completed:
        if self.stopping.is_set():
            raise Stopped
        started = time.monotonic()
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", start_new_session=True,
        )
        with self._lock:
            self._running.add(process)
        try:
            try:
                stdout, stderr = process.communicate(timeout=max(timeout, 0.1))
                code: int | None = process.returncode
            except subprocess.TimeoutExpired:
                _kill_group(process, signal.SIGKILL)
                stdout, stderr = process.communicate()
                code = None
        finally:
            with self._lock:
                self._running.discard(process)
        if self.stopping.is_set():
            raise Stopped
        return Completed(code, stdout, stderr, time.monotonic() - started)

    def stop_all(self) -> None:
        self.stopping.set()
        with self._lock:
            running = list(self._running)
        for process in running:
            _kill_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            _kill_group(process, signal.SIGKILL)


def _kill_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)


@dataclass
class Settings:
    python: str
    layers: tuple[str, ...]
    all_layers: bool
    timeout: float
    keep: bool
    work: Path  # a temporary folder for this run
    project: Path  # the snapshot of the project the checks run in

    def run(self, processes: Processes, argv: Sequence[str], asp: Path, timeout: float) -> Completed:
        """Run a check in the project's snapshot, with the reasoner reading the rules in ``asp``."""
        return processes.run(argv, child_env(asp, self.project), timeout, cwd=self.project)


# What a snapshot of the project leaves out: the checks run in the snapshot, so that editing
# the project (its code, its tests, its rules) while a run goes on changes nothing in it.
SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".venv", "venv", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "__pycache__",
    "*.egg-info", "dist", "build", "mutation-report*", "node_modules",
)


def snapshot(root: Path, target: Path, leave_out: Sequence[Path] = ()) -> Path:
    """A copy of the project (code, tests, rules, docs) in ``target``."""
    skipped = {path.resolve() for path in leave_out}

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(SNAPSHOT_IGNORE(folder, names))
        return ignored | {name for name in names if (Path(folder) / name).resolve() in skipped}

    shutil.copytree(root, target, ignore=ignore, symlinks=True)
    return target


def child_env(asp: Path, project: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[ASP_DIR_VARIABLE] = str(asp)
    # The rules' disk cache beside the mutant's copy, removed with it: every mutant is another set
    # of rules, whose stored programs (ADR 0013) would otherwise pile up in the user's cache.
    env[CACHE_DIR_VARIABLE] = str(asp.parent / "reasoner-cache")
    env["PYTHONPATH"] = str(project)
    env["HYPOTHESIS_PROFILE"] = "mutation"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def layer_argv(python: str, layer: str) -> list[str]:
    pytest = [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--no-header", "--tb=line"]
    if layer == "verify":
        return [python, "-m", "reasoner", "verify", "--format", "json"]
    if layer == "properties":
        return [*pytest, *PROPERTY_TESTS]
    if layer == "scenarios":
        return [*pytest, *SCENARIO_TESTS]
    if layer == "rules":
        return [*pytest, *RULES_TESTS]
    raise ValueError(layer)


@dataclass
class LayerResult:
    layer: str
    status: str  # passed | killed | timeout | invalid | error
    seconds: float
    detail: str = ""
    output: str = ""  # verify's JSON, kept for the equivalence check (not in the report)


def run_layer(processes: Processes, settings: Settings, layer: str, asp: Path, budget: float) -> LayerResult:
    if budget <= 0:
        return LayerResult(layer, "timeout", 0.0, "no time left of the mutant's --timeout")
    completed = settings.run(processes, layer_argv(settings.python, layer), asp, budget)
    if completed.returncode is None:
        return LayerResult(layer, "timeout", completed.seconds, f"still running after {budget:.0f} s")
    code = completed.returncode
    if layer == "verify":
        return _verify_result(completed)
    if code == 0:
        return LayerResult(layer, "passed", completed.seconds)
    if code in (1, 2):
        return LayerResult(layer, "killed", completed.seconds, _pytest_failure(completed))
    return LayerResult(layer, "error", completed.seconds,
                       f"pytest exit {code}: {_last_line(completed.stdout + completed.stderr)}")


def _verify_result(completed: Completed) -> LayerResult:
    code = completed.returncode
    if code == 0:
        return LayerResult("verify", "passed", completed.seconds, output=completed.stdout)
    if code == 1:
        return LayerResult("verify", "killed", completed.seconds, _verify_problems(completed.stdout),
                           output=completed.stdout)
    message = _last_line(completed.stderr)
    if code == 3:
        status = "invalid" if INVALID_PROGRAM.search(completed.stderr) else "killed"
        return LayerResult("verify", status, completed.seconds, f"rules error: {message}")
    return LayerResult("verify", "error", completed.seconds, f"exit {code}: {message}")


def _verify_problems(stdout: str) -> str:
    try:
        report = json.loads(stdout)
    except ValueError:
        return "problems found (the JSON report could not be read)"
    problems = [f for f in report.get("findings", []) if f.get("problem")]
    named = [f"{f.get('kind')}: {f.get('subject')}" for f in problems[:3]]
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"{report.get('problems', len(problems))} problem(s): " + "; ".join(named) + more


def _pytest_failure(completed: Completed) -> str:
    for line in completed.stdout.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return _clip(line, 300)
    return _clip(_last_line(completed.stdout + completed.stderr), 300)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def precheck(processes: Processes, settings: Settings, asp: Path, budget: float) -> LayerResult:
    """Whether the rules load: every program parses and grounds without a clingo message."""
    tool = settings.project / TOOL
    completed = settings.run(processes, [settings.python, str(tool if tool.is_file() else Path(__file__).resolve()),
                                         "__precheck__"], asp, budget)
    if completed.returncode is None:
        return LayerResult("load", "timeout", completed.seconds, f"still running after {budget:.0f} s")
    if completed.returncode == 0:
        return LayerResult("load", "passed", completed.seconds)
    if completed.returncode == 1:
        return LayerResult("load", "invalid", completed.seconds, _clip(completed.stdout, 400))
    return LayerResult("load", "error", completed.seconds,
                       _clip(f"exit {completed.returncode}: {completed.stderr}", 400))


def _precheck_main() -> int:
    """Internal: load the rules of $REASONER_ASP_DIR as the reasoner would (exit 1: invalid)."""
    from reasoner import _solve
    from reasoner._facts import kind_code_facts
    from reasoner.errors import RulesError
    from reasoner.vocabulary import KIND_CODES

    problems: list[str] = []
    kinds = list(kind_code_facts(KIND_CODES))
    try:
        _solve.solve(["main.lp"], kinds)
    except RulesError as error:
        if "have no answer" not in str(error):  # a program with no answer is wrong, not broken
            problems.append(f"main.lp: {error}")
    for entry in ("explain.lp", "verify.lp", "diff.lp"):
        try:
            _solve.PreparedProgram(entry, facts=kinds)
        except RulesError as error:
            problems.append(f"{entry}: {error}")
    if problems:
        print("; ".join(problems))
        return 1
    return 0


def materialise(source: Path, folder: Path, mutant: Mutant | None) -> Path:
    """A copy of the rules in ``folder``/asp, with the mutant's edits applied."""
    target = folder / "asp"
    shutil.copytree(source, target)
    if mutant is not None:
        path = target / mutant.file
        path.write_text(apply_edits(path.read_text(encoding="utf-8"), mutant.edits), encoding="utf-8")
    return target


def run_mutant(processes: Processes, settings: Settings, source: Path, mutant: Mutant) -> Mutant:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix=f"{mutant.id}-", dir=settings.work))
    try:
        asp = materialise(source, folder, mutant)
        deadline = started + settings.timeout
        results = [precheck(processes, settings, asp, deadline - time.monotonic())]
        if results[0].status == "passed":
            for layer in settings.layers:
                result = run_layer(processes, settings, layer, asp, deadline - time.monotonic())
                results.append(result)
                if result.status != "passed" and not settings.all_layers:
                    break
                if result.status in ("invalid", "error"):
                    break
        _settle(mutant, results)
    finally:
        if not settings.keep:
            shutil.rmtree(folder, ignore_errors=True)
    mutant.seconds = round(time.monotonic() - started, 2)
    return mutant


def _settle(mutant: Mutant, results: list[LayerResult]) -> None:
    mutant.layers = [
        {"layer": r.layer, "status": r.status, "seconds": round(r.seconds, 2), "detail": r.detail}
        for r in results
    ]
    mutant.verify_output = next((r.output for r in results if r.layer == "verify"), "")
    failed = [r for r in results if r.status != "passed"]
    mutant.killed_by_all = [r.layer for r in failed if r.status in ("killed", "timeout")]
    if not failed:
        mutant.outcome, mutant.killed_by, mutant.detail = "survived", None, ""
        return
    first = failed[0]
    if first.status == "invalid":
        mutant.outcome, mutant.killed_by = "invalid", "invalid program"
    elif first.status == "error":
        mutant.outcome, mutant.killed_by = "error", first.layer
    else:
        mutant.outcome, mutant.killed_by = "killed", first.layer
    mutant.detail = ("timeout: " if first.status == "timeout" else "") + first.detail


# --------------------------------------------------------------------------------------
# Equivalence: survivors decided over a corpus, compared with the original rules
# --------------------------------------------------------------------------------------

DIAGNOSES = ["E10.65", "E11.9", "O24.419", "E08.9", "E13.9", "E83.111", "T45.4X1A", "T45.4X4A",
             "I82.401", "I26.99", "I74.3", "I80.10", "C22.0", "C50.911", "C96.9", "G89.3", "I10", "D80.0",
             "I27.0", "E83.119", "B20"]
# Values on both sides of the rules' boundaries (8 hours is 28,800 s; E/M codes are
# 99201-99499; a rent of one cent), so that a constant moved by one shows in some output.
LINE_CODES = ["E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399", "A9274",
              "A4221", "A4222", "A4224", "A4225", "A4230", "A4231", "A4232", "K0552",
              "K0601", "K0602", "K0605", "A4602", "96416", "96425", "96521", "J1234", "99213", "K0606",
              "99200", "99201", "99499", "99500"]
MODIFIERS = ["RR", "NU", "UE", "59", "XU", "XE"]
HOURS = [0.5, 4, 7.99, 7.9999, 8, 8.0003, 8.01, 12, 24]
MONEY = [0, 0.01, 0.02, 100, 999.99, 1000, 2500.5, 3000]
DATES = [date(2020, 3, 31), date(2020, 4, 1), date(2020, 5, 18), date(2020, 5, 19), date(2019, 3, 31),
         date(2019, 4, 1), date(2020, 3, 31), date(2021, 1, 15), date(2020, 11, 2), date(2020, 11, 8)]


def scenario_cases(project: Path = ROOT) -> list[dict[str, Any]]:
    import yaml  # type: ignore[import-untyped]

    cases = []
    for path in sorted((project / "tests" / "cases").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("case"), dict):
            cases.append(data["case"])
    return cases


def witness_cases(verify_json: str) -> list[dict[str, Any]]:
    try:
        report = json.loads(verify_json)
    except ValueError:
        return []
    return [f["case"] for f in report.get("findings", []) if isinstance(f.get("case"), dict)]


def random_case(rng: random.Random) -> dict[str, Any]:
    """A case of the input contract, drawn from the code's vocabularies (like the property
    tests' strategies, but seeded and independent of them)."""
    from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, DeviceModel, Drug, Finding, Setting

    service = rng.choice(DATES) if rng.random() < 0.6 else date(2020, 1, 1) + timedelta(days=rng.randrange(700))
    case: dict[str, Any] = {"case_id": "", "date_of_service": service.isoformat()}
    if rng.random() < 0.8:
        case["member"] = {"diagnoses": rng.sample(DIAGNOSES, rng.randrange(0, 3))}
    therapy: dict[str, Any] = {}
    if rng.random() < 0.9:
        therapy["drug"] = rng.choice(list(Drug)).value
    if rng.random() < 0.7:
        therapy["setting"] = rng.choice(list(Setting)).value
    if rng.random() < 0.5:
        therapy["infusion_hours"] = rng.choice(HOURS)
    case["therapy"] = therapy
    kind = rng.choice(list(DeviceKind))
    device: dict[str, Any] = {"kind": kind.value}
    if rng.random() < 0.6:
        device["hcpcs"] = rng.choice(sorted(DEVICE_CODES[kind]))
    for flag in ("replacement", "backup", "wireless_glucose_monitor", "life_sustaining"):
        if rng.random() < 0.35:
            device[flag] = rng.random() < 0.5
    if rng.random() < 0.4:
        device["acquisition"] = rng.choice(list(Acquisition)).value
    if rng.random() < 0.3:
        device["purchase_price"] = rng.choice(MONEY)
    if rng.random() < 0.3:
        device["rental_paid_to_date"] = rng.choice(MONEY)
    case["device"] = device
    if rng.random() < 0.4:
        current: dict[str, Any] = {}
        if rng.random() < 0.5:
            current["kind"] = rng.choice(list(DeviceKind)).value
        if rng.random() < 0.4:
            current["model"] = rng.choice(list(DeviceModel)).value
        for flag in ("functioning", "under_warranty", "repairable"):
            if rng.random() < 0.5:
                current[flag] = rng.random() < 0.5
        if rng.random() < 0.3:
            current["received_on"] = rng.choice(DATES).isoformat()
        case["current_device"] = current
    findings = {f.value: rng.random() < 0.75 for f in Finding if rng.random() < 0.45}
    if findings:
        case["findings"] = findings
    lines = _random_lines(rng, service)
    if lines:
        case["claim_lines"] = lines
    return case


def _random_lines(rng: random.Random, service: date) -> list[dict[str, Any]]:
    lines = []
    for number in range(1, rng.choice([0, 0, 1, 2, 3, 4]) + 1):
        line: dict[str, Any] = {"line": number, "hcpcs": rng.choice(LINE_CODES)}
        if rng.random() < 0.5:
            line["units"] = rng.randrange(1, 4)
        if rng.random() < 0.6:
            line["date"] = (service + timedelta(days=rng.randrange(0, 10))).isoformat()
        if rng.random() < 0.4:
            line["modifiers"] = rng.sample(MODIFIERS, rng.randrange(1, 3))
        if rng.random() < 0.6:
            line["amount"] = rng.choice([*MONEY, 55.5, 200, 1200])
        lines.append(line)
    return lines


def perturbed_case(rng: random.Random, seed: dict[str, Any]) -> dict[str, Any]:
    """A scenario or witness case with one or two of its facts changed: near a clause's
    boundary, where a mutant is most likely to decide differently."""
    case: dict[str, Any] = json.loads(json.dumps(seed))
    for _ in range(rng.randrange(1, 3)):
        choice = rng.randrange(7)
        if choice == 0 and case.get("findings"):
            name = rng.choice(sorted(case["findings"]))
            if rng.random() < 0.5:
                case["findings"][name] = not case["findings"][name]
            else:
                del case["findings"][name]
        elif choice == 1:
            other = random_case(rng)
            for key in ("findings", "current_device", "member"):
                if key in other:
                    case[key] = other[key]
        elif choice == 2:
            case["date_of_service"] = rng.choice(DATES).isoformat()
            for line in case.get("claim_lines", []):
                line.pop("date", None)
        elif choice == 3:
            case["therapy"] = random_case(rng)["therapy"]
        elif choice == 4:
            case["device"] = {**random_case(rng)["device"], **{
                k: v for k, v in case.get("device", {}).items() if k not in ("kind", "hcpcs") and rng.random() < 0.5}}
        elif choice == 5:
            case["claim_lines"] = _random_lines(rng, date.fromisoformat(case["date_of_service"]))
            if not case["claim_lines"]:
                del case["claim_lines"]
        else:
            device = case.setdefault("device", {"kind": "infusion_pump"})
            flag = rng.choice(["replacement", "backup", "wireless_glucose_monitor", "life_sustaining"])
            device[flag] = not device.get(flag, False)
    return case


def build_corpus(seeds: list[dict[str, Any]], generated: int, rng: random.Random) -> list[dict[str, Any]]:
    cases = [json.loads(json.dumps(case)) for case in seeds]
    for number in range(generated):
        cases.append(perturbed_case(rng, rng.choice(seeds)) if seeds and number % 2 == 0 else random_case(rng))
    for number, case in enumerate(cases, start=1):
        case["case_id"] = f"corpus-{number:04d}"
    return cases


def json_differences(before: Any, after: Any, path: str = "$", limit: int = 6) -> list[str]:
    """Where two JSON values differ, as `path: before -> after` (at most ``limit``)."""
    found: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if key not in a or key not in b:
                    found.append(f"{where}.{key}: {_short(a.get(key, '(absent)'))} -> {_short(b.get(key, '(absent)'))}")
                elif a[key] != b[key]:
                    walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    walk(x, y, f"{where}[{index}]")
        elif a != b:
            found.append(f"{where}: {_short(a)} -> {_short(b)}")

    walk(before, after, path)
    return found


def _short(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False), 160)


@dataclass
class Outputs:
    decisions: list[Any]
    verify: Any
    diff: Any
    conditions: Any


class Oracle:
    """The outputs of the original rules over the corpus, and the comparison of a mutant's."""

    def __init__(self, processes: Processes, settings: Settings, source: Path, corpus: list[dict[str, Any]],
                 verify_json: str | None = None) -> None:
        self.processes, self.settings, self.source = processes, settings, source
        self.folder = Path(tempfile.mkdtemp(prefix="oracle-", dir=settings.work))
        self.corpus_path = self.folder / "corpus.jsonl"
        self._write_corpus(corpus)
        original = materialise(source, self.folder, None)
        outputs = self.outputs(original, verify_json)
        # Cases the contract refuses (error records) tell no rules apart: dropped.
        keep = [i for i, record in enumerate(outputs.decisions) if "error" not in record]
        self.corpus = [corpus[i] for i in keep]
        self._write_corpus(self.corpus)
        self.original = Outputs([outputs.decisions[i] for i in keep], outputs.verify, outputs.diff,
                                outputs.conditions)

    def _write_corpus(self, corpus: list[dict[str, Any]]) -> None:
        self.corpus_path.write_text("".join(json.dumps(case) + "\n" for case in corpus), encoding="utf-8")

    def outputs(self, asp: Path, verify_json: str | None) -> Outputs:
        run, timeout = self.settings.run, self.settings.timeout
        reasoner = [self.settings.python, "-m", "reasoner"]
        out = asp.parent / "decisions.jsonl"
        batch = run(self.processes, [*reasoner, "batch", str(self.corpus_path), "--out", str(out), "--no-progress"],
                    asp, timeout)
        if batch.returncode != 0:
            raise RuntimeError(f"reasoner batch failed: {_last_line(batch.stderr)}")
        decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        if verify_json is None:
            verify_json = run(self.processes, [*reasoner, "verify", "--format", "json"], asp, timeout).stdout
        diff = run(self.processes, [*reasoner, "diff", "--format", "json"], asp, timeout)
        conditions = run(self.processes, [*reasoner, "conditions", "--format", "json"], asp, timeout)
        return Outputs(decisions, _json_or_text(verify_json), _json_or_text(diff.stdout or diff.stderr),
                       _json_or_text(conditions.stdout or conditions.stderr))

    def compare(self, mutant: Mutant) -> dict[str, Any]:
        folder = Path(tempfile.mkdtemp(prefix=f"{mutant.id}-eq-", dir=self.settings.work))
        try:
            asp = materialise(self.source, folder, mutant)
            outputs = self.outputs(asp, mutant.verify_output or None)
        finally:
            if not self.settings.keep:
                shutil.rmtree(folder, ignore_errors=True)
        differing = [i for i, (a, b) in enumerate(zip(self.original.decisions, outputs.decisions, strict=True))
                     if a != b]
        # A report that differs only in the witness cases it prints is not a different
        # report (the solver may find another witness of the same finding): noted, no more.
        pairs = (("verify", self.original.verify, outputs.verify), ("diff", self.original.diff, outputs.diff),
                 ("conditions", self.original.conditions, outputs.conditions))
        channels = [name for name, a, b in pairs if without_witnesses(a) != without_witnesses(b)]
        witnesses = [name for name, a, b in pairs if a != b and name not in channels]
        result: dict[str, Any] = {"cases": len(self.corpus), "cases_differing": len(differing),
                                  "reports_differing": channels, "witnesses_differing": witnesses}
        if differing:
            first = differing[0]
            fields: Counter[str] = Counter()
            for index in differing:  # which parts of the decision differ, over every differing case
                before, after = self.original.decisions[index], outputs.decisions[index]
                keys = set(before) | set(after) if isinstance(before, dict) and isinstance(after, dict) else {"$"}
                fields.update(k for k in keys if not isinstance(before, dict) or before.get(k) != after.get(k))
            result["fields_differing"] = dict(fields.most_common())
            result["verdict"] = "not equivalent"
            result["example"] = {
                "case": self.corpus[first],
                "differences": json_differences(self.original.decisions[first], outputs.decisions[first]),
            }
        elif channels:
            result["verdict"] = "equivalent for decisions"
            result["report_differences"] = {
                name: json_differences(getattr(self.original, name), getattr(outputs, name)) for name in channels
            }
        else:
            result["verdict"] = "likely equivalent"
        return result


def without_witnesses(report: Any) -> Any:
    """A verify or diff report without the witness cases it prints (every `case` field)."""
    if isinstance(report, dict):
        return {key: without_witnesses(value) for key, value in report.items() if key != "case"}
    if isinstance(report, list):
        return [without_witnesses(value) for value in report]
    return report


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"mutate: {message}", file=sys.stderr, flush=True)


def summarise(mutants: list[Mutant]) -> dict[str, Any]:
    outcomes = Counter(m.outcome for m in mutants)
    killed = [m for m in mutants if m.outcome == "killed"]
    by_layer = Counter(m.killed_by for m in killed)
    timeouts = sum(1 for m in killed if m.detail.startswith("timeout"))
    valid = outcomes["killed"] + outcomes["survived"]
    early = by_layer["verify"] + by_layer["properties"]
    equivalent = sum(1 for m in mutants if m.outcome == "survived" and m.equivalence
                     and m.equivalence.get("verdict") in ("likely equivalent", "equivalent for decisions"))
    not_equivalent = sum(1 for m in mutants if m.outcome == "survived" and m.equivalence
                         and m.equivalence.get("verdict") == "not equivalent")

    def percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    return {
        "generated": len(mutants),
        "invalid": outcomes["invalid"],
        "valid": valid,
        "killed": outcomes["killed"],
        "survived": outcomes["survived"],
        "errors": outcomes["error"],
        "not_run": outcomes["not run"],
        "timeouts": timeouts,
        "killed_by_layer": {layer: by_layer[layer] for layer in LAYERS if by_layer[layer]},
        "killed_percent": percent(outcomes["killed"], valid),
        "killed_by_verify_or_properties": early,
        "verify_or_properties_percent_of_killed": percent(early, outcomes["killed"]),
        "verify_or_properties_percent_of_valid": percent(early, valid),
        "survivors_likely_equivalent": equivalent,
        "survivors_not_equivalent": not_equivalent,
        "killed_percent_of_non_equivalent": percent(outcomes["killed"], valid - equivalent),
        "by_operator": _table(mutants, "operator"),
        "by_file": _table(mutants, "file"),
    }


def _table(mutants: list[Mutant], key: str) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for mutant in mutants:
        table[getattr(mutant, key)][mutant.outcome] += 1
    return {name: dict(counts) for name, counts in sorted(table.items())}


def mutant_record(mutant: Mutant) -> dict[str, Any]:
    record = asdict(mutant)
    record.pop("edits")
    record.pop("verify_output")
    return record


def write_reports(out: Path, meta: dict[str, Any], generation: Generation, mutants: list[Mutant]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(mutants)
    report = {
        **meta,
        "summary": summary,
        "files": [asdict(r) for r in generation.files.values()],
        "mutants": [mutant_record(m) for m in mutants],
    }
    _write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _write_atomic(out / "report.md", markdown(report))
    return summary


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    args = report["arguments"]

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value} %"

    lines = [
        "# Mutation testing report",
        "",
        f"`{report['command']}`, {report['started']} ({report['seconds']:.0f} s"
        + (", **interrupted**" if report.get("interrupted") else "")
        + (", **in progress**" if report.get("in_progress") else "") + ")",
        "",
        f"Rules: `{report['rules']['folder']}`, {report['rules']['files']} .lp files,"
        f" sha256 `{report['rules']['sha256'][:12]}`;"
        f" {report['candidates']} candidate mutants, {s['generated']} sampled (seed {args['seed']}"
        + (f", only {', '.join(args['only'])}" if args.get("only") else "") + ");"
        f" layers {', '.join(args['layers'])}" + (" (all layers run)" if args["all_layers"] else "") + ".",
        "",
        "## Score",
        "",
        "| | count | % |",
        "|---|---:|---:|",
        f"| mutants sampled | {s['generated']} | |",
        f"| invalid programs (not counted) | {s['invalid']} | |",
        f"| valid mutants | {s['valid']} | |",
        f"| **killed** | {s['killed']} | **{pct(s['killed_percent'])}** of valid |",
        f"| killed by `verify` or the properties | {s['killed_by_verify_or_properties']} |"
        f" {pct(s['verify_or_properties_percent_of_killed'])} of killed,"
        f" {pct(s['verify_or_properties_percent_of_valid'])} of valid |",
        f"| survived | {s['survived']} | |",
        f"| survivors likely equivalent | {s['survivors_likely_equivalent']} | |",
        f"| survivors not equivalent (gaps) | {s['survivors_not_equivalent']} | |",
        f"| killed, of the non-equivalent | | {pct(s['killed_percent_of_non_equivalent'])} |",
        f"| timeouts (counted as killed) | {s['timeouts']} | |",
        f"| errors of the tool, not run | {s['errors']}, {s['not_run']} | |",
        "",
        "### Killed by layer (the first layer that fails)",
        "",
        "| layer | killed |",
        "|---|---:|",
        *(f"| {layer} | {count} |" for layer, count in s["killed_by_layer"].items()),
        "",
        "### By operator",
        "",
        "| operator | killed | survived | invalid | other |",
        "|---|---:|---:|---:|---:|",
        *(_outcome_row(name, counts) for name, counts in s["by_operator"].items()),
        "",
        "### By file",
        "",
        "| file | killed | survived | invalid | other |",
        "|---|---:|---:|---:|---:|",
        *(_outcome_row(f"`{name}`", counts) for name, counts in s["by_file"].items()),
        "",
    ]
    skipped = [f for f in report["files"] if f["skipped_reason"]]
    if skipped:
        lines += ["Files with nothing to mutate:", ""]
        lines += [f"- `{f['file']}`: {f['skipped_reason']}" for f in skipped]
        lines += [""]
    text_facts = sum(f["text_facts"] for f in report["files"])
    lines += [f"Facts of text for people (labels, citations, questions, quotes: {text_facts}) are never mutated.", ""]
    survivors = [m for m in report["mutants"] if m["outcome"] == "survived"]
    lines += ["## Survivors", ""]
    if not survivors:
        lines += ["None.", ""]
    else:
        lines += ["| mutant | where | operator | equivalence | reason (to be filled in) |", "|---|---|---|---|---|"]
        for m in survivors:
            verdict = (m["equivalence"] or {}).get("verdict", "not checked")
            lines.append(f"| {m['id']} | `{m['file']}:{m['line']}` | {m['operator']} | {verdict} | |")
        lines.append("")
        for m in survivors:
            lines += _survivor_section(m)
    errors = [m for m in report["mutants"] if m["outcome"] in ("error", "not run")]
    if errors:
        lines += ["## Not run or failed to run", ""]
        lines += [f"- {m['id']} `{m['file']}:{m['line']}` {m['operator']}: {m['outcome']} {m['detail']}"
                  for m in errors]
        lines += [""]
    lines += ["## Every mutant", "", "| mutant | where | operator | outcome | killed by | seconds | change |",
              "|---|---|---|---|---|---:|---|"]
    for m in report["mutants"]:
        change = m["description"].replace("|", "\\|")
        lines.append(f"| {m['id']} | `{m['file']}:{m['line']}` | {m['operator']} | {m['outcome']} |"
                     f" {m['killed_by'] or ''} | {m['seconds']} | {_clip(change, 120)} |")
    lines.append("")
    return "\n".join(lines)


def _outcome_row(name: str, counts: dict[str, int]) -> str:
    other = sum(v for k, v in counts.items() if k not in ("killed", "survived", "invalid"))
    cells = [counts.get("killed", 0), counts.get("survived", 0), counts.get("invalid", 0), other]
    return f"| {name} | " + " | ".join(str(c) for c in cells) + " |"


def _survivor_section(m: dict[str, Any]) -> list[str]:
    equivalence = m["equivalence"] or {}
    lines = [f"### {m['id']}: `{m['file']}:{m['line']}`, {m['operator']}", "", m["description"], "",
             "```diff", m["diff"].rstrip("\n"), "```", ""]
    verdict = equivalence.get("verdict")
    if verdict is None:
        lines += ["Equivalence not checked.", ""]
    elif verdict == "not equivalent":
        example = equivalence["example"]
        fields = ", ".join(f"`{k}` ({v})" for k, v in equivalence.get("fields_differing", {}).items())
        lines += [f"**Not equivalent**: {equivalence['cases_differing']} of {equivalence['cases']} corpus cases"
                  f" are decided differently (fields that differ, with their number of cases: {fields})."
                  " The first:", "", "```json", json.dumps(example["case"]), "```", "",
                  "Differences (original -> mutant):", ""]
        lines += [f"- `{d}`" for d in example["differences"]]
        lines += [""]
    elif verdict == "equivalent for decisions":
        lines += [f"Same decisions over {equivalence['cases']} cases; the report of"
                  f" {' and '.join(equivalence['reports_differing'])} differs:", ""]
        for name, differences in equivalence.get("report_differences", {}).items():
            lines += [f"- {name}: `{d}`" for d in differences]
        lines += [""]
    else:
        witnesses = equivalence.get("witnesses_differing") or []
        lines += [f"Likely equivalent: same decisions over {equivalence['cases']} cases, same `verify`"
                  " and `diff` reports" + (f" (but for the witness cases of {' and '.join(witnesses)})"
                                           if witnesses else "") + ".", ""]
    lines += ["Reason: _to be filled in_", ""]
    return lines


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.lp")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=TOOL, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Mutation testing of the rules in asp/: generate single-point mutants, run the checks on each, "
                    "report which layer killed them and which survived.",
        epilog="operators:\n" + "\n".join(f"  {k:18} {v}" for k, v in OPERATOR_HELP.items())
        + "\n\nlayers, in order (the first that fails kills the mutant):\n"
        + "\n".join(f"  {k:18} {v}" for k, v in LAYER_HELP.items())
        + "\n\nexample:\n  nice -n 10 .venv/bin/python tools/mutate.py --mutants 120 --seed 1 --jobs 2"
          " --out mutation-report/",
    )
    parser.add_argument("--mutants", "-n", type=_positive, default=100,
                        help="how many mutants to sample (default 100)")
    parser.add_argument("--seed", type=int, default=1,
                        help="the sampling seed (default 1); the same seed, the same mutants")
    parser.add_argument("--jobs", "-j", type=_positive, default=2, help="mutants checked at once (default 2)")
    parser.add_argument("--timeout", type=_positive_float, default=600.0,
                        help="seconds a mutant's checks may take in all (default 600);"
                             " a mutant still running then is stopped and counted as killed (timeout)")
    parser.add_argument("--out", "-o", type=Path, default=Path("mutation-report"),
                        help="folder for report.json and report.md (default mutation-report/)")
    parser.add_argument("--layers", default=",".join(LAYERS),
                        help=f"comma-separated layers to run, in order (default {','.join(LAYERS)})")
    parser.add_argument("--all-layers", action="store_true",
                        help="run every layer on every mutant instead of stopping at the first that kills it")
    parser.add_argument("--files", action="append", default=[], metavar="GLOB",
                        help="mutate only files matching GLOB, relative to the rules folder (repeatable),"
                             " e.g. 'policy/*.lp'")
    parser.add_argument("--operators", default=",".join(OPERATORS), help="comma-separated operators (default: all)")
    parser.add_argument("--corpus", type=_non_negative, default=400,
                        help="generated cases for the equivalence check, besides the scenarios and"
                             " verify's witnesses (default 400)")
    parser.add_argument("--no-equivalence", action="store_true", help="do not check survivors for equivalence")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not first check that the unmutated rules pass every layer")
    parser.add_argument("--only", default="", metavar="IDS",
                        help="run only these mutants of the sample (comma-separated ids such as m007,m011;"
                             " the same --mutants, --seed, --files and --operators give the same ids):"
                             " to check again the survivors of a run after closing a gap")
    parser.add_argument("--list", action="store_true",
                        help="print the sampled mutants as JSON lines and exit, running nothing")
    parser.add_argument("--asp", type=Path, default=ROOT / "asp",
                        help="the rules to mutate (default: the project's asp/)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each mutant's copy of the rules (in a temporary folder)")
    parser.add_argument("--fail-under", type=float, metavar="PERCENT",
                        help="exit 1 when the killed percentage of the valid mutants is below PERCENT")
    arguments = parser.parse_args(argv)
    layers = tuple(name.strip() for name in arguments.layers.split(",") if name.strip())
    unknown = [name for name in layers if name not in LAYERS]
    if unknown or not layers:
        parser.error(f"--layers: unknown layer {', '.join(unknown) or '(none given)'}; choose from {', '.join(LAYERS)}")
    arguments.layers = layers
    operators = tuple(name.strip() for name in arguments.operators.split(",") if name.strip())
    unknown = [name for name in operators if name not in OPERATORS]
    if unknown or not operators:
        parser.error(f"--operators: unknown operator {', '.join(unknown) or '(none given)'};"
                     f" choose from {', '.join(OPERATORS)}")
    arguments.operators = operators
    arguments.only = {name.strip() for name in arguments.only.split(",") if name.strip()}
    if not (arguments.asp / "main.lp").is_file():
        parser.error(f"--asp: {arguments.asp} has no main.lp")
    if arguments.out.exists() and not arguments.out.is_dir():
        parser.error(f"--out: {arguments.out} exists and is not a folder")
    return arguments


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["__precheck__"]:
        return _precheck_main()
    arguments = parse_arguments(argv)
    if arguments.list:
        return _list(arguments)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="mutate-"))
    try:
        return _run(arguments, argv, work, started_at, started)
    finally:
        if not arguments.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"the snapshot and the mutants' copies are kept in {work}")


def _generate(arguments: argparse.Namespace, source: Path) -> tuple[Generation, list[Mutant]] | None:
    try:
        generation = generate(source, arguments.files, arguments.operators)
    except LpSyntaxError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    if not any(generation.candidates.values()):
        print("error: no mutant can be generated from these files and operators", file=sys.stderr)
        return None
    mutants = sample(generation, arguments.mutants, arguments.seed)
    if arguments.only:
        unknown = sorted(arguments.only - {m.id for m in mutants})
        if unknown:
            print(f"error: --only: no mutant {', '.join(unknown)} in this sample (ids m001-m{len(mutants):03d})",
                  file=sys.stderr)
            return None
        mutants = [m for m in mutants if m.id in arguments.only]
    return generation, mutants


def _list(arguments: argparse.Namespace) -> int:
    generated = _generate(arguments, arguments.asp.resolve())
    if generated is None:
        return 2
    for mutant in generated[1]:
        print(json.dumps({k: v for k, v in mutant_record(mutant).items()
                          if k in ("id", "file", "line", "operator", "description", "diff")}))
    return 0


def _run(arguments: argparse.Namespace, argv: list[str], work: Path, started_at: datetime, started: float) -> int:
    project = snapshot(ROOT, work / "project", leave_out=[arguments.out])
    given = arguments.asp.resolve()
    source = project / "asp" if given == (ROOT / "asp").resolve() else given
    generated = _generate(arguments, source)
    if generated is None:
        return 2
    generation, mutants = generated
    total = sum(len(c) for c in generation.candidates.values())
    with_points = sum(1 for c in generation.candidates.values() if c)
    log(f"{len(generation.texts)} .lp files, {with_points} with something to mutate, {total} candidate mutants;"
        f" {len(mutants)} sampled (seed {arguments.seed}); checks run in a snapshot of the project")
    if len(mutants) < arguments.mutants and not arguments.only:
        log(f"only {len(mutants)} candidates in all: every one is run")
    meta: dict[str, Any] = {
        "tool": TOOL, "report_version": REPORT_VERSION,
        "command": " ".join(["tools/mutate.py", *argv]),
        "started": started_at.isoformat(timespec="seconds"), "seconds": 0.0,
        "arguments": {"mutants": arguments.mutants, "seed": arguments.seed, "jobs": arguments.jobs,
                      "timeout": arguments.timeout, "layers": list(arguments.layers),
                      "all_layers": arguments.all_layers, "files": arguments.files,
                      "operators": list(arguments.operators), "corpus": arguments.corpus,
                      "only": sorted(arguments.only)},
        "rules": {"folder": _display(given), "files": len(generation.texts), "sha256": tree_hash(source)},
        "candidates": total,
        "baseline": None,
        "corpus_cases": None,
    }
    processes = Processes()
    settings = Settings(sys.executable, arguments.layers, arguments.all_layers, arguments.timeout, arguments.keep,
                        work, project)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    interrupted = False
    try:
        baseline_verify = _baseline(processes, settings, source, meta, arguments.skip_baseline)
        if baseline_verify is None and not arguments.skip_baseline:
            return 2

        def checkpoint() -> None:  # the report so far, rewritten as each mutant finishes
            progress = {**meta, "seconds": round(time.monotonic() - started, 1), "in_progress": True}
            write_reports(arguments.out, progress, generation, mutants)

        _run_all(processes, settings, source, mutants, arguments.jobs, checkpoint)
        survivors = [m for m in mutants if m.outcome == "survived"]
        if survivors and not arguments.no_equivalence:
            _check_equivalence(processes, settings, source, survivors, arguments, baseline_verify or "", meta)
    except KeyboardInterrupt:
        interrupted = True
        processes.stop_all()
        log("interrupted: the report keeps what was finished")
    finally:
        signal.signal(signal.SIGTERM, previous)
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["interrupted"] = interrupted
    summary = write_reports(arguments.out, meta, generation, mutants)
    log(f"killed {summary['killed']} of {summary['valid']} valid mutants ({summary['killed_percent']} %),"
        f" {summary['killed_by_verify_or_properties']} by verify or the properties;"
        f" {summary['survived']} survived, {summary['invalid']} invalid; report in {arguments.out}/report.md")
    if interrupted:
        return 130
    if arguments.fail_under is not None and (summary["killed_percent"] or 0.0) < arguments.fail_under:
        log(f"score {summary['killed_percent']} % is below --fail-under {arguments.fail_under} %")
        return 1
    return 0


def _display(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _baseline(processes: Processes, settings: Settings, source: Path, meta: dict[str, Any], skip: bool) -> str | None:
    """Check the unmutated rules pass every layer (else nothing a mutant does means anything);
    returns verify's JSON output."""
    if skip:
        return None
    log("baseline: checking the unmutated rules with every layer ...")
    folder = Path(tempfile.mkdtemp(prefix="baseline-", dir=settings.work))
    asp = materialise(source, folder, None)
    results = [precheck(processes, settings, asp, settings.timeout)]
    for layer in settings.layers:
        results.append(run_layer(processes, settings, layer, asp, settings.timeout))
        log(f"baseline: {layer} {results[-1].status} ({results[-1].seconds:.0f} s)")
    meta["baseline"] = {r.layer: round(r.seconds, 1) for r in results}
    failed = [r for r in results if r.status != "passed"]
    if failed:
        for result in failed:
            print(f"error: the unmutated rules fail '{result.layer}' ({result.status}): {result.detail}",
                  file=sys.stderr)
        print("error: fix that first (or pass --skip-baseline)", file=sys.stderr)
        return None
    times = ", ".join(f"{r.layer} {r.seconds:.0f} s" for r in results)
    log(f"baseline passes: {times}")
    verify = next((r.output for r in results if r.layer == "verify"), "")
    return verify or ""


def _run_all(
    processes: Processes, settings: Settings, source: Path, mutants: list[Mutant], jobs: int,
    checkpoint: Callable[[], None] = lambda: None,
) -> None:
    width = len(str(len(mutants)))
    began = time.monotonic()
    task = partial(run_mutant, processes, settings, source)
    for done, (mutant, future) in enumerate(_completed(processes, jobs, task, mutants), start=1):
        error = future.exception()
        if error is not None:
            mutant.outcome, mutant.detail = "error", _clip(f"{type(error).__name__}: {error}", 300)
        verdict = f"killed by {mutant.killed_by}" if mutant.outcome == "killed" else mutant.outcome
        left = (time.monotonic() - began) / done * (len(mutants) - done)
        log(f"[{done:>{width}}/{len(mutants)}] {mutant.id} {mutant.file}:{mutant.line} {mutant.operator}:"
            f" {verdict} ({mutant.seconds:.0f} s; about {left / 60:.0f} min left)")
        checkpoint()


def _completed(
    processes: Processes, jobs: int, task: Callable[[Mutant], Any], mutants: list[Mutant],
) -> Iterator[tuple[Mutant, Future[Any]]]:
    """Run ``task`` on each mutant, ``jobs`` at a time, and yield each as it finishes (those
    stopped by Ctrl-C are left out); Ctrl-C stops every check and the pool."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(task, mutant): mutant for mutant in mutants}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    if not isinstance(future.exception(), Stopped):
                        yield futures[future], future
        except KeyboardInterrupt:
            processes.stop_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _check_equivalence(
    processes: Processes, settings: Settings, source: Path, survivors: list[Mutant],
    arguments: argparse.Namespace, baseline_verify: str, meta: dict[str, Any],
) -> None:
    log(f"equivalence: deciding the corpus with the original rules ({len(survivors)} survivor(s) to compare) ...")
    seeds = scenario_cases(settings.project) + witness_cases(baseline_verify)
    corpus = build_corpus(seeds, arguments.corpus, random.Random(arguments.seed))
    oracle = Oracle(processes, settings, source, corpus, baseline_verify or None)
    meta["corpus_cases"] = len(oracle.corpus)
    for mutant, future in _completed(processes, arguments.jobs, oracle.compare, survivors):
        error = future.exception()
        mutant.equivalence = {"verdict": "not checked", "error": _clip(str(error), 300)} if error else future.result()
        log(f"equivalence {mutant.id}: {mutant.equivalence['verdict']}")


if __name__ == "__main__":
    sys.exit(main())
