"""`reasoner diff`: what changed between two versions of the policy, and where decisions differ.

Two parts, both read from the rules (asp/diff.lp, grounded once):

- the revision clause by clause: the clauses and billing rules one version has and the other
  has not (``clause_in/2``, ``rule_in/2``), and, for an item that ``supersedes/2`` another, what
  changed in what it requires, its exceptions and its verdict;
- the regions of the input space (the same space as `reasoner verify`) where the two versions
  decide differently: one solve per region, each asking for a region not yet seen, each with
  the smallest witness; every witness is turned into a case and decided again through the
  ordinary pipeline under both versions (``decide(..., as_of=...)``), so each region can be
  reproduced with `reasoner check`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clingo

from reasoner._facts import diff_externals, vocabulary_facts
from reasoner._results import text
from reasoner._solve import PreparedProgram
from reasoner.errors import InvalidCase, ReasonerError

DIFF_ENTRY = "diff.lp"
MAX_REGIONS = 200


@dataclass(frozen=True)
class VersionRef:
    id: str
    name: str
    start: int

    @property
    def first_day(self) -> str:
        return f"{self.start // 10000:04d}-{self.start // 100 % 100:02d}-{self.start % 100:02d}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.name, "in_force_from": self.first_day}


@dataclass(frozen=True)
class Change:
    """One clause or billing rule that the revision added, removed or changed."""

    change: str  # added, removed, changed
    kind: str  # clause, billing rule
    id: str
    label: str
    details: tuple[str, ...] = ()
    replaces: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"change": self.change, "kind": self.kind, "id": self.id, "label": self.label,
                                "details": list(self.details)}
        if self.replaces is not None:
            data["replaces"] = self.replaces
        return data


@dataclass(frozen=True)
class Region:
    """Cases decided differently: (decision, deciding rule) under each version, and a witness."""

    before: tuple[str, str]
    after: tuple[str, str]
    case: dict[str, Any]
    decided: tuple[str, str]  # what the pipeline decides for the witness under each version
    as_of: str

    @property
    def reproduced(self) -> bool:
        return self.decided == (self.before[0], self.after[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "from": {"decision": self.before[0], "rule": _rule_or_none(self.before[1])},
            "to": {"decision": self.after[0], "rule": _rule_or_none(self.after[1])},
            "case": self.case,
            "reproduce": {"to": "reasoner check CASE.json",
                          "from": f"reasoner check CASE.json --as-of {self.as_of}"},
            "decided": {"from": self.decided[0], "to": self.decided[1]},
            "reproduced": self.reproduced,
        }


def _rule_or_none(rule: str) -> str | None:
    return None if rule == "none" else rule


@dataclass
class VersionDiff:
    before: VersionRef
    after: VersionRef
    changes: list[Change] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    regions_truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.before.to_json(),
            "to": self.after.to_json(),
            "changes": [change.to_json() for change in self.changes],
            "regions": [region.to_json() for region in self.regions],
            "regions_truncated": self.regions_truncated,
        }


class _Rules:
    """The static data of the diff program: versions, clauses, billing rules, what is in which."""

    def __init__(self, program: PreparedProgram) -> None:
        def rows(name: str, arity: int) -> list[list[str]]:
            return [[text(arg) for arg in args] for args in program.facts_of(name, arity)]

        self.versions = {
            args[0]: VersionRef(args[0], args[1], int(args[2])) for args in rows("version", 4)
        }
        self.clauses = {k: verdict for k, _, verdict in rows("clause", 3)}
        self.rules = {row[0] for row in rows("line_rule", 1)}
        self.labels = {row[0]: row[1] for row in rows("label", 2)}
        self.requires: dict[str, set[str]] = defaultdict(set)
        self.unless: dict[str, set[str]] = defaultdict(set)
        for clause, condition in rows("requires", 2):
            self.requires[clause].add(condition)
        for clause, condition in rows("unless", 2):
            self.unless[clause].add(condition)
        self.members: dict[str, set[str]] = defaultdict(set)
        for item, version in rows("clause_in", 2) + rows("rule_in", 2):
            self.members[version].add(item)
        self.supersedes = {row[0]: row[1] for row in rows("supersedes", 2)}

    def version(self, wanted: str | None, default: str) -> VersionRef:
        if wanted is None:
            return self.versions[default]
        for version in self.versions.values():
            if wanted in (version.id, version.name):
                return version
        known = ", ".join(v.name for v in sorted(self.versions.values(), key=lambda v: v.start))
        raise InvalidCase([f"version {wanted!r} is not a version of the policy (known: {known})"])


def diff(
    from_version: str | None = None, to_version: str | None = None, extra_files: Sequence[Path] = (),
) -> VersionDiff:
    """Compare two versions (by name, e.g. "2020-04-01", or id); by default the last two."""
    from reasoner.verify import vocabulary

    values, kind_codes = vocabulary()
    program = PreparedProgram(DIFF_ENTRY, ("--opt-mode=opt",), vocabulary_facts(values, kind_codes), extra_files)
    rules = _Rules(program)
    ordered = sorted(rules.versions.values(), key=lambda v: v.start)
    if len(ordered) < 2 and (from_version is None or to_version is None):
        raise ReasonerError("the policy has only one version: nothing to compare")
    after = rules.version(to_version, ordered[-1].id)
    earlier = [v for v in ordered if v.start < after.start] or [ordered[0]]
    before = rules.version(from_version, earlier[-1].id)
    result = VersionDiff(before, after, _changes(rules, before, after))
    result.regions, result.regions_truncated = _regions(program, before, after)
    return result


def _changes(rules: _Rules, before: VersionRef, after: VersionRef) -> list[Change]:
    old, new = rules.members[before.id], rules.members[after.id]
    replaced = {rules.supersedes[item]: item for item in new - old if rules.supersedes.get(item) in old - new}
    changes = []
    for item in sorted(old - new):
        if item in replaced:
            changes.append(_changed(rules, item, replaced[item]))
        else:
            changes.append(Change("removed", _kind(rules, item), item, rules.labels.get(item, item)))
    for item in sorted(new - old):
        if item not in replaced.values():
            changes.append(Change("added", _kind(rules, item), item, rules.labels.get(item, item),
                                  _summary(rules, item)))
    return changes


def _kind(rules: _Rules, item: str) -> str:
    return "clause" if item in rules.clauses else "billing rule"


def _summary(rules: _Rules, item: str) -> tuple[str, ...]:
    if item not in rules.clauses:
        return ()
    found = [f"verdict {rules.clauses[item]}"]
    found += [f"requires {x}" for x in sorted(rules.requires[item])]
    found += [f"unless {x}" for x in sorted(rules.unless[item])]
    return tuple(found)


def _changed(rules: _Rules, old: str, new: str) -> Change:
    details = []
    if old in rules.clauses and new in rules.clauses:
        if rules.clauses[old] != rules.clauses[new]:
            details.append(f"verdict {rules.clauses[old]} -> {rules.clauses[new]}")
        details += [f"requires + {x}" for x in sorted(rules.requires[new] - rules.requires[old])]
        details += [f"requires - {x}" for x in sorted(rules.requires[old] - rules.requires[new])]
        details += [f"unless + {x}" for x in sorted(rules.unless[new] - rules.unless[old])]
        details += [f"unless - {x}" for x in sorted(rules.unless[old] - rules.unless[new])]
    if rules.labels.get(old) != rules.labels.get(new):
        details.append(f"label: {rules.labels.get(new, new)}")
    return Change("changed", _kind(rules, new), new, rules.labels.get(new, new), tuple(details), replaces=old)


def _regions(program: PreparedProgram, before: VersionRef, after: VersionRef) -> tuple[list[Region], bool]:
    seen: list[tuple[str, str, str, str]] = []
    regions: list[Region] = []
    while len(regions) < MAX_REGIONS:
        models = program.solve(diff_externals(before.id, after.id, seen))
        if not models:
            return regions, False
        symbols = models[-1].symbols  # the optimum: the smallest witness
        region = next(s for s in symbols if s.name == "region")
        d1, k1, d2, k2 = (text(arg) for arg in region.arguments)
        seen.append((d1, k1, d2, k2))
        regions.append(_region(region, symbols, before, after))
    return regions, True


def _region(
    region: clingo.Symbol, symbols: Sequence[clingo.Symbol], before: VersionRef, after: VersionRef,
) -> Region:
    from reasoner.engine import decide
    from reasoner.verify_cases import witness_case

    d1, k1, d2, k2 = (text(arg) for arg in region.arguments)
    case = witness_case(symbols, after.first_day, "version difference")
    case["case_id"] = f"diff {before.name} -> {after.name}: {d1} -> {d2}"
    try:
        decided = (decide(case, explanation=False, as_of=before.first_day).decision,
                   decide(case, explanation=False).decision)
    except ReasonerError as error:
        decided = (f"error: {error}", f"error: {error}")
    return Region((d1, k1), (d2, k2), case, decided, before.first_day)
