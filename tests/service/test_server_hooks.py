"""The CDS Hooks service of `reasoner serve`, called over HTTP on a real server.

Da Vinci CRD: each DeviceRequest this policy governs comes back with the coverage-information
extension (valid FHIR R4, invariants crd-ci-q1..q5) and a card stating the decision and the
deciding sentence; open questions come as a Questionnaire whose response gives the new decision.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fhir.resources.R4B.devicerequest import DeviceRequest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from service_helpers import MAX_BODY

from reasoner.service.crd import COVERAGE_INFO_URL, check_invariants

HCPCS = "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
CMS_HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ORDER_SIGN = "/cds-services/pump-coverage-order-sign"


def device_request(code: str, *, rid: str = "dr-1", system: str = HCPCS, text: str | None = None,
                   diagnosis: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text:
        concept["text"] = text
    order: dict[str, Any] = {
        "resourceType": "DeviceRequest", "id": rid, "status": "draft", "intent": "order",
        "codeCodeableConcept": concept, "subject": {"reference": "Patient/p1"},
        "occurrenceDateTime": "2020-07-02", "insurance": [{"reference": "Coverage/c1"}],
    }
    if diagnosis:
        order["reasonCode"] = [{"coding": [{"system": ICD10CM, "code": diagnosis}]}]
    return order


def medication_request(text: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"text": text}, "subject": {"reference": "Patient/p1"}}


def hook(
    *resources: dict[str, Any], prefetch: dict[str, Any] | None = None, kind: str = "order-sign",
) -> dict[str, Any]:
    return {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": kind,
        "context": {"userId": "Practitioner/1", "patientId": "p1",
                    "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                    "entry": [{"resource": r} for r in resources]}},
        "prefetch": prefetch or {},
    }


def coverage_parts(resource: dict[str, Any]) -> dict[str, Any]:
    """The coverage-information extension's parts, by url (and the extension itself under "")."""
    [extension] = [e for e in resource["extension"] if e["url"] == COVERAGE_INFO_URL]
    assert check_invariants(extension) == []
    parts: dict[str, Any] = {"": extension}
    for part in extension["extension"]:
        value = next(v for k, v in part.items() if k.startswith("value"))
        parts[part["url"]] = value
    return parts


def call(client: httpx.Client, body: dict[str, Any], path: str = ORDER_SIGN) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    for action in data.get("systemActions", []):
        assert action["type"] == "update"
        DeviceRequest.model_validate(action["resource"])
    for card in data.get("cards", []):
        assert len(card["summary"]) <= 140
        assert card["source"]["topic"]["code"] == "coverage-info"
    return data


def test_discovery_lists_order_sign_and_order_select_with_prefetch(client: httpx.Client) -> None:
    services = client.get("/cds-services").json()["services"]
    assert {s["hook"] for s in services} == {"order-sign", "order-select"}
    for service in services:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def test_an_insulin_pump_for_type_1_diabetes_is_covered(client: httpx.Client) -> None:
    """Listed indications, bullet 5: "Insulin for Diabetes Mellitus." """
    body = hook(device_request("E0784", system=CMS_HCPCS, diagnosis="E10.9"), medication_request("insulin lispro"))
    data = call(client, body)
    [action] = data["systemActions"]
    parts = coverage_parts(action["resource"])
    assert _code(parts["covered"]) == "covered"
    assert _code(parts["pa-needed"]) == "no-auth"
    assert "questionnaire" not in parts
    [card] = data["cards"]
    assert "covered" in card["summary"].lower()
    assert "Insulin for Diabetes Mellitus." in card["detail"]


def test_heparin_without_a_setting_is_conditional_with_a_questionnaire(client: httpx.Client) -> None:
    """Heparin is "covered only in an institutional setting": with no setting given, the decision is
    open, the order is conditional, and the questionnaire asks for the setting."""
    body = hook(device_request("E0781", diagnosis="I82.401"), medication_request("heparin sodium"))
    data = call(client, body)
    parts = coverage_parts(data["systemActions"][0]["resource"])
    assert _code(parts["covered"]) == "conditional"
    assert _code(parts["doc-needed"]) == "clinical"
    url = parts["questionnaire"]
    questionnaire = client.get(url.removeprefix(str(client.base_url).rstrip("/"))).json()
    Questionnaire.model_validate(questionnaire)
    asked = [item["linkId"] for item in questionnaire["item"]]
    assert "therapy.setting" in asked
    assert data["cards"][0]["indicator"] == "warning"


def test_a_v_go_is_not_covered(client: httpx.Client) -> None:
    """V-Go "is considered experimental/investigative and therefore, non-covered"."""
    body = hook(device_request("A9274", text="V-Go disposable insulin delivery device", diagnosis="E11.9"))
    data = call(client, body)
    parts = coverage_parts(data["systemActions"][0]["resource"])
    assert _code(parts["covered"]) == "not-covered"
    assert "experimental" in data["cards"][0]["detail"].lower()


def test_an_order_outside_the_policy_gets_no_coverage_information_and_no_error(client: httpx.Client) -> None:
    data = call(client, hook(device_request("E0601", diagnosis="G47.33")))
    assert data.get("systemActions", []) == []
    assert data.get("cards", []) == []


def test_a_questionnaire_response_answers_the_questions_and_gives_the_new_decision(client: httpx.Client) -> None:
    """Round trip: the hook's questionnaire, answered, sent back to POST /decide/fhir with the case,
    and with the next hook call; the decision is complete and the order no longer conditional."""
    order = device_request("E0781", diagnosis="I82.401")
    first = call(client, hook(order, medication_request("heparin sodium")))
    url = coverage_parts(first["systemActions"][0]["resource"])["questionnaire"]
    questionnaire = client.get(url.removeprefix(str(client.base_url).rstrip("/"))).json()
    response = answered(questionnaire, url)
    QuestionnaireResponse.model_validate(response)
    again = call(client, hook(order, medication_request("heparin sodium"),
                              prefetch={"questionnaireResponse": response}))
    parts = coverage_parts(again["systemActions"][0]["resource"])
    assert _code(parts["covered"]) == "covered"  # inpatient: "covered only in an institutional setting"
    case = {"case_id": "dr-1", "date_of_service": "2020-07-02", "member": {"diagnoses": ["I82.401"]},
            "therapy": {"drug": "heparin"}, "device": {"kind": "infusion_pump", "hcpcs": "E0781"}}
    decision = client.post("/decide/fhir", json={"case": case, "questionnaireResponse": response}).json()
    assert decision["decision"] == "covered"
    assert decision["complete"] is True


def answered(questionnaire: dict[str, Any], url: str) -> dict[str, Any]:
    """A QuestionnaireResponse that answers every question: yes, 6 hours, inpatient, I26.99."""
    items = []
    for item in questionnaire["item"]:
        value: dict[str, Any]
        if item["type"] == "boolean":
            value = {"valueBoolean": True}
        elif item["type"] == "decimal":
            value = {"valueDecimal": 6}
        elif item["type"] == "date":
            value = {"valueDate": "2019-06-01"}
        elif item["linkId"] == "therapy.setting":
            [option] = [o for o in item["answerOption"] if o["valueCoding"]["code"] == "inpatient"]
            value = dict(option)
        elif item["type"] in ("choice", "open-choice"):
            value = dict(item["answerOption"][0])
        else:
            value = {"valueString": "x"}
        items.append({"linkId": item["linkId"], "answer": [value]})
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": url, "item": items}


def _code(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["coding"][0]["code"])
    return str(value)


def test_a_malformed_hook_is_422_naming_the_path(client: httpx.Client) -> None:
    response = client.post(ORDER_SIGN, json={"hook": "order-sign", "hookInstance": "x", "context": {}})
    assert response.status_code == 422
    assert any("context.draftOrders" in problem for problem in response.json()["errors"])
    assert "Traceback" not in response.text


def test_a_hook_sent_to_the_wrong_service_or_an_unknown_one_is_refused(client: httpx.Client) -> None:
    wrong = client.post(ORDER_SIGN, json=hook(device_request("E0784"), kind="order-select"))
    assert wrong.status_code == 422
    unknown = client.post("/cds-services/nope", json=hook(device_request("E0784")))
    assert unknown.status_code == 404
    assert client.get("/Questionnaire/not-an-id").status_code == 404


def test_an_oversized_hook_is_413(client: httpx.Client) -> None:
    body = hook(device_request("E0784", text="x" * (MAX_BODY + 1)))
    response = client.post(ORDER_SIGN, content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_concurrent_identical_hooks_get_identical_answers(server: str) -> None:
    body = json.dumps(hook(device_request("E0781", diagnosis="I82.401"), medication_request("heparin sodium")))

    def post(_: int) -> str:
        with httpx.Client(base_url=server, timeout=60) as session:
            return session.post(ORDER_SIGN, content=body, headers={"content-type": "application/json"}).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = set(pool.map(post, range(24)))
    assert len(answers) == 1
