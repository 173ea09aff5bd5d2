"""Turning what a person types into a field value of the case's type (or "don't know")."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from reasoner.decision import FieldQuestion

YES = frozenset({"y", "yes", "true", "t"})
NO = frozenset({"n", "no", "false", "f"})
DONT_KNOW = frozenset({"", "?", "d", "dk", "don't know", "dont know", "skip", "unknown"})
NO_CODES = frozenset({"none", "-"})
CODE_SEPARATORS = re.compile(r"[\s,;]+")


class DontKnow(Exception):
    """The person does not know the answer: the field is left as it is and not asked again."""


def boolean_meaning(item: FieldQuestion) -> bool:
    """The field value that "yes" stands for.

    A field's own question ("Does the current pump still function?") asks about the field; a
    condition's question ("Is the current pump malfunctioning?") asks about the condition, whose
    establishing value may be false.
    """
    if item.prompt == item.answer.prompt or not item.answer.establishes:
        return True
    return bool(item.answer.establishes[0])


def parse_typed(item: FieldQuestion, typed: str) -> Any:
    """The value for the field, DontKnow, or ValueError with a message for the person."""
    text = typed.strip()
    if text.lower() in DONT_KNOW:
        raise DontKnow
    kind = item.answer.type
    if kind == "boolean":
        return _boolean(item, text)
    if kind == "enum":
        return _choice(item.answer.values, text)
    if kind == "number":
        return _number(text)
    if kind == "date":
        return _date(text)
    if kind == "codes":
        return [] if text.lower() in NO_CODES else [code for code in CODE_SEPARATORS.split(text) if code]
    return text


def _boolean(item: FieldQuestion, text: str) -> bool:
    yes = boolean_meaning(item)
    if text.lower() in YES:
        return yes
    if text.lower() in NO:
        return not yes
    raise ValueError("answer yes or no (or ? for don't know)")


def _choice(values: tuple[str, ...], text: str) -> str:
    if text.isdigit() and 1 <= int(text) <= len(values):
        return values[int(text) - 1]
    if text in values:
        return text
    raise ValueError(f"choose one of: {', '.join(values)} (or its number)")


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("answer with a number, such as 7.5") from None
    if not value.is_finite():
        raise ValueError("answer with a number, such as 7.5")
    return Decimal(format(value, "f"))  # 1e1 is written 10


def _date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("answer with a date as YYYY-MM-DD") from None
    return text
