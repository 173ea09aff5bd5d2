"""Batch decisions: JSON Lines in, one JSON line out per input line, in order.

Cases are decided in chunks (one grounding per chunk); with more than one job the
chunks go to worker processes and come back in input order. A bad line becomes an
error record and the run goes on. A worker that dies loses no line: its chunk is decided
again, and only a chunk that ends a worker twice becomes error records. Workers end with
the process that started them, however it ends.

`--out FILE` is written to FILE.partial beside it (locked: a second batch cannot write the same
FILE meanwhile) and renamed over FILE when the run is complete; an interrupted run leaves its
lines in FILE.partial, which `--resume` continues (docs/cli.md).
"""

from __future__ import annotations

import fcntl
import gc
import json
import multiprocessing
import os
import pickle
import select
import signal
import stat
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

from reasoner.batch_report import (
    EMPTY_LINE,
    INTERNAL_ERROR,
    INVALID_CASE,
    INVALID_JSON,
    NOT_UTF8,
    RULES_ERROR,
    TOO_LONG,
    BatchSummary,
    record_digest,
)
from reasoner.errors import InputFileError, ReasonerError, RulesError
from reasoner.inputs import MAX_CASE_BYTES, MAX_CASE_TEXT, decode_json, json_problem
from reasoner.inputs import NOT_UTF8 as NOT_UTF8_TEXT
from reasoner.inputs import TOO_LONG as TOO_LONG_TEXT
from reasoner.outputs import check_writable, is_device, json_text, same_file

if TYPE_CHECKING:
    from reasoner.case import Case

# One grounding per chunk: each pays about 10 ms whatever its cases (a new Control, the program
# loaded and prepared: some 22 us per rule even where no fact matches), about a third of a
# case's grounding in chunks of 64 and a sixth in chunks of 128 (docs/performance.md).
CHUNK_LINES = 128
# clingo keeps every symbol it ever made for the life of the process, so a worker's memory
# grows with the distinct facts it has seen; a fresh worker after this many chunks (9,600
# cases) keeps a long batch flat (a restart costs about half a second).
CHUNKS_PER_WORKER = 75
COUNT_BLOCK = 1 << 20
WINDOW_PER_JOB = 4  # chunks in flight per worker
PARTIAL = ".partial"  # --out FILE is written to FILE.partial until the run is complete
MAX_OUTPUT_LINE = 64 << 20  # a longer line in a file to --resume is not one this program wrote
LOCK_ATTEMPTS = 20
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"


@dataclass(frozen=True)
class LineOutput:
    """One output line, and the digest of its record that the summary counts (batch_report)."""

    text: str
    digest: dict[str, Any]


Decide = Callable[[list[tuple[int, str]], bool, str | None], list[LineOutput]]  # decide_chunk's shape


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
    yield from _in_workers(chunks(lines), _Workers(jobs, decide, explanation, as_of, notice or _silent))


def _silent(_: str) -> None:
    pass


@dataclass(frozen=True)
class _Workers:
    """How the chunks are decided in worker processes."""

    jobs: int
    decide: Decide
    explanation: bool
    as_of: str | None
    notice: Callable[[str], None]
    folder: str = ""  # where workers leave their chunks' outputs (_decide_to_file)

    def pool(self) -> ProcessPoolExecutor:
        # The resource tracker (started with the first pool, with this process's -W options) cleans
        # up after a parent killed with -9; its warning about doing so would only alarm the user.
        if QUIET_TRACKER not in sys.warnoptions:
            sys.warnoptions.append(QUIET_TRACKER)
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=context, max_tasks_per_child=CHUNKS_PER_WORKER,
            initializer=_worker_start, initargs=(os.getpid(),),
        )

    def submit(self, pool: ProcessPoolExecutor, chunk: list[tuple[int, str]]) -> Future[Sent]:
        try:
            return pool.submit(_decide_to_file, self.decide, self.folder, chunk, self.explanation, self.as_of)
        except BrokenProcessPool as error:  # a worker died since the last submit: decided again in a new pool
            return _failed(error)


def _failed(error: Exception) -> Future[Sent]:
    failed: Future[Sent] = Future()
    failed.set_exception(error)
    return failed


# What a worker sends back for a chunk: the name of a file that holds its outputs, so that the
# message is far under PIPE_BUF bytes and goes into the result pipe in one write, whole or not at
# all, whenever the worker is killed. The outputs themselves (about 1 KB a line explained) took
# many writes; a worker killed between two of them left half a message, and ProcessPoolExecutor's
# reader waited for the rest forever: the batch hung. Without a file (the folder full or gone),
# the outputs themselves, as before.
Sent = str | list[LineOutput]


def _decide_to_file(decide: Decide, folder: str, chunk: list[tuple[int, str]], explanation: bool,
                    as_of: str | None) -> Sent:
    outputs = decide(chunk, explanation, as_of)
    try:
        handle, path = tempfile.mkstemp(prefix=f"lines-{chunk[0][0]}-", dir=folder)
        with open(handle, "wb") as stream:
            pickle.dump(outputs, stream, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        return outputs
    return path


def _received(sent: Sent) -> list[LineOutput]:
    """A chunk's outputs from what its worker sent; their file is removed."""
    if not isinstance(sent, str):
        return sent
    try:
        with open(sent, "rb") as stream:
            outputs: list[LineOutput] = pickle.load(stream)
    finally:
        with suppress(OSError):
            os.unlink(sent)
    return outputs


Flight = tuple[list[tuple[int, str]], Future[Sent]]  # a chunk and its decision


def _in_workers(work: Iterator[list[tuple[int, str]]], workers: _Workers) -> Iterator[LineOutput]:
    """_in_pool, with a folder for the workers' outputs that goes with the batch."""
    with tempfile.TemporaryDirectory(prefix="reasoner-batch-") as folder:
        yield from _in_pool(work, replace(workers, folder=folder))


def _in_pool(work: Iterator[list[tuple[int, str]]], workers: _Workers) -> Iterator[LineOutput]:
    """Like pool.map, in order, with never more than WINDOW_PER_JOB chunks per job in flight (flat
    memory); a chunk whose worker died is decided again (_decide_again). Stopped early (an
    interruption, the reader gone), the workers are ended at once."""
    pool = workers.pool()
    in_flight: deque[Flight] = deque()
    failure: Exception | None = None
    more = True
    try:
        while True:
            while more and len(in_flight) < workers.jobs * WINDOW_PER_JOB:
                try:
                    chunk = next(work, None)
                except Exception as error:  # reading the input failed: what was read still gets its records
                    failure, chunk = error, None
                if chunk is None:
                    more = False
                else:
                    in_flight.append((chunk, workers.submit(pool, chunk)))
            if not in_flight:
                break
            head, decided = in_flight[0]
            try:
                outputs = _received(decided.result())
            except Exception as error:
                if decided.exception() is None:  # decided, but its outputs could not be read back
                    in_flight[0] = (head, _failed(error))
                pool = _decide_again(pool, in_flight, workers)
                continue
            in_flight.popleft()
            yield from outputs
    except BaseException:
        _discard(pool)
        raise
    pool.shutdown()
    if failure is not None:
        raise failure


def _decide_again(pool: ProcessPoolExecutor, in_flight: deque[Flight], workers: _Workers) -> ProcessPoolExecutor:
    """A chunk in flight failed (a worker died: every chunk in flight fails with it). Once the others
    have ended, each failed chunk is decided again alone, in a fresh pool, so that a chunk that ends
    its worker again is known to be the one: its lines become internal_error records, and the run
    goes on. Returns the pool to go on with."""
    wait([future for _, future in in_flight])
    _discard(pool)
    failed = [index for index, (_, future) in enumerate(in_flight) if future.exception() is not None]
    first = in_flight[failed[0]][1].exception()
    ordinary = isinstance(first, Exception) and not isinstance(first, BrokenProcessPool)
    cause = _unexpected(first) if isinstance(first, Exception) and ordinary else "a worker process ended abruptly"
    workers.notice(f"{cause}; lines {_span([in_flight[index][0] for index in failed])} are decided again")
    pool = workers.pool()
    for index in failed:
        chunk = in_flight[index][0]
        try:
            outputs = _received(workers.submit(pool, chunk).result())
        except BrokenProcessPool:
            _discard(pool)
            pool = workers.pool()
            workers.notice(f"lines {_span([chunk])} ended their worker process again: recorded as internal errors")
            outputs = _lost(chunk, "internal error: the worker process deciding this line ended abruptly, twice "
                                   "(killed, or out of memory)")
        except Exception as error:
            outputs = _lost(chunk, _unexpected(error))
        done: Future[Sent] = Future()
        done.set_result(outputs)
        in_flight[index] = (chunk, done)
    return pool


def _span(chunks: list[list[tuple[int, str]]]) -> str:
    """The input lines of some chunks, for a person: 129-256, 385-512."""
    return ", ".join(f"{chunk[0][0]}-{chunk[-1][0]}" for chunk in chunks)


def _lost(chunk: list[tuple[int, str]], problem: str) -> list[LineOutput]:
    """Error records for the lines of a chunk that could not be decided."""
    return [_error_record(_case_id_of_text(text), number, INTERNAL_ERROR, [problem]) for number, text in chunk]


def _case_id_of_text(text: str) -> str | None:
    try:
        return _case_id_of(decode_json(text))
    except (ValueError, RecursionError):
        return None


def _discard(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: chunks not started are dropped, running workers are ended."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)


# Deciding makes many short-lived objects and keeps few: collecting the youngest generation every
# 700 allocations (Python's default) took 5-6 % of a batch's time, measured with gc.callbacks over
# 1,280 cases, decisions only and explained; every 50,000 takes about 1 %, with the same memory.
BATCH_GC_THRESHOLD = (50_000, 50, 100)


def tune_gc_for_batch() -> None:
    """Collect garbage less often in a process that decides a batch (a worker, or the command
    line's own process with one job); never called on a library user's process."""
    gc.set_threshold(*BATCH_GC_THRESHOLD)


def _worker_start(parent: int) -> None:
    """In each worker: Ctrl-C (sent to the whole terminal group) is the parent's to handle, so a
    worker prints no traceback; and the worker ends when the parent does, however it ends (a
    kill -9 too). Without this, the forkserver and its workers keep each other alive."""
    tune_gc_for_batch()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), name="end-with-parent", daemon=True).start()


def _end_with(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)  # readable once the parent has ended (Linux 5.3 and later)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd: look twice a second
        while _alive(parent):
            time.sleep(0.5)
        os._exit(1)
    select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        if self._exit_at_once and self._stuck is not None:
            self._stuck(signum)
            os._exit(128 + signum)
        raise Interrupted(signum)

    def _watch(self, reading: int) -> None:
        try:
            while data := os.read(reading, 64):
                for signum in data:
                    if signum in self._previous and not self._taken.wait(self.GRACE) and self._stuck is not None:
                        self._stuck(signum)
                        os._exit(128 + signum)
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


class OutputFile:
    """The --out FILE of a batch: the lines go to FILE.partial beside it, under an exclusive lock
    (flock: released however the process ends), and FILE.partial is renamed over FILE when the
    run is complete. A reader never sees half a FILE, and two batches never write one file.

    Without --resume, FILE.partial starts empty (what an interrupted run left is started over).
    With --resume, it keeps the complete lines of FILE.partial (else of FILE): each must be a
    batch record; a cut last line is dropped, to be decided again.
    """

    def __init__(self, out: Path, target: Path, partial: Path, handle: int, created: bool) -> None:
        self.out = out
        self.target = target
        self.partial = partial
        self.shown_partial = _shown_partial(out, partial)
        self.created = created  # whether this run made FILE.partial (else an earlier run left it)
        self._stream = os.fdopen(handle, "r+b")
        self._source: Path | None = None  # the file whose first lines are kept (--resume)
        self._offset = 0  # the bytes of those lines
        self.kept = 0  # lines kept from an earlier run
        self.cut = False  # whether a cut last line was dropped
        self.stale = 0  # bytes of an earlier run started over (without --resume)
        self.written = 0  # lines written by this run
        self.begun = False

    resumable = True  # an interrupted run leaves FILE.partial, which --resume continues

    @classmethod
    def open(
        cls, out: Path, *, resume: bool, summary: BatchSummary, input_name: str | None = None,
    ) -> OutputFile | DeviceOutput:
        """Lock FILE.partial (refused while another batch holds it); with ``resume``, read what is
        kept (its records counted into ``summary``). Nothing is changed before begin(). A FILE that
        is not a regular file (/dev/null, a pipe) is written in place (DeviceOutput)."""
        target = Path(os.path.realpath(out))
        if is_device(target):
            return DeviceOutput.open(out, target, resume=resume)
        check_writable(out)
        partial = target.with_name(target.name + PARTIAL)
        if input_name is not None and same_file(partial, input_name):
            raise InputFileError(f"{partial}: is the input of this run; --out needs another file")
        handle, created = _open_locked(partial, out)
        output = cls(out, target, partial, handle, created)
        try:
            if resume:
                output._find_kept(summary)
            elif not created:
                output.stale = os.fstat(handle).st_size
        except BaseException:
            output.abandon()
            raise
        return output

    def _find_kept(self, summary: BatchSummary) -> None:
        if not self.created:
            self._source = self.partial
            self._scan(self._stream, str(self.shown_partial), summary)
        elif self.target.exists():
            self._source = self.target
            try:
                with self.target.open("rb") as stream:
                    self._scan(stream, str(self.out), summary)
            except OSError as error:
                raise InputFileError(f"{self.out}: cannot be read ({error.strerror})") from None

    def _scan(self, stream: BinaryIO, shown: str, summary: BatchSummary) -> None:
        count = offset = 0
        while raw := stream.readline(MAX_OUTPUT_LINE + 1):
            if not raw.endswith(b"\n"):
                if len(raw) > MAX_OUTPUT_LINE:
                    raise _not_ours(shown, count + 1)
                self.cut = True  # the last line, cut short by a kill: dropped and decided again
                break
            count += 1
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                record = None
            if not summary.add(record):
                raise _not_ours(shown, count)
            if "decision" not in record and record.get("line") != count:
                raise InputFileError(
                    f"{shown}: line {count} is the record of input line {record.get('line')}; "
                    "--resume continues only an output of this input, one line per line"
                )
            offset += len(raw)
        self.kept, self._offset = count, offset

    def begin(self, lines: Iterator[tuple[int, str]], input_name: str) -> None:
        """Read past the input lines already answered (an output longer than the input is refused,
        and nothing is changed), then keep the answered lines and nothing after them."""
        if self.kept:
            read = sum(1 for _ in islice(lines, self.kept))
            if read < self.kept:
                shown = self.shown_partial if self._source == self.partial else self.out
                raise InputFileError(
                    f"{shown}: has {self.kept:,} lines but {input_name} has only {read:,}; "
                    "it is not the output of this input"
                )
        try:
            self._stream.seek(0)
            if self._source == self.target:
                self._stream.truncate(0)
                _copy(self.target, self._stream, self._offset)
            else:
                self._stream.truncate(self._offset)
            self._stream.seek(0, os.SEEK_END)
        except OSError as error:
            raise InputFileError(f"{self.shown_partial}: cannot be written ({error.strerror})") from None
        self.begun = True

    @property
    def lines(self) -> int:
        """The lines in the file: kept ones and those this run wrote."""
        return self.kept + self.written

    def write_line(self, text: str) -> None:
        _write_flushed(self._stream, text, self.shown_partial)
        self.written += 1

    def finish(self) -> None:
        """The run is complete: FILE.partial becomes FILE (an existing FILE keeps its mode)."""
        try:
            self._stream.flush()
            os.fsync(self._stream.fileno())
            if self.target.exists():
                os.chmod(self.partial, self.target.stat().st_mode & 0o7777)
            os.replace(self.partial, self.target)
        except OSError as error:
            raise InputFileError(f"{self.out}: cannot be written ({error.strerror})") from None
        finally:
            self._stream.close()

    def abandon(self) -> None:
        """The run did not complete: the lines written stay in FILE.partial (a FILE.partial made
        for a run refused before its first line is removed)."""
        if not self.begun and self.created:
            self.partial.unlink(missing_ok=True)
        with suppress(OSError):
            self._stream.close()


class DeviceOutput:
    """An --out that is not a regular file (/dev/null, a named pipe, a terminal): the lines are
    written to it in place. Nothing is renamed over it (that would replace a device with a file),
    so there is no FILE.partial and no --resume."""

    resumable = False
    created = False
    kept = 0
    cut = False
    stale = 0

    def __init__(self, out: Path, handle: int) -> None:
        self.out = out
        self.shown_partial = out
        self.written = 0
        self.begun = False
        self._stream = os.fdopen(handle, "wb")

    @classmethod
    def open(cls, out: Path, target: Path, *, resume: bool) -> DeviceOutput:
        if resume:
            raise InputFileError(f"{out}: is not a regular file (a device or a pipe); --resume needs a file")
        try:
            handle = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
        except OSError as error:
            raise InputFileError(f"{out}: cannot be written ({error.strerror})") from None
        return cls(out, handle)

    def begin(self, lines: Iterator[tuple[int, str]], input_name: str) -> None:  # noqa: ARG002
        """Nothing to read past: every line is decided (OutputFile's signature)."""
        self.begun = True

    @property
    def lines(self) -> int:
        return self.written

    def write_line(self, text: str) -> None:
        _write_flushed(self._stream, text, self.shown_partial)
        self.written += 1

    def finish(self) -> None:
        try:
            self._stream.close()
        except OSError as error:
            raise InputFileError(f"{self.out}: cannot be written ({error.strerror})") from None

    def abandon(self) -> None:
        with suppress(OSError):
            self._stream.close()


def _write_flushed(stream: BinaryIO, text: str, shown: Path) -> None:
    """One output line, flushed at once (an interruption keeps every line written); ``shown``
    names the file in the error."""
    try:
        stream.write(text.encode("utf-8") + b"\n")
        stream.flush()
    except OSError as error:
        raise InputFileError(f"{shown}: cannot be written ({error.strerror})") from None


def _open_locked(partial: Path, out: Path) -> tuple[int, bool]:
    """Open and lock FILE.partial; whether this run created it. A run that finishes renames its
    FILE.partial away while holding the lock: a file locked after that is not the one named."""
    for _ in range(LOCK_ATTEMPTS):
        created = True
        try:
            try:
                handle = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                created = False
                handle = os.open(partial, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            if partial.parent.is_dir():
                continue  # renamed away in between: again
            raise InputFileError(f"{out}: cannot be written (no such folder)") from None
        except OSError as error:
            raise InputFileError(f"{out}: cannot be written ({error.strerror})") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(handle)
            if isinstance(error, BlockingIOError):
                raise InputFileError(
                    f"{out}: another batch is writing it ({_shown_partial(out, partial)} is locked); "
                    "wait for it to end, or choose another --out"
                ) from None
            raise InputFileError(f"{partial}: cannot be locked ({error.strerror})") from None
        try:
            if os.path.samestat(os.fstat(handle), os.stat(partial)):
                return handle, created
        except FileNotFoundError:
            pass
        os.close(handle)
    raise InputFileError(f"{out}: cannot be written (its {PARTIAL} file keeps changing)")


def _shown_partial(out: Path, partial: Path) -> Path:
    """FILE.partial as the user would name it: beside --out as given, unless --out is a link."""
    beside = out.with_name(out.name + PARTIAL)
    return beside if Path(os.path.realpath(beside)) == partial else partial


def _not_ours(shown: str, number: int) -> InputFileError:
    return InputFileError(
        f"{shown}: line {number} is not a batch record; --resume continues only an output of `reasoner batch`"
    )


def _copy(source: Path, stream: BinaryIO, size: int) -> None:
    with source.open("rb") as original:
        while size > 0:
            block = original.read(min(size, COUNT_BLOCK))
            if not block:
                break
            stream.write(block)
            size -= len(block)
