"""A batch's output lines: the record of each input line, as text with the digest its summary
counts, and the error records of lines that could not be decided."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reasoner.batch_report import record_digest
from reasoner.outputs import json_text


@dataclass(frozen=True)
class LineOutput:
    """One output line, and the digest of its record that the summary counts (batch_report)."""

    text: str
    digest: dict[str, Any]


Decide = Callable[[list[tuple[int, str]], bool, str | None], list[LineOutput]]  # decide_chunk's shape


def record_output(record: dict[str, Any], text: str) -> LineOutput:
    digest = record_digest(record)
    assert digest is not None, record
    return LineOutput(text, digest)


def error_record(case_id: str | None, number: int, kind: str, problems: list[str]) -> LineOutput:
    record = {"case_id": case_id, "line": number, "kind": kind, "error": "; ".join(problems)}
    return record_output(record, json_text(record))


def unexpected(error: Exception) -> str:
    """One line for an error no check foresaw (its kind and a short message, never a traceback)."""
    message = " ".join(str(error).split())[:200]
    return f"internal error ({type(error).__name__}){': ' + message if message else ''}"


def case_id_of(data: Any) -> str | None:
    """The case id of a refused line, when it is text (anything else is not echoed)."""
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return str(data["case_id"])
    return None
