"""Output that cannot be written, and standard streams that are closed or not text: one line on
standard error and exit 2, for every command, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VGO = str(ROOT / "examples" / "v-go.json")
REASONER = [sys.executable, "-m", "reasoner"]
DEV_FULL = Path("/dev/full")


def run(args: list[str], **options: object) -> subprocess.CompletedProcess[bytes]:
    completed: subprocess.CompletedProcess[bytes] = subprocess.run(  # type: ignore[call-overload]
        [*REASONER, *args], capture_output=options.pop("capture", True), timeout=120, check=False, cwd=ROOT,
        **options,
    )
    return completed


@pytest.mark.skipif(not DEV_FULL.exists(), reason="this system has no /dev/full to fill")
@pytest.mark.parametrize("args", [
    ["check", VGO], ["check", VGO, "--format", "json"], ["conditions"], ["conditions", "--format", "json"],
    ["verify", "--format", "json"], ["diff"], ["schema"], ["batch", VGO, "--no-progress"],
])
def test_a_full_device_is_one_line_and_exit_2(args: list[str]) -> None:
    with DEV_FULL.open("wb") as full:
        completed = run(args, stdout=full, stderr=subprocess.PIPE, capture=False)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.decode().splitlines() == ["error: the output cannot be written (No space left on device)"]


def test_an_out_file_that_refuses_writes_is_one_line_and_exit_2() -> None:
    completed = run(["batch", VGO, "--out", "/proc/version", "--no-progress"])
    assert completed.returncode == 2
    [line] = completed.stderr.decode().splitlines()
    assert line.startswith("error: ")
    assert b"Traceback" not in completed.stderr


def test_closed_standard_streams_are_one_line_and_exit_2() -> None:
    closed_in = subprocess.run(f"{sys.executable} -m reasoner check - <&-", shell=True, capture_output=True,
                               timeout=120, check=False, cwd=ROOT)
    assert closed_in.returncode == 2
    assert closed_in.stderr.decode().splitlines() == ["error: standard input: is closed"]
    closed_out = subprocess.run(f"{sys.executable} -m reasoner check {VGO} >&-", shell=True, capture_output=False,
                                stderr=subprocess.PIPE, timeout=120, check=False, cwd=ROOT)
    assert closed_out.returncode == 2
    assert closed_out.stderr.decode().splitlines() == ["error: standard output is closed"]


@pytest.mark.parametrize("locale", ["C.UTF-8", "C", "en_US.UTF-8"])
def test_standard_input_that_is_not_utf8_is_named_as_such(locale: str) -> None:
    env = {**os.environ, "LC_ALL": locale}
    completed = run(["check", "-"], input=b'{"case_id": "\xe9"}', env=env)
    assert completed.returncode == 2
    assert completed.stderr.decode().splitlines() == ["error: standard input: is not UTF-8 text"]
