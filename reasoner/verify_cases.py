"""Witnesses of `reasoner verify` turned back into cases in the input format.

The inverse of asp/conditions.lp for one representative input per answer: the
checker re-decides every case it prints, so a mistake here shows up as a
finding that is not reproduced, never as a silent wrong answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import clingo

from reasoner._facts import DEVICE_FLAGS
from reasoner._results import text
from reasoner.vocabulary import Finding

# One code per diagnosis class, narrowest class first (a code of an inner
# class also meets the wider one: E11 is diabetes, C22 is cancer pain too).
DIAGNOSIS_CODES = {
    "diagnosis_type1_or_type2_diabetes": "E11.9",
    "diagnosis_diabetes": "O24.419",
    "diagnosis_iron": "E83.111",
    "diagnosis_thromboembolic": "I82.401",
    "diagnosis_cancer": "C22.0",
    "diagnosis_cancer_pain": "G89.3",
}
WIDER = {"diagnosis_diabetes": "diagnosis_type1_or_type2_diabetes",
         "diagnosis_cancer_pain": "diagnosis_cancer"}
CURRENT_FLAGS = {
    "current_functioning": ("functioning", True),
    "current_malfunctioning": ("functioning", False),
    "current_out_of_warranty": ("under_warranty", False),
    "current_not_repairable": ("repairable", False),
}
FINDINGS = {f.value for f in Finding}


def witness_case(symbols: Iterable[clingo.Symbol], date: str, kind: str, *, claim: bool = True) -> dict[str, Any]:
    """The witness as a case dated ``date``; ``claim``: with the bounded claim (only the `new`
    case of asp/verify/cases.lp has one)."""
    symbols = list(symbols)
    values: dict[str, str] = {}
    docs: dict[str, bool] = {}
    for symbol in symbols:
        if symbol.name == "value" and text(symbol.arguments[1]) != "unknown":
            values[text(symbol.arguments[0])] = text(symbol.arguments[1])
        elif symbol.name == "doc" and text(symbol.arguments[1]) != "unknown":
            docs[text(symbol.arguments[0])] = text(symbol.arguments[1]) == "true"
    case: dict[str, Any] = {"case_id": f"verify: {kind}", "date_of_service": date}
    _request(case, values)
    _documentation(case, docs)
    if claim:
        _claim(case, symbols)
    return case


def _claim(case: dict[str, Any], symbols: Iterable[clingo.Symbol]) -> None:
    """The bounded claim's lines and the device's rental figures, from the gen_* atoms."""
    lines: dict[int, dict[str, Any]] = {}
    device = case["device"]
    for symbol in symbols:
        args = symbol.arguments
        if symbol.name == "gen_acquisition":
            device["acquisition"] = text(args[0])
        elif symbol.name == "gen_price":
            device["purchase_price"] = args[0].number / 100
        elif symbol.name == "gen_paid":
            device["rental_paid_to_date"] = args[0].number / 100
        elif symbol.name.startswith("gen_") and args:
            _line_field(lines.setdefault(args[0].number, {"line": args[0].number}), symbol.name, args[1:])
    if lines:
        case["claim_lines"] = [lines[number] for number in sorted(lines)]


def _line_field(line: dict[str, Any], name: str, args: list[clingo.Symbol]) -> None:
    if name == "gen_code":
        line["hcpcs"] = text(args[0])
    elif name == "gen_units":
        line["units"] = args[0].number
    elif name == "gen_date":
        ymd = args[0].number
        line["date"] = f"{ymd // 10000:04d}-{ymd // 100 % 100:02d}-{ymd % 100:02d}"
    elif name == "gen_modifier":
        line["modifiers"] = [text(args[0])]
    elif name == "gen_amount":
        line["amount"] = args[0].number / 100


def _request(case: dict[str, Any], values: dict[str, str]) -> None:
    device: dict[str, Any] = {"kind": values["device_kind"]}
    if "device_hcpcs" in values:
        device["hcpcs"] = values["device_hcpcs"]
    for flag in DEVICE_FLAGS:
        if flag in values:
            device[flag] = values[flag] == "true"
    case["device"] = device
    therapy = {key: values[key] for key in ("drug", "setting") if key in values}
    if therapy:
        case["therapy"] = therapy


def _documentation(case: dict[str, Any], docs: dict[str, bool]) -> None:
    findings = {x: value for x, value in docs.items() if x in FINDINGS}
    if findings:
        case["findings"] = findings
    # The threshold itself and just under it, as asp/verify/inputs.lp gives them (28800 s, 28764 s).
    hours = {"infusion_at_least_8h": 8, "infusion_under_8h": 7.99}
    for condition, value in hours.items():
        if docs.get(condition):
            case.setdefault("therapy", {})["infusion_hours"] = value
    diagnoses = [
        code for condition, code in DIAGNOSIS_CODES.items()
        if docs.get(condition) and not docs.get(WIDER.get(condition, ""), False)
    ]
    if any(condition in docs for condition in DIAGNOSIS_CODES):
        case["member"] = {"diagnoses": diagnoses}
    current = _current_device(docs)
    if current:
        case["current_device"] = current


def _current_device(docs: dict[str, bool]) -> dict[str, Any]:
    current: dict[str, Any] = {}
    for condition, (field, when_true) in CURRENT_FLAGS.items():
        if condition in docs:
            current[field] = when_true if docs[condition] else not when_true
    if "current_device_eros" in docs:
        current["model"] = "eros" if docs["current_device_eros"] else "dash"
    if "received_in_eros_window" in docs:
        current["received_on"] = "2019-06-01" if docs["received_in_eros_window"] else "2018-06-01"
    return current
