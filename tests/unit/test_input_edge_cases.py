"""Inputs at the edges of JSON and of the code systems (found in review), through the real entry points."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reasoner import decide
from reasoner.cli import app

RUNNER = CliRunner()


def base_case(**extra: object) -> dict[str, object]:
    return {"case_id": "EDGE", "date_of_service": "2020-06-15", "device": {"kind": "insulin_pump"}, **extra}


def test_a_number_too_long_to_read_is_refused_without_a_traceback(tmp_path: Path) -> None:
    # docs/contract.md: bad input gets a clear message, a non-zero exit and no traceback.
    path = tmp_path / "huge.json"
    text = json.dumps(base_case())
    path.write_text(text[:-1] + ', "member": {"age": ' + "9" * 5000 + "}}", encoding="utf-8")
    result = RUNNER.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "not valid JSON" in result.output


def test_batch_gives_an_error_record_for_a_huge_number_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    good = json.dumps(base_case())
    path.write_text(good + "\n" + '{"case_id": "H", "x": ' + "9" * 5000 + "}\n" + good + "\n", encoding="utf-8")
    result = RUNNER.invoke(app, ["batch", str(path), "--no-progress"])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("error" in line) for line in lines] == [False, True, False]


def test_an_error_record_never_echoes_a_case_id_that_is_not_text(tmp_path: Path) -> None:
    # NaN is not JSON: the record must stay strict JSON.
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": NaN, "date_of_service": "2020-06-15", "device": {"kind": "x"}}\n', encoding="utf-8")
    result = RUNNER.invoke(app, ["batch", str(path), "--no-progress"])
    record = json.loads(result.stdout, parse_constant=_refuse)
    assert record["case_id"] is None
    assert "error" in record


def _refuse(name: str) -> object:
    raise AssertionError(f"{name} in the output is not strict JSON")


def test_a_u_code_is_a_well_formed_icd10cm_code() -> None:
    # docs/interpretation.md section 9: only codes that are not well-formed ICD-10-CM are refused (U07.1: COVID-19).
    # An insulin pump for type 1 diabetes is a listed indication whatever the other codes.
    case = base_case(member={"diagnoses": ["E10.65", "U07.1"]}, therapy={"drug": "insulin"})
    assert decide(case).decision == "covered"


def test_hours_just_under_eight_are_not_read_as_eight(tmp_path: Path) -> None:
    # General criteria: "a prolonged infusion of at least 8 hours"; 7.99999999999999999 is less.
    case = {
        "case_id": "HOURS", "date_of_service": "2020-08-20",
        "therapy": {"drug": "antibiotic", "setting": "home", "infusion_hours": 8},
        "device": {"kind": "infusion_pump", "hcpcs": "E0779"},
        "findings": {"home_parenteral_reasonable": True, "pump_necessary_for_safety": True,
                     "prolonged_infusion_improves_efficacy": True, "regimen_advantage_over_bolus": True},
    }
    path = tmp_path / "hours.json"
    path.write_text(json.dumps(case).replace('"infusion_hours": 8', '"infusion_hours": 7.99999999999999999'),
                    encoding="utf-8")
    result = RUNNER.invoke(app, ["check", str(path), "--format", "json"])
    assert json.loads(result.stdout)["decision"] == "not_medically_necessary"


def test_modifier_59_warning_is_for_numeric_em_codes_only() -> None:
    # "Modifier 59 may be reported with a non-E/M service": 99201 is E/M, 9921F (Category II) is not.
    lines = [{"line": 1, "hcpcs": "9921F", "modifiers": ["59"]}, {"line": 2, "hcpcs": "99201", "modifiers": ["59"]}]
    warnings = decide(base_case(claim_lines=lines)).to_json()["warnings"]
    assert [w for w in warnings if "E/M" in w] == [w for w in warnings if w.startswith("claim line 2:")]
    assert any(w.startswith("claim line 2:") for w in warnings)


def test_control_characters_in_a_case_id_are_shown_not_obeyed(tmp_path: Path) -> None:
    path = tmp_path / "esc.json"
    path.write_text(json.dumps(base_case(case_id="\u001b[31mred")), encoding="utf-8")
    result = RUNNER.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert "\u001b[31m" not in result.stdout
    assert "\\x1b[31mred" in result.stdout
