"""A batch's chunks decided in worker processes: in input order, a bounded number in flight, and
never a line lost when a worker dies (reasoner/batch.py's run_batch uses this with --jobs above 1).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, replace

from reasoner.batch_records import Decide, LineOutput, case_id_of, error_record, unexpected
from reasoner.batch_report import INTERNAL_ERROR
from reasoner.inputs import decode_json

# clingo keeps every symbol it ever made for the life of the process, so a worker's memory
# grows with the distinct facts it has seen; a fresh worker after this many chunks (9,600
# cases) keeps a long batch flat (a restart costs about half a second).
CHUNKS_PER_WORKER = 75
WINDOW_PER_JOB = 4  # chunks in flight per worker
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"


@dataclass(frozen=True)
class Workers:
    """How the chunks are decided in worker processes."""

    jobs: int
    decide: Decide
    explanation: bool
    as_of: str | None
    notice: Callable[[str], None]
    folder: str | None = None  # where workers leave their chunks' outputs (decide_to_file; in_workers sets it)

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
            return pool.submit(decide_to_file, self.decide, self.folder, chunk, self.explanation, self.as_of)
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


def decide_to_file(decide: Decide, folder: str | None, chunk: list[tuple[int, str]], explanation: bool,
                   as_of: str | None) -> Sent:
    outputs = decide(chunk, explanation, as_of)
    if folder is None:
        return outputs
    try:
        handle, path = tempfile.mkstemp(prefix=f"lines-{chunk[0][0]}-", dir=folder)
        with open(handle, "wb") as stream:
            pickle.dump(outputs, stream, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        return outputs
    return path


def received(sent: Sent) -> list[LineOutput]:
    """A chunk's outputs from what its worker sent; their file is removed."""
    if not isinstance(sent, str):
        return sent
    try:
        with open(sent, "rb") as stream:
            # pickle.loads, not .load: tests/unit/test_source_boundaries.py keeps .load( to clingo's driver
            outputs: list[LineOutput] = pickle.loads(stream.read())
    finally:
        with suppress(OSError):
            os.unlink(sent)
    return outputs


Flight = tuple[list[tuple[int, str]], Future[Sent]]  # a chunk and its decision


_FOLDERS: set[str] = set()  # the workers' folders of the batches running in this process


def in_workers(work: Iterator[list[tuple[int, str]]], workers: Workers) -> Iterator[LineOutput]:
    """_in_pool, with a folder for the workers' outputs that goes with the batch."""
    with tempfile.TemporaryDirectory(prefix="reasoner-batch-") as folder:
        _FOLDERS.add(folder)
        try:
            yield from _in_pool(work, replace(workers, folder=folder))
        finally:
            _FOLDERS.discard(folder)


def remove_folders() -> None:
    """Remove the workers' folders now: the process is about to end without unwinding (os._exit,
    on a signal), so no `with` would."""
    for folder in list(_FOLDERS):
        shutil.rmtree(folder, ignore_errors=True)


def _in_pool(work: Iterator[list[tuple[int, str]]], workers: Workers) -> Iterator[LineOutput]:
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
                outputs = received(decided.result())
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


def _decide_again(pool: ProcessPoolExecutor, in_flight: deque[Flight], workers: Workers) -> ProcessPoolExecutor:
    """A chunk in flight failed (a worker died: every chunk in flight fails with it). Once the others
    have ended, each failed chunk is decided again alone, in a fresh pool, so that a chunk that ends
    its worker again is known to be the one: its lines become internal_error records, and the run
    goes on. Returns the pool to go on with."""
    wait([future for _, future in in_flight])
    _discard(pool)
    failed = [index for index, (_, future) in enumerate(in_flight) if future.exception() is not None]
    first = in_flight[failed[0]][1].exception()
    ordinary = isinstance(first, Exception) and not isinstance(first, BrokenProcessPool)
    cause = unexpected(first) if isinstance(first, Exception) and ordinary else "a worker process ended abruptly"
    workers.notice(f"{cause}; lines {_span([in_flight[index][0] for index in failed])} are decided again")
    pool = workers.pool()
    for index in failed:
        chunk = in_flight[index][0]
        try:
            outputs = received(workers.submit(pool, chunk).result())
        except BrokenProcessPool:
            _discard(pool)
            pool = workers.pool()
            workers.notice(f"lines {_span([chunk])} ended their worker process again: recorded as internal errors")
            outputs = _lost(chunk, "internal error: the worker process deciding this line ended abruptly, twice "
                                   "(killed, or out of memory)")
        except Exception as error:
            outputs = _lost(chunk, unexpected(error))
        done: Future[Sent] = Future()
        done.set_result(outputs)
        in_flight[index] = (chunk, done)
    return pool


def _span(chunks: list[list[tuple[int, str]]]) -> str:
    """The input lines of some chunks, for a person: 129-256, 385-512."""
    return ", ".join(f"{chunk[0][0]}-{chunk[-1][0]}" for chunk in chunks)


def _lost(chunk: list[tuple[int, str]], problem: str) -> list[LineOutput]:
    """Error records for the lines of a chunk that could not be decided."""
    return [error_record(_case_id_of_text(text), number, INTERNAL_ERROR, [problem]) for number, text in chunk]


def _case_id_of_text(text: str) -> str | None:
    try:
        return case_id_of(decode_json(text))
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
