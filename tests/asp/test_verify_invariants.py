"""The invariants of `reasoner verify` on the billing and conditions layers can fail, and its report is stable.

Each invariant of asp/verify/invariants.lp is shown to fail: a deliberately broken rule (one
small edit to a copy of asp/, as a mutation would make it) is searched, `verify` names the
invariant with a counterexample case, and the ordinary pipeline on that copy (what
`reasoner check` runs) reproduces it: the same decision, line outcomes and warnings, and the
symptom the invariant forbids. Then: the witnesses do not depend on the solver's search order
or on an edit that changes no answer, so two runs print the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from reasoner import _solve, decide, parse_case
from reasoner._facts import case_facts, kind_code_facts
from reasoner.catalogue import catalogue
from reasoner.cli import app
from reasoner.verify import CLAIM_CODES, Finding, verify
from reasoner.vocabulary import KIND_CODES

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policy" / "portable-external-infusion-pump.txt"



@dataclass(frozen=True)
class Seen:
    """A witness as `reasoner check` sees it on the broken rules: the case, its decision, and
    every atom the decision program shows (with the caps, units_cap/4 and amount_cap/4)."""

    case: dict[str, Any]
    result: dict[str, Any]
    shown: set[str]


Symptom = Callable[[Seen], bool]


@dataclass(frozen=True)
class Broken:
    """One edit to a copy of asp/: in ``file``, ``old`` becomes ``new``."""

    invariant: str
    file: str
    old: str
    new: str
    symptom: Symptom
    why: str


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def lines_of(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {line["line"]: line for line in result["lines"]}


def reasons(line: dict[str, Any]) -> set[str]:
    return {reason["rule"] for reason in line["reasons"]}


def _rented(case: dict[str, Any]) -> bool:
    pumps = {"E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399"}
    return case["device"].get("acquisition") == "rental" or any(
        line["hcpcs"] in pumps and "RR" in line.get("modifiers", []) for line in case.get("claim_lines", []))


def _held_and_refuted(seen: Seen) -> bool:
    held = {atom[len("holds(0,"):-1] for atom in seen.shown if atom.startswith("holds(0,")}
    return any(f"refuted(0,{x})" in seen.shown for x in held)


def _rented_without_its_sentence(seen: Seen) -> bool:
    return "holds(0,device_rented)" in seen.shown and not _rented(seen.case)


def _one_pump_capped_at_two(seen: Seen) -> bool:
    return any(re.fullmatch(r"units_cap\(0,\d+,one_pump_epoprostenol,2\)", atom) for atom in seen.shown)


def _negative_cap(seen: Seen) -> bool:
    return any(re.fullmatch(r"units_cap\(0,\d+,weekly_supply_limit,-\d+\)", atom) for atom in seen.shown)


def _more_than_billed_or_capped(seen: Seen) -> bool:
    most = {line["line"]: line.get("units", 1) for line in seen.case["claim_lines"]}
    for atom in seen.shown:
        if found := re.fullmatch(r"units_cap\(0,(\d+),\w+,(-?\d+)\)", atom):
            line, cap = int(found[1]), int(found[2])
            most[line] = min(most[line], cap)
    return any(line["units_allowed"] > most[line["line"]] for line in seen.result["lines"])


def _battery_denied_unrented(seen: Seen) -> bool:
    return not _rented(seen.case) and any(
        "batteries_with_rented_pump" in reasons(line) for line in seen.result["lines"])


def _paid_warned_as_absent(seen: Seen) -> bool:
    return "rental_paid_to_date" in seen.case["device"] and any(
        "rental_paid_to_date is not given" in warning for warning in seen.result["warnings"])


def _replacement_by_indication(seen: Seen) -> bool:
    return seen.case["device"].get("replacement") is True and seen.result["pathway"] == "indication_iron"


def _two_months_on_one_date(seen: Seen) -> bool:
    paid: dict[str, int] = {}
    for line in seen.case["claim_lines"]:
        day = line.get("date", seen.case["date_of_service"])
        paid[day] = paid.get(day, 0) + lines_of(seen.result)[line["line"]]["units_allowed"]
    return len(seen.case["claim_lines"]) == 3 and max(paid.values()) > 1


def _weekly_denial_of_the_first_line(seen: Seen) -> bool:
    """A weekly-limited line cut by the weekly limit with no earlier line of its code that week."""
    service = date.fromisoformat(seen.case["date_of_service"])
    billed = {line["line"]: line for line in seen.case["claim_lines"]}

    def when(number: int) -> tuple[date, int]:
        return date.fromisoformat(billed[number].get("date", service.isoformat())), number

    for line in seen.result["lines"]:
        if "weekly_supply_limit" not in reasons(line):
            continue
        day, _ = when(line["line"])
        if not any(other != line["line"] and billed[other]["hcpcs"] == billed[line["line"]]["hcpcs"]
                   and when(other) < when(line["line"]) and when(other)[0].isocalendar()[:2] == day.isocalendar()[:2]
                   for other in billed):
            return True
    return False


def _listed_indication_met_not_covered(seen: Seen) -> bool:
    return "met(0,indication_iron)" in seen.shown and seen.result["decision"] != "covered"


ATTRIBUTE_FIELDS = {"drug": ("therapy", "drug"), "setting": ("therapy", "setting"),
                    "device_kind": ("device", "kind"), "device_hcpcs": ("device", "hcpcs")}


def _given(case: dict[str, Any], attribute: str) -> bool:
    part, field = ATTRIBUTE_FIELDS.get(attribute, ("device", attribute))
    return field in case.get(part, {})


def _given_field_left_open(seen: Seen) -> bool:
    opened = {atom[len("open_attribute(0,"):-1] for atom in seen.shown if atom.startswith("open_attribute(0,")}
    contradicted = "current_device" in seen.case and not _given(seen.case, "replacement")
    return any(_given(seen.case, a) for a in opened) or (contradicted and "replacement" not in opened)


BROKEN = [
    Broken("indication_covered_unless_excluded", "decision.lp",
           "deciding_met(C, K) :- met(C, K), not defeated(C, K).",
           "deciding_met(C, K) :- met(C, K), not defeated(C, K), K != indication_iron.",
           _listed_indication_met_not_covered, "a met listed indication that never decides"),
    Broken("given_field_never_asked", "conditions.lp",
           "open_attribute(C, A) :- read_as_no(A), reading_contradicted(C, A), not given_attribute(C, A).",
           "open_attribute(C, A) :- read_as_no(A), reading_contradicted(C, A), given_attribute(C, A).",
           _given_field_left_open, "a contradicted reading opens the flag the case gives, not the absent one"),
    Broken("condition_not_held_and_refuted", "conditions.lp",
           "diagnoses_listed(C), diagnosis_range(X, _, _), not holds(C, X).",
           "diagnoses_listed(C), diagnosis_range(X, _, _).",
           _held_and_refuted, "a listed diagnosis refutes its own class"),
    Broken("condition_not_held_and_refuted", "conditions.lp",
           "refuted(C, infusion_under_8h)    :- holds(C, infusion_at_least_8h).",
           "refuted(C, infusion_under_8h)    :- holds(C, infusion_under_8h).",
           _held_and_refuted, "the 8-hour threshold refutes what it establishes"),
    Broken("rented_as_the_sentences_say", "policy/codes.lp",
           'holds(C, device_rented)   :- pump_line(C, N), line_modifier(C, N, "RR").',
           'holds(C, device_rented)   :- line(C, N), line_modifier(C, N, "RR").',
           _rented_without_its_sentence, "any line billing RR makes the device rented"),
    Broken("caps_within_their_sentences", "policy/epoprostenol.lp",
           "units_cap(C, N, one_pump_epoprostenol, 1) :-",
           "units_cap(C, N, one_pump_epoprostenol, 2) :-",
           _one_pump_capped_at_two, "the one pump may be billed as two units"),
    Broken("caps_within_their_sentences", "policy/supplies.lp",
           "units_cap(C, N, weekly_supply_limit, 0) :- weekly_limited(C, N), not used_this_week(C, N, _).",
           "units_cap(C, N, weekly_supply_limit, L - 2) :- weekly_limited(C, N), not used_this_week(C, N, _), "
           "weekly_units(L).",
           _negative_cap, "the weekly cap goes negative once the week's unit is used up"),
    Broken("allowed_within_billed_and_caps", "lines.lp",
           "units_allowed(C, N, A) :- units_capped(C, N, A), not paid_nothing(C, N).",
           "units_allowed(C, N, A + 1) :- units_capped(C, N, A), not paid_nothing(C, N).",
           _more_than_billed_or_capped, "one unit more than the caps leave"),
    Broken("denials_where_their_sentences_apply", "policy/batteries.lp",
           "holds(C, device_rented), line_code(C, N, H), battery_code(H).",
           "not refuted(C, device_rented), line_code(C, N, H), battery_code(H).",
           _battery_denied_unrented, "batteries denied unless the pump is known to be owned"),
    Broken("denials_where_their_sentences_apply", "policy/supplies.lp",
           "units_cap(C, N, weekly_supply_limit, L - S) :- used_this_week(C, N, S), weekly_units(L), S < L.",
           "units_cap(C, N, weekly_supply_limit, 0) :- used_this_week(C, N, S), weekly_units(L), S < L.",
           _weekly_denial_of_the_first_line, "the weekly limit denies the week's first unit too"),
    Broken("warnings_where_their_premises_hold", "policy/rental.lp",
           "case_warning(C, rental_paid_unknown, N) :- rental_capped(C, N), not rental_paid(C, _).",
           "case_warning(C, rental_paid_unknown, N) :- rental_capped(C, N).",
           _paid_warned_as_absent, "the rent paid is said to be absent when it is given"),
    Broken("replacement_left_to_replacement_sentences", "policy/indications.lp",
           "unless(indication_iron, request_replacement).", "",
           _replacement_by_indication, "a listed indication loses its replacement exception"),
    Broken("one_pump_paid_for_epoprostenol", "policy/epoprostenol.lp",
           "same_rented_pump(C, F, N) :- first_pump(C, F), rental_month(C, N), not month_billed_before(C, N).",
           "same_rented_pump(C, F, N) :- first_pump(C, F), rental_month(C, N).",
           _two_months_on_one_date, "two rental months of the one pump on one date (needs three lines)"),
]


@pytest.fixture(scope="module", autouse=True)
def _catalogue_of_the_real_rules() -> None:
    catalogue()  # cached from the real asp/ before any test points the solver at a broken copy


@pytest.fixture
def broken_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Broken], Path]:
    """A copy of asp/ with one edit, used by every program (verify's and the decision's)."""
    def make(broken: Broken) -> Path:
        folder = tmp_path / "asp"
        shutil.copytree(_solve.asp_dir(), folder)
        path = folder / broken.file
        program = path.read_text(encoding="utf-8")
        assert program.count(broken.old) == 1, f"{broken.file} no longer has {broken.old!r}"
        path.write_text(program.replace(broken.old, broken.new), encoding="utf-8")
        monkeypatch.setattr(_solve, "asp_dir", lambda: folder)
        return folder
    return make


SHOW_CAPS = ("#show units_cap(C, N, R, U) : units_cap(C, N, R, U).\n"
             "#show amount_cap(C, N, R, A) : amount_cap(C, N, R, A).\n")


def shown_atoms(case: dict[str, Any], tmp_path: Path) -> set[str]:
    """Every atom the decision program shows for the case (holds/refuted, units_allowed, ...) and its caps."""
    show = tmp_path / "show_caps.lp"
    show.write_text(SHOW_CAPS, encoding="utf-8")
    facts = [*kind_code_facts(KIND_CODES), *case_facts(parse_case(case), 0)]
    return {str(s) for s in _solve.single_model(_solve.solve(["main.lp"], facts, extra_files=[show])).symbols}


@pytest.mark.parametrize("broken", BROKEN, ids=lambda b: f"{b.invariant}: {b.why}")
def test_each_invariant_fails_on_a_broken_rule_with_a_reproduced_counterexample(
    broken: Broken, broken_rules: Callable[[Broken], Path], tmp_path: Path,
) -> None:
    broken_rules(broken)
    report = verify(checks={"invariants"}, invariants={broken.invariant})
    found = [f for f in report.findings if f.subject == broken.invariant]
    assert not report.ok
    assert len(found) == 1, [f.to_json() for f in report.findings]
    finding = found[0]
    assert finding.case is not None
    assert finding.source
    # `reasoner check` on the broken rules reproduces the witness: decision, lines, warnings ...
    assert finding.reproduced, finding.to_json()
    result = decide(finding.case, explanation=False).to_json()
    assert result["decision"] == finding.decision
    # ... and shows the very thing the invariant forbids.
    assert broken.symptom(Seen(finding.case, result, shown_atoms(finding.case, tmp_path))), (finding.case, result)


def test_every_new_invariant_has_a_broken_rule_above() -> None:
    new = _invariant_names() - _OLDER_INVARIANTS
    assert new <= {b.invariant for b in BROKEN}


_OLDER_INVARIANTS = {  # the invariants before issue 14; each new one has a broken rule above
    "vgo_never_covered", "vgo_always_experimental", "backup_pump_never_covered",
    "nothing_before_2020_04_01", "indication_covered_unless_excluded", "covered_needs_a_met_clause",
    "replacement_not_by_indication", "functioning_upgrade_not_covered", "weekly_limit_kept",
    "batteries_not_paid_with_rental", "second_pump_not_paid", "chemo_not_paid_beside_refill",
    "rental_within_price", "uncovered_request_lines_not_paid",
}


def _invariant_names() -> set[str]:
    text = (_solve.asp_dir() / "verify" / "invariants.lp").read_text(encoding="utf-8")
    return set(re.findall(r"^invariant\((\w+),", text, flags=re.MULTILINE))


def test_verify_exits_1_naming_the_invariant(broken_rules: Callable[[Broken], Path]) -> None:
    broken = next(b for b in BROKEN if b.invariant == "rented_as_the_sentences_say")
    broken_rules(broken)
    result = invoke("verify", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = [f for f in report["findings"] if f["subject"] == broken.invariant]
    assert found
    assert found[0]["problem"]
    assert found[0]["reproduced"]
    assert found[0]["source"].startswith("Batteries:")


# --- Every invariant cites its sentence ------------------------------------------------------

def _sources() -> dict[str, str]:
    text = (_solve.asp_dir() / "verify" / "invariants.lp").read_text(encoding="utf-8")
    return dict(re.findall(r'^invariant_source\((\w+), "((?:[^"\\]|\\.)*)"\)\.', text, flags=re.MULTILINE))


def test_every_invariant_cites_the_policy_or_the_contract() -> None:
    names, sources = _invariant_names(), _sources()
    assert names
    assert set(sources) == names
    policy = " ".join(POLICY.read_text(encoding="utf-8").split())
    for name, source in sources.items():
        source = source.replace('\\"', '"')
        if source.startswith("CONTRACT:"):
            continue
        quoted = re.findall(r'"([^"]+)"', source)
        assert quoted, f"{name}: {source!r} quotes nothing"
        for words in quoted:
            for part in words.split("..."):
                assert " ".join(part.split()) in policy, f"{name}: {part!r} is not in the policy text"


def test_the_claims_all_digit_codes_have_their_numbers() -> None:
    # asp/verify/claims.lp gives line_code_number/3 from a table, as _facts.py does for a real case.
    text = (_solve.asp_dir() / "verify" / "claims.lp").read_text(encoding="utf-8")
    table = dict(re.findall(r'^code_number\("(\d+)", (\d+)\)\.', text, flags=re.MULTILINE))
    assert {code for code in CLAIM_CODES if code.isdigit()} == set(table)
    assert all(int(code) == int(number) for code, number in table.items())


# --- A stable report ---------------------------------------------------------------------------

def _report(findings: list[Finding], checks: dict[str, int]) -> str:
    return json.dumps({"checks": checks, "findings": [f.to_json() for f in findings]}, sort_keys=True)


@pytest.fixture(scope="module")
def plain() -> str:
    report = verify()
    assert report.ok
    return _report(report.findings, report.checks)


def test_the_witnesses_do_not_depend_on_the_solvers_search_order(plain: str) -> None:
    # Another seed, random decisions and signs: clingo finds the optimal models in another
    # order; the one printed is still the first in the fixed order (reasoner/verify.py).
    other = verify(solver_arguments=("--seed=7", "--rand-freq=0.5", "--sign-def=rnd"))
    assert _report(other.findings, other.checks) == plain


def test_an_edit_that_changes_no_answer_changes_no_witness(tmp_path: Path, plain: str) -> None:
    # New atoms and rules that no check reads: the grounding (and the solver's order) changes,
    # the set of optimal witnesses does not.
    noise = tmp_path / "noise.lp"
    noise.write_text(
        "noise(K, X) :- requires(K, X).\nnoise(K, X) :- unless(K, X).\n"
        "noise_seen(C) :- holds(C, X), noise(_, X).\n", encoding="utf-8")
    edited = verify([noise])
    assert _report(edited.findings, edited.checks) == plain


def test_the_cli_prints_the_same_bytes_twice() -> None:
    # Two runs of `reasoner verify` (each grounds and solves afresh) print byte-identical reports.
    first, second = invoke("verify"), invoke("verify")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
