"""Questions a person can answer: the case field that settles each open condition, absent request
fields that could change the decision asked for, routes closed by a given fact, and the couplings of
real inputs (a code fixes the pump's kind). Dates of service in 2020-06..2021: version 2020-05-19."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from reasoner import decide
from reasoner.answers import ANSWER_TYPES, set_field
from reasoner.cli import app
from reasoner.vocabulary import KIND_CODES, Drug, Setting

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SERVICE = "2020-10-01"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def request(drug: str | None, device: dict[str, Any], diagnoses: list[str] | None = None,
            setting: str | None = "home", **parts: Any) -> dict[str, Any]:
    therapy = {key: value for key, value in (("drug", drug), ("setting", setting)) if value is not None}
    case: dict[str, Any] = {"case_id": "Q", "date_of_service": SERVICE, "therapy": therapy, "device": device, **parts}
    if diagnoses is not None:
        case["member"] = {"diagnoses": diagnoses}
    return case


def questions_on(result: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [q for q in result["questions"] if q["answer"]["field"] == field]


def satisfied(result: dict[str, Any]) -> set[str]:
    return {c["condition"] for c in result["satisfied"]}


def insulin_pump_request(**parts: Any) -> dict[str, Any]:
    return request("insulin", {"kind": "insulin_pump", "hcpcs": "E0784"}, ["E10.65"], **parts)


def test_heparin_without_a_setting_asks_where_the_therapy_is_given() -> None:
    """Listed indications, bullet 2: "Thromboembolic Disease - When used in the administration of heparin
    for the treatment of thromboembolic disease and/or pulmonary embolism (covered only in an
    institutional setting)" -- with no setting given, where the therapy is given is an open question."""
    case = request("heparin", {"kind": "infusion_pump", "hcpcs": "E0781"}, ["I82.401"], setting=None)
    result = decide(case).to_json()
    assert result["complete"] is False
    [question] = questions_on(result, "therapy.setting")
    assert question["condition"] == "setting_institutional"
    answer = question["answer"]
    assert answer["type"] == "enum"
    assert answer["values"] == [s.value for s in Setting]
    assert sorted(answer["establishes"]) == ["inpatient", "institutional"]
    assert decide(set_field(case, "therapy.setting", "inpatient")).decision == "covered"
    assert decide(set_field(case, "therapy.setting", "home")).decision == "not_medically_necessary"


def test_epoprostenol_pump_without_a_code_asks_for_the_code() -> None:
    """Epoprostenol: "An ambulatory electrical infusion pump, may be considered medically necessary when
    used for the administration of epoprostenol." -- E0781 or K0455; with no code, the code is asked."""
    case = request("epoprostenol", {"kind": "infusion_pump"})
    result = decide(case).to_json()
    assert result["complete"] is False
    [question] = questions_on(result, "device.hcpcs")
    assert question["condition"] == "device_ambulatory_electric_pump"
    answer = question["answer"]
    assert answer["type"] == "enum"
    assert answer["values"] == KIND_CODES["infusion_pump"], "the codes that fit the requested kind"
    assert sorted(answer["establishes"]) == ["E0781", "K0455"]
    assert decide(set_field(case, "device.hcpcs", "K0455")).decision == "covered"
    assert not questions_on(decide(set_field(case, "device.hcpcs", "E0779")).to_json(), "device.hcpcs")


def test_a_request_without_a_drug_asks_which_drug() -> None:
    """Listed indications: "Portable external infusion pumps and related supplies may be considered
    medically necessary for ANY ONE of the following" -- each names a drug, so an absent drug is asked."""
    result = decide(request(None, {"kind": "infusion_pump", "hcpcs": "E0781"})).to_json()
    assert result["complete"] is False
    asked = questions_on(result, "therapy.drug")
    assert asked, [q["answer"]["field"] for q in result["questions"]]
    for question in asked:
        assert question["answer"]["type"] == "enum"
        assert question["answer"]["values"] == [d.value for d in Drug]
        assert set(question["answer"]["establishes"]) <= set(question["answer"]["values"])


def test_a_finding_of_a_convenience_upgrade_makes_the_replacement_flag_a_question() -> None:
    """"Replacing or upgrading an insulin pump or PDM due to individual convenience or newer technology
    when the current insulin pump or PDM remains functional would be considered not medically
    necessary." -- a finding that the request upgrades a pump contradicts reading an absent
    device.replacement as a new request, so the flag is asked instead."""
    case = insulin_pump_request(findings={"replacement_for_convenience_or_technology": True})
    result = decide(case).to_json()
    assert result["complete"] is False
    [question] = questions_on(result, "device.replacement")
    assert question["condition"] == "request_replacement"
    assert question["answer"]["type"] == "boolean"
    assert question["answer"]["establishes"] == [True]


def test_a_current_device_state_makes_the_replacement_flag_a_question() -> None:
    """"Replacement Pump or replacement PDM for Omnipod systems would be considered not medically
    necessary for a functioning insulin pump ..." -- a case that describes the current pump's state
    speaks of a replacement, so an absent device.replacement is asked, not read as a new request."""
    case = insulin_pump_request(current_device={"functioning": True})
    result = decide(case).to_json()
    assert result["complete"] is False
    [question] = questions_on(result, "device.replacement")
    assert question["answer"]["type"] == "boolean"
    answered = decide(set_field(case, "device.replacement", False)).to_json()
    assert not questions_on(answered, "device.replacement")


def test_a_plain_new_insulin_pump_request_is_complete() -> None:
    """Listed indications, bullet 5: "Insulin for Diabetes Mellitus." -- with no current device and no
    finding of a replacement, an absent device.replacement is read as a new request (docs/interpretation.md)."""
    result = decide(insulin_pump_request()).to_json()
    assert result["decision"] == "covered"
    assert result["complete"] is True
    assert result["questions"] == []
    assert satisfied(result) == {"device_insulin_pump", "diagnosis_diabetes", "drug_insulin"}


def test_heparin_at_home_reports_the_heparin_route_closed_by_the_setting() -> None:
    """Listed indications, bullet 2: heparin for thromboembolic disease is "covered only in an
    institutional setting" -- the home setting the case gives closes that route, and an inpatient or
    institutional setting would reopen it."""
    case = load("heparin-at-home")
    result = decide(case).to_json()
    assert result["decision"] == "not_medically_necessary"
    [route] = result["closed_routes"]
    assert route["rule"] == "indication_heparin"
    assert route["pathway"] == "indication_thromboembolic"
    assert "covered only in an institutional setting" in route["sentence"]
    assert route["label"]
    assert route["source"]
    assert route["sentences"]
    [fact] = route["closed_by"]
    assert fact["condition"] == "setting_institutional"
    assert fact["status"] == "not_met"
    assert fact["field"] == "therapy.setting"
    assert fact["given"] == "home"
    reopen = route["reopen"]
    assert reopen["field"] == "therapy.setting"
    assert reopen["type"] == "enum"
    assert sorted(reopen["establishes"]) == ["inpatient", "institutional"]
    for setting in reopen["establishes"]:
        assert decide(set_field(case, "therapy.setting", setting)).decision == "covered", setting


def test_a_covered_case_reports_no_closed_route() -> None:
    """Listed indications, bullet 2 again: heparin given inpatient is covered, so nothing is closed."""
    case = set_field(load("heparin-at-home"), "therapy.setting", "inpatient")
    result = decide(case).to_json()
    assert result["decision"] == "covered"
    assert result["closed_routes"] == []


def test_k0455_epoprostenol_pump_is_satisfied_by_the_code_not_the_kind() -> None:
    """Epoprostenol: "An ambulatory electrical infusion pump, may be considered medically necessary when
    used for the administration of epoprostenol." -- K0455 is such a pump, and the code fixes the kind
    (a durable infusion pump), so `satisfied` names the code's condition and the drug, not the kind."""
    result = decide(request("epoprostenol", {"kind": "infusion_pump", "hcpcs": "K0455"})).to_json()
    assert result["decision"] == "covered"
    assert result["complete"] is True
    assert satisfied(result) == {"device_ambulatory_electric_pump", "drug_epoprostenol"}


def test_k0455_chemotherapy_pump_names_the_kind_or_the_code_never_both() -> None:
    """Listed indications, bullet 3: "Chemotherapy for Treatment of Cancer" -- K0455 fixes the kind, so
    `satisfied` never needs both the kind's condition and the code's."""
    result = decide(request("chemotherapy", {"kind": "infusion_pump", "hcpcs": "K0455"}, ["C22.0"])).to_json()
    assert result["decision"] == "covered"
    assert {"diagnosis_cancer", "drug_chemotherapy"} <= satisfied(result)
    assert not {"device_infusion_pump", "device_ambulatory_electric_pump"} <= satisfied(result)
    assert "diagnosis_cancer_pain" not in satisfied(result), "diagnosis_cancer implies it"


def test_conditions_json_gives_each_condition_its_answer() -> None:
    """Every condition of the policy (e.g. "covered only in an institutional setting") is settled by one
    case field: `reasoner conditions --format json` lists it with the field's dot path and type."""
    result = CliRunner().invoke(app, ["conditions", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [row for row in json.loads(result.stdout) if row["kind"] in {"condition", "request condition"}]
    assert rows
    for row in rows:
        answer = row.get("answer")
        assert isinstance(answer, dict), f"{row['id']} has no answer"
        assert isinstance(answer.get("field"), str), row
        assert answer["field"].count(".") == 1, row
        assert answer.get("type") in ANSWER_TYPES, row
    by_id = {row["id"]: row["answer"] for row in rows}
    assert by_id["setting_institutional"]["field"] == "therapy.setting"
    assert by_id["device_ambulatory_electric_pump"]["field"] == "device.hcpcs"
    assert by_id["medical_review_established"] == {
        "field": "findings.medical_review_established", "type": "boolean", "establishes": [True],
    }
