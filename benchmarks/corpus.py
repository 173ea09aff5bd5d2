"""A seeded generator of valid cases with claim lines (the benchmark corpus).

The same distributions as the property tests' strategies, drawn with `random`, so that
a corpus of any size is cheap to make and identical from run to run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from reasoner.vocabulary import DEVICE_CODES, Acquisition, DeviceKind, DeviceModel, Drug, Finding, Setting

DIAGNOSES = ["E10.65", "E11.9", "O24.419", "E83.111", "T45.4X1A", "I82.401", "I26.99",
             "C22.0", "G89.3", "I10", "D80.0"]
LINE_CODES = ["E0779", "E0781", "E0784", "K0455", "A9274", "A4221", "A4222", "A4224",
              "A4230", "A4231", "A4232", "K0552", "K0601", "96416", "96425", "96521", "J1234"]
START = date(2020, 3, 1)


def _maybe(rng: random.Random, value: Any, p: float = 0.5) -> Any:
    return value if rng.random() < p else None


def make_case(rng: random.Random, number: int) -> dict[str, Any]:
    service = START + timedelta(days=rng.randrange(0, 700))
    kind = rng.choice(list(DeviceKind))
    device: dict[str, Any] = {"kind": kind.value}
    optional = {
        "hcpcs": rng.choice(sorted(DEVICE_CODES[kind])),
        "acquisition": rng.choice(list(Acquisition)).value,
        "replacement": rng.random() < 0.3,
        "backup": rng.random() < 0.1,
        "purchase_price": round(rng.uniform(500, 6000), 2),
        "rental_paid_to_date": round(rng.uniform(0, 3000), 2),
    }
    device.update({k: v for k, v in optional.items() if rng.random() < 0.5})
    case: dict[str, Any] = {
        "case_id": f"BENCH-{number:07d}",
        "date_of_service": service.isoformat(),
        "member": {"age": rng.randrange(0, 90), "diagnoses": rng.sample(DIAGNOSES, rng.randrange(0, 3))},
        "therapy": {"drug": rng.choice(list(Drug)).value, "setting": rng.choice(list(Setting)).value},
        "device": device,
        "findings": {f.value: rng.random() < 0.6 for f in rng.sample(list(Finding), rng.randrange(0, 5))},
    }
    if rng.random() < 0.5:
        case["therapy"]["infusion_hours"] = rng.choice([4, 8, 12, 24])
    if device.get("replacement"):
        case["current_device"] = {"kind": kind.value, "functioning": rng.random() < 0.5,
                                  "under_warranty": rng.random() < 0.3,
                                  "model": rng.choice(list(DeviceModel)).value}
    case["claim_lines"] = [
        {"line": n, "hcpcs": rng.choice(LINE_CODES), "units": rng.randrange(1, 4),
         "date": (service + timedelta(days=rng.randrange(0, 14))).isoformat(),
         **({"modifiers": ["RR"]} if rng.random() < 0.2 else {}),
         **({"amount": round(rng.uniform(10, 900), 2)} if rng.random() < 0.5 else {})}
        for n in range(1, rng.randrange(1, 5))
    ]
    return case


def corpus(count: int, seed: int = 20201) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(count):
        yield make_case(rng, number)


def corpus_lines(count: int, seed: int = 20201, repeating: bool = False) -> Iterator[str]:
    for case in (repeating_corpus if repeating else corpus)(count, seed):
        yield json.dumps(case)


COMMON_SITUATIONS = 40
TAIL_SHARE = 0.2


def repeating_corpus(count: int, seed: int = 20202) -> Iterator[dict[str, Any]]:
    """Cases as a real claim stream has them: a few common situations, a long tail.

    80 % of the cases repeat one of 40 situations (chosen with Zipf weights: the first is
    about 20 times as common as the last), each time with a new case id and new claim lines;
    the other 20 % are drawn fresh, as in ``corpus``.
    """
    rng = random.Random(seed)
    situations = [make_case(rng, number) for number in range(COMMON_SITUATIONS)]
    weights = [1 / rank for rank in range(1, COMMON_SITUATIONS + 1)]
    for number in range(count):
        fresh = make_case(rng, number)
        if rng.random() >= TAIL_SHARE:
            situation = rng.choices(situations, weights)[0]
            shift = date.fromisoformat(situation["date_of_service"]) - date.fromisoformat(fresh["date_of_service"])
            lines = [{**line, "date": (date.fromisoformat(line["date"]) + shift).isoformat()}
                     for line in fresh["claim_lines"]]
            fresh = {**json.loads(json.dumps(situation)), "case_id": fresh["case_id"], "claim_lines": lines}
        yield fresh
