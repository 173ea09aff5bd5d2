"""The ONLY place that drives clingo: load, ground, solve, log capture, error mapping.

Programs are loaded from the ``asp`` folder shipped inside the package (or the
project's ``asp/`` in a source checkout), or from the folder that the environment
variable ``REASONER_ASP_DIR`` names (another copy of the rules: tools/mutate.py
points each mutant's checks at its own copy); and, once sliced or grounded, from the
copies this module stores in the disk cache: each program's slice as a rule file, the
explanation program's ground program in aspif (ADR 0013). Facts arrive as Symbols and are
added through the backend. Every message clingo logs is a rules bug (all input
predicates are ``#defined``), so it raises ``RulesError`` instead of passing
silently; so does clingo's own ``RuntimeError``.
"""

from __future__ import annotations

import atexit
import os
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clingo

from reasoner._aspif import AspifWriter
from reasoner._disk_cache import cached, entry_key, source_digest
from reasoner._program_store import (
    GROUND,
    RULES,
    ground_details,
    origin,
    rules_text,
    store,
    stored_ground,
    stored_rules,
)
from reasoner.errors import ResourceError, RulesError

if TYPE_CHECKING:  # clingo.ast is imported where a program is parsed or built from statements:
    from clingo import ast  # a process that loads the stored sliced files (`check`) needs neither

PACKAGE_DIR = Path(__file__).resolve().parent
ASP_DIR_VARIABLE = "REASONER_ASP_DIR"
# Part of the cache key of a stored program: the code that slices it and writes it.
STORE_SOURCES = tuple(PACKAGE_DIR / name for name in ("_slice.py", "_solve.py", "_program_store.py", "_aspif.py"))


@cache
def asp_dir() -> Path:
    """The folder of .lp files: $REASONER_ASP_DIR when set, else inside the installed
    package, else the source tree. Read once per process (every cache of the rules'
    data is per process too, so one process never mixes two folders of rules)."""
    override = os.environ.get(ASP_DIR_VARIABLE, "")
    if override:
        folder = Path(override)
        if not (folder / "main.lp").is_file():
            raise RulesError(f"{ASP_DIR_VARIABLE} names {override!r}, which has no main.lp")
        return folder.resolve()
    for candidate in (PACKAGE_DIR / "asp", PACKAGE_DIR.parent / "asp"):
        if (candidate / "main.lp").is_file():
            return candidate
    raise RulesError("the rules (asp/main.lp) are not installed with the package")


# An external atom by its name and the text of each argument: ("known", "x", "true") for
# known(x,true). The rules' own names only (conditions, versions, modes), never user text.
ExternalName = tuple[str, ...]


def external_name(symbol: clingo.Symbol) -> ExternalName:
    return (symbol.name, *(str(argument) for argument in symbol.arguments))


@dataclass(frozen=True)
class SolvedModel:
    """A copy of one model: its symbols and, for optimisation, its cost."""

    symbols: tuple[clingo.Symbol, ...]
    cost: tuple[int, ...]
    optimal: bool


# A location in a stored rule file (its path, line and columns) and the origin of each of its lines.
Relocation = tuple[re.Pattern[str], tuple[str, ...]]


class _LogCapture:
    """clingo's messages, each on one line. For a program loaded from the sliced copy of the rules
    in the disk cache, a location in that file (``FILE:LINE:COLUMN...``) is named by the rule
    file and line its statement came from."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._relocation: Relocation | None = None

    def relocate(self, relocation: Relocation | None) -> None:
        self._relocation = relocation

    def __call__(self, code: clingo.MessageCode, message: str) -> None:
        text = " ".join(message.split())
        if self._relocation is not None:
            pattern, origins = self._relocation
            text = pattern.sub(partial(_relocated, origins), text)
        self.messages.append(f"{code.name}: {text}")


_LINE_AND_COLUMNS = r":(\d+):\d+(?:-(?:\d+:)?\d+)?"


def _relocated(origins: tuple[str, ...], match: re.Match[str]) -> str:
    line = int(match.group(1))
    return origins[line - 1] if 0 < line <= len(origins) else match.group(0)


def solve(
    entries: Sequence[str],
    facts: Iterable[clingo.Symbol],
    arguments: Sequence[str] = (),
    extra_files: Sequence[Path] = (),
) -> list[SolvedModel]:
    """Ground ``entries`` (file names in the asp folder) with ``facts`` and return every model.

    ``extra_files`` are added to the rules (for tests: a hand-made revision, a broken rule).
    """
    log = _LogCapture()
    try:
        control = clingo.Control(list(arguments), logger=log, message_limit=50)
        if extra_files:
            for path in [*(asp_dir() / entry for entry in entries), *extra_files]:
                control.load(str(path))
        else:
            _relevant(asp_dir(), tuple(entries)).add_to(control, log)
        _add_facts(control, facts)
        control.ground([("base", [])])
        _fail_on_messages(log)
        models: list[SolvedModel] = []
        result = control.solve(on_model=lambda m: models.append(_copy(m)))
    except MemoryError:
        raise ResourceError("not enough memory to decide this case (clingo ran out of it)") from None
    except RuntimeError as error:
        detail = "; ".join(log.messages) or str(error)
        raise RulesError(f"clingo failed: {detail}") from None
    _fail_on_messages(log)
    if result.unsatisfiable:
        raise RulesError(f"the rules in {', '.join(entries)} have no answer for these facts")
    return models


class SlicedProgram:
    """The statements of a program that its output can depend on (reasoner/_slice.py).

    Sliced once per set of rules, the program's text (a statement a line, as clingo prints it) is
    kept in the disk cache as a rule file of its own; a later process loads that file into its
    first Control (clingo reads it in a fraction of the time that parsing every rule file into
    Python statements takes) and parses it into statements only when it builds a second Control.
    Its ``origins`` name the rule file and line each line came from, for clingo's messages.
    """

    def __init__(self, folder: Path, entries: tuple[str, ...], statements: tuple[ast.AST, ...] | None = None,
                 text_file: Path | None = None, origins: tuple[str, ...] = (), key: str = "") -> None:
        self._source = (folder, entries)
        self._key = key
        self._statements = statements
        self._loaded = False
        self.text_file = text_file
        self.origins = origins
        # clingo names the stored file in its messages: each location in it named by its origin
        self.relocation: Relocation | None = None if text_file is None else \
            (re.compile(re.escape(str(text_file)) + _LINE_AND_COLUMNS), origins)
        _HOLDING_STATEMENTS.add(self)

    @property
    def statements(self) -> tuple[ast.AST, ...]:
        if self._statements is None:
            self._statements = self._parsed_stored_file() or _sliced_from_files(*self._source)
        return self._statements

    def _parsed_stored_file(self) -> tuple[ast.AST, ...] | None:
        """The stored file's statements, if it is still there with its digest (checked again: it
        may have changed since the first Control loaded it); else None, and the slice is taken
        from the rule files."""
        found = stored_rules(self._key, self._source[0]) if self.text_file is not None else None
        if found is None or found[0] != self.text_file:
            self.text_file = None
            return None
        try:
            return tuple(_parsed([str(self.text_file)], "the sliced program", self.relocation)[1:])
        except RulesError:
            self.text_file = None
            return None

    def add_to(self, control: clingo.Control, log: _LogCapture) -> None:
        """Add the program to ``control``: the stored file loaded into the first Control (if it is
        still there: a Control that failed to load a file cannot be used again), statements after."""
        log.relocate(self.relocation)
        if not self._loaded and self._statements is None and self.text_file is not None \
                and _is_file(self.text_file):
            self._loaded = True
            control.load(str(self.text_file))  # the rule file _relevant stored from these rules
        else:
            _add_statements(control, self.statements)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder that cannot be read: as if the file were not there
        return False


# Every sliced program, so that their statements are dropped at exit while clingo is still loaded:
# an AST object freed at interpreter shutdown, after the lazily imported ``clingo.ast`` module was
# torn down, cannot release itself (Python prints an ignored exception for each, hundreds at the
# end of a run).
_HOLDING_STATEMENTS: weakref.WeakSet[SlicedProgram] = weakref.WeakSet()


@atexit.register
def _release_statements() -> None:
    for program in list(_HOLDING_STATEMENTS):
        program._statements = None


@cache
def _relevant(folder: Path, entries: tuple[str, ...]) -> SlicedProgram:
    """The entries' statements that their output can depend on, once per process: the sliced
    program in the disk cache when these rules were sliced before by this slicer and this module
    (reasoner/_disk_cache.py: the key hashes every .lp file), else parsed from the files, sliced
    and stored."""
    key = entry_key(folder, "sliced", [*entries, source_digest(*STORE_SOURCES)])
    found = stored_rules(key, folder)
    if found is not None:
        return SlicedProgram(folder, entries, text_file=found[0], origins=found[1], key=key)
    statements = _sliced_from_files(folder, entries)
    text = rules_text([str(statement) for statement in statements])
    if text is not None:
        origins = [origin(s.location.begin.filename, s.location.begin.line, folder) for s in statements]
        store(key, RULES, text, {"origins": origins})
    return SlicedProgram(folder, entries, statements)


def _sliced_from_files(folder: Path, entries: tuple[str, ...]) -> tuple[ast.AST, ...]:
    from reasoner import _slice

    return tuple(_slice.relevant_statements(_parsed([str(folder / entry) for entry in entries], ", ".join(entries))))


def _parsed(paths: list[str], what: str, relocation: Relocation | None = None) -> list[ast.AST]:
    from clingo import ast

    log = _LogCapture()
    log.relocate(relocation)
    parsed: list[ast.AST] = []
    try:
        # The project's own rule files (or the sliced copy _relevant stored), read as `load` reads them.
        ast.parse_files(paths, parsed.append, logger=log, message_limit=50)
    except RuntimeError as error:
        detail = "; ".join(log.messages) or str(error)
        raise RulesError(f"clingo failed to parse {what}: {detail}") from None
    _fail_on_messages(log)
    return parsed


def _add_statements(control: clingo.Control, statements: Iterable[ast.AST]) -> None:
    from clingo import ast

    with ast.ProgramBuilder(control) as builder:
        for statement in statements:
            builder.add(statement)


def _add_facts(control: clingo.Control, facts: Iterable[clingo.Symbol]) -> None:
    """Add each Symbol as a fact through the backend: a term, never program text.

    (Hence the `#show p(X) : p(X).` form in the show files: see asp/show.lp.)
    """
    with control.backend() as backend:
        for fact in facts:
            backend.add_rule([backend.add_atom(fact)])


def _copy(model: clingo.Model) -> SolvedModel:
    symbols = model.symbols(shown=True)
    return SolvedModel(tuple(symbols), tuple(model.cost), model.optimality_proven)


def _fail_on_messages(log: _LogCapture) -> None:
    if log.messages:
        raise RulesError("clingo reported: " + "; ".join(log.messages))


def single_model(models: list[SolvedModel]) -> SolvedModel:
    """The one model of a stratified program, or a RulesError."""
    if len(models) != 1:
        raise RulesError(f"the decision program gave {len(models)} answers, expected one")
    return models[0]


class GroundProgram:
    """A program grounded once and solved many times under assumptions, its externals named.

    Its external atoms are declared ``[free]``; every solve assumes each of them true or false
    (a complete assignment, as integer literals), so no state is carried from one solve to the
    next. Not thread-safe: each process keeps its own (``prepared``, ``explanation_program``).
    """

    def __init__(self, control: clingo.Control, log: _LogCapture, entry: str,
                 externals: Sequence[tuple[ExternalName, int]]) -> None:
        self._control = control
        self._log = log
        self._entry = entry
        # Each solve assumes every external false but the true ones: a copy of this list
        # with those few slots turned true.
        self._all_false = [-literal for _, literal in externals]
        self._slot_by_name = {name: (index, literal) for index, (name, literal) in enumerate(externals)}
        self._models = -1  # the solve.models setting last made (setting it costs a round trip)

    def named_externals(self) -> list[tuple[ExternalName, int]]:
        """Each external atom by name, with its literal, in the order of the assumptions."""
        return [(name, literal) for name, (_, literal) in self._slot_by_name.items()]

    def solve_named(self, true_externals: Iterable[ExternalName], models: int = 0) -> list[SolvedModel]:
        """``solve``, with the true externals given by name (``external_name``): no Symbol is
        built or hashed, which is a fifth of a solve's time for the explanation's questions."""
        return self._solve_with(self._slot_by_name, true_externals, models)

    def satisfiable_named(
        self, true_externals: Iterable[ExternalName], free_externals: Iterable[ExternalName] = (),
    ) -> bool:
        """Whether there is a model with exactly these externals true (named as for
        ``solve_named``); no model is copied, which saves a sixth of a short solve.
        ``free_externals`` are left unassumed: the solver may make each true or false."""
        assumptions = self._assumptions(self._slot_by_name, true_externals, free_externals)
        # Stopped at the first model by the callback, whatever solve.models says: the setting
        # is left as the enumerations use it (changing it costs a round trip each time).
        try:
            result = self._control.solve(assumptions=assumptions, on_model=_first_model_only)
        except RuntimeError as error:
            raise RulesError(f"clingo failed on {self._entry}: {error}") from None
        _fail_on_messages(self._log)
        return bool(result.satisfiable)

    def _solve_with(
        self, slots: Mapping[Any, tuple[int, int]], true_externals: Iterable[Any], models: int,
    ) -> list[SolvedModel]:
        assumptions = self._assumptions(slots, true_externals)
        self._set_models(models)
        found: list[SolvedModel] = []
        try:
            self._control.solve(assumptions=assumptions, on_model=lambda m: found.append(_copy(m)))
        except RuntimeError as error:
            raise RulesError(f"clingo failed on {self._entry}: {error}") from None
        _fail_on_messages(self._log)
        return found

    def _assumptions(
        self, slots: Mapping[Any, tuple[int, int]], true_externals: Iterable[Any], free_externals: Iterable[Any] = (),
    ) -> list[int]:
        """Every external false but the true ones, as integer literals; the free ones left out."""
        assumptions = self._all_false.copy()
        try:
            for external in true_externals:
                index, literal = slots[external]
                assumptions[index] = literal
            free = {slots[external][0] for external in free_externals}
        except KeyError as missing:
            raise RulesError(f"{self._entry} has no external {missing}") from None
        return [literal for index, literal in enumerate(assumptions) if index not in free] if free else assumptions

    def _set_models(self, models: int) -> None:
        if models != self._models:  # setting it costs a round trip: only when it changes
            self._control.configuration.solve.models = str(models)  # type: ignore[union-attr]
            self._models = models



class PreparedProgram(GroundProgram):
    """A program grounded here, with its externals also by Symbol and its static facts at hand.

    ``sliced``: only the statements its output can depend on (reasoner/_slice.py), so the
    static data no solve reads (labels, sources, quotes) is neither grounded nor carried
    through every solve; ``static_facts`` then holds only what is left. ``observer``, if given,
    sees the ground program (reasoner/_aspif.py writes it down).
    """

    def __init__(
        self,
        entry: str,
        arguments: Sequence[str] = (),
        facts: Iterable[clingo.Symbol] = (),
        extra_files: Sequence[Path] = (),
        sliced: bool = False,
        observer: AspifWriter | None = None,
    ) -> None:
        log = _LogCapture()
        try:
            control = clingo.Control(list(arguments), logger=log, message_limit=50)
            if observer is not None:
                control.register_observer(observer)
            if sliced and not extra_files:
                _relevant(asp_dir(), (entry,)).add_to(control, log)
            else:
                control.load(str(asp_dir() / entry))
            for path in extra_files:
                control.load(str(path))
            _add_facts(control, facts)
            control.ground([("base", [])])
        except RuntimeError as error:
            detail = "; ".join(log.messages) or str(error)
            raise RulesError(f"clingo failed on {entry}: {detail}") from None
        _fail_on_messages(log)
        literals = [(atom.symbol, atom.literal) for atom in control.symbolic_atoms if atom.is_external]
        super().__init__(control, log, entry, [(external_name(symbol), literal) for symbol, literal in literals])
        self._slot = {symbol: (index, literal) for index, (symbol, literal) in enumerate(literals)}
        self.externals = frozenset(self._slot)

    def static_facts(self) -> list[clingo.Symbol]:
        """Every atom the grounding already settled as a fact (the program's static data)."""
        return [atom.symbol for atom in self._control.symbolic_atoms if atom.is_fact]

    def facts_of(self, name: str, arity: int) -> list[list[clingo.Symbol]]:
        """The arguments of every ground fact name/arity (static data of the program)."""
        atoms = self._control.symbolic_atoms.by_signature(name, arity)
        return [list(atom.symbol.arguments) for atom in atoms if atom.is_fact]

    def solve(self, true_externals: frozenset[clingo.Symbol], models: int = 0) -> list[SolvedModel]:
        """Every model (or the first ``models``) with exactly these externals true."""
        return self._solve_with(self._slot, true_externals, models)


def _first_model_only(_model: clingo.Model) -> bool:
    return False  # stop the search: a model exists


def has_no_model(entry: str) -> bool:
    """Whether the program ``entry`` has no model: a proof by the solver about the rules, made
    once per set of rules (cached on disk under their digest, reasoner/_disk_cache.py)."""
    key = entry_key(asp_dir(), "no-model", [entry])
    return cached(key, lambda: not PreparedProgram(entry).satisfiable_named(()),
                  lambda stored: stored if isinstance(stored, bool) else None)


@cache
def prepared(entry: str, arguments: tuple[str, ...] = ()) -> PreparedProgram:
    """One grounded program per entry and arguments, per process."""
    return PreparedProgram(entry, arguments)


EXPLAIN_ENTRY = "explain.lp"
EXPLAIN_ARGUMENTS = ("--heuristic=Domain", "--enum-mode=domRec")


@cache
def explanation_program(version: str) -> GroundProgram:
    """The explanation program (asp/explain.lp) for one policy version, sliced and grounded once
    per process for each version asked about; grounded once per set of rules, in fact: the ground
    program is stored in the disk cache in clingo's aspif (ADR 0013), which later processes load
    in about a tenth of the grounding's time, without a Python object per atom.

    It gets the input vocabulary's kind/code table, so that the abstract case respects
    which codes fit which device kind, as every real case does. Sliced, it grounds in about
    two fifths of the time and each of its solves is about a tenth quicker; with its version a
    fact (``version_is/1``), the other versions' clauses are not grounded at all: a seventh fewer
    variables and a twelfth fewer instructions per solve than with the version an external
    (docs/performance.md).
    """
    facts = _explanation_facts(version)
    key = entry_key(asp_dir(), "ground", [EXPLAIN_ENTRY, *EXPLAIN_ARGUMENTS, *map(str, facts),
                                          source_digest(*STORE_SOURCES)])
    program, versions = _stored_explanation(key) or _grounded_explanation(key, facts, version)
    if version not in versions:
        raise RulesError(f"the rules have no policy version {version!r}")
    return program


def _stored_explanation(key: str) -> tuple[GroundProgram, list[str]] | None:
    """The stored ground explanation program, loaded (None if there is none clingo can read)."""
    found = stored_ground(key)
    if found is None:
        return None
    path, externals, versions = found
    log = _LogCapture()
    try:
        control = clingo.Control(list(EXPLAIN_ARGUMENTS), logger=log, message_limit=50)
        control.load(str(path))  # the ground program _grounded_explanation stored
        control.ground([("base", [])])
    except RuntimeError:
        return None  # gone since it was found (the cache cleared): grounded anew
    if log.messages:
        return None
    return GroundProgram(control, log, EXPLAIN_ENTRY, externals), versions


def _grounded_explanation(key: str, facts: list[clingo.Symbol], version: str) -> tuple[GroundProgram, list[str]]:
    """The explanation program grounded here, and stored when its version is one of the rules'."""
    writer = AspifWriter()
    program = PreparedProgram(EXPLAIN_ENTRY, EXPLAIN_ARGUMENTS, facts=facts, sliced=True, observer=writer)
    versions = [arguments[0].name for arguments in program.facts_of("version", 4)]
    text = writer.text()
    if text is not None and version in versions:
        store(key, GROUND, text, ground_details(program.named_externals(), versions))
    return program, versions


def rules_with_static_data() -> PreparedProgram:
    """The explanation program whole, with every static fact of the rules (labels, sources,
    quotes, questions): what the catalogue is read from, when its disk cache has no entry."""
    return _explanation_rules(sliced=False)


def _explanation_rules(sliced: bool, version: str | None = None) -> PreparedProgram:
    """The explanation program grounded here; with ``version``, that version's ``version_is/1`` is
    a fact, else every version's is an external."""
    return PreparedProgram(EXPLAIN_ENTRY, EXPLAIN_ARGUMENTS, facts=_explanation_facts(version), sliced=sliced)


def _explanation_facts(version: str | None) -> list[clingo.Symbol]:
    """The kind/code table, and ``version_is(version)`` (a name the rules produced, never user
    text) when there is one."""
    from reasoner._facts import kind_code_facts, version_fact
    from reasoner.vocabulary import KIND_CODES

    facts = kind_code_facts(KIND_CODES)
    if version is not None:
        facts.append(version_fact(version))
    return facts
