"""`reasoner check` through typer's CliRunner: formats, standard input, bad files, exit codes.

docs/contract.md section 3: exit 0 whenever a decision was produced; otherwise non-zero with one
line per problem on standard error that names the file or the field, and never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import EXAMPLE_FILES, EXAMPLES, assert_no_traceback, invoke
from typer.testing import Result

EXPECTED: dict[str, Any] = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))


def assert_refused(result: Result, *fragments: str) -> list[str]:
    """Non-zero exit, nothing on stdout, and stderr lines naming each fragment."""
    assert_no_traceback(result)
    assert result.exit_code != 0, f"accepted bad input: {result.stdout}"
    assert result.stdout.strip() == "", "a refused input must not print a decision"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "the refusal must say why on standard error"
    for fragment in fragments:
        assert any(fragment in line for line in lines), f"no line names {fragment!r}: {lines}"
    return lines


def write_case(tmp_path: Path, data: Any, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def load_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_there_are_examples_to_check() -> None:
    assert len(EXAMPLE_FILES) >= 5
    assert {p.stem for p in EXAMPLE_FILES} <= set(EXPECTED), "every example has an expectation"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_check_json_format(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    result = invoke("check", str(path), "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["case_id"] == case["case_id"]
    assert decision["decision"] == EXPECTED[path.stem]["decision"]
    assert decision["policy"]["id"] == "portable-external-infusion-pump"
    for key in ("complete", "pathway", "satisfied", "missing", "questions", "lines", "warnings"):
        assert key in decision, f"the decision has no {key}"
    assert [line["line"] for line in decision["lines"]] == [
        line["line"] for line in case.get("claim_lines", [])
    ]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_check_tree_format(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    result = invoke("check", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert case["case_id"] in result.stdout
    headline = EXPECTED[path.stem]["decision"].replace("_", " ").upper()
    assert headline in result.stdout
    assert not result.stdout.lstrip().startswith("{"), "tree is the default format, not JSON"


def test_check_explicit_tree_equals_default() -> None:
    path = str(EXAMPLES / "heparin-at-home.json")
    assert invoke("check", path, "--format", "tree").stdout == invoke("check", path).stdout


def test_check_reads_standard_input() -> None:
    text = (EXAMPLES / "v-go.json").read_text(encoding="utf-8")
    from_stdin = invoke("check", "-", "--format", "json", stdin=text)
    from_file = invoke("check", str(EXAMPLES / "v-go.json"), "--format", "json")
    assert_no_traceback(from_stdin)
    assert from_stdin.exit_code == 0, from_stdin.stderr
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)


def test_check_standard_input_that_is_not_json() -> None:
    lines = assert_refused(invoke("check", "-", stdin="{not json"), "JSON")
    assert any("standard input" in line for line in lines)


def test_check_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-case.json"
    assert_refused(invoke("check", str(missing)), "no-such-case.json")


def test_check_folder_instead_of_file(tmp_path: Path) -> None:
    assert_refused(invoke("check", str(tmp_path)), str(tmp_path))


def test_check_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"case_id": "caf\u00e9"}'.encode("latin-1"))
    lines = assert_refused(invoke("check", str(path)), "latin1.json")
    assert any("UTF-8" in line for line in lines)


def test_check_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"case_id": "X-1", ', encoding="utf-8")
    lines = assert_refused(invoke("check", str(path)), "broken.json")
    assert any("JSON" in line for line in lines)


def test_check_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("", encoding="utf-8")
    assert_refused(invoke("check", str(path)), "empty.json")


def test_check_json_array_instead_of_object(tmp_path: Path) -> None:
    path = write_case(tmp_path, [load_example("v-go")])
    lines = assert_refused(invoke("check", str(path)))
    assert any("object" in line for line in lines)


def test_check_invalid_case_one_line_per_problem(tmp_path: Path) -> None:
    case = load_example("insulin-pump-type1")
    case["member"]["age"] = "34"
    case["therapy"]["drug"] = "aspirin"
    case["claim_lines"][0]["units"] = 0
    lines = assert_refused(
        invoke("check", str(write_case(tmp_path, case))),
        "member.age",
        "therapy.drug",
        "claim_lines[0].units",
    )
    assert len(lines) == 3, f"one line per problem, got {lines}"


def test_check_invalid_case_from_standard_input() -> None:
    case = load_example("v-go")
    case["date_of_service"] = "2020-02-30"
    assert_refused(invoke("check", "-", stdin=json.dumps(case)), "date_of_service")


def test_check_missing_required_fields(tmp_path: Path) -> None:
    path = write_case(tmp_path, {"member": {"age": 40}})
    lines = assert_refused(invoke("check", str(path)), "case_id", "date_of_service", "device")
    assert len(lines) == 3, lines


def test_check_unknown_top_level_field(tmp_path: Path) -> None:
    case = load_example("v-go")
    case["priority"] = "urgent"
    assert_refused(invoke("check", str(write_case(tmp_path, case))), "priority")


def test_check_json_refusal_prints_no_partial_json(tmp_path: Path) -> None:
    case = load_example("v-go")
    case["device"]["kind"] = "pump"
    result = invoke("check", str(write_case(tmp_path, case)), "--format", "json")
    assert_refused(result, "device.kind")


def test_check_unknown_format_is_a_usage_error() -> None:
    result = invoke("check", str(EXAMPLES / "v-go.json"), "--format", "xml")
    assert_no_traceback(result)
    assert result.exit_code != 0
    assert result.stdout.strip() == ""


def test_check_case_id_echoed_verbatim_in_both_formats(tmp_path: Path) -> None:
    case = load_example("v-go")
    case["case_id"] = "  PA/2020 #7 \u00e9\u00e8 [b]x[/b] \u2603  "
    path = write_case(tmp_path, case)
    as_json = invoke("check", str(path), "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["case_id"] == case["case_id"]
    as_tree = invoke("check", str(path))
    assert as_tree.exit_code == 0, as_tree.stderr
    assert case["case_id"].strip() in as_tree.stdout, "the tree shows the id (rich markup escaped)"


def test_check_field_name_with_a_newline_cannot_forge_problem_lines(tmp_path: Path) -> None:
    """One problem is one line on stderr, even when the user's field name holds a newline."""
    case = load_example("v-go")
    case["note\nerror: case_id: forged problem"] = 1
    lines = assert_refused(invoke("check", str(write_case(tmp_path, case))), "note")
    assert len(lines) == 1, f"one problem must print one line: {lines}"
