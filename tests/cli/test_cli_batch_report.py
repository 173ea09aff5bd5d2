"""The batch report: `batch --summary FILE`, the `explained` and `kind` fields of the records,
the progress total, and `reasoner report OUT.jsonl` (the same summary, rebuilt from the output).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import EXAMPLES, assert_no_traceback, invoke

from reasoner.batch import count_lines
from reasoner.batch_report import ERROR_KINDS, BatchSummary, record_digest

TIME_FIELDS = ("seconds", "cases_per_second")


def one_line(name: str, **changes: Any) -> str:
    case = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return json.dumps(dict(case, **changes))


def records_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# A small mixed batch: what each line gives is known from the examples.
MIXED = [
    one_line("insulin-pump-type1"),              # 1 covered, complete (indication_insulin)
    one_line("heparin-at-home"),                 # 2 not_medically_necessary, incomplete (criteria_not_met)
    one_line("chemotherapy-refill-same-day"),    # 3 covered; 96425 denied by chemo_with_refill,
    #                                                K0602 denied by batteries_with_rented_pump
    "{not json",                                 # 4 invalid_json
    one_line("v-go", case_id="BAD", date_of_service="yesterday"),  # 5 invalid_case
    "",                                          # 6 empty_line
]


@pytest.fixture
def mixed_run(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The mixed batch run once with --out and --summary: (the output file, the summary)."""
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(MIXED) + "\n", encoding="utf-8")
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    result = invoke("batch", str(source), "--out", str(out), "--summary", str(summary), "--no-progress")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    return out, json.loads(summary.read_text(encoding="utf-8"))


def test_records_say_whether_they_were_explained() -> None:
    """Every decision record carries "explained": true with --explain, false with --decisions-only."""
    text = "\n".join(MIXED[:3]) + "\n"
    explained = records_of(invoke("batch", "-", "--no-progress", stdin=text).stdout)
    brief = records_of(invoke("batch", "-", "--no-progress", "--decisions-only", stdin=text).stdout)
    assert [r["explained"] for r in explained] == [True, True, True]
    assert [r["explained"] for r in brief] == [False, False, False]
    assert list(explained[0])[list(explained[0]).index("complete") + 1] == "explained", "next to complete"


def test_error_records_carry_a_kind_and_keep_their_text(tmp_path: Path) -> None:
    """Each error record names its kind; the "error" text stays what it was."""
    source = tmp_path / "bad.jsonl"
    source.write_bytes(
        b"{not json\n"
        + b'{"case_id": "caf\xe9"}\n'                       # latin-1: not UTF-8
        + b"\n"
        + json.dumps(["an array"]).encode() + b"\n"
        + one_line("v-go", case_id="BAD", date_of_service="yesterday").encode() + b"\n"
    )
    records = records_of(invoke("batch", str(source), "--no-progress").stdout)
    assert [r["kind"] for r in records] == ["invalid_json", "not_utf8", "empty_line", "invalid_case", "invalid_case"]
    assert records[0]["error"].startswith("not valid JSON")
    assert records[1]["error"] == "line is not UTF-8 text"
    assert records[2]["error"] == "empty line"
    assert records[3]["error"] == "case: must be a JSON object"
    assert "date_of_service" in records[4]["error"]
    assert all("explained" not in r and "decision" not in r for r in records)
    assert {r["kind"] for r in records} <= set(ERROR_KINDS)


def test_summary_counts_a_mixed_batch(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """--summary: cases, decisions complete/incomplete apart, lines by outcome, rules, errors by kind, time."""
    _, summary = mixed_run
    assert summary["cases"] == 6
    assert summary["decided"] == 3
    assert summary["decisions"]["covered"] == {"complete": 2, "incomplete": 0}
    assert summary["decisions"]["not_medically_necessary"] == {"complete": 0, "incomplete": 1}
    assert summary["decisions"]["experimental_investigational"] == {"complete": 0, "incomplete": 0}
    assert summary["explained"] == 3
    assert summary["lines"]["denied"] == 2
    assert summary["lines"]["payable"] == 3  # E0784, A4231 and 96521
    assert summary["line_rules"] == {"batteries_with_rented_pump": 1, "chemo_with_refill": 1}
    assert summary["deciding_rules"] == {"indication_insulin": 1, "criteria_not_met": 1, "indication_chemotherapy": 1}
    assert summary["errors"] == {
        "invalid_json": 1, "not_utf8": 0, "empty_line": 1, "too_long": 0, "invalid_case": 1, "rules_error": 0,
        "internal_error": 0,
    }
    assert summary["unreadable_lines"] == 0
    assert summary["seconds"] > 0
    assert summary["cases_per_second"] > 0


def test_summary_does_not_change_the_output(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """The output with --summary is byte for byte the output without it; no temporary file is left."""
    out, _ = mixed_run
    plain = invoke("batch", "-", "--no-progress", stdin="\n".join(MIXED) + "\n")
    assert plain.stdout == out.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.parent.iterdir()) == ["cases.jsonl", "out.jsonl", "summary.json"]


def test_summary_target_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    """A --summary in a missing folder fails at once (exit 2, one line), before any case is decided."""
    target = tmp_path / "no-such-folder" / "summary.json"
    result = invoke("batch", "-", "--summary", str(target), "--no-progress", stdin=MIXED[0] + "\n")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "summary.json" in result.stderr


def test_report_equals_the_summary_but_for_time(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """`report OUT.jsonl --format json` gives the --summary of the same run; its time fields are null."""
    out, summary = mixed_run
    result = invoke("report", str(out), "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    rebuilt = json.loads(result.stdout)
    assert all(rebuilt[key] is None for key in TIME_FIELDS)
    assert {k: v for k, v in rebuilt.items() if k not in TIME_FIELDS} == {
        k: v for k, v in summary.items() if k not in TIME_FIELDS
    }


def test_report_table_shows_incomplete_counts(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """The table names each decision with its complete and incomplete counts, errors and rules."""
    out, _ = mixed_run
    result = invoke("report", str(out))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert "incomplete" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "not_medically_necessary" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == ["not_medically_necessary", "0", "1", "1"]
    assert "invalid_json" in result.stdout
    assert "chemo_with_refill" in result.stdout


def test_report_reads_standard_input(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """`report -` reads the output from standard input."""
    out, summary = mixed_run
    result = invoke("report", "-", "--format", "json", stdin=out.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["decisions"] == summary["decisions"]


def test_report_counts_lines_that_are_not_batch_records(
    tmp_path: Path, mixed_run: tuple[Path, dict[str, Any]]
) -> None:
    """Garbage, JSON that is no record and a truncated record are counted apart and named; exit 0."""
    out, summary = mixed_run
    text = out.read_text(encoding="utf-8")
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(text + "garbage\n" + '{"hello": 1}\n' + text.splitlines()[0][:50] + "\n", encoding="utf-8")
    result = invoke("report", str(damaged), "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    rebuilt = json.loads(result.stdout)
    assert rebuilt["unreadable_lines"] == 3
    assert rebuilt["cases"] == summary["cases"]
    assert "3 lines are not batch records (lines 7, 8, 9)" in result.stderr
    table = invoke("report", str(damaged))
    assert table.exit_code == 0
    assert "3 lines are not batch records" in table.stdout


def test_report_on_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    """A file that cannot be read: exit 2 and one line that names it."""
    result = invoke("report", str(tmp_path / "last-night.jsonl"))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'last-night.jsonl'}: no such file"]


def test_a_digest_counts_as_its_record(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    """The batch counts digests, `report` whole records: the digest of a digest is itself."""
    out, _ = mixed_run
    for record in records_of(out.read_text(encoding="utf-8")):
        digest = record_digest(record)
        assert digest is not None
        assert record_digest(digest) == digest
    whole, digests = BatchSummary(), BatchSummary()
    for record in records_of(out.read_text(encoding="utf-8")):
        whole.add(record)
        digests.add(record_digest(record))
    assert whole == digests


@pytest.mark.parametrize(
    ("data", "lines"),
    [(b"", 0), (b"a\n", 1), (b"a", 1), (b"a\nb", 2), (b"a\n\n", 2), (b"\n" * 5000, 5000), (b"x" * 3_000_000, 1)],
)
def test_count_lines_counts_as_the_batch_numbers_lines(tmp_path: Path, data: bytes, lines: int) -> None:
    """count_lines gives the number of lines the batch will read, and leaves the file at its start."""
    path = tmp_path / "cases.jsonl"
    path.write_bytes(data)
    with path.open("rb") as stream:
        assert count_lines(stream) == lines
        assert stream.read() == data
        stream.seek(0)
        assert sum(1 for _ in stream) == lines


def test_count_lines_of_a_stream_that_is_no_file() -> None:
    """Standard input (a pipe, or a stream without a file) has no total."""
    assert count_lines(io.BytesIO(b"a\nb\n")) is None


def test_progress_has_a_total_for_a_file_and_none_for_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress bar gets the file's line count as its total (and a time-left column)."""
    from rich.progress import Progress, TimeRemainingColumn

    seen: list[tuple[int | None, bool]] = []
    add_task = Progress.add_task

    def recording(self: Progress, description: str, *args: Any, **kwargs: Any) -> Any:
        timed = any(isinstance(column, TimeRemainingColumn) for column in self.columns)
        seen.append((kwargs.get("total"), timed))
        return add_task(self, description, *args, **kwargs)

    monkeypatch.setattr(Progress, "add_task", recording)
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(MIXED) + "\n", encoding="utf-8")
    from_file = invoke("batch", str(source), "--progress")
    assert from_file.exit_code == 0, from_file.stderr
    from_stdin = invoke("batch", "-", "--progress", stdin="\n".join(MIXED) + "\n")
    assert from_stdin.exit_code == 0, from_stdin.stderr
    assert seen == [(len(MIXED), True), (None, False)]
    assert from_file.stdout == from_stdin.stdout


def test_progress_summary_table_shows_the_same_numbers(tmp_path: Path) -> None:
    """The table on standard error after a batch: incomplete apart, errors by kind."""
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(MIXED) + "\n", encoding="utf-8")
    result = invoke("batch", str(source), "--progress", "--out", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stderr.splitlines() if "not_medically_necessary" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == ["not_medically_necessary", "0", "1", "1"]
    assert "error: invalid_json" in result.stderr
    assert "cases per second" in result.stderr


def test_batch_refuses_to_write_over_its_own_input(tmp_path: Path) -> None:
    """`batch in.jsonl --out in.jsonl` (or through a link) would empty the input: refused, exit 2,
    and the input is unchanged."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(json.loads((EXAMPLES / "v-go.json").read_text())) + "\n", encoding="utf-8")
    before = source.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    for target in (source, link):
        result = invoke("batch", str(source), "--out", str(target), "--no-progress")
        assert result.exit_code == 2
        assert result.stderr.strip() == f"error: {target}: is the input of this run; --out needs another file"
        assert source.read_bytes() == before
