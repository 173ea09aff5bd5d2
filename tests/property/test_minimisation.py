"""The generic minimisations of reasoner/minimal.py, on generated properties (no solver).

Their results are the explanation's `satisfied` (QuickXplain for complete cases, the deletion
for incomplete ones), compared byte for byte across speed changes: the deletion's shortcut (one
question: does the property hold of every subset?) and QuickXplain's first split (the first
candidate set apart) must never change what they find.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from reasoner.minimal import deletion, quickxplain

ITEMS = list(range(6))


def every_subset_holds(holding: frozenset[frozenset[int]], items: list[int]) -> bool:
    return all(frozenset(subset) in holding
               for size in range(len(items) + 1) for subset in itertools.combinations(items, size))


# A property that need not be monotone: any family of subsets of the items.
families = st.sets(st.frozensets(st.sampled_from(ITEMS)), max_size=40).map(frozenset)


@given(families, st.permutations(ITEMS))
def test_the_shortcut_never_changes_what_the_deletion_finds(holding: frozenset[frozenset[int]],
                                                           order: list[int]) -> None:
    def holds(items: list[int]) -> bool:
        return frozenset(items) in holding

    plain = deletion(order, holds)
    assert deletion(order, holds, lambda items: every_subset_holds(holding, items)) == plain


@given(st.permutations(ITEMS))
def test_when_every_subset_holds_the_result_is_empty_without_asking_one_by_one(order: list[int]) -> None:
    asked: list[list[int]] = []

    def holds(items: list[int]) -> bool:
        asked.append(items)
        return True

    def of_every_subset(_items: list[int]) -> bool:
        return True

    assert deletion(order, holds, of_every_subset) == []
    assert asked == []  # the one question answered it
    assert deletion(order, holds) == []  # the removals one by one agree
    assert len(asked) == len(ITEMS)  # one question per removal


@given(st.permutations(ITEMS))
def test_when_not_every_subset_holds_the_removals_are_tried_one_by_one(order: list[int]) -> None:
    # Holds exactly while item 0 is kept: not of every subset, and the deletion keeps item 0 alone.
    holding = frozenset(frozenset(s) for n in range(len(ITEMS) + 1)
                        for s in itertools.combinations(ITEMS, n) if 0 in s)

    def holds(items: list[int]) -> bool:
        return frozenset(items) in holding

    assert deletion(order, holds, lambda items: every_subset_holds(holding, items)) == [0]


def balanced_quickxplain(candidates: list[int], holds: Callable[[list[int]], bool]) -> list[int]:
    """Junker's QuickXplain as first written here, every split in halves: the reference."""
    if holds([]):
        return []

    def search(background: list[int], added: bool, todo: list[int]) -> list[int]:
        if added and holds(background):
            return []
        if len(todo) == 1:
            return list(todo)
        first, second = todo[:len(todo) // 2], todo[len(todo) // 2:]
        kept_second = search(background + first, bool(first), second)
        return search(background + kept_second, bool(kept_second), first) + kept_second

    return search([], False, candidates)


def preferred(candidates: list[int], holds: Callable[[list[int]], bool]) -> list[int]:
    """The preferred minimal set by its definition: the last candidate without which no earlier
    ones make the property hold, then the same among the candidates before it, until it holds."""
    kept: list[int] = []
    todo = list(candidates)
    while not holds(kept):
        end = next(k for k in range(1, len(todo) + 1) if holds(kept + todo[:k]))
        kept.insert(0, todo[end - 1])
        todo = todo[:end - 1]
    return [c for c in candidates if c in kept]


# A monotone property: the set holds when it contains one of some sets (its minimal ones).
minimal_sets = st.lists(st.frozensets(st.sampled_from(ITEMS), min_size=1), min_size=1, max_size=6)


@given(minimal_sets, st.permutations(ITEMS))
def test_quickxplain_finds_the_preferred_minimal_set_whatever_the_split(sets: list[frozenset[int]],
                                                                        order: list[int]) -> None:
    def holds(items: list[int]) -> bool:
        return any(m <= set(items) for m in sets)

    found = quickxplain(order, holds)
    assert found == balanced_quickxplain(order, holds)
    assert found == preferred(order, holds)
    assert holds(found)
    assert all(not holds([x for x in found if x != dropped]) for dropped in found)


@given(st.permutations(ITEMS))
def test_quickxplain_asks_one_question_when_the_first_candidate_alone_holds(order: list[int]) -> None:
    asked: list[list[int]] = []

    def holds(items: list[int]) -> bool:
        asked.append(items)
        return order[0] in items

    assert quickxplain(order, holds) == [order[0]]
    assert asked == [[], [order[0]]]  # nothing holds; the first candidate alone does
