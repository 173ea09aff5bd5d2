"""reasoner/case_plain.py is generated from the case model by tools/generate_case_plain.py: it must be
what the script writes from the model now (else `reasoner check` would read cases by an old model),
and the script must stop at anything in a model it does not know how to read plainly, rather than
write a reading that lacks a rule of the model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from tool_module import load_tool

from reasoner import case_checks

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


@pytest.mark.parametrize("make", [_lax_int, _own_check, _wrap_validator, _before_model_validator, _multiple_of,
                                  _extra_allowed])
def test_a_model_with_what_the_plain_reading_cannot_follow_stops_the_script(
    make: Callable[[], type[BaseModel]],
) -> None:
    with pytest.raises(TOOL_MODULE.Unsupported):
        TOOL_MODULE.source(make())


def test_a_model_the_plain_reading_can_follow_is_written() -> None:
    class Counted(_Strict):
        count: Annotated[StrictInt, Field(ge=1)] = 1
        _positive = field_validator("count")(case_checks.unique_line_numbers)

    text = TOOL_MODULE.source(Counted)
    assert "class PlainCounted:" in text
    assert '"count": Field(strict_int(ge=1), default=1, after=((case_checks.unique_line_numbers, False),)),' in text
