"""The command line: thin typer commands over the package; output and errors are mapped once, in
reasoner/console.py (which also runs a plain `reasoner check` without loading typer)."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reasoner.console import (
    AS_OF_HELP,
    EXIT_INVALID,
    check_case,
    errors_to_exit,
    print_json,
    show,
    stderr_console,
    stdout_console,
)
from reasoner.errors import InputFileError, InvalidCase, ReasonerError
from reasoner.outputs import message_line

if TYPE_CHECKING:
    from rich.console import Console

    from reasoner.batch import Interrupts
    from reasoner.batch_output import DeviceOutput, OutputFile
    from reasoner.batch_records import LineOutput
    from reasoner.batch_report import BatchSummary

app = typer.Typer(
    name="reasoner",
    help="Decide cases under the Portable External Infusion Pump medical policy, "
    "with a minimal explanation tied to the policy's sentences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



class CaseFormat(StrEnum):
    tree = "tree"
    json = "json"


class ListFormat(StrEnum):
    table = "table"
    json = "json"



def _interrupt_raises() -> None:
    """Ctrl-C raises KeyboardInterrupt again, for a command that has something to tidy up."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_DFL:
        signal.signal(signal.SIGINT, signal.default_int_handler)



@app.command()
def check(
    case: Annotated[str, typer.Argument(metavar="CASE.json", help="A case file, or - for standard input.")],
    output_format: Annotated[
        CaseFormat, typer.Option("--format", "-f", help="tree for people, json for programs.")
    ] = CaseFormat.tree,
    full: Annotated[
        bool, typer.Option("--full", help="Tree: also every other route, every missing set, every citation.")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help=AS_OF_HELP)] = None,
) -> None:
    """Decide one case and print the decision with its explanation."""
    check_case(case, output_format.value, full, as_of)


@app.command()
def ask(
    case: Annotated[str, typer.Argument(metavar="CASE.json", help="The case to complete.")],
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the completed case here (never the input file "
                                  "unless --in-place).")
    ] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Allow --save to write over CASE.json.")] = False,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="A JSON object of answers given up front: field -> value.")
    ] = None,
) -> None:
    """Interview: decide, ask the most decisive open question, decide again, until complete.

    Each question shows the policy sentence it comes from and the case field it sets; answer
    ? for "don't know". When standard input is not a terminal, answers are read from it one
    per line. The final decision is printed; --save writes the completed case.
    """
    _interrupt_raises()  # Ctrl-C: "interrupted: nothing was saved"
    from rich.text import Text

    from reasoner.inputs import read_case_json
    from reasoner.interview.session import Interview, apply_answers
    from reasoner.interview.terminal import run
    from reasoner.outputs import case_json_text, check_writable, printable, same_file, write_atomically
    from reasoner.render import decision_view

    console = stdout_console()
    with errors_to_exit():
        if save is not None:
            if case != "-" and same_file(save, case) and not in_place:
                raise InputFileError(f"{save}: is the input case; add --in-place to write over it")
            check_writable(save)  # before the questions, so that no answer is typed in vain
        data = read_case_json(case)
        given = read_case_json(str(answers)) if answers is not None else {}
        if not isinstance(given, dict):
            raise InputFileError(f"{answers}: must be a JSON object of field -> value")
        if not isinstance(data, dict):
            raise InvalidCase(["case: must be a JSON object"])
        interview = Interview(data)
        apply_answers(interview, given)
        try:
            run(interview, console, _reader(console))
        except KeyboardInterrupt:
            print("\ninterrupted: nothing was saved", file=sys.stderr)
            raise typer.Exit(130) from None
        console.print(decision_view(interview.current()))
        if save is not None:
            write_atomically(save, case_json_text(interview.case))
            console.print(Text(f"saved the completed case to {printable(str(save))}"), soft_wrap=True)


def _reader(console: Console) -> Callable[[str], str]:
    """input() at a terminal; otherwise one answer per line of standard input, echoed."""
    from rich.text import Text

    from reasoner.outputs import printable

    if sys.stdin is not None and sys.stdin.isatty():
        return input

    def read(prompt: str) -> str:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line:
            raise EOFError
        console.print(Text(f"{prompt}{printable(line.rstrip())}"))
        return line

    return read


@app.command()
def batch(
    cases: Annotated[str, typer.Argument(metavar="CASES.jsonl", help="One case per line; - for standard input.")] = "-",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of standard output (through FILE.partial, "
                                  "renamed to FILE when the run is complete).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Worker processes.")] = 1,
    explain: Annotated[
        bool, typer.Option("--explain/--decisions-only", help="Full explanations, or decisions and lines only.")
    ] = True,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar and summary on standard error.")
    ] = True,
    summary_file: Annotated[
        Path | None,
        typer.Option("--summary", metavar="FILE", help="Write the run's summary here as JSON (see `reasoner report`)."),
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help=AS_OF_HELP)] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the --out file of an interrupted run from its last complete "
                           "line, skipping the input lines it answered.")
    ] = False,
) -> None:
    """Decide many cases: one JSON line out per line in, in order; bad lines become error records."""
    _interrupt_raises()  # Ctrl-C: the lines written so far are kept
    from reasoner.batch import Interrupted, Interrupts, count_lines, run_batch
    from reasoner.batch_report import BatchSummary, write_json_atomically
    from reasoner.batch_workers import tune_gc_for_batch
    from reasoner.inputs import STDIN, numbered_lines, open_lines

    name = "standard input" if cases == STDIN else cases
    with errors_to_exit():
        from reasoner.dates import parse_as_of

        parse_as_of(as_of)  # a bad date is refused before any line is read
        if resume and out is None:
            raise InputFileError("--resume continues the --out file of an interrupted run: give --out FILE")
        if summary_file is not None:
            _check_summary_target(summary_file, cases, out)
            from reasoner.outputs import check_writable

            check_writable(summary_file)
        if out is not None and cases != STDIN:
            from reasoner.outputs import same_file

            if same_file(out, cases):  # writing it would replace the input
                raise InputFileError(f"{out}: is the input of this run; --out needs another file")
        stream = open_lines(cases)
        started = time.perf_counter()
        summary = BatchSummary()
        sink: OutputFile | DeviceOutput | None = None
        stopped = False
        try:
            sink = _open_out(out, resume, summary, None if cases == STDIN else cases)
            say = functools.partial(_say_interrupted, sink=sink, summary=summary)
            with Interrupts(say, exit_at_once=jobs > 1) as interrupts:
                total = count_lines(stream) if progress and cases != STDIN else None
                lines = numbered_lines(stream, name)
                if sink is not None:
                    sink.begin(lines, name)
                    _say_begun(sink)
                if jobs <= 1:
                    tune_gc_for_batch()  # decided in this process (with jobs, in the workers)
                outputs = run_batch(lines, jobs=jobs, explanation=explain, as_of=as_of, notice=_note)
                try:
                    _drain(outputs, sink.write_line if sink else _to_stdout, summary, progress, interrupts, total,
                           sink.kept if sink else 0)
                finally:
                    outputs.close()  # workers end now, not when the generator is collected
        except BrokenPipeError:
            # The reader went away (`reasoner batch ... | head`): stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            stopped = True
        except Interrupted as interruption:
            if sink is not None:
                sink.abandon()
            _say_interrupted(interruption.signum, sink, summary)
            raise typer.Exit(interruption.exit_status) from None
        except BaseException as error:
            if sink is not None:
                sink.abandon()
                if sink.begun and isinstance(error, ReasonerError):
                    for problem in error.problems():
                        print(f"error: {message_line(problem)}", file=sys.stderr)
                    where = "kept in" if sink.resumable else "written to"
                    print(f"{_lines(sink.lines)} {where} {sink.shown_partial}", file=sys.stderr)
                    raise typer.Exit(EXIT_INVALID) from None
            raise
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        if sink is not None:
            sink.finish()
            if progress:
                print(f"wrote {_lines(sink.lines)} to {sink.out}", file=sys.stderr)
        report = summary.to_json(time.perf_counter() - started)
        if summary_file is not None:
            write_json_atomically(summary_file, report)
    if stopped:
        raise typer.Exit(0)
    if progress:
        from reasoner.batch_report import summary_view

        stderr_console().print(summary_view(report))


def _check_summary_target(summary_file: Path, cases: str, out: Path | None) -> None:
    """The summary must not replace the input or the output of the same run."""
    from reasoner.inputs import STDIN

    target = summary_file.resolve()
    for other, what in ((None if cases == STDIN else Path(cases), "the input"), (out, "the output")):
        if other is not None and other.resolve() == target:
            raise InputFileError(f"{summary_file}: is {what} of this run; the summary needs its own file")


def _open_out(
    out: Path | None, resume: bool, summary: BatchSummary, cases: str | None,
) -> OutputFile | DeviceOutput | None:
    """The --out file (None: standard output), locked; with --resume, its kept lines counted into ``summary``."""
    if out is None:
        return None
    from reasoner.batch_output import OutputFile

    return OutputFile.open(out, resume=resume, summary=summary, input_name=cases)


def _say_begun(sink: OutputFile | DeviceOutput) -> None:
    """What --out starts from, when it is not an empty file."""
    if sink.kept or sink.cut:
        dropped = " (a cut last line dropped)" if sink.cut else ""
        print(f"resuming {sink.shown_partial}: {_lines(sink.kept)} kept{dropped}; deciding from line "
              f"{sink.kept + 1:,}", file=sys.stderr)
    elif sink.stale:
        print(f"note: {sink.shown_partial} held part of an interrupted run; started over "
              "(--resume continues such a file)", file=sys.stderr)


def _say_interrupted(signum: int, sink: OutputFile | DeviceOutput | None, summary: BatchSummary) -> None:
    """What an interrupted batch kept (also said from the thread that ends a batch stuck in clingo)."""
    import signal

    if sink is not None and not sink.begun and sink.created:
        kept = "nothing written"
    elif sink is not None and not sink.resumable:
        kept = f"{_lines(sink.lines)} written to {sink.out}"
    elif sink is not None:
        kept = f"{_lines(sink.lines)} kept in {sink.shown_partial}; rerun with --resume to finish"
    else:
        kept = f"{_lines(summary.cases)} written"
    print(f"interrupted ({signal.Signals(signum).name}): {kept}", file=sys.stderr, flush=True)


def _lines(count: int) -> str:
    return f"{count:,} line{'' if count == 1 else 's'}"


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def _to_stdout(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _drain(
    outputs: Iterator[LineOutput], write: Callable[[str], None], summary: BatchSummary, progress: bool,
    interrupts: Interrupts, total: int | None = None, done: int = 0,
) -> None:
    """Write each output line as it comes and count it (an interruption waits until both are done);
    the bar shows a total and time left when known, from ``done`` lines already answered."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [TextColumn("deciding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if total is not None:
        columns.append(TimeRemainingColumn())
    # redirect_stdout off: at a terminal, rich would otherwise print the output lines (`> out.jsonl`) there
    with Progress(*columns, console=stderr_console(), disable=not progress, transient=True,
                  redirect_stdout=False) as bar:
        task = bar.add_task("cases", total=total, completed=done)
        for output in outputs:
            with interrupts.held():
                write(output.text)
                summary.add(output.digest)
            bar.advance(task)


@app.command()
def conditions(
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
) -> None:
    """List every condition, clause and rule id with its label and policy citation."""
    from reasoner.catalogue import catalogue_rows

    with errors_to_exit():
        rows = catalogue_rows()
    if output_format is ListFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(show_lines=False, expand=True)
    for column in ("kind", "id", "label", "answered by", "citation"):
        table.add_column(column, overflow="fold")
    for row in rows:
        answer = row.get("answer")
        answered = f"{answer['field']} ({answer['type']})" if answer else ""
        table.add_row(row["kind"], row["id"], row["label"], answered, row["source"])
    show(table)


@app.command()
def verify(
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
    ] = ListFormat.table,
    show_conflicts: Annotated[
        bool, typer.Option("--conflicts/--no-conflicts", help="List every settled conflict region (table format).")
    ] = True,
) -> None:
    """Check the encoded policy: gaps, contradictions, conflicts, dead clauses, invariants, versions.

    Exit status 0 only when no unresolved problem remains. Every finding comes with a
    concrete case in the input format, ready for `reasoner check`.
    """
    from reasoner.render_verify import verify_view
    from reasoner.verify import verify as run_verify

    with errors_to_exit(), stderr_console().status("searching the whole input space…"):
        report = run_verify()
    if output_format is ListFormat.json:
        print_json(report.to_json())
    else:
        show(verify_view(report, show_conflicts=show_conflicts))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="The address to listen on (localhost by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, metavar="BYTES", help="The largest request body accepted.")
    ] = 1 << 20,
) -> None:
    """Serve the JSON API and the Da Vinci CRD (CDS Hooks) coverage service over HTTP.

    POST /decide, POST /decide/batch, GET /conditions, GET /schema/case, GET /schema/decision,
    GET /health, GET /cds-services, POST /cds-services/{id}, GET /Questionnaire/{id},
    POST /decide/fhir; the OpenAPI description at /openapi.json (docs/service.md).
    """
    import uvicorn  # the web stack loads only here: `check` starts as fast as before

    from reasoner.service.app import MAX_BODY_VARIABLE

    os.environ[MAX_BODY_VARIABLE] = str(max_body)
    uvicorn.run("reasoner.service.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


@app.command()
def diff(
    from_version: Annotated[
        str | None, typer.Option("--from", metavar="VERSION", help="The earlier version (default: the one "
                                 "before --to).")
    ] = None,
    to_version: Annotated[
        str | None, typer.Option("--to", metavar="VERSION", help="The later version (default: the latest).")
    ] = None,
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
    ] = ListFormat.table,
) -> None:
    """What changed between two versions of the policy, and which cases decide differently.

    Lists the clauses and billing rules the revision added, removed or changed, then searches
    the whole input space (as `verify` does) for every region of cases whose decision differs,
    with a witness case for each that `check` (and `check --as-of`) reproduces. Exit status 0
    when the comparison ran.
    """
    from reasoner.diff import diff as compare
    from reasoner.render_diff import diff_view

    with errors_to_exit(), stderr_console().status("comparing the versions over the whole input space…"):
        result = compare(from_version, to_version)
    if output_format is ListFormat.json:
        print_json(result.to_json())
    else:
        show(diff_view(result))


@app.command()
def schema(
    output: Annotated[
        bool, typer.Option("--output", help="Print the schema of the decision (`check --format json`) instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the input case (or, with --output, of the decision)."""
    if output:
        from reasoner.decision_schema import decision_json_schema

        print_json(decision_json_schema())
        return
    from reasoner.case import case_json_schema

    print_json(case_json_schema())


@app.command()
def report(
    output: Annotated[
        str, typer.Argument(metavar="OUT.jsonl", help="An output file of `reasoner batch`; - for standard input.")
    ],
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
    ] = ListFormat.table,
) -> None:
    """Summarise a batch run from its output: the numbers of `batch --summary` (time fields null).

    A line that is not a batch record is counted as unreadable and named on standard error;
    exit status 2 only when the file cannot be read.
    """
    from reasoner.batch_report import BatchSummary, summary_view
    from reasoner.inputs import STDIN, open_lines

    summary = BatchSummary()
    unreadable: list[int] = []
    with errors_to_exit():
        stream = open_lines(output)
        try:
            for number, raw in enumerate(stream, 1):
                try:
                    record = json.loads(raw)
                except (ValueError, RecursionError):
                    record = None
                if not summary.add(record):
                    unreadable.append(number)
        except OSError as error:
            raise InputFileError(f"{output}: cannot be read ({error.strerror})") from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    name = "standard input" if output == STDIN else output
    if unreadable:
        shown = ", ".join(str(number) for number in unreadable[:10]) + (", …" if len(unreadable) > 10 else "")
        print(f"warning: {name}: {len(unreadable)} lines are not batch records (lines {shown})", file=sys.stderr)
    data = summary.to_json(None)
    if output_format is ListFormat.json:
        print_json(data)
    else:
        show(summary_view(data, title=f"batch report: {name}"))

