"""The decision's JSON (``Decision.to_json()``, ``reasoner check --format json``) as typed models.

The models describe that JSON exactly, field by field, as docs/explanations.md section 1
documents it: extra fields are refused, closed vocabularies are ``Literal`` types, values are
checked strictly (a boolean is a JSON boolean, a whole number a whole number), and a field the
decision leaves out when it is empty (``amount_allowed``, ``lines[].missing``, the optional
parts of an answer) may be absent but never null. They give the decision's JSON Schema
(``reasoner schema --output``) and let tests check real decisions against it, so that the
output and its description cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

MAX_ALTERNATIVES = 5  # reasoner.explain.MAX_ALTERNATIVES, kept here so that the schema imports no solver

DecisionValue = Literal["covered", "not_medically_necessary", "experimental_investigational", "not_applicable"]
Verdict = Literal["covered", "not_medically_necessary", "experimental_investigational"]
ConditionStatus = Literal["met", "not_met", "unknown"]
KnownStatus = Literal["met", "not_met"]
OpenStatus = Literal["unknown", "not_met"]
ClauseStatus = Literal["deciding", "defeated", "not_met", "open"]
LineOutcome = Literal["payable", "reduced", "denied", "not_applicable"]
AnswerType = Literal["boolean", "number", "date", "enum", "codes", "string"]
ChosenBy = Literal["date_of_service", "as_of"]

T = TypeVar("T")


def _present(value: T) -> T:
    """Fields left out when empty are never given as null."""
    if value is None:
        raise ValueError("left out when absent, never null")
    return value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A field the decision leaves out when it has nothing to say: it may be absent, never null.
Omitted = Annotated[T | SkipJsonSchema[None], AfterValidator(_present)]


def _omitted(description: str) -> Any:
    return Field(default=None, description=description, json_schema_extra=_no_default)


ConditionId = Annotated[str, Field(description="The condition's id (`reasoner conditions` lists them).")]
RuleId = Annotated[str, Field(description="The id of a clause, billing rule or precedence rule.")]
Label = Annotated[str, Field(description="A paraphrase, for people.")]
Sentence = Annotated[str, Field(
    description="The policy's exact words (`quote/3` in asp/quotes.lp), parts of several sentences joined by ' … '."
)]
Sentences = Annotated[list[int], Field(description="The numbers of the quoted sentences in asp/sentences.lp.")]
Source = Annotated[str, Field(description="The policy passage it encodes (its citation).")]
Pathway = Annotated[str | None, Field(
    description="The clause's pathway (general_criteria, medical_review, indication_iron, indication_thromboembolic, "
    "indication_chemotherapy, indication_cancer_pain, indication_insulin, omnipod, omnipod_eros, replacement, "
    "replacement_exclusion, epoprostenol, epoprostenol_backup, v_go); null for the default clause criteria_not_met."
)]
NonEmpty = Annotated[list[T], Field(min_length=1)]
IsoDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})]


class _Out(BaseModel):
    """Every part of the decision: no field beyond those listed, values of exactly their JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Answers: the case field that settles a condition, by the field's type.

FIELD_DESCRIPTION = "The case field that settles the condition, as a dot path from the case root."


class BooleanAnswer(_Out):
    """A boolean field of the case settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["boolean"]
    establishes: Omitted[NonEmpty[bool]] = _omitted(
        "The values that establish the condition (current_malfunctioning is established by "
        "current_device.functioning: false); for `reopen`, the values that reopen the route.")


class NumberAnswer(_Out):
    """A number field of the case settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["number"]
    unit: Omitted[str] = _omitted("The number's unit.")


class DateAnswer(_Out):
    """A date field of the case (YYYY-MM-DD) settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["date"]


class EnumAnswer(_Out):
    """A field with a closed set of values settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["enum"]
    values: list[str] = Field(
        description="What the field accepts; for device.hcpcs, the codes of the requested device kind.")
    establishes: Omitted[NonEmpty[str]] = _omitted(
        "The values that establish the condition; for `reopen`, the values that reopen the route.")


class CodesAnswer(_Out):
    """A list of codes (the member's diagnoses) settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["codes"]
    examples: Omitted[NonEmpty[str]] = _omitted("Codes that establish the condition.")


class StringAnswer(_Out):
    """A text field of the case settles the condition."""

    field: str = Field(description=FIELD_DESCRIPTION)
    type: Literal["string"]


AnswerOut = Annotated[
    BooleanAnswer | NumberAnswer | DateAnswer | EnumAnswer | CodesAnswer | StringAnswer,
    Field(discriminator="type", description="How to answer: the case field that settles the condition, and its type "
          "(boolean, number, date, enum, codes, string)."),
]


# The policy and the version that decided.


class VersionChosenOut(_Out):
    """The date that chose the version of the policy, and why."""

    chosen_by: ChosenBy = Field(description="date_of_service, or as_of when `--as-of` (decide(..., as_of=)) was given.")
    date: IsoDate = Field(description="The date that chose the version.")
    reason: str = Field(description="Why this version (or no version) decides, in words.")


class PolicyOut(_Out):
    """The policy and its version that decided the case."""

    id: Literal["portable-external-infusion-pump"]
    version: str | None = Field(description="The version in force (2020-04-01 or 2020-05-19); null when no version "
                                "is in force on the date that chose it (the date of service, or --as-of).")
    version_chosen: VersionChosenOut


# Rules and conditions.


class RuleOut(_Out):
    """A clause or a billing rule: its paraphrase (label), exact words (sentence) and citation."""

    rule: RuleId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source


class SatisfiedCondition(_Out):
    """A known condition of a set that alone gives the decision (explanations.md section 4)."""

    condition: ConditionId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    status: KnownStatus


class MissingCondition(_Out):
    """A condition that, once established with the others of its set, would make the case covered."""

    condition: ConditionId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    status: OpenStatus = Field(description="unknown, or not_met when establishing it replaces its documented "
                               "complement.")
    answer: AnswerOut


class AlternativeOut(_Out):
    """A set of conditions that, once established, would make the case covered (explanations.md section 5)."""

    conditions: list[MissingCondition] = Field(description="Those the covering clause requires first, in the "
                                               "catalogue's order, then others such as an overriding complement.")
    covered_by: list[RuleOut] = Field(description="The clause that covers once they are established.")


class QuestionOut(_Out):
    """An unknown condition whose answer could still change the decision (explanations.md section 6)."""

    condition: ConditionId
    question: str = Field(description="The question (`question/2` in the catalogue, or "
                          "'Is it documented that: <label>?').")
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    answer: AnswerOut


class ClosingFactOut(_Out):
    """A fact the case gives that alone closes a route: the condition, its field and the value given."""

    condition: ConditionId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    status: KnownStatus = Field(description="not_met: a required condition documented not met; met: an exception "
                                "that holds.")
    answer: AnswerOut
    field: str = Field(description="The case field that gives the fact (the answer's field).")
    given: JsonValue = Field(description="The value the case gives for that field.")


class ClosedRouteOut(_Out):
    """A coverage route that matches the request but that a fact the case gives closes (section 7a)."""

    rule: RuleId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    pathway: Pathway
    closed_by: list[ClosingFactOut] = Field(description="The given facts, each of which alone closes the route.")
    reopen: AnswerOut | None = Field(description="When a single fact closes the route, the answer that would reopen "
                                     "it; null otherwise.")


# Claim lines.


class LineCause(_Out):
    """Another line of the claim made the rule bite."""

    line: int = Field(description="The other line's number.")
    hcpcs: str = Field(description="The other line's code.")


class ConditionCause(_Out):
    """A condition of the case made the rule bite (the rented pump, the durable pump, the epoprostenol drug)."""

    condition: ConditionId
    label: Label
    status: ConditionStatus


class InputCause(_Out):
    """Another input made the rule bite (the rent already paid, the requested device)."""

    input: str = Field(description="The input's id.")
    label: Label


class LineReasonOut(_Out):
    """A rule whose cap bit on the line, and what made it bite."""

    rule: RuleId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    because: list[LineCause | ConditionCause | InputCause] = Field(
        description="What made the rule bite (`line_cause/4` in the rules): another line of the claim "
        "{line, hcpcs}, a condition of the case {condition, label, status}, or another input {input, label}.")


class LineMissingCondition(_Out):
    """A condition whose establishment would lift a cap on the line."""

    condition: ConditionId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    status: OpenStatus


class LineOut(_Out):
    """The decision on one claim line."""

    line: int = Field(description="The claim line's number, from the input.")
    hcpcs: str = Field(description="The claim line's code, from the input.")
    outcome: LineOutcome
    units_allowed: int = Field(ge=0)
    amount_allowed: Omitted[Annotated[float, Field(ge=0)]] = _omitted(
        "The amount allowed; only when the line gives `amount`.")
    reasons: list[LineReasonOut] = Field(
        description="Every rule whose cap bit. A device, supply or battery line of a case that is not covered has "
        "the deciding clause as its reason; a not_applicable line has code_not_governed and/or no_policy_in_force.")
    missing: Omitted[NonEmpty[LineMissingCondition]] = _omitted(
        "Conditions that would lift a cap on this line (records_support_modifier_59, device_life_sustaining); "
        "only when not empty.")


# The clause trace and conflicts.


class TraceCondition(_Out):
    """A condition a clause requires, with its status in the case."""

    condition: ConditionId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    status: ConditionStatus


class ClauseOut(_Out):
    """A clause of the policy as it stands for this case (explanations.md section 7)."""

    rule: RuleId
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source
    pathway: Pathway
    verdict: Verdict = Field(description="What the clause decides when it is met and prevails.")
    status: ClauseStatus = Field(
        description="deciding: met and not defeated, decided the case; defeated: met, but a prevailing clause "
        "overruled it; not_met: an `unless` condition holds, or a required condition is documented not met; "
        "open: otherwise, some required condition is unknown.")
    conditions: list[TraceCondition] = Field(description="The conditions the clause requires.")


class ConflictOut(_Out):
    """Two met clauses with different verdicts, and the precedence rule that settled them."""

    prevailing: RuleId
    defeated: RuleId
    rule: RuleId = Field(description="The precedence rule that settled the conflict.")
    label: Label
    sentence: Sentence
    sentences: Sentences
    source: Source


# The decision.


class DecisionOut(_Out):
    """The decision on one case and its explanation: `reasoner check --format json`, `decide(case).to_json()`."""

    case_id: str = Field(description="Echoed from the input.")
    policy: PolicyOut
    decision: DecisionValue = Field(description="covered, not_medically_necessary, experimental_investigational, or "
                                    "not_applicable (no version of the policy in force).")
    complete: bool = Field(description="True when no way of establishing the case's open documentation conditions "
                           "changes the decision.")
    explained: bool = Field(description="True when the decision carries its full explanation; false for "
                            "decide(..., explanation=False) and batch --decisions-only (satisfied, missing, "
                            "questions, closed_routes and clauses are then empty).")
    pathway: Pathway = Field(description="The pathway of the deciding clause; null when the default clause "
                             "criteria_not_met decided, or no version is in force.")
    rule: RuleOut | None = Field(description="The deciding clause; when several clauses decide with the same "
                                 "verdict, the first in the text; null for not_applicable.")
    satisfied: list[SatisfiedCondition] = Field(description="Known conditions that alone give the decision.")
    missing: list[AlternativeOut] = Field(
        max_length=MAX_ALTERNATIVES,
        description="For a decision other than covered: alternative sets of conditions that, once established, make "
        "the case covered; smallest first, at most 5.")
    missing_truncated: bool = Field(description="True when more than the 5 listed alternatives exist.")
    questions: list[QuestionOut] = Field(description="Unknown conditions whose answer could still change the "
                                         "decision, most decisive first.")
    closed_routes: list[ClosedRouteOut] = Field(
        description="For a decision other than covered: coverage routes that match the request but that a given "
        "fact closes, each with the closing facts and the answer that would reopen it.")
    lines: list[LineOut] = Field(description="One per claim line, in input order.")
    warnings: list[str] = Field(description="Input oddities that did not stop the decision: checks in "
                                "reasoner/warnings.py, then rule warnings as 'claim line N: <label>'.")
    conflicts: list[ConflictOut] = Field(description="Each pair of met clauses with different verdicts in this case.")
    clauses: list[ClauseOut] = Field(
        description="The clause trace: the deciding, met and relevant clauses, and every clause that covers in "
        "some `missing` set; deciding, then defeated, then open, then not met, each in text order.")


def decision_json_schema() -> dict[str, Any]:
    """The JSON Schema of the decision, for integrators."""
    return DecisionOut.model_json_schema()


def validate_decision_json(data: dict[str, Any]) -> None:
    """Raise pydantic.ValidationError unless ``data`` is a decision's JSON exactly as described."""
    DecisionOut.model_validate(data)
