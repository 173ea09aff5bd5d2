"""Output that cannot be written, and standard streams that are closed or not text: one line on
standard error and exit 2, for every command, never a traceback."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_console_without_utf8_gets_a_plain_tree_and_the_same_json(encoding: str) -> None:
    """Under a cp1252 or ASCII output encoding nothing crashes: the tree falls back to ASCII marks
    and lines, and JSON escapes what the console cannot show (the same JSON)."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "100"}
    tree = run(["check", str(ROOT / "examples" / "pump-upgrade-for-new-technology.json")], env=env)
    assert tree.returncode == 0, tree.stderr
    text = tree.stdout.decode(encoding)
    assert "+ The current pump or PDM still functions [current_functioning]" in text
    assert b"Traceback" not in tree.stderr
    plain = run(["check", VGO, "--format", "json"], env=env)
    utf8 = run(["check", VGO, "--format", "json"])
    assert plain.returncode == 0
    assert json.loads(plain.stdout) == json.loads(utf8.stdout)
    table = run(["conditions"], env=env)
    assert table.returncode == 0
    assert b"Traceback" not in table.stderr


MEMORY_PROBE = """
import json, resource, sys
from reasoner import ResourceError, decide
decide(json.loads(sys.argv[1]))  # everything loaded and grounded once
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 8 * 2**20, size + 8 * 2**20))  # 8 MB more, no further
try:
    decide(json.loads(sys.argv[2]))
    print("DECIDED")
except ResourceError as error:
    print("RESOURCE", error)
"""


def test_running_out_of_memory_is_a_resource_error() -> None:
    """clingo's bad_alloc on a case too large for the memory allowed is a ResourceError (the command
    line maps it to one line and exit 2 like every ReasonerError), never a crash."""
    small = json.loads(Path(VGO).read_text(encoding="utf-8"))
    lines = [{"line": n, "hcpcs": "E0781", "modifiers": ["RR"], "date": f"2020-07-{n % 28 + 1:02d}", "amount": 10}
             for n in range(1, 401)]
    large = {"case_id": "big", "date_of_service": "2020-07-01", "therapy": {"drug": "epoprostenol"},
             "device": {"kind": "infusion_pump", "hcpcs": "E0781", "acquisition": "rental", "purchase_price": 1000},
             "claim_lines": lines}
    completed = subprocess.run([sys.executable, "-c", MEMORY_PROBE, json.dumps(small), json.dumps(large)],
                               capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert "Traceback" not in completed.stderr, completed.stderr
    assert completed.stdout.strip() == "RESOURCE not enough memory to decide this case (clingo ran out of it)"


def test_ctrl_c_stops_check_at_once_even_while_clingo_grounds() -> None:
    """Interrupting must stop a command promptly: Python cannot run a handler inside clingo's C
    code, so `check` leaves Ctrl-C to the system, which ends it at once, without a traceback."""
    import datetime
    import signal
    import time

    # A pump rented daily past its price: from the 50th line each line's reasons name every earlier
    # line, so grounding takes seconds (800 lines on one day took 0.4 s in all once the programs
    # were stored ready to load, and Ctrl-C came after the work was done).
    start = datetime.date(2021, 1, 4)
    lines = [{"line": n, "hcpcs": "E0781", "modifiers": ["RR"], "amount": 100,
              "date": (start + datetime.timedelta(days=n)).isoformat()} for n in range(1, 801)]
    case = {"case_id": "big", "date_of_service": start.isoformat(), "therapy": {"drug": "epoprostenol"},
            "device": {"kind": "infusion_pump", "hcpcs": "E0781", "acquisition": "rental", "purchase_price": 5000,
                       "rental_paid_to_date": 100},
            "claim_lines": lines}
    process = subprocess.Popen([*REASONER, "check", "-", "--format", "json"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdin is not None
    process.stdin.write(json.dumps(case).encode())
    process.stdin.close()
    time.sleep(0.3)  # starting, reading or grounding: Ctrl-C must end it whichever
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    returncode = process.wait(timeout=30)
    assert time.monotonic() - sent < 2
    assert returncode == -signal.SIGINT
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()
