"""Every scenario in tests/cases/*.yaml gives the decision, lines and explanation it states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reasoner import decide

CASES = Path(__file__).resolve().parent / "cases"
SCENARIOS = sorted(CASES.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load(path)
    for key in ("sentence", "rule", "polarity", "why", "case", "expect"):
        assert key in scenario, f"{path.name} has no {key}"
    expect = scenario["expect"]
    result = decide(scenario["case"]).to_json()
    because = f"{path.name}: {scenario['why']} ({scenario['sentence']})"
    assert result["decision"] == expect["decision"], because
    if "pathway" in expect:
        assert result["pathway"] == expect["pathway"], because
    if "complete" in expect:
        assert result["complete"] == expect["complete"], because
    if "satisfied" in expect:
        assert {c["condition"] for c in result["satisfied"]} == set(expect["satisfied"]), because
    if "missing" in expect:
        got = [{c["condition"] for c in alt["conditions"]} for alt in result["missing"]]
        assert got == [set(alt) for alt in expect["missing"]], because
    if "questions" in expect:
        assert {q["condition"] for q in result["questions"]} == set(expect["questions"]), because
    _check_lines(result, expect.get("lines", {}), because)
    for fragment in expect.get("warnings_contain", []):
        assert any(fragment in w for w in result["warnings"]), because


def _check_lines(result: dict[str, Any], expected: dict[Any, Any], because: str) -> None:
    lines = {line["line"]: line for line in result["lines"]}
    for number, want in expected.items():
        line = lines[int(number)]
        if isinstance(want, str):
            want = {"outcome": want}
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
