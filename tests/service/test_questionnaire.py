"""The Questionnaire of open questions (reasoner/service/questionnaire.py): ids that decode alone,
resources that validate as FHIR R4 (fhir.resources R4B), and QuestionnaireResponses read back
into case fields that the next decision no longer asks."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from reasoner import decide
from reasoner.answers import field_values, set_field
from reasoner.catalogue import catalogue
from reasoner.decision import Decision
from reasoner.errors import InvalidCase
from reasoner.service.questionnaire import (
    FIELD_SYSTEM_PREFIX,
    HCPCS_SYSTEM,
    ICD10_SYSTEM,
    UNIT_EXTENSION,
    UnknownQuestionnaire,
    answer_fields,
    answers_from_response,
    decode_questionnaire_id,
    item_spec,
    open_questions,
    questionnaire,
    questionnaire_for,
    questionnaire_id,
)
from reasoner.vocabulary import DeviceKind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = "https://payer.example/crd"
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
KINDS = [kind.value for kind in DeviceKind]
ITEM_TYPES = {"boolean": "boolean", "number": "decimal", "date": "date", "enum": "choice",
              "codes": "open-choice", "string": "string"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def bare_case(kind: str = "infusion_pump") -> dict[str, Any]:
    """A request that says almost nothing: many questions of every answer type are open."""
    return {"case_id": "Q-1", "date_of_service": "2021-03-01", "device": {"kind": kind}}


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    model = Questionnaire.model_validate(resource)
    assert model.status == "active"
    return resource


def response(qid: str | None, items: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    if qid is not None:
        data["questionnaire"] = f"{BASE}/Questionnaire/{qid}"
    QuestionnaireResponse.model_validate(data)
    return data


# --- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_id_round_trips_for_every_subset_size(kind: str) -> None:
    fields = list(answer_fields())
    chooser = random.Random(kind)
    for size in range(len(fields) + 1):
        for _ in range(3):
            chosen = chooser.sample(fields, size)
            qid = questionnaire_id(chosen, kind)
            assert FHIR_ID.match(qid), qid
            assert decode_questionnaire_id(qid) == (chosen, kind)


def test_the_id_is_deterministic_and_keeps_the_order_and_the_kind() -> None:
    fields = ["therapy.setting", "member.diagnoses", "findings.pump_necessary_for_safety"]
    assert questionnaire_id(fields, "infusion_pump") == questionnaire_id(tuple(fields), "infusion_pump")
    ids = {questionnaire_id(order, kind) for order in (fields, fields[::-1]) for kind in KINDS}
    assert len(ids) == 2 * len(KINDS)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [(["no.such_field"], "infusion_pump"), (["therapy.drug", "therapy.drug"], "infusion_pump"),
     (["therapy.drug"], "no_such_kind")],
)
def test_an_id_is_made_only_of_known_fields_and_kinds(fields: list[str], kind: str) -> None:
    with pytest.raises(ValueError, match=r"field|kind"):
        questionnaire_id(fields, kind)


def test_ids_that_name_no_questionnaire_are_refused() -> None:
    good = questionnaire_id(["therapy.drug", "therapy.setting"], "insulin_pump")
    body, fingerprint = good.removeprefix("pump-").split("-")
    other_fingerprint = "0" * 6 if fingerprint != "0" * 6 else "1" * 6
    bad = [
        "", "pump-", "pump--" + fingerprint, "Questionnaire-1", good.upper(), good + "0",
        f"pump-{body}-{other_fingerprint}",  # made under another catalogue
        f"pump-Z{body[1:]}-{fingerprint}",  # no such kind
        f"pump-{body}Z-{fingerprint}",  # no such field
        f"pump-{body}{body[1]}-{fingerprint}",  # a field twice
        f"pump-{body}_-{fingerprint}",
    ]
    for qid in bad:
        with pytest.raises(UnknownQuestionnaire):
            decode_questionnaire_id(qid)
        with pytest.raises(ValueError, match=r"not a Questionnaire id|another version"):
            questionnaire(qid, BASE)


# --- the resource -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_questionnaire_of_every_field_validates_and_asks_each_field(kind: str) -> None:
    fields = list(answer_fields())
    qid = questionnaire_id(fields, kind)
    resource = validated(questionnaire(qid, BASE))
    cat = catalogue()
    assert resource["id"] == qid
    assert resource["url"] == f"{BASE}/Questionnaire/{qid}"
    assert [item["linkId"] for item in resource["item"]] == fields
    for item in resource["item"]:
        spec = item_spec(item["linkId"])
        assert item["type"] == ITEM_TYPES[spec.type]
        assert item["required"] is False
        assert item["text"]
        assert {code["code"] for code in item["code"]} == set(spec.conditions)
        if spec.type == "enum":
            options = [option["valueCoding"] for option in item["answerOption"]]
            assert [option["code"] for option in options] == list(field_values(item["linkId"], kind))
            system = HCPCS_SYSTEM if item["linkId"] == "device.hcpcs" else FIELD_SYSTEM_PREFIX + item["linkId"]
            assert {option["system"] for option in options} == {system}
        if spec.type == "codes":
            assert item["repeats"] is True
            assert {option["valueCoding"]["system"] for option in item["answerOption"]} == {ICD10_SYSTEM}
        if spec.type == "number":
            assert item["extension"][0]["url"] == UNIT_EXTENSION
            assert item["extension"][0]["valueCoding"]["code"] == "h"
        # The policy's exact words: one display child per sentence the field's conditions quote.
        quotes = {(n, words) for condition in spec.conditions for n, words in cat.quotes.get(condition, ())}
        children = item.get("item", [])
        assert all(child["type"] == "display" and "required" not in child for child in children)
        assert {int(child["linkId"].rsplit("-", 1)[1]) for child in children} == {n for n, _ in quotes}
        for number, words in quotes:
            [child] = [c for c in children if c["linkId"] == f"{item['linkId']}.policy-{number}"]
            assert child["text"].startswith(f"Policy, sentence {number}: ")
            assert words in child["text"]
    link_ids = [item["linkId"] for item in resource["item"]]
    link_ids += [child["linkId"] for item in resource["item"] for child in item.get("item", [])]
    assert len(link_ids) == len(set(link_ids))


def test_an_empty_questionnaire_is_still_a_questionnaire() -> None:
    resource = validated(questionnaire(questionnaire_id([], "v_go"), BASE))
    assert resource["item"] == []


def test_the_question_text_mirrors_the_prompt_rule() -> None:
    """The field's own question when it settles several conditions (or is not yes/no), else the
    question of its one condition: what FieldQuestion.prompt shows."""
    cat = catalogue()
    assert item_spec("therapy.drug").text == cat.answers["drug_heparin"].prompt
    assert item_spec("member.diagnoses").text == "Which diagnoses (ICD-10-CM codes) does the member have?"
    assert item_spec("current_device.functioning").text == cat.answers["current_functioning"].prompt
    assert item_spec("current_device.under_warranty").text == cat.questions["current_out_of_warranty"]
    for name in ("heparin-at-home",):
        for item in open_questions(decide(example(name))):
            assert item_spec(item.field).text == item.prompt
    for item in open_questions(decide(bare_case())):
        if len(item_spec(item.field).conditions) == len(item.questions) or item.answer.type != "boolean":
            assert item_spec(item.field).text == item.prompt, item.field


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [("insulin-pump-type1", "insulin_pump", None), ("v-go", "v_go", None),
     ("pump-upgrade-for-new-technology", "insulin_pump", None)],
)
def test_complete_decisions_have_no_questionnaire(name: str, kind: str, expected: None) -> None:
    decision = decide(example(name))
    assert decision.complete
    assert questionnaire_for(decision, kind) is expected


def test_the_questionnaire_of_a_decision_asks_its_open_fields_in_order() -> None:
    decision = decide(example("heparin-at-home"))
    assert not decision.complete
    qid = questionnaire_for(decision, "infusion_pump")
    assert qid is not None
    fields = [item.field for item in open_questions(decision)]
    assert decode_questionnaire_id(qid) == (fields, "infusion_pump")
    resource = validated(questionnaire(qid, BASE))
    assert [item["linkId"] for item in resource["item"]] == fields
    assert {item["type"] for item in resource["item"]} == {"boolean", "decimal"}


# --- the answers ------------------------------------------------------------------------------


def sample_answer(item: dict[str, Any], *, yes: bool = True) -> list[dict[str, Any]]:
    """A valid answer for an item of the Questionnaire."""
    kind = item["type"]
    if kind == "boolean":
        return [{"valueBoolean": yes}]
    if kind == "decimal":
        return [{"valueDecimal": 10.5}]
    if kind == "date":
        return [{"valueDate": "2019-06-01"}]
    if kind == "choice":
        return [{"valueCoding": item["answerOption"][0]["valueCoding"]}]
    if kind == "open-choice":
        return [{"valueCoding": item["answerOption"][0]["valueCoding"]}, {"valueString": "E11.9"}]
    return [{"valueString": "text"}]


def answer_all(resource: dict[str, Any], *, yes: bool = True) -> list[dict[str, Any]]:
    return [{"linkId": item["linkId"], "text": item["text"], "answer": sample_answer(item, yes=yes)}
            for item in resource["item"]]


@pytest.mark.parametrize("kind", KINDS)
def test_a_response_to_every_field_round_trips(kind: str) -> None:
    qid = questionnaire_id(list(answer_fields()), kind)
    resource = questionnaire(qid, BASE)
    answers = answers_from_response(response(qid, answer_all(resource)))
    assert list(answers) == list(answer_fields())
    for item in resource["item"]:
        field, value = item["linkId"], answers[item["linkId"]]
        spec = item_spec(field)
        if spec.type == "boolean":
            assert value is spec.yes_means
        elif spec.type == "number":
            assert value == Decimal("10.5")
        elif spec.type == "date":
            assert value == "2019-06-01"
        elif spec.type == "enum":
            assert value == field_values(field, kind)[0]
        elif spec.type == "codes":
            assert value == [item["answerOption"][0]["valueCoding"]["code"], "E11.9"]


def test_yes_answers_the_question_not_the_field() -> None:
    """'Is the current pump out of warranty?' answered yes: current_device.under_warranty is false."""
    items = [
        {"linkId": "current_device.under_warranty", "answer": [{"valueBoolean": True}]},
        {"linkId": "current_device.repairable", "answer": [{"valueBoolean": False}]},
        {"linkId": "current_device.functioning", "answer": [{"valueBoolean": True}]},
        {"linkId": "device.backup", "answer": [{"valueBoolean": False}]},
    ]
    assert answers_from_response(response(None, items)) == {
        "current_device.under_warranty": False,
        "current_device.repairable": True,
        "current_device.functioning": True,
        "device.backup": False,
    }


def test_items_without_answers_and_display_items_are_left_out() -> None:
    qid = questionnaire_id(["findings.pump_necessary_for_safety", "therapy.infusion_hours"], "infusion_pump")
    items = [
        {"linkId": "findings.pump_necessary_for_safety",
         "item": [{"linkId": "findings.pump_necessary_for_safety.policy-11", "text": "Policy, sentence 11: ..."}]},
        {"linkId": "therapy.infusion_hours", "answer": [{"valueDecimal": 8}]},
    ]
    assert answers_from_response(response(qid, items)) == {"therapy.infusion_hours": Decimal(8)}


def decide_after(case: dict[str, Any], answers: dict[str, Any]) -> Decision:
    for field, value in answers.items():
        case = set_field(case, field, value)
    return decide(case)


@pytest.mark.parametrize("yes", [True, False])
def test_answering_heparin_at_home_completes_the_decision(yes: bool) -> None:
    case = example("heparin-at-home")
    decision = decide(case)
    qid = questionnaire_for(decision, case["device"]["kind"])
    assert qid is not None
    resource = questionnaire(qid, BASE)
    answers = answers_from_response(response(qid, answer_all(resource, yes=yes)))
    assert set(answers) == {item.field for item in open_questions(decision)}
    after = decide_after(case, answers)
    assert after.complete
    assert questionnaire_for(after, case["device"]["kind"]) is None
    assert after.decision == ("covered" if yes else "not_medically_necessary")


@pytest.mark.parametrize("kind", ["infusion_pump", "insulin_pump", "omnipod_pdm"])
def test_answered_fields_are_not_asked_again(kind: str) -> None:
    case = bare_case(kind)
    decision = decide(case)
    qid = questionnaire_for(decision, kind)
    assert qid is not None
    resource = validated(questionnaire(qid, BASE))
    answers = answers_from_response(response(qid, answer_all(resource)))
    after = decide_after(case, answers)
    assert not {item.field for item in open_questions(after)} & set(answers)


def problems_of(items: list[dict[str, Any]], qid: str | None = None) -> list[str]:
    data: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    if qid is not None:
        data["questionnaire"] = f"{BASE}/Questionnaire/{qid}"
    with pytest.raises(InvalidCase) as raised:
        answers_from_response(data)
    return raised.value.problems()


def test_wrong_answers_name_the_item() -> None:
    items = [
        {"linkId": "findings.pump_necessary_for_safety", "answer": [{"valueBoolean": True}]},
        {"linkId": "therapy.infusion_hours", "answer": [{"valueDecimal": 8}]},
        {"linkId": "therapy.setting", "answer": [{"valueString": "home"}]},
        {"linkId": "no.such_field", "answer": [{"valueBoolean": True}]},
        {"linkId": "findings.home_parenteral_reasonable", "answer": [{"valueString": "yes"}]},
    ]
    problems = problems_of(items)
    assert problems[0].startswith("questionnaireResponse.item[2] (therapy.setting): ")
    assert "valueCoding" in problems[0]
    assert problems[1].startswith("questionnaireResponse.item[3] (no.such_field): ")
    assert problems[2].startswith("questionnaireResponse.item[4] (findings.home_parenteral_reasonable): ")
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"linkId": "therapy.infusion_hours", "answer": [{"valueDecimal": 8.125}]}, "at most 2 decimals"),
        ({"linkId": "therapy.infusion_hours", "answer": [{"valueDecimal": True}]}, "must be a number"),
        ({"linkId": "therapy.infusion_hours", "answer": [{"valueInteger": 8}]}, "valueDecimal"),
        ({"linkId": "therapy.drug", "answer": [{"valueCoding": {"code": "aspirin"}}]}, "not one of"),
        ({"linkId": "therapy.drug", "answer": [{"valueCoding": {"system": "http://other", "code": "heparin"}}]},
         "system"),
        ({"linkId": "current_device.received_on", "answer": [{"valueDate": "2019-06"}]}, "full date"),
        ({"linkId": "current_device.received_on", "answer": [{"valueDate": "2019-02-30"}]}, "real calendar date"),
        ({"linkId": "member.diagnoses", "answer": [{"valueCoding": {"system": "http://snomed.info/sct",
                                                                     "code": "44054006"}}]}, "icd-10-cm"),
        ({"linkId": "findings.pump_necessary_for_safety",
          "answer": [{"valueBoolean": True}, {"valueBoolean": False}]}, "one answer"),
        ({"linkId": "findings.pump_necessary_for_safety",
          "answer": [{"valueBoolean": True, "valueString": "yes"}]}, "one valueBoolean"),
        ({"linkId": "findings.pump_necessary_for_safety", "item": [{"linkId": "x", "answer": []}]}, "nested"),
    ],
)
def test_each_wrong_value_is_refused(item: dict[str, Any], message: str) -> None:
    [problem] = problems_of([item])
    assert problem.startswith(f"questionnaireResponse.item[0] ({item['linkId']}): ")
    assert message in problem


def test_an_item_twice_is_refused() -> None:
    item = {"linkId": "device.backup", "answer": [{"valueBoolean": True}]}
    assert problems_of([item, item]) == ["questionnaireResponse.item[1] (device.backup): answered twice"]


def test_a_response_answers_only_the_questions_of_its_questionnaire() -> None:
    qid = questionnaire_id(["device.backup"], "infusion_pump")
    problems = problems_of([{"linkId": "therapy.drug", "answer": [{"valueCoding": {"code": "heparin"}}]}], qid)
    assert problems == ["questionnaireResponse.item[0] (therapy.drug): not a question of this questionnaire"]
    with pytest.raises(InvalidCase, match="questionnaire"):
        answers_from_response({"resourceType": "QuestionnaireResponse", "status": "completed",
                               "questionnaire": "http://elsewhere.example/Questionnaire/prior-auth", "item": []})


def test_the_kind_of_the_questionnaire_limits_the_codes() -> None:
    qid = questionnaire_id(["device.hcpcs"], "insulin_pump")
    answer = {"linkId": "device.hcpcs", "answer": [{"valueCoding": {"system": HCPCS_SYSTEM, "code": "E0781"}}]}
    [problem] = problems_of([answer], qid)
    assert "E0784" in problem
    answer["answer"] = [{"valueCoding": {"system": HCPCS_SYSTEM, "code": "E0784"}}]
    assert answers_from_response(response(qid, [answer])) == {"device.hcpcs": "E0784"}


def test_not_a_response_is_refused() -> None:
    with pytest.raises(InvalidCase, match="QuestionnaireResponse"):
        answers_from_response({"resourceType": "Questionnaire"})
