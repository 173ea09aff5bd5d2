"""Shared by the CLI tests: the examples, a CliRunner call, and the no-traceback check."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from reasoner.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.json") if p.name != "expected.json")

runner = CliRunner()


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin)


def assert_no_traceback(result: Result) -> None:
    """Only a deliberate exit may end a command: no exception escapes, no traceback printed."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"an exception escaped: {result.exception!r}\nstdout: {result.stdout}\n"
        f"stderr: {result.stderr}"
    )
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
