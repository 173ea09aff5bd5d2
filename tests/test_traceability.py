"""Every clause, billing rule and precedence rule has a scenario that meets it and one that misses it.

The ids come from the rules themselves (the catalogue), so a clause added to asp/ without
scenarios fails here; a scenario naming an id the rules do not know fails too.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from reasoner.catalogue import catalogue

CASES = Path(__file__).resolve().parent / "cases"
POLARITIES = ("meets", "misses")


def _rule_ids() -> dict[str, str]:
    cat = catalogue()
    ids: dict[str, str] = {}
    ids.update(dict.fromkeys(cat.clauses, "clause"))
    ids.update(dict.fromkeys(cat.rules, "billing rule"))
    ids.update(dict.fromkeys(cat.precedence_rules, "precedence rule"))
    return ids


def _scenarios() -> dict[str, dict[str, object]]:
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(CASES.glob("*.yaml"))}


def _coverage() -> dict[str, dict[str, list[str]]]:
    covered: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, scenario in _scenarios().items():
        covered[str(scenario["rule"])][str(scenario["polarity"])].append(name)
    return covered


def test_catalogue_has_every_kind_of_rule() -> None:
    cat = catalogue()
    assert cat.clauses, "the catalogue lists no clauses"
    assert cat.rules, "the catalogue lists no billing rules"
    assert cat.precedence_rules, "the catalogue lists no precedence rules"


def test_every_scenario_names_a_known_rule_and_polarity() -> None:
    known = _rule_ids()
    problems = []
    for name, scenario in _scenarios().items():
        if scenario.get("rule") not in known:
            problems.append(f"{name}: rule {scenario.get('rule')!r} is not a clause, billing rule or precedence rule")
        if scenario.get("polarity") not in POLARITIES:
            problems.append(f"{name}: polarity {scenario.get('polarity')!r} is not meets or misses")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("polarity", POLARITIES)
def test_every_rule_has_a_scenario(polarity: str) -> None:
    covered = _coverage()
    lacking = [
        f"{kind} {rule_id} has no '{polarity}' scenario in tests/cases/"
        for rule_id, kind in sorted(_rule_ids().items())
        if not covered[rule_id][polarity]
    ]
    assert not lacking, "\n".join(lacking)
