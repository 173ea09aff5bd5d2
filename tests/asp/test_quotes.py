"""Every quote in asp/quotes.lp is the policy's exact words, and every cited id has one.

quote(Id, N, Text): Text is an exact substring of sentence N of the policy
text, numbered as reasoner.traceability.sentences cuts it (asp/sentences.lp).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner.catalogue import Catalogue, catalogue
from reasoner.traceability import sentences

POLICY = Path(__file__).resolve().parents[2] / "policy" / "portable-external-infusion-pump.txt"


@pytest.fixture(scope="module")
def policy_text() -> str:
    return POLICY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def units(policy_text: str) -> list[str]:
    return sentences(policy_text)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return catalogue()


def encoders(cat: Catalogue, item: str) -> set[int]:
    """The sentences that sentences.lp says encode item."""
    return {n for n, items in cat.encodes.items() if item in items}


def test_there_are_quotes(cat: Catalogue) -> None:
    assert cat.quotes, "asp/quotes.lp has no quote/3 facts"


def test_every_quote_is_exact_words_of_its_sentence(cat: Catalogue, units: list[str], policy_text: str) -> None:
    problems: list[str] = []
    for item, quoted in sorted(cat.quotes.items()):
        for number, words in quoted:
            if not words.strip():
                problems.append(f"{item}: empty quote of sentence {number}")
            elif not 1 <= number <= len(units):
                problems.append(f"{item}: sentence {number} does not exist (the text has {len(units)})")
            elif words not in units[number - 1]:
                problems.append(f"{item}: {words!r} is not in sentence {number}: {units[number - 1]!r}")
            elif words not in policy_text:
                problems.append(f"{item}: {words!r} is not in the policy text")
    assert not problems, "\n".join(problems)


def test_every_cited_id_has_a_quote(cat: Catalogue) -> None:
    missing = sorted(set(cat.sources) - set(cat.quotes))
    assert not missing, f"ids with a source(...) but no quote(...): {missing}"


def test_every_quoted_id_has_a_source(cat: Catalogue) -> None:
    orphans = sorted(set(cat.quotes) - set(cat.sources))
    assert not orphans, f"ids with a quote(...) but no source(...): {orphans}"


def test_clauses_and_billing_rules_quote_the_sentences_that_encode_them(cat: Catalogue) -> None:
    problems: list[str] = []
    for item in sorted({*cat.clauses, *cat.rules}):
        quoted = {number for number, _ in cat.quotes.get(item, ())}
        encoded_by = encoders(cat, item)
        if not encoded_by:
            problems.append(f"{item}: no sentence encodes it in asp/sentences.lp")
        if not quoted:
            problems.append(f"{item}: quotes no sentence")
        elif stray := sorted(quoted - encoded_by):
            problems.append(
                f"{item}: quotes sentences {stray}, which do not encode it (encoded by {sorted(encoded_by)})"
            )
    assert not problems, "\n".join(problems)
