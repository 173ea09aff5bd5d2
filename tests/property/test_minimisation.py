"""The generic minimisations of reasoner/minimal.py, on generated properties (no solver).

The deletion's shortcut (one question: does the property hold of every subset?) must never
change its result: the explanation's `satisfied` of an incomplete case is the deletion's
result, and outputs are compared byte for byte across speed changes.
"""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from reasoner.minimal import deletion

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
