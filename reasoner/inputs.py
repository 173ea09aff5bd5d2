"""Reading cases from files or standard input, with errors that name the file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO

from reasoner.errors import InputFileError

STDIN = "-"

# The largest case: one case file (`check`, `ask`) or one line of a batch, in bytes (the line end not
# counted). Input is read in bounded pieces, so `check /dev/zero` is refused at once, never loaded.
MAX_CASE_BYTES = 1 << 20
MAX_CASE_TEXT = "1 MiB"
# The rest of a batch line longer than MAX_CASE_BYTES is skipped to its end, reading at most this
# much more: a line with no end in sight (`batch /dev/zero`) stops the run instead of reading forever.
MAX_LINE_SKIP = 64 << 20
SKIP_BLOCK = 1 << 16


def read_text(name: str) -> str:
    """The whole text of a file, or of standard input for "-": at most MAX_CASE_BYTES."""
    if name == STDIN:
        if sys.stdin is None:
            raise InputFileError("standard input: is closed")
        # bytes decoded here, whatever the locale says standard input holds
        return _bounded_text(sys.stdin.buffer, "standard input")
    try:
        with open(name, "rb") as stream:
            return _bounded_text(stream, name)
    except OSError as error:
        raise _unreadable(name, error) from None


def _bounded_text(stream: BinaryIO, shown: str) -> str:
    """Read at most one byte past the limit: a larger input (or an endless one) is refused, not loaded."""
    data = stream.read(MAX_CASE_BYTES + 1)
    if len(data) > MAX_CASE_BYTES:
        limit = f"{MAX_CASE_TEXT} ({MAX_CASE_BYTES:,} bytes)"
        raise InputFileError(f"{shown}: is larger than {limit}, the limit for a case")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{shown}: is not UTF-8 text") from None


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
TOO_LONG = "\ufffdtoo long"  # a line longer than MAX_CASE_BYTES; batch turns it into an error record


def numbered_lines(stream: BinaryIO, name: str = "standard input") -> Iterator[tuple[int, str]]:
    """(line number, text) for every line, read in bounded pieces; a line that is not UTF-8 comes
    as NOT_UTF8, one longer than MAX_CASE_BYTES as TOO_LONG (its rest skipped, never held).

    A line that does not end within MAX_LINE_SKIP more bytes raises InputFileError naming it,
    after its TOO_LONG: the lines before it are kept, the rest of the input is not read.
    """
    number = 0
    while raw := _read_line(stream, name, MAX_CASE_BYTES + 2):  # room for the line end, \r\n
        number += 1
        ended = raw.endswith(b"\n")
        body = raw.rstrip(b"\r\n") if ended else raw
        if len(body) > MAX_CASE_BYTES:
            yield number, TOO_LONG
            if not ended:
                _skip_rest(stream, name, number)
            continue
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = NOT_UTF8
        yield number, text.rstrip("\r")


def _read_line(stream: BinaryIO, name: str, limit: int) -> bytes:
    try:
        return stream.readline(limit)
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None


def _skip_rest(stream: BinaryIO, name: str, number: int) -> None:
    """Read past the rest of a line that is too long, in blocks, up to MAX_LINE_SKIP bytes."""
    skipped = 0
    while skipped <= MAX_LINE_SKIP:
        piece = _read_line(stream, name, SKIP_BLOCK)
        if not piece or piece.endswith(b"\n"):
            return
        skipped += len(piece)
    raise InputFileError(
        f"{name}: line {number} goes on past {(MAX_CASE_BYTES + MAX_LINE_SKIP) >> 20} MiB without ending; "
        "the rest of the input is not read"
    )
