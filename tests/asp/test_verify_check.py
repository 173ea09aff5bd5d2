"""`reasoner verify` finds the policy's real conflicts, passes as encoded, and fails on a broken rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner import decide
from reasoner.catalogue import catalogue
from reasoner.traceability import check_map
from reasoner.verify import Report, verify

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policy" / "portable-external-infusion-pump.txt"


@pytest.fixture(scope="module")
def report() -> Report:
    return verify()


def test_encoded_policy_passes(report: Report) -> None:
    problems = [f.to_json() for f in report.findings if f.problem]
    assert report.ok, problems


def test_every_witness_is_reproduced_by_check(report: Report) -> None:
    # Each printed case, fed back to the ordinary pipeline, gets the decision the search saw.
    for finding in report.findings:
        if finding.case is not None:
            assert finding.reproduced, finding.to_json()


def test_closed_loop_conflict_is_settled_by_the_override(report: Report) -> None:
    # Replacement bullet 2 (closed loop) against the functioning-pump-with-wireless-monitor
    # sentence: the closed-loop sentence prevails (policy/precedence.lp).
    found = [f for f in report.findings if f.kind == "conflict"
             and f.subject == "replacement_closed_loop > replacement_functioning_pump_wireless"]
    assert len(found) == 1
    assert "override_closed_loop" in found[0].detail
    assert found[0].decision == "covered"


def test_vgo_prevails_over_medical_review(report: Report) -> None:
    # "V-Go ... is considered experimental/investigative and therefore, non-covered".
    found = [f for f in report.findings if f.subject == "vgo_experimental > medical_review"]
    assert len(found) == 1
    assert found[0].decision == "experimental_investigational"


def test_version_difference_is_the_eros_sentence(report: Report) -> None:
    changes = [f for f in report.findings if f.kind == "version difference"]
    assert len(changes) == 1
    case = changes[0].case
    assert case is not None
    assert case["current_device"]["model"] == "eros"
    assert decide(case).to_json()["pathway"] == "omnipod_eros"
    older = {**case, "date_of_service": "2020-05-18"}
    assert decide(older).decision != "covered"


def test_a_broken_rule_fails_with_a_counterexample(tmp_path: Path) -> None:
    # A rule that covers every V-Go request contradicts the V-Go sentence.
    broken = tmp_path / "broken.lp"
    broken.write_text("decision(C, covered) :- holds(C, device_v_go).\n", encoding="utf-8")
    broken_report = verify([broken])
    assert not broken_report.ok
    problems = [f for f in broken_report.findings if f.problem]
    assert any(f.kind == "gap or contradiction" for f in problems)
    assert any(f.subject == "vgo_never_covered" for f in problems)
    witness = next(f.case for f in problems if f.subject == "vgo_never_covered")
    assert witness is not None
    assert witness["device"]["kind"] == "v_go"


def test_a_dead_clause_is_reported(tmp_path: Path) -> None:
    dead = tmp_path / "dead.lp"
    dead.write_text(
        "clause(never, none, covered). clause_order(never, 98).\n"
        "requires(never, device_v_go). requires(never, device_insulin_pump).\n"
        'label(never, "test"). source(never, "test").\n',
        encoding="utf-8",
    )
    dead_report = verify([dead])
    assert any(f.kind == "dead clause" and f.subject == "never" for f in dead_report.findings)
    assert not dead_report.ok


def test_sentence_map_matches_the_policy_text() -> None:
    cat = catalogue()
    mapped = set(cat.encodes) | set(cat.informational)
    problems = check_map(POLICY.read_text(encoding="utf-8"), cat.sentences, mapped)
    assert problems == []


def test_policy_copy_is_the_shared_specification() -> None:
    shared = ROOT.parent / "shared" / "policy" / POLICY.name
    if shared.is_file():
        assert shared.read_bytes() == POLICY.read_bytes()
    else:
        assert POLICY.stat().st_size > 0


def test_billing_invariants_are_searched_and_a_broken_billing_rule_is_found(tmp_path: Path) -> None:
    # "Replacement batteries are not separately payable when billed with a rented infusion pump."
    broken = tmp_path / "batteries.lp"
    broken.write_text('units_allowed(C, N, 1) :- line(C, N), line_code(C, N, "K0601").\n', encoding="utf-8")
    broken_report = verify([broken])
    found = [f for f in broken_report.findings if f.subject == "batteries_not_paid_with_rental"]
    assert len(found) == 1
    witness = found[0].case
    assert witness is not None
    assert any(line["hcpcs"] == "K0601" for line in witness["claim_lines"])


def test_billing_invariants_hold_as_encoded(report: Report) -> None:
    names = {"weekly_limit_kept", "batteries_not_paid_with_rental", "second_pump_not_paid",
             "chemo_not_paid_beside_refill", "rental_within_price", "uncovered_request_lines_not_paid"}
    assert report.checks["invariants"] >= len(names) + 8
    assert not [f for f in report.findings if f.subject in names]
