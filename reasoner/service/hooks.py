"""The CDS Hooks routes: discovery, the order-sign and order-select services, the Questionnaire of
open questions, and decisions from a QuestionnaireResponse.

Each DeviceRequest of the hook's draft orders becomes a case (fhir_case.py, documented field by
field in docs/fhir.md), is decided by the core, and is echoed back with the Da Vinci
coverage-information extension and a card (crd.py). While questions are open, the extension
points at a Questionnaire of them (questionnaire.py); its QuestionnaireResponse, sent back with
the next hook call (prefetch key ``questionnaireResponse``) or to ``POST /decide/fhir`` with the
case, answers them. The service never calls the hook's ``fhirServer``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reasoner.errors import InvalidCase
from reasoner.service.requests import read_json

if TYPE_CHECKING:
    from reasoner.decision import Decision

ORDER_SIGN = "pump-coverage-order-sign"
ORDER_SELECT = "pump-coverage-order-select"
QUESTIONNAIRE_RESPONSE_KEY = "questionnaireResponse"
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
}
SERVICES: dict[str, dict[str, Any]] = {
    ORDER_SIGN: {
        "hook": "order-sign",
        "id": ORDER_SIGN,
        "title": "Portable external infusion pump coverage (order-sign)",
        "description": "Coverage requirements for portable external infusion pumps, insulin pumps, Omnipod "
        "and V-Go orders under the Portable External Infusion Pump medical policy (Da Vinci CRD).",
        "prefetch": PREFETCH,
    },
    ORDER_SELECT: {
        "hook": "order-select",
        "id": ORDER_SELECT,
        "title": "Portable external infusion pump coverage (order-select)",
        "description": "Coverage requirements for the selected infusion pump orders, as soon as they are chosen.",
        "prefetch": PREFETCH,
    },
}


def add_hook_routes(app: FastAPI) -> None:
    @app.get("/cds-services", tags=["CDS Hooks"])
    async def discovery() -> dict[str, Any]:
        """The CDS Hooks discovery document: the order-sign and order-select services."""
        return {"services": list(SERVICES.values())}

    @app.post("/cds-services/{service_id}", tags=["CDS Hooks"])
    async def hook(service_id: str, request: Request) -> JSONResponse:
        """A hook call: coverage information for each DeviceRequest this policy governs."""
        service = SERVICES.get(service_id)
        if service is None:
            return JSONResponse({"errors": [f"no CDS service {service_id!r}"]}, status_code=404)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise InvalidCase(["request body: must be a CDS Hooks request (a JSON object)"])
        if body.get("hook") != service["hook"]:
            raise InvalidCase([f"hook: service {service_id} answers {service['hook']!r}, not {body.get('hook')!r}"])
        return JSONResponse(answer_hook(body, _base_url(request), date.today()))

    @app.get("/Questionnaire/{questionnaire_id}", tags=["FHIR"])
    async def get_questionnaire(questionnaire_id: str, request: Request) -> JSONResponse:
        """The FHIR R4 Questionnaire of a decision's open questions."""
        from reasoner.service.questionnaire import questionnaire

        try:
            resource = questionnaire(questionnaire_id, _base_url(request))
        except (KeyError, ValueError, InvalidCase):
            return JSONResponse({"errors": [f"no Questionnaire {questionnaire_id!r}"]}, status_code=404)
        return JSONResponse(resource, media_type="application/fhir+json")

    @app.post("/decide/fhir", tags=["FHIR"])
    async def decide_fhir(request: Request) -> JSONResponse:
        """A case and a QuestionnaireResponse that answers its open questions: the new decision.

        Body: {"case": {...}, "questionnaireResponse": {...}}.
        """
        from reasoner.engine import decide
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("case"), dict):
            raise InvalidCase(["request body: must be {\"case\": {...}, \"questionnaireResponse\": {...}}"])
        case = with_answers(body["case"], body.get(QUESTIONNAIRE_RESPONSE_KEY))
        return JSONResponse(decide(case).to_json())


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def with_answers(case: dict[str, Any], response: Any) -> dict[str, Any]:
    """The case with the answers of a QuestionnaireResponse set (none when there is no response)."""
    from reasoner.catalogue import catalogue
    from reasoner.service.questionnaire import answers_from_response

    if response is None:
        return case
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise InvalidCase([f"{QUESTIONNAIRE_RESPONSE_KEY}: must be a FHIR QuestionnaireResponse"])
    for field, value in answers_from_response(response).items():
        case = catalogue().apply_answer(case, field, value)
    return case


def answer_hook(body: dict[str, Any], base_url: str, today: date) -> dict[str, Any]:
    """The CDS Hooks response to one hook request."""
    from reasoner.engine import decide
    from reasoner.service.crd import hook_response
    from reasoner.service.fhir_case import cases_from_hook
    from reasoner.service.questionnaire import questionnaire_for

    prefetch = body.get("prefetch") if isinstance(body.get("prefetch"), dict) else {}
    response = prefetch.get(QUESTIONNAIRE_RESPONSE_KEY) if prefetch else None
    decided: list[tuple[dict[str, Any], Decision | None]] = []
    kinds: dict[int, str] = {}
    for order in cases_from_hook(body, today=today):
        if order.case is None:
            decided.append((order.request, None))
            continue
        decision = decide(with_answers(order.case, response))
        kinds[id(decision)] = order.case["device"]["kind"]
        decided.append((order.request, decision))

    def questionnaire_url(decision: Decision) -> str | None:
        qid = questionnaire_for(decision, kinds[id(decision)])
        return f"{base_url}/Questionnaire/{qid}" if qid else None

    return hook_response(decided, base_url=base_url, today=today, questionnaire_url_for=questionnaire_url)
