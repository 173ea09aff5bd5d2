"""What the rules give before any case is cached on disk, keyed by the rules, and never trusted blindly.

`reasoner check` is a new process each time; parsing every rule file and slicing the rules
(reasoner/_slice.py) took most of its start-up, and reading the catalogue from every static atom a
good part of the rest. reasoner/_solve.py stores the sliced program's text (a statement a line,
with the file and line each came from), reasoner/catalogue.py the catalogue as JSON, each under a
key that hashes every .lp file, the code that computes the entry and clingo's version
(reasoner/_disk_cache.py): another set of rules never reads the entry, a damaged entry is sliced
again, and a cache that cannot be written costs nothing but the time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clingo import ast

from reasoner import _disk_cache, _slice, _solve, catalogue_cache, decide
from reasoner import catalogue as catalogue_module
from reasoner._slice import relevant_statements
from reasoner.catalogue import catalogue, catalogue_from_rules
from reasoner.errors import RulesError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "antibiotic-prolonged-infusion.json"
ENTRIES = ("main.lp",)


def parsed(folder: Path) -> list[ast.AST]:
    statements: list[ast.AST] = []
    ast.parse_files([str(folder / entry) for entry in ENTRIES], statements.append)
    return statements


@pytest.fixture(autouse=True)
def fresh_programs() -> Iterator[None]:
    """Each test reads the sliced program anew (it is kept per process), and leaves none behind
    that came from its temporary folders."""
    _solve._relevant.cache_clear()
    yield
    _solve._relevant.cache_clear()


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, str(folder))
    return folder


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "asp"
    shutil.copytree(_solve.asp_dir(), copy)
    return copy


def entries_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("sliced-*.json"))


def sliced_anew(rules: Path) -> _solve.SlicedProgram:
    _solve._relevant.cache_clear()
    return _solve._relevant(rules, ENTRIES)


def test_the_sliced_program_is_stored_once_and_read_back_the_same(
    cache_folder: Path, rules: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = sliced_anew(rules)
    assert first.statements == tuple(relevant_statements(parsed(rules)))
    assert first.text_file is None  # parsed from the rule files themselves
    (entry,) = entries_in(cache_folder)
    text_file = entry.with_suffix(".lp")
    assert text_file.read_text(encoding="utf-8").splitlines() == [str(s) for s in first.statements]

    def not_again(_: object) -> list[ast.AST]:
        raise AssertionError("sliced again although the entry is there")

    monkeypatch.setattr(_slice, "relevant_statements", not_again)
    again = sliced_anew(rules)
    assert again.text_file == text_file
    assert again.origins == tuple(f"{s.location.begin.filename}:{s.location.begin.line}" for s in first.statements)
    assert again.statements == first.statements  # clingo's AST equality: the same statements


def test_a_change_to_any_rule_file_is_another_key(cache_folder: Path, rules: Path) -> None:
    sliced_anew(rules)
    label_file = rules / "catalogue.lp"
    label_file.write_text(label_file.read_text(encoding="utf-8") + "\n% a comment changes the key too\n",
                          encoding="utf-8")
    _disk_cache._DIGESTS.clear()  # (read once per process, as the rules are)
    sliced_anew(rules)
    assert len(entries_in(cache_folder)) == 2


def _replace_entry(entry: Path, text: str) -> None:
    entry.write_text(text, encoding="utf-8")


def _edit_program(entry: Path, text: str) -> None:
    program = entry.with_suffix(".lp")
    lines = program.read_text(encoding="utf-8").splitlines(keepends=True)
    if text == "drop a line":
        program.write_text("".join(lines[:-1]), encoding="utf-8")
    elif text == "remove the file":
        program.unlink()
    else:
        program.write_text("".join(lines[:-1]) + text, encoding="utf-8")


def test_what_a_process_computes_after_its_rules_changed_is_not_stored_under_the_old_key(
    cache_folder: Path, rules: Path,
) -> None:
    """A process reads the rules' digest once; if the rule files change while it runs, what it
    slices from them must not be stored under the earlier rules' key, where every later process
    would read it for those rules (they come back with a revert)."""
    sliced_anew(rules)  # the digest read, the slice stored
    for stored in cache_folder.glob("sliced-*"):
        stored.unlink()
    show = rules / "show.lp"
    show.write_text(show.read_text(encoding="utf-8") + "\n:- case(C), dos(C, 19000101).\n", encoding="utf-8")
    edited = sliced_anew(rules)  # the same key (the digest read before), computed from the edit
    assert any("19000101" in str(statement) for statement in edited.statements)
    assert not list(cache_folder.glob("sliced-*"))


@pytest.mark.parametrize(("damage", "text"), [
    (_replace_entry, "not json"), (_replace_entry, '{"a": 1}'), (_replace_entry, '{"sha256": "0", "origins": []}'),
    (_replace_entry, '{"sha256": "0", "origins": [["x.lp"]]}'), (_edit_program, "a(.\n"),
    (_edit_program, "drop a line"), (_edit_program, "remove the file"),
])
def test_a_damaged_entry_is_sliced_again_and_replaced(
    cache_folder: Path, rules: Path, damage: Callable[[Path, str], None], text: str,
) -> None:
    right = sliced_anew(rules)
    (entry,) = entries_in(cache_folder)
    stored = entry.read_text(encoding="utf-8"), entry.with_suffix(".lp").read_text(encoding="utf-8")
    damage(entry, text)
    again = sliced_anew(rules)
    assert again.text_file is None  # sliced from the rule files again
    assert again.statements == right.statements
    assert (entry.read_text(encoding="utf-8"), entry.with_suffix(".lp").read_text(encoding="utf-8")) == stored


@pytest.mark.usefixtures("cache_folder")
def test_one_decision_loads_the_stored_program_without_parsing_it_and_a_second_parses_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A one-shot process (`reasoner check`) has clingo read the stored text straight into its
    Control; only a process that grounds the program again parses it into statements, once."""
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    first = decide(case).to_json()  # slices and stores
    _solve._relevant.cache_clear()
    parses: list[list[str]] = []
    original = _solve._parsed

    def counted(paths: list[str], *rest: object) -> list[ast.AST]:
        parses.append(paths)
        return original(paths, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(_solve, "_parsed", counted)
    assert decide(case).to_json() == first  # the decision and the explanation programs: loaded
    assert parses == []
    assert decide(case).to_json() == first  # a second decision program: parsed
    assert decide(case).to_json() == first  # and a third: from the same statements
    assert [paths[0].endswith(".lp") and "sliced-" in paths[0] for paths in parses] == [True]


@pytest.mark.usefixtures("cache_folder")
@pytest.mark.parametrize("damage", ["removed before the first Control", "removed before the second Control",
                                    "halved before the second Control", "a rule added before the second Control"])
def test_a_stored_program_lost_or_damaged_after_it_was_found_is_sliced_from_the_rules(damage: str) -> None:
    """The cache may be cleared or damaged while a process runs (a service, a batch worker): what
    it found and then lost is sliced anew from the rule files, with the same decision, and the
    file is checked against its digest again before a second Control parses it."""
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    first = decide(case).to_json()  # slices and stores
    _solve._relevant.cache_clear()
    program = _solve._relevant(_solve.asp_dir(), ("main.lp",))
    assert program.text_file is not None
    text_file = program.text_file
    if damage != "removed before the first Control":
        assert decide(case).to_json() == first  # the first Control loads the file
    if damage.startswith("halved"):
        text = text_file.read_text(encoding="utf-8")
        text_file.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage.startswith("a rule added"):  # a program that parses, but no case has an answer
        text_file.write_text(text_file.read_text(encoding="utf-8") + ":- case(C).\n", encoding="utf-8")
    else:
        text_file.unlink()
    assert decide(case).to_json() == first
    assert program.text_file is None  # sliced from the rule files


def test_a_rules_message_names_the_file_and_line_also_from_the_cached_text(
    cache_folder: Path, rules: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """clingo's messages are rules bugs (RulesError); read back from the cache, the program is
    parsed from one text, and the message still names the rule file and line, not `<string>`."""
    inputs = rules / "input.lp"  # included by every program
    lines = inputs.read_text(encoding="utf-8").splitlines()
    inputs.write_text("\n".join([*lines, ":- case(C), never_defined(C)."]) + "\n", encoding="utf-8")
    monkeypatch.setenv(_solve.ASP_DIR_VARIABLE, str(rules))
    _solve.asp_dir.cache_clear()
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    try:
        messages = []
        for _ in range(2):  # parsed from the files, then read back from the cache's text
            _solve._relevant.cache_clear()
            with pytest.raises(RulesError) as raised:
                decide(case, explanation=False)
            messages.append(str(raised.value))
    finally:
        _solve.asp_dir.cache_clear()
    assert entries_in(cache_folder)
    for message in messages:
        assert "never_defined" in message
        assert f"input.lp:{len(lines) + 1}" in message
        assert "<string>" not in message


def test_the_cache_turned_off_writes_nothing(tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, _disk_cache.CACHE_OFF)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sliced_anew(rules).statements == tuple(relevant_statements(parsed(rules)))
    assert not (tmp_path / "xdg").exists()


def test_a_cache_that_cannot_be_written_costs_only_time(tmp_path: Path, rules: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, str(blocker / "cache"))
    assert sliced_anew(rules).statements == tuple(relevant_statements(parsed(rules)))


def test_xdg_cache_home_is_the_default_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_disk_cache.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _disk_cache.cache_dir() == tmp_path / "reasoner"


def test_a_decision_from_the_cached_slice_is_the_same(cache_folder: Path) -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    first = decide(case).to_json()  # slices and stores
    _solve._relevant.cache_clear()
    again = decide(case).to_json()  # reads the entry
    assert entries_in(cache_folder)
    assert again == first


# --- The catalogue -------------------------------------------------------------------------------

def test_the_catalogue_read_back_from_json_is_the_same_catalogue() -> None:
    read = catalogue_from_rules()
    again = catalogue_cache.from_json(json.loads(json.dumps(catalogue_cache.to_json(read))))
    assert again == read  # every field, dataclass equality
    assert all((again.answers, again.quotes, again.sentences, again.clauses))


def test_the_catalogue_is_stored_and_read_back_and_a_damaged_entry_replaced(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue.cache_clear()
    first = catalogue()
    (entry,) = sorted(cache_folder.glob("catalogue-*.json"))
    catalogue.cache_clear()

    def not_again() -> None:
        raise AssertionError("read from the rules although the entry is there")

    with monkeypatch.context() as patch:
        patch.setattr(catalogue_module, "catalogue_from_rules", not_again)
        assert catalogue() == first
    entry.write_text('{"clauses": 1}', encoding="utf-8")
    catalogue.cache_clear()
    assert catalogue() == first
    assert json.loads(entry.read_text(encoding="utf-8")) == catalogue_cache.to_json(first)
    catalogue.cache_clear()


RELEASE_PROBE = """
import atexit, sys
held = []
atexit.register(lambda: print([p._statements is None for p in held], file=sys.stderr))  # runs last
from reasoner import _solve
for entry in ("main.lp", "explain.lp"):
    program = _solve._relevant(_solve.asp_dir(), (entry,))
    program.statements  # parsed: clingo AST objects, kept for the process's later Controls
    held.append(program)
"""


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_the_parsed_statements_are_released_before_the_interpreter_shuts_down(cache_folder: Path, cache: str) -> None:
    """clingo's AST objects must be freed while clingo is loaded: freed at shutdown, after the
    lazily imported clingo.ast was torn down, each prints an ignored exception (1,387 of them at
    the end of the property tests, before the statements were released at exit)."""
    environment = {**os.environ, _disk_cache.CACHE_DIR_VARIABLE: str(cache_folder)}
    runs = 2 if cache == "warm" else 1  # the first run slices from the rule files and stores
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", RELEASE_PROBE], capture_output=True, text=True,
                              env=environment, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[True, True]"
