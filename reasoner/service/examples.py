"""Request examples for the OpenAPI description (what /openapi.json shows integrators)."""

from __future__ import annotations

from typing import Any

INSULIN_PUMP_CASE: dict[str, Any] = {
    "case_id": "PA-2020-0001",
    "date_of_service": "2020-07-02",
    "member": {"age": 34, "diagnoses": ["E10.65"]},
    "therapy": {"drug": "insulin", "setting": "home"},
    "device": {"kind": "insulin_pump", "hcpcs": "E0784", "acquisition": "purchase"},
    "claim_lines": [{"line": 1, "hcpcs": "E0784", "units": 1, "modifiers": ["NU"], "amount": 4800.00}],
}
HEPARIN_AT_HOME_CASE: dict[str, Any] = {
    "case_id": "PA-2020-0002",
    "date_of_service": "2020-10-01",
    "member": {"diagnoses": ["I82.401"]},
    "therapy": {"drug": "heparin", "setting": "home"},
    "device": {"kind": "infusion_pump", "hcpcs": "E0781"},
}


def _body(examples: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {}, "examples": examples}},
        }
    }


DECIDE_OPENAPI = _body(
    {
        "covered": {"summary": "An insulin pump for type 1 diabetes", "value": INSULIN_PUMP_CASE},
        "incomplete": {"summary": "Heparin at home: not covered, questions open", "value": HEPARIN_AT_HOME_CASE},
    },
    "A case (GET /schema/case gives its JSON Schema).",
)
BATCH_OPENAPI = _body(
    {"two cases": {"summary": "Two cases, decided in order", "value": [INSULIN_PUMP_CASE, HEPARIN_AT_HOME_CASE]}},
    "A JSON array of cases; each gets a decision or an error record, in order.",
)
