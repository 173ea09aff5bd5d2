"""The interview's state: the case as answered so far, and what is left to ask.

No input or output here: the terminal loop (terminal.py) asks, this module keeps the case,
validates each answer through the case model, and decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasoner.case import parse_case
from reasoner.catalogue import catalogue
from reasoner.decision import Decision, FieldQuestion, fields_to_ask
from reasoner.engine import decide
from reasoner.errors import InvalidCase


@dataclass
class Interview:
    """A case being completed: every accepted answer is validated and the case decided again."""

    case: dict[str, Any]
    skipped: set[str] = field(default_factory=set)
    answered: list[tuple[str, Any]] = field(default_factory=list)
    decision: Decision | None = None

    def __post_init__(self) -> None:
        self.decision = decide(self.case)

    def current(self) -> Decision:
        assert self.decision is not None  # set in __post_init__
        return self.decision

    def next_question(self) -> FieldQuestion | None:
        """The most decisive open question not yet skipped, or None when the interview is over.

        The order is the decision's: the question whose condition belongs to the smallest set of
        answers that could change the decision comes first (docs/explanations.md, `questions`).
        """
        decision = self.current()
        if decision.complete:
            return None
        for item in fields_to_ask(decision.questions):
            if item.field not in self.skipped:
                return item
        return None

    def answer(self, field_name: str, value: Any) -> Decision:
        """Set the field, or raise InvalidCase (the case is left unchanged)."""
        updated = catalogue().apply_answer(self.case, field_name, value)
        parse_case(updated)
        self.case = updated
        self.answered.append((field_name, value))
        self.decision = decide(updated)
        return self.decision

    def skip(self, field_name: str) -> None:
        self.skipped.add(field_name)


def apply_answers(interview: Interview, answers: dict[str, Any]) -> None:
    """Answers given up front (--answers FILE): each field set in turn; a bad one is refused."""
    for field_name, value in answers.items():
        try:
            interview.answer(field_name, value)
        except InvalidCase as error:
            raise InvalidCase([_answer_problem(field_name, problem) for problem in error.problems()]) from None


def _answer_problem(field_name: str, problem: str) -> str:
    """The problem, prefixed once with the answer it came from."""
    if problem.startswith(f"{field_name}:"):
        return f"--answers {problem}"
    return f"--answers {field_name}: {problem}"
