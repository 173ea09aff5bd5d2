"""docs/contract.md section 1: "An absent boolean means unknown, never false: the reasoner must keep
that difference all the way to the explanation." """

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasoner import decide

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

GENERAL_CRITERIA = (
    "home_parenteral_reasonable",
    "pump_necessary_for_safety",
    "prolonged_infusion_improves_efficacy",
    "regimen_advantage_over_bolus",
    "no_office_return_needed",
    "controlled_rate_required",
    "medical_review_established",
)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def statuses(decision: dict[str, Any]) -> dict[str, set[str]]:
    """condition -> every status it has anywhere in `missing`."""
    found: dict[str, set[str]] = {}
    for alternative in decision["missing"]:
        for condition in alternative["conditions"]:
            found.setdefault(condition["condition"], set()).add(condition["status"])
    return found


def asked(decision: dict[str, Any]) -> set[str]:
    return {question["condition"] for question in decision["questions"]}


def test_absent_finding_is_unknown_and_false_finding_is_not_met() -> None:
    case = load("heparin-at-home")
    assert "findings" not in case
    absent = decide(case).to_json()
    case["findings"] = {"medical_review_established": False}
    documented = decide(case).to_json()

    assert absent["decision"] == documented["decision"] == "not_medically_necessary"
    assert statuses(absent)["medical_review_established"] == {"unknown"}
    assert statuses(documented)["medical_review_established"] == {"not_met"}
    assert "medical_review_established" in asked(absent)
    assert "medical_review_established" not in asked(documented), "a documented no is not asked"


def test_empty_findings_object_is_the_same_as_no_findings() -> None:
    case = load("heparin-at-home")
    absent = decide(case).to_json()
    case["findings"] = {}
    assert decide(case).to_json() == absent


def test_every_finding_false_makes_the_decision_complete_unknown_does_not() -> None:
    case = load("heparin-at-home")
    case["therapy"]["infusion_hours"] = 8
    unknown = decide(case).to_json()
    case["findings"] = dict.fromkeys(GENERAL_CRITERIA, False)
    refuted = decide(case).to_json()

    assert unknown["decision"] == refuted["decision"] == "not_medically_necessary"
    assert unknown["complete"] is False, "unknown findings could still change the decision"
    assert refuted["complete"] is True, "documented answers leave nothing to ask"
    assert asked(unknown)
    assert not asked(refuted)
    for finding in GENERAL_CRITERIA:
        if finding in statuses(unknown):
            assert statuses(unknown)[finding] == {"unknown"}, finding
        if finding in statuses(refuted):
            assert statuses(refuted)[finding] == {"not_met"}, finding


def test_absent_current_device_state_is_unknown_not_false() -> None:
    case = load("pump-upgrade-for-new-technology")
    assert case["current_device"]["functioning"] is True
    documented = decide(case).to_json()
    del case["current_device"]["functioning"]
    absent = decide(case).to_json()

    assert statuses(documented)["current_malfunctioning"] == {"not_met"}
    assert statuses(absent)["current_malfunctioning"] == {"unknown"}
    assert "current_malfunctioning" not in asked(documented)
    assert "current_malfunctioning" in asked(absent)
    assert documented["complete"] is True
    assert absent["complete"] is False


def test_absent_finding_on_a_covered_case_is_not_read_as_false() -> None:
    """A covered case whose route needs no finding stays covered whether it is absent or no."""
    case = load("insulin-pump-type1")
    assert decide(case).to_json()["decision"] == "covered"
    case["findings"] = {"medical_review_established": False}
    assert decide(case).to_json()["decision"] == "covered"
