"""Questions a person can answer, checked on generated cases.

- answering a question (any value its answer allows, set at the field it names) gives a case the
  reasoner accepts, and that field is not asked again;
- every question and every `missing` condition names a real field of the case and one of the six
  answer types, and the values it offers are ones the case accepts;
- `satisfied` and `missing` respect what real inputs couple: a diagnosis class and the wider class
  it implies are never both named; the code E0781 or K0455 fixes the pump's kind, so `satisfied` never
  names both the code and the kind, and the kind only where the deciding sentence speaks of it.
"""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal
from typing import Any

from case_strategies import cases
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner import InvalidCase, decide, parse_case
from reasoner.answers import ANSWER_TYPES, set_field
from reasoner.catalogue import catalogue

# Codes that fit only a durable infusion pump (docs/contract.md, `device.kind`): "An ambulatory electrical
# infusion pump" (E0781, K0455) is always a "portable external infusion pump".
KIND_FIXING_CODES = {"E0781", "K0455"}
KIND_CONDITION = "device_infusion_pump"
CODE_CONDITION = "device_ambulatory_electric_pump"


def icd10_codes() -> st.SearchStrategy[str]:
    """Well-formed ICD-10-CM codes such as E11.9, T45.4X1A or I10 (any chapter, known or not)."""
    alnum = string.ascii_uppercase + string.digits
    head = st.tuples(st.sampled_from(string.ascii_uppercase), st.sampled_from(string.digits),
                     st.sampled_from(alnum)).map("".join)
    tail = st.text(alphabet=alnum, min_size=1, max_size=4)
    return st.tuples(head, st.one_of(st.just(""), tail.map(lambda t: "." + t), tail)).map("".join)


def hours() -> st.SearchStrategy[Any]:
    """More than 0 and at most 24 hours, with at most 2 decimals, as JSON or Decimal numbers."""
    hundredths = st.integers(min_value=1, max_value=2400)
    return st.one_of(hundredths.map(lambda n: n / 100), hundredths.map(lambda n: Decimal(n) / 100))


def allowed_values(answer: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Any value the answer allows for its field."""
    kind = answer["type"]
    if kind == "boolean":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(answer["values"])
    if kind == "number":
        return hours()
    if kind == "date":
        return st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)).map(date.isoformat)
    if kind == "codes":
        codes = st.one_of(st.sampled_from(answer["examples"]), icd10_codes()) if answer.get("examples") \
            else icd10_codes()
        return st.lists(codes, max_size=3)
    assert kind == "string", answer
    return st.text(max_size=20)


def sample_values(answer: dict[str, Any]) -> list[Any]:
    """A few allowed values, the establishing ones among them, for cheap validation checks."""
    kind = answer["type"]
    if kind == "boolean":
        return [True, False]
    if kind == "enum":
        return list(dict.fromkeys([*answer.get("establishes", []), *answer["values"][:1]]))
    if kind == "number":
        return [4, 8, Decimal("12.5"), 24]
    if kind == "date":
        return ["2019-06-01", "2020-06-15"]
    if kind == "codes":
        return [list(answer.get("examples", [])), ["E11.9"], []]
    return ["text"]


def answered_conditions(result: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """(condition, answer) of every question and every condition of every `missing` set."""
    found = [(q["condition"], q.get("answer")) for q in result["questions"]]
    found += [(c["condition"], c.get("answer")) for alt in result["missing"] for c in alt["conditions"]]
    return found


# Each example decides two or three cases with full explanations: a third of the profile's examples
# keeps the suite quick, and the deep profile still runs a thousand.
FEWER = settings(max_examples=max(50, settings().max_examples // 3))


@FEWER
@given(cases(), st.data())
def test_answering_a_question_settles_its_field(case: dict[str, Any], data: st.DataObject) -> None:
    """docs/contract.md section 2, `questions`: "an unknown condition whose answer could change the decision,
    and how to answer it" -- the answer names the field that settles it, so once that field is given
    (any value it allows) the case is still valid and nothing asks for the field again."""
    questions = decide(case).to_json()["questions"]
    if not questions:
        return
    question = data.draw(st.sampled_from(questions), label="question")
    answer = question["answer"]
    value = data.draw(allowed_values(answer), label="value")
    answered = set_field(case, answer["field"], value)
    try:
        after = decide(answered).to_json()
    except InvalidCase as error:
        raise AssertionError(f"{answer['field']} = {value!r} is refused: {error}") from None
    asked = {q["condition"]: q["answer"]["field"] for q in after["questions"]}
    assert answer["field"] not in asked.values(), (question["condition"], value, asked)


@FEWER
@given(cases())
def test_every_question_and_missing_condition_names_a_real_field(case: dict[str, Any]) -> None:
    """docs/contract.md section 2: every question and every `missing` condition carries an "answer":
    the dot path of the case field that settles it and its type (boolean, number, date, enum,
    codes, string). The path is real: the case model accepts a value set there (its closed
    vocabularies refuse any other path), and so are the values the answer offers."""
    result = decide(case).to_json()
    for condition, answer in answered_conditions(result):
        assert answer is not None, f"{condition} has no answer"
        assert answer["type"] in ANSWER_TYPES, (condition, answer)
        assert isinstance(answer["field"], str), (condition, answer)
        assert answer["field"].count(".") == 1, (condition, answer)
        if answer["type"] == "enum":
            assert answer["values"], (condition, answer)
            assert set(answer.get("establishes", [])) <= set(answer["values"]), (condition, answer)
        if answer["type"] == "boolean":
            assert set(answer.get("establishes", [])) <= {True, False}, (condition, answer)
        if answer["type"] == "number":
            assert answer.get("unit") == "hours", (condition, answer)
        for value in sample_values(answer):
            try:
                parse_case(set_field(case, answer["field"], value))
            except InvalidCase as error:
                raise AssertionError(f"{condition}: {answer['field']} = {value!r} is refused: {error}") from None


# A drug the policy lists, with a diagnosis code that meets its indication.
INDICATED = {"deferoxamine": "E83.111", "heparin": "I82.401", "chemotherapy": "C22.0", "morphine": "G89.3",
             "epoprostenol": "I27.0"}


@st.composite
def coded_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A durable pump requested with a code that fixes its kind, in 2020-06..2021, mostly for a listed
    indication (the drug, and a diagnosis that meets it)."""
    case: dict[str, Any] = draw(cases(known_request=True, listed_diagnoses=True))
    case["date_of_service"] = draw(st.dates(min_value=date(2020, 6, 1), max_value=date(2021, 12, 31))).isoformat()
    case["device"] = {**case["device"], "kind": "infusion_pump",
                      "hcpcs": draw(st.sampled_from(sorted(KIND_FIXING_CODES)))}
    drug = draw(st.sampled_from([None, *INDICATED]))
    if drug is not None:
        case["therapy"] = {**case["therapy"], "drug": drug}
        case["member"] = {"diagnoses": sorted({*case["member"]["diagnoses"], INDICATED[drug]})}
    return case


@FEWER
@given(st.one_of(cases(), coded_cases()))
def test_explanation_respects_what_inputs_couple(case: dict[str, Any]) -> None:
    """The diagnosis classes nest: "Insulin for Diabetes Mellitus" takes any diabetes code, the Omnipod
    sentence "type 1 or type 2 diabetes" only E10/E11; "Chemotherapy for Treatment of Cancer" needs a
    cancer code, "severe, chronic cancer pain" a cancer code or G89.3. So the narrower class implies
    the wider one, and neither `satisfied` nor a `missing` set names both.

    And a code fixes the kind: "An ambulatory electrical infusion pump" (E0781, K0455) is always a
    durable "portable external infusion pump". With such a code `satisfied` never names both the
    code's condition and the kind's (device_infusion_pump), and names the kind only where the deciding
    sentence itself speaks of it (the listed indications); elsewhere the code stands for it."""
    result = decide(case).to_json()
    cat = catalogue()
    named = {c["condition"] for c in result["satisfied"]}
    for narrower, wider in cat.implies.items():
        assert not {narrower, wider} <= named, ("satisfied", narrower, wider)
    for alternative in result["missing"]:
        conditions = {c["condition"] for c in alternative["conditions"]}
        for narrower, wider in cat.implies.items():
            assert not {narrower, wider} <= conditions, ("missing", narrower, wider)
    if case["device"].get("hcpcs") in KIND_FIXING_CODES:
        assert not {KIND_CONDITION, CODE_CONDITION} <= named, sorted(named)
        if KIND_CONDITION in named:
            rule = result["rule"]["rule"] if result["rule"] else None
            assert rule in cat.clauses, (rule, sorted(named))
            assert KIND_CONDITION in cat.clauses[rule].requires, (rule, sorted(named))
