"""The default `reasoner check` tree: a screen-sized view a person can act on.

The promises (docs/cli.md, reasoner/render.py): the headline; "Decided by" with the deciding
rule's sentence quoted once and the satisfied conditions; the routes the case's own facts close;
the open questions, each with the case field that answers it; the claim lines; and a last line
that is either "Nothing more is needed: ..." or "N question(s) is/are open: ...". Each condition
id is printed once, and every line fits the terminal width. `--full` adds the rest (other
routes, missing sets, citations, line details); `--format json` is the unchanged contract.

Rich reads the terminal width from the COLUMNS environment variable, so every call here sets
COLUMNS=100 (and NO_COLOR=1: plain text to compare).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import EXAMPLE_FILES, EXAMPLES, assert_no_traceback
from rich.cells import cell_len
from typer.testing import CliRunner

from reasoner.cli import app

WIDTH = 100
ENV = {"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}
INSULIN = EXAMPLES / "insulin-pump-type1.json"
HEPARIN = EXAMPLES / "heparin-at-home.json"

# `[condition_id]` (and `[rule_id]`) markers, as _condition() and _add_rule() print them.
MARKER = re.compile(r"\[([a-z][a-z0-9_]*)\]")
# The tree's guides at the start of a line: "│   ├── " and so on.
GUIDES = re.compile(r"^[\s│├└─]*")
NOTHING_MORE = "Nothing more is needed: no answer could change this decision."
OPEN_LINE = re.compile(
    r"^(?P<count>\d+) (?P<noun>question is|questions are) open: an answer could change this decision "
    r"\(`reasoner ask` asks them one by one\)\.$"
)
CONTRACT_FIELDS = (
    "case_id", "policy", "decision", "complete", "pathway", "satisfied", "missing", "questions", "lines", "warnings",
)

runner = CliRunner()


def check(*args: str, columns: int = WIDTH) -> str:
    """`reasoner check ARGS` in process at the given width; the standard output (exit 0 required)."""
    result = runner.invoke(app, ["check", *args], env={**ENV, "COLUMNS": str(columns)})
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "", result.stderr
    return result.stdout


def decision_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(check(str(path), "--format", "json"))
    return data


def lines_of(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def flat(text: str) -> str:
    """The tree as one line of prose: guides removed, wrapped lines joined, spaces collapsed."""
    joined = " ".join(GUIDES.sub("", line) for line in lines_of(text))
    return normal(joined)


def normal(text: str) -> str:
    """Spaces as a person reads them: the policy's no-break spaces are spaces, runs are one."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def repeated_markers(text: str) -> dict[str, int]:
    return {marker: n for marker, n in Counter(MARKER.findall(text)).items() if n > 1}


def open_fields(decision: dict[str, Any]) -> list[str]:
    """The distinct answer fields of the open questions, in order (what the tree must list)."""
    fields: list[str] = []
    for question in decision["questions"]:
        answer = question.get("answer")
        if answer and answer["field"] not in fields:
            fields.append(answer["field"])
    return fields


def test_every_example_is_checked() -> None:
    assert len(EXAMPLE_FILES) >= 5
    assert INSULIN in EXAMPLE_FILES
    assert HEPARIN in EXAMPLE_FILES


def test_covered_complete_case_fits_on_a_screen() -> None:
    """Promise: a covered, complete decision needs at most 20 lines, ends with "Nothing more is
    needed", and prints each condition id once.

    Policy: "Insulin for Diabetes Mellitus." (listed indications) decides EX-01.
    """
    out = check(str(INSULIN))
    lines = lines_of(out)
    assert len(lines) <= 20, out
    assert lines[0].startswith("COVERED  case EX-01"), out
    assert "complete" in lines[0]
    assert lines[-1] == NOTHING_MORE, out
    assert MARKER.findall(out), "the satisfied conditions are shown with their ids"
    assert repeated_markers(out) == {}, out
    assert "Open questions" not in out


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_default_tree_of_every_example(path: Path) -> None:
    """Promises, for every example: no `[id]` marker twice, no line wider than 100 columns, the last
    line is one of the two closing lines (and agrees with `complete` and the count of open fields),
    and each open question's answer field (from `--format json` questions[].answer.field) is shown.
    """
    out = check(str(path))
    decision = decision_json(path)
    lines = lines_of(out)

    assert repeated_markers(out) == {}, out
    too_wide = [(cell_len(line), line) for line in lines if cell_len(line) > WIDTH]
    assert too_wide == [], too_wide

    fields = open_fields(decision)
    last = lines[-1]
    if decision["complete"] or not fields:
        assert last == NOTHING_MORE, out
    else:
        match = OPEN_LINE.match(last)
        assert match is not None, f"not a closing line: {last!r}"
        assert int(match["count"]) == len(fields), (last, fields)
        assert match["noun"] == ("question is" if len(fields) == 1 else "questions are"), last
    tree = flat(out)
    for field in fields:
        assert f"→ {field}: " in tree, f"the open question answered by {field} is not in the tree:\n{out}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_deciding_sentence_is_quoted_once(path: Path) -> None:
    """Promise: "Decided by" quotes the deciding rule's exact sentence once, and lists the
    satisfied conditions (with their ids) under it."""
    decision = decision_json(path)
    out = check(str(path))
    rule = decision.get("rule")
    if rule is None:
        assert "Decided by" not in out
        return
    tree = flat(out)
    assert f"Decided by: {normal(rule['label'])} [{rule['rule']}]" in tree, out
    if rule["sentences"]:
        quoted = f"“{normal(rule['sentence'])}”"
        assert tree.count(quoted) == 1, f"{quoted} is quoted {tree.count(quoted)} times:\n{out}"
    for ref in decision["satisfied"]:
        assert f"[{ref['condition']}]" in out, f"{ref['condition']} is satisfied but not shown"


def test_heparin_at_home_shows_the_closed_institutional_route() -> None:
    """Promise: the routes that the case's own facts close are shown with the fact that closes them.

    Policy, sentence 22: "Thromboembolic Disease - When used in the administration of heparin for the
    treatment of thromboembolic disease and/or pulmonary embolism (covered only in an institutional
    setting)". EX-04 asks for heparin at home, so the route [indication_heparin] is closed by
    therapy.setting = "home".
    """
    out = check(str(HEPARIN))
    tree = flat(out)
    assert lines_of(out)[0].startswith("NOT MEDICALLY NECESSARY  case EX-04"), out
    assert "Routes for this request that the case's own facts close" in tree
    assert "[indication_heparin]" in out
    assert "covered only in an institutional setting" in tree
    assert 'closed by therapy.setting = "home"' in tree
    assert 'would reopen with therapy.setting = "inpatient" or "institutional"' in tree
    assert "Open questions" in tree


def test_full_adds_the_missing_sets_and_is_longer() -> None:
    """Promise: the default view leaves out the missing sets; `--full` adds "What would make it
    covered" (for EX-04: the medical review of sentences 16/26, and the general criteria of
    sentences 9-15) and the other routes, so it is longer."""
    default = check(str(HEPARIN))
    full = check(str(HEPARIN), "--full")
    assert "What would make it covered" not in default
    assert "Other routes of the policy for this request" not in default
    assert "What would make it covered" in full
    assert "Other routes of the policy for this request" in full
    assert "[medical_review_established]" in full
    assert len(lines_of(full)) > len(lines_of(default))
    assert lines_of(full)[-1] == lines_of(default)[-1], "the closing line does not depend on --full"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_json_format_keeps_the_contract(path: Path) -> None:
    """Promise: `--format json` is unchanged by the tree view: the contract's fields are all there,
    and the output does not depend on the terminal width."""
    case = json.loads(path.read_text(encoding="utf-8"))
    text = check(str(path), "--format", "json")
    decision = json.loads(text)
    for key in CONTRACT_FIELDS:
        assert key in decision, f"the decision has no {key}"
    assert decision["case_id"] == case["case_id"]
    assert decision["policy"]["id"] == "portable-external-infusion-pump"
    assert isinstance(decision["complete"], bool)
    for key in ("satisfied", "missing", "questions", "lines", "warnings"):
        assert isinstance(decision[key], list), key
    assert check(str(path), "--format", "json", columns=40) == text
