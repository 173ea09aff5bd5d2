"""The explanation's promises, checked on generated cases (issue: minimal explanations).

- `satisfied` alone gives the decision (forces it, when the decision is complete; by the same
  deciding clause, when it is not), and no proper subset does;
- establishing any `missing` set makes the case covered, and no proper subset does;
- the deletion's one-question shortcut agrees with asking each subset (brute force);
- `complete` is true exactly when no answer to the unknowns changes the decision
  (brute force over the unknowns, on cases with few of them);
- the explanation never names a condition the case does not have in that state.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from case_establish import establish
from case_strategies import cases
from hypothesis import given
from hypothesis import strategies as st

from reasoner import decide, decide_all, parse_case
from reasoner.catalogue import catalogue
from reasoner.engine import solve_cases
from reasoner.explain import AbstractCase
from reasoner.vocabulary import KIND_CODES, Drug, Finding, Setting


def literals(result: dict[str, Any]) -> frozenset[tuple[str, bool]]:
    return frozenset((c["condition"], c["status"] == "met") for c in result["satisfied"])


def abstract_for(case: dict[str, Any]) -> AbstractCase | None:
    return abstract_and_known(case)[0]


def abstract_and_known(case: dict[str, Any]) -> tuple[AbstractCase | None, list[tuple[str, bool]]]:
    """The case's abstract case (None outside the policy) and its known literals, sorted, from
    one decision."""
    raw = solve_cases([parse_case(case)])[0]
    known = sorted({*((x, True) for x in raw.holds), *((x, False) for x in raw.refuted)})
    if raw.version is None:
        return None, known
    cat = catalogue()
    given = {cat.attributes[x] for x, _ in known if x in cat.attributes}
    return AbstractCase(raw.version, frozenset(given | raw.open_attributes)), known


@given(cases())
def test_satisfied_alone_gives_the_decision_and_is_minimal(case: dict[str, Any]) -> None:
    result = decide(case).to_json()
    abstract = abstract_for(case)
    if abstract is None:
        assert result["decision"] == "not_applicable"
        assert result["satisfied"] == []
        return
    kept = literals(result)
    decision = result["decision"]
    if result["complete"]:
        assert abstract.forced(kept, decision)
        for literal in kept:
            assert not abstract.forced(kept - {literal}, decision), literal
    else:
        # Incomplete: with only these known, the same decision by the same clause; drop one, and not.
        same = (decision, result["rule"]["rule"] if result["rule"] else None)
        assert abstract.outcome(kept) == same
        for literal in kept:
            assert abstract.outcome(kept - {literal}) != same, literal


VERDICTS = ("covered", "not_medically_necessary", "experimental_investigational")


@given(cases(), st.data())
def test_the_same_outcome_check_answers_as_reading_the_outcome(case: dict[str, Any], data: st.DataObject) -> None:
    """`gives` (one satisfiability check, the deletion's question for incomplete cases) is true
    exactly when the outcome read from the model is the one asked about: the decision and the
    primary clause both, for any subset of the known conditions."""
    abstract, known = abstract_and_known(case)
    if abstract is None:
        return
    subset = frozenset(data.draw(st.lists(st.sampled_from(known), unique=True)) if known else [])
    decision, primary = abstract.outcome(subset)
    assert abstract.gives(subset, (decision, primary))
    for other in VERDICTS:
        if other != decision:
            assert not abstract.gives(subset, (other, primary)), other
    if primary is not None:
        assert not abstract.gives(subset, (decision, None))
        others = sorted(set(catalogue().clauses) - {primary})
        assert not abstract.gives(subset, (decision, data.draw(st.sampled_from(others))))


@given(cases(), st.data())
def test_the_every_subset_check_answers_as_each_subset_does(case: dict[str, Any], data: st.DataObject) -> None:
    """`gives_for_every_subset` (one check, the deletion's first question for incomplete cases:
    mode(other) with the literals left to the solver) is true exactly when the outcome read from
    the model of every subset of the literals is the one asked about (brute force, up to 6)."""
    abstract, known = abstract_and_known(case)
    if abstract is None:
        return
    chosen = data.draw(st.lists(st.sampled_from(known), unique=True, max_size=6)) if known else []
    subsets = [frozenset(s) for n in range(len(chosen) + 1) for s in itertools.combinations(chosen, n)]
    outcomes = {abstract.outcome(subset) for subset in subsets}
    # The outcome of the whole set, of a smaller one, one that no subset has, and no clause.
    whole = abstract.outcome(frozenset(chosen))
    unused_clause = sorted(set(catalogue().clauses) - {primary for _, primary in outcomes})[0]
    for asked in {whole, data.draw(st.sampled_from(sorted(outcomes, key=str))), ("covered", unused_clause),
                  (whole[0], None)}:
        assert abstract.gives_for_every_subset(frozenset(chosen), asked) == (outcomes == {asked}), asked


@given(cases())
def test_each_missing_set_covers_the_case_and_is_minimal(case: dict[str, Any]) -> None:
    result = decide(case).to_json()
    if result["decision"] == "covered":
        assert result["missing"] == []
        return
    for alternative in result["missing"][:3]:
        conditions = [c["condition"] for c in alternative["conditions"]]
        assert all(c["status"] in {"unknown", "not_met"} for c in alternative["conditions"])
        assert decide(establish(case, conditions)).decision == "covered", conditions
        smaller = [establish(case, [c for c in conditions if c != dropped]) for dropped in conditions]
        for decision, dropped in zip(decide_all([parse_case(s) for s in smaller], explanation=False),
                                     conditions, strict=True):
            assert decision.decision != "covered", (conditions, dropped)


@st.composite
def cases_with_few_unknowns(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A case whose documentation and request are all known except a few items, named in the
    second part. (Absent `backup` is read as "no", never unknown, so it is always given; absent
    `replacement` is unknown here, since the current device's state is given.)"""
    case = draw(cases(known_request=True, listed_diagnoses=True))
    device = case["device"]
    device["hcpcs"] = draw(st.sampled_from(KIND_CODES[device["kind"]]))
    for flag in ("replacement", "backup", "wireless_glucose_monitor"):
        device.setdefault(flag, draw(st.booleans()))
    case["findings"] = {f.value: draw(st.booleans()) for f in Finding}
    case.setdefault("therapy", {})["infusion_hours"] = draw(st.sampled_from([4, 12]))
    case["current_device"] = {
        "functioning": draw(st.booleans()), "under_warranty": draw(st.booleans()),
        "repairable": draw(st.booleans()), "model": draw(st.sampled_from(["eros", "dash"])),
        "received_on": draw(st.sampled_from(["2019-06-01", "2018-06-01"])),
    }
    items = [*(f"findings.{f.value}" for f in Finding), "therapy.infusion_hours",
             *(f"current_device.{k}" for k in case["current_device"]),
             "therapy.drug", "therapy.setting", "device.hcpcs", "device.replacement", "device.wireless_glucose_monitor"]
    unknown = draw(st.lists(st.sampled_from(items), max_size=4, unique=True))
    for item in unknown:
        part, field = item.split(".")
        del case[part][field]
    return case, unknown


ANSWERS: dict[str, list[Any]] = {
    "therapy.infusion_hours": [4, 12],
    "current_device.model": ["eros", "dash"],
    "current_device.received_on": ["2019-06-01", "2018-06-01"],
    # One value per distinct set of conditions the value establishes (morphine and
    # parenteral_analgesic, antibiotic and other, and the settings but the two institutional ones
    # establish the same conditions), so that the brute force stays small and still complete.
    "therapy.drug": [d.value for d in Drug if d not in (Drug.parenteral_analgesic, Drug.antibiotic)],
    "therapy.setting": [Setting.home.value, Setting.inpatient.value],
}
# E0781 and K0455 are the ambulatory electric pumps; every other code establishes nothing.
DEVICE_CODE_PROFILES = ("E0781", "E0779")


def answers_for(case: dict[str, Any], item: str) -> list[Any]:
    if item == "device.hcpcs":
        codes = KIND_CODES[case["device"]["kind"]]
        return [code for code in DEVICE_CODE_PROFILES if code in codes] or codes[:1]
    return ANSWERS.get(item, [True, False])


@given(cases_with_few_unknowns())
def test_complete_exactly_when_no_answer_changes_the_decision(drawn: tuple[dict[str, Any], list[str]]) -> None:
    case, unknown = drawn
    result = decide(case).to_json()
    completions = []
    for answers in itertools.product(*(answers_for(case, item) for item in unknown)):
        completed = copy.deepcopy(case)
        for item, answer in zip(unknown, answers, strict=True):
            part, field = item.split(".")
            completed[part][field] = answer
        completions.append(parse_case(completed))
    decisions = {d.decision for d in decide_all(completions, explanation=False)}
    assert result["complete"] == (decisions == {result["decision"]}), (unknown, decisions)
    assert (result["questions"] == []) == result["complete"]


@given(cases())
def test_explanation_names_only_conditions_in_the_state_it_claims(case: dict[str, Any]) -> None:
    result = decide(case).to_json()
    raw = solve_cases([parse_case(case)])[0]
    for ref in result["satisfied"]:
        assert ref["condition"] in (raw.holds if ref["status"] == "met" else raw.refuted)
    for alternative in result["missing"]:
        for ref in alternative["conditions"]:
            assert ref["condition"] not in raw.holds
            assert (ref["status"] == "not_met") == (ref["condition"] in raw.refuted)
    for question in result["questions"]:
        assert question["condition"] not in raw.holds | raw.refuted
        assert question["question"].endswith("?")
