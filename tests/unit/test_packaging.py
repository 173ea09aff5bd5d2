"""The wheel ships the rules: reasoner/asp/main.lp and every .lp file of asp/ are inside it,
and the package unpacked from the wheel (not the source tree) decides a case with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_RULES = sorted((ROOT / "asp").rglob("*.lp"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("wheel")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"pip wheel failed:\n{completed.stdout}\n{completed.stderr}"
    wheels = sorted(target.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def names_in(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_source_tree_has_rules() -> None:
    assert (ROOT / "asp" / "main.lp") in SOURCE_RULES
    assert len(SOURCE_RULES) > 5


def test_wheel_contains_main_lp(wheel: Path) -> None:
    assert "reasoner/asp/main.lp" in names_in(wheel)


def test_wheel_contains_every_lp_file_of_asp(wheel: Path) -> None:
    names = names_in(wheel)
    missing = [
        f"reasoner/asp/{path.relative_to(ROOT / 'asp').as_posix()}"
        for path in SOURCE_RULES
        if f"reasoner/asp/{path.relative_to(ROOT / 'asp').as_posix()}" not in names
    ]
    assert not missing, f"not in the wheel: {missing}"


def test_wheel_rules_are_the_source_rules(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for path in SOURCE_RULES:
            inside = f"reasoner/asp/{path.relative_to(ROOT / 'asp').as_posix()}"
            assert archive.read(inside) == path.read_bytes(), f"{inside} differs from the source"


def test_wheel_contains_every_module_and_the_console_script(wheel: Path) -> None:
    names = names_in(wheel)
    for module in sorted((ROOT / "reasoner").glob("*.py")):
        assert f"reasoner/{module.name}" in names, module.name
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode("utf-8")
    assert "reasoner = reasoner.console:script" in text


def test_unpacked_wheel_decides_with_its_own_rules(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    script = (
        "import json, sys, reasoner\n"
        "from reasoner._solve import asp_dir\n"
        "case = json.loads(sys.stdin.read())\n"
        "print(json.dumps({'package': reasoner.__file__, 'rules': str(asp_dir()),\n"
        "                  'decision': reasoner.decide(case).to_json()['decision']}))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(unpacked)}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        input=(ROOT / "examples" / "insulin-pump-type1.json").read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert Path(report["package"]).is_relative_to(unpacked), report
    assert Path(report["rules"]) == unpacked / "reasoner" / "asp", report
    assert report["decision"] == "covered"
