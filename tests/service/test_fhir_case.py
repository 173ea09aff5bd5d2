"""A CDS Hooks request mapped to cases (reasoner/service/fhir_case.py, docs/fhir.md).

Every FHIR resource built here is validated as an R4 resource (fhir.resources' R4B models),
and every case mapped is validated as a case (reasoner.case.parse_case).
"""

from __future__ import annotations

import socket
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.devicerequest import DeviceRequest
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest

from reasoner import decide
from reasoner.case import parse_case
from reasoner.errors import InvalidCase
from reasoner.service.fhir_case import (
    GOVERNED_DEVICE_CODES,
    HCPCS_SYSTEMS,
    ICD10CM_SYSTEM,
    OrderCase,
    cases_from_hook,
)
from reasoner.vocabulary import DEVICE_CODES

CMS_HCPCS, BLUE_BUTTON_HCPCS = HCPCS_SYSTEMS
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PATIENT = "pat-1"
TODAY = date(2021, 3, 15)


# --- building R4 resources ----------------------------------------------------------------------


def r4(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The resource as a plain dict, once the R4 model accepts it."""
    model.model_validate(data)
    return data


def device_request(
    code: str | None = "E0784",
    *,
    rid: str | None = "dr-1",
    system: str | None = BLUE_BUTTON_HCPCS,
    display: str | None = None,
    text: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if code is not None:
        coding: dict[str, Any] = {"code": code}
        if system is not None:
            coding["system"] = system
        if display is not None:
            coding["display"] = display
        concept["coding"] = [coding]
    if text is not None:
        concept["text"] = text
    resource: dict[str, Any] = {
        "resourceType": "DeviceRequest", "status": "draft", "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
    }
    if concept:
        resource["codeCodeableConcept"] = concept
    if rid is not None:
        resource["id"] = rid
    resource.update(elements)
    return r4(DeviceRequest, resource)


def medication_request(text: str, *, rid: str = "mr-1", status: str = "draft") -> dict[str, Any]:
    return r4(MedicationRequest, {
        "resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "0", "display": text}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
    })


def condition(
    code: str, *, rid: str = "cond-1", clinical: str | None = "active", verification: str | None = None,
    subject: str = f"Patient/{PATIENT}", system: str = ICD10CM_SYSTEM,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition", "id": rid,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": subject},
    }
    if clinical is not None:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
    if verification is not None:
        resource["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": verification}]}
    return r4(Condition, resource)


def patient(birth_date: str | None, *, rid: str = PATIENT) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": rid}
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return r4(Patient, resource)


def bundle(*resources: dict[str, Any], kind: str = "collection", urls: list[str] | None = None) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [{"resource": resource} for resource in resources]
    for entry, url in zip(entries, urls or [], strict=False):
        entry["fullUrl"] = url
    return r4(Bundle, {"resourceType": "Bundle", "type": kind, "entry": entries})


def hook(
    *orders: dict[str, Any],
    name: str = "order-sign",
    prefetch: dict[str, Any] | None = None,
    selections: list[Any] | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/prac-1", "patientId": PATIENT,
                               "draftOrders": bundle(*orders, urls=urls)}
    if selections is not None:
        context["selections"] = selections
    request: dict[str, Any] = {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": name,
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": {"access_token": "token", "token_type": "Bearer", "expires_in": 300,
                              "scope": "patient/*.read", "subject": "reasoner"},
        "context": context,
    }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request


def mapped(request: dict[str, Any]) -> list[OrderCase]:
    """The orders, each mapped case checked to be a valid case."""
    orders = cases_from_hook(request, today=TODAY)
    for order in orders:
        if order.case is not None:
            parse_case(order.case)
        else:
            assert order.why_no_case
    return orders


def one_case(request: dict[str, Any]) -> dict[str, Any]:
    (order,) = mapped(request)
    assert order.case is not None
    return order.case


def problems(request: Any) -> list[str]:
    with pytest.raises(InvalidCase) as raised:
        cases_from_hook(request, today=TODAY)
    return raised.value.problems()


# --- the device code ----------------------------------------------------------------------------


@pytest.mark.parametrize("system", HCPCS_SYSTEMS)
def test_either_hcpcs_system_gives_the_device_code_and_kind(system: str) -> None:
    request = device_request("E0784", system=system)
    (order,) = mapped(hook(request))
    assert order.reference == "DeviceRequest/dr-1"
    assert order.request is request
    assert order.hcpcs == "E0784"
    assert order.case is not None
    assert order.case["device"] == {"kind": "insulin_pump", "hcpcs": "E0784"}
    assert order.case["case_id"] == "DeviceRequest/dr-1"


def test_insulin_pump_with_insulin_for_type_1_diabetes_is_covered() -> None:
    request = device_request(
        "E0784", system=CMS_HCPCS, display="Ambulatory infusion pump, insulin",
        reasonCode=[{"coding": [{"system": ICD10CM_SYSTEM, "code": "E10.9"}]}],
        occurrenceDateTime="2020-07-02",
    )
    case = one_case(hook(request, medication_request("insulin lispro 100 UNT/ML Injectable Solution")))
    assert case == {
        "case_id": "DeviceRequest/dr-1", "date_of_service": "2020-07-02",
        "member": {"diagnoses": ["E10.9"], "diagnoses_complete": False}, "therapy": {"drug": "insulin"},
        "device": {"kind": "insulin_pump", "hcpcs": "E0784"},
    }
    decision = decide(case).to_json()
    assert decision["decision"] == "covered"
    assert decision["complete"] is True


@pytest.mark.parametrize(("code", "kind"), [
    ("E0779", "infusion_pump"), ("E0780", "infusion_pump"), ("E0781", "infusion_pump"),
    ("E0791", "infusion_pump"), ("K0455", "infusion_pump"), ("E1399", "infusion_pump"),
    ("E0784", "insulin_pump"),
])
def test_each_pump_code_gives_its_device_kind(code: str, kind: str) -> None:
    assert one_case(hook(device_request(code)))["device"] == {"kind": kind, "hcpcs": code}


def test_the_governed_codes_are_the_policy_device_codes() -> None:
    assert {"E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399", "A9274"} == GOVERNED_DEVICE_CODES
    assert set().union(*DEVICE_CODES.values()) == GOVERNED_DEVICE_CODES


@pytest.mark.parametrize(("words", "kind"), [
    ({"display": "Omnipod DASH Pods (5 pack)"}, "omnipod_dash"),
    ({"text": "OmniPod insulin management system"}, "omnipod"),
    ({"display": "Omnipod DASH Personal Diabetes Manager"}, "omnipod_pdm"),
    ({"text": "Omnipod PDM replacement"}, "omnipod_pdm"),
    ({"display": "V-Go 20 wearable insulin delivery device"}, "v_go"),
    ({"text": "VGo 40"}, "v_go"),
])
def test_a9274_takes_its_kind_from_the_order_words(words: dict[str, str], kind: str) -> None:
    case = one_case(hook(device_request("A9274", **words)))
    assert case["device"] == {"kind": kind, "hcpcs": "A9274"}


@pytest.mark.parametrize("words", [
    {},
    {"display": "External ambulatory insulin delivery system, disposable, each"},
    {"text": "V-Go or Omnipod, whichever the pharmacy has"},
    {"text": "Dash pods"},
])
def test_a9274_without_a_clear_device_has_no_case(words: dict[str, str]) -> None:
    (order,) = mapped(hook(device_request("A9274", **words)))
    assert order.case is None
    assert order.hcpcs == "A9274"
    assert order.why_no_case is not None
    assert "V-Go" in order.why_no_case


def test_v_go_is_experimental() -> None:
    request = device_request("A9274", text="V-Go 30", reasonCode=[
        {"coding": [{"system": ICD10CM_SYSTEM, "code": "E11.9"}]}], occurrenceDateTime="2020-07-02")
    decision = decide(one_case(hook(request))).to_json()
    assert decision["decision"] == "experimental_investigational"


def test_e1399_is_an_infusion_pump_unless_it_names_the_omnipod_pdm() -> None:
    assert one_case(hook(device_request("E1399", display="Omnipod PDM")))["device"]["kind"] == "omnipod_pdm"
    assert one_case(hook(device_request("E1399", display="PDM")))["device"]["kind"] == "infusion_pump"
    assert one_case(hook(device_request("E1399", text="Miscellaneous DME")))["device"]["kind"] == "infusion_pump"


@pytest.mark.parametrize("code", ["E0601", "A4230", "K0601", "E0607"])
def test_a_code_the_policy_does_not_decide_as_an_order_has_no_case(code: str) -> None:
    (order,) = mapped(hook(device_request(code, display="Continuous positive airway pressure (CPAP) device")))
    assert order.case is None
    assert order.hcpcs == code
    assert order.why_no_case == f"{code} is not a device code the Portable External Infusion Pump policy decides"


def test_an_order_without_an_hcpcs_coding_has_no_case() -> None:
    (order,) = mapped(hook(device_request("69805007", system=SNOMED, display="Insulin pump")))
    assert (order.case, order.hcpcs) == (None, None)
    assert order.why_no_case == "the order carries no HCPCS code"


def test_a_coding_without_system_counts_only_when_it_is_a_policy_device_code() -> None:
    assert one_case(hook(device_request("e0784", system=None)))["device"]["hcpcs"] == "E0784"
    (order,) = mapped(hook(device_request("E0601", system=None)))
    assert (order.case, order.hcpcs) == (None, None)


def test_the_first_governed_code_wins_over_other_hcpcs_codes() -> None:
    request = device_request("E0601")
    request["codeCodeableConcept"]["coding"].append({"system": CMS_HCPCS, "code": "E0781"})
    r4(DeviceRequest, request)
    assert one_case(hook(request))["device"]["hcpcs"] == "E0781"


def test_code_reference_to_a_device_reads_its_type_and_names() -> None:
    device = r4(Device, {
        "resourceType": "Device", "id": "pod",
        "type": {"coding": [{"system": CMS_HCPCS, "code": "A9274"}]},
        "deviceName": [{"name": "Omnipod DASH", "type": "user-friendly-name"}],
    })
    request = device_request(None, codeReference={"reference": "#pod"}, contained=[device])
    assert one_case(hook(request))["device"] == {"kind": "omnipod_dash", "hcpcs": "A9274"}


# --- orders, selections, references ---------------------------------------------------------------


def test_one_order_case_per_device_request_in_order_other_orders_ignored() -> None:
    service = r4(ServiceRequest, {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft",
                                  "intent": "order", "subject": {"reference": f"Patient/{PATIENT}"}})
    orders = mapped(hook(
        device_request("E0601", rid="cpap"), service, device_request("E0784", rid="pump"),
        device_request("E0781", rid=None), medication_request("heparin"),
    ))
    assert [order.reference for order in orders] == ["DeviceRequest/cpap", "DeviceRequest/pump", "DeviceRequest/#3"]
    assert [order.hcpcs for order in orders] == ["E0601", "E0784", "E0781"]
    assert orders[0].case is None
    assert orders[2].case is not None
    assert orders[2].case["case_id"] == "DeviceRequest/#3"


def test_no_draft_orders_no_order_cases() -> None:
    request = hook()
    del request["context"]["draftOrders"]["entry"]
    assert mapped(request) == []


def test_order_select_maps_only_the_selected_device_requests() -> None:
    orders = (device_request("E0784", rid="a"), device_request("E0781", rid="b"), medication_request("insulin"))
    selected = mapped(hook(*orders, name="order-select", selections=["DeviceRequest/b"]))
    assert [order.reference for order in selected] == ["DeviceRequest/b"]
    everything = mapped(hook(*orders, name="order-select"))
    assert [order.reference for order in everything] == ["DeviceRequest/a", "DeviceRequest/b"]
    only_drug = mapped(hook(*orders, name="order-select", selections=["MedicationRequest/mr-1"]))
    assert only_drug == []


def test_order_sign_ignores_selections() -> None:
    orders = (device_request("E0784", rid="a"), device_request("E0781", rid="b"))
    assert len(mapped(hook(*orders, selections=["DeviceRequest/b"]))) == 2


def test_a_selection_must_be_among_the_draft_orders() -> None:
    request = hook(device_request(), name="order-select", selections=["DeviceRequest/zz", 7])
    assert problems(request) == [
        'context.selections[1]: must be a reference such as "DeviceRequest/123"',
    ]
    request = hook(device_request(), name="order-select", selections=["DeviceRequest/zz"])
    assert problems(request) == ["context.selections[0]: DeviceRequest/zz is not in context.draftOrders"]


# --- diagnoses ------------------------------------------------------------------------------------


def test_reason_codes_only_icd10cm_upper_case_without_duplicates() -> None:
    request = device_request("E0784", reasonCode=[
        {"coding": [{"system": ICD10CM_SYSTEM, "code": "e10.65"}, {"system": SNOMED, "code": "46635009"}]},
        {"coding": [{"system": ICD10CM_SYSTEM, "code": "E1065"}, {"system": ICD10CM_SYSTEM, "code": "Z79.4"}]},
        {"text": "type 1 diabetes"},
    ])
    assert one_case(hook(request))["member"] == {"diagnoses": ["E10.65", "Z79.4"], "diagnoses_complete": False}


def test_no_diagnosis_found_leaves_diagnoses_unknown() -> None:
    request = device_request("E0784", reasonCode=[{"coding": [{"system": SNOMED, "code": "46635009"}]}])
    case = one_case(hook(request))
    assert "member" not in case
    assert parse_case(case).member.diagnoses is None


def test_reason_reference_to_a_prefetched_condition_resource() -> None:
    request = device_request("E0781", reasonReference=[{"reference": "Condition/onc"}])
    cited = condition("C18.7", rid="onc", subject="Patient/someone-else")
    case = one_case(hook(request, prefetch={"reason": cited}))
    assert case["member"] == {"diagnoses": ["C18.7"], "diagnoses_complete": False}


def test_reason_reference_to_a_condition_in_a_prefetched_bundle() -> None:
    request = device_request("E0781", reasonReference=[{"reference": "https://ehr.example.org/fhir/Condition/onc"}])
    conditions = bundle(condition("I82.401", rid="other", subject="Patient/someone-else"),
                        condition("C18.7", rid="onc", subject="Patient/someone-else"), kind="searchset")
    case = one_case(hook(request, prefetch={"conditions": conditions}))
    assert case["member"] == {"diagnoses": ["C18.7"], "diagnoses_complete": False}


def test_reason_reference_to_a_draft_or_contained_condition_or_by_full_url() -> None:
    draft = condition("E11.9", rid="dm", subject="Patient/x")
    contained = condition("E10.9", rid="dm1", subject="Patient/x")
    by_url = condition("I26.99", rid="pe", subject="Patient/x")
    request = device_request("E0784", contained=[contained], reasonReference=[
        {"reference": "Condition/dm"}, {"reference": "#dm1"},
        {"reference": "urn:uuid:7d3b1c1e-2b5a-4f61-9a7e-3c8f1e0f7a11"}, {"reference": "Condition/nowhere"},
        {"reference": "Observation/a1c"},
    ])
    urls = ["urn:uuid:0a0a1c1e-2b5a-4f61-9a7e-3c8f1e0f7a11", "urn:uuid:1b0a1c1e-2b5a-4f61-9a7e-3c8f1e0f7a11",
            "urn:uuid:7d3b1c1e-2b5a-4f61-9a7e-3c8f1e0f7a11"]
    case = one_case(hook(request, draft, by_url, urls=urls))
    assert case["member"] == {"diagnoses": ["E11.9", "E10.9", "I26.99"], "diagnoses_complete": False}


def test_the_patients_active_prefetched_conditions_count() -> None:
    conditions = bundle(
        condition("E10.9", rid="a"),
        condition("I82.401", rid="b", clinical="resolved"),
        condition("C50.911", rid="c", verification="refuted"),
        condition("C18.7", rid="d", subject="Patient/someone-else"),
        condition("E08.9", rid="e", clinical="recurrence"),
        condition("G89.3", rid="f", clinical=None),
        condition("E11.9", rid="g", system="http://hl7.org/fhir/sid/icd-10"),
        kind="searchset",
    )
    case = one_case(hook(device_request("E0784"), prefetch={"conditions": conditions}))
    assert case["member"]["diagnoses"] == ["E10.9", "E08.9", "G89.3"]


def test_a_cited_condition_counts_whatever_its_clinical_status_but_not_when_refuted() -> None:
    request = device_request("E0781", reasonReference=[{"reference": "Condition/old"}, {"reference": "Condition/no"}])
    prefetch = {"conditions": bundle(condition("C18.7", rid="old", clinical="remission"),
                                     condition("C50.911", rid="no", verification="entered-in-error"),
                                     kind="searchset")}
    assert one_case(hook(request, prefetch=prefetch))["member"]["diagnoses"] == ["C18.7"]


def test_reason_code_and_conditions_together() -> None:
    request = device_request("E0784", reasonCode=[{"coding": [{"system": ICD10CM_SYSTEM, "code": "E10.65"}]}],
                             reasonReference=[{"reference": "Condition/b"}])
    prefetch = {"conditions": bundle(condition("E10.65", rid="a"), condition("Z96.41", rid="b"), kind="searchset")}
    assert one_case(hook(request, prefetch=prefetch))["member"]["diagnoses"] == ["E10.65", "Z96.41"]


# --- the drug ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "drug"), [
    ("Insulin Aspart 100 UNT/ML Injectable Solution [Novolog]", "insulin"),
    ("deferoxamine mesylate 500 MG Injection", "deferoxamine"),
    ("Heparin sodium 25,000 units in 250 mL D5W", "heparin"),
    ("fluorouracil 50 MG/ML Injectable Solution", "chemotherapy"),
    ("5-FU continuous infusion", "chemotherapy"),
    ("Morphine sulfate 1 MG/ML Injectable Solution", "morphine"),
    ("HYDROmorphone HCl 10 MG/ML", "parenteral_analgesic"),
    ("epoprostenol 1.5 MG Injection [Flolan]", "epoprostenol"),
    ("Remodulin 10 MG/ML", "treprostinil"),
    ("Immune Globulin Subcutaneous (Human) 20% [Hizentra]", "immune_globulin"),
    ("vancomycin 1000 MG Injection", "antibiotic"),
])
def test_a_medication_request_names_the_drug(text: str, drug: str) -> None:
    case = one_case(hook(device_request("E0781"), medication_request(text)))
    assert case["therapy"] == {"drug": drug}


def test_a_medication_text_that_names_no_known_drug_leaves_the_drug_unknown() -> None:
    assert "therapy" not in one_case(hook(device_request("E0781"), medication_request("ondansetron 2 MG/ML")))
    assert "therapy" not in one_case(hook(device_request("E0781")))


def test_several_drugs_leave_the_drug_unknown_but_insulin_wins_for_an_insulin_device() -> None:
    orders = (medication_request("vancomycin 1 G", rid="m1"), medication_request("insulin regular", rid="m2"))
    assert "therapy" not in one_case(hook(device_request("E0781"), *orders))
    assert one_case(hook(device_request("E0784"), *orders))["therapy"] == {"drug": "insulin"}
    pod = device_request("A9274", rid="pod", text="Omnipod DASH")
    assert one_case(hook(pod, *orders))["therapy"] == {"drug": "insulin"}


def test_the_same_drug_twice_is_that_drug_and_a_flush_is_not_a_drug() -> None:
    orders = (medication_request("cefazolin 2 G", rid="m1"), medication_request("ceftriaxone 1 G", rid="m2"),
              medication_request("Heparin lock flush 100 UNIT/ML", rid="m3"))
    assert one_case(hook(device_request("E0781"), *orders))["therapy"] == {"drug": "antibiotic"}


def test_a_medication_naming_two_drugs_is_not_counted() -> None:
    orders = (medication_request("heparin and vancomycin", rid="m1"), medication_request("morphine PCA", rid="m2"))
    assert one_case(hook(device_request("E0781"), *orders))["therapy"] == {"drug": "morphine"}


def test_a_withdrawn_medication_request_is_not_read() -> None:
    orders = (medication_request("vancomycin", rid="m1", status="entered-in-error"), medication_request("heparin"))
    assert one_case(hook(device_request("E0781"), *orders))["therapy"] == {"drug": "heparin"}


def test_medication_reference_reads_the_medication_code() -> None:
    medication = r4(Medication, {"resourceType": "Medication", "id": "med",
                                 "code": {"text": "Treprostinil 2.5 MG/ML"}})
    request = r4(MedicationRequest, {
        "resourceType": "MedicationRequest", "id": "mr-9", "status": "draft", "intent": "order",
        "medicationReference": {"reference": "Medication/med"}, "subject": {"reference": f"Patient/{PATIENT}"},
    })
    case = one_case(hook(device_request("K0455"), request, prefetch={"medication": medication}))
    assert case["therapy"] == {"drug": "treprostinil"}


# --- dates, age, acquisition ------------------------------------------------------------------------


@pytest.mark.parametrize(("elements", "day"), [
    ({"occurrenceDateTime": "2020-07-02T23:30:00-05:00", "authoredOn": "2020-06-01"}, "2020-07-02"),
    ({"occurrencePeriod": {"start": "2020-08-01", "end": "2021-08-01"}, "authoredOn": "2020-06-01"}, "2020-08-01"),
    ({"authoredOn": "2020-06-01T10:00:00Z"}, "2020-06-01"),
    ({"occurrenceDateTime": "2020-07", "authoredOn": "2020-06-15"}, "2020-06-15"),
    ({"occurrencePeriod": {"end": "2021-08-01"}}, TODAY.isoformat()),
    ({}, TODAY.isoformat()),
])
def test_the_date_of_service(elements: dict[str, Any], day: str) -> None:
    assert one_case(hook(device_request("E0784", **elements)))["date_of_service"] == day


@pytest.mark.parametrize(("birth", "age"), [
    ("1990-07-02", 30), ("1990-07-03", 29), ("1990-05", 30), ("1990-07", None), ("1990", None),
    ("2020-07-02", 0), ("2020-07-03", None),
])
def test_age_from_the_prefetched_patient(birth: str, age: int | None) -> None:
    request = device_request("E0784", occurrenceDateTime="2020-07-02")
    case = one_case(hook(request, prefetch={"patient": patient(birth)}))
    assert case.get("member", {}).get("age") == age


def test_a_birth_year_alone_gives_the_age_when_every_day_of_it_agrees() -> None:
    request = device_request("E0784", occurrenceDateTime="2020-12-31")
    assert one_case(hook(request, prefetch={"patient": patient("1960")}))["member"] == {"age": 60}


def test_no_age_from_another_patient_or_without_birth_date() -> None:
    request = device_request("E0784", occurrenceDateTime="2020-07-02")
    assert "member" not in one_case(hook(request, prefetch={"patient": patient("1990-01-01", rid="other")}))
    assert "member" not in one_case(hook(request, prefetch={"patient": patient(None)}))


@pytest.mark.parametrize(("value", "acquisition"), [
    ({"coding": [{"system": "https://www.cms.gov/modifiers", "code": "RR"}]}, "rental"),
    ({"text": "Monthly rental"}, "rental"),
    ({"coding": [{"code": "NU", "display": "New equipment"}]}, "purchase"),
    ({"text": "purchase"}, "purchase"),
    ({"text": "rental or purchase"}, None),
    ({"text": "whatever is cheaper"}, None),
])
def test_acquisition_from_a_parameter(value: dict[str, Any], acquisition: str | None) -> None:
    request = device_request("E0781", parameter=[{"code": {"text": "acquisition"}, "valueCodeableConcept": value},
                                                 {"code": {"text": "rental months"}, "valueQuantity": {"value": 13}}])
    assert one_case(hook(request))["device"].get("acquisition") == acquisition


def test_nothing_the_order_does_not_say_is_in_the_case() -> None:
    case = one_case(hook(device_request("E0781")))
    assert case == {"case_id": "DeviceRequest/dr-1", "date_of_service": TODAY.isoformat(),
                    "device": {"kind": "infusion_pump", "hcpcs": "E0781"}}


# --- prefetch, network ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefetch", [None, {}, {"patient": None, "conditions": None, "coverage": None}])
def test_missing_or_null_prefetch_is_unknown(prefetch: dict[str, Any] | None) -> None:
    request = hook(device_request("E0784", reasonCode=[{"coding": [{"system": ICD10CM_SYSTEM, "code": "E10.9"}]}]))
    if prefetch is not None:
        request["prefetch"] = prefetch
    assert one_case(request)["member"] == {"diagnoses": ["E10.9"], "diagnoses_complete": False}
    request["prefetch"] = None
    assert one_case(request)["member"] == {"diagnoses": ["E10.9"], "diagnoses_complete": False}


def test_the_mapping_never_opens_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the mapping opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    request = device_request("E0781", reasonReference=[{"reference": "Condition/not-prefetched"}])
    assert "member" not in one_case(hook(request, medication_request("heparin")))


# --- malformed requests -----------------------------------------------------------------------------


def test_the_request_must_be_an_object_with_a_known_hook_and_a_context() -> None:
    assert problems([]) == ["hook request: must be a JSON object"]
    assert problems({"hook": "patient-view"}) == [
        'hook: must be "order-sign" or "order-select", not "patient-view"',
        "context: must be an object (the hook's context)",
    ]


def test_draft_orders_must_be_a_bundle_of_resources() -> None:
    request = hook(device_request())
    request["context"]["draftOrders"] = {"resourceType": "List"}
    assert problems(request) == ['context.draftOrders: must be a FHIR Bundle (an object with resourceType "Bundle")']
    request = hook(device_request())
    request["context"]["draftOrders"]["entry"].append({"resource": "DeviceRequest/2"})
    request["context"]["draftOrders"]["entry"].append(7)
    assert problems(request) == [
        "context.draftOrders.entry[1].resource: must be a FHIR resource (an object with resourceType)",
        "context.draftOrders.entry[2]: must be a Bundle entry (an object with a resource)",
    ]


def test_prefetch_must_hold_resources_or_null() -> None:
    request = hook(device_request(), prefetch={"patient": "Patient/1", "conditions": {
        "resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"id": "x"}}]}})
    assert problems(request) == [
        "prefetch.patient: must be a FHIR resource (an object with resourceType), or null",
        "prefetch.conditions.entry[0].resource: must be a FHIR resource (an object with resourceType)",
    ]
    request["prefetch"] = ["Patient/1"]
    assert problems(request) == ["prefetch: must be an object (one resource or Bundle per key)"]


def test_every_problem_of_an_order_is_named_by_its_path() -> None:
    order = device_request("E0784", reasonCode=[{"coding": [{"system": ICD10CM_SYSTEM, "code": "diabetes"}]}])
    request = hook(device_request("E0601", rid="ok"), order)
    order.update(occurrenceDateTime="2020-13-01", authoredOn="yesterday")  # not R4: the point of the test
    assert problems(request) == [
        "context.draftOrders.entry[1].resource.occurrenceDateTime: '2020-13-01' is not a real calendar date",
        "context.draftOrders.entry[1].resource.authoredOn: must be a FHIR dateTime such as 2020-07-02 or "
        "2020-07-02T09:30:00Z",
        "context.draftOrders.entry[1].resource.reasonCode[0].coding[0].code: 'diabetes' is not a well-formed "
        "ICD-10-CM code",
    ]


def test_malformed_elements_name_their_paths() -> None:
    request = hook(device_request("E0784", rid="a"))
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["codeCodeableConcept"]["coding"].append("E0784")
    order["reasonReference"] = {"reference": "Condition/x"}
    request["prefetch"] = {"patient": {"resourceType": "Patient", "id": PATIENT, "birthDate": "1990-02-30"}}
    assert problems(request) == [
        "context.draftOrders.entry[0].resource.codeCodeableConcept.coding[1]: must be an object",
        "prefetch.patient.birthDate: '1990-02-30' is not a real calendar date",
        "context.draftOrders.entry[0].resource.reasonReference: must be an array",
    ]


def test_device_request_ids_are_fhir_ids_and_unique() -> None:
    request = hook(device_request("E0784", rid="a"), device_request("E0781", rid="a"))
    assert problems(request) == [
        "context.draftOrders.entry[1].resource.id: DeviceRequest/a is also context.draftOrders.entry[0].resource",
    ]
    request = hook(device_request("E0784", rid="a"))
    request["context"]["draftOrders"]["entry"][0]["resource"]["id"] = "no spaces allowed"
    assert problems(request) == [
        "context.draftOrders.entry[0].resource.id: must be a FHIR id (1 to 64 letters, digits, '-' or '.')",
    ]


def test_an_hcpcs_coding_must_hold_a_procedure_code() -> None:
    request = hook(device_request("insulin pump", system=CMS_HCPCS))
    assert problems(request) == [
        "context.draftOrders.entry[0].resource.codeCodeableConcept.coding[0].code: 'insulin pump' is not a "
        "well-formed HCPCS code",
    ]


def test_an_order_the_policy_does_not_govern_is_not_read_further() -> None:
    request = device_request("E0601")
    request_hook = hook(request)
    request["occurrenceDateTime"] = "someday"
    (order,) = mapped(request_hook)
    assert order.case is None


def test_a_prefetch_key_that_is_not_a_plain_word_is_quoted() -> None:
    request = hook(device_request(), prefetch={"my key": 3})
    assert problems(request) == ['prefetch["my key"]: must be a FHIR resource (an object with resourceType), or null']


def test_a_versioned_absolute_reference_is_read_as_type_and_id() -> None:
    request = device_request("E0781", reasonReference=[
        {"reference": "https://ehr.example.org/fhir/Condition/onc/_history/3"}])
    case = one_case(hook(request, prefetch={"reason": condition("C18.7", rid="onc")}))
    assert case["member"] == {"diagnoses": ["C18.7"], "diagnoses_complete": False}


def test_diagnoses_from_an_order_are_a_partial_list_so_other_classes_stay_unknown() -> None:
    """"What is absent is unknown, never false": an order citing only Z79.4 (long-term insulin use)
    says nothing against diabetes, so the insulin indication is open, not closed, and asked about."""
    from reasoner import decide

    request = device_request("E0784", system=CMS_HCPCS,
                             reasonCode=[{"coding": [{"system": ICD10CM_SYSTEM, "code": "Z79.4"}]}],
                             occurrenceDateTime="2020-07-02")
    case = one_case(hook(request, medication_request("insulin lispro 100 UNT/ML Injectable Solution")))
    assert case["member"] == {"diagnoses": ["Z79.4"], "diagnoses_complete": False}
    decision = decide(case).to_json()
    assert decision["complete"] is False
    assert any(q["answer"]["field"] == "member.diagnoses" for q in decision["questions"])
