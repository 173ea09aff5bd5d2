"""Money stays inside clingo's 32-bit integers: a claim whose amounts add up past the bound is refused."""

from __future__ import annotations

import pytest

from reasoner import InvalidCase, decide


def rental_claim(lines: int, amount: float) -> dict[str, object]:
    return {
        "case_id": "TOTALS",
        "date_of_service": "2020-06-01",
        "device": {"kind": "infusion_pump", "acquisition": "rental", "purchase_price": 1000000},
        "claim_lines": [
            {"line": n, "hcpcs": "E0781", "modifiers": ["RR"], "amount": amount} for n in range(1, lines + 1)
        ],
    }


def test_amounts_adding_up_past_ten_million_dollars_are_refused_naming_claim_lines() -> None:
    # 25 lines of $1,000,000 would overflow the rental cap's sum of earlier payments.
    with pytest.raises(InvalidCase) as refused:
        decide(rental_claim(25, 1000000))
    assert refused.value.problems()[0].startswith("claim_lines: ")


def test_ten_lines_at_the_bound_are_decided_and_the_cap_holds() -> None:
    # "Total payments for a rental item may not exceed its allowable purchase price."
    result = decide(rental_claim(10, 1000000)).to_json()
    allowed = [line["amount_allowed"] for line in result["lines"]]
    assert sum(allowed) <= 1000000
    assert min(allowed) >= 0
