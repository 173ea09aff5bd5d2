"""The decision (CONTRACT.md section 2): plain, immutable values and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

POLICY_ID = "portable-external-infusion-pump"


@dataclass(frozen=True)
class ConditionRef:
    """One condition as the explanation names it: met, not_met or unknown."""

    condition: str
    label: str
    source: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "label": self.label,
            "source": self.source,
            "status": self.status,
        }


@dataclass(frozen=True)
class RuleRef:
    """A clause or a billing rule, with its label and citation."""

    rule: str
    label: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "sentence": self.label, "source": self.source}


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
    condition: str
    question: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"condition": self.condition, "question": self.question, "source": self.source}


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

    def to_json(self) -> dict[str, Any]:
        """The decision object of CONTRACT.md section 2 (plus the explanation's extra fields)."""
        return {
            "case_id": self.case_id,
            "policy": {"id": POLICY_ID, "version": self.policy_version},
            "decision": self.decision,
            "complete": self.complete,
            "pathway": self.pathway,
            "rule": self.rule.to_json() if self.rule else None,
            "satisfied": [c.to_json() for c in self.satisfied],
            "missing": [a.to_json() for a in self.missing],
            "missing_truncated": self.more_missing,
            "questions": [q.to_json() for q in self.questions],
            "lines": [line.to_json() for line in self.lines],
            "warnings": list(self.warnings),
            "conflicts": [c.to_json() for c in self.conflicts],
            "clauses": [c.to_json() for c in self.clauses],
        }
