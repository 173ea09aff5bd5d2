"""The decision's typed models (reasoner/decision_schema.py) fit every real decision exactly.

Every example and scenario case is decided with and without its explanation, under its own
version and under the one in force on 2020-05-01, and its JSON must fit the models, which refuse
any field they do not describe: a field added to, renamed in or dropped from
``Decision.to_json()`` without the models (or the reverse) fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner, Result

from reasoner import decide
from reasoner.answers import ANSWER_TYPES
from reasoner.cli import app
from reasoner.decision_schema import AnswerType, DecisionOut, decision_json_schema, validate_decision_json
from reasoner.explain import MAX_ALTERNATIVES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted(p for p in (ROOT / "examples").glob("*.json") if p.name != "expected.json")
SCENARIO_FILES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
CASE_FILES = EXAMPLE_FILES + SCENARIO_FILES
AS_OF = "2020-05-01"

runner = CliRunner()

Path_ = tuple[str | int, ...]


def load_case(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
    return case


@cache
def decision_json(name: str, explanation: bool = True, as_of: str | None = None) -> str:
    """A real decision's JSON text (cached: the mutation tests copy it)."""
    path = next(p for p in CASE_FILES if p.name == name)
    return json.dumps(decide(load_case(path), explanation=explanation, as_of=as_of).to_json())


def decision(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(decision_json(name))
    return data


def test_there_are_cases_to_check() -> None:
    assert len(EXAMPLE_FILES) >= 5
    assert len(SCENARIO_FILES) >= 20


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_real_decision_fits_the_models(path: Path) -> None:
    case = load_case(path)
    for explanation in (True, False):
        for as_of in (None, AS_OF):
            data = decide(case, explanation=explanation, as_of=as_of).to_json()
            try:
                validate_decision_json(data)
            except ValidationError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"explanation={explanation}, as_of={as_of}:\n{error}")


def test_the_models_bound_missing_as_the_explanation_does() -> None:
    assert DecisionOut.model_fields["missing"].metadata[0].max_length == MAX_ALTERNATIVES


def test_there_is_one_answer_model_per_answer_type() -> None:
    assert set(get_args(AnswerType)) == set(ANSWER_TYPES)
    definitions = decision_json_schema()["$defs"]
    answer_types = {d["properties"]["type"].get("const") for name, d in definitions.items() if name.endswith("Answer")}
    assert answer_types == set(ANSWER_TYPES)


# Samples that between them hold every kind of object of the decision.
SAMPLES = [
    "heparin-at-home.json",  # missing, questions, closed routes with reopen, clauses
    "pump-upgrade-for-new-technology.json",  # not_met conditions in missing, enum answers
    "rental-cap-meets.yaml",  # amount_allowed, lines[].missing, because {line} and {input}
    "one-pump-epoprostenol-purchase-then-rental-meets.yaml",  # all three shapes of because
    "override-closed-loop-meets.yaml",  # conflicts
    "no-policy-in-force-2020-03-31-meets.yaml",  # not_applicable: rule and pathway null
]


def objects(data: Any, path: Path_ = ()) -> Iterator[Path_]:
    """The path of every JSON object inside data, data itself first."""
    if isinstance(data, dict):
        yield path
        for key, value in data.items():
            yield from objects(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from objects(value, (*path, index))


def at(data: Any, path: Path_) -> Any:
    for step in path:
        data = data[step]
    return data


def rejected(data: dict[str, Any]) -> bool:
    try:
        validate_decision_json(data)
    except ValidationError:
        return True
    return False


def kinds_of_objects(data: dict[str, Any]) -> set[tuple[str | int, ...]]:
    return {tuple("[]" if isinstance(step, int) else step for step in path) for path in objects(data)}


def test_the_samples_hold_every_kind_of_object() -> None:
    seen: set[tuple[str | int, ...]] = set()
    for name in SAMPLES:
        validate_decision_json(decision(name))
        seen |= kinds_of_objects(decision(name))
    expected = {
        (), ("policy",), ("policy", "version_chosen"), ("rule",), ("satisfied", "[]"),
        ("missing", "[]"), ("missing", "[]", "conditions", "[]"), ("missing", "[]", "conditions", "[]", "answer"),
        ("missing", "[]", "covered_by", "[]"), ("questions", "[]"), ("questions", "[]", "answer"),
        ("closed_routes", "[]"), ("closed_routes", "[]", "closed_by", "[]"),
        ("closed_routes", "[]", "closed_by", "[]", "answer"), ("closed_routes", "[]", "reopen"),
        ("lines", "[]"), ("lines", "[]", "reasons", "[]"), ("lines", "[]", "reasons", "[]", "because", "[]"),
        ("lines", "[]", "missing", "[]"), ("conflicts", "[]"), ("clauses", "[]"), ("clauses", "[]", "conditions", "[]"),
    }
    assert expected <= seen, sorted(expected - seen)
    because = {
        tuple(sorted(item))
        for name in SAMPLES
        for line in decision(name)["lines"] for reason in line["reasons"] for item in reason["because"]
    }
    assert because == {("hcpcs", "line"), ("condition", "label", "status"), ("input", "label")}


@pytest.mark.parametrize("name", SAMPLES)
def test_an_extra_field_in_any_object_is_refused(name: str) -> None:
    original = decision(name)
    accepted = []
    for path in objects(original):
        data = copy.deepcopy(original)
        at(data, path)["comment"] = "not in the contract"
        if not rejected(data):
            accepted.append(path)
    assert not accepted, f"an extra field was accepted at {accepted}"


def misspelt(key: str) -> str:
    """The key with its first two letters swapped ("line" -> "ilne"), or doubled when they are equal."""
    return key[1] + key[0] + key[2:] if key[0] != key[1] else key[0] + key


@pytest.mark.parametrize("name", SAMPLES)
def test_a_misspelt_field_in_any_object_is_refused(name: str) -> None:
    original = decision(name)
    accepted = []
    for path in objects(original):
        for key in at(original, path):
            data = copy.deepcopy(original)
            target = at(data, path)
            assert misspelt(key) not in target
            target[misspelt(key)] = target.pop(key)
            if not rejected(data):
                accepted.append((*path, key))
    assert not accepted, f"a misspelt field was accepted at {accepted}"


@pytest.mark.parametrize("name", SAMPLES)
def test_a_dropped_field_is_refused_unless_the_decision_leaves_it_out_when_empty(name: str) -> None:
    optional = {"amount_allowed", "missing", "establishes", "unit", "examples"}
    original = decision(name)
    accepted = []
    for path in objects(original):
        for key in at(original, path):
            data = copy.deepcopy(original)
            del at(data, path)[key]
            if not rejected(data) and not (key in optional and path):
                accepted.append((*path, key))
    assert not accepted, f"a required field could be left out at {accepted}"


def changed(name: str, path: Path_, value: Any) -> dict[str, Any]:
    data = decision(name)
    *parents, last = path
    at(data, tuple(parents))[last] = value
    return data


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("heparin-at-home.json", ("decision",), "approved"),
        ("heparin-at-home.json", ("decision",), None),
        ("heparin-at-home.json", ("complete",), "true"),
        ("heparin-at-home.json", ("complete",), 1),
        ("heparin-at-home.json", ("explained",), None),
        ("heparin-at-home.json", ("policy", "id"), "another-policy"),
        ("heparin-at-home.json", ("policy", "version_chosen", "chosen_by"), "today"),
        ("heparin-at-home.json", ("policy", "version_chosen", "date"), "June 1"),
        ("heparin-at-home.json", ("missing", 0, "conditions", 0, "status"), "met"),
        ("heparin-at-home.json", ("missing", 0, "conditions", 0, "answer", "type"), "bool"),
        ("heparin-at-home.json", ("missing", 0, "conditions", 0, "answer", "establishes"), []),
        ("heparin-at-home.json", ("missing", 0, "conditions", 0, "answer", "establishes"), ["true"]),
        ("heparin-at-home.json", ("missing", 0, "conditions", 0, "answer", "values"), ["a"]),
        ("heparin-at-home.json", ("questions", 0, "answer"), None),
        ("heparin-at-home.json", ("clauses", 0, "status"), "met"),
        ("heparin-at-home.json", ("clauses", 0, "verdict"), "not_applicable"),
        ("heparin-at-home.json", ("clauses", 0, "sentences"), ["1"]),
        ("heparin-at-home.json", ("closed_routes", 0, "closed_by", 0, "status"), "unknown"),
        ("heparin-at-home.json", ("closed_routes", 0, "reopen", "values"), None),
        ("heparin-at-home.json", ("missing_truncated",), None),
        ("rental-cap-meets.yaml", ("lines", 1, "outcome"), "partial"),
        ("rental-cap-meets.yaml", ("lines", 1, "units_allowed"), 1.0),
        ("rental-cap-meets.yaml", ("lines", 1, "units_allowed"), -1),
        ("rental-cap-meets.yaml", ("lines", 1, "amount_allowed"), None),
        ("rental-cap-meets.yaml", ("lines", 1, "amount_allowed"), "50.00"),
        ("rental-cap-meets.yaml", ("lines", 1, "missing"), []),
        ("rental-cap-meets.yaml", ("lines", 1, "missing", 0, "status"), "met"),
        ("rental-cap-meets.yaml", ("lines", 1, "reasons", 0, "because", 0), {"line": 1, "label": "mixed shapes"}),
        ("rental-cap-meets.yaml", ("lines", 1, "reasons", 0, "because", 0), {"input": "x"}),
        ("rental-cap-meets.yaml", ("warnings",), [None]),
    ],
)
def test_a_value_outside_the_contract_is_refused(name: str, path: Path_, value: Any) -> None:
    at(decision(name), path[:-1])  # the object changed is in the sample
    assert rejected(changed(name, path, value)), f"{path} = {value!r} was accepted"


def test_the_mutations_start_from_fitting_samples() -> None:
    for name in ("heparin-at-home.json", "rental-cap-meets.yaml"):
        assert not rejected(decision(name))
    line = decision("rental-cap-meets.yaml")["lines"][1]
    assert {"amount_allowed", "missing"} <= set(line)
    assert decision("heparin-at-home.json")["closed_routes"][0]["reopen"]["type"] == "enum"


def ok(result: Result) -> Result:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.stderr
    return result


def test_schema_output_prints_the_decision_schema() -> None:
    schema = json.loads(ok(runner.invoke(app, ["schema", "--output"])).stdout)
    assert schema == json.loads(json.dumps(decision_json_schema()))
    assert schema["title"] == "DecisionOut"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    top_level = set(decision("heparin-at-home.json"))
    assert set(schema["properties"]) == top_level
    assert set(schema["required"]) == top_level
    refs = {ref.rsplit("/", 1)[-1] for ref in _refs(schema)}
    assert {"PolicyOut", "VersionChosenOut", "RuleOut", "SatisfiedCondition", "AlternativeOut", "MissingCondition",
            "QuestionOut", "ClosedRouteOut", "ClosingFactOut", "LineOut", "LineReasonOut", "LineCause",
            "ConditionCause", "InputCause", "LineMissingCondition", "ConflictOut", "ClauseOut", "TraceCondition",
            "BooleanAnswer", "EnumAnswer", "NumberAnswer", "DateAnswer", "CodesAnswer", "StringAnswer"} <= refs
    assert refs <= set(schema["$defs"])
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, f"{name} allows extra fields"
    assert set(schema["properties"]["decision"]["enum"]) == {
        "covered", "not_medically_necessary", "experimental_investigational", "not_applicable"}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_schema_without_output_still_prints_the_case_schema() -> None:
    schema = json.loads(ok(runner.invoke(app, ["schema"])).stdout)
    assert "case_id" in schema["properties"]
    assert "date_of_service" in schema["properties"]
    assert "explained" not in schema["properties"]
