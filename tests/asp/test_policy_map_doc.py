"""docs/policy-map.md says what asp/sentences.lp says: the same sentences, the same ids."""

from __future__ import annotations

import re
from pathlib import Path

from reasoner.catalogue import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy-map.md"
ROW = re.compile(r"^\| (\d+) \| ([^|]*) \| ([^|]*) \|")


def test_every_sentence_row_matches_the_rules_map() -> None:
    cat = catalogue()
    rows = {int(m.group(1)): (m.group(2).strip(), m.group(3).strip())
            for line in DOC.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))}
    assert sorted(rows) == sorted(cat.sentences)
    for number, (beginning, ids) in rows.items():
        assert cat.sentences[number].startswith(beginning.replace("\\|", "|")[:20]), number
        if ids.startswith("informational"):
            assert number in cat.informational, number
        else:
            listed = {item.strip() for item in ids.split(",")}
            assert listed == set(cat.encodes[number]), (number, listed, cat.encodes[number])
