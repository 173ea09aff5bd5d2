"""Writing a case file: whole or not at all, exact numbers kept."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from reasoner.errors import InputFileError

# C1 controls and the characters that reorder text (bidi embeddings, overrides, isolates and
# marks): legal in JSON strings, but a terminal or an editor obeys them. Written escaped.
UNSAFE_IN_TEXT = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


MAX_MESSAGE = 500  # characters of one problem line: a 10 MB code is not echoed whole


def printable(text: str) -> str:
    """User text for a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def message_line(problem: str) -> str:
    """One problem for standard error: printable, and cut to MAX_MESSAGE characters."""
    shown = printable(problem)
    if len(shown) <= MAX_MESSAGE:
        return shown
    return f"{shown[:MAX_MESSAGE]}… ({len(shown) - MAX_MESSAGE} more characters)"


def json_text(data: Any, *, indent: int | None = None, ascii_only: bool = False) -> str:
    """JSON for output: UTF-8 text as is, but control and bidi characters escaped (\\u202e);
    ``ascii_only`` escapes every non-ASCII character (the same JSON, for a plain console)."""
    text = json.dumps(data, indent=indent, ensure_ascii=ascii_only, allow_nan=False)
    return UNSAFE_IN_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def case_json_text(case: dict[str, Any]) -> str:
    """The case as JSON text; decimals written exactly as read (7.99999999999999999 stays so)."""
    import uuid  # here: `reasoner check` never writes a case

    marker = f"decimal-{uuid.uuid4().hex}:"
    decimals: list[str] = []

    def encode(value: Any) -> str:
        if isinstance(value, Decimal):
            decimals.append(str(value))
            return f"{marker}{len(decimals) - 1}"
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = json.dumps(case, indent=2, ensure_ascii=False, default=encode)
    text = UNSAFE_IN_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    for index, number in enumerate(decimals):
        text = text.replace(json.dumps(f"{marker}{index}"), number, 1)
    return text + "\n"


def same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two names lead to one file (through links too); a file not there yet is not the same."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return Path(first).resolve() == Path(second).resolve()


def check_writable(path: Path) -> None:
    """Refuse a target that cannot be written: a missing or read-only folder, or a folder itself."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    if is_device(target):  # written in place (write_atomically): its own permission counts
        if not os.access(target, os.W_OK):
            raise InputFileError(f"{path}: cannot be written (permission denied)")
        return
    if not target.parent.is_dir():
        raise InputFileError(f"{path}: cannot be written (no such folder)")
    if not os.access(target.parent, os.W_OK):
        raise InputFileError(f"{path}: cannot be written (permission denied)")


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: an interruption leaves no partial file.

    A link is followed (the file it leads to is replaced), and an existing file keeps its mode;
    a new file gets the usual mode for the user's umask. A target that is not a regular file
    (/dev/null, a named pipe) is written in place: renaming over it would replace the device.
    """
    path = Path(os.path.realpath(path))
    if is_device(path):
        _write_in_place(path, text)
        return
    import tempfile  # here: `reasoner check` never writes a file

    folder = path.parent
    mode = _mode_for(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputFileError(f"{path}: cannot be written ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputFileError(f"{path}: cannot be written ({error.strerror})") from None
        raise


def is_device(path: Path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (a device, a pipe)."""
    return path.exists() and not path.is_file() and not path.is_dir()


def _write_in_place(path: Path, text: str) -> None:
    try:
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise InputFileError(f"{path}: cannot be written ({error.strerror})") from None


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
