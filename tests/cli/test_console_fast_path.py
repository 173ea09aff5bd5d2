"""A plain `reasoner check` runs without typer, and prints what the typer command prints.

reasoner/console.py reads the arguments of `check CASE [--format|-f F] [--full] [--as-of D]`
itself (each option once, as two words) and leaves every other command line to the typer
application, which defines the same options: so the fast path must accept only what typer
accepts the same way, and both must give the same bytes and exit code.
"""

from __future__ import annotations

import json
import os
import pstats
import subprocess
import sys
from pathlib import Path

import pytest

from reasoner.console import plain_check_arguments

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "heparin-at-home.json")


@pytest.mark.parametrize(("arguments", "read"), [
    (["check", "a.json"], ("a.json", "tree", False, None)),
    (["check", "-"], ("-", "tree", False, None)),
    (["check", "a.json", "--format", "json"], ("a.json", "json", False, None)),
    (["check", "-f", "tree", "a.json", "--full"], ("a.json", "tree", True, None)),
    (["check", "a.json", "--as-of", "2020-05-01", "-f", "json"], ("a.json", "json", False, "2020-05-01")),
])
def test_the_plain_forms_are_read(arguments: list[str], read: tuple[str, str, bool, str | None]) -> None:
    assert plain_check_arguments(arguments) == read


@pytest.mark.parametrize("arguments", [
    [], ["verify"], ["check"], ["check", "--help"], ["check", "a.json", "b.json"],
    ["check", "a.json", "--format"], ["check", "a.json", "--format", "JSON"], ["check", "a.json", "--format=json"],
    ["check", "a.json", "-fjson"], ["check", "a.json", "--full", "--full"],
    ["check", "a.json", "-f", "json", "--format", "tree"], ["check", "a.json", "--as-of", "--full"],
    ["check", "a.json", "--bogus"], ["check", "--", "a.json"], ["batch", "check", "a.json"],
])
def test_every_other_command_line_goes_to_typer(arguments: list[str]) -> None:
    assert plain_check_arguments(arguments) is None


def run(code: str, *arguments: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    if cache is not None:
        env["REASONER_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


FAST = "import sys; from reasoner.console import main; sys.argv[0] = 'reasoner'; main()"
TYPER = "from reasoner.cli import app; app(prog_name='reasoner')"


def probe(expression: str) -> str:
    """FAST, printing ``expression`` to standard error once main() has returned."""
    return f"{FAST}; print({expression}, file=sys.stderr, flush=True)"


@pytest.mark.parametrize("arguments", [
    ["check", EXAMPLE, "--format", "json"],
    ["check", EXAMPLE],
    ["check", EXAMPLE, "--full", "--as-of", "2020-05-01"],
    ["check", EXAMPLE, "--as-of", "2020-13-01"],
    ["check", str(ROOT / "no-such-case.json")],
])
def test_the_fast_path_prints_what_the_typer_command_prints(arguments: list[str]) -> None:
    assert plain_check_arguments(arguments) is not None
    fast, typed = run(FAST, *arguments), run(TYPER, *arguments)
    assert (fast.returncode, fast.stdout, fast.stderr) == (typed.returncode, typed.stdout, typed.stderr)


def test_the_fast_path_loads_no_typer() -> None:
    done = run(probe("'typer' in sys.modules, 'click' in sys.modules"), "check", EXAMPLE, "--format", "json")
    assert done.returncode == 0
    assert done.stderr.strip().splitlines()[-1] == "False False"


PYDANTIC_PROBE = probe("'pydantic' in sys.modules")


@pytest.mark.parametrize("output_format", ["tree", "json"])
def test_a_valid_case_is_checked_without_loading_pydantic(output_format: str) -> None:
    # The plain reading (reasoner/case_plain.py) vouches for a valid case: pydantic's import and
    # the case model's build, about a third of `check`'s start-up, are not paid.
    done = run(PYDANTIC_PROBE, "check", EXAMPLE, "--format", output_format)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_a_check_with_the_rules_cached_parses_no_rule_into_python(tmp_path: Path) -> None:
    # The sliced programs stored by the first check are loaded by clingo itself (ADR 0013): the
    # second parses no statement into Python, so it loads neither clingo's AST nor the slicer.
    modules = probe("'clingo.ast' in sys.modules, 'reasoner._slice' in sys.modules")
    first, second = (run(modules, "check", EXAMPLE, cache=tmp_path / "cache") for _ in range(2))
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert first.stdout == second.stdout
    assert first.stderr.strip().splitlines()[-1] == "True True"  # sliced from the rule files
    assert second.stderr.strip().splitlines()[-1] == "False False"


@pytest.mark.parametrize(("field", "problem"), [
    ('"member": {"age": 131}', "member.age: Input should be less than or equal to 130"),
    # JSON can escape a lone surrogate, which is no text: the model refuses it, so the plain reading
    # must leave it to the model (else the decision's output would fail to encode it)
    ('"case_id": "\\ud800"', "case_id: Input should be a valid string, unable to parse raw data as a unicode string"),
])
def test_an_invalid_case_is_left_to_the_model_which_names_the_field(tmp_path: Path, field: str, problem: str) -> None:
    case = tmp_path / "case.json"
    fields = {"case_id": '"case_id": "c"', "date_of_service": '"date_of_service": "2020-06-01"',
              "device": '"device": {"kind": "v_go"}'}
    fields[field.split(":")[0].strip('"')] = field
    case.write_text("{" + ", ".join(fields.values()) + "}", encoding="utf-8")
    for output_format in ("json", "tree"):
        done = run(FAST, "check", str(case), "--format", output_format)
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.splitlines() == [f"error: {problem}"]  # one line, in the model's words


SCRIPT = "import sys; from reasoner.console import script; sys.argv[0] = 'reasoner'; script()"
AT_EXIT = "import atexit, sys; atexit.register(print, 'teardown', file=sys.stderr); "


def test_a_plain_check_leaves_at_once_with_its_whole_output(tmp_path: Path) -> None:
    # The console script, after printing, ends without the interpreter's teardown (about a tenth
    # of a check): no exit handler runs, and the output, flushed first, is whole in a file as in
    # a pipe.
    out = tmp_path / "decision.txt"
    with out.open("w", encoding="utf-8") as stdout:
        done = subprocess.run([sys.executable, "-c", AT_EXIT + SCRIPT, "check", EXAMPLE, "-f", "json"],
                              stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
                              check=False, env={**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"})
    typed = run(TYPER, "check", EXAMPLE, "-f", "json")
    assert (done.returncode, done.stderr) == (0, "")
    assert len(typed.stdout) > 8192  # more than one buffer's worth
    assert out.read_text(encoding="utf-8") == typed.stdout
    refused = run(AT_EXIT + SCRIPT, "check", str(ROOT / "no-such-case.json"))
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == "teardown"  # an error leaves the usual way


def test_main_returns_to_its_caller_after_a_plain_check() -> None:
    # An embedding program (or a test) that calls main() goes on after it: only the console
    # script leaves at once.
    done = run(AT_EXIT + FAST + "; print('after main', file=sys.stderr)", "check", EXAMPLE, "-f", "json")
    assert done.returncode == 0
    assert done.stderr.splitlines()[-2:] == ["after main", "teardown"]
    assert json.loads(done.stdout)["decision"]


def test_a_plain_check_with_standard_error_closed_still_succeeds() -> None:
    # `reasoner check CASE 2>&-`: nothing is written to standard error, so its absence is no failure.
    done = subprocess.run([sys.executable, "-m", "reasoner", "check", EXAMPLE, "-f", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, cwd=ROOT, timeout=120, check=False, close_fds=True,
                          preexec_fn=lambda: os.close(2))
    assert done.returncode == 0
    assert json.loads(done.stdout)["decision"]


def test_a_profiled_check_keeps_its_profile(tmp_path: Path) -> None:
    # Under cProfile the process does not leave early: the profile, written at exit, is complete.
    profile = tmp_path / "check.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "reasoner", "check",
                           EXAMPLE, "-f", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"]
    stats = pstats.Stats(str(profile))
    assert any(name == "decide" for (_, _, name) in stats.stats)  # type: ignore[attr-defined]
