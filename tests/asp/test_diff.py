"""`reasoner diff`: the revision clause by clause, and the regions where decisions differ.

Checked on the policy's real revision (5-19-2020 added the Omnipod Eros sentence) and on a
hand-made third version with known differences, added to the rules for the test only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner import decide
from reasoner.diff import diff
from reasoner.errors import InvalidCase

# A hand-made revision: from 2021-01-01 the medical-review route also needs the pump to be
# necessary for safety (a changed clause), and the battery billing rule is withdrawn.
REVISION_2021 = """
version_start(v2021_01_01, "2021-01-01", 20210101).
clause_until(medical_review, 20210101).
clause(medical_review_2021, medical_review, covered).
clause_order(medical_review_2021, 21).
clause_from(medical_review_2021, 20210101).
supersedes(medical_review_2021, medical_review).
label(medical_review_2021, "Other usage established by medical review, the pump necessary for safety").
requires(medical_review_2021, medical_review_established).
requires(medical_review_2021, pump_necessary_for_safety).
rule_until(batteries_with_rented_pump, 20210101).
"""


@pytest.fixture
def revision(tmp_path: Path) -> Path:
    path = tmp_path / "revision_2021.lp"
    path.write_text(REVISION_2021, encoding="utf-8")
    return path


def test_the_real_revision_added_the_eros_clause_and_nothing_else() -> None:
    """Committee 5-19-2020: 'Added statement "Members who received the Omnipod Auero's PDM ..."'."""
    result = diff()
    assert (result.before.name, result.after.name) == ("2020-04-01", "2020-05-19")
    assert [(c.change, c.kind, c.id) for c in result.changes] == [("added", "clause", "omnipod_eros_transition")]


def test_the_real_revision_changes_decisions_in_exactly_the_eros_region_and_check_reproduces_it() -> None:
    """The only cases decided differently are those the Eros sentence covers, which the earlier
    version left to the default 'not meeting the above criteria is considered not medically necessary'."""
    result = diff()
    assert not result.regions_truncated
    assert [(r.before, r.after) for r in result.regions] == [
        (("not_medically_necessary", "criteria_not_met"), ("covered", "omnipod_eros_transition")),
    ]
    region = result.regions[0]
    assert region.reproduced
    assert decide(region.case).decision == "covered"
    assert decide(region.case, as_of=region.as_of).decision == "not_medically_necessary"
    assert decide(region.case, as_of=region.as_of).policy_version == "2020-04-01"


def test_a_hand_made_revision_is_listed_clause_by_clause(revision: Path) -> None:
    result = diff("2020-05-19", "2021-01-01", extra_files=[revision])
    changes = {(c.change, c.kind, c.id): c for c in result.changes}
    assert set(changes) == {("changed", "clause", "medical_review_2021"),
                            ("removed", "billing rule", "batteries_with_rented_pump")}
    changed = changes[("changed", "clause", "medical_review_2021")]
    assert changed.replaces == "medical_review"
    assert "requires + pump_necessary_for_safety" in changed.details


def test_a_hand_made_revision_finds_the_region_it_narrows(revision: Path) -> None:
    """Medical review alone covers under 2020-05-19 and no longer under the hand-made 2021 version."""
    result = diff("2020-05-19", "2021-01-01", extra_files=[revision])
    assert result.regions, "the narrowed medical-review route must change some decision"
    for region in result.regions:
        assert region.before[0] != region.after[0]
        assert region.before == ("covered", "medical_review")
        assert region.case["findings"]["medical_review_established"] is True
        assert region.case["findings"].get("pump_necessary_for_safety") is not True
    assert ("covered", "medical_review") in [r.before for r in result.regions]


def test_the_same_version_twice_has_no_difference() -> None:
    result = diff("2020-05-19", "2020-05-19")
    assert result.changes == []
    assert result.regions == []


def test_an_unknown_version_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidCase, match=r"2019-01-01.*2020-04-01, 2020-05-19"):
        diff("2019-01-01")


def test_a_withdrawn_billing_rule_caps_no_line_in_the_version_that_withdrew_it(revision: Path) -> None:
    """"Replacement batteries are not separately payable when billed with a rented infusion pump":
    under the hand-made 2021 version, which withdraws that rule, the battery line is paid."""
    from reasoner._facts import case_facts, kind_code_facts
    from reasoner._results import results_by_case
    from reasoner._solve import single_model, solve
    from reasoner.case import parse_case
    from reasoner.vocabulary import KIND_CODES

    def battery_line(day: str) -> str:
        case = parse_case({
            "case_id": "BAT", "date_of_service": day, "member": {"diagnoses": ["C50.911"]},
            "therapy": {"drug": "chemotherapy"}, "device": {"kind": "infusion_pump", "acquisition": "rental"},
            "claim_lines": [{"line": 1, "hcpcs": "E0781", "modifiers": ["RR"]}, {"line": 2, "hcpcs": "K0602"}],
        })
        facts = [*kind_code_facts(KIND_CODES), *case_facts(case, 0)]
        result = results_by_case(single_model(solve(["main.lp"], facts, extra_files=[revision])).symbols)[0]
        return result.lines[2].outcome

    assert battery_line("2020-12-31") == "denied"
    assert battery_line("2021-01-04") == "payable"
