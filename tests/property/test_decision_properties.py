"""Properties of every decision, over generated valid cases (docs/contract.md, docs/design.md section 4)."""

from __future__ import annotations

import copy
import random
from collections import defaultdict
from datetime import date
from typing import Any

from case_strategies import cases
from hypothesis import given
from hypothesis import strategies as st

from reasoner import decide, decide_all, parse_case
from reasoner.vocabulary import Decision, Finding

OUTCOMES = {"payable", "reduced", "denied", "not_applicable"}
WEEKLY_LIMITED = {"A4224", "A4230", "A4231"}


def by_line(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {line["line"]: line for line in result["lines"]}


@given(cases())
def test_exactly_one_decision_and_one_outcome_per_line(case: dict[str, Any]) -> None:
    result = decide(case).to_json()
    assert result["decision"] in {d.value for d in Decision}
    assert result["case_id"] == case["case_id"]
    lines = case.get("claim_lines", [])
    assert sorted(by_line(result)) == sorted(line["line"] for line in lines)
    for line in lines:
        got = by_line(result)[line["line"]]
        assert got["outcome"] in OUTCOMES
        assert 0 <= got["units_allowed"] <= line.get("units", 1)
        if "amount" in line:
            assert 0 <= got["amount_allowed"] <= line["amount"]


@given(cases(), st.randoms(use_true_random=False))
def test_order_of_diagnoses_findings_and_lines_changes_nothing(case: dict[str, Any], rng: random.Random) -> None:
    shuffled = copy.deepcopy(case)
    if shuffled.get("member", {}).get("diagnoses"):
        rng.shuffle(shuffled["member"]["diagnoses"])
    if "findings" in shuffled:
        items = list(shuffled["findings"].items())
        rng.shuffle(items)
        shuffled["findings"] = dict(items)
    if "claim_lines" in shuffled:
        rng.shuffle(shuffled["claim_lines"])
    first, second = decide(case).to_json(), decide(shuffled).to_json()
    assert by_line(first) == by_line(second)
    for key in ("decision", "complete", "pathway", "satisfied", "missing", "questions", "conflicts"):
        assert first[key] == second[key], key
    assert sorted(first["warnings"]) == sorted(second["warnings"])


@given(cases())
def test_decisions_are_deterministic(case: dict[str, Any]) -> None:
    assert decide(case).to_json() == decide(case).to_json()


@given(st.lists(cases(), min_size=1, max_size=5))
def test_batch_result_equals_single_results(batch: list[dict[str, Any]]) -> None:
    together = decide_all([parse_case(case) for case in batch])
    for case, decision in zip(batch, together, strict=True):
        assert decision.to_json() == decide(case).to_json()


@given(cases(), st.text(min_size=1, max_size=40))
def test_user_text_is_inert(case: dict[str, Any], hostile_tail: str) -> None:
    # A case id full of ASP syntax is echoed verbatim and changes nothing else.
    hostile = {**case, "case_id": f'x"). decision(0, covered). #show. :- {hostile_tail}'[:128]}
    plain, attacked = decide(case).to_json(), decide(hostile).to_json()
    assert attacked["case_id"] == hostile["case_id"]
    assert {**attacked, "case_id": None} == {**plain, "case_id": None}


@given(cases())
def test_unrelated_codes_and_diagnoses_change_nothing(case: dict[str, Any]) -> None:
    # Z00.00 is in no diagnosis class of docs/interpretation.md; J1234 is a drug code this policy does not govern.
    extended = copy.deepcopy(case)
    if extended.get("member", {}).get("diagnoses") is not None:
        extended["member"]["diagnoses"].append("Z00.00")
    number = 1 + max((line["line"] for line in case.get("claim_lines", [])), default=0)
    extended.setdefault("claim_lines", []).append({"line": number, "hcpcs": "J1234", "amount": 10})
    before, after = decide(case).to_json(), decide(extended).to_json()
    for key in ("decision", "complete", "pathway", "satisfied", "missing", "questions"):
        assert before[key] == after[key], key
    lines = by_line(after)
    assert lines.pop(number)["outcome"] == "not_applicable"
    assert lines == by_line(before)


@given(cases())
def test_weekly_limit_and_rental_cap_are_never_exceeded(case: dict[str, Any]) -> None:
    result = decide(case).to_json()
    allowed = by_line(result)
    service = date.fromisoformat(case["date_of_service"])
    per_week: dict[tuple[str, int], int] = defaultdict(int)
    for line in case.get("claim_lines", []):
        if line["hcpcs"] in WEEKLY_LIMITED and allowed[line["line"]]["outcome"] != "not_applicable":
            day = date.fromisoformat(line.get("date", service.isoformat()))
            per_week[(line["hcpcs"], (day.toordinal() - 1) // 7)] += allowed[line["line"]]["units_allowed"]
    assert all(units <= 1 for units in per_week.values()), per_week
    device = case["device"]
    price = device.get("purchase_price")
    if price is None or device.get("life_sustaining") is True:
        return
    rented = [line for line in case.get("claim_lines", [])
              if "RR" in line.get("modifiers", []) and "amount" in line
              and allowed[line["line"]]["outcome"] != "not_applicable"
              and line["hcpcs"] in {"E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399"}]
    paid = sum(allowed[line["line"]]["amount_allowed"] for line in rented)
    assert paid + device.get("rental_paid_to_date", 0) <= price + 0.005 or paid == 0


@given(cases(), st.sampled_from([f.value for f in Finding]))
def test_an_established_finding_never_removes_coverage_unless_an_exclusion_fires(
    case: dict[str, Any], finding: str
) -> None:
    if finding in case.get("findings", {}):
        return
    before = decide(case)
    after = decide({**case, "findings": {**case.get("findings", {}), finding: True}})
    if before.decision == "covered" and after.decision != "covered":
        assert after.rule is not None
        assert after.rule.rule != "criteria_not_met"
        assert after.pathway in {"replacement_exclusion", "epoprostenol_backup", "v_go"}
