"""The plain reading of a case (reasoner/case_plain.py, which `reasoner check` decides with, without
loading pydantic) never disagrees with the case model (reasoner/case.py), whatever the input:

- every valid case is read (else `check` would fall back to pydantic for nothing);
- whatever it reads, the model accepts too, holding the same values of the same types: the same
  JSON, the same facts for the solver, the same warnings;
- whatever the model refuses, it leaves to the model (None), which words the error.
"""

from __future__ import annotations

import copy
import json
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

from case_strategies import cases
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from test_invalid_cases import BAD_VALUES, paths, replace

from reasoner._facts import case_facts
from reasoner.case import Case, parse_case
from reasoner.case_types import AnyCase, case_data, case_json, read_plain_case
from reasoner.errors import InvalidCase
from reasoner.inputs import decode_json
from reasoner.vocabulary import DeviceKind, Drug
from reasoner.warnings import case_warnings

# Values that are near a valid one: other types of the same number, codes in other spellings,
# bounds and one past them.
NEAR_VALUES: list[Any] = [
    *BAD_VALUES, 0, 1, 24, 25, 99999, 100000, 999, 1000, 130, 131, 1.0, 7.999, Decimal("8"), Decimal("8.000"),
    Decimal("0.001"), 12.345, "e11.9", " E0784 ", "e0784", "E11.", "A9274", "x" * 129, "x" * 128, "2020-02-29",
    "2020-1-01", False, {"kind": "v_go"}, [{"line": 1, "hcpcs": "E0784"}], ["E11.9"], ["rr"],
    # text JSON can hold that is no text to the model (a lone surrogate), decimals that are no
    # number, and what only Python callers pass: a datetime, an enumeration's member, a tuple
    "\ud800", "a\udc00b", Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-0"), Decimal("1E+2"),
    datetime(2020, 6, 1, 12, 30), DeviceKind.v_go, Drug.insulin, ("E11.9",),
]


def values(held: Any) -> Any:
    """What a case holds, field by field (each form's own fields), each value with its type
    (Decimal("1.50") is not Decimal("1.5"), and an enum member is not its text)."""
    kind = type(held)
    if hasattr(kind, "__dataclass_fields__") or hasattr(kind, "model_fields"):
        fields = list(getattr(kind, "__dataclass_fields__", None) or kind.model_fields)
        return {name: values(getattr(held, name)) for name in sorted(fields)}
    if isinstance(held, list):
        return [values(each) for each in held]
    if isinstance(held, dict):
        return {values(name): values(each) for name, each in held.items()}
    return (type(held).__name__, str(held))


def read_both(data: Any) -> tuple[AnyCase | None, AnyCase | None]:
    """The plain reading and the model's reading of one input, after holding them to each other."""
    plain = read_plain_case(data)
    try:
        model: AnyCase | None = parse_case(data)
    except InvalidCase:
        model = None
    if model is None:
        assert plain is None, f"read plainly, refused by the model: {data!r}"
    elif plain is not None:
        assert values(plain) == values(model)
        assert values(parse_case(case_data(plain))) == values(model)  # read anew, as the engine does on a fault
        assert case_json(plain) == case_json(model)
        assert case_facts(plain, 0) == case_facts(model, 0)
        assert case_warnings(plain) == case_warnings(model)
    return plain, model


def as_json(case: dict[str, Any]) -> Any:
    """The case as `check` reads it from a file: numbers with a fraction become exact decimals."""
    return decode_json(json.dumps(case))


@given(cases())
def test_every_valid_case_is_read_plainly_as_the_model_reads_it(case: dict[str, Any]) -> None:
    for data in (case, as_json(case)):
        plain, model = read_both(data)
        assert model is not None
        assert plain is not None, f"a valid case left to the model: {data!r}"


@given(cases(), st.data())
def test_a_value_changed_anywhere_is_read_as_the_model_reads_it_or_left_to_it(
    case: dict[str, Any], data: st.DataObject,
) -> None:
    path = data.draw(st.sampled_from(paths(case)))
    read_both(replace(case, path, data.draw(st.sampled_from(NEAR_VALUES))))


@given(cases(), st.data())
def test_a_field_left_out_or_added_is_read_as_the_model_reads_it_or_left_to_it(
    case: dict[str, Any], data: st.DataObject,
) -> None:
    path = data.draw(st.sampled_from(paths(case)))
    changed = copy.deepcopy(case)
    container: Any = changed
    for step in path[:-1]:
        container = container[step]
    if data.draw(st.booleans()):
        del container[path[-1]]
    elif isinstance(container, dict):
        container[data.draw(st.text(max_size=8))] = data.draw(st.sampled_from(NEAR_VALUES))
    read_both(changed)


# Every field of the model given (a test below holds this to the model's fields), so that each can
# be changed in turn.
EVERY_FIELD: dict[str, Any] = {
    "case_id": "every-field", "date_of_service": "2020-06-15",
    "member": {"age": 40, "diagnoses": ["E10.65", "I10"], "diagnoses_complete": True},
    "therapy": {"drug": "insulin", "setting": "home", "infusion_hours": 8},
    "device": {"kind": "insulin_pump", "hcpcs": "E0784", "acquisition": "rental", "replacement": True,
               "backup": False, "wireless_glucose_monitor": False, "purchase_price": 6000,
               "rental_paid_to_date": Decimal("1200.50"), "life_sustaining": False},
    "current_device": {"kind": "insulin_pump", "model": "eros", "functioning": False, "under_warranty": False,
                       "repairable": False, "received_on": "2015-01-01"},
    "findings": {"medical_review_established": True},
    "claim_lines": [{"line": 1, "hcpcs": "E0784", "units": 1, "date": "2020-06-15", "modifiers": ["RR"],
                     "amount": 500.25}],
}


def field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """The dotted names of every field of a model and of the models it holds."""
    found = set()
    for name, info in model.model_fields.items():
        found.add(prefix + name)
        for inner in (info.annotation, *typing.get_args(info.annotation)):
            for held in (inner, *typing.get_args(inner)):
                if isinstance(held, type) and issubclass(held, BaseModel):
                    found |= field_paths(held, f"{prefix}{name}.")
    return found


def test_the_case_with_every_field_has_every_field_of_the_model() -> None:
    given = {".".join(str(step) for step in path if not isinstance(step, int)) for path in paths(EVERY_FIELD)}
    assert field_paths(Case) <= given


def test_each_field_changed_to_each_near_value_is_read_as_the_model_reads_it_or_left_to_it() -> None:
    plain, model = read_both(EVERY_FIELD)
    assert plain is not None
    assert model is not None
    for path in paths(EVERY_FIELD):
        for value in NEAR_VALUES:
            read_both(replace(EVERY_FIELD, path, value))


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers(), max_size=2)))
def test_what_is_not_an_object_is_left_to_the_model(data: Any) -> None:
    assert read_plain_case(data) is None


def test_a_check_across_fields_is_kept_a_code_that_does_not_fit_the_kind_is_left_to_the_model() -> None:
    # device.hcpcs must be a code of device.kind (checks.code_fits_kind): E0784 is an insulin pump's.
    case = {"case_id": "c", "date_of_service": "2020-06-01", "device": {"kind": "v_go", "hcpcs": "E0784"}}
    assert read_both(case) == (None, None)
    case["device"]["kind"] = "insulin_pump"
    plain, model = read_both(case)
    assert plain is not None
    assert model is not None


def test_line_numbers_used_twice_and_totals_past_the_limit_are_left_to_the_model() -> None:
    line = {"line": 1, "hcpcs": "E0784", "amount": 900000}
    case = {"case_id": "c", "date_of_service": "2020-06-01", "device": {"kind": "insulin_pump"},
            "claim_lines": [line, dict(line)]}
    assert read_both(case) == (None, None)  # line 1 twice (checks.unique_line_numbers)
    case["claim_lines"] = [dict(line, line=number) for number in range(1, 13)]
    assert read_both(case) == (None, None)  # $10.8 M billed (checks.totals_in_range)
    case["claim_lines"] = case["claim_lines"][:11]
    plain, model = read_both(case)
    assert plain is not None
    assert model is not None
