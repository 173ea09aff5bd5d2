"""Hypothesis strategies for valid cases (with claim lines) and for invalid ones."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, DeviceModel, Drug, Finding, Setting

BOUNDARY_DATES = [
    date(2020, 3, 31), date(2020, 4, 1), date(2020, 5, 18), date(2020, 5, 19),
    date(2019, 3, 31), date(2019, 4, 1), date(2020, 3, 31), date(2021, 1, 15),
]
DIAGNOSES = ["E10.65", "E11.9", "O24.419", "E83.111", "T45.4X1A", "I82.401", "I26.99",
             "C22.0", "G89.3", "I10", "D80.0", "I27.0"]
LINE_CODES = ["E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399", "A9274",
              "A4221", "A4222", "A4224", "A4225", "A4230", "A4231", "A4232", "K0552",
              "K0601", "K0602", "A4602", "96416", "96425", "96521", "J1234", "99213", "K0606"]
MODIFIERS = ["RR", "NU", "UE", "59", "XU", "XE"]
HOURS = [0.5, 4, 7.99, 8, 8.01, 12, 24]


def dates() -> st.SearchStrategy[date]:
    return st.one_of(
        st.sampled_from(BOUNDARY_DATES),
        st.dates(min_value=date(2019, 12, 1), max_value=date(2021, 12, 31)),
    )


def iso(day: date) -> str:
    return day.isoformat()


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def money() -> st.SearchStrategy[float]:
    return st.integers(min_value=0, max_value=600000).map(lambda cents: cents / 100)


@st.composite
def some_fields(draw: st.DrawFn, optional: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Each optional field present (with a drawn value) or absent (unknown)."""
    fields = {name: draw(maybe(strategy)) for name, strategy in optional.items()}
    return {name: value for name, value in fields.items() if value is not None}


@st.composite
def devices(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(DeviceKind)))
    device: dict[str, Any] = {"kind": kind.value}
    optional = {
        "hcpcs": st.sampled_from(sorted(DEVICE_CODES[kind])),
        "acquisition": st.sampled_from([a.value for a in Acquisition]),
        "replacement": st.booleans(),
        "backup": st.booleans(),
        "wireless_glucose_monitor": st.booleans(),
        "purchase_price": money(),
        "rental_paid_to_date": money(),
        "life_sustaining": st.booleans(),
    }
    return {**device, **draw(some_fields(optional))}


@st.composite
def current_devices(draw: st.DrawFn) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    optional = {
        "kind": st.sampled_from([k.value for k in DeviceKind]),
        "model": st.sampled_from([m.value for m in DeviceModel]),
        "functioning": st.booleans(),
        "under_warranty": st.booleans(),
        "repairable": st.booleans(),
        "received_on": dates().map(iso),
    }
    current: dict[str, Any] = draw(some_fields(optional))
    return current


@st.composite
def claim_lines(draw: st.DrawFn, service: date) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=4))
    lines = []
    for number in range(1, count + 1):
        line: dict[str, Any] = {"line": number, "hcpcs": draw(st.sampled_from(LINE_CODES))}
        if draw(st.booleans()):
            line["units"] = draw(st.integers(min_value=1, max_value=3))
        if draw(st.booleans()):
            line["date"] = iso(service + timedelta(days=draw(st.integers(min_value=0, max_value=10))))
        modifiers = draw(st.lists(st.sampled_from(MODIFIERS), max_size=2, unique=True))
        if modifiers:
            line["modifiers"] = modifiers
        amount = draw(maybe(money()))
        if amount is not None:
            line["amount"] = amount
        lines.append(line)
    return lines


@st.composite
def cases(draw: st.DrawFn, *, known_request: bool = False, listed_diagnoses: bool = False) -> dict[str, Any]:
    """A valid case. ``known_request``: drug and setting given; ``listed_diagnoses``: always listed."""
    service = draw(dates())
    case: dict[str, Any] = {"case_id": draw(st.text(max_size=20)), "date_of_service": iso(service)}
    diagnoses = draw(st.lists(st.sampled_from(DIAGNOSES), max_size=3, unique=True))
    if listed_diagnoses or draw(st.booleans()):
        case["member"] = {"diagnoses": diagnoses}
    therapy: dict[str, Any] = {}
    drug = st.sampled_from([d.value for d in Drug])
    setting = st.sampled_from([s.value for s in Setting])
    for field, strategy in (("drug", drug), ("setting", setting), ("infusion_hours", st.sampled_from(HOURS))):
        value = draw(strategy if known_request and field != "infusion_hours" else maybe(strategy))
        if value is not None:
            therapy[field] = value
    case["therapy"] = therapy
    case["device"] = draw(devices())
    current = draw(current_devices())
    if current is not None:
        case["current_device"] = current
    findings = draw(st.dictionaries(st.sampled_from([f.value for f in Finding]), st.booleans()))
    if findings:
        case["findings"] = findings
    lines = draw(claim_lines(service))
    if lines:
        case["claim_lines"] = lines
    return case
