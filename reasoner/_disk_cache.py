"""A small on-disk cache of what the rules give before any case: never stale, never required.

An entry is a JSON file named by a key: a hash of every ``.lp`` file of the rules folder (path and
bytes), of the code that computes the entry and of clingo's version. Any change to any of these
gives another key, so an entry is never read for other rules than those it was made from. The
cache only saves start-up time: an entry that cannot be read or written is computed again and the
process goes on; no error of the cache reaches the user.

The folder is ``$REASONER_CACHE_DIR``, else ``$XDG_CACHE_HOME/reasoner``, else
``~/.cache/reasoner``; ``REASONER_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import clingo

CACHE_DIR_VARIABLE = "REASONER_CACHE_DIR"
CACHE_OFF = "off"
T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off."""
    chosen = os.environ.get(CACHE_DIR_VARIABLE, "")
    if chosen == CACHE_OFF:
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "") or str(Path.home() / ".cache")
    return Path(base) / "reasoner"


def rules_digest(folder: Path) -> str:
    """A hash of every .lp file under the rules folder, path and bytes: read once per process, as
    every other cache of the rules' data in a process is (reasoner/_solve.py's ``asp_dir``). An
    entry keyed with it is written only while the folder still has it (``write_text``)."""
    if folder not in _DIGESTS:
        _DIGESTS[folder] = _digest_now(folder)
    return _DIGESTS[folder]


_DIGESTS: dict[Path, str] = {}  # each rules folder's digest when this process first read it
_KEY_FOLDERS: dict[str, Path] = {}  # the rules folder each key was made for


def _digest_now(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.lp")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _rules_unchanged(key: str) -> bool:
    """Whether the rules the key was made for still have the digest in the key: what a process
    computed after its rules were edited is not stored under the earlier rules' key, where every
    later process would read it for those rules (read only when an entry is written: rarely)."""
    folder = _KEY_FOLDERS.get(key)
    try:
        return folder is None or _digest_now(folder) == _DIGESTS.get(folder)
    except OSError:
        return False


def source_digest(*paths: Path) -> str:
    """A hash of the source files of the code that computes an entry (a part of its key)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def entry_key(folder: Path, kind: str, parts: Iterable[str]) -> str:
    """The key of an entry: its kind, the rules' digest, clingo's version and ``parts`` (the
    entries it is for, the source of the code that computes it, ...)."""
    digest = hashlib.sha256()
    for part in (kind, rules_digest(folder), clingo.__version__, *parts):
        digest.update(part.encode())
        digest.update(b"\0")
    key = f"{kind}-{digest.hexdigest()[:32]}"
    _KEY_FOLDERS[key] = folder
    return key


def read_entry(key: str) -> Any | None:
    """The entry's JSON value, or None when the cache is off or has no readable entry."""
    text = read_text(key, ".json")
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None


def write_entry(key: str, value: Any) -> None:
    """Store the entry as JSON (written whole, then renamed: a reader never sees half of it)."""
    write_text(key, json.dumps(value), ".json")


def text_path(key: str, suffix: str) -> Path | None:
    """Where the cache keeps the file of ``key`` with this suffix (None: the cache is off)."""
    folder = cache_dir()
    return None if folder is None else folder / f"{key}{suffix}"


def read_text(key: str, suffix: str) -> str | None:
    """The text of the file of ``key`` with this suffix, or None when there is none to read."""
    path = text_path(key, suffix)
    try:
        return None if path is None else path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def write_text(key: str, text: str, suffix: str) -> Path | None:
    """Store ``text`` as the file of ``key`` with this suffix (written whole, then renamed);
    where it is, or None when it could not be written."""
    import tempfile  # here: a process that finds its entries never loads it

    path = text_path(key, suffix)
    if path is None or not _rules_unchanged(key):
        return None
    written: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                         delete=False) as out:
            written = Path(out.name)
            out.write(text)
        os.replace(written, path)
        return path
    except OSError:
        if written is not None:
            with contextlib.suppress(OSError):
                written.unlink(missing_ok=True)
        return None


def cached(key: str, compute: Callable[[], T], load: Callable[[Any], T | None],
           dump: Callable[[T], Any] = lambda value: value) -> T:
    """The entry under ``key`` as ``load`` reads it back, else ``compute()``, stored with ``dump``.
    ``load`` returns None (or raises a lookup, type or value error) for an entry it cannot trust:
    a damaged entry is computed again and replaced."""
    stored = read_entry(key)
    if stored is not None:
        with contextlib.suppress(AttributeError, KeyError, TypeError, ValueError):
            loaded = load(stored)
            if loaded is not None:
                return loaded
    value = compute()
    write_entry(key, dump(value))
    return value
