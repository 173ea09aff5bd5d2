"""Reading cases from files or standard input, with errors that name the file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from reasoner.errors import InputFileError

STDIN = "-"


def read_text(name: str) -> str:
    """The whole text of a file, or of standard input for "-"."""
    if name == STDIN:
        if sys.stdin is None:
            raise InputFileError("standard input: is closed")
        try:  # bytes decoded here, whatever the locale says standard input holds
            return sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InputFileError("standard input: is not UTF-8 text") from None
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: is not UTF-8 text") from None
    except OSError as error:
        raise _unreadable(name, error) from None


def _unreadable(name: str, error: OSError) -> InputFileError:
    """One message per way a file cannot be opened, naming the file."""
    if isinstance(error, FileNotFoundError):
        return InputFileError(f"{name}: no such file")
    if isinstance(error, IsADirectoryError):
        return InputFileError(f"{name}: is a folder, not a file")
    if isinstance(error, PermissionError):
        return InputFileError(f"{name}: permission denied")
    return InputFileError(f"{name}: cannot be read ({error.strerror})")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(text: str) -> Any:
    """Standard JSON, with exact decimals (7.9999999999999999 stays below 8) and no NaN or Infinity.

    Raises ValueError (JSONDecodeError is one) or RecursionError for text that is not such JSON.
    """
    return json.loads(text, parse_float=_exact_number, parse_constant=_no_constant)


def _exact_number(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; one past what a decimal can hold
    (1e9999999999999999999) is refused as not a usable number, never an arithmetic crash."""
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{text[:40]} is a number too large or too small to use") from None


def json_problem(error: ValueError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "JSON nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    return f"not valid JSON ({' '.join(str(error).split())})"


def parse_json(text: str, where: str) -> Any:
    try:
        return decode_json(text)
    except (ValueError, RecursionError) as error:
        raise InputFileError(f"{where}: {json_problem(error)}") from None


def read_case_json(name: str) -> Any:
    return parse_json(read_text(name), "standard input" if name == STDIN else name)


def open_lines(name: str) -> BinaryIO:
    """A byte stream of the JSON Lines input (not loaded whole: batch streams it)."""
    if name == STDIN:
        if sys.stdin is None:
            raise InputFileError("standard input: is closed")
        return sys.stdin.buffer
    try:
        return open(name, "rb")
    except OSError as error:
        raise _unreadable(name, error) from None


NOT_UTF8 = "\ufffdnot UTF-8"  # a line that cannot be decoded; batch turns it into an error record


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line; a line that is not UTF-8 comes as NOT_UTF8."""
    for number, raw in enumerate(stream, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = NOT_UTF8
        yield number, text.rstrip("\r\n")
