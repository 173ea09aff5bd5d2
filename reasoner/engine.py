"""decide(): validate, build facts, solve, explain. The public entry point of the package."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from clingo import Symbol

from reasoner import explain
from reasoner._facts import case_facts, kind_code_facts
from reasoner._results import CaseResult, results_by_case
from reasoner._solve import single_model, solve
from reasoner.answers import answer_for
from reasoner.case_plain import PlainCase
from reasoner.case_types import AnyCase, AnyClaimLine, case_data, case_json
from reasoner.catalogue import Catalogue, catalogue
from reasoner.dates import parse_as_of
from reasoner.decision import ClosedRoute, Decision, LineDecision, LineReason, Question
from reasoner.errors import InvalidCase, RulesError
from reasoner.routes import closed_routes, with_answer
from reasoner.trace import condition_ref, rule_ref
from reasoner.versions import version_basis
from reasoner.vocabulary import KIND_CODES
from reasoner.warnings import case_warnings

DECISION_PROGRAM = ["main.lp"]
# Decisions only: the same rules without the explanation's trace (asp/brief.lp), so its slice
# grounds and shows less per case.
BRIEF_PROGRAM = ["brief.lp"]


def decide(
    case: dict[str, object] | AnyCase, *, explanation: bool = True, as_of: date | str | None = None,
) -> Decision:
    """Decide one case. Raises InvalidCase for bad input, RulesError for a rules bug.

    ``as_of`` decides under the version of the policy in force on that date instead of the
    one in force on the date of service.
    """
    valid = case if isinstance(case, PlainCase) else _parse_case(case)
    return decide_all([valid], explanation=explanation, as_of=as_of)[0]


def _parse_case(data: object) -> AnyCase:
    from reasoner.case import parse_case  # pydantic: loaded only when a case needs the model

    return parse_case(data)


def decide_all(
    cases: Sequence[AnyCase], *, explanation: bool = True, as_of: date | str | None = None,
) -> list[Decision]:
    """Decide several valid cases in one grounding (the batch path).

    Each item must be a Case from ``parse_case`` or a PlainCase from ``read_plain_case`` (a dict
    is validated here too); anything else, or a case built without validation that the rules
    cannot read, raises InvalidCase.
    """
    day = parse_as_of(as_of)
    if isinstance(cases, (str, bytes, dict)) or not isinstance(cases, Sequence):
        raise InvalidCase(["cases: must be a list of cases"])
    valid = [_validated(case, index) for index, case in enumerate(cases)]
    try:
        results = solve_cases(valid, day, explanation=explanation)
        return [
            build_decision(case, results[key], explanation=explanation, as_of=day)
            for key, case in enumerate(valid)
        ]
    except (AttributeError, TypeError, ValueError, OverflowError, ArithmeticError):
        _refuse_unvalidated(valid)  # a Case made with model_construct() can hold anything
        raise


def _refuse_unvalidated(cases: Sequence[AnyCase]) -> None:
    """InvalidCase naming the first case that does not pass validation (none: the error was ours)."""
    for index, case in enumerate(cases):
        try:
            _parse_case(case_data(case))
        except InvalidCase as error:
            raise InvalidCase([f"cases[{index}]: not a validated case ({p})" for p in error.problems()]) from None
        except Exception:
            raise InvalidCase([f"cases[{index}]: not a validated case; build it with parse_case"]) from None


def _validated(case: object, index: int) -> AnyCase:
    if isinstance(case, PlainCase):
        return case
    if isinstance(case, dict):
        return _parse_case(case)
    from reasoner.case import Case

    if isinstance(case, Case):
        return case
    raise InvalidCase([
        f"cases[{index}]: must be a case (a dict, a Case from parse_case or a PlainCase from read_plain_case), "
        f"not {type(case).__name__}"
    ])


def solve_cases(
    cases: Sequence[AnyCase], as_of: date | None = None, *, explanation: bool = True,
) -> dict[int, CaseResult]:
    """Run the decision program on cases keyed 0..n-1; without ``explanation``, the program
    of decisions-only mode, whose results leave out the clause trace and the closed routes."""
    facts = itertools.chain(kind_code_facts(KIND_CODES), _facts_of(cases, as_of))
    program = DECISION_PROGRAM if explanation else BRIEF_PROGRAM
    results = results_by_case(single_model(solve(program, facts)).symbols)
    for key in range(len(cases)):
        if key not in results:
            raise RulesError(f"the rules said nothing about case {key}")
    return results


def _facts_of(cases: Iterable[AnyCase], as_of: date | None) -> Iterator[Symbol]:
    for key, case in enumerate(cases):
        yield from case_facts(case, key, as_of)


def build_decision(
    case: AnyCase, result: CaseResult, *, explanation: bool = True, as_of: date | None = None,
) -> Decision:
    cat = catalogue()
    verdict = result.decision
    version = cat.versions[result.version].name if result.version else None
    basis = version_basis(cat, result.version, case.date_of_service, as_of)
    rule = rule_ref(cat, result.primary) if result.primary else None
    summary = explain.explain(result) if explanation else explain.brief(result)
    kind = case.device.kind.value
    closed: tuple[ClosedRoute, ...] = ()
    if explanation and verdict != "covered":
        closed = closed_routes(cat, result, case_json(case), kind)
    return Decision(
        case_id=case.case_id,
        policy_version=version,
        decision=verdict,
        complete=summary.complete,
        pathway=result.pathway,
        rule=rule,
        satisfied=summary.satisfied,
        missing=tuple(
            replace(alternative, conditions=tuple(with_answer(c, cat, kind) for c in alternative.conditions))
            for alternative in summary.missing
        ),
        more_missing=summary.more_missing,
        questions=tuple(_answered(cat, question, kind) for question in summary.questions),
        lines=_lines(cat, result, case),
        warnings=tuple(case_warnings(case)) + basis.warnings + _rule_warnings(cat, result),
        clauses=summary.clauses,
        conflicts=summary.conflicts,
        closed_routes=closed,
        version_basis=basis,
        explained=explanation,
    )


def _answered(cat: Catalogue, question: Question, kind: str) -> Question:
    spec = cat.answers.get(question.condition)
    return replace(question, answer=answer_for(spec, kind)) if spec else question


def _lines(cat: Catalogue, result: CaseResult, case: AnyCase) -> tuple[LineDecision, ...]:
    case_lines = {claim_line.line: claim_line for claim_line in case.claim_lines}
    return tuple(_line(cat, claim_line, result, case_lines) for claim_line in case.claim_lines)


def _line(
    cat: Catalogue, claim_line: AnyClaimLine, result: CaseResult, case_lines: dict[int, AnyClaimLine],
) -> LineDecision:
    line = result.lines.get(claim_line.line)
    if line is None or not line.outcome or line.units_allowed is None:
        raise RulesError(f"the rules gave no outcome for claim line {claim_line.line}")
    amount = None
    if claim_line.amount is not None:
        if line.cents_allowed is None:
            raise RulesError(f"the rules gave no amount for claim line {claim_line.line}")
        amount = Decimal(line.cents_allowed) / 100
    return LineDecision(
        line=claim_line.line,
        hcpcs=claim_line.hcpcs,
        outcome=line.outcome,
        units_allowed=line.units_allowed,
        amount_allowed=amount,
        reasons=tuple(
            LineReason(rule_ref(cat, reason), _causes(cat, result, case_lines, line.causes, reason))
            for reason in sorted(set(line.reasons))
        ),
        missing=tuple(condition_ref(cat, result, x) for x in sorted(set(line.missing))),
    )


def _causes(
    cat: Catalogue, result: CaseResult, case_lines: dict[int, AnyClaimLine],
    causes: list[tuple[str, str]], reason: str,
) -> tuple[dict[str, object], ...]:
    """The causes the rules gave for one reason: other lines, conditions, or inputs."""
    found: list[dict[str, object]] = []
    for rule, cause in sorted(set(causes)):
        if rule != reason:
            continue
        kind, _, inner = cause.partition("(")
        if kind == "line":
            number = int(inner.rstrip(")"))
            found.append({"line": number, "hcpcs": case_lines[number].hcpcs})
        elif kind == "condition":
            ref = condition_ref(cat, result, inner.rstrip(")"))
            found.append({"condition": ref.condition, "label": ref.label, "status": ref.status})
        else:
            found.append({"input": cause, "label": cat.label(cause)})
    return tuple(found)


def _rule_warnings(cat: Catalogue, result: CaseResult) -> tuple[str, ...]:
    return tuple(
        f"claim line {line}: {cat.label(warning)}" for warning, line in sorted(set(result.warnings))
    )
