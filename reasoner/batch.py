"""Batch decisions: JSON Lines in, one JSON line out per input line, in order.

Cases are decided in chunks (one grounding per chunk); with more than one job the
chunks go to worker processes and come back in input order. A bad line becomes an
error record and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, BinaryIO

from reasoner.batch_report import (
    EMPTY_LINE,
    INTERNAL_ERROR,
    INVALID_CASE,
    INVALID_JSON,
    NOT_UTF8,
    RULES_ERROR,
    record_digest,
)
from reasoner.errors import ReasonerError, RulesError
from reasoner.inputs import NOT_UTF8 as NOT_UTF8_TEXT
from reasoner.inputs import decode_json, json_problem
from reasoner.outputs import json_text

if TYPE_CHECKING:
    from reasoner.case import Case

CHUNK_LINES = 64
# clingo keeps every symbol it ever made for the life of the process, so a worker's memory
# grows with the distinct facts it has seen; a fresh worker after this many chunks keeps a
# long batch flat (a restart costs about half a second).
CHUNKS_PER_WORKER = 150
COUNT_BLOCK = 1 << 20


@dataclass(frozen=True)
class LineOutput:
    """One output line, and the digest of its record that the summary counts (batch_report)."""

    text: str
    digest: dict[str, Any]


def _output(record: dict[str, Any], text: str) -> LineOutput:
    digest = record_digest(record)
    assert digest is not None, record
    return LineOutput(text, digest)


def _error_record(case_id: str | None, number: int, kind: str, problems: list[str]) -> LineOutput:
    record = {"case_id": case_id, "line": number, "kind": kind, "error": "; ".join(problems)}
    return _output(record, json_text(record))


def _error_kind(error: ReasonerError) -> str:
    """A rules error is the policy's bug; any other refusal is about the case."""
    return RULES_ERROR if isinstance(error, RulesError) else INVALID_CASE


def _unexpected(error: Exception) -> str:
    """One line for an error no check foresaw (its kind and a short message, never a traceback)."""
    message = " ".join(str(error).split())[:200]
    return f"internal error ({type(error).__name__}){': ' + message if message else ''}"


def _case_id_of(data: Any) -> str | None:
    """The case id of a refused line, when it is text (anything else is not echoed)."""
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return str(data["case_id"])
    return None


@dataclass(frozen=True)
class Refused:
    """An input that is not even a JSON value: its error kind and problems."""

    kind: str
    problems: list[str]


def decide_chunk(
    chunk: list[tuple[int, str]], explanation: bool = True, as_of: str | None = None,
) -> list[LineOutput]:
    """Decide a chunk of numbered lines; the result has one output per line, in order.

    The solver and the case model load here, in the process that decides (a worker, with
    --jobs), not in the parent that only reads and writes lines.
    """
    items: list[tuple[int, Any]] = []
    for number, text in chunk:
        if text == NOT_UTF8_TEXT:
            items.append((number, Refused(NOT_UTF8, ["line is not UTF-8 text"])))
        elif not text.strip():
            items.append((number, Refused(EMPTY_LINE, ["empty line"])))
        else:
            try:
                items.append((number, decode_json(text)))
            except (ValueError, RecursionError) as error:
                items.append((number, Refused(INVALID_JSON, [json_problem(error)])))
    return decide_items(items, explanation, as_of)


def decide_items(
    items: list[tuple[int, Any]], explanation: bool = True, as_of: str | None = None,
) -> list[LineOutput]:
    """Decide numbered decoded JSON values (or Refused inputs): one output each, in order.

    The batch and the service's /decide/batch share it, so both give the same records.
    """
    from reasoner.case import parse_case

    outputs: list[LineOutput | None] = [None] * len(items)
    valid: list[tuple[int, Case]] = []
    for index, (number, data) in enumerate(items):
        if isinstance(data, Refused):
            outputs[index] = _error_record(None, number, data.kind, data.problems)
            continue
        try:
            valid.append((index, parse_case(data)))
        except ReasonerError as error:
            outputs[index] = _error_record(_case_id_of(data), number, _error_kind(error), error.problems())
        except Exception as error:  # one line's failure never ends the run
            outputs[index] = _error_record(_case_id_of(data), number, INTERNAL_ERROR, [_unexpected(error)])
    for index, output in _decide_valid(valid, [number for number, _ in items], explanation, as_of):
        outputs[index] = output
    return [output for output in outputs if output is not None]


def _decide_valid(
    valid: list[tuple[int, Case]], numbers: list[int], explanation: bool, as_of: str | None = None,
) -> Iterator[tuple[int, LineOutput]]:
    from reasoner.engine import decide_all

    try:
        decisions = decide_all([case for _, case in valid], explanation=explanation, as_of=as_of)
    except Exception:  # decided again one by one, so that only the bad line fails
        decisions = None
    for position, (index, case) in enumerate(valid):
        try:
            decision = (
                decisions[position] if decisions is not None
                else decide_all([case], explanation=explanation, as_of=as_of)[0]
            )
        except ReasonerError as error:
            yield index, _error_record(case.case_id, numbers[index], _error_kind(error), error.problems())
            continue
        except Exception as error:  # one line's failure never ends the run
            yield index, _error_record(case.case_id, numbers[index], INTERNAL_ERROR, [_unexpected(error)])
            continue
        record = decision.to_json()  # says "explained": whether it was decided with --explain
        yield index, _output(record, json_text(record))


def count_lines(stream: BinaryIO) -> int | None:
    """The number of lines a regular file holds (as numbered_lines counts them), read in binary
    blocks; the stream is left where it was. None for anything else (a pipe, a terminal)."""
    try:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        start = stream.tell()
    except (OSError, ValueError):
        return None
    count, last = 0, b"\n"
    while block := stream.read(COUNT_BLOCK):
        count += block.count(b"\n")
        last = block[-1:]
    stream.seek(start)
    return count + (last != b"\n")


def chunks(lines: Iterable[tuple[int, str]], size: int = CHUNK_LINES) -> Iterator[list[tuple[int, str]]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run_batch(
    lines: Iterable[tuple[int, str]], *, jobs: int = 1, explanation: bool = True, as_of: str | None = None,
) -> Iterator[LineOutput]:
    """Every output line, in input order."""
    if jobs <= 1:
        for chunk in chunks(lines):
            yield from decide_chunk(chunk, explanation, as_of)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, max_tasks_per_child=CHUNKS_PER_WORKER) as pool:
        pending = _bounded_map(pool, chunks(lines), explanation, as_of, window=jobs * 4)
        for outputs in pending:
            yield from outputs


def _bounded_map(
    pool: ProcessPoolExecutor, work: Iterator[list[tuple[int, str]]], explanation: bool, as_of: str | None,
    window: int,
) -> Iterator[list[LineOutput]]:
    """Like pool.map, in order, but never more than ``window`` chunks in flight (flat memory)."""
    in_flight = [pool.submit(decide_chunk, chunk, explanation, as_of) for chunk in islice(work, window)]
    while in_flight:
        head = in_flight.pop(0)
        next_chunk = next(work, None)
        if next_chunk is not None:
            in_flight.append(pool.submit(decide_chunk, next_chunk, explanation, as_of))
        yield head.result()
