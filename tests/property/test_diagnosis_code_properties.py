"""Diagnosis codes against the ICD-10-CM code set (docs/adr/0010-icd-10-cm-code-set.md):

- every code the strategies write is a code of the code set, so every generated case is accepted;
- a well-formed code is accepted exactly when the code set holds it, with or without its dot,
  and a refused one is named by its field and the release.
"""

from __future__ import annotations

from typing import Any

import pytest
from case_strategies import DIAGNOSES, cases
from hypothesis import given
from hypothesis import strategies as st

from reasoner import InvalidCase, icd10cm, parse_case
from reasoner.case_checks import ICD10_PATTERN

KNOWN = sorted(code for code in icd10cm._code_set() if icd10cm.WRITTEN_CODE.fullmatch(code))


def with_dot(code: str) -> str:
    return code if len(code) == 3 else f"{code[:3]}.{code[3:]}"


def written_codes() -> st.SearchStrategy[str]:
    """Codes of the set, with or without the dot, and made-up codes of the same shape."""
    known = st.sampled_from(KNOWN)
    return st.one_of(known, known.map(with_dot), st.from_regex(ICD10_PATTERN, fullmatch=True))


def test_the_strategies_codes_are_codes_of_the_set() -> None:
    assert [code for code in DIAGNOSES if not icd10cm.is_known(code)] == []


@given(cases())
def test_every_generated_case_is_accepted_with_its_diagnoses(case: dict[str, Any]) -> None:
    diagnoses = case.get("member", {}).get("diagnoses") or []
    assert all(icd10cm.is_known(code) for code in diagnoses)
    assert parse_case(case).member.diagnoses == ([code.replace(".", "") for code in diagnoses]
                                                 if "diagnoses" in case.get("member", {}) else None)


@given(written_codes())
def test_a_well_formed_code_is_accepted_exactly_when_the_code_set_holds_it(code: str) -> None:
    case = {"case_id": "P", "date_of_service": "2020-07-02", "device": {"kind": "insulin_pump"},
            "member": {"diagnoses": [code]}}
    if code.replace(".", "") in icd10cm._code_set():
        assert parse_case(case).member.diagnoses == [code.replace(".", "")]
        return
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    assert caught.value.problems() == [
        f"member.diagnoses[0]: {code!r} is not an ICD-10-CM code (code set: {icd10cm.RELEASE})"
    ]
