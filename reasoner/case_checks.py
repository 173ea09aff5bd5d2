"""The checks of the input case that are more than a type: codes, money, hours, and the checks
across fields. Free of pydantic: the case model (reasoner/case.py) uses each of them as a
validator, and the plain reading of a case (reasoner/case_plain.py, generated from that model)
calls the same functions, so there is one definition of what a case may hold.

Each check raises ValueError with the message a user reads after the field's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from reasoner import icd10cm
from reasoner.vocabulary import DEVICE_CODES, DeviceKind

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


class ValidatedFields(Protocol):
    """What a check across fields reads of the fields validated before its own (pydantic's
    ValidationInfo is one)."""

    @property
    def data(self) -> dict[str, Any]: ...


class HasLineNumber(Protocol):
    @property
    def line(self) -> int: ...


class HasAmount(Protocol):
    @property
    def amount(self) -> Decimal | None: ...


class HasRentalPaid(Protocol):
    @property
    def rental_paid_to_date(self) -> Decimal | None: ...


class HasClaim(Protocol):
    @property
    def device(self) -> HasRentalPaid: ...
    @property
    def claim_lines(self) -> Sequence[HasAmount]: ...


class HasServiceDate(Protocol):
    @property
    def date_of_service(self) -> date: ...


class HasLineDate(Protocol):
    @property
    def date(self) -> date | None: ...


def text_code(pattern: re.Pattern[str], what: str, *, drop_dot: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a text {what}")
        code = value.strip().upper()
        if not pattern.match(code):
            raise ValueError(f"{value!r} is not a well-formed {what}")
        return code.replace(".", "") if drop_dot else code

    return check


procedure_code = text_code(PROCEDURE_PATTERN, "HCPCS or CPT code")
modifier = text_code(MODIFIER_PATTERN, "two-character modifier")
_well_formed_diagnosis = text_code(ICD10_PATTERN, "ICD-10-CM code", drop_dot=True)


def dollars(value: Any) -> Decimal:
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


def hours(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number of hours")
    amount = Decimal(str(value))
    if not amount.is_finite() or amount <= 0 or amount > 24:
        raise ValueError("must be more than 0 and at most 24")
    return amount


def diagnosis_code(value: Any) -> str:
    """A code of the ICD-10-CM code set (reasoner/icd10cm.py: a category or subcategory of one
    release, whatever the date of service), without the dot."""
    code = _well_formed_diagnosis(value)
    if not icd10cm.is_known(code):
        raise ValueError(f"{value!r} is not an ICD-10-CM code (code set: {icd10cm.RELEASE})")
    return code


def code_fits_kind(code: str | None, fields: ValidatedFields) -> str | None:
    """`device.hcpcs` is one of the codes of `device.kind` (when the kind itself was valid)."""
    kind = fields.data.get("kind")
    if code is None or not isinstance(kind, DeviceKind):
        return code
    allowed = DEVICE_CODES[kind]
    if code not in allowed:
        raise ValueError(
            f"{code} does not fit device.kind {kind.value} (expected one of {', '.join(sorted(allowed))})"
        )
    return code


def at_most_max_lines(claim_lines: Any) -> Any:
    """Before the lines are read one by one, so that a huge claim is refused at once."""
    if isinstance(claim_lines, list) and len(claim_lines) > MAX_CLAIM_LINES:
        raise ValueError(
            f"at most {MAX_CLAIM_LINES:,} lines per case, not {len(claim_lines):,} "
            "(split the claim into cases of at most that many lines)"
        )
    return claim_lines


Line = TypeVar("Line", bound=HasLineNumber)
Claim = TypeVar("Claim", bound=HasClaim)


def unique_line_numbers(claim_lines: list[Line]) -> list[Line]:
    seen: set[int] = set()
    for claim_line in claim_lines:
        if claim_line.line in seen:
            raise ValueError(f"line number {claim_line.line} is used twice")
        seen.add(claim_line.line)
    return claim_lines


def totals_in_range(case: Claim) -> Claim:
    billed = sum((line.amount or Decimal(0)) for line in case.claim_lines)
    paid = case.device.rental_paid_to_date or Decimal(0)
    if billed + paid > MAX_CLAIM_DOLLARS:
        raise ValueError(
            f"claim_lines: the amounts billed and device.rental_paid_to_date add up to more than "
            f"{MAX_CLAIM_DOLLARS:,} dollars"
        )
    return case


def line_date(case: HasServiceDate, claim_line: HasLineDate) -> date:
    """A claim line's date of service, which defaults to the case's."""
    return claim_line.date or case.date_of_service
