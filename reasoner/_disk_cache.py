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
    """A hash of every .lp file under the rules folder, path and bytes (read each time: well
    under a millisecond for the project's rules, and never stale)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.lp")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


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
    return f"{kind}-{digest.hexdigest()[:32]}"


def read_entry(key: str) -> Any | None:
    """The entry's JSON value, or None when the cache is off or has no readable entry."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_entry(key: str, value: Any) -> None:
    """Store the entry (written whole, then renamed: a reader never sees half of it)."""
    import tempfile  # here: a process that finds its entries never loads it

    folder = cache_dir()
    if folder is None:
        return
    written: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False) as out:
            written = Path(out.name)
            json.dump(value, out)
        os.replace(written, folder / f"{key}.json")
    except OSError:
        if written is not None:
            with contextlib.suppress(OSError):
                written.unlink(missing_ok=True)


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
