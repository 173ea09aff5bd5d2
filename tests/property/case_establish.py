"""Test helper: change a concrete case so that one condition becomes established.

The inverse of asp/conditions.lp for documentation conditions, used to check
`missing` and `complete` against concrete re-decisions.
"""

from __future__ import annotations

import copy
from typing import Any

from reasoner.verify_cases import DIAGNOSIS_CODES
from reasoner.vocabulary import Finding

FINDINGS = {f.value for f in Finding}
CURRENT = {
    "current_functioning": ("functioning", True),
    "current_malfunctioning": ("functioning", False),
    "current_out_of_warranty": ("under_warranty", False),
    "current_not_repairable": ("repairable", False),
    "current_device_eros": ("model", "eros"),
    "received_in_eros_window": ("received_on", "2019-06-01"),
}
HOURS = {"infusion_at_least_8h": 12, "infusion_under_8h": 4}


def establish(case: dict[str, Any], conditions: list[str] | set[str]) -> dict[str, Any]:
    changed = copy.deepcopy(case)
    for condition in conditions:
        if condition in FINDINGS:
            changed.setdefault("findings", {})[condition] = True
        elif condition in CURRENT:
            field, value = CURRENT[condition]
            current = changed.get("current_device") or {}
            current[field] = value
            changed["current_device"] = current
        elif condition in HOURS:
            changed.setdefault("therapy", {})["infusion_hours"] = HOURS[condition]
        elif condition in DIAGNOSIS_CODES:
            member = changed.setdefault("member", {})
            member["diagnoses"] = [*(member.get("diagnoses") or []), DIAGNOSIS_CODES[condition]]
        else:
            raise AssertionError(f"{condition} is not a documentation condition")
    return changed
