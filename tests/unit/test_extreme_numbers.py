"""Numbers past what a decimal holds are refused as bad input, never a crash (nothing is lost).

A JSON number such as 1e9999999999999999999 cannot be held exactly; 1e-999999999 dollars is not
a whole number of cents. Either is refused naming the file or the field, and in a batch the line
becomes an error record while the run goes on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reasoner.batch import decide_chunk
from reasoner.errors import InvalidCase
from reasoner.inputs import decode_json

HUGE = '{"case_id": "H", "date_of_service": "2020-06-01", "device": {"kind": "insulin_pump", "purchase_price": %s}}'
GOOD = '{"case_id": "OK", "date_of_service": "2020-06-01", "device": {"kind": "v_go"}}'


@pytest.mark.parametrize("number", ["1e9999999999999999999", "1E-9999999999999999999", "-1e9999999999999999999"])
def test_a_number_beyond_a_decimal_is_bad_json(number: str) -> None:
    with pytest.raises(ValueError, match="too large or too small"):
        decode_json(HUGE % number)


def test_a_batch_line_with_such_a_number_is_an_error_record_and_the_run_goes_on() -> None:
    outputs = decide_chunk([(1, HUGE % "1e9999999999999999999"), (2, GOOD), (3, HUGE % "1E-9999999999999999999")])
    records = [json.loads(output.text) for output in outputs]
    assert [r.get("kind") for r in records] == ["invalid_json", None, "invalid_json"]
    assert records[1]["decision"] == "experimental_investigational"


def test_a_tiny_amount_is_not_read_as_zero_dollars() -> None:
    from reasoner import decide

    with pytest.raises(InvalidCase, match=r"device.purchase_price: must have at most 2 decimals"):
        decide(json.loads(HUGE % "1e-999999999", parse_float=__import__("decimal").Decimal))


def test_check_refuses_such_a_file_in_one_line_with_exit_2(tmp_path: Path) -> None:
    case = tmp_path / "huge.json"
    case.write_text(HUGE % "1e9999999999999999999", encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "reasoner", "check", str(case)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        f"error: {case}: not valid JSON (1e9999999999999999999 is a number too large or too small to use)"
    ]


def test_an_unforeseen_failure_on_one_line_becomes_its_error_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any exception in one case becomes that line's record; the other lines are decided."""
    import reasoner.case as case_module

    real = case_module.parse_case

    def failing(data: object) -> object:
        if isinstance(data, dict) and data.get("case_id") == "BOOM":
            raise ZeroDivisionError("division by zero")
        return real(data)

    monkeypatch.setattr(case_module, "parse_case", failing)
    outputs = decide_chunk([(1, GOOD), (2, GOOD.replace('"OK"', '"BOOM"'))])
    records = [json.loads(output.text) for output in outputs]
    assert records[0]["decision"] == "experimental_investigational"
    assert records[1] == {"case_id": "BOOM", "line": 2, "kind": "internal_error",
                          "error": "internal error (ZeroDivisionError): division by zero"}
