"""The two forms of a validated case that the core reads alike: the pydantic model
(reasoner/case.py), which every interface validates with, and the plain reading
(reasoner/case_plain.py, generated from that model), which `reasoner check` uses to decide
without loading pydantic. Both have the same fields holding the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from reasoner._plain_read import Defer, json_value, python_value
from reasoner.case_plain import PlainCase, read_case

if TYPE_CHECKING:
    from reasoner.case import Case, ClaimLine, CurrentDevice, Device
    from reasoner.case_plain import PlainClaimLine, PlainCurrentDevice, PlainDevice

AnyCase: TypeAlias = "Case | PlainCase"
AnyClaimLine: TypeAlias = "ClaimLine | PlainClaimLine"
AnyDevice: TypeAlias = "Device | PlainDevice"
AnyCurrentDevice: TypeAlias = "CurrentDevice | PlainCurrentDevice"


def case_json(case: AnyCase) -> dict[str, Any]:
    """The case as JSON values, its absent (None) fields left out."""
    if isinstance(case, PlainCase):
        dumped: dict[str, Any] = json_value(case)
        return dumped
    return case.model_dump(mode="json", exclude_none=True)


def case_data(case: AnyCase) -> dict[str, Any]:
    """The case as data that the model reads back into the same case (to validate it anew)."""
    if isinstance(case, PlainCase):
        data: dict[str, Any] = python_value(case)
        return data
    return case.model_dump(mode="python", exclude_unset=True, warnings=False)


def read_plain_case(data: object) -> PlainCase | None:
    """The case, read as the model would read it; None when the model must decide (an error to
    word, or anything the plain reading does not vouch for)."""
    try:
        case: PlainCase = read_case(data)
    except Defer:
        return None
    return case
