"""Test helper: change a concrete case so that some conditions become established.

Written from the answer catalogue (asp/catalogue.lp, `answer/3` and `establishes/2`): the field
that settles each condition, set to a value that establishes it. Used to check `missing` and
`complete` against concrete re-decisions.
"""

from __future__ import annotations

import copy
from typing import Any

from reasoner.answers import get_field, set_field
from reasoner.catalogue import catalogue
from reasoner.verify_cases import DIAGNOSIS_CODES

HOURS = {"infusion_at_least_8h": 12, "infusion_under_8h": 4}
EROS_WINDOW_DAY = "2019-06-01"


def establish(case: dict[str, Any], conditions: list[str] | set[str]) -> dict[str, Any]:
    changed = copy.deepcopy(case)
    answers = catalogue().answers
    for condition in conditions:
        spec = answers[condition]
        if spec.type == "codes":
            value: Any = [*(get_field(changed, spec.field) or []), DIAGNOSIS_CODES[condition]]
        elif spec.type == "number":
            value = HOURS[condition]
        elif spec.type == "date":
            value = EROS_WINDOW_DAY
        else:
            value = _fitting(changed, spec.field, spec.establishes)
        changed = set_field(changed, spec.field, value)
    return changed


def _fitting(case: dict[str, Any], field: str, values: tuple[Any, ...]) -> Any:
    """An establishing value; for a device code, one that fits the requested kind."""
    if field == "device.hcpcs":
        from reasoner.vocabulary import KIND_CODES

        fitting = [v for v in values if v in KIND_CODES[case["device"]["kind"]]]
        assert fitting, f"no code of {values} fits {case['device']['kind']}"
        return fitting[0]
    return values[0]
