"""reasoner/case_plain.py is generated from the case model by tools/generate_case_plain.py: it must be
what the script writes from the model now (else `reasoner check` would read cases by an old model),
and the script must stop at anything in a model it does not know how to read plainly, rather than
write a reading that lacks a rule of the model."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from tool_module import load_tool

from reasoner import case_checks
from reasoner._plain_read import Defer
from reasoner.case import IsoDate
from reasoner.vocabulary import DeviceKind, Drug

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "generate_case_plain.py"


TOOL_MODULE = load_tool("generate_case_plain.py", "generate_case_plain")


def test_the_plain_reading_is_what_the_case_model_gives_now() -> None:
    written = (ROOT / "reasoner" / "case_plain.py").read_text(encoding="utf-8")
    assert written == TOOL_MODULE.source(), "reasoner/case_plain.py is stale: run tools/generate_case_plain.py"


def test_the_check_option_of_the_script_agrees() -> None:
    completed = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _lax_int() -> type[BaseModel]:
    class Lax(_Strict):
        count: int  # pydantic would turn "5" into 5: the plain reading does not

    return Lax


def _own_check() -> type[BaseModel]:
    def positive(value: int) -> int:  # not in a pydantic-free module: the plain reading cannot call it
        if value <= 0:
            raise ValueError("must be positive")
        return value

    class Own(_Strict):
        count: StrictInt
        _positive = field_validator("count")(positive)

    return Own


def _wrap_validator() -> type[BaseModel]:
    class Wrapped(_Strict):
        count: StrictInt
        _wrapped = field_validator("count", mode="wrap")(case_checks.code_fits_kind)  # (value, handler)

    return Wrapped


def _before_model_validator() -> type[BaseModel]:
    class Before(_Strict):
        count: StrictInt
        _before = model_validator(mode="before")(case_checks.at_most_max_lines)

    return Before


def _multiple_of() -> type[BaseModel]:
    class Steps(_Strict):
        count: Annotated[StrictInt, Field(multiple_of=5)]

    return Steps


def _extra_allowed() -> type[BaseModel]:
    class Open(BaseModel):
        count: StrictInt | None = None

    return Open


def _strict_enumeration() -> type[BaseModel]:
    class StrictDrug(_Strict):
        drug: Annotated[Drug, Strict()]  # pydantic refuses the text "insulin" here: only the member

    return StrictDrug


def _every_field_validator() -> type[BaseModel]:
    class Every(_Strict):
        count: StrictInt
        _every = field_validator("*")(case_checks.at_most_max_lines)

    return Every


def _two_before_validators() -> type[BaseModel]:
    class TwoBefore(_Strict):
        count: StrictInt
        _first = field_validator("count", mode="before")(case_checks.at_most_max_lines)
        _second = field_validator("count", mode="before")(case_checks.hours)

    return TwoBefore


def _stripping_config() -> type[BaseModel]:
    class Stripping(BaseModel):
        model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
        name: StrictStr

    return Stripping


def _default_validated() -> type[BaseModel]:
    class DefaultValidated(_Strict):
        count: StrictInt = Field(default=1, validate_default=True)

    return DefaultValidated


def _excluded_field() -> type[BaseModel]:
    class Excluded(_Strict):
        count: StrictInt | None = Field(default=None, exclude=True)

    return Excluded


def _post_init() -> type[BaseModel]:
    class PostInit(_Strict):
        count: StrictInt

        def model_post_init(self, context: object) -> None:
            pass

    return PostInit


def _before_check_reading_fields() -> type[BaseModel]:
    class BeforeWithInfo(_Strict):
        kind: DeviceKind
        code: StrictStr
        _fits = field_validator("code", mode="before")(case_checks.code_fits_kind)  # (value, info)

    return BeforeWithInfo


def _holds_itself() -> type[BaseModel]:
    class Node(_Strict):
        child: Node | None = None

    return Node


@pytest.mark.parametrize("make", [_lax_int, _own_check, _wrap_validator, _before_model_validator, _multiple_of,
                                  _extra_allowed, _strict_enumeration, _every_field_validator,
                                  _two_before_validators, _stripping_config, _default_validated, _excluded_field,
                                  _post_init, _before_check_reading_fields, _holds_itself])
def test_a_model_with_what_the_plain_reading_cannot_follow_stops_the_script(
    make: Callable[[], type[BaseModel]],
) -> None:
    with pytest.raises(TOOL_MODULE.Unsupported):
        TOOL_MODULE.source(make())


class Line(_Strict):
    line: Annotated[StrictInt, Field(ge=1)]
    date: IsoDate | None = None


class Claim(_Strict):
    lines: list[Line] = Field(default_factory=list)
    _unique = field_validator("lines")(case_checks.unique_line_numbers)


def test_a_model_the_plain_reading_can_follow_is_written_and_reads_as_the_model() -> None:
    text = TOOL_MODULE.source(Claim)
    written = ('"lines": Field(list_of(read_line), default_factory=list, '
               'after=((case_checks.unique_line_numbers, False),)),')
    assert written in text
    module = ModuleType("plain_claim")
    sys.modules["plain_claim"] = module  # its dataclasses look their module up
    try:
        exec(compile(text, "plain_claim.py", "exec"), module.__dict__)  # the script's own output
    finally:
        del sys.modules["plain_claim"]
    read = module.read_claim
    assert read({"lines": [{"line": 2, "date": "2020-06-01"}]}) == module.PlainClaim(
        lines=[module.PlainLine(line=2, date=datetime.date(2020, 6, 1))])
    for refused in ({"lines": [{"line": 1}, {"line": 1}]}, {"lines": [{"line": 0}]}, {"lines": [{"line": 1, "x": 1}]},
                    {"lines": [{"line": 1, "date": "2020-02-30"}]}):
        with pytest.raises(ValidationError):
            Claim.model_validate(refused)
        with pytest.raises(Defer):
            read(refused)
