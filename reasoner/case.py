"""The input case (CONTRACT.md section 1): model, validation and JSON Schema.

Validation is strict where a payer's data would be wrong: booleans must be JSON
booleans, whole numbers must be whole, dates must be ISO dates, codes must be
well formed. An absent optional field stays ``None`` ("unknown") all the way to
the solver, which then gets no fact for it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
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
    ValidationInfo,
    field_validator,
    model_validator,
)

from reasoner import icd10cm
from reasoner.dates import iso_date
from reasoner.errors import InvalidCase
from reasoner.vocabulary import (
    DEVICE_CODES,
    Acquisition,
    DeviceKind,
    DeviceModel,
    Drug,
    Finding,
    Setting,
)

ICD10_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
PROCEDURE_PATTERN = re.compile(r"^(?:[A-V][0-9]{4}|[0-9]{4}[0-9A-Z])$")
MODIFIER_PATTERN = re.compile(r"^[0-9A-Z]{2}$")

# Money is held in whole cents inside the rules; these bounds (one amount, and
# a claim's amounts with the rent already paid) keep every sum the rules make
# inside clingo's 32-bit integers.
MAX_DOLLARS = Decimal("1000000.00")
MAX_CLAIM_DOLLARS = Decimal("10000000.00")
CENT = Decimal("0.01")
# At most this many claim lines per case: a typical claim of this size is decided in about a
# second, the worst (every line's `because` naming every earlier line) in seconds, not minutes
# (docs/performance.md, "Claim lines per case").
MAX_CLAIM_LINES = 1000


def _text_code(pattern: re.Pattern[str], what: str, *, drop_dot: bool = False) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a text {what}")
        code = value.strip().upper()
        if not pattern.match(code):
            raise ValueError(f"{value!r} is not a well-formed {what}")
        return code.replace(".", "") if drop_dot else code

    return check


def _dollars(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number of dollars")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a number of dollars") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be 0 or more")
    if amount > MAX_DOLLARS:
        raise ValueError(f"must be at most {MAX_DOLLARS}")
    if amount != amount.quantize(CENT):  # compared exactly: 1e-999999999 is not $0
        raise ValueError("must have at most 2 decimals")
    return amount


def _hours(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number of hours")
    hours = Decimal(str(value))
    if not hours.is_finite() or hours <= 0 or hours > 24:
        raise ValueError("must be more than 0 and at most 24")
    return hours


_well_formed_diagnosis = _text_code(ICD10_PATTERN, "ICD-10-CM code", drop_dot=True)


def _diagnosis_code(value: Any) -> str:
    """A code of the ICD-10-CM code set (reasoner/icd10cm.py: a category or subcategory of one
    release, whatever the date of service), without the dot."""
    code: str = _well_formed_diagnosis(value)
    if not icd10cm.is_known(code):
        raise ValueError(f"{value!r} is not an ICD-10-CM code (code set: {icd10cm.RELEASE})")
    return code


IsoDate = Annotated[date, BeforeValidator(iso_date)]
Dollars = Annotated[Decimal, BeforeValidator(_dollars)]
Hours = Annotated[Decimal, BeforeValidator(_hours)]
DiagnosisCode = Annotated[str, BeforeValidator(_diagnosis_code)]
ProcedureCode = Annotated[str, BeforeValidator(_text_code(PROCEDURE_PATTERN, "HCPCS or CPT code"))]
Modifier = Annotated[str, BeforeValidator(_text_code(MODIFIER_PATTERN, "two-character modifier"))]


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

    @field_validator("hcpcs")
    @classmethod
    def _code_fits_kind(cls, code: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if code is None or not isinstance(kind, DeviceKind):
            return code
        allowed = DEVICE_CODES[kind]
        if code not in allowed:
            raise ValueError(
                f"{code} does not fit device.kind {kind.value} (expected one of {', '.join(sorted(allowed))})"
            )
        return code


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

    @model_validator(mode="after")
    def _totals_in_range(self) -> Case:
        billed = sum((line.amount or Decimal(0)) for line in self.claim_lines)
        paid = self.device.rental_paid_to_date or Decimal(0)
        if billed + paid > MAX_CLAIM_DOLLARS:
            raise ValueError(
                f"claim_lines: the amounts billed and device.rental_paid_to_date add up to more than "
                f"{MAX_CLAIM_DOLLARS:,} dollars"
            )
        return self

    @field_validator("claim_lines", mode="before")
    @classmethod
    def _at_most_max_lines(cls, claim_lines: Any) -> Any:
        # Before the lines are read one by one, so that a huge claim is refused at once.
        if isinstance(claim_lines, list) and len(claim_lines) > MAX_CLAIM_LINES:
            raise ValueError(
                f"at most {MAX_CLAIM_LINES:,} lines per case, not {len(claim_lines):,} "
                "(split the claim into cases of at most that many lines)"
            )
        return claim_lines

    @field_validator("claim_lines")
    @classmethod
    def _unique_line_numbers(cls, claim_lines: list[ClaimLine]) -> list[ClaimLine]:
        seen: set[int] = set()
        for claim_line in claim_lines:
            if claim_line.line in seen:
                raise ValueError(f"line number {claim_line.line} is used twice")
            seen.add(claim_line.line)
        return claim_lines

    def line_date(self, claim_line: ClaimLine) -> date:
        """The line's date of service, which defaults to the case's."""
        return claim_line.date or self.date_of_service


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
