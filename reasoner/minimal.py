"""Generic minimisation of a set of literals under a property decided by the solver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def quickxplain(
    candidates: Sequence[Item], holds: Callable[[list[Item]], bool]
) -> list[Item]:
    """A subset-minimal subset for which the monotone property ``holds``.

    Earlier candidates are preferred (kept when there is a choice): the result is the preferred
    one of Junker's QuickXplain, which does not depend on where the candidates are split. The
    first split sets the first candidate apart, then halves: callers put first the candidate
    most likely to be needed, and when it alone makes the property hold, one question finds it.
    """
    if holds([]):
        return []

    def search(background: list[Item], added: bool, todo: list[Item], split: int) -> list[Item]:
        if added and holds(background):
            return []
        if len(todo) == 1:
            return list(todo)
        first, second = todo[:split], todo[split:]
        kept_second = search(background + first, bool(first), second, len(second) // 2)
        kept_first = search(background + kept_second, bool(kept_second), first, len(first) // 2)
        return kept_first + kept_second

    return search([], False, list(candidates), 1)


def deletion(
    candidates: Sequence[Item], holds: Callable[[list[Item]], bool],
    holds_of_every_subset: Callable[[list[Item]], bool] | None = None,
) -> list[Item]:
    """A subset for which ``holds`` is true and stays false after removing any one item.

    For a property that is not monotone: removals are repeated until none succeeds.
    ``holds_of_every_subset``, when given, is asked first, in one question: when ``holds`` is
    true of every subset of the candidates, each removal succeeds in turn and the result is
    empty, which is what the removals one by one would find.
    """
    if holds_of_every_subset is not None and len(candidates) > 1 and holds_of_every_subset(list(candidates)):
        return []
    kept = list(candidates)
    changed = True
    while changed:
        changed = False
        for literal in reversed(list(kept)):
            trial = [other for other in kept if other != literal]
            if holds(trial):
                kept, changed = trial, True
    return kept
