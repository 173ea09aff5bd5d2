"""verify gives each diagnosis class to conditions.lp as the code its witness case carries.

asp/verify/inputs.lp turns the generated documentation into the input facts a real case gives,
so that the search reaches the conditions layer's own rules. For the diagnoses that means one
listed code per established class, with every leading part, as reasoner/_facts.py writes a
case's codes: a class left out of that list would be searched only through space.lp again, and a
mistake in its rules in conditions.lp would go unseen (a mutation run found that gap).
"""

from __future__ import annotations

import re

from reasoner import _solve
from reasoner.verify_cases import DIAGNOSIS_CODES

FACT = re.compile(r'^verify_diagnosis\((\w+), "(\w+)", \(([^)]*)\)\)\.', flags=re.MULTILINE)
RANGE = re.compile(r"^diagnosis_range\((\w+),", flags=re.MULTILINE)


def test_every_diagnosis_class_is_given_as_the_witness_code_with_every_leading_part() -> None:
    inputs = (_solve.asp_dir() / "verify" / "inputs.lp").read_text(encoding="utf-8")
    conditions = (_solve.asp_dir() / "conditions.lp").read_text(encoding="utf-8")
    given = {name: (code, [p.strip().strip('"') for p in parts.split(";")])
             for name, code, parts in FACT.findall(inputs)}
    assert set(given) == set(RANGE.findall(conditions)) == set(DIAGNOSIS_CODES)
    for name, (code, prefixes) in given.items():
        assert code == DIAGNOSIS_CODES[name].replace(".", ""), name
        assert prefixes == [code[:length] for length in range(3, len(code) + 1)], name
