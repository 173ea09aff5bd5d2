"""How a question is answered: the case field that settles a condition, and its type.

Which field settles which condition is data in the rules (``answer/3``, ``establishes/2``,
``answer_unit/2``, ``answer_example/2`` in asp/catalogue.lp, read by the catalogue). This
module adds only what the input model already knows: the values an enum field accepts, and
the codes that fit the requested device kind. It also sets a field on a case given as a dict,
for the interview and for the tests that answer questions.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from reasoner.vocabulary import KIND_CODES

ANSWER_TYPES = ("boolean", "number", "date", "enum", "codes", "string")
DEVICE_CODE_FIELD = "device.hcpcs"


@dataclass(frozen=True)
class AnswerSpec:
    """What the rules say about answering one condition (case-independent)."""

    field: str
    type: str
    establishes: tuple[Any, ...] = ()
    unit: str | None = None
    examples: tuple[str, ...] = ()
    prompt: str | None = None  # the field's own question, when it settles several conditions


@dataclass(frozen=True)
class Answer:
    """How to answer a question about one condition in one case."""

    field: str
    type: str
    values: tuple[str, ...] = ()
    establishes: tuple[Any, ...] = ()
    unit: str | None = None
    examples: tuple[str, ...] = ()
    prompt: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "type": self.type}
        if self.type == "enum":
            data["values"] = list(self.values)
        if self.establishes:
            data["establishes"] = list(self.establishes)
        if self.unit is not None:
            data["unit"] = self.unit
        if self.examples:
            data["examples"] = list(self.examples)
        return data


def answer_for(spec: AnswerSpec, device_kind: str | None) -> Answer:
    """The answer of one condition for a case whose device has this kind."""
    values: tuple[str, ...] = ()
    establishes = spec.establishes
    if spec.type == "enum":
        values = field_values(spec.field, device_kind)
        establishes = tuple(value for value in establishes if value in values)
    return Answer(spec.field, spec.type, values, establishes, spec.unit, spec.examples, spec.prompt)


def field_values(field: str, device_kind: str | None = None) -> tuple[str, ...]:
    """The values an enum field of the case accepts (device codes: those of the device's kind)."""
    if field == DEVICE_CODE_FIELD:
        if device_kind is None:
            return tuple(sorted({code for codes in KIND_CODES.values() for code in codes}))
        return tuple(KIND_CODES.get(device_kind, ()))
    enum = _enum_of(field)
    return tuple(member.value for member in enum) if enum else ()


@cache
def _enum_of(field: str) -> type[StrEnum] | None:
    """The enumeration behind a dotted field of the case model, or None (read from the model's
    plain dataclasses, reasoner/case_plain.py, which have its fields and types)."""
    from reasoner.case_plain import PlainCase

    model: type[Any] | None = PlainCase
    annotation: Any = None
    for name in field.split("."):
        if model is None:
            return None
        annotation = typing.get_type_hints(model).get(name)
        if annotation is None:
            return None
        model = _model_in(annotation)
    return _enum_in(annotation)


def _options(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return (annotation,)


def _model_in(annotation: Any) -> type[Any] | None:
    for option in _options(annotation):
        if isinstance(option, type) and dataclasses.is_dataclass(option):
            return option
    return None


def _enum_in(annotation: Any) -> type[StrEnum] | None:
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, StrEnum):
            return option
    return None


def set_field(case: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of the case (a decoded JSON object) with the dotted field set to value."""
    updated = dict(case)
    target = updated
    *parents, last = field.split(".")
    for name in parents:
        inner = target.get(name)
        target[name] = dict(inner) if isinstance(inner, dict) else {}
        target = target[name]
    target[last] = value
    return updated


def apply_answer(
    case: dict[str, Any], field: str, value: Any, *, answer_type: str, also: tuple[tuple[str, Any], ...] = (),
) -> dict[str, Any]:
    """A copy of the case with one question's answer set: the field, and the fields that answering
    it also sets (``answer_also/3``). Codes are added to those the case lists, never dropped."""
    if answer_type == "codes" and isinstance(value, list):
        given = get_field(case, field)
        known = list(given) if isinstance(given, list) else []
        value = known + [code for code in value if code not in known]
    updated = set_field(case, field, value)
    for other, other_value in also:
        updated = set_field(updated, other, other_value)
    return updated


def get_field(case: dict[str, Any], field: str) -> Any:
    """The value of a dotted field in a case given as a dict, or None when absent."""
    value: Any = case
    for name in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value
