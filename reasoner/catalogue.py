"""The policy's catalogue, read from the rules themselves: clauses, conditions, labels, citations.

Solved once per process with no case facts; nothing here is written by hand in
Python, so a label or a citation changes in one place: the ``.lp`` files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import clingo

from reasoner import catalogue_cache
from reasoner._disk_cache import cached, entry_key, source_digest
from reasoner._solve import asp_dir, rules_with_static_data
from reasoner.answers import AnswerSpec, answer_for, apply_answer
from reasoner.decision import QUOTE_JOIN


@dataclass(frozen=True)
class Clause:
    id: str
    pathway: str | None
    verdict: str
    order: int
    requires: tuple[str, ...]
    unless: tuple[str, ...]


@dataclass(frozen=True)
class Version:
    id: str
    name: str
    start: int
    end: int


@dataclass
class Catalogue:
    clauses: dict[str, Clause] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)
    fixed_by_request: frozenset[str] = frozenset()
    labels: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    pathway_labels: dict[str, str] = field(default_factory=dict)
    complementary: dict[str, str] = field(default_factory=dict)
    versions: dict[str, Version] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)  # condition -> request attribute
    implies: dict[str, str] = field(default_factory=dict)  # narrower diagnosis class -> wider
    precedence_rules: list[str] = field(default_factory=list)
    read_by_rules: frozenset[str] = frozenset()
    sentences: dict[int, str] = field(default_factory=dict)
    encodes: dict[int, list[str]] = field(default_factory=dict)
    informational: dict[int, str] = field(default_factory=dict)
    quotes: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    answers: dict[str, AnswerSpec] = field(default_factory=dict)
    answer_also: dict[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)
    # wider_than's answers: asked of every condition of each missing set, case after case.
    _wider: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def label(self, item: str) -> str:
        return self.labels.get(item, item)

    def source(self, item: str) -> str:
        return self.sources.get(item, "")

    def pathway_label(self, pathway: str) -> str:
        return self.pathway_labels.get(pathway, pathway)

    def apply_answer(self, case: dict[str, Any], field_name: str, value: Any) -> dict[str, Any]:
        """The case with the answer to the question of ``field_name`` set (answers.apply_answer)."""
        kinds = {spec.type for spec in self.answers.values() if spec.field == field_name}
        kind = kinds.pop() if len(kinds) == 1 else "string"
        return apply_answer(case, field_name, value, answer_type=kind, also=self.answer_also.get(field_name, ()))

    def implied_by(self, wider: str, narrower: str) -> bool:
        """Whether establishing ``narrower`` always establishes ``wider``: a diagnosis class
        within another, or a value of a request field that every value establishing the
        narrower condition shares (the drug epoprostenol: "epoprostenol or treprostinil")."""
        if self.implies.get(narrower) == wider:
            return True
        first, second = self.answers.get(narrower), self.answers.get(wider)
        if first is None or second is None or first.field != second.field or first.type != "enum":
            return False
        return bool(first.establishes) and set(first.establishes) <= set(second.establishes)

    def wider_than(self, narrower: str) -> frozenset[str]:
        """Every other condition that ``narrower`` implies (``implied_by``), remembered."""
        found = self._wider.get(narrower)
        if found is None:
            found = self._wider[narrower] = frozenset(
                x for x in self.conditions if x != narrower and self.implied_by(x, narrower))
        return found


def _text(symbol: clingo.Symbol) -> str:
    return symbol.string if symbol.type == clingo.SymbolType.String else str(symbol)


@cache
def catalogue() -> Catalogue:
    """The catalogue: the static facts of the rules, read once per process from the grounded
    explanation program whole (which includes every rule file), or from the on-disk cache when
    these rules were read before (reasoner/_disk_cache.py)."""
    key = entry_key(asp_dir(), "catalogue", [source_digest(*catalogue_cache.SOURCES)])
    return cached(key, catalogue_from_rules, catalogue_cache.from_json, catalogue_cache.to_json)


def catalogue_from_rules() -> Catalogue:
    """The catalogue read from the static facts of the grounded explanation program, whole (the
    one explanations solve on is sliced and lacks the labels, sources and quotes)."""
    atoms = rules_with_static_data().static_facts()
    by_name: dict[tuple[str, int], list[list[str]]] = defaultdict(list)
    numbers: dict[str, int] = {}
    for atom in atoms:
        args = atom.arguments
        by_name[(atom.name, len(args))].append([_text(a) for a in args])
        if atom.name == "clause_order":
            numbers[str(args[0])] = args[1].number
    cat = _assemble(by_name, numbers)
    _add_sentence_map(cat, by_name)
    cat.answers = _answers(atoms, by_name)
    also: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for atom in atoms:
        if atom.name == "answer_also" and len(atom.arguments) == 3:
            first, other, value = atom.arguments
            also[_dotted(first)].append((_dotted(other), _value(value)))
    cat.answer_also = {name: tuple(found) for name, found in also.items()}
    return cat


def _answers(
    atoms: list[clingo.Symbol], by_name: dict[tuple[str, int], list[list[str]]]
) -> dict[str, AnswerSpec]:
    """answer/3 and its companions: the case field that settles each condition."""
    establishes: dict[str, list[object]] = defaultdict(list)
    for atom in atoms:
        if atom.name == "establishes" and len(atom.arguments) == 2:
            establishes[str(atom.arguments[0])].append(_value(atom.arguments[1]))
    units = {row[0]: row[1] for row in by_name[("answer_unit", 2)]}
    examples: dict[str, list[str]] = defaultdict(list)
    for item, code in by_name[("answer_example", 2)]:
        examples[item].append(code)
    prompts = {}
    for atom in atoms:
        if atom.name == "field_question" and len(atom.arguments) == 2:
            prompts[_dotted(atom.arguments[0])] = atom.arguments[1].string
    specs = {}
    for atom in atoms:
        if atom.name != "answer" or len(atom.arguments) != 3:
            continue
        condition, where, kind = (atom.arguments[0], atom.arguments[1], atom.arguments[2])
        name, dotted = str(condition), _dotted(where)
        specs[name] = AnswerSpec(
            dotted, str(kind), tuple(sorted(establishes[name], key=str)), units.get(name),
            tuple(sorted(examples[name])), prompts.get(dotted),
        )
    return specs


def _dotted(where: clingo.Symbol) -> str:
    """field(current_device, functioning) -> "current_device.functioning"."""
    return ".".join(str(part) for part in where.arguments)


def _value(symbol: clingo.Symbol) -> object:
    """A field value as JSON has it: true/false as booleans, names and codes as text."""
    if symbol.type == clingo.SymbolType.Function and symbol.name in ("true", "false") and not symbol.arguments:
        return symbol.name == "true"
    return _text(symbol)


def _add_sentence_map(cat: Catalogue, by_name: dict[tuple[str, int], list[list[str]]]) -> None:
    cat.sentences = {int(n): prefix for n, prefix in by_name[("sentence", 2)]}
    for n, item in by_name[("encodes", 2)]:
        cat.encodes.setdefault(int(n), []).append(item)
    cat.informational = {int(n): reason for n, reason in by_name[("informational", 2)]}
    quotes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for item, n, words in by_name[("quote", 3)]:
        quotes[item].append((int(n), words))
    cat.quotes = {item: tuple(sorted(found)) for item, found in quotes.items()}


def _assemble(by_name: dict[tuple[str, int], list[list[str]]], order: dict[str, int]) -> Catalogue:
    requires: dict[str, list[str]] = defaultdict(list)
    unless: dict[str, list[str]] = defaultdict(list)
    for clause_id, condition in by_name[("requires", 2)]:
        requires[clause_id].append(condition)
    for clause_id, condition in by_name[("unless", 2)]:
        unless[clause_id].append(condition)
    cat = Catalogue()
    for clause_id, pathway, verdict in by_name[("clause", 3)]:
        cat.clauses[clause_id] = Clause(
            clause_id,
            None if pathway == "none" else pathway,
            verdict,
            order.get(clause_id, 0),
            tuple(sorted(requires[clause_id])),
            tuple(sorted(unless[clause_id])),
        )
    cat.clauses = dict(sorted(cat.clauses.items(), key=lambda item: (item[1].order, item[0])))
    cat.conditions = sorted({row[0] for row in by_name[("condition", 1)]})
    cat.fixed_by_request = frozenset(row[0] for row in by_name[("fixed_by_request", 1)])
    cat.labels = {row[0]: row[1] for row in by_name[("label", 2)]}
    cat.sources = {row[0]: row[1] for row in by_name[("source", 2)]}
    cat.questions = {row[0]: row[1] for row in by_name[("question", 2)]}
    cat.pathway_labels = {row[0]: row[1] for row in by_name[("pathway_label", 2)]}
    for first, second in by_name[("complementary", 2)]:
        cat.complementary[first] = second
        cat.complementary[second] = first
    for version_id, name, start, end in by_name[("version", 4)]:
        cat.versions[version_id] = Version(version_id, name, int(start), int(end))
    cat.rules = sorted({row[0] for row in by_name[("line_rule", 1)]})
    precedence = {row[0] for row in by_name[("rank_rule", 1)]}
    precedence |= {row[2] for row in by_name[("precedence_rule", 3)]}
    cat.precedence_rules = sorted(precedence)
    cat.read_by_rules = frozenset(row[1] for row in by_name[("reads", 2)])
    cat.attributes = {row[1]: row[0] for row in by_name[("attribute_condition", 3)]}
    cat.implies = {row[0]: row[1] for row in by_name[("implies", 2)]}
    return cat


def catalogue_rows() -> list[dict[str, Any]]:
    """Every condition, clause, precedence rule and billing rule, with label and citation;
    each condition with the case field that answers it."""
    cat = catalogue()
    rows: list[dict[str, Any]] = []
    for condition in cat.conditions:
        kind = "request condition" if condition in cat.fixed_by_request else "condition"
        row: dict[str, Any] = _row(cat, kind, condition, question=cat.questions.get(condition, ""))
        spec = cat.answers.get(condition)
        if spec is not None:
            row["answer"] = answer_for(spec, None).to_json()
        rows.append(row)
    for clause in cat.clauses.values():
        rows.append(_row(cat, "clause", clause.id, verdict=clause.verdict,
                         pathway=clause.pathway or "", requires=", ".join(clause.requires)))
    for rule in cat.precedence_rules:
        rows.append(_row(cat, "precedence rule", rule))
    for rule in cat.rules:
        rows.append(_row(cat, "billing rule", rule))
    return rows


def _row(cat: Catalogue, kind: str, item: str, **extra: str) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": kind, "id": item, "label": cat.label(item), "source": cat.source(item)}
    quotes = cat.quotes.get(item, ())
    if quotes:
        row["sentence"] = QUOTE_JOIN.join(dict.fromkeys(words for _, words in quotes))
        row["sentences"] = sorted({number for number, _ in quotes})
    row.update({key: value for key, value in extra.items() if value})
    return row
