"""Every scenario in tests/cases/*.yaml gives the decision, lines and explanation it states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reasoner import decide
from reasoner.catalogue import catalogue

CASES = Path(__file__).resolve().parent / "cases"
SCENARIOS = sorted(CASES.glob("*.yaml"))

SCENARIO_KEYS = {"sentence", "rule", "polarity", "why", "case", "expect"}
POLARITIES = {"meets", "misses"}
EXPECT_KEYS = {
    "decision",
    "pathway",
    "complete",
    "satisfied",
    "missing",
    "questions",
    "lines",
    "warnings_contain",
    "version",
    "deciding",
    "conflicts",
    "closed_routes",
}
LINE_KEYS = {"outcome", "units_allowed", "amount_allowed", "reasons", "missing"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_there_are_scenarios() -> None:
    assert SCENARIOS, f"no scenario files in {CASES}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load(path)
    for key in sorted(SCENARIO_KEYS):
        assert key in scenario, f"{path.name} has no {key}"
    assert not set(scenario) - SCENARIO_KEYS, f"{path.name}: unknown keys {set(scenario) - SCENARIO_KEYS}"
    assert scenario["polarity"] in POLARITIES, f"{path.name}: polarity must be meets or misses"
    expect = scenario["expect"]
    assert "decision" in expect, f"{path.name}: expect has no decision"
    assert not set(expect) - EXPECT_KEYS, f"{path.name}: unknown expect keys {set(expect) - EXPECT_KEYS}"
    result = decide(scenario["case"]).to_json()
    because = f"{path.name}: {scenario['why']} ({scenario['sentence']})"
    assert result["decision"] == expect["decision"], because
    if "version" in expect:
        assert result["policy"]["version"] == expect["version"], because
    if "pathway" in expect:
        assert result["pathway"] == expect["pathway"], because
    if "deciding" in expect:
        deciding = result["rule"]["rule"] if result["rule"] else None
        assert deciding == expect["deciding"], because
    if "complete" in expect:
        assert result["complete"] == expect["complete"], because
    if "satisfied" in expect:
        assert {c["condition"] for c in result["satisfied"]} == set(expect["satisfied"]), because
    if "missing" in expect:
        got = [{c["condition"] for c in alt["conditions"]} for alt in result["missing"]]
        assert got == [set(alt) for alt in expect["missing"]], because
    if "questions" in expect:
        assert {q["condition"] for q in result["questions"]} == set(expect["questions"]), because
    if "closed_routes" in expect:
        got_routes = {r["rule"]: {c["condition"] for c in r["closed_by"]} for r in result["closed_routes"]}
        assert got_routes == {rule: set(by) for rule, by in expect["closed_routes"].items()}, because
    if "conflicts" in expect:
        got_conflicts = {(c["prevailing"], c["defeated"], c["rule"]) for c in result["conflicts"]}
        assert got_conflicts == {tuple(c) for c in expect["conflicts"]}, because
    _check_lines(result, expect.get("lines", {}), because)
    for fragment in expect.get("warnings_contain", []):
        assert any(fragment in w for w in result["warnings"]), because


def _check_lines(result: dict[str, Any], expected: dict[Any, Any], because: str) -> None:
    lines = {line["line"]: line for line in result["lines"]}
    # Every rule a line cites is a billing rule the catalogue lists (line_rule/1: the inventory
    # that `reasoner conditions`, the versions and the traceability check go by), or the clause
    # that decided the request the line follows.
    known = {*catalogue().rules, *catalogue().clauses}
    for line in lines.values():
        for reason in line["reasons"]:
            assert reason["rule"] in known, f"line {line['line']} cites {reason['rule']}: no line_rule, no clause"
    for number, want in expected.items():
        assert int(number) in lines, f"line {number} is not in the result: {because}"
        line = lines[int(number)]
        if isinstance(want, str):
            want = {"outcome": want}
        assert not set(want) - LINE_KEYS, f"line {number}: unknown keys {set(want) - LINE_KEYS}"
        assert "outcome" in want, f"line {number}: no outcome expected: {because}"
        assert line["outcome"] == want["outcome"], f"line {number}: {because}"
        if "units_allowed" in want:
            assert line["units_allowed"] == want["units_allowed"], f"line {number}: {because}"
        if "amount_allowed" in want:
            assert line.get("amount_allowed") == want["amount_allowed"], f"line {number}: {because}"
        if "reasons" in want:
            got = {r["rule"] for r in line["reasons"]}
            assert got == set(want["reasons"]), f"line {number}: {because}"
        if "missing" in want:
            got = {c["condition"] for c in line.get("missing", [])}
            assert got == set(want["missing"]), f"line {number}: {because}"
