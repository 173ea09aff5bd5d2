"""The analysts' commands: `diff` between versions, and deciding under a chosen version.

"Current medical policy is to be used in determining a Member's contract benefits on the date
that services are rendered." The 5-19-2020 revision added the Omnipod Eros sentence.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import EXAMPLES, assert_no_traceback, invoke

EROS_CASE = {
    "case_id": "EROS-1", "date_of_service": "2020-06-15", "device": {"kind": "omnipod"},
    "findings": {"dash_unavailable_from_pharmacy": True},
    "current_device": {"model": "eros", "received_on": "2019-06-01"},
}


def test_diff_json_lists_the_eros_clause_and_a_reproducible_region() -> None:
    result = invoke("diff", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["from"]["version"], report["to"]["version"]) == ("2020-04-01", "2020-05-19")
    assert [c["id"] for c in report["changes"]] == ["omnipod_eros_transition"]
    (region,) = report["regions"]
    assert region["reproduced"] is True
    assert region["reproduce"]["from"].endswith("--as-of 2020-04-01")


def test_a_diff_witness_reproduces_through_check_and_check_as_of(tmp_path: Path) -> None:
    """The witness `diff` prints is a case that `check` decides as the region says, under each version."""
    region = json.loads(invoke("diff", "--format", "json").stdout)["regions"][0]
    case = tmp_path / "witness.json"
    case.write_text(json.dumps(region["case"]), encoding="utf-8")
    now = json.loads(invoke("check", str(case), "--format", "json").stdout)
    then = json.loads(invoke("check", str(case), "--format", "json", "--as-of", "2020-04-01").stdout)
    assert now["decision"] == region["to"]["decision"]
    assert then["decision"] == region["from"]["decision"]
    assert then["policy"]["version"] == "2020-04-01"


def test_diff_table_names_both_versions_and_exits_0() -> None:
    result = invoke("diff")
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert "2020-04-01 -> 2020-05-19" in result.stdout
    assert "omnipod_eros_transition" in result.stdout


def test_diff_with_an_unknown_version_is_one_line_exit_2() -> None:
    result = invoke("diff", "--from", "2019-01-01")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: version '2019-01-01' is not a version of the policy (known: 2020-04-01, 2020-05-19)"
    ]


def test_check_as_of_says_which_version_decided_and_warns(tmp_path: Path) -> None:
    case = tmp_path / "eros.json"
    case.write_text(json.dumps(EROS_CASE), encoding="utf-8")
    result = invoke("check", str(case), "--format", "json", "--as-of", "2020-05-01")
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    assert decision["decision"] == "not_medically_necessary"
    assert decision["policy"]["version_chosen"]["chosen_by"] == "as_of"
    assert any("falls outside version 2020-04-01" in w for w in decision["warnings"])
    tree = invoke("check", str(case), "--as-of", "2020-05-01")
    assert "policy version 2020-04-01" in tree.stdout


def test_check_with_a_bad_as_of_is_one_line_exit_2() -> None:
    result = invoke("check", str(EXAMPLES / "v-go.json"), "--as-of", "2020-02-30")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: as_of: '2020-02-30' is not a real calendar date"


def test_batch_as_of_reruns_every_line_under_the_chosen_version() -> None:
    lines = "\n".join(json.dumps({**EROS_CASE, "case_id": f"E-{n}"}) for n in range(3)) + "\n"
    now = [json.loads(line) for line in invoke("batch", "-", "--no-progress", stdin=lines).stdout.splitlines()]
    then_result = invoke("batch", "-", "--no-progress", "--as-of", "2020-04-01", stdin=lines)
    then = [json.loads(line) for line in then_result.stdout.splitlines()]
    assert [r["decision"] for r in now] == ["covered"] * 3
    assert [r["decision"] for r in then] == ["not_medically_necessary"] * 3
    assert {r["policy"]["version"] for r in then} == {"2020-04-01"}
