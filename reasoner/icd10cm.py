"""The ICD-10-CM code set that diagnosis codes are checked against (docs/adr/0010-icd-10-cm-code-set.md).

The code set comes from the package simple-icd-10-cm (MIT licence; the CDC's files), whose 1.5.0
release carries ICD-10-CM FY2026 as updated on April 1, 2026. A code is known when it is a
category (``E11``) or a subcategory at any depth (``E11.6``, ``E11.65``, ``T45.4X1A``) of that
release, billable or not, written with or without the dot; a chapter or a block is no code.
That one release judges every case, whatever its date of service.

Importing simple_icd_10_cm parses its 10 MB tabular XML (about 3 s), so this module does not
import it: it reads the list of all the codes that the package ships beside it (the "all codes"
file its README describes: one code a line, without the dot), found through the package's
installed files, and only when a case has a diagnosis to check. The first lookups of a process
search that text (a case has a handful of codes); later ones use a set built once (a batch has
many). ``tests/unit/test_diagnosis_codes.py`` checks that the list is the package's own
(``get_all_codes``).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from reasoner.errors import ReasonerError

PACKAGE = "simple-icd-10-cm"
PACKAGE_VERSION = "1.5.0"
RELEASE = "ICD-10-CM FY2026, April 1, 2026 update"
CODE_LIST = "simple_icd_10_cm/data/code-list-April-2026.txt"

# How a category or subcategory is written: a letter, a digit, a digit or letter, then at most 4
# more, with or without the dot after the third (the same shape as reasoner.case_checks.ICD10_PATTERN).
WRITTEN_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
# Lookups answered by searching the text, before the set is built.
SEARCHED_LOOKUPS = 64

_searched = 0


class CodeSetMissing(ReasonerError):
    """simple-icd-10-cm is not installed, or without the list this module reads: an installation
    fault, one line at the command line like any ReasonerError."""


def is_known(code: str) -> bool:
    """Whether ``code`` (upper case, with or without the dot) is a category or subcategory of RELEASE."""
    global _searched
    if not WRITTEN_CODE.fullmatch(code):
        return False
    key = code.replace(".", "")
    if _searched < SEARCHED_LOOKUPS:
        _searched += 1
        lines = _code_lines()
        if lines is not None:
            return f"\n{key}\n" in lines
    return key in _code_set()


@functools.cache
def _code_list() -> str:
    installed = _installed_code_list()
    if installed is not None:
        try:
            return installed.read_text(encoding="utf-8")
        except OSError:
            pass  # said by the installed distribution's own files, below
    return _code_list_of_distribution()


def _installed_code_list() -> Path | None:
    """Where the list lies beside the importable package (found without importing it, and without
    importlib.metadata, which costs `reasoner check` about 20 ms to load); None when not found."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(PACKAGE.replace("-", "_"))
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
        return None
    return Path(spec.origin).parent.parent / CODE_LIST


def _code_list_of_distribution() -> str:
    from importlib import metadata

    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise CodeSetMissing(f"{PACKAGE} {PACKAGE_VERSION} is not installed: it holds the ICD-10-CM code set") from None
    path = Path(str(distribution.locate_file(CODE_LIST)))
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise CodeSetMissing(
            f"{PACKAGE} {distribution.version} ships no {CODE_LIST}: the ICD-10-CM code set is read from "
            f"{PACKAGE} {PACKAGE_VERSION} ({RELEASE})"
        ) from None


@functools.cache
def _code_lines() -> str | None:
    """The list as "\\nCODE\\n...\\nCODE\\n" (any newline is read as \\n), or None when a line holds
    more than its code without the dot (the format allows text after it, and the dot): then only
    the set answers."""
    text = _code_list()
    if any(mark in text for mark in (" ", "\t", ".")):
        return None
    return f"\n{text.strip()}\n"


@functools.cache
def _code_set() -> CodeTable:
    """Every item of the list, without the dot (its chapters and blocks too, which no written code
    matches)."""
    lines = _code_lines()
    if lines is not None:
        return CodeTable(lines.split())
    return CodeTable(line.split(maxsplit=1)[0].replace(".", "") for line in _code_list().splitlines() if line.strip())


class CodeTable:
    """Codes as one sorted bytes object of fixed-width records, searched by bisection.

    About 0.7 MB for the release's 98,000 codes, where a set of them takes about 10 MB in every
    process that decides (each batch worker); a lookup is some 17 comparisons.
    """

    def __init__(self, codes: Iterable[str]) -> None:
        # Without repeats (in the order given), then sorted as padded records: the list comes
        # nearly in order, which sorts in a few ms where a set's order took ten times as long (a
        # one-time cost of a process's 65th lookup).
        encoded = list(dict.fromkeys(code.encode() for code in codes))
        self.width = max(map(len, encoded), default=1)
        # Padded with spaces, which no code holds; sorting the padded records (not the codes) keeps
        # bisection right even beside a byte that sorts before the space.
        self.records = b"".join(sorted(code.ljust(self.width) for code in encoded))
        self.count = len(encoded)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> bytes:
        start = index * self.width
        return self.records[start:start + self.width]

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        key = code.encode()
        if len(key) > self.width or b" " in key:
            return False
        key = key.ljust(self.width)
        index = bisect.bisect_left(self, key)
        return index < self.count and self[index] == key

    def __iter__(self) -> Iterator[str]:
        return (self[index].rstrip(b" ").decode() for index in range(self.count))
