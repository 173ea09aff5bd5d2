"""The explanation program, grounded once per set of rules and stored in clingo's aspif (ADR 0013).

A process that finds it loads it instead of grounding (reasoner/_solve.py's explanation_program):
it must answer every question exactly as the program grounded in the process does, and an entry
that is damaged, or a file gone since, must cost only the grounding. reasoner/_aspif.py writes
the ground program from clingo's observer; a small program with every directive the writer knows
(choice, weight body, minimize, heuristic, external, shown facts and terms) must load back with
the same models.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import clingo
import pytest

from reasoner import _disk_cache, _solve, decide, parse_case
from reasoner._aspif import AspifWriter
from reasoner.engine import solve_cases
from reasoner.errors import RulesError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "antibiotic-prolonged-infusion.json"


@pytest.fixture(autouse=True)
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv(_disk_cache.CACHE_DIR_VARIABLE, str(folder))
    _solve.explanation_program.cache_clear()
    yield folder
    _solve.explanation_program.cache_clear()


def a_version() -> str:
    """The policy version the rules choose for the example (its id, as the explanation takes it)."""
    case = parse_case(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    version = solve_cases([case])[0].version
    assert version
    return version


def anew(version: str) -> _solve.GroundProgram:
    _solve.explanation_program.cache_clear()
    return _solve.explanation_program(version)


def answers(program: _solve.GroundProgram, trials: int = 60) -> list[list[list[str]]]:
    """Every model, as sorted text, under random sets of true externals (the same sets each call)."""
    names = [name for name, _ in program.named_externals()]
    chosen = random.Random(12)
    found = []
    for _ in range(trials):
        true = chosen.sample(names, chosen.randint(0, 8))
        models = program.solve_named(true)
        found.append(sorted(sorted(str(symbol) for symbol in model.symbols) for model in models))
        assert program.satisfiable_named(true) == bool(models)
    return found


def test_the_stored_program_is_loaded_and_answers_as_the_grounded_one(cache_folder: Path) -> None:
    version = a_version()
    grounded = anew(version)
    assert isinstance(grounded, _solve.PreparedProgram)  # grounded here, and stored
    (entry,) = sorted(cache_folder.glob("ground-*.json"))
    assert entry.with_suffix(".aspif").read_text(encoding="utf-8").startswith("asp 1 0 0\n")
    loaded = anew(version)
    assert not isinstance(loaded, _solve.PreparedProgram)  # loaded, not grounded
    assert loaded.named_externals() == grounded.named_externals()
    assert answers(loaded) == answers(grounded)


def test_an_unknown_version_is_refused_and_not_stored(cache_folder: Path) -> None:
    with pytest.raises(RulesError, match="no policy version 'v1999_01_01'"):
        anew("v1999_01_01")
    assert not list(cache_folder.glob("ground-*"))


@pytest.mark.parametrize("damage", ["entry not json", "externals changed", "a directive dropped",
                                    "the ground program removed"])
def test_a_damaged_stored_program_is_grounded_again_and_replaced(cache_folder: Path, damage: str) -> None:
    version = a_version()
    grounded = anew(version)
    (entry,) = sorted(cache_folder.glob("ground-*.json"))
    ground = entry.with_suffix(".aspif")
    stored = entry.read_text(encoding="utf-8"), ground.read_text(encoding="utf-8")
    if damage == "entry not json":
        entry.write_text("{", encoding="utf-8")
    elif damage == "externals changed":
        details = json.loads(stored[0])
        details["externals"][0][1] += 1
        entry.write_text(json.dumps(details), encoding="utf-8")
    elif damage == "a directive dropped":
        lines = stored[1].splitlines(keepends=True)
        ground.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    else:
        ground.unlink()
    again = anew(version)
    assert isinstance(again, _solve.PreparedProgram)  # grounded again
    assert answers(again, trials=10) == answers(grounded, trials=10)
    assert (entry.read_text(encoding="utf-8"), ground.read_text(encoding="utf-8")) == stored


def test_an_explanation_from_the_stored_program_is_the_same() -> None:
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    first = decide(case).to_json()  # grounds and stores
    _solve.explanation_program.cache_clear()
    assert decide(case).to_json() == first  # loads


SMALL = """
{ a; b; c }.
d :- 2 { a; b; c }.
#external e. [free]
f :- e, not a.
g.
#minimize { 1,a : a; 2,b : b }.
#heuristic c. [3, level]
#heuristic a. [1, sign]
#show d/0.
#show g/0.
#show pair(X, "t\\"x") : f, X = 1.
#show c/0.
"""


def models_of(control: clingo.Control, assumptions: list[int]) -> list[tuple[list[str], list[int]]]:
    control.configuration.solve.models = "0"  # type: ignore[union-attr]
    found: list[tuple[list[str], list[int]]] = []
    control.solve(assumptions=assumptions,
                  on_model=lambda m: found.append((sorted(map(str, m.symbols(shown=True))), list(m.cost))))
    return sorted(found)


def test_the_writer_gives_a_ground_program_clingo_loads_back_with_the_same_models(tmp_path: Path) -> None:
    arguments = ["--heuristic=Domain", "--opt-mode=enum"]
    grounded = clingo.Control(arguments)
    writer = AspifWriter()
    grounded.register_observer(writer)
    grounded.add("base", [], SMALL)  # a test's own program (the package never adds text)
    grounded.ground([("base", [])])
    text = writer.text()
    assert text is not None
    assert {line.split()[0] for line in text.splitlines()[1:-1]} == {"1", "2", "4", "5", "7"}
    path = tmp_path / "small.aspif"
    path.write_text(text, encoding="utf-8")
    loaded = clingo.Control(arguments)
    loaded.load(str(path))
    loaded.ground([("base", [])])
    (external,) = [atom.literal for atom in grounded.symbolic_atoms if atom.is_external]
    for assumptions in ([external], [-external], []):
        assert models_of(loaded, assumptions) == models_of(grounded, assumptions)
    assert any('pair(1,"t\\"x")' in shown for shown, _ in models_of(loaded, [external]))
