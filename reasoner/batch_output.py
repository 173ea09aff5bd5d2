"""Where a batch's output lines go: `--out FILE` (written to FILE.partial under a lock, renamed
over FILE when the run is complete, continued by `--resume`) or a device such as /dev/null.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import suppress
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from reasoner.batch import COUNT_BLOCK
from reasoner.batch_report import BatchSummary
from reasoner.errors import InputFileError
from reasoner.outputs import check_writable, is_device, same_file

PARTIAL = ".partial"  # --out FILE is written to FILE.partial until the run is complete
MAX_OUTPUT_LINE = 64 << 20  # a longer line in a file to --resume is not one this program wrote
LOCK_ATTEMPTS = 20


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
