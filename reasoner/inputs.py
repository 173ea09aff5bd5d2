"""Reading cases from files or standard input, with errors that name the file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from reasoner.errors import InputFileError

STDIN = "-"


def read_text(name: str) -> str:
    """The whole text of a file, or of standard input for "-"."""
    if name == STDIN:
        return sys.stdin.read()
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{name}: is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{name}: is not UTF-8 text") from None
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{where}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise InputFileError(f"{where}: JSON nested too deeply") from None


def read_case_json(name: str) -> Any:
    return parse_json(read_text(name), "standard input" if name == STDIN else name)


def open_lines(name: str) -> TextIO:
    """A text stream of the JSON Lines input (not loaded whole: batch streams it)."""
    if name == STDIN:
        return sys.stdin
    try:
        return open(name, encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{name}: is a folder, not a file") from None
    except OSError as error:
        raise InputFileError(f"{name}: cannot be read ({error.strerror})") from None


def numbered_lines(stream: TextIO, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line; a line that is not UTF-8 is reported, not fatal."""
    number = 0
    while True:
        number += 1
        try:
            text = stream.readline()
        except UnicodeDecodeError:
            raise InputFileError(f"{name}: line {number} is not UTF-8 text") from None
        if not text:
            return
        yield number, text.rstrip("\r\n")
