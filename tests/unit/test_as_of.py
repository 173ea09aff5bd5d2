"""Deciding a case under the version in force on another date (`as_of`).

"Current medical policy is to be used in determining a Member's contract benefits on the date
that services are rendered." By default the date of service chooses the version; an analyst may
ask how the policy as it stood on another date decides the same case.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reasoner import decide
from reasoner.errors import InvalidCase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EROS = {
    "case_id": "EROS-1", "date_of_service": "2020-06-15",
    "device": {"kind": "omnipod"},
    "findings": {"dash_unavailable_from_pharmacy": True},
    "current_device": {"model": "eros", "received_on": "2019-06-01"},
}


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


def test_by_default_the_date_of_service_chooses_the_version_and_says_so() -> None:
    decision = decide(EROS).to_json()
    assert decision["policy"]["version"] == "2020-05-19"
    chosen = decision["policy"]["version_chosen"]
    assert chosen["chosen_by"] == "date_of_service"
    assert chosen["date"] == "2020-06-15"
    assert "2020-05-19" in chosen["reason"]


def test_as_of_decides_under_the_earlier_version_without_the_eros_sentence() -> None:
    """The Eros sentence was added 5-19-2020: as of 2020-05-01 the same case is not covered."""
    decision = decide(EROS, as_of="2020-05-01").to_json()
    assert decision["decision"] == "not_medically_necessary"
    assert decision["policy"]["version"] == "2020-04-01"
    assert decision["policy"]["version_chosen"] == {
        "chosen_by": "as_of", "date": "2020-05-01",
        "reason": "version 2020-04-01 is in force on 2020-05-01, the as-of date asked for",
    }
    assert decide(EROS, as_of=date(2020, 5, 19)).decision == "covered"


def test_a_date_of_service_outside_the_chosen_version_gives_a_warning() -> None:
    warnings = decide(EROS, as_of="2020-05-01").warnings
    assert any("date_of_service 2020-06-15 falls outside version 2020-04-01" in w for w in warnings)
    assert not any("falls outside" in w for w in decide(EROS, as_of="2020-07-01").warnings)


def test_as_of_before_the_first_version_is_not_applicable_and_says_why() -> None:
    decision = decide(example("insulin-pump-type1.json"), as_of="2020-03-31").to_json()
    assert decision["decision"] == "not_applicable"
    assert decision["policy"]["version"] is None
    assert "no version is in force on 2020-03-31" in decision["policy"]["version_chosen"]["reason"]


def test_as_of_can_bring_a_case_before_the_policy_under_a_version() -> None:
    case = example("before-policy-effective.json")
    assert decide(case).decision == "not_applicable"
    assert decide(case, as_of="2020-06-01").policy_version == "2020-05-19"


@pytest.mark.parametrize("bad", ["2020-13-01", "yesterday", "2020-6-1"])
def test_a_bad_as_of_date_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(InvalidCase, match=r"^as_of: "):
        decide(EROS, as_of=bad)
