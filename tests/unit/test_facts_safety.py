"""reasoner/_facts.py is the only door from input to the solver (docs/design.md section 2):
every fact is a clingo Symbol of a predicate that asp/input.lp declares, constants come only
from the closed vocabularies, every user text is a String, and case_id never reaches it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import clingo
import pytest

from reasoner import parse_case
from reasoner._facts import case_facts
from reasoner.case import Case
from reasoner.vocabulary import Acquisition, DeviceKind, DeviceModel, Drug, Finding, Setting

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.json") if p.name != "expected.json")

DEVICE_FLAGS = {"replacement", "backup", "wireless_glucose_monitor", "life_sustaining"}
CURRENT_FLAGS = {"functioning", "under_warranty", "repairable"}
ALLOWED_CONSTANTS = (
    {member.value for vocabulary in (Drug, Setting, DeviceKind, Acquisition, DeviceModel, Finding)
     for member in vocabulary}
    | {"true", "false"}
    | DEVICE_FLAGS
    | CURRENT_FLAGS
)


def declared_inputs() -> set[tuple[str, int]]:
    text = (ROOT / "asp" / "input.lp").read_text(encoding="utf-8")
    found = {(name, int(arity)) for name, arity in re.findall(r"#defined\s+(\w+)/(\d+)\s*\.", text)}
    assert found, "asp/input.lp declares the input predicates with #defined"
    return found


def full_case() -> dict[str, Any]:
    return {
        "case_id": "FACTS-1",
        "date_of_service": "2020-06-15",
        "member": {"age": 34, "diagnoses": ["E10.65"]},
        "therapy": {"drug": "insulin", "setting": "home", "infusion_hours": 7.5},
        "device": {
            "kind": "insulin_pump", "hcpcs": "E0784", "acquisition": "rental",
            "replacement": True, "backup": False, "wireless_glucose_monitor": True,
            "purchase_price": 4500.25, "rental_paid_to_date": 10.5, "life_sustaining": False,
        },
        "current_device": {"kind": "omnipod", "model": "eros", "functioning": False,
                           "under_warranty": True, "repairable": False,
                           "received_on": "2016-02-01"},
        "findings": {finding.value: index % 2 == 0 for index, finding in enumerate(Finding)},
        "claim_lines": [
            {"line": 1, "hcpcs": "E0784", "units": 2, "date": "2020-06-16",
             "modifiers": ["RR", "59"], "amount": 4500.99},
            {"line": 7, "hcpcs": "96521"},
        ],
    }


def all_cases() -> list[dict[str, Any]]:
    return [full_case()] + [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLE_FILES]


def check_argument(argument: clingo.Symbol, fact: clingo.Symbol) -> None:
    assert isinstance(argument, clingo.Symbol), fact
    if argument.type == clingo.SymbolType.Function:
        assert not argument.arguments, f"nested term in {fact}"
        assert argument.name in ALLOWED_CONSTANTS, f"constant {argument.name} in {fact}"
    else:
        assert argument.type in (clingo.SymbolType.Number, clingo.SymbolType.String), fact


@pytest.mark.parametrize("data", all_cases(), ids=lambda d: str(d["case_id"]))
def test_every_fact_is_a_declared_symbol_with_safe_arguments(data: dict[str, Any]) -> None:
    declared = declared_inputs()
    facts = case_facts(parse_case(data), 5)
    assert facts
    for fact in facts:
        assert isinstance(fact, clingo.Symbol), f"{fact!r} is not a clingo.Symbol"
        assert fact.type == clingo.SymbolType.Function, fact
        assert (fact.name, len(fact.arguments)) in declared, f"{fact} is not #defined in input.lp"
        assert fact.arguments[0] == clingo.Number(5), f"{fact} is not keyed by the case key"
        for argument in fact.arguments[1:]:
            check_argument(argument, fact)


def test_full_case_yields_every_kind_of_fact() -> None:
    names = {fact.name for fact in case_facts(parse_case(full_case()), 0)}
    assert names >= {
        "case", "dos", "age", "diagnosis", "drug", "setting", "infusion_seconds", "device_kind",
        "device_hcpcs", "acquisition", "device_flag", "purchase_price", "rental_paid",
        "current_device_kind", "current_device_model", "current_device_flag",
        "current_device_received", "finding", "line", "line_code", "line_units", "line_date",
        "line_modifier", "line_amount",
    }


def test_codes_and_modifiers_are_strings_never_constants() -> None:
    facts = case_facts(parse_case(full_case()), 0)
    by_name: dict[str, list[clingo.Symbol]] = {}
    for fact in facts:
        by_name.setdefault(fact.name, []).append(fact)
    for name in ("diagnosis", "device_hcpcs"):
        for fact in by_name[name]:
            assert fact.arguments[1].type == clingo.SymbolType.String, fact
    for name in ("line_code", "line_modifier"):
        for fact in by_name[name]:
            assert fact.arguments[2].type == clingo.SymbolType.String, fact
    assert {f.arguments[2].string for f in by_name["line_modifier"]} == {"RR", "59"}


def test_case_id_never_reaches_the_solver() -> None:
    plain = parse_case(full_case())
    hostile = parse_case(dict(full_case(), case_id='"). #show decision(0,covered). :- case(C).'))
    assert case_facts(plain, 3) == case_facts(hostile, 3)
    for fact in case_facts(hostile, 3):
        assert "#show" not in str(fact)


def facts_named(case: Case, name: str) -> list[clingo.Symbol]:
    return [fact for fact in case_facts(case, 0) if fact.name == name]


def test_absent_booleans_give_no_fact_and_false_gives_false() -> None:
    data = full_case()
    data["findings"] = {"closed_loop_required": False}
    data["device"] = {"kind": "insulin_pump", "backup": False}
    data["current_device"] = {"functioning": False}
    case = parse_case(data)
    assert [str(f) for f in facts_named(case, "finding")] == ["finding(0,closed_loop_required,false)"]
    assert [str(f) for f in facts_named(case, "device_flag")] == ["device_flag(0,backup,false)"]
    assert [str(f) for f in facts_named(case, "current_device_flag")] == [
        "current_device_flag(0,functioning,false)"
    ]


def test_a_case_with_nothing_optional_gives_only_the_required_facts() -> None:
    case = parse_case({"case_id": "min", "date_of_service": "2020-06-15",
                       "device": {"kind": "v_go"}})
    assert sorted(str(f) for f in case_facts(case, 0)) == [
        "case(0)", "device_kind(0,v_go)", "dos(0,20200615)",
    ]


# (No NUL character here: clingo's String cannot hold one, and validation refuses it in codes.)
HOSTILE_TEXTS = [
    '"). #show decision(0,covered).',
    ":- case(C).",
    "x.\n#show.\n",
    "E10\\u0000 \\n \\\"",
    "caf\u00e9 \u202e \U0001f489",
    "%* comment",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_that_bypassed_validation_becomes_a_string_verbatim(text: str) -> None:
    """Even if validation let it through, user text is a String term, never program text."""
    case = parse_case(full_case())
    line = case.claim_lines[0].model_copy(update={"hcpcs": text, "modifiers": [text]})
    bypassed = case.model_copy(update={
        "member": case.member.model_copy(update={"diagnoses": [text]}),
        "device": case.device.model_copy(update={"hcpcs": text}),
        "claim_lines": [line],
    })
    carriers = {"diagnosis", "device_hcpcs", "line_code", "line_modifier"}
    carried = {
        fact.name
        for fact in case_facts(bypassed, 0)
        if fact.name in carriers
        and fact.arguments[-1].type == clingo.SymbolType.String
        and fact.arguments[-1].string == text
    }
    assert carried == carriers, "each text arrives whole, as a String"
    for fact in case_facts(bypassed, 0):
        for argument in fact.arguments:
            if argument.type == clingo.SymbolType.Function:
                assert argument.name in ALLOWED_CONSTANTS, fact
