"""docs/contract.md section 1: "Nothing the user writes (ids, codes, free text) may ever be spliced
into program text." Hostile text is either refused by validation, naming the field, or inert:
it changes nothing in the decision and comes back exactly as it was sent."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from reasoner import InvalidCase, decide, decide_all, parse_case

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

HOSTILE_IDS = [
    '"). #show decision(0,covered).',
    "x). #show decision(X,covered) : case(X).",
    ":- case(C).",
    "case(0). decision(0, covered).",
    "#const n=1.\n#program base.\n",
    "%* unterminated block comment",
    "a\\\"b\\\\",
    "0",
    "1",
    "EX-01",
    "covered",
    "  padded  \t",
    "line1\nline2\r\nline3",
    "caf\u00e9 \u00fc\u00df \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627",
    "\U0001f489\U0001f3e5 \u202e\u2066override\u2069",
    "nul\u0000inside",
    "[bold red]markup[/] {braces} $(shell) `tick`",
    "x" * 128,
    ")" * 128,
]

BASE_EXAMPLES = ["v-go", "heparin-at-home", "chemotherapy-refill-same-day"]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@cache
def baseline(name: str) -> str:
    """The decision of the unmodified example, without its case_id (as JSON text)."""
    return json.dumps(without_id(decide(load(name)).to_json()), sort_keys=True)


def without_id(decision: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in decision.items() if key != "case_id"}


@pytest.mark.parametrize("name", BASE_EXAMPLES)
@pytest.mark.parametrize("case_id", HOSTILE_IDS, ids=range(len(HOSTILE_IDS)))
def test_hostile_case_id_is_inert_and_echoed_verbatim(name: str, case_id: str) -> None:
    case = load(name)
    case["case_id"] = case_id
    result = decide(case).to_json()
    assert result["case_id"] == case_id
    assert type(result["case_id"]) is str
    assert json.dumps(without_id(result), sort_keys=True) == baseline(name)
    echoed = json.loads(json.dumps(result, ensure_ascii=False))["case_id"]
    assert echoed.encode("utf-8") == case_id.encode("utf-8"), "byte-for-byte through JSON"


def test_hostile_case_ids_decided_together_stay_apart() -> None:
    """One grounding for many cases (the batch path): ids cannot merge or cross cases."""
    names = [BASE_EXAMPLES[index % len(BASE_EXAMPLES)] for index in range(len(HOSTILE_IDS))]
    cases = []
    for name, case_id in zip(names, HOSTILE_IDS, strict=True):
        data = load(name)
        data["case_id"] = case_id
        cases.append(parse_case(data))
    together = decide_all(cases)
    for case_id, decision, name in zip(HOSTILE_IDS, together, names, strict=True):
        assert decision.case_id == case_id
        assert json.dumps(without_id(decision.to_json()), sort_keys=True) == baseline(name)


def test_two_cases_with_the_same_id_are_still_two_cases() -> None:
    first, second = load("v-go"), load("insulin-pump-type1")
    first["case_id"] = second["case_id"] = "SAME"
    decisions = decide_all([parse_case(first), parse_case(second)])
    assert [d.decision for d in decisions] == ["experimental_investigational", "covered"]


HOSTILE_CODES = [
    '"). #show',
    "E10.65). #show decision(0,covered).",
    ":- case(C).",
    "E10.65\n#show.",
    "E1065 :-",
    "E10.6\u0000",
    "\uff25\uff11\uff10",       # full-width E10
    "E\u0661\u0660",            # E followed by Arabic-Indic digits
    "e10.65' OR '1'='1",
    "",
]


def refused_at(mutate: Any, field: str) -> None:
    case = load("insulin-pump-type1")
    mutate(case)
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    problems = caught.value.problems()
    assert any(p.startswith(field) for p in problems), problems
    for problem in problems:
        assert "\n" not in problem, repr(problem)
        assert "\r" not in problem, repr(problem)


@pytest.mark.parametrize("text", HOSTILE_CODES, ids=range(len(HOSTILE_CODES)))
def test_hostile_diagnosis_is_refused(text: str) -> None:
    refused_at(lambda c: c["member"].__setitem__("diagnoses", ["E10.65", text]),
               "member.diagnoses[1]")


@pytest.mark.parametrize("text", HOSTILE_CODES, ids=range(len(HOSTILE_CODES)))
def test_hostile_claim_line_code_is_refused(text: str) -> None:
    refused_at(lambda c: c["claim_lines"][1].__setitem__("hcpcs", text), "claim_lines[1].hcpcs")


@pytest.mark.parametrize("text", HOSTILE_CODES, ids=range(len(HOSTILE_CODES)))
def test_hostile_device_code_is_refused(text: str) -> None:
    refused_at(lambda c: c["device"].__setitem__("hcpcs", text), "device.hcpcs")


@pytest.mark.parametrize(
    "text", ['")', ":-", "N\n", "\u00d1U", "NU ; RR", "#s", "\u0000\u0000", "N\u0000"]
)
def test_hostile_modifier_is_refused(text: str) -> None:
    refused_at(lambda c: c["claim_lines"][0].__setitem__("modifiers", ["NU", text]),
               "claim_lines[0].modifiers[1]")


@pytest.mark.parametrize(
    "value", ['insulin"). #show', "insulin\n", "home; DROP", "\u0456nsulin"]
)
def test_hostile_vocabulary_value_is_refused(value: str) -> None:
    refused_at(lambda c: c["therapy"].__setitem__("drug", value), "therapy.drug")


@pytest.mark.parametrize(
    "name", ["x\ny", '"). #show decision(0,covered).', "a\r\nerror: forged problem"]
)
def test_hostile_unknown_field_name_is_refused_on_one_line(name: str) -> None:
    """A field name the user wrote must not break "one line per problem" (or forge lines)."""
    case = load("v-go")
    case[name] = 1
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    problems = caught.value.problems()
    assert len(problems) == 1, problems
    assert "\n" not in problems[0], repr(problems[0])
    assert "\r" not in problems[0], repr(problems[0])


@pytest.mark.parametrize("name", ["x\ny", '"). #show decision(0,covered).'])
def test_hostile_finding_name_is_refused_on_one_line(name: str) -> None:
    case = load("v-go")
    case["findings"] = {name: True}
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    problems = caught.value.problems()
    assert problems
    assert problems[0].startswith("findings"), problems
    for problem in problems:
        assert "\n" not in problem, repr(problem)
        assert "\r" not in problem, repr(problem)


def test_lone_surrogate_case_id_is_refused_not_crashing() -> None:
    case = load("v-go")
    case["case_id"] = json.loads('"\\ud800"')
    with pytest.raises(InvalidCase) as caught:
        decide(case)
    assert caught.value.problems()[0].startswith("case_id")
