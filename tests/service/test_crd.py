"""The CDS Hooks response (reasoner/service/crd.py): the Da Vinci coverage-information extension
on each decided DeviceRequest, valid as FHIR R4 (fhir.resources R4B) and under the invariants
crd-ci-q1..q5, and one card per decided order."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.devicerequest import DeviceRequest

from reasoner import decide
from reasoner.decision import Decision
from reasoner.service.crd import (
    COVERAGE_INFO_URL,
    CRD_TEMP_SYSTEM,
    INVARIANTS,
    MAX_SUMMARY,
    NO_COVERAGE_DISPLAY,
    RULE_SYSTEM,
    check_invariants,
    coverage_information,
    hook_response,
    summary,
)
from reasoner.service.questionnaire import HCPCS_SYSTEM, open_questions, questionnaire_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json") if p.name != "expected.json")
# A copy of the Da Vinci CRD STU 2.0.1 package's definition of the extension, with its invariants.
STRUCTURE_DEFINITION = ROOT / "tests" / "service" / "fhir" / "StructureDefinition-ext-coverage-information.json"
BASE = "https://payer.example/crd"
TODAY = date(2024, 5, 6)
OTHER_EXTENSION = {"url": "http://example.org/fhir/StructureDefinition/ordering-note", "valueString": "kept"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def order_for(case: dict[str, Any], *, insurance: bool = True) -> dict[str, Any]:
    """A draft DeviceRequest for the case's device, with an extension of its own."""
    order: dict[str, Any] = {
        "resourceType": "DeviceRequest",
        "id": f"dr-{case['case_id']}",
        "extension": [copy.deepcopy(OTHER_EXTENSION)],
        "status": "draft",
        "intent": "original-order",
        "codeCodeableConcept": {"coding": [{"system": HCPCS_SYSTEM, "code": case["device"].get("hcpcs", "E1399")}]},
        "subject": {"reference": "Patient/p1"},
        "authoredOn": case["date_of_service"],
    }
    if insurance:
        order["insurance"] = [{"reference": "Coverage/cov-1"}]
    DeviceRequest.model_validate(order)
    return order


def respond(pairs: list[tuple[dict[str, Any], Decision | None]], kinds: dict[int, str],
            today: date = TODAY) -> dict[str, Any]:
    def url_for(decision: Decision) -> str | None:
        qid = questionnaire_for(decision, kinds[id(decision)])
        return f"{BASE}/Questionnaire/{qid}" if qid else None

    return hook_response(pairs, base_url=BASE, today=today, questionnaire_url_for=url_for)


def decided(name: str) -> tuple[dict[str, Any], Decision, dict[str, Any]]:
    """The example's order, its decision, and the hook response for it alone."""
    case = example(name)
    order = order_for(case)
    decision = decide(case)
    return order, decision, respond([(order, decision)], {id(decision): case["device"]["kind"]})


def parts(extension: dict[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for part in extension["extension"]:
        [value] = [v for k, v in part.items() if k.startswith("value")]
        found.setdefault(part["url"], []).append(value)
    return found


def coverage_extension(resource: dict[str, Any]) -> dict[str, Any]:
    [extension] = [e for e in resource["extension"] if e["url"] == COVERAGE_INFO_URL]
    return extension


# --- the invariants ---------------------------------------------------------------------------


def test_the_invariants_are_the_structure_definitions_own_words() -> None:
    definition = json.loads(STRUCTURE_DEFINITION.read_text(encoding="utf-8"))
    [root] = [e for e in definition["snapshot"]["element"] if e["id"] == "Extension"]
    expressions = {c["key"]: c["expression"] for c in root["constraint"] if c["key"].startswith("crd-ci-")}
    assert expressions == INVARIANTS


def extension_with(*values: tuple[str, Any]) -> dict[str, Any]:
    """A coverage-information extension with the required parts and these (url, code) parts."""
    body = [{"url": "coverage", "valueReference": {"reference": "Coverage/c"}}]
    for url, value in values:
        key = "valueCanonical" if url == "questionnaire" else "valueString" if url == "satisfied-pa-id" \
            else "valueCode"
        body.append({"url": url, key: value})
    body += [{"url": "date", "valueDate": "2024-01-01"}, {"url": "coverage-assertion-id", "valueString": "a"}]
    return {"url": COVERAGE_INFO_URL, "extension": body}


@pytest.mark.parametrize(
    ("broken", "key"),
    [
        (extension_with(("covered", "conditional"), ("pa-needed", "conditional"),
                        ("questionnaire", "http://q.example/Questionnaire/q")), "crd-ci-q1"),
        (extension_with(("covered", "conditional"), ("pa-needed", "conditional"), ("doc-needed", "no-doc"),
                        ("questionnaire", "http://q.example/Questionnaire/q")), "crd-ci-q1"),
        (extension_with(("covered", "covered")), "crd-ci-q2"),
        (extension_with(("covered", "conditional")), "crd-ci-q2"),
        (extension_with(("covered", "covered"), ("pa-needed", "no-auth"), ("doc-needed", "clinical"),
                        ("info-needed", "OTH")), "crd-ci-q3"),
        (extension_with(("covered", "covered"), ("pa-needed", "satisfied"), ("doc-purpose", "PA"),
                        ("satisfied-pa-id", "pa-1")), "crd-ci-q4"),
        (extension_with(("covered", "covered"), ("pa-needed", "satisfied")), "crd-ci-q5"),
        (extension_with(("covered", "covered"), ("pa-needed", "no-auth"), ("satisfied-pa-id", "pa-1")), "crd-ci-q5"),
    ],
)
def test_check_invariants_catches_each_broken_invariant(broken: dict[str, Any], key: str) -> None:
    assert check_invariants(broken) == [key]


@pytest.mark.parametrize(
    "good",
    [
        extension_with(("covered", "covered"), ("pa-needed", "no-auth")),
        extension_with(("covered", "not-covered")),
        extension_with(("covered", "conditional"), ("pa-needed", "conditional"), ("doc-needed", "clinical"),
                       ("info-needed", "OTH"), ("questionnaire", "http://q.example/Questionnaire/q")),
        extension_with(("covered", "covered"), ("pa-needed", "satisfied"), ("doc-purpose", "withclaim"),
                       ("satisfied-pa-id", "pa-1")),
    ],
)
def test_check_invariants_passes_valid_extensions(good: dict[str, Any]) -> None:
    before = copy.deepcopy(good)
    assert check_invariants(good) == []
    assert good == before  # fhirpathpy annotates what it evaluates: a copy is evaluated


# --- the extension and the response, for every example ----------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_gives_a_valid_response(name: str) -> None:
    order, decision, answer = decided(name)
    if decision.decision == "not_applicable":
        assert answer == {"cards": [], "systemActions": []}
        return
    [action] = answer["systemActions"]
    [card] = answer["cards"]
    assert action["type"] == "update"
    resource = action["resource"]
    DeviceRequest.model_validate(resource)
    assert resource["extension"][0] == OTHER_EXTENSION
    extension = coverage_extension(resource)
    assert check_invariants(extension) == []
    found = parts(extension)
    assert found["coverage"] == [{"reference": "Coverage/cov-1"}]
    assert found["date"] == [TODAY.isoformat()]
    assert found["billingCode"] == order["codeCodeableConcept"]["coding"]
    assert decision.rule is not None
    [reason] = found["reason"]
    assert reason["coding"] == [{"system": RULE_SYSTEM, "code": decision.rule.rule, "display": decision.rule.label}]
    assert reason["text"].startswith(decision.rule.label)
    assert reason["text"].endswith(decision.rule.citation.sentence)
    assert order == order_for(example(name))  # the order itself is left as it was
    assert len(card["summary"]) <= MAX_SUMMARY
    assert card["source"]["topic"] == {"system": CRD_TEMP_SYSTEM, "code": "coverage-info"}
    assert card["source"]["label"] == "Portable External Infusion Pump medical policy"
    assert decision.rule.citation.sentence in card["detail"]
    for number in decision.rule.citation.numbers:
        assert str(number) in card["detail"]
    if open_questions(decision):
        [url] = found["questionnaire"]
        assert card["links"] == [{"label": "Answer the open questions (FHIR Questionnaire)", "url": url,
                                  "type": "absolute"}]
        for item in open_questions(decision):
            assert f"`{item.field}`" in card["detail"]
    else:
        assert "questionnaire" not in found
        assert "links" not in card


@pytest.mark.parametrize(
    ("name", "covered", "pa", "indicator"),
    [("insulin-pump-type1", "covered", ["no-auth"], "info"),
     ("v-go", "not-covered", None, "warning"),
     ("pump-upgrade-for-new-technology", "not-covered", None, "warning"),
     ("heparin-at-home", "conditional", ["conditional"], "warning")],
)
def test_the_decision_sets_covered_and_pa_needed(name: str, covered: str, pa: list[str] | None,
                                                 indicator: str) -> None:
    _, decision, answer = decided(name)
    found = parts(coverage_extension(answer["systemActions"][0]["resource"]))
    assert found["covered"] == [covered]
    assert found.get("pa-needed") == pa
    assert answer["cards"][0]["indicator"] == indicator
    asking = name == "heparin-at-home"
    assert not decision.complete if asking else decision.complete
    assert found.get("doc-needed") == (["clinical"] if asking else None)
    assert found.get("info-needed") == (["OTH"] if asking else None)


def test_the_summaries_say_the_decision() -> None:
    assert decided("insulin-pump-type1")[2]["cards"][0]["summary"] == (
        "Pump E0784: covered (Listed indication: insulin for diabetes mellitus)")
    assert decided("heparin-at-home")[2]["cards"][0]["summary"] == (
        "Pump E0781: coverage conditional, 8 questions open (as it stands: not medically necessary)")
    assert decided("v-go")[2]["cards"][0]["summary"].startswith("Pump A9274: not covered, experimental/investigational")


def test_a_long_summary_is_cut_safely() -> None:
    case = example("pump-upgrade-for-new-technology")
    decision = decide(case)
    assert decision.rule is not None
    long_rule = dataclasses.replace(decision.rule, label="A very long paraphrase " * 12)
    text = summary(order_for(case), dataclasses.replace(decision, rule=long_rule))
    assert len(text) <= MAX_SUMMARY
    assert text.endswith("…")
    assert text.startswith("Pump E0784: not covered, not medically necessary (A very long")


def test_orders_outside_the_policy_get_nothing() -> None:
    case = example("insulin-pump-type1")
    other = order_for(case) | {"id": "dr-other",
                                "codeCodeableConcept": {"coding": [{"system": HCPCS_SYSTEM, "code": "E0100"}]}}
    decision = decide(case)
    answer = respond([(other, None), (order_for(case), decision)], {id(decision): "insulin_pump"})
    assert len(answer["cards"]) == len(answer["systemActions"]) == 1
    assert answer["systemActions"][0]["resource"]["id"] == "dr-EX-01"
    assert respond([(other, None)], {}) == {"cards": [], "systemActions": []}


def test_identical_requests_give_identical_answers() -> None:
    first, second = decided("heparin-at-home")[2], decided("heparin-at-home")[2]
    assert first == second
    case = example("heparin-at-home")
    decision = decide(case)
    later = respond([(order_for(case), decision)], {id(decision): "infusion_pump"}, today=date(2024, 5, 7))
    ids = [parts(coverage_extension(a["systemActions"][0]["resource"]))["coverage-assertion-id"]
           for a in (first, later)]
    assert ids[0] != ids[1]
    assert first["cards"][0]["uuid"] != later["cards"][0]["uuid"]


def test_an_order_without_insurance_gets_a_display_only_coverage() -> None:
    case = example("v-go")
    order = order_for(case, insurance=False)
    decision = decide(case)
    answer = respond([(order, decision)], {id(decision): "v_go"})
    resource = answer["systemActions"][0]["resource"]
    DeviceRequest.model_validate(resource)
    assert parts(coverage_extension(resource))["coverage"] == [{"display": NO_COVERAGE_DISPLAY}]


def test_an_earlier_assertion_for_the_same_coverage_is_replaced() -> None:
    case = example("heparin-at-home")
    order, decision, answer = decided("heparin-at-home")
    echoed = copy.deepcopy(answer["systemActions"][0]["resource"])
    elsewhere = copy.deepcopy(coverage_extension(echoed))
    elsewhere["extension"][0]["valueReference"] = {"reference": "Coverage/other-payer"}
    echoed["extension"].append(elsewhere)
    again = respond([(echoed, decision)], {id(decision): case["device"]["kind"]})
    resource = again["systemActions"][0]["resource"]
    urls = [e["url"] for e in resource["extension"]]
    assert urls == [OTHER_EXTENSION["url"], COVERAGE_INFO_URL, COVERAGE_INFO_URL]
    assert resource["extension"][1] == elsewhere
    assert parts(resource["extension"][2])["coverage"] == [{"reference": "Coverage/cov-1"}]
    # The assertion does not depend on an earlier assertion carried by the order.
    assert resource["extension"][2] == coverage_extension(answer["systemActions"][0]["resource"])
    assert order["extension"] == [OTHER_EXTENSION]


def test_the_questionnaire_url_is_asked_only_while_questions_are_open() -> None:
    asked: list[Decision] = []

    def url_for(decision: Decision) -> str | None:
        asked.append(decision)
        return f"Questionnaire/{questionnaire_for(decision, 'infusion_pump')}"

    pairs = []
    for name in ("insulin-pump-type1", "heparin-at-home"):
        case = example(name)
        pairs.append((order_for(case), decide(case)))
    answer = hook_response(pairs, base_url=BASE + "/", today=TODAY, questionnaire_url_for=url_for)
    assert asked == [pairs[1][1]]
    [url] = parts(coverage_extension(answer["systemActions"][1]["resource"]))["questionnaire"]
    assert url.startswith(f"{BASE}/Questionnaire/pump-")  # a relative URL is resolved against base_url
    assert "links" not in answer["cards"][0]


def test_coverage_information_takes_a_reference_or_its_text() -> None:
    case = example("heparin-at-home")
    decision = decide(case)
    common: dict[str, Any] = {"questionnaire_url": None, "today": TODAY, "assertion_id": "x-1"}
    as_text = coverage_information(order_for(case), decision, coverage_ref="Coverage/9", **common)
    as_reference = coverage_information(order_for(case), decision,
                                        coverage_ref={"reference": "Coverage/9"}, **common)
    assert as_text == as_reference
    assert "questionnaire" not in parts(as_text)  # no URL given: doc-needed alone
    assert parts(as_text)["doc-needed"] == ["clinical"]
    assert check_invariants(as_text) == []
    complete = decide(example("insulin-pump-type1"))
    ignored = coverage_information(order_for(case), complete, coverage_ref="Coverage/9", today=TODAY,
                                   assertion_id="x-2", questionnaire_url=f"{BASE}/Questionnaire/q")
    assert "questionnaire" not in parts(ignored)


def test_a_decision_with_no_policy_in_force_makes_no_assertion() -> None:
    case = example("before-policy-effective")
    decision = decide(case)
    assert decision.decision == "not_applicable"
    with pytest.raises(ValueError, match="no coverage assertion"):
        coverage_information(order_for(case), decision, coverage_ref="Coverage/1", questionnaire_url=None,
                             today=TODAY, assertion_id="x")
