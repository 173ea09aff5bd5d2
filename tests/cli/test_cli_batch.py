"""`reasoner batch` through typer's CliRunner: JSON Lines in, one JSON line out per line, in order.

docs/contract.md section 3: a bad line gives {"case_id": ..., "error": ...} and the run goes on;
progress goes to standard error; --out writes a file; --jobs must not change the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import EXAMPLE_FILES, assert_no_traceback, invoke


def example_cases() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLE_FILES]


def jsonl(items: list[Any]) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def output_records(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        records.append(record)
    return records


def is_error(record: dict[str, Any]) -> bool:
    return "error" in record and "decision" not in record


def test_batch_preserves_order_one_line_per_input(tmp_path: Path) -> None:
    cases = example_cases()
    path = tmp_path / "cases.jsonl"
    path.write_text(jsonl(cases), encoding="utf-8")
    result = invoke("batch", str(path), "--no-progress")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    records = output_records(result.stdout)
    assert [r["case_id"] for r in records] == [c["case_id"] for c in cases]
    assert not any(is_error(r) for r in records)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_batch_result_equals_check_json(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    single = invoke("check", str(path), "--format", "json")
    assert single.exit_code == 0, single.stderr
    batched = invoke("batch", "-", "--no-progress", stdin=json.dumps(case) + "\n")
    assert_no_traceback(batched)
    assert batched.exit_code == 0, batched.stderr
    records = output_records(batched.stdout)
    assert len(records) == 1
    assert records[0] == json.loads(single.stdout)


def test_batch_whole_set_equals_check_json_for_each_example(tmp_path: Path) -> None:
    """Deciding the examples together (one grounding) gives what each gives alone."""
    path = tmp_path / "all.jsonl"
    path.write_text(jsonl(example_cases()), encoding="utf-8")
    batched = output_records(invoke("batch", str(path), "--no-progress").stdout)
    singles = [
        json.loads(invoke("check", str(p), "--format", "json").stdout) for p in EXAMPLE_FILES
    ]
    assert batched == singles


def test_batch_bad_lines_become_error_records_and_the_run_goes_on() -> None:
    first, second = example_cases()[:2]
    invalid = dict(second, case_id="BAD-DATE", date_of_service="yesterday")
    lines = [
        json.dumps(first),          # 1 ok
        "{not json",                # 2 not JSON
        json.dumps([first]),        # 3 an array, not an object
        json.dumps(invalid),        # 4 an invalid case
        "",                         # 5 an empty line
        json.dumps(second),         # 6 ok
    ]
    result = invoke("batch", "-", "--no-progress", stdin="\n".join(lines) + "\n")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    records = output_records(result.stdout)
    assert len(records) == len(lines), "one output line per input line"
    assert records[0]["case_id"] == first["case_id"]
    assert not is_error(records[0])
    assert records[5]["case_id"] == second["case_id"]
    assert not is_error(records[5])
    for index in (1, 2, 3, 4):
        record = records[index]
        assert is_error(record), record
        assert set(record) >= {"case_id", "line", "error"}, record
        assert record["line"] == index + 1
        assert isinstance(record["error"], str)
        assert record["error"].strip()
    assert records[1]["case_id"] is None
    assert records[3]["case_id"] == "BAD-DATE", "an invalid case keeps its case_id"
    assert "date_of_service" in records[3]["error"], "the error names the field"


def test_batch_non_utf8_line_is_an_error_record_and_the_run_goes_on(tmp_path: Path) -> None:
    first, second = example_cases()[:2]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        json.dumps(first).encode()
        + b"\n"
        + '{"case_id": "caf\u00e9"}'.encode("latin-1")
        + b"\n"
        + json.dumps(second).encode()
        + b"\n"
    )
    result = invoke("batch", str(path), "--no-progress")
    assert_no_traceback(result)
    assert result.exit_code == 0, f"a bad line must not stop the run: {result.stderr}"
    records = output_records(result.stdout)
    assert len(records) == 3, "one output line per input line"
    assert records[0]["case_id"] == first["case_id"]
    assert is_error(records[1])
    assert records[1]["line"] == 2
    assert records[2]["case_id"] == second["case_id"]


def test_batch_out_file(tmp_path: Path) -> None:
    cases = example_cases()
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(cases), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = invoke("batch", str(source), "--out", str(target), "--no-progress")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "", "with --out nothing goes to standard output"
    written = output_records(target.read_text(encoding="utf-8"))
    assert [r["case_id"] for r in written] == [c["case_id"] for c in cases]
    on_stdout = output_records(invoke("batch", str(source), "--no-progress").stdout)
    assert written == on_stdout


def test_batch_out_file_that_cannot_be_written(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(example_cases()[:1]), encoding="utf-8")
    target = tmp_path / "no-such-folder" / "out.jsonl"
    result = invoke("batch", str(source), "--out", str(target))
    assert_no_traceback(result)
    assert result.exit_code != 0
    assert "out.jsonl" in result.stderr


def test_batch_reads_standard_input_by_default_and_with_dash() -> None:
    text = jsonl(example_cases())
    with_dash = invoke("batch", "-", "--no-progress", stdin=text)
    default = invoke("batch", "--no-progress", stdin=text)
    assert with_dash.exit_code == 0, with_dash.stderr
    assert default.exit_code == 0, default.stderr
    assert output_records(with_dash.stdout) == output_records(default.stdout)
    assert len(output_records(default.stdout)) == len(EXAMPLE_FILES)


def test_batch_progress_goes_to_stderr_only(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(example_cases()), encoding="utf-8")
    result = invoke("batch", str(source))  # progress on (the default)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert len(output_records(result.stdout)) == len(EXAMPLE_FILES)


def _many_lines() -> str:
    """More lines than one chunk, with bad lines among them, so that workers share the work."""
    cases = example_cases()
    lines = []
    for number in range(150):
        if number % 23 == 7:
            lines.append("{bad json")
        elif number % 31 == 11:
            lines.append(json.dumps(dict(cases[0], case_id=f"inv-{number}", device={})))
        else:
            lines.append(json.dumps(dict(cases[number % len(cases)], case_id=f"c-{number}")))
    return "\n".join(lines) + "\n"


def test_batch_jobs_two_gives_identical_output_to_jobs_one() -> None:
    text = _many_lines()
    one = invoke("batch", "-", "--jobs", "1", "--no-progress", stdin=text)
    two = invoke("batch", "-", "--jobs", "2", "--no-progress", stdin=text)
    assert_no_traceback(one)
    assert_no_traceback(two)
    assert one.exit_code == 0, one.stderr
    assert two.exit_code == 0, two.stderr
    assert two.stdout == one.stdout
    records = output_records(one.stdout)
    assert len(records) == 150
    assert [r["line"] for r in records if is_error(r)] == [
        n + 1 for n in range(150) if n % 23 == 7 or n % 31 == 11
    ]


def test_batch_missing_file(tmp_path: Path) -> None:
    result = invoke("batch", str(tmp_path / "nothing.jsonl"))
    assert_no_traceback(result)
    assert result.exit_code != 0
    assert "nothing.jsonl" in result.stderr
    assert result.stdout.strip() == ""


def test_batch_folder_instead_of_file(tmp_path: Path) -> None:
    result = invoke("batch", str(tmp_path))
    assert_no_traceback(result)
    assert result.exit_code != 0
    assert str(tmp_path) in result.stderr
