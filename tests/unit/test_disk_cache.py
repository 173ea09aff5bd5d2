"""What the rules give before any case is cached on disk, keyed by the rules, and never trusted blindly.

`reasoner check` is a new process each time; slicing the rules (reasoner/_slice.py) took most
of its start-up, and reading the catalogue from every static atom a good part of the rest.
reasoner/_solve.py stores which parsed statements the slice keeps, reasoner/catalogue.py the
catalogue as JSON, each under a key that hashes every .lp file, the code that computes the entry
and clingo's version (reasoner/_disk_cache.py):
another set of rules never reads the entry, a damaged entry is sliced again, and a cache that
cannot be written costs nothing but the time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from clingo import ast

from reasoner import _disk_cache, _solve, catalogue_cache, decide
from reasoner import catalogue as catalogue_module
from reasoner._slice import relevant_indices
from reasoner.catalogue import catalogue, catalogue_from_rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "antibiotic-prolonged-infusion.json"
ENTRIES = ("main.lp",)


def parsed(folder: Path) -> list[ast.AST]:
    statements: list[ast.AST] = []
    ast.parse_files([str(folder / entry) for entry in ENTRIES], statements.append)
    return statements


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
    return sorted(folder.glob("slice-*.json"))


def test_the_slice_is_stored_once_and_read_back(cache_folder: Path, rules: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    statements = parsed(rules)
    first = _solve._relevant_indices(rules, ENTRIES, statements)
    assert first == relevant_indices(statements)
    (entry,) = entries_in(cache_folder)
    assert json.loads(entry.read_text(encoding="utf-8")) == first

    def not_again(_: object) -> list[int]:
        raise AssertionError("sliced again although the entry is there")

    monkeypatch.setattr(_solve, "relevant_indices", not_again)
    assert _solve._relevant_indices(rules, ENTRIES, parsed(rules)) == first


def test_a_change_to_any_rule_file_is_another_key(cache_folder: Path, rules: Path) -> None:
    _solve._relevant_indices(rules, ENTRIES, parsed(rules))
    label_file = rules / "catalogue.lp"
    label_file.write_text(label_file.read_text(encoding="utf-8") + "\n% a comment changes the key too\n",
                          encoding="utf-8")
    _solve._relevant_indices(rules, ENTRIES, parsed(rules))
    assert len(entries_in(cache_folder)) == 2


@pytest.mark.parametrize("damage", ["not json", "[1, 1, 2]", "[-1]", "[99999]", '{"a": 1}', '["1"]'])
def test_a_damaged_entry_is_sliced_again_and_replaced(cache_folder: Path, rules: Path, damage: str) -> None:
    statements = parsed(rules)
    right = _solve._relevant_indices(rules, ENTRIES, statements)
    (entry,) = entries_in(cache_folder)
    entry.write_text(damage, encoding="utf-8")
    assert _solve._relevant_indices(rules, ENTRIES, statements) == right
    assert json.loads(entry.read_text(encoding="utf-8")) == right


def test_the_cache_turned_off_writes_nothing(tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, _disk_cache.CACHE_OFF)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    statements = parsed(rules)
    assert _solve._relevant_indices(rules, ENTRIES, statements) == relevant_indices(statements)
    assert not (tmp_path / "xdg").exists()


def test_a_cache_that_cannot_be_written_costs_only_time(tmp_path: Path, rules: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, str(blocker / "cache"))
    statements = parsed(rules)
    assert _solve._relevant_indices(rules, ENTRIES, statements) == relevant_indices(statements)


def test_xdg_cache_home_is_the_default_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_disk_cache.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _disk_cache.cache_dir() == tmp_path / "reasoner"


def test_a_decision_from_the_cached_slice_is_the_same(cache_folder: Path) -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    _solve._relevant.cache_clear()
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
