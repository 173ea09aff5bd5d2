"""Programs kept in the disk cache, as files clingo reads: pure data, no clingo.

Two kinds (ADR 0013): a program's slice as a rule file (a statement a line), and the explanation
program grounded once, in clingo's ground format (aspif, reasoner/_aspif.py). Each file has an
entry beside it (reasoner/_disk_cache.py: JSON under the same key) with the file's SHA-256 and what
a process needs to use it: where each line of a rule file came from, or the ground program's
external atoms by name. A file whose digest or entry does not match is not used (it is computed
again and replaced). reasoner/_solve.py writes the files' text from clingo's statements or ground
program and alone has clingo read them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from reasoner._disk_cache import read_entry, read_text, text_path, write_entry, write_text

RULES = ".lp"
GROUND = ".aspif"

# An external atom by its name and the text of each argument (reasoner/_solve.py's ExternalName),
# with its literal in the ground program.
NamedLiteral = tuple[tuple[str, ...], int]


def _digest(text: str, details: dict[str, Any]) -> str:
    """The SHA-256 of the file's text and of the entry's details: either damaged, no match."""
    return hashlib.sha256(f"{text}\0{json.dumps(details, sort_keys=True)}".encode()).hexdigest()


def store(key: str, suffix: str, text: str, details: dict[str, Any]) -> None:
    """The file, then its entry (a reader finds the entry only once the file is whole)."""
    if write_text(key, text, suffix) is not None:
        write_entry(key, {**details, "sha256": _digest(text, details)})


def _stored(key: str, suffix: str) -> tuple[Path, str, dict[str, Any]] | None:
    entry = read_entry(key)
    path = text_path(key, suffix)
    if not isinstance(entry, dict) or path is None:
        return None
    details = {name: value for name, value in entry.items() if name != "sha256"}
    text = read_text(key, suffix)
    if text is None or _digest(text, details) != entry.get("sha256"):
        return None
    return path, text, details


# --- A program's slice, as a rule file -----------------------------------------------------------

def rules_text(lines: list[str]) -> str | None:
    """A statement a line; None if a statement's text is not one line (clingo prints each on one)."""
    return None if any("\n" in line for line in lines) else "".join(f"{line}\n" for line in lines)


def origin(filename: str, line: int, folder: Path) -> list[str | int]:
    """Where a statement came from: its rule file, relative to the rules folder, and line."""
    path = Path(filename)
    return [path.relative_to(folder).as_posix() if path.is_relative_to(folder) else filename, line]


def stored_rules(key: str, folder: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The stored rule file and, for each of its lines, ``FILE:LINE`` of the statement's origin."""
    found = _stored(key, RULES)
    if found is None:
        return None
    path, text, entry = found
    origins = entry.get("origins")
    if not isinstance(origins, list) or text.count("\n") != len(origins) \
            or not all(_is_origin(item) for item in origins):
        return None
    # A Path per rule file, not per line (a Path per line took a few ms of every `check`).
    files = {where: str(folder / where) for where in {where for where, _ in origins}}
    return path, tuple(f"{files[where]}:{line}" for where, line in origins)


def _is_origin(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and type(item[0]) is str and type(item[1]) is int


# --- A ground program, in aspif ------------------------------------------------------------------

def ground_details(externals: list[NamedLiteral], versions: list[str]) -> dict[str, Any]:
    return {"externals": [[list(name), literal] for name, literal in externals], "versions": versions}


def stored_ground(key: str) -> tuple[Path, list[NamedLiteral], list[str]] | None:
    """The stored ground program's file, its external atoms (name, literal) and policy versions."""
    found = _stored(key, GROUND)
    if found is None:
        return None
    path, _, entry = found
    externals, versions = entry.get("externals"), entry.get("versions")
    if not isinstance(externals, list) or not all(_is_named_literal(item) for item in externals) \
            or not isinstance(versions, list) or not all(type(v) is str for v in versions):
        return None
    return path, [(tuple(name), literal) for name, literal in externals], versions


def _is_named_literal(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and isinstance(item[0], list) and bool(item[0]) \
        and all(type(part) is str for part in item[0]) and type(item[1]) is int and item[1] > 0
