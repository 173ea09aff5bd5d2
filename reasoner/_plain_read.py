"""Readers for the plain reading of a case (reasoner/case_plain.py): small functions that turn a
decoded JSON value into the value the case model would hold, or give up.

They vouch only for what they are sure of: a value of exactly the type the model asks for, within
its bounds, that its checks (reasoner/case_checks.py) accept. Anything else, a wrong type, a value
out of bounds, a check's ValueError, an unknown field, raises Defer, and the case goes to the
pydantic model, which decides and words the error. So the plain reading never refuses a case
nor accepts one that the model would refuse (tests/property/test_case_plain.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

Read = Callable[[Any], Any]
Check = Callable[..., Any]


class Defer(Exception):
    """This value is not one the plain reading vouches for: the case model decides."""


class _Absent:
    pass


ABSENT: Any = _Absent()


def strict_int(ge: int | None = None, le: int | None = None) -> Read:
    def read(value: Any) -> int:
        if type(value) is not int or (ge is not None and value < ge) or (le is not None and value > le):
            raise Defer
        return value

    return read


def strict_bool() -> Read:
    def read(value: Any) -> bool:
        if type(value) is not bool:
            raise Defer
        return value

    return read


def strict_str(max_length: int | None = None) -> Read:
    def read(value: Any) -> str:
        if type(value) is not str or (max_length is not None and len(value) > max_length):
            raise Defer
        if not value.isascii():
            try:
                value.encode("utf-8")  # a lone surrogate ("\ud800" in JSON) is no text to the model
            except UnicodeEncodeError:
                raise Defer from None
        return value

    return read


def exactly(kind: type) -> Read:
    """A value that a check has already made, of exactly this type."""

    def read(value: Any) -> Any:
        if type(value) is not kind:
            raise Defer
        return value

    return read


def enum(kind: type[Enum]) -> Read:
    members = kind._value2member_map_

    def read(value: Any) -> Enum:
        if type(value) is not str or value not in members:
            raise Defer
        return members[value]

    return read


def checked(check: Check, then: Read) -> Read:
    """A value passed through one of the model's checks first (a BeforeValidator)."""

    def read(value: Any) -> Any:
        return then(run_check(check, value))

    return read


def optional(then: Read) -> Read:
    def read(value: Any) -> Any:
        return None if value is None else then(value)

    return read


def list_of(item: Read, max_length: int | None = None) -> Read:
    def read(value: Any) -> list[Any]:
        if type(value) is not list or (max_length is not None and len(value) > max_length):
            raise Defer
        return [item(each) for each in value]

    return read


def dict_of(key: Read, item: Read) -> Read:
    def read(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise Defer
        return {key(name): item(each) for name, each in value.items()}

    return read


def run_check(check: Check, *arguments: Any) -> Any:
    try:
        return check(*arguments)
    except ValueError:
        raise Defer from None


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a model: how its value is read, its default, and the model's checks on it."""

    read: Read
    default: Any = ABSENT
    default_factory: Callable[[], Any] | None = None
    before: tuple[Check, ...] = ()
    after: tuple[tuple[Check, bool], ...] = ()  # (check, whether it reads the fields before)


@dataclasses.dataclass(frozen=True)
class _Validated:
    """The fields validated so far, as a check across fields reads them (pydantic's info.data)."""

    data: dict[str, Any]


def record(kind: type, fields: Mapping[str, Field], checks: tuple[Check, ...] = ()) -> Read:
    """A model: a JSON object with no other keys than its fields, read field by field in order."""

    def read(value: Any) -> Any:
        if type(value) is not dict or not value.keys() <= fields.keys():
            raise Defer
        values: dict[str, Any] = {}
        for name, field in fields.items():
            values[name] = _field_value(field, value.get(name, ABSENT), values)
        made = kind(**values)
        for check in checks:
            made = run_check(check, made)
        return made

    return read


def _field_value(field: Field, given: Any, before: dict[str, Any]) -> Any:
    if given is ABSENT:
        if field.default_factory is not None:
            return field.default_factory()
        if field.default is ABSENT:
            raise Defer  # a required field is missing
        return field.default
    for check in field.before:
        given = run_check(check, given)
    value = field.read(given)
    for check, reads_fields in field.after:
        value = run_check(check, value, _Validated(dict(before))) if reads_fields else run_check(check, value)
    return value


def python_value(value: Any) -> Any:
    """A plain record as data the model reads back into the same case: its fields without the None
    ones, enumerations as their text, decimals and dates as they are."""
    return _dumped(value, lambda leaf: leaf)


def json_value(value: Any) -> Any:
    """A plain record as the case model dumps itself in JSON mode without its None fields
    (``model_dump(mode="json", exclude_none=True)``): decimals and dates as text too."""
    return _dumped(value, _json_leaf)


def _json_leaf(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date) else value


def _dumped(value: Any, leaf: Callable[[Any], Any]) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _dumped(getattr(value, field.name), leaf)
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not None
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_dumped(each, leaf) for each in value]
    if isinstance(value, dict):
        return {_dumped(name, leaf): _dumped(each, leaf) for name, each in value.items()}
    return leaf(value)
