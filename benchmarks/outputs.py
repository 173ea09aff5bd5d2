"""Every output of the benchmark corpus, to show that a speed change changed no byte.

    .venv/bin/python benchmarks/outputs.py --out before.jsonl          # write, print the digest
    .venv/bin/python benchmarks/outputs.py --compare before.jsonl      # exit 1 on any difference

Each case of the seeded corpus (benchmarks/corpus.py) is decided three ways, each written as
the command line writes it: decisions only in chunks (the batch path), with the explanation,
one case at a time (`decide()`), and as the tree `reasoner check` prints (the first
``--tree-cases`` cases). A difference names the first case and way that differ.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from benchmarks.corpus import corpus  # noqa: E402
from reasoner import decide, decide_all, parse_case  # noqa: E402
from reasoner.batch import CHUNK_LINES  # noqa: E402
from reasoner.outputs import json_text  # noqa: E402
from reasoner.render import decision_view  # noqa: E402


def _tree(decision: object) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    console.print(decision_view(decision))  # type: ignore[arg-type]
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def outputs(count: int, explained: int, trees: int) -> Iterator[str]:
    cases = list(corpus(count))
    valid = [parse_case(case) for case in cases]
    for start in range(0, count, CHUNK_LINES):
        for decision in decide_all(valid[start:start + CHUNK_LINES], explanation=False):
            yield "batch " + json_text(decision.to_json())
    for number, case in enumerate(cases[:explained]):
        decision = decide(case)
        yield "explained " + json_text(decision.to_json())
        if number < trees:
            yield "tree " + json_text(_tree(decision))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000, help="corpus cases decided in chunks (default 2,000)")
    parser.add_argument("--explained", type=int, default=500, help="of them, decided with the explanation")
    parser.add_argument("--tree-cases", type=int, default=100, help="of those, rendered as the tree")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the outputs here")
    target.add_argument("--compare", type=Path, help="compare with outputs written earlier")
    args = parser.parse_args()
    lines = list(outputs(args.cases, args.explained, args.tree_cases))
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(lines):,} outputs, sha256 {digest}")
        return
    earlier = args.compare.read_text(encoding="utf-8").splitlines()
    for number, (before, now) in enumerate(zip(earlier, lines, strict=False), start=1):
        if before != now:
            print(f"output {number} differs:\n  before {before[:300]}\n  now    {now[:300]}", file=sys.stderr)
            sys.exit(1)
    if len(earlier) != len(lines):
        print(f"{len(earlier):,} outputs before, {len(lines):,} now", file=sys.stderr)
        sys.exit(1)
    print(f"{len(lines):,} outputs identical, sha256 {digest}")


if __name__ == "__main__":
    main()
