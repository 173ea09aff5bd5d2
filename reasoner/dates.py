"""Dates as the input contract writes them (ISO, YYYY-MM-DD), without the case model: the batch's
parent process checks --as-of with this alone, and never loads pydantic (reasoner/case.py uses
the same functions for the case's dates)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from reasoner.errors import InvalidCase

ISO_DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_as_of(as_of: date | str | None) -> date | None:
    """The date whose version of the policy should decide (``--as-of``), or InvalidCase naming it."""
    if as_of is None or isinstance(as_of, date):
        return as_of
    try:
        return iso_date(as_of)
    except ValueError as error:
        raise InvalidCase([f"as_of: {error}"]) from None


def iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DATE_PATTERN.match(value):
        raise ValueError("must be an ISO date such as 2020-06-15")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date") from None
