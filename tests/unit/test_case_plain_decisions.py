"""`reasoner check` decides a valid case from its plain reading (reasoner/case_plain.py), every other
interface from the case model: the decision, its explanation, lines, warnings and closed routes
(which show the case's own values) must be the same, for every scenario and bundled example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reasoner import decide
from reasoner.case import parse_case
from reasoner.case_types import read_plain_case
from reasoner.inputs import read_case_json

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
EXAMPLES = sorted(path for path in (ROOT / "examples").glob("*.json") if path.name != "expected.json")


def scenario_case(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["case"]


@pytest.mark.parametrize("path", SCENARIOS + EXAMPLES, ids=[p.stem for p in SCENARIOS + EXAMPLES])
def test_the_plain_reading_gives_the_decision_of_the_model(path: Path) -> None:
    data = scenario_case(path) if path.suffix == ".yaml" else read_case_json(str(path))
    plain = read_plain_case(data)
    assert plain is not None, f"{path.name}: a valid case left to the model"
    assert decide(plain).to_json() == decide(parse_case(data)).to_json()
    assert decide(plain, explanation=False).to_json() == decide(parse_case(data), explanation=False).to_json()
