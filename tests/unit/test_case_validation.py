"""Validation of the input case (docs/contract.md section 1): every kind of bad input is refused
with InvalidCase, one problem a line, each line starting with the path of the field at fault.
Boundary values just inside the ranges are accepted."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reasoner import Case, InvalidCase, decide, parse_case

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# a field path: `case_id`, `device.kind`, `claim_lines[0].hcpcs`, `member.diagnoses[2]`
FIELD_PATH = re.compile(r"^[a-z_]+(?:\.[a-z_0-9]+|\[[0-9]+\])*$")

Mutation = Callable[[dict[str, Any]], None]


def base_case() -> dict[str, Any]:
    """A valid case that uses every part of the input."""
    return {
        "case_id": "VAL-1",
        "date_of_service": "2020-06-15",
        "member": {"age": 34, "diagnoses": ["E10.65", "I10"]},
        "therapy": {"drug": "insulin", "setting": "home", "infusion_hours": 24},
        "device": {
            "kind": "insulin_pump", "hcpcs": "E0784", "acquisition": "purchase",
            "replacement": True, "backup": False, "wireless_glucose_monitor": False,
            "purchase_price": 4500.00, "rental_paid_to_date": 0, "life_sustaining": False,
        },
        "current_device": {"kind": "insulin_pump", "model": None, "functioning": False,
                           "under_warranty": False, "repairable": False,
                           "received_on": "2016-02-01"},
        "findings": {"home_parenteral_reasonable": True},
        "claim_lines": [
            {"line": 1, "hcpcs": "E0784", "units": 1, "date": "2020-06-15",
             "modifiers": ["NU"], "amount": 4500.00},
            {"line": 2, "hcpcs": "A4230", "units": 10, "modifiers": [], "amount": 120.5},
        ],
    }


def setter(*path: str | int, value: Any) -> Mutation:
    def mutate(case: dict[str, Any]) -> None:
        target: Any = case
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def remover(*path: str | int) -> Mutation:
    def mutate(case: dict[str, Any]) -> None:
        target: Any = case
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def problems_of(mutate: Mutation) -> list[str]:
    case = base_case()
    mutate(case)
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    problems = caught.value.problems()
    assert problems, "InvalidCase must carry at least one problem"
    return problems


def path_of(problem: str) -> str:
    assert ": " in problem, f"no 'field: message' shape: {problem!r}"
    return problem.split(": ", 1)[0]


# (id, mutation, the field path the problem must start with)
BAD_INPUTS: list[tuple[str, Mutation, str]] = [
    # wrong types
    ("boolean-as-string", setter("device", "backup", value="false"), "device.backup"),
    ("boolean-as-number", setter("device", "replacement", value=1), "device.replacement"),
    ("boolean-as-null-string", setter("current_device", "functioning", value="null"),
     "current_device.functioning"),
    ("finding-as-string", setter("findings", "closed_loop_required", value="yes"),
     "findings.closed_loop_required"),
    ("age-as-string", setter("member", "age", value="34"), "member.age"),
    ("age-as-boolean", setter("member", "age", value=True), "member.age"),
    ("age-as-float", setter("member", "age", value=34.5), "member.age"),
    ("age-negative", setter("member", "age", value=-1), "member.age"),
    ("age-too-old", setter("member", "age", value=131), "member.age"),
    ("hours-as-boolean", setter("therapy", "infusion_hours", value=True),
     "therapy.infusion_hours"),
    ("hours-as-string", setter("therapy", "infusion_hours", value="8"), "therapy.infusion_hours"),
    ("price-as-boolean", setter("device", "purchase_price", value=True), "device.purchase_price"),
    ("amount-as-string", setter("claim_lines", 0, "amount", value="4500"),
     "claim_lines[0].amount"),
    ("units-as-boolean", setter("claim_lines", 0, "units", value=True), "claim_lines[0].units"),
    ("line-as-string", setter("claim_lines", 1, "line", value="2"), "claim_lines[1].line"),
    ("case-id-as-number", setter("case_id", value=17), "case_id"),
    ("diagnoses-as-string", setter("member", "diagnoses", value="E10.65"), "member.diagnoses"),
    ("diagnosis-as-number", setter("member", "diagnoses", 0, value=250), "member.diagnoses[0]"),
    ("modifiers-as-string", setter("claim_lines", 0, "modifiers", value="NU"),
     "claim_lines[0].modifiers"),
    ("member-as-list", setter("member", value=[34]), "member"),
    ("claim-lines-as-object", setter("claim_lines", value={"line": 1}), "claim_lines"),
    ("findings-as-list", setter("findings", value=["closed_loop_required"]), "findings"),
    # unknown vocabulary values
    ("unknown-drug", setter("therapy", "drug", value="aspirin"), "therapy.drug"),
    ("drug-wrong-case", setter("therapy", "drug", value="Insulin"), "therapy.drug"),
    ("unknown-setting", setter("therapy", "setting", value="school"), "therapy.setting"),
    ("unknown-kind", setter("device", "kind", value="pump"), "device.kind"),
    ("unknown-acquisition", setter("device", "acquisition", value="lease"),
     "device.acquisition"),
    ("unknown-current-kind", setter("current_device", "kind", value="syringe"),
     "current_device.kind"),
    ("unknown-model", setter("current_device", "model", value="omnipod5"),
     "current_device.model"),
    ("unknown-finding", setter("findings", "patient_is_nice", value=True), "findings"),
    # malformed codes
    ("icd-too-short", setter("member", "diagnoses", 0, value="E1"), "member.diagnoses[0]"),
    ("icd-digits-only", setter("member", "diagnoses", 1, value="12345"), "member.diagnoses[1]"),
    ("icd-two-dots", setter("member", "diagnoses", 0, value="E10..65"), "member.diagnoses[0]"),
    ("icd-too-long", setter("member", "diagnoses", 0, value="E10.65123"),
     "member.diagnoses[0]"),
    ("icd-with-space", setter("member", "diagnoses", 0, value="E10 65"), "member.diagnoses[0]"),
    ("hcpcs-too-short", setter("claim_lines", 0, "hcpcs", value="E078"), "claim_lines[0].hcpcs"),
    ("hcpcs-too-long", setter("claim_lines", 0, "hcpcs", value="E07845"),
     "claim_lines[0].hcpcs"),
    ("hcpcs-letters", setter("claim_lines", 1, "hcpcs", value="AAAAA"), "claim_lines[1].hcpcs"),
    ("hcpcs-empty", setter("claim_lines", 0, "hcpcs", value=""), "claim_lines[0].hcpcs"),
    ("device-hcpcs-malformed", setter("device", "hcpcs", value="XYZ"), "device.hcpcs"),
    ("modifier-three-chars", setter("claim_lines", 0, "modifiers", value=["NUX"]),
     "claim_lines[0].modifiers[0]"),
    ("modifier-one-char", setter("claim_lines", 0, "modifiers", value=["RR", "5"]),
     "claim_lines[0].modifiers[1]"),
    ("modifier-punctuation", setter("claim_lines", 0, "modifiers", value=["N-"]),
     "claim_lines[0].modifiers[0]"),
    # malformed dates
    ("date-not-in-calendar", setter("date_of_service", value="2020-02-30"), "date_of_service"),
    ("date-compact", setter("date_of_service", value="20200101"), "date_of_service"),
    ("date-word", setter("date_of_service", value="yesterday"), "date_of_service"),
    ("date-us-order", setter("date_of_service", value="06/15/2020"), "date_of_service"),
    ("date-with-time", setter("date_of_service", value="2020-06-15T10:00:00"),
     "date_of_service"),
    ("date-as-number", setter("date_of_service", value=20200615), "date_of_service"),
    ("date-month-13", setter("claim_lines", 0, "date", value="2020-13-01"),
     "claim_lines[0].date"),
    ("date-2019-02-29", setter("current_device", "received_on", value="2019-02-29"),
     "current_device.received_on"),
    ("date-short-parts", setter("current_device", "received_on", value="2016-2-1"),
     "current_device.received_on"),
    # line numbers, amounts, units, hours
    ("duplicate-line-numbers", setter("claim_lines", 1, "line", value=1), "claim_lines"),
    ("line-zero", setter("claim_lines", 0, "line", value=0), "claim_lines[0].line"),
    ("amount-negative", setter("claim_lines", 0, "amount", value=-0.01), "claim_lines[0].amount"),
    ("amount-three-decimals", setter("claim_lines", 1, "amount", value=120.505),
     "claim_lines[1].amount"),
    ("price-negative", setter("device", "purchase_price", value=-1), "device.purchase_price"),
    ("price-three-decimals", setter("device", "purchase_price", value=4500.001),
     "device.purchase_price"),
    ("rental-negative", setter("device", "rental_paid_to_date", value=-5),
     "device.rental_paid_to_date"),
    ("rental-three-decimals", setter("device", "rental_paid_to_date", value=0.125),
     "device.rental_paid_to_date"),
    ("units-zero", setter("claim_lines", 0, "units", value=0), "claim_lines[0].units"),
    ("units-1000", setter("claim_lines", 0, "units", value=1000), "claim_lines[0].units"),
    ("units-fraction", setter("claim_lines", 0, "units", value=1.5), "claim_lines[0].units"),
    ("hours-zero", setter("therapy", "infusion_hours", value=0), "therapy.infusion_hours"),
    ("hours-25", setter("therapy", "infusion_hours", value=25), "therapy.infusion_hours"),
    ("hours-negative", setter("therapy", "infusion_hours", value=-8), "therapy.infusion_hours"),
    # unknown fields, at every level
    ("unknown-top-level", setter("priority", value="urgent"), "priority"),
    ("unknown-in-member", setter("member", "gender", value="f"), "member.gender"),
    ("unknown-in-therapy", setter("therapy", "dose", value=3), "therapy.dose"),
    ("unknown-in-device", setter("device", "colour", value="red"), "device.colour"),
    ("unknown-in-current-device", setter("current_device", "serial", value="x"),
     "current_device.serial"),
    ("unknown-in-claim-line", setter("claim_lines", 1, "npi", value="123"),
     "claim_lines[1].npi"),
    # case_id, required fields, and the device code that must fit the kind
    ("case-id-129-chars", setter("case_id", value="x" * 129), "case_id"),
    ("case-id-missing", remover("case_id"), "case_id"),
    ("date-of-service-missing", remover("date_of_service"), "date_of_service"),
    ("device-missing", remover("device"), "device"),
    ("device-kind-missing", remover("device", "kind"), "device.kind"),
    ("claim-line-number-missing", remover("claim_lines", 0, "line"), "claim_lines[0].line"),
    ("claim-line-code-missing", remover("claim_lines", 1, "hcpcs"), "claim_lines[1].hcpcs"),
]


@pytest.mark.parametrize(
    ("mutate", "field"), [(m, f) for _, m, f in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_bad_input_is_refused_naming_the_field(mutate: Mutation, field: str) -> None:
    problems = problems_of(mutate)
    paths = [path_of(problem) for problem in problems]
    assert any(p == field or p.startswith((f"{field}.", f"{field}[")) for p in paths), (
        f"no problem starts with {field}: {problems}"
    )


@pytest.mark.parametrize(
    "mutate", [m for _, m, _ in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_each_problem_is_one_line_with_a_well_formed_path(mutate: Mutation) -> None:
    for problem in problems_of(mutate):
        assert "\n" not in problem, repr(problem)
        assert "\r" not in problem, repr(problem)
        assert FIELD_PATH.match(path_of(problem)), f"not a field path: {problem!r}"
        assert problem.split(": ", 1)[1].strip(), f"no message: {problem!r}"


def test_hcpcs_that_does_not_fit_the_kind() -> None:
    problems = problems_of(setter("device", "hcpcs", value="A9274"))  # an Omnipod code
    assert any(path_of(p) in ("device.hcpcs", "device.kind") for p in problems), problems
    assert any("A9274" in p for p in problems), problems


@pytest.mark.parametrize(
    ("kind", "code"),
    [("infusion_pump", "E0784"), ("v_go", "E0781"), ("omnipod", "E0784"),
     ("omnipod_dash", "K0455"), ("insulin_pump", "E1399")],
)
def test_every_kind_refuses_a_code_of_another_kind(kind: str, code: str) -> None:
    problems = problems_of(lambda c: c.__setitem__("device", {"kind": kind, "hcpcs": code}))
    assert any(path_of(p).startswith("device") and code in p for p in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    def many(case: dict[str, Any]) -> None:
        case["member"]["age"] = "34"
        case["therapy"]["drug"] = "aspirin"
        case["claim_lines"][0]["hcpcs"] = "E078"
        case["claim_lines"][1]["units"] = 1000

    paths = {path_of(p) for p in problems_of(many)}
    assert paths == {"member.age", "therapy.drug", "claim_lines[0].hcpcs", "claim_lines[1].units"}


def test_decide_raises_invalid_case_too() -> None:
    case = base_case()
    case["member"]["age"] = "34"
    with pytest.raises(InvalidCase) as caught:
        decide(case)
    assert [path_of(p) for p in caught.value.problems()] == ["member.age"]


@pytest.mark.parametrize("not_an_object", [[], "case", 3, None, True])
def test_a_case_must_be_an_object(not_an_object: Any) -> None:
    with pytest.raises(InvalidCase) as caught:
        parse_case(not_an_object)
    assert caught.value.problems()


def test_invalid_case_is_a_reasoner_error_with_a_message() -> None:
    from reasoner import ReasonerError

    case = base_case()
    case["device"]["kind"] = "pump"
    with pytest.raises(ReasonerError, match=r"device\.kind"):
        parse_case(case)


# --- what is valid must stay valid -------------------------------------------------------


def keep_only_required(case: dict[str, Any]) -> None:
    for key in list(case):
        if key not in ("case_id", "date_of_service", "device"):
            del case[key]
    case["device"] = {"kind": case["device"]["kind"]}


GOOD_INPUTS: list[tuple[str, Mutation]] = [
    ("base", lambda _: None),
    ("minimal", lambda c: keep_only_required(c)),
    ("icd-without-dot", setter("member", "diagnoses", 0, value="E1065")),
    ("icd-three-chars", setter("member", "diagnoses", 0, value="E11")),
    ("icd-seven-chars", setter("member", "diagnoses", 1, value="S72.001A")),
    ("cpt-code", setter("claim_lines", 1, "hcpcs", value="96521")),
    ("numeric-modifier", setter("claim_lines", 0, "modifiers", value=["59", "XE"])),
    ("leap-day", setter("date_of_service", value="2020-02-29")),
    ("case-id-128-chars", setter("case_id", value="x" * 128)),
    ("age-zero", setter("member", "age", value=0)),
    ("age-130", setter("member", "age", value=130)),
    ("units-one", setter("claim_lines", 0, "units", value=1)),
    ("units-999", setter("claim_lines", 0, "units", value=999)),
    ("units-default", remover("claim_lines", 0, "units")),
    ("hours-24", setter("therapy", "infusion_hours", value=24)),
    ("hours-fraction", setter("therapy", "infusion_hours", value=0.5)),
    ("amount-zero", setter("claim_lines", 0, "amount", value=0)),
    ("amount-two-decimals", setter("claim_lines", 0, "amount", value=19.99)),
    ("amount-trailing-zero", setter("claim_lines", 0, "amount", value=19.90)),
    ("model-null", setter("current_device", "model", value=None)),
    ("model-eros", setter("current_device", "model", value="eros")),
    ("findings-false", setter("findings", "home_parenteral_reasonable", value=False)),
    ("no-diagnoses-listed", setter("member", "diagnoses", value=[])),
    ("pdm-with-e1399", setter("device", value={"kind": "omnipod_pdm", "hcpcs": "E1399"})),
]


@pytest.mark.parametrize(
    "mutate", [m for _, m in GOOD_INPUTS], ids=[i for i, _ in GOOD_INPUTS]
)
def test_valid_input_is_accepted(mutate: Mutation) -> None:
    case = base_case()
    mutate(case)
    assert isinstance(parse_case(case), Case)


def test_parse_case_does_not_modify_its_input() -> None:
    case = base_case()
    before = copy.deepcopy(case)
    parse_case(case)
    assert case == before


def test_icd_code_with_and_without_dot_decide_the_same() -> None:
    case: dict[str, Any] = json.loads((EXAMPLES / "insulin-pump-type1.json").read_text())
    with_dot = decide(case).to_json()
    case["member"]["diagnoses"] = [code.replace(".", "") for code in case["member"]["diagnoses"]]
    assert decide(case).to_json() == with_dot


def test_case_id_is_not_trimmed_or_normalised() -> None:
    case = base_case()
    case["case_id"] = "  Pa-2020-0001\t"
    assert parse_case(case).case_id == "  Pa-2020-0001\t"
