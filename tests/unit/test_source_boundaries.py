"""Source scan of reasoner/: only _solve.py drives clingo (Control, loading, adding program
parts), only _facts.py builds input Symbols, and nothing turns text into a program or a term.

_solve.py reads the project's own rule files either with `Control.load` or with
`clingo.ast.parse_files` (the same files, as statements, for _slice.py to keep what the output
depends on), and the sliced copy of them it writes to the disk cache the same two ways; _slice.py
only reads those statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reasoner"
MODULES = sorted(PACKAGE.glob("*.py"))
SOLVER_MODULE = "_solve.py"
FACTS_MODULE = "_facts.py"
STATEMENT_READER = "_slice.py"

# clingo names that build or run a program: only _solve.py may touch them.
DRIVING_NAMES = {"Control", "ast", "ProgramBuilder", "parse_program", "parse_files", "control"}
# clingo names that read text as a term or program: nobody needs them (_solve.py reads the
# rule files, whose names it builds from the rules folder, with parse_files as with load).
TEXT_TO_PROGRAM = {"parse_term", "parse_program", "parse_files", "parse_string"}
READS_RULE_FILES = {"parse_files"}
# what _facts.py may take from clingo: constructors of terms, nothing that parses.
FACTS_IMPORTS = {"Function", "Number", "String", "Symbol", "SymbolType", "Tuple_",
                 "Infimum", "Supremum"}


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def clingo_names_used(tree: ast.Module) -> set[str]:
    """Names taken from clingo: `from clingo import X`, `clingo.X`, `import clingo.X`."""
    used: set[str] = set()
    aliases = {"clingo"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "clingo":
            used |= {alias.name for alias in node.names}
            used |= set(node.module.split(".")[1:])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "clingo":
                    used |= set(alias.name.split(".")[1:])
                    aliases.add(alias.asname or "clingo")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            used.add(node.attr)
    return used


def test_the_package_has_the_modules_the_scan_relies_on() -> None:
    names = {path.name for path in MODULES}
    assert {SOLVER_MODULE, FACTS_MODULE, "cli.py", "case.py"} <= names


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != SOLVER_MODULE],
                         ids=lambda p: p.name)
def test_only_solve_drives_clingo(path: Path) -> None:
    used = clingo_names_used(tree_of(path))
    allowed = {"ast"} if path.name == STATEMENT_READER else set()
    assert not used & (DRIVING_NAMES - allowed), f"{path.name} uses clingo's {sorted(used & DRIVING_NAMES)}"


def test_the_statement_reader_builds_and_parses_nothing() -> None:
    """_slice.py may read clingo's AST statements (their types and fields), nothing more."""
    tree = tree_of(PACKAGE / STATEMENT_READER)
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    banned = (DRIVING_NAMES - {"ast"}) | TEXT_TO_PROGRAM | {"ground", "load", "backend", "solve"}
    assert not attributes & banned, sorted(attributes & banned)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_nothing_parses_text_into_a_program_or_term(path: Path) -> None:
    tree = tree_of(path)
    allowed = READS_RULE_FILES if path.name == SOLVER_MODULE else set()
    used = clingo_names_used(tree) - allowed
    assert not used & TEXT_TO_PROGRAM, f"{path.name} uses {sorted(used & TEXT_TO_PROGRAM)}"
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    } - allowed
    assert not called & TEXT_TO_PROGRAM, f"{path.name} calls {sorted(called & TEXT_TO_PROGRAM)}"


def test_the_solver_parses_only_files_of_the_rules_folder() -> None:
    """parse_files is called in one function of _solve.py, `_parsed`, and every call of that names
    files built from the rules folder (the folder asp_dir() returned), or the sliced copy of those
    rules that _solve.py itself wrote to the disk cache (`text_file`): never a path or text a user
    gave."""
    tree = tree_of(PACKAGE / SOLVER_MODULE)
    parsing = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               and any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                       and call.func.attr == "parse_files" for call in ast.walk(node))]
    assert [function.name for function in parsing] == ["_parsed"]
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == "_parsed"]
    assert calls
    for call in calls:
        argument = ast.unparse(call.args[0])
        assert "folder / entry" in argument or "self.text_file" in argument, argument


def _is_text(node: ast.expr) -> bool:
    """A str literal, an f-string, or text built by + / % / .format / .join."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and (
            not isinstance(node.func.value, ast.Constant) or isinstance(node.func.value.value, str)
        )
    return False


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_add_call_with_program_text(path: Path) -> None:
    """`Control.add(name, params, program_text)` is banned everywhere; set.add / rich's
    Tree.add / the AST builder's add take objects, never text."""
    offending = []
    for node in ast.walk(tree_of(path)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add"):
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            if len(node.args) >= 3 or any(_is_text(argument) for argument in arguments):
                offending.append(f"{path.name}:{node.lineno}")
    assert not offending, f"an .add( call with text or the Control.add shape: {offending}"


def test_only_solve_calls_load_or_ground() -> None:
    offending = []
    for path in MODULES:
        if path.name == SOLVER_MODULE:
            continue
        for node in ast.walk(tree_of(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("ground", "load", "backend", "assign_external")):
                offending.append(f"{path.name}:{node.lineno} .{node.func.attr}(")
    assert not offending, offending


def test_facts_module_takes_only_term_constructors_from_clingo() -> None:
    used = clingo_names_used(tree_of(PACKAGE / FACTS_MODULE))
    assert used, "_facts.py builds clingo Symbols"
    assert used <= FACTS_IMPORTS, f"_facts.py uses {sorted(used - FACTS_IMPORTS)}"


def test_only_facts_builds_input_symbols() -> None:
    """Function/String/Number are the constructors of facts; only _facts.py calls them."""
    builders = {"Function", "String", "Number"}
    offending = []
    for path in MODULES:
        if path.name == FACTS_MODULE:
            continue
        used = clingo_names_used(tree_of(path)) & builders
        if used:
            offending.append(f"{path.name}: {sorted(used)}")
    assert not offending, offending


def test_the_scan_detects_what_it_bans() -> None:
    """The scan itself can fail: it sees Control, parse_term and Control.add with text."""
    sample = ast.parse(
        "import clingo\nfrom clingo import Control, parse_term\n"
        "c = clingo.Control()\nc.add('base', [], f'p({x}).')\n"
    )
    assert {"Control", "parse_term"} <= clingo_names_used(sample)
    calls = [n for n in ast.walk(sample) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "add"]
    assert calls
    assert any(_is_text(argument) for argument in calls[0].args)
