"""The catalogue as JSON, for the on-disk cache (reasoner/_disk_cache.py).

Reading the catalogue scans every static atom of the grounded explanation program through
Python: a fixed cost of each `reasoner check` process. The catalogue depends only on the rule
files, so it is stored under a key that hashes them and read back whole. ``from_json`` gives a
catalogue equal (field for field) to the one it was written from; tests check that over the
project's rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reasoner.answers import AnswerSpec

if TYPE_CHECKING:
    from reasoner.catalogue import Catalogue

# The code that writes and reads the entries is part of its key: another layout, another entry.
# The device kinds' codes (vocabulary.py) are facts of the program the catalogue is read from.
SOURCES = tuple(Path(__file__).with_name(name)
                for name in ("catalogue_cache.py", "catalogue.py", "answers.py", "vocabulary.py"))


def to_json(cat: Catalogue) -> dict[str, Any]:
    return {
        "clauses": {k: [c.id, c.pathway, c.verdict, c.order, list(c.requires), list(c.unless)]
                    for k, c in cat.clauses.items()},
        "conditions": cat.conditions,
        "fixed_by_request": sorted(cat.fixed_by_request),
        "labels": cat.labels, "sources": cat.sources, "questions": cat.questions,
        "pathway_labels": cat.pathway_labels, "complementary": cat.complementary,
        "versions": {k: [v.id, v.name, v.start, v.end] for k, v in cat.versions.items()},
        "rules": cat.rules, "attributes": cat.attributes, "implies": cat.implies,
        "precedence_rules": cat.precedence_rules,
        "read_by_rules": sorted(cat.read_by_rules),
        "sentences": [[n, s] for n, s in cat.sentences.items()],
        "encodes": [[n, items] for n, items in cat.encodes.items()],
        "informational": [[n, s] for n, s in cat.informational.items()],
        "quotes": {k: [list(q) for q in found] for k, found in cat.quotes.items()},
        "answers": {k: [a.field, a.type, list(a.establishes), a.unit, list(a.examples), a.prompt]
                    for k, a in cat.answers.items()},
        "answer_also": {k: [list(pair) for pair in pairs] for k, pairs in cat.answer_also.items()},
    }


def from_json(data: dict[str, Any]) -> Catalogue:
    from reasoner.catalogue import Catalogue, Clause, Version

    return Catalogue(
        clauses={k: Clause(i, p, v, o, tuple(r), tuple(u)) for k, (i, p, v, o, r, u) in data["clauses"].items()},
        conditions=list(data["conditions"]),
        fixed_by_request=frozenset(data["fixed_by_request"]),
        labels=dict(data["labels"]), sources=dict(data["sources"]), questions=dict(data["questions"]),
        pathway_labels=dict(data["pathway_labels"]), complementary=dict(data["complementary"]),
        versions={k: Version(i, n, s, e) for k, (i, n, s, e) in data["versions"].items()},
        rules=list(data["rules"]), attributes=dict(data["attributes"]), implies=dict(data["implies"]),
        precedence_rules=list(data["precedence_rules"]),
        read_by_rules=frozenset(data["read_by_rules"]),
        sentences={int(n): s for n, s in data["sentences"]},
        encodes={int(n): list(items) for n, items in data["encodes"]},
        informational={int(n): s for n, s in data["informational"]},
        quotes={k: tuple((int(n), w) for n, w in found) for k, found in data["quotes"].items()},
        answers={k: AnswerSpec(f, t, tuple(e), u, tuple(x), p) for k, (f, t, e, u, x, p) in data["answers"].items()},
        answer_also={k: tuple((o, v) for o, v in pairs) for k, pairs in data["answer_also"].items()},
    )
