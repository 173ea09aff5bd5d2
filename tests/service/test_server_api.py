"""The JSON API of `reasoner serve`, called over HTTP on a real server (tests/service/conftest.py).

The same decisions as the command line: `POST /decide` answers what `reasoner check --format json`
prints, and bad input gets the command line's one-line problems, never a stack trace.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from service_helpers import EXAMPLE_FILES, EXAMPLES, MAX_BODY, load

from reasoner import decide
from reasoner.decision_schema import validate_decision_json


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["versions"] == ["2020-04-01", "2020-05-19"]


def test_decide_answers_what_check_prints_for_every_example(client: httpx.Client) -> None:
    for path in EXAMPLE_FILES:
        response = client.post("/decide", content=path.read_bytes(), headers={"content-type": "application/json"})
        assert response.status_code == 200, path.name
        assert response.json() == decide(load(path)).to_json(), path.name
        validate_decision_json(response.json())


def test_decide_takes_explanation_and_as_of(client: httpx.Client) -> None:
    """"Current medical policy is to be used ... on the date that services are rendered"; as_of asks
    for another date's version."""
    case = load(EXAMPLES / "insulin-pump-type1.json")
    brief = client.post("/decide", json=case, params={"explanation": "false", "as_of": "2020-05-01"}).json()
    assert brief["explained"] is False
    assert brief["policy"]["version"] == "2020-04-01"
    assert brief["policy"]["version_chosen"]["chosen_by"] == "as_of"


def test_an_invalid_case_is_422_with_the_command_line_problems(client: httpx.Client) -> None:
    response = client.post("/decide", json={"case_id": "X", "date_of_service": "2020-13-01", "device": {"kind": "x"}})
    assert response.status_code == 422
    problems = response.json()["errors"]
    assert "date_of_service: '2020-13-01' is not a real calendar date" in problems
    assert any(p.startswith("device.kind: ") for p in problems)
    assert "Traceback" not in response.text


def test_a_body_that_is_not_json_is_400_in_one_line(client: httpx.Client) -> None:
    response = client.post("/decide", content=b"{bad", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"errors": [
        "request body: not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"
    ]}


def test_nan_and_bad_utf8_are_refused_as_bad_json(client: httpx.Client) -> None:
    nan = client.post("/decide", content=b'{"case_id": NaN}', headers={"content-type": "application/json"})
    assert nan.status_code == 400
    latin = client.post("/decide", content=b'{"case_id": "\xe9"}', headers={"content-type": "application/json"})
    assert latin.status_code == 400
    assert latin.json() == {"errors": ["request body: is not UTF-8 text"]}


def test_a_body_over_the_limit_is_413_with_or_without_a_length(client: httpx.Client) -> None:
    big = b'{"case_id": "' + b"x" * (MAX_BODY + 10) + b'"}'
    response = client.post("/decide", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0].startswith("request body: larger than the limit")

    def chunks() -> Any:
        yield b'{"case_id": "'
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    streamed = client.post("/decide", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_batch_keeps_order_and_turns_bad_cases_into_error_records(client: httpx.Client) -> None:
    cases: list[Any] = [load(path) for path in EXAMPLE_FILES[:3]]
    cases.insert(1, {"case_id": "BAD", "date_of_service": "2020-06-01"})
    cases.append("not a case")
    records = client.post("/decide/batch", json=cases).json()
    assert len(records) == len(cases)
    assert records[1] == {"case_id": "BAD", "line": 2, "kind": "invalid_case",
                          "error": "device: Field required"}
    assert records[-1]["kind"] == "invalid_case"
    for record, case in zip(records, cases, strict=True):
        if "error" not in record:
            assert record == decide(case).to_json()


def test_batch_needs_an_array(client: httpx.Client) -> None:
    response = client.post("/decide/batch", json={"cases": []})
    assert response.status_code == 422
    assert response.json() == {"errors": ["request body: must be a JSON array of cases"]}


def test_conditions_and_schemas(client: httpx.Client) -> None:
    rows = client.get("/conditions").json()
    assert any(row["id"] == "medical_review_established" and row["answer"]["type"] == "boolean" for row in rows)
    assert "case_id" in client.get("/schema/case").json()["properties"]
    decision_schema = client.get("/schema/decision").json()
    assert "decision" in json.dumps(decision_schema)


def test_openapi_lists_every_route_with_examples(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/decide", "/decide/batch", "/conditions", "/schema/case", "/schema/decision", "/health",
                 "/cds-services", "/cds-services/{service_id}", "/Questionnaire/{questionnaire_id}", "/decide/fhir"):
        assert path in spec["paths"], path
    examples = spec["paths"]["/decide"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert "covered" in examples


def test_an_unknown_route_is_404_in_the_same_shape(client: httpx.Client) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"errors": ["Not Found"]}


def test_concurrent_identical_requests_get_identical_answers(server: str) -> None:
    body = (EXAMPLES / "heparin-at-home.json").read_bytes()

    def post(_: int) -> str:
        with httpx.Client(base_url=server, timeout=60) as session:
            return session.post("/decide", content=body, headers={"content-type": "application/json"}).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = set(pool.map(post, range(24)))
    assert len(answers) == 1
