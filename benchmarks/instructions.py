"""Instructions executed per case, on an earlier commit and on the working tree (valgrind).

    .venv/bin/python benchmarks/instructions.py --before 17b765c
    .venv/bin/python benchmarks/instructions.py --before 17b765c --workloads explained --cases 100

On a machine whose speed moves by 30 % from one minute to the next, wall-clock ratios of two
runs cannot show a change of 5 %; the number of instructions a workload executes hardly moves
(valgrind's cachegrind counts them, without cache simulation, about 50 times slower than a run).
Each workload runs twice per tree, with one case and with one case and then ``--cases`` more, and
the difference, divided by the cases, is what one case costs: start-up, imports and what the first
case builds once per process cancel out. The earlier
commit is checked out in a temporary git worktree and given this tree's benchmarks/, as
benchmarks/before_after.py does. An instruction is not a unit of time (a cache miss is not
counted): this script shows whether a change removes work; benchmarks/run.py says how fast.

Workloads (the uniform corpus of benchmarks/corpus.py, one job, in one process):
  decisions   the batch path, decisions only
  explained   the batch path, each case explained
  check       `reasoner check` of one bundled example (the whole process: no subtraction)
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.earlier import earlier_tree  # noqa: E402

WORKLOADS = ("decisions", "explained", "check")
DEFAULT_CASES = {"decisions": 400, "explained": 100}
EXAMPLE = "examples/insulin-pump-type1.json"
TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


def run_workload(name: str, cases: int) -> None:
    """Inside valgrind, in the tree under test: the workload itself."""
    sys.path.insert(0, str(Path.cwd()))
    if name == "check":
        sys.argv = ["reasoner", "check", EXAMPLE]
        runpy.run_module("reasoner", run_name="__main__", alter_sys=True)  # `python -m reasoner`
        return
    from benchmarks.corpus import corpus_lines
    from reasoner.batch import run_batch

    explained = name == "explained"
    lines = list(enumerate(corpus_lines(cases + 1), 1))
    for _ in run_batch(lines[:1], jobs=1, explanation=explained):  # what happens once per process
        pass
    for _ in run_batch(lines[1:], jobs=1, explanation=explained):
        pass


# As an installation runs: the package's bytecode cached (see CACHED_BYTECODE in run.py).
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def instructions(tree: Path, name: str, cases: int, scratch: Path) -> int:
    workload = [sys.executable, str(tree / "benchmarks" / "instructions.py"), "--run", name, str(cases)]
    # One run outside valgrind first: bytecode and the rules' disk cache as a second run finds them.
    subprocess.run(workload, cwd=tree, capture_output=True, check=False, env=ENVIRONMENT)
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
               f"--cachegrind-out-file={scratch / 'cachegrind.out'}", *workload]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False, env=ENVIRONMENT)
    found = TOTAL.search(done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"the {name} workload failed in {tree}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_case(tree: Path, name: str, cases: int, scratch: Path) -> float:
    print(f"… {name} in {tree}", file=sys.stderr, flush=True)
    if name == "check":
        return float(instructions(tree, name, 0, scratch))
    return (instructions(tree, name, cases, scratch) - instructions(tree, name, 0, scratch)) / cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="the earlier commit")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--cases", type=int, help="cases per batch workload (default: 400 decisions, 100 explained)")
    parser.add_argument("--run", nargs=2, metavar=("WORKLOAD", "CASES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_workload(args.run[0], int(args.run[1]))
        return
    if args.before is None:
        parser.error("--before is required")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: this script counts instructions with its cachegrind tool")
    with tempfile.TemporaryDirectory() as folder, earlier_tree(args.before) as earlier:
        scratch = Path(folder)
        print(f"| workload | before ({args.before}), instructions | after | after / before |")
        print("|---|---|---|---|")
        for name in args.workloads:
            cases = args.cases or DEFAULT_CASES.get(name, 0)
            old, new = (per_case(tree, name, cases, scratch) for tree in (earlier, ROOT))
            unit = "per case" if name != "check" else "whole process"
            print(f"| {name} ({unit}) | {old / 1e6:,.2f} M | {new / 1e6:,.2f} M | {new / old:.3f}x |", flush=True)

if __name__ == "__main__":
    main()
