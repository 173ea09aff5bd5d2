"""The CDS Hooks response of the Da Vinci CRD coverage service: the coverage-information
extension on each decided DeviceRequest (a ``systemActions`` update) and a card for a person.

The extension (CRD STU 2.0.1, ``ext-coverage-information``), from a decision:

- ``covered``: ``covered`` for a complete covered decision, ``not-covered`` for a complete
  not-medically-necessary or experimental/investigational one, ``conditional`` while the decision
  is incomplete (answers to its open questions could change it), whatever its current verdict.
- ``pa-needed`` (required by crd-ci-q2 unless not covered): ``no-auth`` when covered, ``conditional``
  when conditional; absent when not covered. This policy has no prior-authorization rule.
- ``doc-needed`` ``clinical`` and ``info-needed`` ``OTH`` while questions are open (crd-ci-q3 holds
  through ``covered`` = ``conditional``), and then ``questionnaire``: the canonical URL of the
  Questionnaire of the open questions (crd-ci-q1: only beside ``doc-needed``). A questionnaire URL
  given for a decision with nothing open is left out.
- ``billingCode``: the order's HCPCS coding, when it has one.
- ``reason``: the deciding rule, ``coding`` ``{system: RULE_SYSTEM, code: rule id, display: label}``
  and ``text`` the label, the sentence numbers and the policy's exact words.
- ``coverage``: a Reference to the Coverage. ``hook_response`` uses the order's ``insurance[0]``
  (copied as given); an order without insurance gets a Reference with only a ``display``
  (``NO_COVERAGE_DISPLAY``), because the extension requires ``coverage`` and a made-up
  ``Coverage/...`` reference would point nowhere. One extension per order: the service speaks for
  one payer, and a DeviceRequest's other insurances are not its to assess.
- ``date`` (the day of the answer) and ``coverage-assertion-id``.

``hook_response`` skips orders without a decision (codes outside this policy) and orders decided
``not_applicable`` (no version of the policy in force on the date of service: this policy makes no
coverage assertion then). Everything else about an order gets one update action and one card.
The echoed DeviceRequest keeps its other extensions; an earlier coverage-information extension
for the same coverage (a previous hook call) is replaced rather than repeated.

Cards: ``summary`` at most 140 characters (cut with "…"); ``indicator`` ``info`` when covered,
``warning`` when not covered or conditional (``critical`` is left for patient-safety problems: a
coverage verdict never blocks signing an order); ``detail`` markdown with the verdict, the deciding
rule, its sentence numbers and exact words, the open questions and the questionnaire link.

Assertion ids (32 hex digits) and card uuids (a UUID 5 of the assertion id) come from a SHA-256
of the order (without coverage-information extensions it already carries), the decision, the
coverage, the questionnaire URL and the date: identical requests give identical answers in any
worker.

``check_invariants`` evaluates the extension's invariants crd-ci-q1..q5, copied verbatim from the
StructureDefinition, with fhirpathpy and its R4 model. fhirpathpy's ``and``/``or``/``implies``
refuse a one-item collection that is not a Boolean, where FHIRPath (N1 section 4.5, "singleton
evaluation of collections") says it counts as true, and crd-ci-q2 and q4 rely on that
(``extension.where(...) implies ...``): these three operators are given to fhirpathpy, for
these evaluations only, as user invocations that follow the specification. An invariant is
broken when it evaluates to false (or cannot be evaluated); an empty result is not a breach:
under the specification's three-valued logic crd-ci-q2 is empty, not true, for every
``not-covered`` extension without ``pa-needed`` (``{} implies false``), which the guide allows
(``pa-needed`` is optional there), and which the HL7 Java FHIRPath engine accepts (its
``implies`` has taken an empty left operand as false).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urljoin

import fhirpathpy
from fhirpathpy.models import models

from reasoner.decision import POLICY_ID, Decision
from reasoner.service.questionnaire import HCPCS_SYSTEMS, open_questions
from reasoner.vocabulary import KIND_CODES

COVERAGE_INFO_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CRD_TEMP_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
RULE_SYSTEM = f"urn:{POLICY_ID}:rule"
POLICY_LABEL = "Portable External Infusion Pump medical policy"
SOURCE = {"label": POLICY_LABEL, "topic": {"system": CRD_TEMP_SYSTEM, "code": "coverage-info"}}
NO_COVERAGE_DISPLAY = "The member's coverage (the order names no Coverage)"
MAX_SUMMARY = 140
ELLIPSIS = "…"
CARD_NAMESPACE = uuid.UUID("6f1d8a52-3b7e-5c1a-9e55-2d1f0c6b7a10")
PUMP_CODES = frozenset(code for codes in KIND_CODES.values() for code in codes)

COVERED = {
    "covered": "covered",
    "not_medically_necessary": "not-covered",
    "experimental_investigational": "not-covered",
}
VERDICTS = {
    "covered": "covered",
    "not_medically_necessary": "not medically necessary",
    "experimental_investigational": "experimental/investigational",
}
INDICATORS = {"covered": "info", "not-covered": "warning", "conditional": "warning"}

# The invariants of ext-coverage-information, verbatim from
# StructureDefinition-ext-coverage-information.json (Da Vinci CRD STU 2.0.1).
INVARIANTS: dict[str, str] = {
    "crd-ci-q1": "extension.where(url='questionnaire' or url='response').exists() implies "
    "(extension.where(url = 'doc-needed').exists() and extension.where(url = 'doc-needed').all(value != 'no-doc'))",
    "crd-ci-q2": "extension.where(url = 'covered' and value != 'not-covered') implies "
    "extension.where(url = 'pa-needed').exists()",
    "crd-ci-q3": "extension.where(url = 'info-needed').exists() implies extension.where((url = 'covered' or "
    "url = 'pa-needed' or url = 'doc-needed') and value = 'conditional').count() >= 1",
    "crd-ci-q4": "extension.where(url = 'pa-needed' and value = 'satisfied') and "
    "extension.where(url = 'doc-purpose').exists() implies extension.where(url = 'doc-purpose').all(value != 'PA')",
    "crd-ci-q5": "extension.where(url = 'pa-needed' and value = 'satisfied').exists() = "
    "extension.where(url = 'satisfied-pa-id').exists()",
}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def coverage_status(decision: Decision) -> str:
    """covered | not-covered | conditional; ValueError for a decision with no policy in force."""
    if decision.decision not in COVERED:
        raise ValueError(f"a {decision.decision} decision makes no coverage assertion")
    return COVERED[decision.decision] if decision.complete else "conditional"


def coverage_information(
    order: dict[str, Any],
    decision: Decision,
    *,
    coverage_ref: str | dict[str, Any],
    questionnaire_url: str | None,
    today: date,
    assertion_id: str,
) -> dict[str, Any]:
    """The coverage-information extension of one order (a Coverage reference as text or a Reference)."""
    covered = coverage_status(decision)
    reference = {"reference": coverage_ref} if isinstance(coverage_ref, str) else copy.deepcopy(coverage_ref)
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": reference},
        {"url": "covered", "valueCode": covered},
    ]
    if covered != "not-covered":
        parts.append({"url": "pa-needed", "valueCode": "no-auth" if covered == "covered" else "conditional"})
    asking = bool(open_questions(decision))
    if asking:
        parts.append({"url": "doc-needed", "valueCode": "clinical"})
        parts.append({"url": "info-needed", "valueCode": "OTH"})
    billing = _hcpcs_coding(order)
    if billing is not None:
        parts.append({"url": "billingCode", "valueCoding": billing})
    if decision.rule is not None:
        rule = decision.rule
        parts.append({"url": "reason", "valueCodeableConcept": {
            "coding": [{"system": RULE_SYSTEM, "code": rule.rule, "display": rule.label}],
            "text": f"{rule.label} ({_sentences(rule.citation.numbers)}): {rule.citation.sentence}",
        }})
    if asking and questionnaire_url:
        parts.append({"url": "questionnaire", "valueCanonical": questionnaire_url})
    parts.append({"url": "date", "valueDate": today.isoformat()})
    parts.append({"url": "coverage-assertion-id", "valueString": assertion_id})
    return {"url": COVERAGE_INFO_URL, "extension": parts}


def hook_response(
    orders: Sequence[tuple[dict[str, Any], Decision | None]],
    *,
    base_url: str,
    today: date,
    questionnaire_url_for: Callable[[Decision], str | None],
) -> dict[str, Any]:
    """The CDS Hooks response: an update action and a card for each order this policy decides.

    ``questionnaire_url_for`` is asked only for decisions with open questions; a relative URL it
    gives is resolved against ``base_url``.
    """
    cards: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for order, decision in orders:
        if decision is None or decision.decision not in COVERED:
            continue
        coverage = _coverage_reference(order)
        url = questionnaire_url_for(decision) if open_questions(decision) else None
        if url:
            url = urljoin(base_url.rstrip("/") + "/", url)
        assertion_id = _assertion_id(order, decision, coverage, url, today)
        extension = coverage_information(order, decision, coverage_ref=coverage, questionnaire_url=url,
                                         today=today, assertion_id=assertion_id)
        actions.append({
            "type": "update",
            "description": f"Coverage information for {_order_name(order)} ({POLICY_LABEL})",
            "resource": with_coverage_information(order, extension),
        })
        cards.append(_card(order, decision, url, assertion_id))
    return {"cards": cards, "systemActions": actions}


def with_coverage_information(order: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
    """A copy of the order with the extension appended; its other extensions kept, an earlier
    coverage-information extension for the same coverage replaced."""
    echoed = copy.deepcopy(order)
    coverage = _part(extension, "coverage")
    kept = [
        existing for existing in echoed.get("extension", []) or []
        if not (isinstance(existing, dict) and existing.get("url") == COVERAGE_INFO_URL
                and _part(existing, "coverage") == coverage)
    ]
    echoed["extension"] = [*kept, copy.deepcopy(extension)]
    return echoed


def check_invariants(extension: dict[str, Any]) -> list[str]:
    """The keys of the invariants crd-ci-q1..q5 that the extension breaks: those that evaluate to
    false or fail to evaluate. An empty result is not a breach (see the module's docstring)."""
    failed = []
    for key, expression in INVARIANTS.items():
        try:
            result = fhirpathpy.evaluate(
                copy.deepcopy(extension), {"expression": expression, "base": "Extension"}, None,
                models["r4"], {"userInvocationTable": _BOOLEAN_OPERATORS},
            )
        except Exception:  # fhirpathpy signals errors with bare Exception
            failed.append(key)
            continue
        if result not in ([True], []):
            failed.append(key)
    return failed


# --- FHIRPath Boolean logic with singleton evaluation (N1 section 4.5) ------------------------


def _truth(collection: list[Any]) -> bool | None:
    """A collection as a Boolean operand: empty -> None (unknown), one Boolean -> itself, any
    other single item -> true; more items are an error."""
    if not collection:
        return None
    if len(collection) > 1:
        raise ValueError("a Boolean operand has more than one item")
    item = getattr(collection[0], "data", collection[0])
    return item if isinstance(item, bool) else True


def _result(value: bool | None) -> list[bool]:
    return [] if value is None else [value]


def _and(left: list[Any], right: list[Any]) -> list[bool]:
    a, b = _truth(left), _truth(right)
    if a is False or b is False:
        return [False]
    return _result(True if a and b else None)


def _or(left: list[Any], right: list[Any]) -> list[bool]:
    a, b = _truth(left), _truth(right)
    if a is True or b is True:
        return [True]
    return _result(False if a is False and b is False else None)


def _implies(left: list[Any], right: list[Any]) -> list[bool]:
    a, b = _truth(left), _truth(right)
    if a is False or b is True:
        return [True]
    return _result(b if a is True else None)


_BOOLEAN_OPERATORS: dict[str, dict[str, Any]] = {
    name: {"fn": function, "arity": {2: ["Any", "Any"]}}
    for name, function in (("and", _and), ("or", _or), ("implies", _implies))
}


# --- the card -------------------------------------------------------------------------------


def _card(order: dict[str, Any], decision: Decision, url: str | None, assertion_id: str) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid5(CARD_NAMESPACE, assertion_id)),
        "summary": summary(order, decision),
        "indicator": INDICATORS[coverage_status(decision)],
        "detail": detail(decision, url),
        "source": copy.deepcopy(SOURCE),
    }
    if url:
        card["links"] = [{"label": "Answer the open questions (FHIR Questionnaire)", "url": url, "type": "absolute"}]
    return card


def summary(order: dict[str, Any], decision: Decision) -> str:
    """One line, at most 140 characters: the item, its code and the verdict."""
    code = _hcpcs(order)
    item = f"{'Pump' if code in PUMP_CODES else 'Item'} {code}" if code else "Order"
    status = coverage_status(decision)
    label = decision.rule.label if decision.rule else ""
    if status == "covered":
        text = f"{item}: covered ({label})"
    elif status == "not-covered":
        text = f"{item}: not covered, {VERDICTS[decision.decision]} ({label})"
    else:
        count = len(open_questions(decision))
        text = (f"{item}: coverage conditional, {count} question{'s' if count != 1 else ''} open "
                f"(as it stands: {VERDICTS[decision.decision]})")
    return truncate(text, MAX_SUMMARY)


def truncate(text: str, limit: int) -> str:
    """The text, cut to at most limit characters with "…" (at a word end when one is near)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:(") + ELLIPSIS


def detail(decision: Decision, url: str | None) -> str:
    """Markdown: the verdict, the deciding rule with the policy's exact words, the open questions."""
    status = coverage_status(decision)
    verdict = VERDICTS[decision.decision]
    lines = []
    if status == "conditional":
        lines.append(f"**Coverage: conditional.** As the order stands the policy's verdict is *{verdict}*; "
                     "the answers to the open questions below can change it.")
    elif status == "covered":
        lines.append("**Coverage: covered.** This policy sets no prior-authorization requirement.")
    else:
        lines.append(f"**Coverage: not covered** ({verdict}).")
    rule = decision.rule
    if rule is not None:
        lines += [
            "",
            f"**Deciding rule:** {escape(rule.label)} (`{rule.rule}`), policy "
            f"{_sentences(rule.citation.numbers)}:",
            "",
            f"> {escape(rule.citation.sentence)}",
        ]
        if rule.source:
            lines += ["", f"Source: {escape(rule.source)}"]
    questions = open_questions(decision)
    if questions:
        lines += ["", "**Open questions:**", ""]
        for number, item in enumerate(questions, start=1):
            cited = sorted({n for question in item.questions for n in question.citation.numbers})
            where = f"; policy {_sentences(cited)}" if cited else ""
            lines.append(f"{number}. {escape(item.prompt)} (`{item.field}`{where})")
        if url:
            lines += ["", f"[Answer them in the questionnaire]({url})"]
    return "\n".join(lines)


def escape(text: str) -> str:
    """Text shown as is in markdown, on one line (the policy's words contain none of the escaped
    characters today, so they appear verbatim)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"[\r\n]+", " ", text))


# --- helpers --------------------------------------------------------------------------------


def _sentences(numbers: Sequence[int]) -> str:
    if not numbers:
        return "no sentence"
    return f"sentence{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in numbers)}"


def _codings(order: dict[str, Any]) -> list[dict[str, Any]]:
    concept = order.get("codeCodeableConcept")
    codings = concept.get("coding", []) if isinstance(concept, dict) else []
    return [c for c in codings if isinstance(c, dict) and isinstance(c.get("code"), str)] if isinstance(
        codings, list) else []


def _hcpcs_coding(order: dict[str, Any]) -> dict[str, Any] | None:
    for coding in _codings(order):
        if coding.get("system") in HCPCS_SYSTEMS:
            return {key: coding[key] for key in ("system", "code", "display") if isinstance(coding.get(key), str)}
    return None


def _hcpcs(order: dict[str, Any]) -> str | None:
    coding = _hcpcs_coding(order)
    if coding is not None:
        return str(coding["code"])
    codings = _codings(order)
    return str(codings[0]["code"]) if codings else None


def _coverage_reference(order: dict[str, Any]) -> dict[str, Any]:
    insurance = order.get("insurance")
    if isinstance(insurance, list) and insurance and isinstance(insurance[0], dict) and insurance[0]:
        return copy.deepcopy(insurance[0])
    return {"display": NO_COVERAGE_DISPLAY}


def _order_name(order: dict[str, Any]) -> str:
    kind = order.get("resourceType", "order")
    return f"{kind}/{order['id']}" if isinstance(order.get("id"), str) else str(kind)


def _part(extension: dict[str, Any], url: str) -> Any:
    for part in extension.get("extension", []) or []:
        if isinstance(part, dict) and part.get("url") == url:
            return {key: value for key, value in part.items() if key != "url"}
    return None


def _assertion_id(order: dict[str, Any], decision: Decision, coverage: dict[str, Any], url: str | None,
                  today: date) -> str:
    stripped = {key: value for key, value in order.items() if key != "extension"}
    stripped["extension"] = [e for e in order.get("extension", []) or []
                             if not (isinstance(e, dict) and e.get("url") == COVERAGE_INFO_URL)]
    payload = json.dumps(
        {"order": stripped, "decision": decision.to_json(), "coverage": coverage, "questionnaire": url,
         "date": today.isoformat()},
        sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
