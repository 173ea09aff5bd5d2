"""Batch decisions: JSON Lines in, one JSON line out per input line, in order.

Cases are decided in chunks (one grounding per chunk); with more than one job the
chunks go to worker processes and come back in input order. A bad line becomes an
error record and the run goes on. A worker that dies loses no line: its chunk is decided
again, and only a chunk that ends a worker twice becomes error records. Workers end with
the process that started them, however it ends.

The records are reasoner/batch_records.py's, the worker processes reasoner/batch_workers.py's,
where the output lines go (`--out FILE`, written to FILE.partial and renamed when the run is
complete; `--resume`) reasoner/batch_output.py's, the summary reasoner/batch_report.py's
(docs/cli.md).
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

from reasoner.batch_records import Decide, LineOutput, case_id_of, error_record, record_output, unexpected
from reasoner.batch_report import (
    EMPTY_LINE,
    INTERNAL_ERROR,
    INVALID_CASE,
    INVALID_JSON,
    NOT_UTF8,
    RULES_ERROR,
    TOO_LONG,
)
from reasoner.batch_workers import Workers, in_workers, remove_folders
from reasoner.errors import ReasonerError, RulesError
from reasoner.inputs import MAX_CASE_BYTES, MAX_CASE_TEXT, decode_json, json_problem
from reasoner.inputs import NOT_UTF8 as NOT_UTF8_TEXT
from reasoner.inputs import TOO_LONG as TOO_LONG_TEXT
from reasoner.outputs import json_text

if TYPE_CHECKING:
    from reasoner.case import Case

# One grounding per chunk: each pays about 10 ms whatever its cases (a new Control, the program
# loaded and prepared: some 22 us per rule even where no fact matches), about a third of a
# case's grounding in chunks of 64 and a sixth in chunks of 128 (docs/performance.md).
CHUNK_LINES = 128
COUNT_BLOCK = 1 << 20


def _error_kind(error: ReasonerError) -> str:
    """A rules error is the policy's bug; any other refusal is about the case."""
    return RULES_ERROR if isinstance(error, RulesError) else INVALID_CASE


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
        elif text == TOO_LONG_TEXT:
            limit = f"line is longer than {MAX_CASE_TEXT} ({MAX_CASE_BYTES:,} bytes), the limit for a case"
            items.append((number, Refused(TOO_LONG, [limit])))
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
            outputs[index] = error_record(None, number, data.kind, data.problems)
            continue
        try:
            valid.append((index, parse_case(data)))
        except ReasonerError as error:
            outputs[index] = error_record(case_id_of(data), number, _error_kind(error), error.problems())
        except Exception as error:  # one line's failure never ends the run
            outputs[index] = error_record(case_id_of(data), number, INTERNAL_ERROR, [unexpected(error)])
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
            yield index, error_record(case.case_id, numbers[index], _error_kind(error), error.problems())
            continue
        except Exception as error:  # one line's failure never ends the run
            yield index, error_record(case.case_id, numbers[index], INTERNAL_ERROR, [unexpected(error)])
            continue
        record = decision.to_json()  # says "explained": whether it was decided with --explain
        yield index, record_output(record, json_text(record))


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
    """Lists of ``size`` lines. When reading the input fails, the lines read before the failure
    still come, as a last chunk, before the error: they get their records."""
    chunk: list[tuple[int, str]] = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def run_batch(
    lines: Iterable[tuple[int, str]], *, jobs: int = 1, explanation: bool = True, as_of: str | None = None,
    decide: Decide = decide_chunk, notice: Callable[[str], None] | None = None,
) -> Generator[LineOutput, None, None]:
    """Every output line, in input order. ``decide`` decides one chunk (a seam for the tests: with
    jobs, a module-level function that a worker can import); ``notice`` hears, in one line, of a
    worker that died and of the lines decided again."""
    if jobs <= 1:
        for chunk in chunks(lines):
            yield from decide(chunk, explanation, as_of)
        return
    yield from in_workers(chunks(lines), Workers(jobs, decide, explanation, as_of, notice or _silent))


def _silent(_: str) -> None:
    pass



class Interrupted(BaseException):
    """SIGINT (Ctrl-C) or SIGTERM during a batch. A BaseException, so that no `except Exception`
    (one line's failure) takes it for a line's error."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal, as a shell reports a process ended by it (130, 143)."""
        return 128 + self.signum


class Interrupts:
    """While entered, SIGINT and SIGTERM raise Interrupted in the main thread; inside held() they
    wait until the block ends (an output line is written and counted whole).

    Python runs a handler only between bytecodes, never inside a C call such as clingo's
    grounding of a large chunk: when the main thread has not taken a signal within GRACE seconds,
    a watching thread (woken through signal.set_wakeup_fd; clingo releases the GIL) calls
    ``stuck`` with the signal and ends the process with 128 + its number. The lines written
    are kept either way: each is flushed as it is written.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    GRACE = 1.0

    def __init__(self, stuck: Callable[[int], None] | None = None, *, exit_at_once: bool = False) -> None:
        self._stuck = stuck
        # With worker processes, an exception raised inside the pool's waits can leave its locks
        # held and the run hanging: the signal then ends the process at once (each line written
        # is flushed; --resume drops a cut last line; the workers watch for their parent's end).
        self._exit_at_once = exit_at_once and stuck is not None
        self._held = 0
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}
        self._taken = threading.Event()
        self._wakeup: tuple[int, int] | None = None
        self._previous_wakeup = -1

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in self.SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # an ignored signal stays ignored (nohup)
                self._previous[signum] = signal.signal(signum, self._arrived)
        if self._previous and self._stuck is not None:
            self._wakeup = os.pipe()
            os.set_blocking(self._wakeup[1], False)
            self._previous_wakeup = signal.set_wakeup_fd(self._wakeup[1], warn_on_full_buffer=False)
            threading.Thread(target=self._watch, args=(self._wakeup[0],), name="interrupt-watch", daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None,
    ) -> None:
        if self._wakeup is not None:
            signal.set_wakeup_fd(self._previous_wakeup)
            os.close(self._wakeup[1])  # the watching thread reads the end, and ends
            self._wakeup = None
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def _arrived(self, signum: int, _frame: FrameType | None) -> None:
        self._taken.set()
        if self._held:
            self._pending = signum
            return
        self._end(signum)

    def _end(self, signum: int) -> None:
        if self._exit_at_once:
            self._exit_now(signum)
        raise Interrupted(signum)

    def _exit_now(self, signum: int) -> None:
        if self._stuck is not None:
            self._stuck(signum)
        remove_folders()
        os._exit(128 + signum)

    def _watch(self, reading: int) -> None:
        try:
            while data := os.read(reading, 64):
                for signum in data:
                    if signum in self._previous and not self._taken.wait(self.GRACE) and self._stuck is not None:
                        self._exit_now(signum)
        finally:
            os.close(reading)

    @contextmanager
    def held(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held and self._pending is not None:
            signum, self._pending = self._pending, None
            self._end(signum)


