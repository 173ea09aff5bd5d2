"""Claim lines at scale: the line rules decide exactly as before, and a case has at most MAX_CLAIM_LINES.

The line rules used to pair every line with every other line (earlier/3 and sums over it),
and their cost grew faster than the square of the lines. They now walk the lines in order
(asp/policy/codes.lp: ordered/4, first_in/3, next_in/4) and add up the rental cap's payments
before the decision is settled (asp/lines.lp: rule_prorated/3). The differential test below
decides generated multi-line claims with the rules as they are and with the rules as they were
(the rewritten files as they were, kept in tests/asp/rules_before/, in a copy of the rest of asp/), and
requires the same answer: every atom the decision program shows, so each line's outcome, units
and amount allowed, reasons, causes (`because`), missing conditions and the warnings.

It pins a rewrite, not the policy: a billing rule changed on purpose later changes the answer
of the new rules only, and this test then has served its purpose (retire it, or move
rules_before/ to rules that mean the same). No test here is timed (docs/performance.md has
the figures, from benchmarks/run.py).
"""

from __future__ import annotations

import itertools
import random
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import clingo
import pytest
import yaml

from reasoner import InvalidCase, _solve, parse_case
from reasoner._facts import case_facts, kind_code_facts
from reasoner.case_checks import MAX_CLAIM_LINES
from reasoner.vocabulary import DEVICE_CODES, KIND_CODES, DeviceKind

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


PUMPS = ["E0779", "E0780", "E0781", "E0784", "E0791", "K0455", "E1399", "A9274"]
SUPPLIES = ["A4221", "A4222", "A4224", "A4225", "A4230", "A4231", "A4232", "K0552"]
OTHERS = ["K0601", "A4602", "96416", "96425", "96521", "J1234", "99213"]
MODIFIERS = ["RR", "NU", "UE", "59", "XU"]
CLAIMS = 200


# --- The rules as they were --------------------------------------------------------------

# The rewritten files as they were before the rewrite (commit 3cd6c7f), kept beside this test
# as the oracle, so that the comparison needs no git history.
RULES_BEFORE = Path(__file__).with_name("rules_before")
REWRITTEN = ["lines.lp", "policy/codes.lp", "policy/supplies.lp", "policy/rental.lp",
             "policy/chemo_refill.lp", "policy/epoprostenol.lp", "policy/device_lines.lp"]


@pytest.fixture(scope="module")
def rules_before(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of asp/ whose rewritten files are as they were before the rewrite."""
    folder = tmp_path_factory.mktemp("rules_before") / "asp"
    shutil.copytree(_solve.asp_dir(), folder)
    for path in REWRITTEN:
        shutil.copyfile(RULES_BEFORE / path, folder / path)
    return folder


def shown_by_case(cases: list[Any], asp: Path | None, monkeypatch: pytest.MonkeyPatch) -> dict[int, set[str]]:
    """Every shown atom of the decision program, by case, all cases in one grounding."""
    facts = itertools.chain(kind_code_facts(KIND_CODES),
                            *(case_facts(case, key) for key, case in enumerate(cases)))
    with monkeypatch.context() as patch:
        if asp is not None:
            patch.setattr(_solve, "asp_dir", lambda: asp)
        model = _solve.single_model(_solve.solve(["main.lp"], facts))
    found: dict[int, set[str]] = defaultdict(set)
    for symbol in model.symbols:
        found[symbol.arguments[0].number].add(str(symbol))
    return found


# --- Generated claims ----------------------------------------------------------------------

def _profiles() -> list[dict[str, Any]]:
    """The scenarios' cases without their lines: real mixes of decisions, drugs and devices."""
    profiles = []
    for path in SCENARIOS:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
        case.pop("claim_lines", None)
        profiles.append(case)
    return profiles


THEMES = {  # the share of each group of codes in a claim's lines
    "mixed": [("pump", 0.25), ("pumps", 0.15), ("supplies", 0.35), ("others", 0.25)],
    "rental": [("pump", 0.8), ("pumps", 0.1), ("others", 0.1)],
    "supplies": [("supplies", 0.9), ("others", 0.1)],
    "chemo": [("chemo", 0.8), ("pump", 0.1), ("supplies", 0.1)],
}
GROUPS = {"pumps": PUMPS, "supplies": SUPPLIES, "others": OTHERS, "chemo": ["96416", "96425", "96521"]}


def _lines(rng: random.Random, service: date, count: int, pump: str, theme_name: str) -> list[dict[str, Any]]:
    theme = THEMES[theme_name]
    # 1..count, or numbers of every size listed in any order (the order is by date, then number).
    numbers = list(range(1, count + 1)) if rng.random() < 0.5 else rng.sample(range(1, 100000), count)
    # A few dates, so that lines share a date or a week; -3..20 days cross week boundaries.
    dates = [service + timedelta(days=rng.randrange(-3, 21)) for _ in range(rng.randrange(1, 5))]
    lines = []
    for number in numbers:
        group = rng.choices([g for g, _ in theme], [w for _, w in theme])[0]
        code = pump if group == "pump" else rng.choice(GROUPS[group])
        line: dict[str, Any] = {"line": number, "hcpcs": code, "units": rng.choice([1, 1, 1, 2, 3])}
        if rng.random() < 0.8:  # else the date of service
            line["date"] = rng.choice(dates).isoformat()
        modifiers = ["RR", "RR", *MODIFIERS] if group == "pump" else MODIFIERS
        line["modifiers"] = sorted(set(rng.sample(modifiers, rng.choice([0, 1, 1, 1, 2]))))
        if rng.random() < 0.85:
            line["amount"] = rng.choice([0, 25, 99.99, 250, 400, 800, 1234.56, 2000])
        lines.append(line)
    return lines


def generated_claims(count: int, seed: int = 20240) -> list[Any]:
    rng = random.Random(seed)
    profiles = _profiles()
    claims = []
    for number in range(count):
        case = yaml.safe_load(yaml.safe_dump(rng.choice(profiles)))  # a deep copy
        case["case_id"] = f"SCALE-{number}"
        device = case["device"]
        kind = DeviceKind(device["kind"])
        device["hcpcs"] = rng.choice([device.get("hcpcs"), None, *sorted(DEVICE_CODES[kind])])
        for field, values in (("acquisition", [None, "purchase", "rental", "rental", "member_owned"]),
                              ("purchase_price", [None, 300, 1000, 2500]),
                              ("rental_paid_to_date", [None, 0, 600, 2400]),
                              ("life_sustaining", [None, None, True, False])):
            if rng.random() < 0.6:
                device[field] = rng.choice(values)
        device = {k: v for k, v in device.items() if v is not None}
        case["device"] = device
        theme = rng.choice(list(THEMES))
        if theme == "rental" and rng.random() < 0.8:  # a price to reach, and room below it
            device.update(purchase_price=rng.choice([1000, 2500, 4000]), rental_paid_to_date=rng.choice([0, 600]))
            device.pop("life_sustaining", None)
        if rng.random() < 0.3:
            case.setdefault("therapy", {})["drug"] = rng.choice(
                ["epoprostenol", "treprostinil", "immune_globulin", "chemotherapy", "insulin"])
        if rng.random() < 0.5:
            case.setdefault("findings", {})["records_support_modifier_59"] = rng.random() < 0.5
        size = rng.randrange(1, 9) if rng.random() < 0.9 else rng.randrange(9, 25)
        pump = device.get("hcpcs") or rng.choice(sorted(DEVICE_CODES[kind]))  # mostly the device requested
        case["claim_lines"] = _lines(rng, date.fromisoformat(str(case["date_of_service"])), size, pump, theme)
        claims.append(parse_case(case))
    return claims


def test_generated_claims_are_decided_as_before(rules_before: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    claims = generated_claims(CLAIMS)
    after = shown_by_case(claims, None, monkeypatch)
    before = shown_by_case(claims, rules_before, monkeypatch)
    for key, claim in enumerate(claims):
        assert after[key] == before[key], (
            f"{claim.case_id} is decided differently: only now {sorted(after[key] - before[key])}, "
            f"only before {sorted(before[key] - after[key])}; the case: {claim.model_dump_json()}"
        )
    # The claims meet every rule that reads other lines, and the rules bite.
    shown = set().union(*after.values())
    reasons = {atom[:-1].rsplit(",", 1)[1] for atom in shown if atom.startswith("line_reason(")}
    assert reasons >= {"weekly_supply_limit", "rental_cap", "chemo_with_refill", "one_pump_epoprostenol",
                       "included_in_a4221", "durable_pump_supply_codes", "batteries_with_rented_pump",
                       "device_not_requested"}
    for rule in ("weekly_supply_limit", "rental_cap", "chemo_with_refill", "one_pump_epoprostenol",
                 "included_in_a4221"):
        assert any(atom.startswith("line_cause(") and f",{rule},line(" in atom for atom in shown), rule
    assert any(atom.endswith(",device_life_sustaining)") for atom in shown)
    assert any(atom.endswith(",records_support_modifier_59)") for atom in shown)


def test_scenario_claims_are_decided_as_before(rules_before: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [parse_case(yaml.safe_load(path.read_text(encoding="utf-8"))["case"]) for path in SCENARIOS]
    assert shown_by_case(cases, None, monkeypatch) == shown_by_case(cases, rules_before, monkeypatch)


# --- The order of lines ----------------------------------------------------------------------

def test_lines_are_walked_in_date_then_number_order() -> None:
    """first_in/next_in give the sorted order, for many lines on one date and numbers of every size."""
    rng = random.Random(7)
    program = (_solve.asp_dir() / "policy" / "codes.lp").read_text(encoding="utf-8")
    expected: dict[tuple[int, str], list[int]] = {}
    facts = []
    for case, group in itertools.product(range(3), ("a", "b")):
        numbers = rng.sample(range(1, 100000), 60) if group == "a" else list(range(1, 61))
        days = [10101, 20200101, 20200102, 20201231, 20210101, 99991231]
        keys = sorted((rng.choice(days[:2] if case == 0 else days), n) for n in numbers)
        expected[(case, group)] = [n for _, n in keys]
        facts += [f"ordered({case},{group},{n},{d})." for d, n in keys]
    control = clingo.Control(logger=lambda _code, _message: None)  # codes.lp alone reads undefined input
    control.add("base", [], program + "\n".join(facts) + "\n#show first_in/3. #show next_in/4.")
    control.ground([("base", [])])
    atoms: list[clingo.Symbol] = []
    control.solve(on_model=lambda model: atoms.extend(model.symbols(shown=True)))
    first = {(a.arguments[0].number, a.arguments[1].name): a.arguments[2].number
             for a in atoms if a.name == "first_in"}
    following = {(a.arguments[0].number, a.arguments[1].name, a.arguments[2].number): a.arguments[3].number
                 for a in atoms if a.name == "next_in"}
    assert len(following) == sum(len(order) - 1 for order in expected.values())
    for (case, group), order in expected.items():
        walked = [first[(case, group)]]
        while (case, group, walked[-1]) in following:
            walked.append(following[(case, group, walked[-1])])
        assert walked == order


# --- The limit -------------------------------------------------------------------------------

def claim_of(lines: int) -> dict[str, Any]:
    return {
        "case_id": "LIMIT",
        "date_of_service": "2020-06-01",
        "device": {"kind": "infusion_pump", "acquisition": "rental", "purchase_price": 5000},
        "claim_lines": [{"line": n, "hcpcs": "E0781", "modifiers": ["RR"], "amount": 100}
                        for n in range(1, lines + 1)],
    }


def test_a_case_with_more_lines_than_the_limit_is_refused_naming_claim_lines() -> None:
    with pytest.raises(InvalidCase) as refused:
        parse_case(claim_of(MAX_CLAIM_LINES + 1))
    problems = refused.value.problems()
    assert len(problems) == 1
    assert problems[0].startswith("claim_lines: ")
    assert f"{MAX_CLAIM_LINES:,}" in problems[0]


def test_a_case_at_the_limit_is_valid() -> None:
    assert len(parse_case(claim_of(MAX_CLAIM_LINES)).claim_lines) == MAX_CLAIM_LINES


def test_the_limit_is_in_the_json_schema() -> None:
    from reasoner.case import case_json_schema

    assert case_json_schema()["properties"]["claim_lines"]["maxItems"] == MAX_CLAIM_LINES


def test_the_limit_is_documented() -> None:
    for doc in ("interpretation.md", "performance.md"):
        assert f"{MAX_CLAIM_LINES:,} lines" in (ROOT / "docs" / doc).read_text(encoding="utf-8"), doc
