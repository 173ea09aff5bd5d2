"""The decision (docs/contract.md section 2): plain, immutable values and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from reasoner.answers import Answer

POLICY_ID = "portable-external-infusion-pump"
QUOTE_JOIN = " … "


@dataclass(frozen=True)
class VersionBasis:
    """The date that chose the version: the date of service, or the as-of date asked for."""

    chosen_by: str  # date_of_service | as_of
    day: date
    reason: str
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"chosen_by": self.chosen_by, "date": self.day.isoformat(), "reason": self.reason}


@dataclass(frozen=True)
class Citation:
    """The policy's exact words: (sentence number, words) pairs, in the text's order."""

    quotes: tuple[tuple[int, str], ...] = ()

    @property
    def sentence(self) -> str:
        return QUOTE_JOIN.join(dict.fromkeys(words for _, words in self.quotes))

    @property
    def numbers(self) -> list[int]:
        return sorted({number for number, _ in self.quotes})

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "sentences": self.numbers}


@dataclass(frozen=True)
class ConditionRef:
    """One condition as the explanation names it: met, not_met or unknown."""

    condition: str
    label: str
    source: str
    status: str
    citation: Citation = field(default_factory=Citation)
    answer: Answer | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "condition": self.condition,
            "label": self.label,
            **self.citation.to_json(),
            "source": self.source,
            "status": self.status,
        }
        if self.answer is not None:
            data["answer"] = self.answer.to_json()
        return data


@dataclass(frozen=True)
class RuleRef:
    """A clause or a billing rule: its paraphrase (label), exact words (sentence) and citation."""

    rule: str
    label: str
    source: str
    citation: Citation = field(default_factory=Citation)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "label": self.label, **self.citation.to_json(), "source": self.source}


@dataclass(frozen=True)
class Alternative:
    """A set of conditions that, once established, would make the case covered."""

    conditions: tuple[ConditionRef, ...]
    clauses: tuple[RuleRef, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "conditions": [c.to_json() for c in self.conditions],
            "covered_by": [c.to_json() for c in self.clauses],
        }


@dataclass(frozen=True)
class Question:
    """An unknown condition whose answer could change the decision, and how to answer it."""

    condition: str
    question: str
    source: str
    citation: Citation = field(default_factory=Citation)
    answer: Answer | None = None
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {"condition": self.condition, "question": self.question, "label": self.label,
                **self.citation.to_json(), "source": self.source}
        if self.answer is not None:
            data["answer"] = self.answer.to_json()
        return data


@dataclass(frozen=True)
class FieldQuestion:
    """The open questions one case field answers, asked once (most decisive first)."""

    answer: Answer
    questions: tuple[Question, ...]

    @property
    def field(self) -> str:
        return self.answer.field

    @property
    def prompt(self) -> str:
        """The field's own question when it settles several conditions, else the condition's."""
        if self.answer.prompt and (len(self.questions) > 1 or self.answer.type != "boolean"):
            return self.answer.prompt
        return self.questions[0].question


def fields_to_ask(questions: tuple[Question, ...]) -> list[FieldQuestion]:
    """The questions grouped by the field that answers them, in the order of their first question."""
    grouped: dict[str, list[Question]] = {}
    answers: dict[str, Answer] = {}
    for question in questions:
        if question.answer is None:
            continue
        grouped.setdefault(question.answer.field, []).append(question)
        answers.setdefault(question.answer.field, question.answer)
    return [FieldQuestion(answers[name], tuple(found)) for name, found in grouped.items()]


@dataclass(frozen=True)
class ClosingFact:
    """A given fact that alone closes a route: the condition, and the field's value in the case."""

    condition: ConditionRef
    given: Any

    def to_json(self) -> dict[str, Any]:
        field_name = self.condition.answer.field if self.condition.answer else None
        return {**self.condition.to_json(), "field": field_name, "given": self.given}


@dataclass(frozen=True)
class ClosedRoute:
    """A coverage route that matches the request but that a given fact closes."""

    clause: RuleRef
    pathway: str | None
    closed_by: tuple[ClosingFact, ...]
    reopen: Answer | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.clause.to_json(),
            "pathway": self.pathway,
            "closed_by": [fact.to_json() for fact in self.closed_by],
            "reopen": self.reopen.to_json() if self.reopen else None,
        }


@dataclass(frozen=True)
class ClauseTrace:
    """A clause of the policy as it stands for this case, for the explanation tree."""

    clause: RuleRef
    pathway: str | None
    pathway_label: str
    verdict: str
    status: str  # deciding, defeated, met, not_met, open
    conditions: tuple[ConditionRef, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.clause.to_json(),
            "pathway": self.pathway,
            "verdict": self.verdict,
            "status": self.status,
            "conditions": [c.to_json() for c in self.conditions],
        }


@dataclass(frozen=True)
class Conflict:
    """Two met clauses with different verdicts, and the precedence rule that settled them."""

    prevailing: str
    defeated: str
    rule: RuleRef

    def to_json(self) -> dict[str, Any]:
        return {"prevailing": self.prevailing, "defeated": self.defeated, **self.rule.to_json()}


@dataclass(frozen=True)
class LineReason:
    """Why a line was cut: the rule, and what in the claim or the case made it bite."""

    rule: RuleRef
    because: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**self.rule.to_json(), "because": list(self.because)}


@dataclass(frozen=True)
class LineDecision:
    line: int
    hcpcs: str
    outcome: str
    units_allowed: int
    amount_allowed: Decimal | None
    reasons: tuple[LineReason, ...]
    missing: tuple[ConditionRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "line": self.line,
            "hcpcs": self.hcpcs,
            "outcome": self.outcome,
            "units_allowed": self.units_allowed,
        }
        if self.amount_allowed is not None:
            data["amount_allowed"] = float(self.amount_allowed)
        data["reasons"] = [r.to_json() for r in self.reasons]
        if self.missing:
            data["missing"] = [c.to_json() for c in self.missing]
        return data


@dataclass(frozen=True)
class Decision:
    case_id: str
    policy_version: str | None
    decision: str
    complete: bool
    pathway: str | None
    rule: RuleRef | None
    satisfied: tuple[ConditionRef, ...]
    missing: tuple[Alternative, ...]
    more_missing: bool
    questions: tuple[Question, ...]
    lines: tuple[LineDecision, ...]
    warnings: tuple[str, ...]
    clauses: tuple[ClauseTrace, ...] = field(default=())
    conflicts: tuple[Conflict, ...] = field(default=())
    closed_routes: tuple[ClosedRoute, ...] = field(default=())
    version_basis: VersionBasis | None = None
    explained: bool = True

    def to_json(self) -> dict[str, Any]:
        """The decision object of docs/contract.md section 2 (plus the explanation's extra fields)."""
        return {
            "case_id": self.case_id,
            "policy": {"id": POLICY_ID, "version": self.policy_version,
                       **({"version_chosen": self.version_basis.to_json()} if self.version_basis else {})},
            "decision": self.decision,
            "complete": self.complete,
            "explained": self.explained,
            "pathway": self.pathway,
            "rule": self.rule.to_json() if self.rule else None,
            "satisfied": [c.to_json() for c in self.satisfied],
            "missing": [a.to_json() for a in self.missing],
            "missing_truncated": self.more_missing,
            "questions": [q.to_json() for q in self.questions],
            "closed_routes": [route.to_json() for route in self.closed_routes],
            "lines": [line.to_json() for line in self.lines],
            "warnings": list(self.warnings),
            "conflicts": [c.to_json() for c in self.conflicts],
            "clauses": [c.to_json() for c in self.clauses],
        }
