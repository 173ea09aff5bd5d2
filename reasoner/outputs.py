"""Writing a case file: whole or not at all, exact numbers kept."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from reasoner.errors import InputFileError


def case_json_text(case: dict[str, Any]) -> str:
    """The case as JSON text; decimals written exactly as read (7.99999999999999999 stays so)."""
    marker = f"decimal-{uuid.uuid4().hex}:"
    decimals: list[str] = []

    def encode(value: Any) -> str:
        if isinstance(value, Decimal):
            decimals.append(str(value))
            return f"{marker}{len(decimals) - 1}"
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = json.dumps(case, indent=2, ensure_ascii=False, default=encode)
    for index, number in enumerate(decimals):
        text = text.replace(json.dumps(f"{marker}{index}"), number, 1)
    return text + "\n"


def same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two names lead to one file (through links too); a file not there yet is not the same."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return Path(first).resolve() == Path(second).resolve()


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: an interruption leaves no partial file."""
    folder = path.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputFileError(f"{path}: cannot be written ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputFileError(f"{path}: cannot be written ({error.strerror})") from None
        raise
