"""The policy text cut into sentences, and the map from each sentence to the rules.

The map itself is data in asp/sentences.lp (sentence/2, encodes/2,
informational/2); this module only reads the text and checks the map against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at ". " or "; " before a capital letter, except after "U.S.".
SENTENCE_END = re.compile(r"(?<=[.;])(?<!U\.S\.)\s+(?=[A-Z])")


def sentences(policy_text: str) -> list[str]:
    """Every non-empty line of the policy, cut into sentences, bullets removed."""
    units: list[str] = []
    for raw in policy_text.splitlines():
        line = raw.strip().lstrip("•").strip()
        if line:
            units.extend(part for part in SENTENCE_END.split(line) if part)
    return units


@dataclass(frozen=True)
class MapProblem:
    number: int
    message: str


def check_map(policy_text: str, prefixes: dict[int, str], mapped: set[int]) -> list[MapProblem]:
    """Each sentence of the text has a numbered entry starting with its words, and is mapped."""
    problems = []
    units = sentences(policy_text)
    for number, unit in enumerate(units, 1):
        prefix = prefixes.get(number)
        if prefix is None:
            problems.append(MapProblem(number, f"sentence {number} has no entry: {unit[:60]!r}"))
        elif not unit.startswith(prefix):
            problems.append(MapProblem(number, f"sentence {number} does not start with {prefix!r}"))
        if number not in mapped:
            problems.append(MapProblem(number, f"sentence {number} is neither encoded nor informational"))
    for number in sorted(set(prefixes) - set(range(1, len(units) + 1))):
        problems.append(MapProblem(number, f"entry {number} matches no sentence of the text"))
    return problems
