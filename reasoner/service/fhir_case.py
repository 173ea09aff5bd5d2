"""A CDS Hooks request (order-sign, order-select) mapped to cases, one per DeviceRequest.

Da Vinci CRD STU 2.0.1 over FHIR R4 and CDS Hooks 2.0. Every rule is listed, element by
element, in docs/fhir.md. The principle: what the request does not say is unknown, never
false, so an element that is absent leaves its case field absent. Malformed input raises
InvalidCase with one message per problem, each naming its JSON path. Only the request is read:
the hook's ``fhirServer`` is never called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reasoner import icd10cm
from reasoner.case_checks import ICD10_PATTERN, PROCEDURE_PATTERN
from reasoner.errors import InvalidCase
from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, Drug

HCPCS_SYSTEMS = (
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
)
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
HOOKS = ("order-sign", "order-select")

# The codes a device order can carry that this policy decides (device_code/1 in
# asp/policy/codes.lp): every code of some device kind.
GOVERNED_DEVICE_CODES: frozenset[str] = frozenset(code for codes in DEVICE_CODES.values() for code in codes)
# A9274 fits four kinds and E1399 two: the order's words choose (_kind_of).
AMBIGUOUS_CODE = "A9274"
INFUSION_OR_PDM_CODE = "E1399"
INSULIN_DEVICES = frozenset(
    {DeviceKind.insulin_pump, DeviceKind.omnipod, DeviceKind.omnipod_dash, DeviceKind.omnipod_pdm, DeviceKind.v_go}
)

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
FHIR_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
FHIR_DATE_TIME = re.compile(
    r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$"
)
RELATIVE_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_AGE = 130

# Statuses that withdraw a resource: it is read as if it were not there.
WITHDRAWN_REQUEST = frozenset({"entered-in-error", "cancelled", "revoked"})
WITHDRAWN_CONDITION = frozenset({"refuted", "entered-in-error"})
ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})

# Words that name a drug of the case vocabulary in a medication's text or coding display, matched
# as whole words, case and punctuation ignored ("5-FU" is "5 fu"). Several phrases per drug.
DRUG_WORDS: dict[Drug, tuple[str, ...]] = {
    Drug.insulin: (
        "insulin", "lispro", "aspart", "glulisine", "humalog", "novolog", "apidra", "fiasp", "lyumjev",
        "admelog", "humulin", "novolin",
    ),
    Drug.deferoxamine: ("deferoxamine", "desferrioxamine", "desferal"),
    Drug.heparin: ("heparin",),
    Drug.chemotherapy: (
        "chemotherapy", "antineoplastic", "fluorouracil", "5 fu", "floxuridine", "cytarabine", "doxorubicin",
        "daunorubicin", "epirubicin", "idarubicin", "vincristine", "vinblastine", "vinorelbine", "bleomycin",
        "cisplatin", "carboplatin", "oxaliplatin", "etoposide", "ifosfamide", "cyclophosphamide", "dacarbazine",
        "methotrexate", "mitomycin", "mitoxantrone", "dactinomycin", "paclitaxel", "docetaxel", "gemcitabine",
        "irinotecan", "topotecan", "cladribine", "fludarabine", "pentostatin", "azacitidine", "decitabine",
        "bendamustine", "blinatumomab", "aldesleukin",
    ),
    Drug.morphine: ("morphine", "duramorph", "infumorph"),
    Drug.parenteral_analgesic: (
        "hydromorphone", "dilaudid", "fentanyl", "sufentanil", "meperidine", "methadone", "ziconotide",
        "parenteral analgesic",
    ),
    Drug.epoprostenol: ("epoprostenol", "flolan", "veletri"),
    Drug.treprostinil: ("treprostinil", "remodulin"),
    Drug.immune_globulin: (
        "immune globulin", "immunoglobulin", "ivig", "scig", "hizentra", "cuvitru", "hyqvia", "xembify",
        "cutaquig", "gammagard", "gamunex", "gammaked", "privigen", "octagam", "panzyga", "bivigam",
        "gammaplex", "flebogamma", "asceniv",
    ),
    Drug.antibiotic: (
        "antibiotic", "vancomycin", "cefazolin", "ceftriaxone", "ceftazidime", "cefepime", "cefoxitin",
        "cefuroxime", "ceftaroline", "nafcillin", "oxacillin", "penicillin", "ampicillin", "piperacillin",
        "meropenem", "ertapenem", "imipenem", "gentamicin", "tobramycin", "amikacin", "daptomycin",
        "clindamycin", "aztreonam", "linezolid", "tigecycline", "colistimethate", "polymyxin", "levofloxacin",
        "ciprofloxacin", "moxifloxacin", "doxycycline", "minocycline", "metronidazole", "azithromycin",
        "oritavancin", "dalbavancin", "telavancin",
    ),
}
# A catheter flush is not the therapy: a medication whose words say so is not read for the drug.
FLUSH_WORDS = ("flush",)

# Words that name the device among A9274's kinds (and E1399's Omnipod PDM).
OMNIPOD_WORDS = ("omnipod", "omni pod", "insulet")
DASH_WORDS = ("dash",)
PDM_WORDS = ("pdm", "personal diabetes manager")
V_GO_WORDS = ("v go", "vgo")

# DeviceRequest.parameter[].valueCodeableConcept: HCPCS pricing modifiers and words.
RENTAL_CODES = frozenset({"RR"})
PURCHASE_CODES = frozenset({"NU", "UE"})
RENTAL_WORDS = ("rental", "rent", "rented")
PURCHASE_WORDS = ("purchase", "purchased")


@dataclass(frozen=True)
class OrderCase:
    """One DeviceRequest of the draft orders and the case mapped from it."""

    reference: str  # "DeviceRequest/<id>", or "DeviceRequest/#<entry index>" when it has no id
    request: dict[str, Any]  # the DeviceRequest resource exactly as received
    case: dict[str, Any] | None  # None: no code this policy decides, or the device cannot be told
    hcpcs: str | None  # the HCPCS code found (None if none)
    why_no_case: str | None = None  # when case is None: why, in one sentence for a person


def cases_from_hook(hook: dict[str, Any], *, today: date) -> list[OrderCase]:
    """One OrderCase per DeviceRequest in context.draftOrders, in order.

    For order-select with ``context.selections``, only the DeviceRequests selected. ``today``
    is the date of service of an order that gives no date. Raises InvalidCase, one line per
    problem, each naming its JSON path.
    """
    problems = _Problems()
    request = _read_hook(hook, problems)
    if request is None:
        raise InvalidCase(problems.lines)
    mapper = _Mapper(request, problems, today)
    orders = list(mapper.orders())
    if problems.lines:
        raise InvalidCase(problems.lines)
    return orders


# ---------------------------------------------------------------------------------------------
# Reading JSON with paths


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def report(self, path: str, message: str) -> None:
        line = f"{path}: {message}"
        if line not in self.lines:  # a prefetched resource is read once per order
            self.lines.append(line)


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if PLAIN_KEY.match(key) else f"{path}[{json.dumps(key)}]"


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str) and bool(value["resourceType"])


RESOURCE_MESSAGE = "must be a FHIR resource (an object with resourceType)"


def _object(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.report(path, "must be an object")
        return None
    return value


def _array(value: Any, path: str, problems: _Problems) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.report(path, "must be an array")
        return []
    return value


def _string(value: Any, path: str, problems: _Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.report(path, "must be a string")
        return None
    return value


@dataclass(frozen=True)
class _Coding:
    system: str | None
    code: str | None
    display: str | None
    path: str


@dataclass(frozen=True)
class _Concept:
    codings: tuple[_Coding, ...] = ()
    text: str | None = None

    def words(self) -> list[str]:
        """The text and every coding's display: what a person reads of the concept."""
        return [w for w in (self.text, *(c.display for c in self.codings)) if w]

    def codes(self) -> set[str]:
        return {c.code for c in self.codings if c.code}


def _concept(value: Any, path: str, problems: _Problems) -> _Concept:
    """A CodeableConcept (an absent one is empty)."""
    concept = _object(value, path, problems)
    if concept is None:
        return _Concept()
    codings = []
    for index, item in enumerate(_array(concept.get("coding"), f"{path}.coding", problems)):
        where = f"{path}.coding[{index}]"
        if not isinstance(item, dict):
            problems.report(where, "must be an object")
            continue
        coding = item
        codings.append(
            _Coding(
                system=_string(coding.get("system"), f"{where}.system", problems),
                code=_string(coding.get("code"), f"{where}.code", problems),
                display=_string(coding.get("display"), f"{where}.display", problems),
                path=where,
            )
        )
    return _Concept(tuple(codings), _string(concept.get("text"), f"{path}.text", problems))


def _reference(value: Any, path: str, problems: _Problems) -> str | None:
    """The ``reference`` of a Reference (None when absent)."""
    reference = _object(value, path, problems)
    if reference is None:
        return None
    return _string(reference.get("reference"), f"{path}.reference", problems)


def _reference_key(reference: str) -> str:
    """"Type/id" for a relative or absolute reference (its version dropped); others as written."""
    if reference.startswith(("#", "urn:")):
        return reference
    match = RELATIVE_REFERENCE.search(reference)
    return f"{match.group(1)}/{match.group(2)}" if match else reference


def _padded(text: str) -> str:
    """Lower-case words separated by single spaces, with a space at each end, for whole-word search."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _names(texts: Iterable[str], phrases: Iterable[str]) -> bool:
    padded = "".join(_padded(text) for text in texts)
    return any(f" {phrase} " in padded for phrase in phrases)


def _date_time(value: Any, path: str, problems: _Problems) -> date | None:
    """The day of a FHIR dateTime: its date part as written, no time zone conversion.

    A partial value (a year, or a year and month) gives no day: None, and no problem.
    """
    if value is None:
        return None
    match = FHIR_DATE_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        problems.report(path, "must be a FHIR dateTime such as 2020-07-02 or 2020-07-02T09:30:00Z")
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        if day is None:
            date(int(year), int(month or 1), 1)
            return None
        return date(int(year), int(month), int(day))
    except ValueError:
        problems.report(path, f"{value!r} is not a real calendar date")
        return None


# ---------------------------------------------------------------------------------------------
# The hook request


@dataclass(frozen=True)
class _Found:
    """A resource of the request, with its JSON path and the keys a reference may use."""

    resource: dict[str, Any]
    path: str
    full_url: str | None = None

    @property
    def type(self) -> str:
        kind: str = self.resource["resourceType"]
        return kind

    @property
    def key(self) -> str | None:
        rid = self.resource.get("id")
        return f"{self.type}/{rid}" if isinstance(rid, str) and rid else None


@dataclass
class _Hook:
    patient_id: str | None
    drafts: list[tuple[int, _Found]]
    prefetched: list[_Found]
    selections: list[tuple[str, str]] | None  # (path, "Type/id") when order-select gives them
    index: dict[str, _Found] = field(default_factory=dict)


def _read_hook(hook: Any, problems: _Problems) -> _Hook | None:
    if not isinstance(hook, dict):
        problems.report("hook request", "must be a JSON object")
        return None
    name = hook.get("hook")
    if name not in HOOKS:
        problems.report("hook", f"must be \"order-sign\" or \"order-select\", not {json.dumps(name)}")
    context = hook.get("context")
    if not isinstance(context, dict):
        problems.report("context", "must be an object (the hook's context)")
        return None
    patient_id = _string(context.get("patientId"), "context.patientId", problems)
    drafts = _read_drafts(context.get("draftOrders"), problems)
    selections = None
    if name == "order-select" and context.get("selections") is not None:
        selections = _read_selections(context["selections"], problems)
    prefetched = _read_prefetch(hook.get("prefetch"), problems)
    if problems.lines or drafts is None:
        return None
    request = _Hook(patient_id, drafts, prefetched, selections)
    for _, found in drafts:
        _index(request.index, found)
    for found in prefetched:
        _index(request.index, found)
    return request


def _index(index: dict[str, _Found], found: _Found) -> None:
    """Drafts first: a draft order wins over a prefetched copy of the same resource."""
    for key in (found.key, found.full_url):
        if key:
            index.setdefault(key, found)


def _read_drafts(value: Any, problems: _Problems) -> list[tuple[int, _Found]] | None:
    path = "context.draftOrders"
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        problems.report(path, 'must be a FHIR Bundle (an object with resourceType "Bundle")')
        return None
    drafts = []
    for index, entry in enumerate(_array(value.get("entry"), f"{path}.entry", problems)):
        where = f"{path}.entry[{index}]"
        if not isinstance(entry, dict):
            problems.report(where, "must be a Bundle entry (an object with a resource)")
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not _is_resource(resource):
            problems.report(f"{where}.resource", RESOURCE_MESSAGE)
            continue
        full_url = _string(entry.get("fullUrl"), f"{where}.fullUrl", problems)
        drafts.append((index, _Found(resource, f"{where}.resource", full_url)))
    _check_ids(drafts, problems)
    return drafts


def _check_ids(drafts: list[tuple[int, _Found]], problems: _Problems) -> None:
    seen: dict[str, str] = {}
    for _, found in drafts:
        rid = found.resource.get("id")
        if rid is None:
            continue
        if not isinstance(rid, str) or not FHIR_ID.match(rid):
            problems.report(f"{found.path}.id", "must be a FHIR id (1 to 64 letters, digits, '-' or '.')")
            continue
        key = f"{found.type}/{rid}"
        if key in seen:
            problems.report(f"{found.path}.id", f"{key} is also {seen[key]}")
        else:
            seen[key] = found.path


def _read_selections(value: Any, problems: _Problems) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        problems.report("context.selections", 'must be an array of references such as "DeviceRequest/123"')
        return []
    selections = []
    for index, item in enumerate(value):
        where = f"context.selections[{index}]"
        if not isinstance(item, str) or not RELATIVE_REFERENCE.search(item):
            problems.report(where, 'must be a reference such as "DeviceRequest/123"')
            continue
        selections.append((where, _reference_key(item)))
    return selections


def _read_prefetch(value: Any, problems: _Problems) -> list[_Found]:
    """Every resource of the prefetch: each key's resource, or the resources of its Bundle."""
    if value is None:
        return []
    if not isinstance(value, dict):
        problems.report("prefetch", "must be an object (one resource or Bundle per key)")
        return []
    found: list[_Found] = []
    for key, item in value.items():
        path = _member("prefetch", str(key))
        if item is None:
            continue  # the client could not or would not prefetch it: unknown
        if not _is_resource(item):
            problems.report(path, f"{RESOURCE_MESSAGE}, or null")
            continue
        found.extend(_bundle_resources(_Found(item, path), problems))
    return found


def _bundle_resources(found: _Found, problems: _Problems, depth: int = 0) -> Iterator[_Found]:
    if found.type != "Bundle":
        yield found
        return
    if depth > 4:
        return
    for index, entry in enumerate(_array(found.resource.get("entry"), f"{found.path}.entry", problems)):
        where = f"{found.path}.entry[{index}]"
        if not isinstance(entry, dict):
            problems.report(where, "must be a Bundle entry (an object)")
            continue
        resource = entry.get("resource")
        if resource is None:
            continue  # a history or deletion entry: nothing to read
        if not isinstance(resource, dict) or not _is_resource(resource):
            problems.report(f"{where}.resource", RESOURCE_MESSAGE)
            continue
        full_url = _string(entry.get("fullUrl"), f"{where}.fullUrl", problems)
        yield from _bundle_resources(_Found(resource, f"{where}.resource", full_url), problems, depth + 1)


# ---------------------------------------------------------------------------------------------
# From the request to the cases


class _Mapper:
    def __init__(self, request: _Hook, problems: _Problems, today: date) -> None:
        self.request = request
        self.problems = problems
        self.today = today
        self._named_drugs: list[set[Drug]] | None = None

    def orders(self) -> Iterator[OrderCase]:
        request = self.request
        selected = self._selected()
        for index, found in request.drafts:
            if found.type != "DeviceRequest":
                continue
            reference = found.key or f"DeviceRequest/#{index}"
            if selected is None or reference in selected:
                yield self._order(found, reference)

    def _selected(self) -> set[str] | None:
        if self.request.selections is None:
            return None
        drafts = {found.key for _, found in self.request.drafts if found.key}
        for path, key in self.request.selections:
            if key not in drafts:
                self.problems.report(path, f"{key} is not in context.draftOrders")
        return {key for _, key in self.request.selections}

    # --- one DeviceRequest ---------------------------------------------------------------

    def _order(self, found: _Found, reference: str) -> OrderCase:
        request = found.resource
        path = found.path
        contained = self._contained(found)
        concept, device_names = self._device_concept(found, contained)
        hcpcs = self._hcpcs(concept)
        if hcpcs is None:
            return OrderCase(reference, request, None, None, "the order carries no HCPCS code")
        if hcpcs not in GOVERNED_DEVICE_CODES:
            why = f"{hcpcs} is not a device code the Portable External Infusion Pump policy decides"
            return OrderCase(reference, request, None, hcpcs, why)
        kind = _kind_of(hcpcs, [*concept.words(), *device_names])
        if kind is None:
            why = (
                f"{hcpcs} is billed for Omnipod, Omnipod DASH, the Omnipod PDM and V-Go, and the order's "
                "code does not name which (codeCodeableConcept.text or a coding's display)"
            )
            return OrderCase(reference, request, None, hcpcs, why)

        device: dict[str, Any] = {"kind": kind.value, "hcpcs": hcpcs}
        acquisition = self._acquisition(request, path)
        if acquisition is not None:
            device["acquisition"] = acquisition.value
        day = self._date_of_service(request, path)
        case: dict[str, Any] = {"case_id": reference[:128], "date_of_service": day.isoformat()}
        member: dict[str, Any] = {}
        patient = self._patient_key(request, path)
        age = self._age(patient, day)
        if age is not None:
            member["age"] = age
        diagnoses = self._diagnoses(found, contained, patient)
        if diagnoses:
            # What an order carries is never the member's whole problem list: a class not
            # among these codes is unknown, not absent (member.diagnoses_complete false).
            member["diagnoses"] = diagnoses
            member["diagnoses_complete"] = False
        if member:
            case["member"] = member
        drug = _choose_drug(self._drugs(), kind)
        if drug is not None:
            case["therapy"] = {"drug": drug.value}
        case["device"] = device
        return OrderCase(reference, request, case, hcpcs)

    def _contained(self, found: _Found) -> dict[str, _Found]:
        contained: dict[str, _Found] = {}
        path = f"{found.path}.contained"
        for index, item in enumerate(_array(found.resource.get("contained"), path, self.problems)):
            where = f"{path}[{index}]"
            if not _is_resource(item):
                self.problems.report(where, RESOURCE_MESSAGE)
                continue
            rid = item.get("id")
            if isinstance(rid, str) and rid:
                contained.setdefault(f"#{rid}", _Found(item, where))
        return contained

    def _resolve(self, reference: str | None, contained: dict[str, _Found]) -> _Found | None:
        if reference is None:
            return None
        if reference.startswith("#"):
            return contained.get(reference)
        return self.request.index.get(reference) or self.request.index.get(_reference_key(reference))

    def _device_concept(self, found: _Found, contained: dict[str, _Found]) -> tuple[_Concept, list[str]]:
        """codeCodeableConcept; or, for codeReference, the Device's type and names."""
        request, path = found.resource, found.path
        if "codeCodeableConcept" in request:
            return _concept(request["codeCodeableConcept"], f"{path}.codeCodeableConcept", self.problems), []
        reference = _reference(request.get("codeReference"), f"{path}.codeReference", self.problems)
        device = self._resolve(reference, contained)
        if device is None or device.type != "Device":
            return _Concept(), []
        names = []
        name_path = f"{device.path}.deviceName"
        for index, item in enumerate(_array(device.resource.get("deviceName"), name_path, self.problems)):
            entry = _object(item, f"{name_path}[{index}]", self.problems)
            name = _string(entry.get("name"), f"{name_path}[{index}].name", self.problems) if entry else None
            if name:
                names.append(name)
        return _concept(device.resource.get("type"), f"{device.path}.type", self.problems), names

    def _hcpcs(self, concept: _Concept) -> str | None:
        """The first governed code among the HCPCS codings, else the first HCPCS code."""
        codes = []
        for coding in concept.codings:
            if coding.code is None:
                continue
            code = coding.code.strip().upper()
            if coding.system in HCPCS_SYSTEMS:
                if not PROCEDURE_PATTERN.match(code):
                    self.problems.report(f"{coding.path}.code", f"{coding.code!r} is not a well-formed HCPCS code")
                    continue
                codes.append(code)
            elif coding.system is None and code in GOVERNED_DEVICE_CODES:
                codes.append(code)  # no system, but one of the policy's own device codes
        governed = [code for code in codes if code in GOVERNED_DEVICE_CODES]
        chosen = governed or codes
        return chosen[0] if chosen else None

    def _acquisition(self, request: dict[str, Any], path: str) -> Acquisition | None:
        """Rental or purchase, when a parameter's valueCodeableConcept says so (and not both)."""
        said: set[Acquisition] = set()
        for index, item in enumerate(_array(request.get("parameter"), f"{path}.parameter", self.problems)):
            where = f"{path}.parameter[{index}]"
            parameter = _object(item, where, self.problems)
            if parameter is None or "valueCodeableConcept" not in parameter:
                continue
            value = _concept(parameter["valueCodeableConcept"], f"{where}.valueCodeableConcept", self.problems)
            codes = {code.strip().upper() for code in value.codes()}
            if codes & RENTAL_CODES or _names(value.words(), RENTAL_WORDS):
                said.add(Acquisition.rental)
            if codes & PURCHASE_CODES or _names(value.words(), PURCHASE_WORDS):
                said.add(Acquisition.purchase)
        return said.pop() if len(said) == 1 else None

    def _date_of_service(self, request: dict[str, Any], path: str) -> date:
        occurrence = _date_time(request.get("occurrenceDateTime"), f"{path}.occurrenceDateTime", self.problems)
        period = _object(request.get("occurrencePeriod"), f"{path}.occurrencePeriod", self.problems) or {}
        start = _date_time(period.get("start"), f"{path}.occurrencePeriod.start", self.problems)
        authored = _date_time(request.get("authoredOn"), f"{path}.authoredOn", self.problems)
        return occurrence or start or authored or self.today

    def _patient_key(self, request: dict[str, Any], path: str) -> str | None:
        subject = _reference(request.get("subject"), f"{path}.subject", self.problems)
        if subject is not None:
            key = _reference_key(subject)
            if key.startswith("Patient/"):
                return key
        return f"Patient/{self.request.patient_id}" if self.request.patient_id else None

    def _age(self, patient: str | None, day: date) -> int | None:
        """Whole years on the date of service, when the prefetched Patient's birthDate settles them."""
        for found in self.request.prefetched:
            if patient is None or found.type != "Patient" or found.key != patient:
                continue
            birth = found.resource.get("birthDate")
            if birth is None:
                return None
            if not isinstance(birth, str) or not FHIR_DATE.match(birth):
                self.problems.report(f"{found.path}.birthDate", "must be a FHIR date such as 1990-05-17")
                return None
            try:
                return _age_on(birth, day)
            except ValueError:
                self.problems.report(f"{found.path}.birthDate", f"{birth!r} is not a real calendar date")
                return None
        return None

    def _diagnoses(self, found: _Found, contained: dict[str, _Found], patient: str | None) -> list[str]:
        request, path = found.resource, found.path
        codes: list[str] = []
        for index, item in enumerate(_array(request.get("reasonCode"), f"{path}.reasonCode", self.problems)):
            codes.extend(self._icd10(_concept(item, f"{path}.reasonCode[{index}]", self.problems)))
        reasons = _array(request.get("reasonReference"), f"{path}.reasonReference", self.problems)
        for index, item in enumerate(reasons):
            reference = _reference(item, f"{path}.reasonReference[{index}]", self.problems)
            condition = self._resolve(reference, contained)
            if condition is None or condition.type != "Condition":
                continue  # not in the request (or not a Condition): unknown
            if not self._withdrawn(condition):
                codes.extend(self._icd10(_concept(condition.resource.get("code"), f"{condition.path}.code",
                                                  self.problems)))
        for condition in self.request.prefetched:
            if condition.type != "Condition" or patient is None:
                continue
            subject = _reference(condition.resource.get("subject"), f"{condition.path}.subject", self.problems)
            if subject is None or _reference_key(subject) != patient or not self._active(condition):
                continue
            codes.extend(self._icd10(_concept(condition.resource.get("code"), f"{condition.path}.code",
                                              self.problems)))
        unique: dict[str, str] = {}
        for code in codes:
            unique.setdefault(code.replace(".", ""), code)
        return list(unique.values())

    def _icd10(self, concept: _Concept) -> list[str]:
        codes = []
        for coding in concept.codings:
            if coding.system != ICD10CM_SYSTEM or coding.code is None:
                continue
            code = coding.code.strip().upper()
            if not ICD10_PATTERN.match(code):
                self.problems.report(f"{coding.path}.code", f"{coding.code!r} is not a well-formed ICD-10-CM code")
                continue
            if not icd10cm.is_known(code):
                self.problems.report(f"{coding.path}.code",
                                     f"{coding.code!r} is not an ICD-10-CM code (code set: {icd10cm.RELEASE})")
                continue
            codes.append(code)
        return codes

    def _statuses(self, found: _Found, element: str) -> set[str]:
        concept = _concept(found.resource.get(element), f"{found.path}.{element}", self.problems)
        return concept.codes()

    def _withdrawn(self, condition: _Found) -> bool:
        return bool(self._statuses(condition, "verificationStatus") & WITHDRAWN_CONDITION)

    def _active(self, condition: _Found) -> bool:
        """Not refuted nor in error, and active, recurring or relapsed (or with no clinical status)."""
        if self._withdrawn(condition):
            return False
        clinical = self._statuses(condition, "clinicalStatus")
        return not clinical or bool(clinical & ACTIVE_CONDITION)

    # --- the drug ----------------------------------------------------------------------------

    def _drugs(self) -> list[set[Drug]]:
        """For each MedicationRequest of the draft orders, the drugs its words name (flushes skipped)."""
        if self._named_drugs is not None:
            return self._named_drugs
        named = []
        for _, found in self.request.drafts:
            if found.type != "MedicationRequest":
                continue
            status = _string(found.resource.get("status"), f"{found.path}.status", self.problems)
            if status in WITHDRAWN_REQUEST:
                continue
            words = self._medication_words(found)
            if not words or _names(words, FLUSH_WORDS):
                continue
            named.append({drug for drug, phrases in DRUG_WORDS.items() if _names(words, phrases)})
        self._named_drugs = named
        return named

    def _medication_words(self, found: _Found) -> list[str]:
        request, path = found.resource, found.path
        if "medicationCodeableConcept" in request:
            return _concept(request["medicationCodeableConcept"], f"{path}.medicationCodeableConcept",
                            self.problems).words()
        reference = _reference(request.get("medicationReference"), f"{path}.medicationReference", self.problems)
        medication = self._resolve(reference, self._contained(found))
        if medication is None or medication.type != "Medication":
            return []
        return _concept(medication.resource.get("code"), f"{medication.path}.code", self.problems).words()


def _kind_of(hcpcs: str, words: list[str]) -> DeviceKind | None:
    """The device kind of a governed code; for A9274 and E1399, as the order's words name it."""
    if hcpcs == AMBIGUOUS_CODE:
        v_go = _names(words, V_GO_WORDS)
        omnipod = _names(words, OMNIPOD_WORDS)
        pdm = _names(words, PDM_WORDS)
        if v_go:
            return None if omnipod or pdm else DeviceKind.v_go
        if pdm:
            return DeviceKind.omnipod_pdm
        if omnipod:
            return DeviceKind.omnipod_dash if _names(words, DASH_WORDS) else DeviceKind.omnipod
        return None
    if hcpcs == INFUSION_OR_PDM_CODE and _names(words, OMNIPOD_WORDS) and _names(words, PDM_WORDS):
        return DeviceKind.omnipod_pdm
    kinds = [kind for kind, codes in DEVICE_CODES.items() if hcpcs in codes]
    return DeviceKind.infusion_pump if DeviceKind.infusion_pump in kinds else kinds[0]


def _choose_drug(named: list[set[Drug]], kind: DeviceKind) -> Drug | None:
    """The one drug the medication orders name; insulin for an insulin device when one names it.

    A MedicationRequest naming two drugs is ambiguous and not counted; several orders naming
    different drugs leave the drug unknown.
    """
    drugs = {next(iter(drugs)) for drugs in named if len(drugs) == 1}
    if kind in INSULIN_DEVICES and Drug.insulin in drugs:
        return Drug.insulin
    return next(iter(drugs)) if len(drugs) == 1 else None


def _age_on(birth: str, day: date) -> int | None:
    """Whole years on ``day``; a partial birthDate counts when every day it allows gives the same age.

    ``birth`` matches FHIR_DATE; ValueError when it is not a real calendar date.
    """
    match = FHIR_DATE.match(birth)
    assert match is not None
    year = int(match.group(1))
    if match.group(3):
        earliest = latest = date.fromisoformat(birth)
    elif match.group(2):
        month = int(match.group(2))
        earliest = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        latest = date.fromordinal(following.toordinal() - 1)
    else:
        earliest, latest = date(year, 1, 1), date(year, 12, 31)

    def years(born: date) -> int:
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    oldest, youngest = years(earliest), years(latest)
    if oldest != youngest or youngest < 0 or youngest > MAX_AGE:
        return None
    return youngest
