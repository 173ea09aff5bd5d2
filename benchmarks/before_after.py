"""The benchmark on an earlier commit and on the working tree, one after the other, side by side.

    .venv/bin/python benchmarks/before_after.py --before a589370 -- --quick

The earlier commit is checked out in a temporary git worktree and given this tree's
benchmarks/ (so both sides are measured by the same script); arguments after `--` go to
benchmarks/run.py on both sides. Figures of one run of the machine compare; figures of two
days do not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.earlier import earlier_tree  # noqa: E402

FIGURES = [  # (label, key in run.py's JSON, index in a pair or None, higher is better)
    ("floor, cases/s", "floor_cases_per_s", None, True),
    ("grounding per case, ms", "grounding_ms_per_case", None, False),
    ("grounding per case, decisions only, ms", "grounding_ms_per_case_decisions_only", None, False),
    ("decide(), decision only, median ms", "latency_ms_decision_only", 0, False),
    ("decide(), explained, median ms", "latency_ms_with_explanation", 0, False),
    ("decide(), explained, p99 ms", "latency_ms_with_explanation", 1, False),
    ("decide(), explained, p99 ms, the benchmark's grown process", "latency_ms_with_explanation_grown", 1, False),
    ("batch, decisions only, 1 job, cases/s", "batch_decisions_only_jobs1", None, True),
    ("batch, decisions only, 1 job, repeating, cases/s", "batch_decisions_only_repeating_jobs1", None, True),
    ("batch, decisions only, 2 jobs (CLI), cases/s", "batch_memory_mb_and_rate", 1, True),
    ("batch, explained, 1 job, cases/s", "batch_explained_jobs1", None, True),
    ("batch, explained, 2 jobs, cases/s", "batch_explained_jobs2", None, True),
    ("explained, uniform corpus, solves per case", "explained_uniform_rate_and_solves", 1, False),
    ("explained, repeating corpus, cases/s", "explained_repeating_rate_and_solves", 0, True),
    ("explained, repeating corpus, solves per case", "explained_repeating_rate_and_solves", 1, False),
    ("reasoner check, whole process, median ms", "cli_check_ms", None, False),
    ("reasoner verify, whole process, median ms", "cli_verify_ms", None, False),
    ("peak memory, 2-job batch, RSS summed, MB", "batch_memory_mb_and_rate", 0, False),
    ("peak memory, 2-job batch, PSS summed, MB", "batch_memory_mb_and_rate", 2, False),
]


def measure(tree: Path, arguments: list[str]) -> dict[str, Any]:
    print(f"… benchmark in {tree}", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "benchmarks/run.py", *arguments, "--json"], cwd=tree,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmarks/run.py failed in {tree}:\n{done.stderr[-2000:]}")
    print(done.stdout, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def figure(results: dict[str, Any], key: str, index: int | None) -> float | None:
    value = results.get(key)
    if value is None:
        return None
    return float(value[index] if index is not None else value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the earlier commit")
    parser.add_argument("run_arguments", nargs="*", help="arguments for benchmarks/run.py (after --)")
    args = parser.parse_args()
    with earlier_tree(args.before) as earlier:
        before = measure(earlier, args.run_arguments)
        after = measure(ROOT, args.run_arguments)
    print(f"| figure | before ({args.before}) | after | after / before |")
    print("|---|---|---|---|")
    for label, key, index, _higher in FIGURES:
        old, new = figure(before, key, index), figure(after, key, index)
        ratio = f"{new / old:.2f}x" if old and new is not None else ""
        shown = ["" if value is None else f"{value:,.3g}" for value in (old, new)]
        print(f"| {label} | {shown[0]} | {shown[1]} | {ratio} |")


if __name__ == "__main__":
    main()
