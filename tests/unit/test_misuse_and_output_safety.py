"""Misuse from Python is an error of the package's hierarchy; output never carries text that a
terminal would obey; error lines are cut (issue: nothing lost, nothing crashes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reasoner import Case, InvalidCase, decide, decide_all
from reasoner.batch import decide_chunk
from reasoner.outputs import MAX_MESSAGE, json_text

ROOT = Path(__file__).resolve().parents[2]
VGO: dict[str, Any] = json.loads((ROOT / "examples" / "v-go.json").read_text(encoding="utf-8"))
REVERSE = "\u202e"  # right-to-left override: reorders what a terminal shows
NEXT_LINE = "\u0085"  # a C1 control


@pytest.mark.parametrize("cases", [VGO, "cases", 3, None])
def test_decide_all_needs_a_list(cases: Any) -> None:
    with pytest.raises(InvalidCase, match=r"^cases: must be a list of cases$"):
        decide_all(cases)


def test_decide_all_refuses_an_item_that_is_not_a_case() -> None:
    with pytest.raises(InvalidCase, match=r"cases\[1\]: must be a case"):
        decide_all([VGO, 42])  # type: ignore[list-item]


def test_decide_all_validates_a_dict_item() -> None:
    assert [d.decision for d in decide_all([VGO])] == ["experimental_investigational"]  # type: ignore[list-item]


def test_a_case_built_without_validation_is_refused_in_the_hierarchy() -> None:
    with pytest.raises(InvalidCase, match=r"not a validated case"):
        decide(Case.model_construct(case_id="x"))


def test_json_output_escapes_control_and_bidi_characters() -> None:
    text = json_text({"case_id": f"A{REVERSE}B{NEXT_LINE}C é"})
    assert REVERSE not in text
    assert NEXT_LINE not in text
    assert "\\u202e" in text
    assert "é" in text  # other text stays readable
    assert json.loads(text) == {"case_id": f"A{REVERSE}B{NEXT_LINE}C é"}


def test_batch_records_and_check_json_carry_no_raw_bidi_or_c1(tmp_path: Path) -> None:
    case = {**VGO, "case_id": f"X{REVERSE}{NEXT_LINE}Y"}
    [output] = decide_chunk([(1, json.dumps(case))])
    assert REVERSE not in output.text
    assert NEXT_LINE not in output.text
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "reasoner", "check", str(path), "--format", "json"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0
    assert REVERSE not in completed.stdout
    assert json.loads(completed.stdout)["case_id"] == f"X{REVERSE}{NEXT_LINE}Y"


def test_an_error_line_is_cut_and_a_file_name_is_shown_not_obeyed(tmp_path: Path) -> None:
    long_code = {**VGO, "member": {"diagnoses": ["E" + "1" * 100_000]}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(long_code), encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "reasoner", "check", str(path)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert line.startswith("error: member.diagnoses[0]: ")
    assert len(line) < MAX_MESSAGE + 100
    escape_name = tmp_path / "bad\x1b[31mname.json"
    escape_name.write_text("{", encoding="utf-8")
    shown = subprocess.run([sys.executable, "-m", "reasoner", "check", str(escape_name)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 2
    assert "\x1b" not in shown.stderr
    assert "\\x1b[31mname.json" in shown.stderr
