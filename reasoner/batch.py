"""Batch decisions: JSON Lines in, one JSON line out per input line, in order.

Cases are decided in chunks (one grounding per chunk); with more than one job the
chunks go to worker processes and come back in input order. A bad line becomes an
error record and the run goes on.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from reasoner.errors import ReasonerError
from reasoner.inputs import NOT_UTF8, decode_json, json_problem

if TYPE_CHECKING:
    from reasoner.case import Case

CHUNK_LINES = 64
# clingo keeps every symbol it ever made for the life of the process, so a worker's memory
# grows with the distinct facts it has seen; a fresh worker after this many chunks keeps a
# long batch flat (a restart costs about half a second).
CHUNKS_PER_WORKER = 150


@dataclass(frozen=True)
class LineOutput:
    """One output line, and what the summary needs to know about it."""

    text: str
    decision: str | None


@dataclass
class BatchSummary:
    decisions: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    def add(self, output: LineOutput) -> None:
        if output.decision is None:
            self.errors += 1
        else:
            self.decisions[output.decision] += 1

    @property
    def total(self) -> int:
        return self.errors + sum(self.decisions.values())


def _error_record(case_id: str | None, number: int, problems: list[str]) -> LineOutput:
    record = {"case_id": case_id, "line": number, "error": "; ".join(problems)}
    return LineOutput(json.dumps(record, ensure_ascii=False, allow_nan=False), None)


def _case_id_of(data: Any) -> str | None:
    """The case id of a refused line, when it is text (anything else is not echoed)."""
    if isinstance(data, dict) and isinstance(data.get("case_id"), str):
        return str(data["case_id"])
    return None


def decide_chunk(chunk: list[tuple[int, str]], explanation: bool = True) -> list[LineOutput]:
    """Decide a chunk of numbered lines; the result has one output per line, in order.

    The solver and the case model load here, in the process that decides (a worker, with
    --jobs), not in the parent that only reads and writes lines.
    """
    from reasoner.case import parse_case
    outputs: list[LineOutput | None] = [None] * len(chunk)
    valid: list[tuple[int, Case]] = []
    for index, (number, text) in enumerate(chunk):
        data: Any = None
        try:
            if text == NOT_UTF8:
                raise ReasonerError("line is not UTF-8 text")
            if not text.strip():
                raise ReasonerError("empty line")
            data = decode_json(text)
            valid.append((index, parse_case(data)))
        except ReasonerError as error:
            outputs[index] = _error_record(_case_id_of(data), number, error.problems())
        except (ValueError, RecursionError) as error:
            outputs[index] = _error_record(None, number, [json_problem(error)])
    for index, output in _decide_valid(valid, chunk, explanation):
        outputs[index] = output
    return [output for output in outputs if output is not None]


def _decide_valid(
    valid: list[tuple[int, Case]], chunk: list[tuple[int, str]], explanation: bool
) -> Iterator[tuple[int, LineOutput]]:
    from reasoner.engine import decide_all

    try:
        decisions = decide_all([case for _, case in valid], explanation=explanation)
    except ReasonerError:
        decisions = None
    for position, (index, case) in enumerate(valid):
        try:
            decision = (
                decisions[position] if decisions is not None
                else decide_all([case], explanation=explanation)[0]
            )
        except ReasonerError as error:
            yield index, _error_record(case.case_id, chunk[index][0], error.problems())
            continue
        text = json.dumps(decision.to_json(), ensure_ascii=False)
        yield index, LineOutput(text, decision.decision)


def chunks(lines: Iterable[tuple[int, str]], size: int = CHUNK_LINES) -> Iterator[list[tuple[int, str]]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run_batch(
    lines: Iterable[tuple[int, str]], *, jobs: int = 1, explanation: bool = True
) -> Iterator[LineOutput]:
    """Every output line, in input order."""
    if jobs <= 1:
        for chunk in chunks(lines):
            yield from decide_chunk(chunk, explanation)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, max_tasks_per_child=CHUNKS_PER_WORKER) as pool:
        pending = _bounded_map(pool, chunks(lines), explanation, window=jobs * 4)
        for outputs in pending:
            yield from outputs


def _bounded_map(
    pool: ProcessPoolExecutor, work: Iterator[list[tuple[int, str]]], explanation: bool,
    window: int,
) -> Iterator[list[LineOutput]]:
    """Like pool.map, in order, but never more than ``window`` chunks in flight (flat memory)."""
    in_flight = [pool.submit(decide_chunk, chunk, explanation) for chunk in islice(work, window)]
    while in_flight:
        head = in_flight.pop(0)
        next_chunk = next(work, None)
        if next_chunk is not None:
            in_flight.append(pool.submit(decide_chunk, next_chunk, explanation))
        yield head.result()
