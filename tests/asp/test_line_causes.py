"""Each cut line names what made its rule bite: another line of the claim, or a condition."""

from __future__ import annotations

from typing import Any

from reasoner import decide


def because(case: dict[str, Any], line: int, rule: str) -> list[dict[str, Any]]:
    result = decide(case).to_json()
    reasons = {r["rule"]: r for r in next(x for x in result["lines"] if x["line"] == line)["reasons"]}
    return list(reasons[rule]["because"])


def insulin_case(lines: list[dict[str, Any]], **device: Any) -> dict[str, Any]:
    return {
        "case_id": "CAUSES", "date_of_service": "2020-06-03",
        "member": {"diagnoses": ["E10.9"]}, "therapy": {"drug": "insulin"},
        "device": {"kind": "insulin_pump", "hcpcs": "E0784", **device}, "claim_lines": lines,
    }


def test_a4230_beside_a4221_names_the_a4221_line() -> None:
    # "Codes A4230 ... and A4231 ... are included in code A4221."
    case = insulin_case([{"line": 1, "hcpcs": "A4221"}, {"line": 2, "hcpcs": "A4230"}])
    assert because(case, 2, "included_in_a4221") == [{"line": 1, "hcpcs": "A4221"}]


def test_second_weekly_supply_line_names_the_line_that_used_the_unit() -> None:
    # "... limited to 1 unit of service per week": line 1 (Wednesday) used it, line 2 (Friday) is denied.
    case = insulin_case([{"line": 1, "hcpcs": "A4224"}, {"line": 2, "hcpcs": "A4224", "date": "2020-06-05"}])
    assert because(case, 2, "weekly_supply_limit") == [{"line": 1, "hcpcs": "A4224"}]


def test_batteries_with_a_rented_pump_name_the_rental() -> None:
    # "Replacement batteries are not separately payable when billed with a rented infusion pump."
    case = insulin_case([{"line": 1, "hcpcs": "K0601"}], acquisition="rental")
    (cause,) = because(case, 1, "batteries_with_rented_pump")
    assert cause["condition"] == "device_rented"
    assert cause["status"] == "met"


def test_rental_cap_names_earlier_rental_lines_and_the_rent_already_paid() -> None:
    # "Total payments for a rental item may not exceed its allowable purchase price."
    case = insulin_case(
        [{"line": 1, "hcpcs": "E0784", "modifiers": ["RR"], "amount": 300},
         {"line": 2, "hcpcs": "E0784", "modifiers": ["RR"], "amount": 300, "date": "2020-07-03"}],
        acquisition="rental", purchase_price=1000, rental_paid_to_date=500,
    )
    causes = because(case, 2, "rental_cap")
    assert {"line": 1, "hcpcs": "E0784"} in causes
    assert any(c.get("input") == "rental_paid_to_date" for c in causes)
