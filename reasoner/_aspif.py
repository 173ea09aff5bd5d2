"""A ground program written as clingo's intermediate format (aspif), from a grounding it observes.

reasoner/_solve.py registers an ``AspifWriter`` on the Control that grounds the explanation program
and stores ``text()`` in the disk cache (ADR 0013); a later process has clingo load that file,
which gives the solver the same ground program without grounding it (the format: Kaminski et al.,
"The aspif format", in clingo's documentation: one directive a line, integers, shown atoms as
text). This module only turns the observer's integers and Symbols into lines; it drives nothing.
A construct it does not write (theory atoms) makes ``text()`` None: the program is then not stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import clingo
from clingo.backend import HeuristicType, Observer

HEADER = "asp 1 0 0"
END = "0"


def _counted(items: Sequence[int]) -> str:
    return " ".join([str(len(items)), *map(str, items)])


def _weighted(items: Sequence[tuple[int, int]]) -> str:
    return " ".join([str(len(items)), *(f"{literal} {weight}" for literal, weight in items)])


def _shown(symbol: clingo.Symbol) -> str:
    text = str(symbol)
    return f"{len(text.encode())} {text}"


class AspifWriter(Observer):
    """A clingo ground-program observer (``Control.register_observer``) that keeps each directive."""

    def __init__(self) -> None:
        self._lines: list[str] = [HEADER]
        self._unsupported = False

    def text(self) -> str | None:
        return None if self._unsupported else "\n".join([*self._lines, END, ""])

    def rule(self, choice: bool, head: Sequence[int], body: Sequence[int]) -> None:
        self._lines.append(f"1 {int(choice)} {_counted(head)} 0 {_counted(body)}")

    def weight_rule(self, choice: bool, head: Sequence[int], lower_bound: int,
                    body: Sequence[tuple[int, int]]) -> None:
        self._lines.append(f"1 {int(choice)} {_counted(head)} 1 {lower_bound} {_weighted(body)}")

    def minimize(self, priority: int, literals: Sequence[tuple[int, int]]) -> None:
        self._lines.append(f"2 {priority} {_weighted(literals)}")

    def project(self, atoms: Sequence[int]) -> None:
        self._lines.append(f"3 {_counted(atoms)}")

    def output_atom(self, symbol: clingo.Symbol, atom: int) -> None:
        self._lines.append(f"4 {_shown(symbol)} {_counted([atom] if atom else [])}")

    def output_term(self, symbol: clingo.Symbol, condition: Sequence[int]) -> None:
        self._lines.append(f"4 {_shown(symbol)} {_counted(condition)}")

    def external(self, atom: int, value: clingo.TruthValue) -> None:
        self._lines.append(f"5 {atom} {value.value}")  # free 0, true 1, false 2, release 3: aspif's

    def assume(self, literals: Sequence[int]) -> None:
        self._lines.append(f"6 {_counted(literals)}")

    def heuristic(self, atom: int, type_: HeuristicType, bias: int, priority: int, condition: Sequence[int]) -> None:
        # level 0, sign 1, factor 2, init 3, true 4, false 5: the same numbers as aspif's
        self._lines.append(f"7 {type_.value} {atom} {bias} {priority} {_counted(condition)}")

    def acyc_edge(self, node_u: int, node_v: int, condition: Sequence[int]) -> None:
        self._lines.append(f"8 {node_u} {node_v} {_counted(condition)}")

    # A theory atom (none in the project's rules) is not written: the program is not stored.
    def theory_atom(self, atom_id_or_zero: int, term_id: int, elements: Sequence[int]) -> None:  # noqa: ARG002
        self._unsupported = True

    def theory_atom_with_guard(
        self, atom_id_or_zero: int, term_id: int, elements: Sequence[int],  # noqa: ARG002
        operator_id: int, right_hand_side_id: int,  # noqa: ARG002
    ) -> None:
        self._unsupported = True
