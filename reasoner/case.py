"""The input case (CONTRACT.md section 1): model, validation and JSON Schema.

Validation is strict where a payer's data would be wrong: booleans must be JSON
booleans, whole numbers must be whole, dates must be ISO dates, codes must be
well formed. An absent optional field stays ``None`` ("unknown") all the way to
the solver, which then gets no fact for it. The checks beyond types live in
reasoner/case_checks.py, free of pydantic, so that the plain reading of a case
(reasoner/case_plain.py, generated from these models) runs the same ones.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from reasoner import case_checks as checks
from reasoner.case_checks import MAX_CLAIM_LINES
from reasoner.dates import iso_date
from reasoner.errors import InvalidCase
from reasoner.vocabulary import (
    Acquisition,
    DeviceKind,
    DeviceModel,
    Drug,
    Finding,
    Setting,
)

IsoDate = Annotated[date, BeforeValidator(iso_date)]
Dollars = Annotated[Decimal, BeforeValidator(checks.dollars)]
Hours = Annotated[Decimal, BeforeValidator(checks.hours)]
DiagnosisCode = Annotated[str, BeforeValidator(checks.diagnosis_code)]
ProcedureCode = Annotated[str, BeforeValidator(checks.procedure_code)]
Modifier = Annotated[str, BeforeValidator(checks.modifier)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Member(_Strict):
    age: Annotated[StrictInt, Field(ge=0, le=130)] | None = None
    diagnoses: list[DiagnosisCode] | None = None
    # false: `diagnoses` lists some of the member's diagnoses (say, the reasons of one order), so a
    # diagnosis class not among them is unknown, not absent. Absent or true: the list is complete.
    diagnoses_complete: StrictBool | None = None


class Therapy(_Strict):
    drug: Drug | None = None
    setting: Setting | None = None
    infusion_hours: Hours | None = None


class Device(_Strict):
    kind: DeviceKind
    hcpcs: ProcedureCode | None = None
    acquisition: Acquisition | None = None
    replacement: StrictBool | None = None
    backup: StrictBool | None = None
    wireless_glucose_monitor: StrictBool | None = None
    purchase_price: Dollars | None = None
    rental_paid_to_date: Dollars | None = None
    life_sustaining: StrictBool | None = None

    _code_fits_kind = field_validator("hcpcs")(checks.code_fits_kind)


class CurrentDevice(_Strict):
    kind: DeviceKind | None = None
    model: DeviceModel | None = None
    functioning: StrictBool | None = None
    under_warranty: StrictBool | None = None
    repairable: StrictBool | None = None
    received_on: IsoDate | None = None


class ClaimLine(_Strict):
    line: Annotated[StrictInt, Field(ge=1, le=99999)]
    hcpcs: ProcedureCode
    units: Annotated[StrictInt, Field(ge=1, le=999)] = 1
    date: IsoDate | None = None
    modifiers: list[Modifier] = Field(default_factory=list)
    amount: Dollars | None = None


class Case(_Strict):
    case_id: Annotated[StrictStr, Field(max_length=128)]
    date_of_service: IsoDate
    member: Member = Field(default_factory=Member)
    therapy: Therapy = Field(default_factory=Therapy)
    device: Device
    current_device: CurrentDevice | None = None
    findings: dict[Finding, StrictBool] = Field(default_factory=dict)
    claim_lines: list[ClaimLine] = Field(default_factory=list, max_length=MAX_CLAIM_LINES)

    _at_most_max_lines = field_validator("claim_lines", mode="before")(checks.at_most_max_lines)
    _unique_line_numbers = field_validator("claim_lines")(checks.unique_line_numbers)
    _totals_in_range = model_validator(mode="after")(checks.totals_in_range)


FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OWN_FIELD_MESSAGE = re.compile(r"^[a-z_]+(\.[a-z_]+)*: ")
PYDANTIC_MARKERS = {"[key]", "function-after", "function-before"}


def _field_path(location: tuple[int | str, ...]) -> str:
    """A dotted path; a name the user wrote that is not a plain word is quoted (one line, always)."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        if part in PYDANTIC_MARKERS:
            continue
        name = part if FIELD_NAME.match(part) else json.dumps(part)
        path += f".{name}" if path else name
    return path or "case"


def _problem_lines(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        message = " ".join(item["msg"].removeprefix("Value error, ").split())
        if not item["loc"] and OWN_FIELD_MESSAGE.match(message):
            problems.append(message)  # a check across fields names its field itself
        else:
            problems.append(f"{_field_path(tuple(item['loc']))}: {message}")
    return problems


def parse_case(data: object) -> Case:
    """Validate a decoded JSON object as a case, or raise InvalidCase naming each field."""
    if isinstance(data, Case):
        return data
    if not isinstance(data, dict):
        raise InvalidCase(["case: must be a JSON object"])
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        raise InvalidCase(_problem_lines(error)) from None


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of the case, for integrators."""
    return Case.model_json_schema()
