"""tools/mutate.py, the mutation-testing tool: its reading of .lp files, each operator, the
sampling, the report; and one real run on two mutants that `reasoner verify` must kill."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "mutate.py"


mutate = load_tool("mutate.py", "mutate_tool")


# --- Reading statements ---------------------------------------------------------------

TRICKY = r"""% a comment. With dots... and "quotes
%* a block comment.
   over lines. p(1). *%
p(1..3).
q("a. \"quoted\". b", 2) :- p(X), X < 2.   % trailing. comment 5
#external e(1). [free]
r(X) :- p(X),   % inside. a rule
        not q(X, _), X != 2.
#show r/1.
"""


def test_statements_end_at_a_dot_outside_strings_comments_and_ranges() -> None:
    statements = mutate.split_statements(TRICKY)
    assert [s.text for s in statements] == [
        "p(1..3).",
        'q("a. \\"quoted\\". b", 2) :- p(X), X < 2.',
        "#external e(1). [free]",
        "r(X) :- p(X),   % inside. a rule\n        not q(X, _), X != 2.",
        "#show r/1.",
    ]
    assert [s.line for s in statements] == [4, 5, 6, 7, 9]
    assert [s.is_directive for s in statements] == [False, False, True, False, True]


@pytest.mark.parametrize(("text", "problem"), [
    ('p("never closed).\n', "string is never closed"),
    ("%* never closed\np.\n", "block comment"),
    ("p(1) :- q\n", "no final '.'"),
])
def test_a_file_that_cannot_be_split_is_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(mutate.LpSyntaxError, match=problem):
        mutate.split_statements(text, "bad.lp")


def test_the_code_view_hides_strings_and_comments() -> None:
    view = mutate.code_view('p("1. 2") :- q(3). % 4\n')
    assert mutate.INTEGER_PATTERN.findall(view) == ["3"]
    assert len(view) == len('p("1. 2") :- q(3). % 4\n')


@pytest.mark.parametrize(("statement", "valid"), [
    ("p(X) :- q(X), not r(X).", True),
    ("p(X) :- not r(X).", False),  # unsafe
    ("p(X :- q.", False),  # syntax
    ("", True),  # a deleted statement
])
def test_a_mutated_statement_must_be_accepted_by_clingo_on_its_own(statement: str, valid: bool) -> None:
    assert mutate.statement_is_valid(statement) is valid


# --- The operators ----------------------------------------------------------------------

POLICY = """% clause data
clause(k1, p, covered).
clause(k2, none, not_medically_necessary).
requires(k1, a).
requires(k1, b).
unless(k1, c).
verdict_rank(covered, 1).
verdict_rank(not_medically_necessary, 2).
overrides(k1, k2).
label(k1, "A label. It has 3 dots... and 4 words").
met(K) :- clause(K, _, _), not lacks(K), N = 2, N < 3.
lacks(K) :- requires(K, X), not est(X).
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "asp"
    (folder / "policy").mkdir(parents=True)
    (folder / "main.lp").write_text('#include "policy/p.lp".\n#show met/1.\n', encoding="utf-8")
    (folder / "policy" / "p.lp").write_text(POLICY, encoding="utf-8")
    (folder / "quotes.lp").write_text('quote(k1, 1, "Words. More words.").\nlabel(k2, "x").\n', encoding="utf-8")
    return folder


def mutated_texts(rules: Path, operator: str) -> list[str]:
    generation = mutate.generate(rules, operators=[operator])
    return ["\n".join(edit.replacement for edit in c.edits) for c in generation.candidates["policy/p.lp"]]


def test_delete_fact_deletes_clause_data_but_never_leaves_a_predicate_undefined(rules: Path) -> None:
    generation = mutate.generate(rules, operators=["delete_fact"])
    deleted = {c.description for c in generation.candidates["policy/p.lp"]}
    assert "delete requires(k1, a)." in deleted
    assert "delete unless(k1, c)." not in deleted  # the only unless/2 fact
    assert "delete overrides(k1, k2)." not in deleted
    assert "delete clause(k2, none, not_medically_necessary)." in deleted
    assert not any("label" in d for d in deleted)
    assert generation.files["policy/p.lp"].undefined == 2
    assert all(edit.replacement == "" for c in generation.candidates["policy/p.lp"] for edit in c.edits)


def test_flip_verdict_gives_a_clause_each_other_verdict(rules: Path) -> None:
    texts = mutated_texts(rules, "flip_verdict")
    assert "clause(k1, p, not_medically_necessary)." in texts
    assert "clause(k1, p, experimental_investigational)." in texts
    assert "clause(k1, p, not_applicable)." not in texts


def test_swap_precedence_swaps_who_prevails(rules: Path) -> None:
    texts = mutated_texts(rules, "swap_precedence")
    assert "overrides(k2, k1)." in texts
    assert "verdict_rank(not_medically_necessary, 1).\nverdict_rank(covered, 2)." in texts


def test_change_int_changes_numbers_by_one_never_inside_strings(rules: Path) -> None:
    texts = mutated_texts(rules, "change_int")
    assert {"verdict_rank(covered, 2).", "verdict_rank(covered, 0)."} <= set(texts)
    assert "met(K) :- clause(K, _, _), not lacks(K), N = 2, N < 4." in texts
    assert not any("label" in t for t in texts)


def test_drop_literal_drops_one_body_literal_keeping_the_rule_safe(rules: Path) -> None:
    texts = mutated_texts(rules, "drop_literal")
    assert "met(K) :- clause(K, _, _), N = 2, N < 3." in texts
    assert "met(K) :- clause(K, _, _), not lacks(K), N = 2." in texts
    assert "met(K) :- not lacks(K), N = 2, N < 3." not in texts  # K unsafe: clingo refuses it


def test_negate_literal_adds_or_removes_not(rules: Path) -> None:
    texts = mutated_texts(rules, "negate_literal")
    assert "met(K) :- clause(K, _, _), lacks(K), N = 2, N < 3." in texts
    assert "lacks(K) :- requires(K, X), est(X)." in texts
    assert not any("not clause(K, _, _)" in t for t in texts)  # unsafe


def test_change_comparison_moves_a_boundary(rules: Path) -> None:
    texts = mutated_texts(rules, "change_comparison")
    assert "met(K) :- clause(K, _, _), not lacks(K), N = 2, N <= 3." in texts
    assert "met(K) :- clause(K, _, _), not lacks(K), N != 2, N < 3." not in texts  # N unsafe


def test_a_range_and_a_string_with_dots_survive_every_mutant(tmp_path: Path) -> None:
    folder = tmp_path / "asp"
    folder.mkdir()
    (folder / "main.lp").write_text('p(1..3).\nq("x. 1 \\" 2") :- p(2).  % 4 5\n', encoding="utf-8")
    generation = mutate.generate(folder)
    texts = {"\n".join(e.replacement for e in c.edits) for c in generation.candidates["main.lp"]}
    assert texts == {"p(2..3).", "p(0..3).", "p(1..4).", "p(1..2).", 'q("x. 1 \\" 2") :- p(3).',
                     'q("x. 1 \\" 2") :- p(1).', 'q("x. 1 \\" 2") :- not p(2).', 'q("x. 1 \\" 2").'}


def test_files_with_nothing_to_mutate_are_listed_with_the_reason(rules: Path) -> None:
    generation = mutate.generate(rules)
    assert generation.files["main.lp"].skipped_reason == "directives only (#include, #show, #defined, ...)"
    assert generation.files["quotes.lp"].skipped_reason.startswith("text facts")
    assert generation.files["policy/p.lp"].skipped_reason is None


# --- Sampling ---------------------------------------------------------------------------

def test_sampling_is_deterministic_by_seed_and_reaches_every_file(rules: Path) -> None:
    (rules / "other.lp").write_text("x(1).\ny(X) :- x(X), X > 0.\n", encoding="utf-8")

    def ids(seed: int) -> list[tuple[str, str, str]]:
        return [(m.id, m.file, m.description) for m in mutate.sample(mutate.generate(rules), 6, seed)]

    assert ids(3) == ids(3)
    assert ids(3) != ids(4)
    assert {file for _, file, _ in ids(3)} == {"policy/p.lp", "other.lp"}


def test_allocation_gives_every_file_one_then_shares_by_weight() -> None:
    quota = mutate.allocate(10, {"a": 9.0, "b": 1.0, "c": 1.0}, {"a": 50, "b": 50, "c": 1}, random.Random(1))
    assert sum(quota.values()) == 10
    assert quota["c"] == 1
    assert quota["a"] > quota["b"] >= 1
    few = mutate.allocate(2, {"a": 1.0, "b": 1.0, "c": 1.0}, {"a": 5, "b": 5, "c": 5}, random.Random(1))
    assert sorted(few.values()) == [0, 1, 1]


def test_each_mutant_carries_its_diff(rules: Path) -> None:
    mutants = mutate.sample(mutate.generate(rules, operators=["flip_verdict"]), 1, 1)
    (mutant,) = mutants
    assert mutant.diff.startswith("--- a/asp/policy/p.lp\n+++ b/asp/policy/p.lp\n")
    assert f"-{mutant.original}\n" in mutant.diff
    assert f"+{mutant.mutated}\n" in mutant.diff


# --- Equivalence and the report --------------------------------------------------------

def test_json_differences_name_the_paths_that_differ() -> None:
    before = {"decision": "covered", "lines": [{"outcome": "payable"}, {"outcome": "denied"}], "x": 1}
    after = {"decision": "covered", "lines": [{"outcome": "payable"}, {"outcome": "payable"}], "y": 1}
    assert mutate.json_differences(before, after) == [
        '$.lines[1].outcome: "denied" -> "payable"', '$.x: 1 -> "(absent)"', '$.y: "(absent)" -> 1',
    ]


def test_reports_that_differ_only_in_their_witness_cases_are_the_same() -> None:
    one = {"ok": True, "findings": [{"kind": "conflict", "subject": "a > b", "case": {"device": {"kind": "omnipod"}}}]}
    two = {"ok": True, "findings": [{"kind": "conflict", "subject": "a > b", "case": {"device": {"kind": "v_go"}}}]}
    three = {"ok": True, "findings": [{"kind": "conflict", "subject": "b > a", "case": {"device": {"kind": "v_go"}}}]}
    assert mutate.without_witnesses(one) == mutate.without_witnesses(two)
    assert mutate.without_witnesses(two) != mutate.without_witnesses(three)


def test_the_corpus_is_seeded_and_fits_the_input_contract() -> None:
    from reasoner.case import Case

    seeds = [json.loads((ROOT / "examples" / "v-go.json").read_text(encoding="utf-8"))]
    first = mutate.build_corpus(seeds, 40, random.Random(5))
    assert first == mutate.build_corpus(seeds, 40, random.Random(5))
    assert len(first) == 41
    accepted = 0
    for case in first:
        try:
            Case.model_validate(case)
            accepted += 1
        except ValueError:
            pass
    assert accepted >= 35, f"only {accepted} of 41 generated cases fit the contract"


def synthetic_mutant(**fields: Any) -> Any:
    base = {"id": "m001", "file": "policy/vgo.lp", "line": 15, "operator": "flip_verdict",
            "description": "x -> y", "original": "a.", "mutated": "b.",
            "diff": "--- a/asp/policy/vgo.lp\n+++ b/asp/policy/vgo.lp\n@@ -1 +1 @@\n-a.\n+b.\n"}
    return mutate.Mutant(**{**base, **fields})


def test_the_summary_counts_invalid_mutants_apart_and_scores_by_layer() -> None:
    mutants = [
        synthetic_mutant(id="m1", outcome="killed", killed_by="verify"),
        synthetic_mutant(id="m2", outcome="killed", killed_by="properties"),
        synthetic_mutant(id="m3", outcome="killed", killed_by="scenarios"),
        synthetic_mutant(id="m4", outcome="invalid", killed_by="invalid program"),
        synthetic_mutant(id="m5", outcome="survived", equivalence={"verdict": "likely equivalent"}),
    ]
    summary = mutate.summarise(mutants)
    assert summary["valid"] == 4
    assert summary["killed_percent"] == 75.0
    assert summary["killed_by_layer"] == {"verify": 1, "properties": 1, "scenarios": 1}
    assert summary["killed_by_verify_or_properties"] == 2
    assert summary["killed_percent_of_non_equivalent"] == 100.0


def test_the_markdown_report_shows_each_survivor_with_its_diff_and_a_reason_to_fill_in(tmp_path: Path) -> None:
    survivor = synthetic_mutant(outcome="survived", equivalence={
        "verdict": "not equivalent", "cases": 10, "cases_differing": 1, "reports_differing": [],
        "example": {"case": {"case_id": "corpus-0001"}, "differences": ['$.decision: "a" -> "b"']}})
    generation = mutate.Generation({}, {}, {"policy/vgo.lp": mutate.FileReport("policy/vgo.lp")})
    meta = {"command": "tools/mutate.py", "started": "now", "seconds": 1.0, "candidates": 1,
            "rules": {"folder": "asp", "files": 1, "sha256": "0" * 64},
            "arguments": {"seed": 1, "layers": ["verify"], "all_layers": False}}
    mutate.write_reports(tmp_path, meta, generation, [survivor])
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| m001 | `policy/vgo.lp:15` | flip_verdict | not equivalent | |" in text
    assert "```diff\n--- a/asp/policy/vgo.lp" in text
    assert "corpus-0001" in text
    assert "Reason: _to be filled in_" in text
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["mutants"][0]["outcome"] == "survived"
    assert "verify_output" not in report["mutants"][0]


# --- The command ------------------------------------------------------------------------

def run_tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def test_help_and_usage_errors() -> None:
    helped = run_tool("--help")
    assert helped.returncode == 0
    assert "--mutants" in helped.stdout
    assert "flip_verdict" in helped.stdout
    bad = run_tool("--layers", "verify,nonsense")
    assert bad.returncode == 2
    assert "unknown layer nonsense" in bad.stderr


def test_list_prints_the_sampled_mutants_without_running_them() -> None:
    listed = run_tool("--list", "--mutants", "3", "--files", "policy/vgo.lp", "--seed", "2")
    assert listed.returncode == 0, listed.stderr
    mutants = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [m["id"] for m in mutants] == ["m001", "m002", "m003"]
    assert all(m["file"] == "policy/vgo.lp" and m["diff"] for m in mutants)


def test_only_runs_the_named_mutants_of_the_sample_and_refuses_an_unknown_id(tmp_path: Path) -> None:
    refused = run_tool("--files", "policy/vgo.lp", "--mutants", "3", "--only", "m002,m009", "--out", str(tmp_path))
    assert refused.returncode == 2
    assert "no mutant m009 in this sample" in refused.stderr


def test_flipping_the_vgo_verdict_is_killed_by_verify(tmp_path: Path) -> None:
    completed = run_tool("--files", "policy/vgo.lp", "--operators", "flip_verdict", "--mutants", "2",
                         "--layers", "verify", "--skip-baseline", "--no-equivalence", "--jobs", "2",
                         "--out", str(tmp_path / "report"))
    assert completed.returncode == 0, completed.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert [(m["description"].split(":")[0], m["outcome"], m["killed_by"]) for m in report["mutants"]] == [
        ("experimental_investigational -> covered", "killed", "verify"),
        ("experimental_investigational -> not_medically_necessary", "killed", "verify"),
    ]
    assert all("invariant" in m["detail"] for m in report["mutants"])
    assert report["summary"]["killed_percent"] == 100.0
    assert "[2/2]" in completed.stderr
    assert (tmp_path / "report" / "report.md").is_file()


def _processes_under(folder: Path) -> list[str]:
    """Processes whose working folder is inside ``folder`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder or folder in cwd.parents:
                found.append(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_every_check_and_keeps_the_report(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, str(TOOL), "--files", "policy/vgo.lp", "--mutants", "2", "--layers", "verify",
         "--skip-baseline", "--no-equivalence", "--out", str(tmp_path / "report")],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, stderr=subprocess.PIPE, text=True,
    )
    assert process.stderr is not None
    assert "sampled" in process.stderr.readline()
    deadline = time.monotonic() + 60
    while not _processes_under(scratch) and time.monotonic() < deadline:  # a check has started
        time.sleep(0.1)
    assert _processes_under(scratch), "no check started"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    assert "interrupted" in process.stderr.read()
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    assert {m["outcome"] for m in report["mutants"]} <= {"not run", "killed"}
    assert not _processes_under(scratch)
    assert list(scratch.iterdir()) == []


def test_each_mutant_reads_and_writes_the_rules_cache_beside_its_own_copy(tmp_path: Path) -> None:
    # Every mutant is another set of rules: its stored programs (the sliced rule files and the
    # ground explanation program) go in its own folder, removed with it, not the user's cache.
    asp = tmp_path / "m1-x" / "asp"
    env = mutate.child_env(asp, tmp_path / "project")
    assert env["REASONER_ASP_DIR"] == str(asp)
    assert Path(env["REASONER_CACHE_DIR"]).parent == asp.parent
