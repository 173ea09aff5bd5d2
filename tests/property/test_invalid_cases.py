"""Mutations of valid cases that break the contract are refused cleanly, never a crash.

Every refusal is an InvalidCase whose problems are single lines, each starting with a field path.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from case_strategies import cases
from hypothesis import given
from hypothesis import strategies as st

from reasoner import InvalidCase, decide

BAD_VALUES: list[Any] = [None, "", "yes", -1, 1.5, 10**12, [], {}, True, "2020-02-30", "E10.6.5", "'); #show."]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a leaf or container inside a case."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths(child, (*prefix, index)))
    return found


def replace(case: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(case)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def check_refusal_or_decision(case: dict[str, Any]) -> None:
    """A decision, or an InvalidCase with one-line problems; any other exception fails the test."""
    problems: list[str] = []
    try:
        decide(case)
    except InvalidCase as error:
        problems = error.problems() or ["(no problem named)"]
    for problem in problems:
        assert "\n" not in problem
        assert ": " in problem


@given(cases(), st.data())
def test_a_wrong_value_anywhere_is_refused_or_decided_never_a_crash(case: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(paths(case)))
    check_refusal_or_decision(replace(case, path, data.draw(st.sampled_from(BAD_VALUES))))


@given(cases(), st.data())
def test_an_unknown_field_is_refused_naming_it(case: dict[str, Any], data: st.DataObject) -> None:
    containers = [p for p in paths(case) if isinstance(_at(case, p), dict)] + [()]
    path = data.draw(st.sampled_from(containers))
    name = data.draw(st.text(min_size=1, max_size=12))
    target = _at(case, path)
    if name in target or (path == ("findings",)):
        return
    changed = copy.deepcopy(case)
    _at(changed, path)[name] = 1
    with pytest.raises(InvalidCase) as refused:
        decide(changed)
    problems = refused.value.problems()
    assert any(problem.startswith(_dotted(path)) for problem in problems), problems


@given(cases())
def test_a_duplicate_line_number_is_refused(case: dict[str, Any]) -> None:
    lines = case.get("claim_lines", [])
    if not lines:
        return
    changed = copy.deepcopy(case)
    changed["claim_lines"].append({**lines[0]})
    with pytest.raises(InvalidCase) as refused:
        decide(changed)
    assert any(problem.startswith("claim_lines") for problem in refused.value.problems())


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_a_case_that_is_not_an_object_is_refused(value: Any) -> None:
    with pytest.raises(InvalidCase) as refused:
        decide(value)
    assert refused.value.problems() == ["case: must be a JSON object"]


def _at(case: dict[str, Any], path: tuple[Any, ...]) -> Any:
    target: Any = case
    for step in path:
        target = target[step]
    return target


def _dotted(path: tuple[Any, ...]) -> str:
    """The field path as the reasoner writes it: a.b[0].c."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text
