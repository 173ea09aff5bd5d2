"""Real processes: the installed console script and `python -m reasoner`.

These prove what CliRunner cannot: the exit status the shell sees, and that no traceback
reaches a user's terminal (docs/contract.md section 3).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPT = Path(sys.executable).with_name("reasoner")
LAUNCHERS = {
    "script": [str(SCRIPT)],
    "module": [sys.executable, "-m", "reasoner"],
}


def run(
    launcher: str, *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [*LAUNCHERS[launcher], *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    result = subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    return result


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> list[str]:
    assert result.returncode != 0, f"accepted bad input: {result.stdout}"
    assert result.stdout.strip() == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "the refusal must say why on standard error"
    for fragment in fragments:
        assert any(fragment in line for line in lines), f"no line names {fragment!r}: {lines}"
    return lines


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: is the package installed in this venv?"


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_check_json_in_a_real_process(launcher: str, tmp_path: Path) -> None:
    path = EXAMPLES / "insulin-pump-type1.json"
    case = json.loads(path.read_text(encoding="utf-8"))
    result = run(launcher, "check", str(path), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["case_id"] == case["case_id"]
    assert decision["decision"] == "covered"


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_check_tree_from_stdin_in_a_real_process(launcher: str) -> None:
    data = (EXAMPLES / "v-go.json").read_bytes()
    result = run(launcher, "check", "-", stdin=data)
    assert result.returncode == 0, result.stderr
    assert "EX-02" in result.stdout


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_invalid_case_in_a_real_process(launcher: str, tmp_path: Path) -> None:
    case: dict[str, Any] = json.loads((EXAMPLES / "v-go.json").read_text(encoding="utf-8"))
    case["member"]["age"] = True
    case["claim_lines"][0]["modifiers"] = ["NUX"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    lines = refused(run(launcher, "check", str(path)), "member.age", "claim_lines[0].modifiers")
    assert len(lines) == 2, lines


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing", None, "missing.json"),
        ("not-utf8", '{"case_id": "\u00e9"}'.encode("latin-1"), "not-utf8.json"),
        ("not-json", b'{"case_id": ', "not-json.json"),
        ("array", b"[1, 2, 3]", "object"),
    ],
    ids=["missing", "not-utf8", "not-json", "array"],
)
def test_unreadable_inputs_in_a_real_process(
    name: str, content: bytes | None, fragment: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.json"
    if content is not None:
        path.write_bytes(content)
    refused(run("script", "check", str(path)), fragment)


def test_folder_in_a_real_process(tmp_path: Path) -> None:
    refused(run("module", "check", str(tmp_path)), str(tmp_path))


def test_batch_in_a_real_process_with_two_jobs(tmp_path: Path) -> None:
    cases = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(EXAMPLES.glob("*.json"))
        if p.name != "expected.json"
    ]
    lines = [json.dumps(dict(cases[n % len(cases)], case_id=f"P-{n}")) for n in range(70)]
    lines[40] = "{oops"
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = run("script", "batch", str(source), "--no-progress")
    two = run("module", "batch", str(source), "--jobs", "2")  # progress on: stderr only
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert two.stdout == one.stdout
    records = [json.loads(line) for line in one.stdout.splitlines()]
    assert len(records) == 70
    assert records[40]["line"] == 41
    assert "error" in records[40]
    assert [r["case_id"] for r in records[:3]] == ["P-0", "P-1", "P-2"]


def test_conditions_and_schema_in_a_real_process() -> None:
    rows = json.loads(run("module", "conditions", "--format", "json").stdout)
    assert rows
    assert all(row["source"].strip() for row in rows)
    schema = json.loads(run("script", "schema").stdout)
    assert "case_id" in schema["properties"]


def test_check_never_loads_the_web_stack() -> None:
    """`reasoner serve` must not make `check` slower to start: the web stack loads only for serve."""
    probe = (  # a plain check leaves by os._exit (no teardown): the probe reports as it leaves
        "import os, sys, runpy\n"
        f"sys.argv = ['reasoner', 'check', {str(ROOT / 'examples' / 'v-go.json')!r}, '--format', 'json']\n"
        "def report():\n"
        "    loaded = sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'httpx') if m in sys.modules)\n"
        "    print('LOADED', loaded, file=sys.stderr, flush=True)\n"
        "leave = os._exit\n"
        "os._exit = lambda code: (report(), leave(code))\n"
        "try:\n    runpy.run_module('reasoner', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "report()\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert "LOADED []" in completed.stderr, completed.stderr
