"""The console script's entry point and what every command shares: output, exit codes, errors.

Kept free of typer, so that the most common call, ``reasoner check CASE.json`` (with
``--format``, ``--full``, ``--as-of``), runs without loading the command-line library: its
arguments are read here when they are exactly of that form, and everything else (other
commands, ``--help``, a usage mistake, an option written another way) goes to the typer
application in reasoner/cli.py, which defines the same options and has the last word on them.
Both paths decide through ``check_case``, with one mapping of errors to messages and exit codes.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from reasoner.errors import InputFileError, InvalidCase, ReasonerError, RulesError
from reasoner.outputs import json_text, message_line

if TYPE_CHECKING:
    from rich.console import Console

EXIT_INVALID = 2
EXIT_RULES = 3
CASE_FORMATS = ("tree", "json")


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


# What a plain (non-UTF) terminal shows instead of the tree's marks and typographic characters.
ASCII_TEXT = str.maketrans({"\u2714": "+", "\u2718": "x", "\u201c": '"', "\u201d": '"', "\u2019": "'",
                            "\u2026": "...", "\u2192": "->", "\u2014": "-", "\u00a0": " "})


def stdout_is_plain() -> bool:
    """Standard output cannot carry UTF-8 (a cp1252 or ASCII console)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "✔“…├".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def show(renderable: object) -> None:
    """Print a view; on a plain console, as plain text with ASCII marks (never an encoding crash)."""
    if not stdout_is_plain():
        stdout_console().print(renderable)
        return
    from rich.console import Console

    class PlainBuffer(io.StringIO):
        encoding = "ascii"  # rich then draws trees and tables with ASCII lines

    width = stdout_console().width
    buffer = PlainBuffer()
    Console(file=buffer, width=width, color_system=None, highlight=False, legacy_windows=False,
            emoji=False).print(renderable)
    text = buffer.getvalue().translate(ASCII_TEXT)
    sys.stdout.write(text.encode(sys.stdout.encoding or "ascii", errors="replace").decode(
        sys.stdout.encoding or "ascii"))


def print_json(data: object) -> None:
    """JSON on standard output: plain consoles get \\u escapes, which is the same JSON."""
    print(json_text(data, indent=2, ascii_only=stdout_is_plain()))


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """The one place where errors become messages and exit codes: never a traceback."""
    try:
        yield
    except (InvalidCase, InputFileError) as error:
        for problem in error.problems():
            print(f"error: {message_line(problem)}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None
    except RulesError as error:
        print(f"internal error in the rules: {message_line(str(error))}", file=sys.stderr)
        raise SystemExit(EXIT_RULES) from None
    except ReasonerError as error:
        print(f"error: {message_line(str(error))}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


AS_OF_HELP = "Decide under the version of the policy in force on DATE (YYYY-MM-DD), not on the date of service."


def check_case(case: str, output_format: str, full: bool, as_of: str | None) -> None:
    """`reasoner check`: decide one case and print the decision with its explanation."""
    from reasoner.case_types import read_plain_case
    from reasoner.engine import decide
    from reasoner.inputs import read_case_json

    with errors_to_exit():
        data = read_case_json(case)
        # Read without pydantic when the plain reading vouches for the case (a valid case); the
        # model decides, and words the errors, for any other.
        plain = read_plain_case(data)
        decision = decide(data if plain is None else plain, as_of=as_of)
    if output_format == "json":
        print_json(decision.to_json())
    else:
        from reasoner.render import decision_view

        show(decision_view(decision, full=full))


def plain_check_arguments(arguments: Sequence[str]) -> tuple[str, str, bool, str | None] | None:
    """The arguments of ``check CASE [--format|-f tree|json] [--full] [--as-of DATE]``, each
    option at most once and written as two words; None for any other command line."""
    if not arguments or arguments[0] != "check":
        return None
    case: str | None = None
    options: dict[str, str | None] = {}
    words = iter(arguments[1:])
    for word in words:
        if word in ("--format", "-f", "--as-of"):
            name = "--format" if word == "-f" else word
            value = next(words, None)
            if name in options or value is None or (value.startswith("-") and value != "-"):
                return None
            options[name] = value
        elif word == "--full" and word not in options:
            options[word] = None
        elif case is None and (word == "-" or not word.startswith("-")):
            case = word
        else:
            return None
    output_format = options.get("--format", "tree")
    if case is None or output_format not in CASE_FORMATS:
        return None
    return case, str(output_format), "--full" in options, options.get("--as-of")


def _run(arguments: Sequence[str]) -> bool:
    """Carry out a command line; True when it was a plain `check` whose output is written and
    flushed (errors leave by SystemExit, from errors_to_exit or typer)."""
    plain = plain_check_arguments(arguments)
    if plain is None:
        from reasoner.cli import app

        app()
        return False
    check_case(*plain)
    for stream in (sys.stdout, sys.stderr):  # either may be closed (`2>&-`): None
        if stream is not None:
            stream.flush()
    return True


def main() -> None:
    """The command line, returning to its caller (a test, a profiler, an embedding program)."""
    _carry_out(sys.argv[1:])


def script() -> None:
    """The console script and `python -m reasoner`: main(), except that after a plain `check` the
    process ends at once: its output is flushed and nothing is left to write, so the interpreter's
    teardown (freeing the ground programs, every module and object: about 15 ms of a `check` of
    150) is skipped. Not under a profiler or tracer (cProfile, coverage), whose results are
    written at exit; an error leaves the usual way."""
    if _carry_out(sys.argv[1:]) and not _observed():
        os._exit(0)


def _observed() -> bool:
    """A profiler or tracer watches this process (it writes what it gathered at exit)."""
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: coverage's own hook
    watched = monitoring is not None and any(monitoring.get_tool(tool) for tool in range(6))
    return watched or sys.getprofile() is not None or sys.gettrace() is not None


def _carry_out(arguments: Sequence[str]) -> bool:
    """_run with output that cannot be written made one line and exit 2."""
    # This process loads no pydantic plugin: skip their discovery (tens of ms at start-up).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Ctrl-C ends a command at once, even inside clingo's grounding (where Python cannot run a
    # handler until the C call returns); `ask` and `batch`, which have something to tidy up,
    # take it back as KeyboardInterrupt.
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # an ignored Ctrl-C stays ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.stdout is None:
        _fail_output("standard output is closed")
    if stdout_is_plain() and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")  # a character the console lacks is never a crash
    try:
        return _run(arguments)
    except BrokenPipeError:
        _quiet_stdout()  # the reader went away (`... | head`): stop quietly, as Unix tools do
        raise SystemExit(0) from None
    except OSError as error:  # reading errors are mapped where files are read: this is output
        _fail_output(f"the output cannot be written ({error.strerror or error})")
    except MemoryError:
        _fail_output("not enough memory to decide this case")


def _fail_output(reason: str) -> NoReturn:
    if sys.stderr is not None:
        print(f"error: {reason}", file=sys.stderr)
    _quiet_stdout()
    raise SystemExit(EXIT_INVALID)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    except OSError:
        pass
