"""The ONLY place where a case becomes clingo facts.

Every fact is a ``clingo.Symbol`` built with ``Function``, ``Number`` and
``String``; nothing the user wrote is ever turned into program text. Constants
come only from the enumerations in ``reasoner.vocabulary``; every user text
(codes, modifiers) is a ``String``. The predicates are the input contract in
``asp/input.lp``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache

from clingo import Function, Number, String, Symbol

from reasoner.case_checks import line_date
from reasoner.case_types import AnyCase, AnyClaimLine, AnyCurrentDevice, AnyDevice

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
SECONDS_PER_HOUR = 3600
DEVICE_FLAGS = ("replacement", "backup", "wireless_glucose_monitor", "life_sustaining")
CURRENT_DEVICE_FLAGS = ("functioning", "under_warranty", "repairable")


def _number(value: int) -> Symbol:
    if not INT32_MIN <= value <= INT32_MAX:
        raise OverflowError(f"{value} does not fit a 32-bit integer")
    return Number(value)


@cache
def _name(name: str) -> Symbol:
    """A constant symbol; names come from enumerations and the rules, never from user text."""
    return Function(name)


def _constant(value: StrEnum) -> Symbol:
    return _name(value.value)


def _truth(value: bool) -> Symbol:
    return _name("true" if value else "false")


def ymd(day: date) -> int:
    """A date as the whole number YYYYMMDD, which orders like the date."""
    return day.year * 10000 + day.month * 100 + day.day


def cents(dollars: Decimal) -> int:
    return int((dollars * 100).to_integral_value())


def _fact(name: str, *arguments: Symbol) -> Symbol:
    return Function(name, list(arguments))


def case_facts(case: AnyCase, key: int, as_of: date | None = None) -> list[Symbol]:
    """Every input fact of one case, under the internal case key; ``as_of`` chooses the version."""
    facts = list(_all_facts(case, _number(key)))
    if as_of is not None:
        facts.append(_fact("as_of", _number(key), _number(ymd(as_of))))
    return facts


def _all_facts(case: AnyCase, c: Symbol) -> Iterator[Symbol]:
    yield _fact("case", c)
    yield _fact("dos", c, _number(ymd(case.date_of_service)))
    yield from _member_facts(case, c)
    yield from _therapy_facts(case, c)
    yield from _device_facts(case.device, c)
    if case.current_device is not None:
        yield from _current_device_facts(case.current_device, c)
    for finding, value in case.findings.items():
        yield _fact("finding", c, _constant(finding), _truth(value))
    for claim_line in case.claim_lines:
        yield from _line_facts(claim_line, line_date(case, claim_line), c)


def _member_facts(case: AnyCase, c: Symbol) -> Iterator[Symbol]:
    if case.member.age is not None:
        yield _fact("age", c, _number(case.member.age))
    if case.member.diagnoses is None:
        return
    if case.member.diagnoses_complete is not False:
        yield _fact("diagnoses_listed", c)
    for code in case.member.diagnoses:
        yield _fact("diagnosis", c, String(code))
        for length in range(3, len(code) + 1):
            yield _fact("diagnosis_prefix", c, String(code[:length]))


def _therapy_facts(case: AnyCase, c: Symbol) -> Iterator[Symbol]:
    therapy = case.therapy
    if therapy.drug is not None:
        yield _fact("drug", c, _constant(therapy.drug))
    if therapy.setting is not None:
        yield _fact("setting", c, _constant(therapy.setting))
    if therapy.infusion_hours is not None:
        seconds = int(therapy.infusion_hours * SECONDS_PER_HOUR)  # rounds toward zero
        yield _fact("infusion_seconds", c, _number(seconds))


def _device_facts(device: AnyDevice, c: Symbol) -> Iterator[Symbol]:
    yield _fact("device_kind", c, _constant(device.kind))
    if device.hcpcs is not None:
        yield _fact("device_hcpcs", c, String(device.hcpcs))
    if device.acquisition is not None:
        yield _fact("acquisition", c, _constant(device.acquisition))
    yield from _flag_facts("device_flag", c, device, DEVICE_FLAGS)
    if device.purchase_price is not None:
        yield _fact("purchase_price", c, _number(cents(device.purchase_price)))
    if device.rental_paid_to_date is not None:
        yield _fact("rental_paid", c, _number(cents(device.rental_paid_to_date)))


def _flag_facts(predicate: str, c: Symbol, model: object, flags: tuple[str, ...]) -> Iterator[Symbol]:
    """predicate(C, Flag, true|false) for each flag the case gives; an absent flag gives nothing."""
    for flag in flags:
        value = getattr(model, flag)
        if value is not None:
            yield _fact(predicate, c, _name(flag), _truth(value))


def _current_device_facts(current: AnyCurrentDevice, c: Symbol) -> Iterator[Symbol]:
    if current.kind is not None:
        yield _fact("current_device_kind", c, _constant(current.kind))
    if current.model is not None:
        yield _fact("current_device_model", c, _constant(current.model))
    yield from _flag_facts("current_device_flag", c, current, CURRENT_DEVICE_FLAGS)
    if current.received_on is not None:
        yield _fact("current_device_received", c, _number(ymd(current.received_on)))


def _line_facts(claim_line: AnyClaimLine, day: date, c: Symbol) -> Iterator[Symbol]:
    n = _number(claim_line.line)
    yield _fact("line", c, n)
    yield _fact("line_code", c, n, String(claim_line.hcpcs))
    if claim_line.hcpcs.isdigit():
        yield _fact("line_code_number", c, n, _number(int(claim_line.hcpcs)))
    yield _fact("line_units", c, n, _number(claim_line.units))
    yield _fact("line_date", c, n, _number(ymd(day)), _number(day.toordinal()))
    for modifier in claim_line.modifiers:
        yield _fact("line_modifier", c, n, String(modifier))
    if claim_line.amount is not None:
        yield _fact("line_amount", c, n, _number(cents(claim_line.amount)))


def diff_externals(
    from_version: str, to_version: str, seen: list[tuple[str, str, str, str]],
) -> frozenset[Symbol]:
    """The externals of asp/diff/*.lp for one solve: the two versions, the query, the regions seen.

    Every name is a version, decision or clause id that the rules produced, never user text.
    """
    atoms = {
        Function("version_of", [_name("from"), _name(from_version)]),
        Function("version_of", [_name("to"), _name(to_version)]),
        Function("diff_query"),
    }
    atoms.update(Function("seen", [_name(part) for part in region]) for region in seen)
    return frozenset(atoms)


def claim_space_facts(
    codes: list[str], dates: list[date], modifiers: list[str], amounts: list[Decimal],
    prices: list[Decimal], paid: list[Decimal], acquisitions: list[StrEnum],
) -> list[Symbol]:
    """The bounded claim of `reasoner verify` (asp/verify/claims.lp): its representative values."""
    facts = [_fact("claim_code", String(code)) for code in codes]
    facts += [_fact("claim_date", _number(ymd(day)), _number(day.toordinal())) for day in dates]
    facts += [_fact("claim_modifier", String(modifier)) for modifier in modifiers]
    facts += [_fact("claim_amount", _number(cents(value))) for value in amounts]
    facts += [_fact("claim_price", _number(cents(value))) for value in prices]
    facts += [_fact("claim_paid", _number(cents(value))) for value in paid]
    facts += [_fact("acquisition_value", _constant(value)) for value in acquisitions]
    return facts


def version_fact(version: str) -> Symbol:
    """version_is(V) for the explanation program of one version: a version name the rules
    produced (the decision program's case_version/2), never user text."""
    return _fact("version_is", _name(version))


def kind_code_facts(kind_codes: dict[str, list[str]]) -> list[Symbol]:
    """kind_code(Kind, Code): which HCPCS codes fit each device kind (from the vocabulary)."""
    return [_fact("kind_code", _name(kind), String(code)) for kind, codes in kind_codes.items() for code in codes]


def vocabulary_facts(vocabularies: dict[str, list[str]], kind_codes: dict[str, list[str]]) -> list[Symbol]:
    """The input vocabulary for `reasoner verify`: enum_value(Attribute, Value), kind_code(Kind, Code).

    Enumeration values become constants; HCPCS codes become Strings, as in case facts.
    """
    facts = []
    for attribute, values in vocabularies.items():
        for value in values:
            term = String(value) if attribute == "device_hcpcs" else Function(value)
            facts.append(_fact("enum_value", Function(attribute), term))
    return facts + kind_code_facts(kind_codes)
