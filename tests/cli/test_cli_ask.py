"""`reasoner ask`: the interview, in a real pseudo-terminal (pexpect) and with piped answers.

The promises (reasoner/cli.py `ask`, reasoner/interview/): the case is decided and a standing line
"→ VERDICT, complete|incomplete ..." printed; the most decisive open question is asked with its
policy sentence and the field it sets; y/n, numbers, ... are typed, `?` leaves the field unknown
and it is never asked again; a bad answer is asked again with a message; the interview ends when
the decision is complete or nothing is left to ask (or the answers run out), then the final tree
is printed and --save writes the completed case whole (temp file + rename). --save onto the input
is refused unless --in-place; --answers applies fields first and refuses a bad one; Ctrl-C exits
130 and saves nothing.

The case of most tests is EX-04 (examples/heparin-at-home.json): heparin at home, decided by
sentence 27, "A portable external infusion pump not meeting the above criteria is considered not
medically necessary.", because sentence 22 covers heparin "only in an institutional setting".
Its questions, in the order `ask` puts them:
  1. findings.medical_review_established (sentences 16, 26: "Other usages ... are covered if a
     medical review establishes the appropriateness of the therapy and of the prescribed pump")
  2. findings.home_parenteral_reasonable (sentence 10)
  3. findings.pump_necessary_for_safety (sentence 11: "An infusion pump is necessary to safely
     administer the drug"), a condition of both sets of general criteria: "no" closes them both,
     and with the medical review refused nothing can cover the request any more.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HEPARIN = EXAMPLES / "heparin-at-home.json"
SCRIPT = Path(sys.executable).parent / "reasoner"
ENV = {
    **{k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "LINES"}},
    "COLUMNS": "100",
    "TERM": "dumb",
    "NO_COLOR": "1",
}
TIMEOUT = 30

MEDICAL_REVIEW = "findings.medical_review_established"
HOME_PARENTERAL = "findings.home_parenteral_reasonable"
PUMP_FOR_SAFETY = "findings.pump_necessary_for_safety"
CONTROLLED_RATE = "findings.controlled_rate_required"
INFUSION_HOURS = "therapy.infusion_hours"
NO_OFFICE_RETURN = "findings.no_office_return_needed"

# The general criteria for intermittent infusion (sentences 9, 10, 11, 14, 15) all met but the last.
NEARLY_INTERMITTENT = {
    HOME_PARENTERAL: True,
    PUMP_FOR_SAFETY: True,
    INFUSION_HOURS: 4,
    NO_OFFICE_RETURN: True,
}
NOTHING_MORE = "Nothing more is needed: no answer could change this decision."


# ---------------------------------------------------------------------------------------- helpers


def copy_case(folder: Path, name: str = "case.json") -> Path:
    path = folder / name
    path.write_bytes(HEPARIN.read_bytes())
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an atomic write (".NAME.XXXX.tmp") left behind in the folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def spawn(*args: str, cwd: Path) -> tuple[pexpect.spawn[str], io.StringIO]:
    """`reasoner ARGS` in a real pseudo-terminal, 100 columns wide; everything it prints is logged."""
    transcript = io.StringIO()
    child = pexpect.spawn(
        str(SCRIPT), list(args), cwd=str(cwd), env=ENV, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 100)
    )
    child.logfile_read = transcript
    return child, transcript


def answer(child: pexpect.spawn[str], number: int, field: str, typed: str) -> None:
    """Wait for question NUMBER, check the field it sets, wait for the prompt, type the answer."""
    child.expect(rf"Question {number}\. ")
    child.expect_exact(f"answers {field}: ")
    child.expect_exact("> ")
    child.sendline(typed)


def finish(child: pexpect.spawn[str], transcript: io.StringIO) -> tuple[int | None, list[str]]:
    """Wait for the end; the exit status and the lines printed (carriage returns dropped)."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None, f"killed by signal {child.signalstatus}"
    text = transcript.getvalue().replace("\r\n", "\n")
    assert "Traceback" not in text, text
    return child.exitstatus, [line for line in text.split("\n") if line.strip()]


def ask(*args: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`reasoner ask ARGS` with standard input from a pipe (not a terminal): one answer per line."""
    result = subprocess.run(
        [str(SCRIPT), "ask", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    return result


def decide(path: Path) -> dict[str, Any]:
    """The saved case decided again by `reasoner check --format json`."""
    result = subprocess.run(
        [str(SCRIPT), "check", str(path), "--format", "json"],
        capture_output=True, text=True, encoding="utf-8", env=ENV, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_saved_refusal(saved: Path) -> None:
    """The case saved after "n" (medical review), "?" (home parenteral), "n" (pump for safety)."""
    original = load(HEPARIN)
    case = load(saved)
    for key, value in original.items():
        assert case[key] == value, f"the original field {key} changed: {case[key]!r}"
    assert case["findings"] == {"medical_review_established": False, "pump_necessary_for_safety": False}, (
        "only the answers given are saved; `?` leaves home_parenteral_reasonable unknown"
    )
    assert set(case) == {*original, "findings"}


def refusal_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout.strip() == "", "a refused run prints no decision"
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: is the package installed in this venv?"


# ------------------------------------------------------------------------ (a) a real terminal


def test_terminal_interview_ends_not_medically_necessary_and_saves(tmp_path: Path) -> None:
    """Promise: at a terminal, `ask` asks the most decisive question first (the medical review,
    sentences 16/26), takes y/n and `?`, prints the standing line after each answer, stops once
    the decision is complete, prints the final tree and saves the completed case (exit 0).

    Policy: with the medical review refused and "An infusion pump is necessary to safely administer
    the drug" (sentence 11) answered no, sentence 27 decides: "A portable external infusion pump not
    meeting the above criteria is considered not medically necessary."
    """
    case = copy_case(tmp_path)
    saved = tmp_path / "completed.json"
    child, transcript = spawn("ask", case.name, "--save", saved.name, cwd=tmp_path)
    child.expect_exact("→ NOT MEDICALLY NECESSARY, incomplete")
    answer(child, 1, MEDICAL_REVIEW, "n")
    child.expect_exact("→ NOT MEDICALLY NECESSARY, incomplete")
    answer(child, 2, HOME_PARENTERAL, "?")
    child.expect_exact("left unknown; not asked again")
    answer(child, 3, PUMP_FOR_SAFETY, "n")
    child.expect_exact("→ NOT MEDICALLY NECESSARY, complete")
    status, lines = finish(child, transcript)

    assert status == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "Question 4" not in text, "the decision was complete: nothing more should be asked"
    assert "policy (sentences 16, 26)" in text, "each question shows the policy sentence it comes from"
    final_tree = text[text.rindex("NOT MEDICALLY NECESSARY  case EX-04"):]
    assert "complete" in final_tree.splitlines()[0]
    assert "[criteria_not_met]" in final_tree
    assert NOTHING_MORE in final_tree
    assert lines[-1] == f"saved the completed case to {saved.name}"
    assert_saved_refusal(saved)
    assert load(case) == load(HEPARIN), "the input case is not touched"
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------ (b) a terminal, to covered/complete


def test_terminal_interview_reaches_a_complete_covered_decision(tmp_path: Path) -> None:
    """Promise: answers given up front (--answers) are applied first, so the only question left is
    the last general criterion; a bad answer ("maybe") is asked again; "y" makes the decision
    complete; the saved case decides covered and complete under `reasoner check`.

    Policy: the intermittent-infusion criteria set (sentences 9, 10, 11, 14, 15), whose last
    condition is "Systemic toxicity or adverse effects of the drug are unavoidable without infusing
    it at a strictly controlled rate ..." (sentence 15).
    """
    case = copy_case(tmp_path)
    given = write_json(tmp_path / "answers.json", NEARLY_INTERMITTENT)
    saved = tmp_path / "completed.json"
    child, transcript = spawn("ask", case.name, "--answers", given.name, "--save", saved.name, cwd=tmp_path)
    child.expect_exact("→ NOT MEDICALLY NECESSARY, incomplete")
    child.expect_exact("Question 1. ")
    child.expect_exact("policy (sentence 15)")
    child.expect_exact(f"answers {CONTROLLED_RATE}: y = yes, n = no, ? = don't know")
    child.expect_exact("> ")
    child.sendline("maybe")
    child.expect_exact("answer yes or no (or ? for don't know)")
    child.expect_exact("> ")
    child.sendline("y")
    child.expect_exact("→ COVERED, complete")
    status, lines = finish(child, transcript)

    assert status == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "Question 2" not in text
    assert "COVERED  case EX-04" in text
    assert "[general_intermittent]" in text
    assert lines[-2] == NOTHING_MORE, lines[-3:]
    assert lines[-1] == f"saved the completed case to {saved.name}"

    completed = load(saved)
    assert completed["findings"] == {
        "home_parenteral_reasonable": True,
        "pump_necessary_for_safety": True,
        "no_office_return_needed": True,
        "controlled_rate_required": True,
    }
    assert completed["therapy"] == {"drug": "heparin", "setting": "home", "infusion_hours": 4}
    decision = decide(saved)
    assert decision["decision"] == "covered"
    assert decision["complete"] is True
    assert decision["rule"]["rule"] == "general_intermittent"


# ------------------------------------------------------------------------------------ (c) Ctrl-C


def interrupt_at_prompt(child: pexpect.spawn[str], transcript: io.StringIO) -> None:
    """Ctrl-C at the next prompt: the run ends with status 130 and says that nothing was saved."""
    child.expect_exact("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, (child.exitstatus, child.signalstatus, transcript.getvalue())
    assert "interrupted: nothing was saved" in transcript.getvalue()


def test_ctrl_c_at_the_first_prompt_saves_nothing(tmp_path: Path) -> None:
    """Promise: Ctrl-C exits with status 130, says "interrupted: nothing was saved", and leaves no
    file at --save and no temporary file beside it."""
    case = copy_case(tmp_path)
    saved = tmp_path / "completed.json"
    child, transcript = spawn("ask", str(case), "--save", str(saved), cwd=tmp_path)
    child.expect_exact("Question 1. ")
    interrupt_at_prompt(child, transcript)
    assert "Traceback" not in transcript.getvalue()
    assert not saved.exists()
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.json"]
    assert load(case) == load(HEPARIN)


def test_ctrl_c_after_an_answer_leaves_an_existing_save_file_alone(tmp_path: Path) -> None:
    """Promise: an answer already given is not saved by an interrupted interview: a file already at
    --save keeps its bytes (nothing is written before the interview ends)."""
    case = copy_case(tmp_path)
    saved = tmp_path / "completed.json"
    saved.write_text('{"earlier": "content"}\n', encoding="utf-8")
    before = saved.read_bytes()
    child, transcript = spawn("ask", str(case), "--save", str(saved), cwd=tmp_path)
    answer(child, 1, MEDICAL_REVIEW, "n")
    child.expect_exact("Question 2. ")
    interrupt_at_prompt(child, transcript)
    assert saved.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_interrupt_with_piped_answers_goes_to_standard_error(tmp_path: Path) -> None:
    """Promise: the interruption message is on standard error (standard output stays the
    interview's), exit 130, no file at --save, when answers come from a pipe too."""
    case = copy_case(tmp_path)
    saved = tmp_path / "completed.json"
    process = subprocess.Popen(
        [str(SCRIPT), "ask", str(case), "--save", str(saved)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=tmp_path,
    )
    assert process.stdout is not None
    seen = b""
    try:
        # The first question is printed (and flushed) just before its answer is read.
        while f"answers {MEDICAL_REVIEW}".encode() not in seen:
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, f"the process ended before asking: {seen.decode()}"
            seen += chunk
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, (process.returncode, err)
    assert [line for line in err.decode().splitlines() if line.strip()] == ["interrupted: nothing was saved"]
    assert "interrupted" not in (seen + out).decode()
    assert not saved.exists()
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------------------- (d) answers from a pipe


def test_piped_answers_behave_as_typed_ones(tmp_path: Path) -> None:
    """Promise: when standard input is not a terminal, answers are read one per line (and echoed
    after the prompt), with the same result as at a terminal (test (a)): sentence 27 decides,
    complete, exit 0, and the case is saved with the answers given. A field answered `?` is never
    asked again."""
    case = copy_case(tmp_path)
    saved = tmp_path / "completed.json"
    result = ask(case.name, "--save", saved.name, stdin="n\n?\nn\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "> n\n" in out
    assert "> ?\n" in out
    assert out.count(f"answers {HOME_PARENTERAL}:") == 1, "a field answered ? is not asked again"
    assert "Question 4" not in out
    assert "→ NOT MEDICALLY NECESSARY, complete" in out
    lines = out.rstrip("\n").split("\n")
    assert lines[-2] == NOTHING_MORE
    assert lines[-1] == f"saved the completed case to {saved.name}"
    assert_saved_refusal(saved)


def test_dont_know_is_not_asked_again_until_nothing_is_left(tmp_path: Path) -> None:
    """Promise: `?` for every question ends the interview when nothing is left to ask (not on the
    end of the answers), each field asked once, the decision left incomplete, exit 0."""
    case = copy_case(tmp_path)
    result = ask(str(case), stdin="?\n" * 30, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    asked = re.findall(r"answers (\S+): ", result.stdout)
    assert asked, result.stdout
    assert len(asked) == len(set(asked)), f"a field was asked twice: {asked}"
    assert asked[0] == MEDICAL_REVIEW
    assert "no more answers" not in result.stdout, "it ran out of questions, not of answers"
    assert re.search(r"^\d+ questions? (is|are) open: ", result.stdout.rstrip("\n").split("\n")[-1])


def test_empty_standard_input_ends_with_the_tree(tmp_path: Path) -> None:
    """Promise: with no answers at all (end of input at once) the interview ends, prints the tree
    of the case as it is (8 open questions for EX-04), and exits 0."""
    case = copy_case(tmp_path)
    result = ask(str(case), stdin="", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Question 1. " in out
    assert "no more answers" in out
    assert "NOT MEDICALLY NECESSARY  case EX-04" in out
    assert "covered only in an institutional setting" in out
    last = out.rstrip("\n").split("\n")[-1]
    assert last.startswith("8 questions are open: "), last


# ------------------------------------------------------------------ (e) --save onto the input


@pytest.mark.parametrize("route", ["same-name", "save-through-link", "case-through-link"])
def test_save_onto_the_input_is_refused(route: str, tmp_path: Path) -> None:
    """Promise: --save naming the input case (directly or through a symlink) is refused before any
    question: exit 2, one line on standard error naming the file, the input unchanged."""
    case = copy_case(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(case)
    source, target = {
        "same-name": (case, case),
        "save-through-link": (case, link),
        "case-through-link": (link, case),
    }[route]
    before = case.read_bytes()
    result = ask(str(source), "--save", str(target), stdin="n\n?\nn\n", cwd=tmp_path)
    lines = refusal_lines(result)
    assert len(lines) == 1, lines
    assert str(target) in lines[0]
    assert "--in-place" in lines[0]
    assert case.read_bytes() == before
    assert link.is_symlink()
    assert leftovers(tmp_path) == []


def test_in_place_writes_over_the_input(tmp_path: Path) -> None:
    """Promise: with --in-place, --save may name the input case, which gets the completed case."""
    case = copy_case(tmp_path)
    result = ask(str(case), "--save", str(case), "--in-place", stdin="n\n?\nn\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_saved_refusal(case)
    assert leftovers(tmp_path) == []


# -------------------------------------------------------------------------------- (f) --answers


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"therapy.setting": "moon"}, "therapy.setting"),
        ({"nonsense.x": 1}, "nonsense.x"),
        ({"therapy.infusion_hours": 25}, "therapy.infusion_hours"),
        ({MEDICAL_REVIEW: "perhaps"}, MEDICAL_REVIEW),
    ],
    ids=["enum-value", "unknown-field", "hours-over-24", "boolean"],
)
def test_bad_answers_file_is_refused(given: dict[str, Any], field: str, tmp_path: Path) -> None:
    """Promise: a bad field in --answers exits 2 with one line naming the field, no traceback, no
    question asked, nothing saved."""
    case = copy_case(tmp_path)
    answers = write_json(tmp_path / "answers.json", given)
    saved = tmp_path / "completed.json"
    result = ask(str(case), "--answers", str(answers), "--save", str(saved), stdin="n\n", cwd=tmp_path)
    lines = refusal_lines(result)
    assert len(lines) == 1, lines
    assert field in lines[0], lines
    assert lines[0].startswith("error: ")
    assert not saved.exists()


def test_answers_file_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    """Promise: --answers must be a JSON object of field -> value; otherwise exit 2 naming the file."""
    case = copy_case(tmp_path)
    answers = write_json(tmp_path / "answers.json", [MEDICAL_REVIEW, False])
    result = ask(str(case), "--answers", str(answers), stdin="", cwd=tmp_path)
    lines = refusal_lines(result)
    assert len(lines) == 1, lines
    assert str(answers) in lines[0]


def test_a_field_given_in_the_answers_file_is_never_asked(tmp_path: Path) -> None:
    """Promise: answers given up front are applied before the first question, so their questions
    are never asked, and they are saved. Here the medical review (sentences 16/26), which would
    otherwise be question 1, is answered false in --answers."""
    case = copy_case(tmp_path)
    answers = write_json(tmp_path / "answers.json", {MEDICAL_REVIEW: False})
    saved = tmp_path / "completed.json"
    result = ask(str(case), "--answers", str(answers), "--save", str(saved), stdin="?\n" * 30, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    asked = re.findall(r"answers (\S+): ", result.stdout)
    assert asked, result.stdout
    assert MEDICAL_REVIEW not in asked
    assert asked[0] == HOME_PARENTERAL
    assert load(saved)["findings"] == {"medical_review_established": False}


# --------------------------------------------------------------------- (g) invalid typed answers


def test_invalid_typed_answers_are_asked_again(tmp_path: Path) -> None:
    """Promise: an answer that does not fit the field is asked again with a message, not a crash:
    "maybe" for a yes/no question (sentence 11), and 25 hours for therapy.infusion_hours, which the
    case contract limits to at most 24 (sentence 14: "each episode of infusion lasting less than
    8 hours"). The valid answers then complete the intermittent criteria set (sentences 9, 10,
    11, 14, 15): covered, complete."""
    case = copy_case(tmp_path)
    answers = write_json(tmp_path / "answers.json", {MEDICAL_REVIEW: False, HOME_PARENTERAL: True})
    saved = tmp_path / "completed.json"
    typed = "maybe\ny\ny\n25\n4\ny\n"
    result = ask(case.name, "--answers", answers.name, "--save", saved.name, stdin=typed, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "> maybe\n  answer yes or no (or ? for don't know)\n> y\n" in out
    assert "therapy.infusion_hours: must be more than 0 and at most 24" in out
    assert out.count("Question 3. How many hours") == 2, "the hours question is asked again"
    assert "Question 4. " in out
    assert "Question 5. " not in out
    assert "→ COVERED, complete" in out
    assert out.rstrip("\n").split("\n")[-2] == NOTHING_MORE
    completed = load(saved)
    assert completed["therapy"]["infusion_hours"] == 4
    assert completed["findings"] == {
        "medical_review_established": False,
        "home_parenteral_reasonable": True,
        "pump_necessary_for_safety": True,
        "controlled_rate_required": True,
        "no_office_return_needed": True,
    }
    assert decide(saved)["decision"] == "covered"


@pytest.mark.parametrize("typed", ["[/]", "[red]y", "[bold]"], ids=["closing-tag", "style-tag", "open-tag"])
def test_piped_answer_is_echoed_as_typed_and_never_crashes(typed: str, tmp_path: Path) -> None:
    """Promise: a piped answer is echoed after the prompt exactly as read, and one that fits no
    value (here text in square brackets, for the yes/no question of sentences 16/26) is asked
    again with a message: never a traceback."""
    case = copy_case(tmp_path)
    result = ask(case.name, stdin=f"{typed}\nn\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"> {typed}\n  answer yes or no (or ? for don't know)\n> n\n" in result.stdout


@pytest.mark.parametrize("name", ["completed[bold].json", "d[/x].json"], ids=["style-tag", "closing-tag"])
def test_save_message_names_the_file_as_given(name: str, tmp_path: Path) -> None:
    """Promise: --save writes the completed case and says where, naming the file as given, even
    when the name holds square brackets; exit 0, no traceback (sentence 27 decides, as in (d))."""
    case = copy_case(tmp_path)
    (tmp_path / "d[").mkdir()
    result = ask(case.name, "--save", name, stdin="n\n?\nn\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.rstrip("\n").split("\n")[-1] == f"saved the completed case to {name}"
    assert_saved_refusal(tmp_path / name)
