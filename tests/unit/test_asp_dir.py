"""REASONER_ASP_DIR: the reasoner reads the rules from another folder (a copy under test, as
tools/mutate.py does for each mutant); a folder without main.lp is a clear rules error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reasoner import _solve
from reasoner.errors import RulesError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_asp_dir() -> Iterator[None]:
    """asp_dir() is read once per process: forget it before and after the test."""
    _solve.asp_dir.cache_clear()
    yield
    _solve.asp_dir.cache_clear()


@pytest.mark.usefixtures("fresh_asp_dir")
def test_without_the_variable_the_rules_are_the_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_solve.ASP_DIR_VARIABLE, raising=False)
    assert (_solve.asp_dir() / "main.lp").is_file()


@pytest.mark.usefixtures("fresh_asp_dir")
def test_the_variable_names_the_folder_of_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "asp", copy)
    monkeypatch.setenv(_solve.ASP_DIR_VARIABLE, str(copy))
    assert _solve.asp_dir() == copy.resolve()


@pytest.mark.usefixtures("fresh_asp_dir")
def test_a_folder_without_main_lp_is_a_rules_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_solve.ASP_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(RulesError, match=r"REASONER_ASP_DIR names .* which has no main\.lp"):
        _solve.asp_dir()


def run_check(case: Path, asp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, _solve.ASP_DIR_VARIABLE: str(asp)}
    return subprocess.run(
        [sys.executable, "-m", "reasoner", "check", str(case), "--format", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_decides_with_the_rules_of_the_folder(tmp_path: Path) -> None:
    copy = tmp_path / "asp"
    shutil.copytree(ROOT / "asp", copy)
    vgo = copy / "policy" / "vgo.lp"
    text = vgo.read_text(encoding="utf-8")
    assert "clause(vgo_experimental, v_go, experimental_investigational)." in text
    vgo.write_text(text.replace("clause(vgo_experimental, v_go, experimental_investigational).",
                                "clause(vgo_experimental, v_go, not_medically_necessary)."), encoding="utf-8")
    completed = run_check(ROOT / "examples" / "v-go.json", copy)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["decision"] == "not_medically_necessary"


def test_check_with_a_folder_without_main_lp_says_so_in_one_line(tmp_path: Path) -> None:
    completed = run_check(ROOT / "examples" / "v-go.json", tmp_path)
    assert completed.returncode == 3
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("internal error in the rules: REASONER_ASP_DIR names")
    assert "no main.lp" in lines[0]
