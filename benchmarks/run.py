"""The speed benchmark (a script, never a test): prints every figure of docs/performance.md.

    .venv/bin/python benchmarks/run.py              # the full run (20,000-case corpus)
    .venv/bin/python benchmarks/run.py --quick      # a smaller corpus, for a first look
    .venv/bin/python benchmarks/run.py --lines-only # only the time per case by lines per case

Every figure comes from one run on one seeded corpus (benchmarks/corpus.py), beside the
floor measured in the same run: clingo grounding and solving the decision program on
the same facts, with nothing of ours around it but the loop. Ratios to the floor hold
on a noisy machine where absolute figures do not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import clingo  # noqa: E402

from benchmarks.corpus import LINE_CODES, corpus, corpus_lines, make_case  # noqa: E402
from reasoner import (  # noqa: E402
    _solve,
    decide,
    parse_case,
)
from reasoner import explain as explain_module  # noqa: E402
from reasoner._facts import case_facts  # noqa: E402
from reasoner._solve import _add_facts, asp_dir  # noqa: E402
from reasoner.batch import CHUNK_LINES, run_batch  # noqa: E402

REASONER = [sys.executable, "-m", "reasoner"]


def clear_caches() -> None:
    explain_module._explain.cache_clear()
    explain_module._brief.cache_clear()
    for memo in ("_solved", "_satisfiable"):  # (the benchmark also runs on earlier code: before_after.py)
        if hasattr(explain_module, memo):
            getattr(explain_module, memo).cache_clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def floor_rate(count: int) -> float:
    """Cases per second of clingo alone: load, add the facts, ground and solve, chunk by chunk."""
    cases = [parse_case(case) for case in corpus(count)]
    chunks = [cases[i:i + CHUNK_LINES] for i in range(0, len(cases), CHUNK_LINES)]
    facts = [[f for key, case in enumerate(chunk) for f in case_facts(case, key)] for chunk in chunks]
    main = str(asp_dir() / "main.lp")
    started = time.perf_counter()
    for chunk_facts in facts:
        control = clingo.Control()
        control.load(main)
        _add_facts(control, chunk_facts)
        control.ground([("base", [])])
        control.solve()
    return count / (time.perf_counter() - started)


def grounding_per_case(count: int, entry: str = "main.lp") -> float:
    """ms of clingo's grounding per case, chunks of CHUNK_LINES, the program as decide() gives it:
    main.lp with the explanation's trace, or brief.lp for decisions only (main.lp in a tree
    without it, as before_after.py runs this on earlier code: then one program did both)."""
    if not (asp_dir() / entry).is_file():
        entry = "main.lp"
    cases = [parse_case(case) for case in corpus(count)]
    chunks = [cases[i:i + CHUNK_LINES] for i in range(0, len(cases), CHUNK_LINES)]
    spent = 0.0
    for chunk in chunks:
        control = clingo.Control()
        if hasattr(_solve, "_relevant"):  # the decision program without what no decision reads
            sliced: Any = _solve._relevant(asp_dir(), (entry,))  # (statements alone before the text cache)
            _solve._add_statements(control, getattr(sliced, "statements", sliced))
        else:
            control.load(str(asp_dir() / entry))
        _add_facts(control, [f for key, case in enumerate(chunk) for f in case_facts(case, key)])
        started = time.perf_counter()
        control.ground([("base", [])])
        spent += time.perf_counter() - started
    return spent * 1000 / count


class SolveCounter:
    """Counts the solves of prepared programs (the explanation's) while it is active, through
    each solve method of the class that defines it: GroundProgram's named ones (a program loaded
    from the disk cache is one) and PreparedProgram's (earlier code, measured by before_after.py,
    has only PreparedProgram, and there only `solve`)."""

    METHODS = ("solve", "solve_named", "satisfiable_named")

    def __init__(self) -> None:
        self.solves = 0
        classes = [getattr(_solve, name) for name in ("GroundProgram", "PreparedProgram") if hasattr(_solve, name)]
        self._originals = {(owner, name): owner.__dict__[name]
                           for owner in classes for name in self.METHODS if name in owner.__dict__}

    def __enter__(self) -> SolveCounter:
        for (owner, name), original in self._originals.items():
            setattr(owner, name, self._counted(original))
        return self

    def _counted(self, original: Any) -> Any:
        def counted(program: Any, *args: object, **kwargs: object) -> object:
            self.solves += 1
            return original(program, *args, **kwargs)

        return counted

    def __exit__(self, *_: object) -> None:
        for (owner, name), original in self._originals.items():
            setattr(owner, name, original)


def explained_in_process(count: int, repeating: bool) -> tuple[float, float]:
    """The explained batch on one job, in this process: cases/s and explanation solves per case."""
    clear_caches()
    lines = list(enumerate(corpus_lines(count, repeating=repeating), 1))
    with SolveCounter() as counter:
        started = time.perf_counter()
        done = sum(1 for _ in run_batch(lines, jobs=1, explanation=True))
        rate = done / (time.perf_counter() - started)
    return rate, counter.solves / done


def latency(count: int, explanation: bool) -> tuple[float, float]:
    """decide() on single cases, each with a cold explanation cache: median and p99 in ms."""
    times = []
    for case in corpus(count, seed=7):
        clear_caches()
        started = time.perf_counter()
        decide(case, explanation=explanation)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.99)


# Cases a new process decides, explained, before its latency is measured: enough to pay a process's
# one-time costs (both versions' programs loaded, the ICD-10-CM table built at its 65th diagnosis
# lookup, 30-50 ms), which a caller's process pays once, not in one case of a hundred.
LATENCY_WARM_UP = 100


def fresh_latency(count: int) -> dict[str, list[float]]:
    """latency() in a new process that has decided only LATENCY_WARM_UP other cases. A process
    grounds more slowly once it has decided large claims: after the claims of 1,000 lines this
    benchmark decides first, single-case grounding took about 1.6x as long (clingo keeps every
    symbol it made for the life of a process; two million symbols alone made it about 1.2x), so
    single-case latency is measured where no earlier figure of the run has grown the process, and
    in the grown process beside it."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--latency-only", str(count)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the latency process failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def latency_only(count: int) -> dict[str, list[float]]:
    for case in corpus(LATENCY_WARM_UP, seed=11):
        decide(case, explanation=True)
    return {"latency_ms_decision_only": list(latency(count, False)),
            "latency_ms_with_explanation": list(latency(count, True))}


def batch_rate(count: int, jobs: int, explanation: bool, repeating: bool = False) -> float:
    clear_caches()
    lines = list(enumerate(corpus_lines(count, repeating=repeating), 1))
    started = time.perf_counter()
    done = sum(1 for _ in run_batch(lines, jobs=jobs, explanation=explanation))
    return done / (time.perf_counter() - started)


# The command-line figures measure the package as an installation runs it, with its modules'
# bytecode cached (pip compiles it at install; an editable install caches it at first import).
# With PYTHONDONTWRITEBYTECODE set, as on the project's machine, an editable install compiles
# every module it imports in every process: about 80-100 ms more per `reasoner check` there.
CACHED_BYTECODE = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall_times(command: list[str], runs: int) -> float:
    """Median wall time of the command, after one run that lets Python cache the bytecode."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=CACHED_BYTECODE)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=CACHED_BYTECODE)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _tree_memory_kib(pid: int) -> tuple[int, int]:
    """Memory of a process and its children, from /proc (Linux): resident sizes summed (RSS, which
    counts a page the processes share once per process) and proportional sizes summed (PSS: a
    shared page split among its processes, so the sum is what the tree takes from the machine)."""
    rss, pss, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        pss += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
        todo.extend(int(child) for child in children)
    return rss, pss


def peak_batch_memory(count: int, jobs: int) -> tuple[float, float, float]:
    """Peak memory (MB, whole process tree: resident sizes summed, and proportional sizes summed)
    of `reasoner batch` over a streamed corpus, and its cases/s: (RSS, cases/s, PSS)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.jsonl"
        with path.open("w") as out:
            for line in corpus_lines(count, seed=99):
                out.write(line + "\n")
        # --out a file of the temporary folder, not /dev/null: the code of before_after.py's earlier
        # commits renames its output over --out, which replaced /dev/null with a file when run as root.
        command = [*REASONER, "batch", str(path), "--decisions-only", "--jobs", str(jobs),
                   "--no-progress", "--out", str(Path(folder) / "out.jsonl")]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT)
        peak_rss, peak_pss = 0, 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak_rss, peak_pss
            while not stop.is_set():
                rss, pss = _tree_memory_kib(process.pid)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        process.wait()
        stop.set()
        sampler.join()
        return peak_rss / 1024, count / (time.perf_counter() - started), peak_pss / 1024


LINE_COUNTS = (10, 100, 1000)


def claim_with_lines(rng: random.Random, number: int, lines: int) -> dict[str, object]:
    """A corpus case whose claim has ``lines`` lines, drawn as the corpus draws its 1 to 3.

    The dates spread over about three lines a day, so that lines share dates and weeks.
    """
    case = make_case(rng, number)
    service = date.fromisoformat(case["date_of_service"])
    case["claim_lines"] = [
        {"line": n, "hcpcs": rng.choice(LINE_CODES), "units": rng.randrange(1, 4),
         "date": (service + timedelta(days=rng.randrange(0, max(14, lines // 3)))).isoformat(),
         **({"modifiers": ["RR"]} if rng.random() < 0.2 else {}),
         **({"amount": round(rng.uniform(10, 900), 2)} if rng.random() < 0.5 else {})}
        for n in range(1, lines + 1)
    ]
    return case


def worst_claim(lines: int) -> dict[str, object]:
    """A pump rented for epoprostenol, billed daily: its price is used up by the 50th line, and from
    there each line's `because` names every earlier line (about lines^2 / 2 causes in all)."""
    start = date(2021, 1, 4)
    return {
        "case_id": f"WORST-{lines}", "date_of_service": start.isoformat(),
        "therapy": {"drug": "epoprostenol"},
        "device": {"kind": "infusion_pump", "hcpcs": "E0781", "acquisition": "rental",
                   "purchase_price": 5000, "rental_paid_to_date": 100},
        "claim_lines": [{"line": n, "hcpcs": "E0781", "modifiers": ["RR"], "amount": 100,
                         "date": (start + timedelta(days=n)).isoformat()} for n in range(1, lines + 1)],
    }


def lines_per_case(cases: int) -> dict[int, tuple[float, float]]:
    """decide() (decision only) on claims of 10, 100 and 1,000 lines: the median ms over ``cases``
    generated claims, and the ms of the worst claim of that size."""
    figures = {}
    decide(worst_claim(1), explanation=False)  # the first decision loads the catalogue
    for lines in LINE_COUNTS:
        rng = random.Random(lines)
        times = []
        for number in range(cases):
            case = claim_with_lines(rng, number, lines)
            started = time.perf_counter()
            decide(case, explanation=False)
            times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        decide(worst_claim(lines), explanation=False)
        figures[lines] = (statistics.median(times), (time.perf_counter() - started) * 1000)
    return figures


def timed(label: str, action: Callable[[], object]) -> object:
    print(f"  … {label}", file=sys.stderr, flush=True)
    return action()


def run(args: argparse.Namespace) -> dict[str, object]:
    results: dict[str, object] = {"cases": args.cases, "explain_cases": args.explain_cases}
    results["lines_per_case_ms"] = timed("lines per case", lambda: lines_per_case(args.lines_cases))
    if args.lines_only:
        return results
    results["floor_cases_per_s"] = timed("floor", lambda: floor_rate(args.cases))
    results["grounding_ms_per_case"] = timed("grounding", lambda: grounding_per_case(args.cases))
    results["grounding_ms_per_case_decisions_only"] = timed(
        "grounding", lambda: grounding_per_case(args.cases, "brief.lp"))
    for name, repeating in (("uniform", False), ("repeating", True)):
        results[f"explained_{name}_rate_and_solves"] = timed(
            f"explained, {name} corpus, solves counted",
            lambda repeating=repeating: explained_in_process(args.explain_cases, repeating),  # type: ignore[misc]
        )
    results["batch_decisions_only_repeating_jobs1"] = timed(
        "batch, repeating corpus", lambda: batch_rate(args.cases, 1, False, repeating=True))
    fresh: Any = timed("latency, in a new process", lambda: fresh_latency(args.latency_cases))
    results.update(fresh)
    results["latency_ms_with_explanation_grown"] = timed(
        "latency, in this process", lambda: latency(args.latency_cases, True))
    results["batch_decisions_only_jobs1"] = timed("batch, 1 job", lambda: batch_rate(args.cases, 1, False))
    for jobs in (1, 2):
        results[f"batch_explained_jobs{jobs}"] = timed(
            f"batch explained, {jobs} job(s)",
            lambda jobs=jobs: batch_rate(args.explain_cases, jobs, True),  # type: ignore[misc]
        )
    results["cli_check_ms"] = timed("cli check", lambda: wall_times(
        [*REASONER, "check", "examples/insulin-pump-type1.json", "--format", "json"], 7))
    results["cli_verify_ms"] = timed("cli verify", lambda: wall_times(
        [*REASONER, "verify", "--format", "json"], 3))
    results["batch_memory_mb_and_rate"] = timed(
        f"memory ({args.memory_cases:,} cases through the command line)",
        lambda: peak_batch_memory(args.memory_cases, 2))
    results["memory_cases"] = args.memory_cases
    return results


def numbers(results: dict[str, object], key: str) -> tuple[float, ...]:
    """A figure made of several numbers (a median and a p99, a rate and a count)."""
    value = results[key]
    assert isinstance(value, (tuple, list)), (key, value)
    return tuple(float(number) for number in value)


def report(results: dict[str, object]) -> Iterator[str]:
    for lines, (median, worst) in results["lines_per_case_ms"].items():  # type: ignore[attr-defined]
        yield (f"time per case by lines per case, {lines:,} lines: median {median:,.0f} ms on generated claims "
               f"({median / lines:.2f} ms a line); worst claim (each line's `because` names every earlier "
               f"line) {worst:,.0f} ms")
    if "floor_cases_per_s" not in results:
        return
    floor = float(results["floor_cases_per_s"])  # type: ignore[arg-type]
    yield f"corpus: {results['cases']:,} cases with claim lines (explained runs: {results['explain_cases']:,})"
    yield f"floor (clingo alone, chunks of {CHUNK_LINES}): {floor:,.0f} cases/s"
    for label, key in (("decide(), decision only", "latency_ms_decision_only"),
                       ("decide(), full explanation", "latency_ms_with_explanation")):
        median, p99 = numbers(results, key)
        yield f"{label}: median {median:.2f} ms, p99 {p99:.2f} ms (cold explanation cache, a new process)"
    if "latency_ms_with_explanation_grown" in results:
        median, p99 = numbers(results, "latency_ms_with_explanation_grown")
        yield (f"decide(), full explanation, in the benchmark's process after the claims of 1,000 lines and "
               f"the batches: median {median:.2f} ms, p99 {p99:.2f} ms (clingo's symbol table grown)")
    yield (f"grounding per case (chunks of {CHUNK_LINES}): {results['grounding_ms_per_case']:.3f} ms with the "
           f"explanation's trace, {results['grounding_ms_per_case_decisions_only']:.3f} ms decisions only")
    rate = float(results["batch_decisions_only_jobs1"])  # type: ignore[arg-type]
    yield f"batch, decisions only, 1 job: {rate:,.0f} cases/s ({rate / floor:.0%} of the floor)"
    rate = float(results["batch_decisions_only_repeating_jobs1"])  # type: ignore[arg-type]
    yield f"batch, decisions only, 1 job, repeating corpus: {rate:,.0f} cases/s ({rate / floor:.0%} of the floor)"
    for name in ("uniform", "repeating"):
        rate, solves = numbers(results, f"explained_{name}_rate_and_solves")
        yield (f"batch, full explanations, 1 job, {name} corpus: {rate:,.0f} cases/s, "
               f"{solves:.1f} explanation solves per case")
    peak, rate, proportional = numbers(results, "batch_memory_mb_and_rate")
    yield (f"batch, decisions only, 2 jobs, {results['memory_cases']:,} cases through `reasoner batch`: "
           f"{rate:,.0f} cases/s ({rate / floor:.0%} of the floor)")
    for jobs in (1, 2):
        rate = float(results[f"batch_explained_jobs{jobs}"])  # type: ignore[arg-type]
        yield f"batch, full explanations, {jobs} job(s): {rate:,.0f} cases/s ({rate / floor:.0%} of the floor)"
    yield f"reasoner check, whole process: median {results['cli_check_ms']:.0f} ms"
    yield f"reasoner verify, whole process: median {results['cli_verify_ms']:.0f} ms"
    yield (f"batch of {results['memory_cases']:,} cases (decisions only, 2 jobs): peak memory of the whole "
           f"process tree {peak:.0f} MB resident sizes summed, {proportional:.0f} MB proportional (PSS)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--explain-cases", type=int, default=2000)
    parser.add_argument("--latency-cases", type=int, default=200)
    parser.add_argument("--memory-cases", type=int, default=200000)
    parser.add_argument("--lines-cases", type=int, default=5, help="generated claims per size (10, 100, 1,000 lines)")
    parser.add_argument("--lines-only", action="store_true", help="only the time per case by lines per case")
    parser.add_argument("--quick", action="store_true", help="2,000 cases, 500 explained, 20,000 for memory")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--latency-only", type=int, metavar="N",
                        help="only decide()'s latency on N cases, as JSON (fresh_latency runs this in a new process)")
    args = parser.parse_args()
    if args.latency_only is not None:
        print(json.dumps(latency_only(args.latency_only)))
        return
    if args.quick:
        args.cases, args.explain_cases, args.latency_cases, args.memory_cases = 2000, 500, 100, 20000
        args.lines_cases = 3
    started = time.perf_counter()
    results = run(args)
    for line in report(results):
        print(line)
    print(f"(benchmark wall time {time.perf_counter() - started:.0f} s)")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
