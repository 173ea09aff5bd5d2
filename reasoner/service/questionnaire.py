"""A FHIR R4 Questionnaire of a decision's open questions, rebuilt from its id alone.

The service may run several worker processes, so nothing is stored: the Questionnaire's id
encodes the case fields it asks (in the decision's order, most decisive first) and the device
kind (which restricts the HCPCS codes offered), and every worker rebuilds the same resource
from the id and the rules' catalogue.

The id
    ``pump-<kind><fields>-<fingerprint>``: ``<kind>`` is one character, the kind's index in
    ``DeviceKind``; ``<fields>`` is one character per field (more if the catalogue ever has more
    than 62 answer fields), its index in the sorted list of the catalogue's answer fields, in the
    base-62 alphabet ``0-9a-zA-Z``, in the order asked; ``<fingerprint>`` is six hex digits of a
    SHA-256 of that field list and of the kinds, so an id made under another catalogue (a field
    added or renamed) is refused rather than read as other fields. A valid FHIR id (at most 64 of
    ``[A-Za-z0-9-.]``); an id that does not decode raises ``UnknownQuestionnaire`` (a
    ``ValueError``).

The resource
    ``url`` is ``{base_url}/Questionnaire/{id}``, ``status`` active, one question item per field:
    ``linkId`` is the field's dotted path in the case, ``required`` false, and ``text`` the
    question. As ``FieldQuestion.prompt`` does, the text is the field's own question when the
    field settles several conditions of the catalogue (or is not a yes/no field), else the
    question of its one condition. Stateless, "several" counts the catalogue's conditions of the
    field, not those open in one decision. A field that is not yes/no and has no question of its
    own (``device.acquisition``, ``device.kind``) is asked "What is the <field>?" rather than with a
    yes/no question above a list of choices.

    ``code`` lists the conditions of the policy the field settles (system ``CONDITION_SYSTEM``).

    Answer types: boolean -> ``boolean``; number -> ``decimal`` (with the core
    ``questionnaire-unit`` extension, UCUM ``h`` for hours); date -> ``date``; enum -> ``choice``
    whose ``answerOption`` codings have the system ``field_system(field)`` (``urn:...:field:<path>``;
    HCPCS codes of ``device.hcpcs`` use the CMS HCPCS system) and the accepted values of the device
    kind as codes; codes (the member's ICD-10-CM diagnoses) -> ``open-choice`` with
    ``repeats: true`` whose options are the catalogue's example codes (system
    ``http://hl7.org/fhir/sid/icd-10-cm``), any other code being answered as a ``valueCoding`` or a
    ``valueString``; string -> ``string``.

    The policy's exact words: each question item has one child item of type ``display`` per
    policy sentence it rests on (``linkId`` ``<field>.policy-<n>``, ``text``
    ``"Policy, sentence <n>: <exact words>"``; several quotes of one sentence joined by " … ").
    A display child is the R4 place for text shown with a question (``definition`` is a URI of an
    ElementDefinition, ``prefix`` a short label); display items carry no answers.

Yes/no answers and the field's value
    A condition's question may ask about the field's opposite ("Is the member's current pump or
    PDM out of warranty?" sets ``current_device.under_warranty``): ``true`` answers the question,
    and the field gets the value that establishes the condition (false there), as in the
    interview (``reasoner.interview.answers_text.boolean_meaning``). The field's own question is
    always answered with the field's value.

``answers_from_response`` reads a QuestionnaireResponse back into ``{field: value}`` for
``reasoner.answers.set_field``: booleans; ``Decimal`` for decimals (at most 2 decimals); ISO date
text; the code of a choice; the list of codes answered for the diagnoses (whether they replace
the case's list or join it is the caller's choice of setter). Items without an answer are left
out. Unknown linkIds, an item answered twice and values of the wrong type raise ``InvalidCase``
naming the item (``questionnaireResponse.item[2] (therapy.setting): ...``). When the response's
``questionnaire`` names one of these Questionnaires, its items must be among that
Questionnaire's fields (and HCPCS codes among its kind's); a ``questionnaire`` that is not one of
this service's is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from reasoner.answers import answer_for, field_values
from reasoner.catalogue import catalogue
from reasoner.decision import POLICY_ID, QUOTE_JOIN, Decision, FieldQuestion, fields_to_ask
from reasoner.errors import InvalidCase
from reasoner.vocabulary import DeviceKind

ID_PREFIX = "pump-"
ALPHABET = string.digits + string.ascii_lowercase + string.ascii_uppercase
MAX_ID_LENGTH = 64
FINGERPRINT_LENGTH = 6
FIELD_SYSTEM_PREFIX = f"urn:{POLICY_ID}:field:"
CONDITION_SYSTEM = f"urn:{POLICY_ID}:condition"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
HCPCS_SYSTEM = "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
HCPCS_SYSTEMS = frozenset({HCPCS_SYSTEM, "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"})
HCPCS_FIELD = "device.hcpcs"
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
UCUM = "http://unitsofmeasure.org"
UCUM_UNITS = {"hours": ("h", "hours")}
ITEM_TYPES = {
    "boolean": "boolean",
    "number": "decimal",
    "date": "date",
    "enum": "choice",
    "codes": "open-choice",
    "string": "string",
}
VALUE_KEYS = {
    "boolean": ("valueBoolean",),
    "number": ("valueDecimal",),
    "date": ("valueDate",),
    "enum": ("valueCoding",),
    "codes": ("valueCoding", "valueString"),
    "string": ("valueString",),
}
FULL_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WHERE = "questionnaireResponse"


class UnknownQuestionnaire(ValueError):
    """An id that names no Questionnaire of this service (malformed, or from another catalogue)."""


@dataclass(frozen=True)
class ItemSpec:
    """One question of the Questionnaire: a case field, how it is asked and how it is answered."""

    field: str
    type: str
    text: str
    conditions: tuple[str, ...]
    yes_means: bool  # the field's value when a yes/no item is answered true
    unit: str | None
    examples: tuple[str, ...]
    sentences: tuple[tuple[int, str], ...]  # (sentence number, exact words), by number


# --- the id ---------------------------------------------------------------------------------


@cache
def answer_fields() -> tuple[str, ...]:
    """Every case field that answers a condition of the catalogue, sorted."""
    return tuple(sorted({spec.field for spec in catalogue().answers.values()}))


def _kinds() -> tuple[str, ...]:
    return tuple(kind.value for kind in DeviceKind)


@cache
def _fingerprint() -> str:
    text = json.dumps({"fields": list(answer_fields()), "kinds": list(_kinds())}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def _width(count: int) -> int:
    """Characters per index so that every index below count has a code."""
    width = 1
    while len(ALPHABET) ** width < count:
        width += 1
    return width


def _encode(index: int, width: int) -> str:
    digits = []
    for _ in range(width):
        index, digit = divmod(index, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * len(ALPHABET) + ALPHABET.index(char)
    return value


def questionnaire_id(fields: Sequence[str], device_kind: str) -> str:
    """The id of the Questionnaire that asks these fields, in this order, for a device of this kind."""
    fields = list(fields)
    known = answer_fields()
    kinds = _kinds()
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise ValueError(f"not answer fields of the catalogue: {', '.join(unknown)}")
    if len(set(fields)) != len(fields):
        raise ValueError("a field is listed twice")
    if device_kind not in kinds:
        raise ValueError(f"unknown device kind {device_kind!r}")
    width = _width(len(known))
    body = _encode(kinds.index(device_kind), 1) + "".join(_encode(known.index(name), width) for name in fields)
    qid = f"{ID_PREFIX}{body}-{_fingerprint()}"
    if len(qid) > MAX_ID_LENGTH:
        raise ValueError(f"{len(fields)} fields do not fit in a FHIR id")
    return qid


def decode_questionnaire_id(qid: str) -> tuple[list[str], str]:
    """The fields (in the order asked) and the device kind of a Questionnaire id."""
    known = answer_fields()
    kinds = _kinds()
    match = re.fullmatch(rf"{ID_PREFIX}([0-9A-Za-z]+)-([0-9a-f]{{{FINGERPRINT_LENGTH}}})", qid)
    if match is None:
        raise UnknownQuestionnaire(f"{qid!r} is not a Questionnaire id of this service")
    body, fingerprint = match.groups()
    if fingerprint != _fingerprint():
        raise UnknownQuestionnaire(f"{qid!r} was made under another version of the rules")
    kind_index, codes = _decode(body[0]), body[1:]
    width = _width(len(known))
    if kind_index >= len(kinds) or len(codes) % width:
        raise UnknownQuestionnaire(f"{qid!r} is not a Questionnaire id of this service")
    indices = [_decode(codes[at:at + width]) for at in range(0, len(codes), width)]
    if any(index >= len(known) for index in indices) or len(set(indices)) != len(indices):
        raise UnknownQuestionnaire(f"{qid!r} is not a Questionnaire id of this service")
    return [known[index] for index in indices], kinds[kind_index]


# --- the items ------------------------------------------------------------------------------


@cache
def item_spec(field: str) -> ItemSpec:
    """How the Questionnaire asks one answer field (the same for every decision and worker)."""
    cat = catalogue()
    conditions = tuple(sorted(name for name, spec in cat.answers.items() if spec.field == field))
    if not conditions:
        raise ValueError(f"{field!r} is not an answer field of the catalogue")
    specs = [cat.answers[name] for name in conditions]
    kind = specs[0].type
    prompt = next((spec.prompt for spec in specs if spec.prompt), None)
    yes_means = True
    if prompt and (len(conditions) > 1 or kind != "boolean"):
        text = prompt
    elif len(conditions) == 1 and kind == "boolean":
        text = cat.questions.get(conditions[0], f"Is it documented that: {cat.label(conditions[0])}?")
        if text != prompt and specs[0].establishes:
            yes_means = bool(specs[0].establishes[0])
    else:  # a choice, a date, a number without a question of its own
        text = f"What is the {field.replace('.', ' ').replace('_', ' ')}?"
    words: dict[int, list[str]] = {}
    for name in conditions:
        for number, quote in cat.quotes.get(name, ()):
            found = words.setdefault(number, [])
            if quote not in found:
                found.append(quote)
    return ItemSpec(
        field=field,
        type=kind,
        text=text,
        conditions=conditions,
        yes_means=yes_means,
        unit=next((spec.unit for spec in specs if spec.unit), None),
        examples=tuple(sorted({code for spec in specs for code in spec.examples})),
        sentences=tuple((number, QUOTE_JOIN.join(found)) for number, found in sorted(words.items())),
    )


def field_system(field: str) -> str:
    """The coding system of a choice item's codes."""
    return HCPCS_SYSTEM if field == HCPCS_FIELD else FIELD_SYSTEM_PREFIX + field


def policy_link_id(field: str, number: int) -> str:
    return f"{field}.policy-{number}"


def _display(value: str) -> str:
    return value if value.isupper() else value.replace("_", " ")


def _values(field: str, device_kind: str | None) -> tuple[str, ...]:
    spec = catalogue().answers[item_spec(field).conditions[0]]
    if device_kind is None:
        return field_values(field)
    return answer_for(spec, device_kind).values


def _item(field: str, device_kind: str) -> dict[str, Any]:
    spec = item_spec(field)
    cat = catalogue()
    item: dict[str, Any] = {"linkId": field}
    if spec.type == "number" and spec.unit:
        code, display = UCUM_UNITS.get(spec.unit, (None, spec.unit))
        coding = {"system": UCUM, "code": code, "display": display} if code else {"display": display}
        item["extension"] = [{"url": UNIT_EXTENSION, "valueCoding": coding}]
    item["code"] = [{"system": CONDITION_SYSTEM, "code": name, "display": cat.label(name)}
                    for name in spec.conditions]
    item["text"] = spec.text
    item["type"] = ITEM_TYPES.get(spec.type, "string")
    item["required"] = False
    if spec.type == "codes":
        item["repeats"] = True
        if spec.examples:
            item["answerOption"] = [{"valueCoding": {"system": ICD10_SYSTEM, "code": code}}
                                    for code in spec.examples]
    elif spec.type == "enum":
        values = _values(field, device_kind)
        if values:
            item["answerOption"] = [
                {"valueCoding": {"system": field_system(field), "code": value, "display": _display(value)}}
                for value in values
            ]
    if spec.sentences:
        item["item"] = [
            {"linkId": policy_link_id(field, number), "type": "display", "text": f"Policy, sentence {number}: {words}"}
            for number, words in spec.sentences
        ]
    return item


def questionnaire(qid: str, base_url: str) -> dict[str, Any]:
    """The FHIR R4 Questionnaire resource of an id (UnknownQuestionnaire when it names none)."""
    fields, device_kind = decode_questionnaire_id(qid)
    return {
        "resourceType": "Questionnaire",
        "id": qid,
        "url": f"{base_url.rstrip('/')}/Questionnaire/{qid}",
        "name": "PortableExternalInfusionPumpOpenQuestions",
        "title": "Portable External Infusion Pump: the questions the coverage decision still needs",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            f"The open questions of a coverage decision under the {POLICY_ID} medical policy, for a "
            f"device of kind {device_kind}. Each item's linkId is the field of the case its answer sets; "
            "its display items quote the policy's exact words."
        ),
        "item": [_item(field, device_kind) for field in fields],
    }


def open_questions(decision: Decision) -> list[FieldQuestion]:
    """The open questions of a decision, one per field; none once the decision is complete."""
    if decision.complete:
        return []
    return fields_to_ask(decision.questions)


def questionnaire_for(decision: Decision, device_kind: str) -> str | None:
    """The id of the Questionnaire of a decision's open questions, or None when none are open."""
    fields = [item.field for item in open_questions(decision)]
    return questionnaire_id(fields, device_kind) if fields else None


# --- the answers ----------------------------------------------------------------------------


def answers_from_response(response: dict[str, Any]) -> dict[str, Any]:
    """The answers of a QuestionnaireResponse (R4) as {field: value}, ready for set_field.

    Items without an answer are left out. When the response names its questionnaire, that must be
    one of this service's and the items must be among its fields.
    """
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise InvalidCase([f"{WHERE}: must be a FHIR QuestionnaireResponse"])
    allowed, device_kind = _asked(response.get("questionnaire"))
    items = response.get("item", [])
    if not isinstance(items, list):
        raise InvalidCase([f"{WHERE}.item: must be a list"])
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for index, item in enumerate(items):
        where = f"{WHERE}.item[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
            problems.append(f"{where}: must be an item with a linkId")
            continue
        field = item["linkId"]
        where = f"{where} ({field})"
        if field not in answer_fields() or (allowed is not None and field not in allowed):
            problems.append(f"{where}: not a question of this questionnaire")
            continue
        if field in answers:
            problems.append(f"{where}: answered twice")
            continue
        try:
            value = _item_value(item, item_spec(field), device_kind)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if value is not None:
            answers[field] = value
    if problems:
        raise InvalidCase(problems)
    return answers


def _asked(canonical: Any) -> tuple[frozenset[str] | None, str | None]:
    """The fields and kind of the questionnaire a response names (None, None when it names none)."""
    if canonical is None:
        return None, None
    qid = canonical.split("|", 1)[0].rsplit("/", 1)[-1] if isinstance(canonical, str) else ""
    try:
        fields, device_kind = decode_questionnaire_id(qid)
    except UnknownQuestionnaire:
        raise InvalidCase([f"{WHERE}.questionnaire: {canonical!r} is not a Questionnaire of this service"]) from None
    return frozenset(fields), device_kind


def _item_value(item: dict[str, Any], spec: ItemSpec, device_kind: str | None) -> Any:
    """The field value an item answers, None when it has no answer; ValueError when malformed."""
    for child in item.get("item", []) or []:
        _check_display(child, spec)
    answers = item.get("answer", [])
    if not isinstance(answers, list):
        raise ValueError("answer must be a list")
    if not answers:
        return None
    if spec.type != "codes" and len(answers) > 1:
        raise ValueError(f"takes one answer, not {len(answers)}")
    values = []
    for position, answer in enumerate(answers):
        if not isinstance(answer, dict):
            raise ValueError(f"answer[{position}] must be an object")
        for child in answer.get("item", []) or []:
            _check_display(child, spec)
        keys = [key for key in answer if key.startswith("value")]
        expected = VALUE_KEYS.get(spec.type, ("valueString",))
        if len(keys) != 1 or keys[0] not in expected:
            raise ValueError(f"answer[{position}] must have one {' or '.join(expected)}")
        try:
            values.append(_typed(spec, keys[0], answer[keys[0]], device_kind))
        except ValueError as error:
            raise ValueError(f"answer[{position}].{keys[0]}: {error}") from None
    if spec.type == "codes":
        return list(dict.fromkeys(values))
    return values[0]


def _check_display(child: Any, spec: ItemSpec) -> None:
    """A display child (the policy's words) may come back, without an answer; nothing else may."""
    link_ids = {policy_link_id(spec.field, number) for number, _ in spec.sentences}
    if not isinstance(child, dict) or child.get("linkId") not in link_ids or child.get("answer"):
        raise ValueError("nested items are not questions of this questionnaire")


def _typed(spec: ItemSpec, key: str, value: Any, device_kind: str | None) -> Any:
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value if spec.yes_means else not value
    if spec.type == "number":
        return _decimal(value)
    if spec.type == "date":
        if not isinstance(value, str) or not FULL_DATE.match(value):
            raise ValueError("must be a full date such as 2020-06-15")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
    if spec.type == "enum":
        return _choice(spec.field, value, device_kind)
    if spec.type == "codes":
        return _code(key, value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("must have at most 2 decimals")
    return Decimal(format(number.normalize(), "f"))


def _choice(field: str, coding: Any, device_kind: str | None) -> str:
    if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
        raise ValueError("must be a Coding with a code")
    system = coding.get("system")
    systems = HCPCS_SYSTEMS if field == HCPCS_FIELD else frozenset({field_system(field)})
    if system is not None and system not in systems:
        raise ValueError(f"system {system!r} is not {' or '.join(sorted(systems))}")
    values = _values(field, device_kind)
    if coding["code"] not in values:
        raise ValueError(f"{coding['code']!r} is not one of {', '.join(values)}")
    return str(coding["code"])


def _code(key: str, value: Any) -> str:
    if key == "valueString":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be an ICD-10-CM code")
        return value.strip()
    if not isinstance(value, dict) or not isinstance(value.get("code"), str) or not value["code"].strip():
        raise ValueError("must be a Coding with a code")
    system = value.get("system")
    if system is not None and system != ICD10_SYSTEM:
        raise ValueError(f"system {system!r} is not {ICD10_SYSTEM}")
    return str(value["code"]).strip()
