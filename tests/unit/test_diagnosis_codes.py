"""Diagnosis codes are codes of the ICD-10-CM code set, not only of its shape
(docs/adr/0010-icd-10-cm-code-set.md, docs/interpretation.md section 9).

- A made-up code of the right shape (`E11.ZZZZ`) is refused, naming the field and the release;
  a real code is accepted with or without the dot, and so are categories (`E11`) and headers
  that are not billable (`E11.6`, `T45.4X1`).
- The same in every door: `reasoner check` (exit 2, one line), `reasoner batch` (an error record,
  the run goes on), the interview's answers and the FHIR service (the FHIR path named).
- The code set is simple-icd-10-cm's, read without importing that package, and only when a case
  has a diagnosis; every code this repository writes in a case is in it.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from reasoner import Case, InvalidCase, decide, icd10cm, parse_case
from reasoner.catalogue import catalogue
from reasoner.errors import ReasonerError
from reasoner.interview.session import Interview, apply_answers
from reasoner.service.examples import HEPARIN_AT_HOME_CASE, INSULIN_PUMP_CASE
from reasoner.service.fhir_case import ICD10CM_SYSTEM, cases_from_hook
from reasoner.verify_cases import DIAGNOSIS_CODES

ROOT = Path(__file__).resolve().parents[2]
RELEASE_NOTE = f"(code set: {icd10cm.RELEASE})"

# Of the right shape (reasoner.case.ICD10_PATTERN), not codes of the release the package ships.
MADE_UP = ["E11.ZZZZ", "Z99.ZZ9", "E11.99", "E1199", "A00.5", "U99", "E11.9X", "I10.0", "O24.4109",
           "T45.4X1Z", "C50.9999"]
# Billable codes, written with the dot and without it, in upper and lower case.
REAL = ["E11.9", "E119", "E10.65", "O24.410", "O24410", "T45.4X1A", "t45.4x1a", "I10", "I82.401",
        "U07.1", "S72.001A", "Z79.4"]
# Categories, and subcategories that have subcategories of their own (not billable).
HEADERS = ["E11", "C50", "I82", "E08", "E11.6", "E116", "T45.4X1", "I82.40", "E83.11", "O24.41"]


def case_with(*diagnoses: Any) -> dict[str, Any]:
    return {"case_id": "ICD-1", "date_of_service": "2020-07-02", "member": {"diagnoses": list(diagnoses)},
            "therapy": {"drug": "insulin", "setting": "home"}, "device": {"kind": "insulin_pump", "hcpcs": "E0784"}}


def problems_of(case: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidCase) as caught:
        parse_case(case)
    return caught.value.problems()


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", MADE_UP)
def test_a_made_up_code_of_the_right_shape_is_refused_naming_the_field_and_the_release(code: str) -> None:
    assert problems_of(case_with("E10.65", code)) == [
        f"member.diagnoses[1]: {code!r} is not an ICD-10-CM code {RELEASE_NOTE}"
    ]


def test_the_made_up_code_counts_for_no_diagnosis_class() -> None:
    """Before the check, E11.ZZZZ was accepted and met "Insulin for Diabetes Mellitus"."""
    with pytest.raises(InvalidCase):
        decide(case_with("E11.ZZZZ"))


def test_each_unknown_code_is_named_by_its_own_index() -> None:
    assert problems_of(case_with("Z99.ZZ9", "E10.65", "e11.zzzz")) == [
        f"member.diagnoses[0]: 'Z99.ZZ9' is not an ICD-10-CM code {RELEASE_NOTE}",
        f"member.diagnoses[2]: 'e11.zzzz' is not an ICD-10-CM code {RELEASE_NOTE}",
    ]


def test_a_code_of_the_wrong_shape_is_still_refused_as_malformed() -> None:
    assert problems_of(case_with("E11.99999")) == [
        "member.diagnoses[0]: 'E11.99999' is not a well-formed ICD-10-CM code"
    ]


@pytest.mark.parametrize("code", REAL)
def test_a_real_code_is_accepted_with_or_without_the_dot(code: str) -> None:
    case = parse_case(case_with(code))
    assert case.member.diagnoses == [code.upper().replace(".", "")]


@pytest.mark.parametrize("code", HEADERS)
def test_categories_and_headers_that_are_not_billable_are_accepted(code: str) -> None:
    assert isinstance(parse_case(case_with(code)), Case)


def test_a_category_still_meets_its_diagnosis_class() -> None:
    assert decide(case_with("E11")).to_json()["decision"] == "covered"


def test_chapters_and_blocks_are_no_diagnosis_codes() -> None:
    for item in ("4", "E08-E13", "A00-A09"):
        assert not icd10cm.is_known(item)
    assert problems_of(case_with("E08-E13"))[0].startswith("member.diagnoses[0]: 'E08-E13' is not a well-formed")


def test_the_date_of_service_does_not_choose_the_release() -> None:
    """U07.1 (COVID-19) entered ICD-10-CM on 2020-04-01: one release judges every date (docs/interpretation.md)."""
    before = dict(case_with("U07.1"), date_of_service="2020-03-01")
    assert parse_case(before).member.diagnoses == ["U071"]


# --- the code set ---------------------------------------------------------------------------


def test_the_installed_package_is_the_pinned_release() -> None:
    assert metadata.version(icd10cm.PACKAGE) == icd10cm.PACKAGE_VERSION
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert f"{icd10cm.PACKAGE}=={icd10cm.PACKAGE_VERSION}" in dependencies
    shipped = {str(path) for path in metadata.files(icd10cm.PACKAGE) or []}
    assert icd10cm.CODE_LIST in shipped


def test_the_code_list_is_the_packages_own_and_search_and_set_agree() -> None:
    """The list read beside the package is what its public API knows (get_all_codes), and
    is_known agrees with its is_category_or_subcategory, by search (the first lookups) and by set."""
    with warnings.catch_warnings():  # its importlib.resources calls are deprecated in 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm  # about 3 s: it parses the whole tabular XML

    everything = set(cm.get_all_codes(with_dots=False))
    assert set(icd10cm._code_set()) == everything
    assert len(icd10cm._code_set()) == len(everything)
    lines = icd10cm._code_lines()
    assert lines is not None, "the shipped list holds one code a line"
    codes = sorted(code for code in everything if icd10cm.WRITTEN_CODE.fullmatch(code))
    sample = [*random.Random(10).sample(codes, 400), *MADE_UP, *REAL, *HEADERS, *DIAGNOSIS_CODES.values()]
    for written in sample:
        code = written.upper()
        expected = cm.is_category_or_subcategory(code)
        key = code.replace(".", "")
        assert (f"\n{key}\n" in lines) == expected, code
        assert (key in icd10cm._code_set()) == expected, code
        assert icd10cm.is_known(code) == expected, code
    assert len(codes) > 90_000, "categories and subcategories of the whole release"


@pytest.fixture
def fresh_code_set() -> Iterator[None]:
    """The code set's caches emptied before and after the test."""
    def clear() -> None:
        for cached in (icd10cm._code_list, icd10cm._code_lines, icd10cm._code_set):
            cached.cache_clear()

    clear()
    yield
    clear()


@pytest.mark.usefixtures("fresh_code_set")
def test_a_missing_code_list_is_one_reasoner_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(icd10cm, "CODE_LIST", "simple_icd_10_cm/data/code-list-April-2099.txt")
    with pytest.raises(icd10cm.CodeSetMissing) as caught:
        parse_case(case_with("E10.65"))
    assert isinstance(caught.value, ReasonerError)
    assert str(caught.value) == (
        f"{icd10cm.PACKAGE} {icd10cm.PACKAGE_VERSION} ships no simple_icd_10_cm/data/code-list-April-2099.txt: "
        f"the ICD-10-CM code set is read from {icd10cm.PACKAGE} {icd10cm.PACKAGE_VERSION} ({icd10cm.RELEASE})"
    )
    monkeypatch.setattr(icd10cm, "PACKAGE", "no-such-package-here")
    icd10cm._code_list.cache_clear()
    with pytest.raises(icd10cm.CodeSetMissing, match=r"no-such-package-here 1\.5\.0 is not installed"):
        parse_case(case_with("E10.65"))


def run_python(code: str) -> str:
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                               check=True, cwd=ROOT)
    return completed.stdout.strip()


def test_the_code_set_is_read_only_for_a_case_with_diagnoses_and_the_package_is_never_imported() -> None:
    script = (
        "import sys, json\n"
        "from reasoner import parse_case, icd10cm\n"
        f"case = json.loads({json.dumps(json.dumps(case_with()))})\n"
        "case['member'] = {}\n"
        "parse_case(case)\n"
        "before = icd10cm._code_list.cache_info().currsize\n"
        "case['member'] = {'diagnoses': ['E10.65', 'I10']}\n"
        "parse_case(case)\n"
        "print(before, icd10cm._code_list.cache_info().currsize, 'simple_icd_10_cm' in sys.modules)\n"
    )
    assert run_python(script) == "0 1 False"


def test_many_lookups_move_to_the_set_with_the_same_answers() -> None:
    script = (
        "from reasoner import icd10cm\n"
        "codes = ['E10.65', 'E11.ZZZZ', 'I10', 'T45.4X1A', 'E11', 'E11.9X'] * 30\n"
        "answers = [icd10cm.is_known(code) for code in codes]\n"
        "print(answers == [True, False, True, True, True, False] * 30, icd10cm._code_set.cache_info().currsize)\n"
    )
    assert run_python(script) == "True 1"


# --- every door -----------------------------------------------------------------------------


def test_check_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_with("E11.ZZZZ")), encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "reasoner", "check", str(path)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        f"error: member.diagnoses[0]: 'E11.ZZZZ' is not an ICD-10-CM code {RELEASE_NOTE}"
    ]


def test_a_batch_line_with_an_unknown_code_is_an_error_record_and_the_run_goes_on(tmp_path: Path) -> None:
    lines = [case_with("E10.65"), dict(case_with("E10.65", "E11.ZZZZ"), case_id="BAD-CODE"), case_with("E119")]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "reasoner", "batch", str(path), "--no-progress"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [record.get("decision") for record in records] == ["covered", None, "covered"]
    assert records[1]["case_id"] == "BAD-CODE"
    assert records[1]["line"] == 2
    assert records[1]["error"] == f"member.diagnoses[1]: 'E11.ZZZZ' is not an ICD-10-CM code {RELEASE_NOTE}"


def test_an_interview_answer_with_an_unknown_code_is_refused_and_the_case_kept() -> None:
    case = case_with()
    del case["member"]
    interview = Interview(case)
    with pytest.raises(InvalidCase) as caught:
        apply_answers(interview, {"member.diagnoses": ["E10.65", "E11.ZZZZ"]})
    assert caught.value.problems() == [
        f"--answers member.diagnoses: member.diagnoses[1]: 'E11.ZZZZ' is not an ICD-10-CM code {RELEASE_NOTE}"
    ]
    assert "member" not in interview.case
    interview.answer("member.diagnoses", ["E10.65"])
    assert interview.current().decision == "covered"


def hook_with_reason(code: str) -> dict[str, Any]:
    order = {"resourceType": "DeviceRequest", "id": "dr-1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/p1"},
             "codeCodeableConcept": {"coding": [{"system": "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
                                                 "code": "E0784"}]},
             "reasonCode": [{"coding": [{"system": ICD10CM_SYSTEM, "code": code}]}]}
    return {"hook": "order-sign", "hookInstance": "h-1",
            "context": {"userId": "Practitioner/1", "patientId": "p1",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order}]}}}


def test_the_fhir_service_names_the_coding_of_an_unknown_code() -> None:
    from datetime import date

    [order] = cases_from_hook(hook_with_reason("E10.65"), today=date(2020, 7, 2))
    assert order.case is not None
    assert order.case["member"]["diagnoses"] == ["E10.65"]
    with pytest.raises(InvalidCase) as caught:
        cases_from_hook(hook_with_reason("E11.ZZZZ"), today=date(2020, 7, 2))
    assert caught.value.problems() == [
        "context.draftOrders.entry[0].resource.reasonCode[0].coding[0].code: 'E11.ZZZZ' is not an ICD-10-CM "
        f"code {RELEASE_NOTE}"
    ]


# --- every code the repository writes is real -----------------------------------------------

DOTTED_CODE = re.compile(r"\b[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}\b")


def diagnoses_in(value: Any) -> list[str]:
    """Every string in a `diagnoses` list anywhere inside a decoded JSON or YAML value."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "diagnoses" and isinstance(child, list):
                found.extend(code for code in child if isinstance(code, str))
            else:
                found.extend(diagnoses_in(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(diagnoses_in(child))
    return found


def written_codes() -> dict[str, set[str]]:
    where: dict[str, set[str]] = {}

    def add(source: str, codes: Any) -> None:
        for code in codes:
            where.setdefault(code, set()).add(source)

    for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        add(path.name, diagnoses_in(yaml.safe_load(path.read_text(encoding="utf-8"))))
    for path in sorted((ROOT / "examples").glob("*.json")):
        add(path.name, diagnoses_in(json.loads(path.read_text(encoding="utf-8"))))
    add("reasoner/verify_cases.py", DIAGNOSIS_CODES.values())
    add("reasoner/service/examples.py", diagnoses_in([INSULIN_PUMP_CASE, HEPARIN_AT_HOME_CASE]))
    for spec in catalogue().answers.values():
        if spec.field == "member.diagnoses":
            add("asp/catalogue.lp answer_example", spec.examples)
    sys.path.insert(0, str(ROOT / "tests" / "property"))
    try:
        from case_strategies import DIAGNOSES
    finally:
        sys.path.remove(str(ROOT / "tests" / "property"))
    add("tests/property/case_strategies.py", DIAGNOSES)
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "asp").rglob("*.lp")),
             *sorted((ROOT / "reasoner").rglob("*.py")), *sorted((ROOT / "benchmarks").rglob("*.py")),
             *sorted(path for path in (ROOT / "tests").rglob("*.py") if "rules_before" not in path.parts)]
    for path in texts:
        add(str(path.relative_to(ROOT)), DOTTED_CODE.findall(path.read_text(encoding="utf-8")))
    return where


def test_every_diagnosis_code_the_repository_writes_is_in_the_code_set() -> None:
    where = written_codes()
    assert {"E11.9", "O24.410", "T45.4X1A", "I82.401", "E10.65"} <= set(where), "the scan finds the codes"
    made_up = set(MADE_UP) | {"E11.99999"}
    unknown = {code: sorted(sources) for code, sources in where.items()
               if code not in made_up and not icd10cm.is_known(code.upper())}
    assert not unknown, f"not ICD-10-CM codes: {unknown}"


def test_the_code_table_answers_exactly_what_a_set_of_the_same_codes_answers() -> None:
    """The compact table (sorted fixed-width records) behaves as a set: prefixes, padding and
    longer keys are not members; iteration gives each code once."""
    codes = ["E11", "E1165", "E116", "I10", "E11", "3", "A00-B99"]
    table = icd10cm.CodeTable(codes)
    probes = [*codes, "", "E1", "E11 ", " E11", "E11650", "E11-", "I1", "I100", "3 ", "A00-B9", "A00-B990", "é"]
    for probe in probes:
        assert (probe in table) == (probe in set(codes)), probe
    assert 11 not in table
    assert sorted(table) == sorted(set(codes))
    assert len(table) == len(set(codes))


def test_a_code_with_a_byte_below_the_space_is_found_beside_its_prefix() -> None:
    """Records are padded with spaces, so the order that bisection needs is the padded records'
    order: "A\x01" sorts after "A" as a code but before "A " as a record."""
    codes = ["A", "A\x01", "AB", "A\x01"]
    table = icd10cm.CodeTable(codes)
    for probe in [*codes, "A\x02", "B", "\x01"]:
        assert (probe in table) == (probe in set(codes)), repr(probe)
    assert sorted(table) == sorted(set(codes))


def test_the_table_is_the_same_whatever_the_order_and_repeats_of_its_codes() -> None:
    """The table sorts the list itself (the shipped list is nearly in order, not wholly): a
    shuffled list with repeats gives the same records, in order, each code once, all found."""
    lines = icd10cm._code_lines()
    assert lines is not None
    codes = lines.split()[:5000]
    shuffled = [*codes, *codes[::7]]
    random.Random(3).shuffle(shuffled)
    table = icd10cm.CodeTable(shuffled)
    assert table.records == icd10cm.CodeTable(sorted(set(codes))).records
    assert list(table) == sorted(set(codes))
    assert all(code in table for code in codes)
