"""Properties that state the policy: metamorphic and relational, each written from its sentence.

Each property quotes the sentence it comes from. They change a generated case the way the
sentence speaks of (add a line, raise the hours, mark the item life-sustaining, move the date
across the revision) and check what the sentence says must, or must not, follow, through the
public API only (`decide`, `decide_all`, `parse_case`, the decision JSON).

Cost: each example decides two or three variants in one grounding (`decide_all`), about as
much as one decision. Each property runs a quarter of the profile's examples (75 in CI, 750 with
HYPOTHESIS_PROFILE=deep), the two that need the explanation (the clause trace) a sixth (50,
500), so that the file stays within a few minutes in CI.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from case_strategies import cases
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reasoner import decide_all, parse_case
from reasoner.vocabulary import DEVICE_CODES, DeviceKind, Finding

EXAMPLES = settings(max_examples=max(20, settings.default.max_examples // 4))
# With the explanation (the clause trace): a sixth of the profile's examples.
EXPLAINED_EXAMPLES = settings(max_examples=max(20, settings.default.max_examples // 6))

# The codes of asp/policy/codes.lp, from the text's "Procedure Codes" lists.
PUMPS = {"E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399"}
DEVICES = PUMPS | {"A9274"}
SUPPLIES = {"A4221", "A4222", "A4224", "A4225", "A4230", "A4231", "A4232", "K0552"}
BATTERIES = {"K0601", "K0602", "K0603", "K0604", "K0605", "A4602"}
WEEKLY = {"A4224", "A4230", "A4231"}  # CSII supplies; A4221/A4222 only for immune globulin
SCIG = {"A4221", "A4222"}
CHEMO = {"96416", "96425"}
REFILL = "96521"
DISTINCT = {"59", "XE", "XS", "XP", "XU"}
GENERAL_FINDINGS = ["home_parenteral_reasonable", "pump_necessary_for_safety",
                    "prolonged_infusion_improves_efficacy", "regimen_advantage_over_bolus",
                    "no_office_return_needed", "controlled_rate_required"]


def decided(*variants: dict[str, Any], explanation: bool = False) -> list[dict[str, Any]]:
    """The decisions of several variants of a case, in one grounding."""
    return [d.to_json() for d in decide_all([parse_case(v) for v in variants], explanation=explanation)]


def by_line(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {line["line"]: line for line in result["lines"]}


def line_day(case: dict[str, Any], line: dict[str, Any]) -> date:
    return date.fromisoformat(line.get("date", case["date_of_service"]))


def next_number(case: dict[str, Any]) -> int:
    return 1 + max((line["line"] for line in case.get("claim_lines", [])), default=0)


def with_line(case: dict[str, Any], **line: Any) -> tuple[dict[str, Any], int]:
    """The case with one more claim line (numbered after the others), and its number."""
    changed = copy.deepcopy(case)
    number = next_number(case)
    changed.setdefault("claim_lines", []).append({"line": number, **line})
    return changed, number


def outcome(line: dict[str, Any]) -> tuple[Any, ...]:
    """What a line gets: outcome, units and amount allowed, and the rules that cut it."""
    return (line["outcome"], line["units_allowed"], line.get("amount_allowed"),
            sorted(reason["rule"] for reason in line["reasons"]))


def paid(line: dict[str, Any]) -> bool:
    return bool(line["units_allowed"] > 0 and line["outcome"] != "not_applicable")


def in_force(result: dict[str, Any]) -> bool:
    return result["policy"]["version"] is not None


def rented(case: dict[str, Any]) -> bool:
    """Batteries: "a rented infusion pump": acquired by rental, or a pump line billed RR."""
    return case["device"].get("acquisition") == "rental" or any(
        line["hcpcs"] in PUMPS and "RR" in line.get("modifiers", []) for line in case.get("claim_lines", []))


def rental_lines(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Note: "a rental item": a pump line billed RR, or any pump line (not NU or UE) of a rented device."""
    renting = case["device"].get("acquisition") == "rental"
    return [line for line in case.get("claim_lines", []) if line["hcpcs"] in PUMPS and (
        "RR" in line.get("modifiers", [])
        or (renting and not {"NU", "UE"} & set(line.get("modifiers", []))))]


# --- Batteries ---------------------------------------------------------------------------

@EXAMPLES
@given(cases(), st.sampled_from(sorted(BATTERIES)), st.data())
def test_rr_on_a_line_that_is_no_pump_never_changes_the_battery_outcome(
    case: dict[str, Any], battery: str, data: st.DataObject,
) -> None:
    """Batteries: "Replacement batteries are not separately payable when billed with a rented
    infusion pump." Only a pump is rented: RR on a battery, supply or other line rents nothing."""
    case, number = with_line(case, hcpcs=battery)
    others = [line["line"] for line in case["claim_lines"] if line["hcpcs"] not in PUMPS]
    target = data.draw(st.sampled_from(others))
    marked = copy.deepcopy(case)
    for line in marked["claim_lines"]:
        if line["line"] == target and "RR" not in line.get("modifiers", []):
            line["modifiers"] = [*line.get("modifiers", [])[:1], "RR"]
    before, after = decided(case, marked)
    batteries = [n for n, line in by_line(before).items() if line["hcpcs"] in BATTERIES]
    assert number in batteries
    for n in batteries:
        assert outcome(by_line(before)[n]) == outcome(by_line(after)[n])


@EXAMPLES
@given(cases(), st.sampled_from(sorted(BATTERIES)))
def test_batteries_are_never_paid_with_a_rented_pump_and_never_denied_for_it_with_an_owned_one(
    case: dict[str, Any], battery: str,
) -> None:
    """Batteries: "Replacement batteries are not separately payable when billed with a rented
    infusion pump." With the pump owned (purchased or the member's, no pump line billed RR) the
    same battery line is paid at least as much, and never for that reason; nor when it is not
    known whether the pump is rented (no acquisition given, no pump line billed RR)."""
    case, number = with_line(case, hcpcs=battery)
    renting = copy.deepcopy(case)
    renting["device"]["acquisition"] = "rental"
    owning = copy.deepcopy(case)
    owning["device"]["acquisition"] = "member_owned"
    for line in owning["claim_lines"]:
        if line["hcpcs"] in PUMPS and "RR" in line.get("modifiers", []):
            line["modifiers"] = [m for m in line["modifiers"] if m != "RR"]
    unknown = copy.deepcopy(owning)
    del unknown["device"]["acquisition"]
    with_rental, owned, not_known = decided(renting, owning, unknown)
    assert not paid(by_line(with_rental)[number])
    if in_force(owned):
        assert rented(renting)
        assert not rented(owning)
        for result in (owned, not_known):
            line = by_line(result)[number]
            assert "batteries_with_rented_pump" not in {reason["rule"] for reason in line["reasons"]}
            assert line["units_allowed"] >= by_line(with_rental)[number]["units_allowed"]
            if result["decision"] == "covered":
                assert paid(line)  # nothing else in the policy denies a battery of a covered request


# --- The 8-hour threshold -------------------------------------------------------------------

def met_clauses(result: dict[str, Any]) -> set[str]:
    """The clauses met (the default, "not meeting the above criteria", is no criterion)."""
    return {c["rule"] for c in result["clauses"]
            if c["status"] in {"deciding", "defeated"} and c["rule"] != "criteria_not_met"}


@st.composite
def general_criteria_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A case whose general-criteria findings are all given, mostly true."""
    case: dict[str, Any] = draw(cases())
    findings = {name: draw(st.sampled_from([True, True, True, False])) for name in GENERAL_FINDINGS}
    case["findings"] = {**case.get("findings", {}), **findings}
    return case


@EXPLAINED_EXAMPLES
@given(general_criteria_cases())
def test_raising_an_infusion_from_7_5_to_8_5_hours_moves_it_from_intermittent_to_prolonged(
    case: dict[str, Any],
) -> None:
    """General criteria: "The drug is administered by a prolonged infusion of at least 8 hours"
    and "The drug is administered by intermittent infusion (each episode of infusion lasting less
    than 8 hours)". At 7.5 hours only the intermittent set can be met, at 8.5 only the prolonged
    one; every other clause is met or not alike; and the two sets trade places exactly when
    their other findings hold."""
    short, long, eight, under = (copy.deepcopy(case) for _ in range(4))
    short["therapy"]["infusion_hours"] = 7.5
    long["therapy"]["infusion_hours"] = 8.5
    eight["therapy"]["infusion_hours"] = 8  # "at least 8 hours": 8 is prolonged, not "less than 8"
    under["therapy"]["infusion_hours"] = 7.9999  # a third of a second short of 8 hours: "less than 8"
    at_short, at_long, at_eight, at_under = (
        met_clauses(r) for r in decided(short, long, eight, under, explanation=True))
    assert at_eight == at_long
    assert at_under == at_short
    assert "general_prolonged" not in at_short
    assert "general_intermittent" not in at_long
    assert at_short - {"general_intermittent"} == at_long - {"general_prolonged"}
    findings = case["findings"]
    shared = findings["home_parenteral_reasonable"] and findings["pump_necessary_for_safety"]
    prolonged = findings["prolonged_infusion_improves_efficacy"] and findings["regimen_advantage_over_bolus"]
    intermittent = findings["no_office_return_needed"] and findings["controlled_rate_required"]
    if "general_intermittent" in at_short and shared and prolonged:
        assert "general_prolonged" in at_long
    if "general_prolonged" in at_long and shared and intermittent:
        assert "general_intermittent" in at_short


# --- Epoprostenol: one pump ------------------------------------------------------------------

@EXAMPLES
@given(cases(), st.sampled_from(["epoprostenol", "epoprostenol", "treprostinil"]),
       st.sampled_from(["E0781", "K0455"]), st.sampled_from(sorted(PUMPS)), st.sampled_from(sorted(PUMPS)),
       st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=2))
def test_a_second_pump_for_epoprostenol_is_never_paid_beside_a_paid_one(
    case: dict[str, Any], drug: str, ambulatory: str, first: str, second: str, later: int, units: int,
) -> None:
    """Epoprostenol: "Payment may be made for only one pump for administering epoprostenol and
    treprostinil." A line of two units bills two pumps; beside a pump line, another pump line on
    the same date, or of another code, or of the same code bought again, is never paid as well."""
    case = copy.deepcopy(case)
    case["therapy"]["drug"] = drug
    # Mostly the pump the epoprostenol sentence covers ("An ambulatory electrical infusion pump"),
    # so that its lines are paid at all, and the first line bills it.
    case["device"] = {**{k: v for k, v in case["device"].items() if k not in {"kind", "hcpcs", "backup"}},
                      "kind": "infusion_pump", "hcpcs": ambulatory}
    first = ambulatory if first not in {"E0779", "E0780"} else first
    day = date.fromisoformat(case["date_of_service"])
    case, one = with_line(case, hcpcs=first, date=day.isoformat(), units=units)
    case, two = with_line(case, hcpcs=second, date=(day + timedelta(days=later)).isoformat())
    (result,) = decided(case)
    lines, claim = by_line(result), {line["line"]: line for line in case["claim_lines"]}
    pumps = [n for n in lines if claim[n]["hcpcs"] in PUMPS and paid(lines[n])]
    per_day: dict[date, int] = defaultdict(int)
    for n in pumps:
        per_day[line_day(case, claim[n])] += lines[n]["units_allowed"]
    assert all(units <= 1 for units in per_day.values()), per_day
    assert len({claim[n]["hcpcs"] for n in pumps}) <= 1
    rentals = {line["line"] for line in rental_lines(case)}
    if paid(lines[one]) and paid(lines[two]):
        assert {one, two} <= rentals  # two months of one rented pump, on two dates


# --- Questions --------------------------------------------------------------------------------

@EXAMPLES
@given(cases(), st.sampled_from([f.value for f in Finding]), st.booleans())
def test_answering_a_question_never_changes_a_complete_decision(
    case: dict[str, Any], finding: str, value: bool,
) -> None:
    """"Current medical policy is to be used in determining a Member's contract benefits": a
    decision marked complete stands whatever an unanswered finding turns out to be."""
    assume(finding not in case.get("findings", {}))
    answered = {**case, "findings": {**case.get("findings", {}), finding: value}}
    before, after = decided(case, answered)
    if before["complete"]:
        assert after["decision"] == before["decision"]


# --- Supplies: 1 unit per week --------------------------------------------------------------

def week_of(day: date) -> int:
    return (day.toordinal() - 1) // 7  # Monday to Sunday (docs/interpretation.md)


def weekly_limited(case: dict[str, Any], code: str) -> bool:
    return code in WEEKLY or (code in SCIG and case["therapy"].get("drug") == "immune_globulin")


@EXAMPLES
@given(cases(), st.sampled_from(sorted(WEEKLY | SCIG)), st.integers(min_value=1, max_value=3),
       st.integers(min_value=0, max_value=6), st.booleans())
def test_a_later_supply_line_in_the_same_week_changes_no_earlier_line_and_the_week_keeps_its_limit(
    case: dict[str, Any], code: str, units: int, offset: int, immune_globulin: bool,
) -> None:
    """Supplies: "... are limited to 1 unit of service per week, additional units will be denied
    as not medically necessary." The units of one code in one week never add up to more than 1
    nor go below 0, and a later line of that code in that week takes nothing from earlier lines."""
    case = copy.deepcopy(case)
    if immune_globulin:
        case["therapy"]["drug"] = "immune_globulin"
    service = date.fromisoformat(case["date_of_service"])
    first = service + timedelta(days=offset)
    case, _ = with_line(case, hcpcs=code, units=units, date=first.isoformat())
    # The later line: the last day of that week, or the same day, after every other line.
    last_day = first + timedelta(days=6 - first.weekday())
    later, number = with_line(case, hcpcs=code, units=units, date=max(first, last_day).isoformat())
    before, after = decided(case, later)
    for n, line in by_line(before).items():
        assert outcome(by_line(after)[n]) == outcome(line), n
    for result, claim in ((before, case), (after, later)):
        totals: dict[tuple[str, int], int] = defaultdict(int)
        for line in claim["claim_lines"]:
            allowed = by_line(result)[line["line"]]["units_allowed"]
            assert allowed >= 0
            if weekly_limited(claim, line["hcpcs"]) and in_force(result):
                totals[(line["hcpcs"], week_of(line_day(claim, line)))] += allowed
        assert all(total <= 1 for total in totals.values()), totals
    if weekly_limited(later, code) and in_force(after):
        assert by_line(after)[number]["units_allowed"] == 0


# --- Rental cap ---------------------------------------------------------------------------------

@st.composite
def rental_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A case with a price, often rented, with one to three rental pump lines."""
    case: dict[str, Any] = draw(cases())
    device = case["device"]
    device["purchase_price"] = draw(st.integers(min_value=0, max_value=3000).map(lambda d: d / 2))
    if draw(st.booleans()):
        device["rental_paid_to_date"] = draw(st.integers(min_value=0, max_value=3000).map(lambda d: d / 2))
    if draw(st.booleans()):
        device["acquisition"] = "rental"
    code = device.get("hcpcs") if device.get("hcpcs") in PUMPS else draw(
        st.sampled_from(sorted(DEVICE_CODES[DeviceKind(device["kind"])] & PUMPS) or ["E0781"]))
    service = date.fromisoformat(case["date_of_service"])
    for month in range(draw(st.integers(min_value=1, max_value=3))):
        amount = draw(st.integers(min_value=0, max_value=2000)) / 2
        case, _ = with_line(case, hcpcs=code, modifiers=["RR"], amount=amount,
                            date=(service + timedelta(days=30 * month)).isoformat(),
                            units=draw(st.integers(min_value=1, max_value=2)))
    return case


@EXAMPLES
@given(rental_cases())
def test_rental_payments_stay_within_the_price_and_life_sustaining_never_lowers_them(case: dict[str, Any]) -> None:
    """Note: "Total payments for a rental item may not exceed its allowable purchase price,
    except for those items identified as life sustaining DME." What the rental lines are allowed
    never exceeds the price less the rent already paid; marking the item life-sustaining never
    lowers what any line is allowed."""
    case["device"].pop("life_sustaining", None)
    sustaining = copy.deepcopy(case)
    sustaining["device"]["life_sustaining"] = True
    plain, lifted = decided(case, sustaining)
    device = case["device"]
    room = max(0.0, device["purchase_price"] - device.get("rental_paid_to_date", 0))
    allowed = sum(by_line(plain)[line["line"]].get("amount_allowed") or 0 for line in rental_lines(case)
                  if by_line(plain)[line["line"]]["outcome"] != "not_applicable")
    assert allowed <= room + 0.005, (allowed, room)
    assert plain["decision"] == lifted["decision"]
    for n, line in by_line(plain).items():
        other = by_line(lifted)[n]
        assert other["units_allowed"] >= line["units_allowed"]
        assert (other.get("amount_allowed") or 0) >= (line.get("amount_allowed") or 0)


def covered_rental(price_cents: int, paid_cents: int, amount_cents: int) -> dict[str, Any]:
    """A covered insulin pump (Listed indications, bullet 5), rented, with one rental line."""
    return {
        "case_id": "rental-boundary", "date_of_service": "2021-03-01",
        "member": {"diagnoses": ["E11.9"]}, "therapy": {"drug": "insulin"},
        "device": {"kind": "insulin_pump", "acquisition": "rental", "purchase_price": price_cents / 100,
                   "rental_paid_to_date": paid_cents / 100},
        "claim_lines": [{"line": 1, "hcpcs": "E0784", "modifiers": ["RR"], "amount": amount_cents / 100}],
    }


@EXAMPLES
@given(st.integers(min_value=1, max_value=400_000), st.integers(min_value=0, max_value=400_000))
def test_the_rental_cap_cuts_a_line_exactly_when_it_would_pass_the_price(price: int, paid_cents: int) -> None:
    """Note: "Total payments for a rental item may not exceed its allowable purchase price". A
    rental line whose amount brings the rent paid exactly to the price is paid whole; one cent
    more, and the cap cuts it to what is left (nothing, once the price is reached), naming the
    rent already paid among its causes exactly when some was paid."""
    variants = [(paid, amount) for paid in sorted({paid_cents, 0, 1})
                for room in [max(0, price - paid)] for amount in (room - 1, room, room + 1) if amount >= 0]
    results = decided(*(covered_rental(price, paid, amount) for paid, amount in variants))
    for (paid, amount), result in zip(variants, results, strict=True):
        assert result["decision"] == "covered"
        room = max(0, price - paid)
        (line,) = result["lines"]
        capped = [r for r in line["reasons"] if r["rule"] == "rental_cap"]
        assert bool(capped) == (amount > room), (price, paid, amount)
        assert round(line["amount_allowed"] * 100) == min(amount, room)
        if capped:
            named = {b.get("input") for b in capped[0]["because"]}
            assert ("rental_paid_to_date" in named) == (paid > 0), (price, paid, amount)


# --- Chemotherapy and refilling ------------------------------------------------------------------

@EXAMPLES
@given(cases(), st.sampled_from(sorted(CHEMO)), st.sampled_from([None, *sorted(DISTINCT), "RR"]),
       st.sampled_from([None, True, False]))
def test_chemotherapy_beside_a_same_day_refill_is_never_paid_without_supported_59(
    case: dict[str, Any], chemo: str, modifier: str | None, supported: bool | None,
) -> None:
    """Chemotherapy and pump refilling: "Payment for chemotherapy administration may not be made
    in addition to pump refilling and maintenance ..." and "When modifier 59 is reported, the
    patient's records must support its use"."""
    case = copy.deepcopy(case)
    findings = {k: v for k, v in case.get("findings", {}).items() if k != "records_support_modifier_59"}
    if supported is not None:
        findings["records_support_modifier_59"] = supported
    case["findings"] = findings
    day = case["date_of_service"]
    case, _ = with_line(case, hcpcs=REFILL, date=day)
    case, number = with_line(case, hcpcs=chemo, date=day, **({"modifiers": [modifier]} if modifier else {}))
    (result,) = decided(case)
    if paid(by_line(result)[number]):
        assert modifier in DISTINCT
        assert supported is True


# CPT's E/M range, 99201-99499, and the codes just outside it.
E_M_BOUNDARY = {"99200": False, "99201": True, "99202": True, "99498": True, "99499": True, "99500": False}


@EXAMPLES
@given(cases(), st.sampled_from(sorted(DISTINCT)))
def test_modifier_59_is_flagged_on_e_m_codes_and_only_there(case: dict[str, Any], modifier: str) -> None:
    """Chemotherapy and pump refilling: "Modifier 59 may be reported with a non-E/M service". A
    distinct-service modifier draws the warning on every E/M code, 99201 to 99499, and on no
    code just outside that range."""
    case = copy.deepcopy(case)
    case.pop("claim_lines", None)
    numbers = {}
    for code in E_M_BOUNDARY:
        case, numbers[code] = with_line(case, hcpcs=code, modifiers=[modifier])
    (result,) = decided(case)
    flagged = {int(w.split()[2].rstrip(":")) for w in result["warnings"]
               if w.startswith("claim line ") and "modifier 59" in w}
    assert flagged == {numbers[code] for code, e_m in E_M_BOUNDARY.items() if e_m}


# --- Device lines and the request ----------------------------------------------------------------

def requested_codes(case: dict[str, Any]) -> set[str]:
    device = case["device"]
    if "hcpcs" in device:
        return {device["hcpcs"]}
    return set(DEVICE_CODES[DeviceKind(device["kind"])])


@EXAMPLES
@given(cases(), st.sampled_from(sorted(DEVICES)))
def test_a_device_line_for_another_code_than_the_one_requested_is_never_paid(
    case: dict[str, Any], code: str,
) -> None:
    """Listed indications: "A portable external infusion pump not meeting the above criteria is
    considered not medically necessary": the decision weighs the device requested, and pays no
    line billing another."""
    case, _ = with_line(case, hcpcs=code)
    (result,) = decided(case)
    wanted = requested_codes(case)
    for line in case["claim_lines"]:
        if line["hcpcs"] in DEVICES and line["hcpcs"] not in wanted:
            assert not paid(by_line(result)[line["line"]]), line


@EXAMPLES
@given(cases())
def test_a_request_that_is_not_covered_pays_no_device_supply_or_battery_line(case: dict[str, Any]) -> None:
    """Listed indications: "Portable external infusion pumps and related supplies may be
    considered medically necessary ..."; "A portable external infusion pump not meeting the above
    criteria is considered not medically necessary": its supplies and batteries stand or fall with it."""
    (result,) = decided(case)
    if result["decision"] != "covered":
        for line in result["lines"]:
            if line["hcpcs"] in DEVICES | SUPPLIES | BATTERIES:
                assert not paid(line), line


# --- Diagnoses ---------------------------------------------------------------------------------

@EXPLAINED_EXAMPLES
@given(cases(listed_diagnoses=True), st.sampled_from(["Z00.00", "I10", "M54.5", "J45.909"]))
def test_an_unrelated_diagnosis_changes_nothing(case: dict[str, Any], unrelated: str) -> None:
    """Listed indications: each names its diagnosis ("Iron Poisoning", "Thromboembolic Disease",
    "Treatment of Cancer", "cancer pain", "Diabetes Mellitus"); a code in none of their classes
    (docs/interpretation.md, section 9) changes nothing at all."""
    assume(unrelated not in case["member"]["diagnoses"])
    extended = copy.deepcopy(case)
    extended["member"]["diagnoses"].append(unrelated)
    before, after = decided(case, extended, explanation=True)
    assert without_given(before) == without_given(after)


def without_given(data: Any) -> Any:
    """The decision without the echo of the codes given (`closed_by[].given`)."""
    if isinstance(data, dict):
        return {key: without_given(value) for key, value in data.items() if key != "given"}
    if isinstance(data, list):
        return [without_given(item) for item in data]
    return data


# --- Versions --------------------------------------------------------------------------------

@EXAMPLES
@given(cases())
def test_the_2020_05_19_revision_changes_only_the_eros_region(case: dict[str, Any]) -> None:
    """"5-19-2020 Added statement 'Members who received the Omnipod Auero's PDM and supplies
    between the dates April 1, 2019 and March 31, 2020 ...'": the same case decided under the
    versions before and after differs only where the Eros sentence decides it."""
    old = decide_all([parse_case(case)], explanation=False, as_of="2020-05-18")[0].to_json()
    new = decide_all([parse_case(case)], explanation=False, as_of="2020-05-19")[0].to_json()
    if (old["decision"], old["rule"]) != (new["decision"], new["rule"]):
        assert new["rule"]["rule"] == "omnipod_eros_transition"
        assert new["decision"] == "covered"
    if old["decision"] == new["decision"]:
        assert {n: outcome(line) for n, line in by_line(old).items()} == {
            n: outcome(line) for n, line in by_line(new).items()}


# --- Warnings ----------------------------------------------------------------------------------

@EXAMPLES
@given(st.one_of(cases(), rental_cases()))
def test_every_warning_names_what_the_case_lacks_or_holds(case: dict[str, Any]) -> None:
    """Contract: a warning is an input oddity that did not stop the decision (docs/contract.md);
    a "not given" warning appears only when that field is absent, and each other only where its
    premise holds (reasoner/warnings.py, asp/policy/rental.lp, asp/policy/chemo_refill.lp)."""
    (result,) = decided(case)
    device, member = case["device"], case.get("member", {})
    lines = {line["line"]: line for line in case.get("claim_lines", [])}
    for warning in result["warnings"]:
        if "member.diagnoses is not given" in warning:
            assert "diagnoses" not in member
        if "member.diagnoses is a partial list" in warning:
            assert member.get("diagnoses_complete") is False
        if "lists a code twice" in warning:
            assert len(set(member["diagnoses"])) < len(member["diagnoses"])
        if "delivers insulin" in warning:
            assert case["therapy"]["drug"] != "insulin"
        if warning.startswith("claim line ") and "is not given" in warning:
            line = lines[int(warning.split()[2].rstrip(":"))]
            assert line["hcpcs"] in PUMPS
            assert device.get("life_sustaining") is not True
        if "device.rental_paid_to_date is not given" in warning:
            assert "rental_paid_to_date" not in device
            assert "purchase_price" in device
        if "device.purchase_price is not given" in warning:
            assert "purchase_price" not in device
        if "current_device is not given" in warning:
            assert device.get("replacement") is True
            assert "current_device" not in case
        if "device.replacement is not" in warning:
            assert "replacement" not in device
        if warning.startswith("claim line ") and "modifier 59" in warning:
            line = lines[int(warning.split()[2].rstrip(":"))]
            assert line["hcpcs"].isdigit()
            assert 99201 <= int(line["hcpcs"]) <= 99499
            assert DISTINCT & set(line.get("modifiers", []))
