"""Pure rendering: a Decision becomes a screen-sized view (or the full tree). No solving here.

The default view holds the decision, the deciding rule with its satisfied conditions and its
sentence quoted once, the routes that the case's own facts close, the open questions with the
field that answers each, the claim lines as a table, and a last line that says what is left.
``full=True`` adds every route of the request, every missing set, the citations of every
condition and the details of each claim line (docs/cli.md).
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from reasoner.answers import Answer
from reasoner.decision import (
    ClauseTrace,
    ClosedRoute,
    ConditionRef,
    Decision,
    FieldQuestion,
    LineDecision,
    RuleRef,
    fields_to_ask,
)
from reasoner.outputs import printable

MARKS = {
    "met": ("✔", "green"),
    "not_met": ("✘", "red"),
    "unknown": ("?", "yellow"),
}
DECISION_STYLES = {
    "covered": "bold green",
    "not_medically_necessary": "bold red",
    "experimental_investigational": "bold magenta",
    "not_applicable": "bold blue",
}
CLAUSE_STATUS = {
    "deciding": ("decides", "bold"),
    "defeated": ("met, but overruled", "magenta"),
    "open": ("not established", "yellow"),
    "not_met": ("not met", "red"),
}
OUTCOME_STYLES = {"payable": "green", "reduced": "yellow", "denied": "red", "not_applicable": "blue"}


def decision_view(decision: Decision, *, full: bool = False) -> RenderableType:
    """The decision for a person: a tree, the claim lines table, and what is left to do."""
    root = Tree(_headline(decision))
    _add_rule(root, decision, full)
    _add_conflicts(root, decision)
    _add_closed_routes(root, decision.closed_routes, {ref.condition for ref in decision.satisfied})
    if full:
        _add_missing(root, decision)
    _add_questions(root, fields_to_ask(decision.questions))
    if full:
        _add_clauses(root, decision.clauses)
        _add_line_details(root, decision.lines)
    if decision.warnings:
        notes = root.add(Text("Warnings", style="bold yellow"))
        for warning in decision.warnings:
            notes.add(Text(printable(warning)))
    parts: list[RenderableType] = [root]
    if decision.lines:
        parts.append(lines_table(decision.lines))
    parts.append(closing_line(decision))
    return Group(*parts)


def _headline(decision: Decision) -> Text:
    style = DECISION_STYLES.get(decision.decision, "bold")
    head = Text.assemble((decision.decision.replace("_", " ").upper(), style))
    head.append(f"  case {printable(decision.case_id)}")
    version = decision.policy_version or "none in force"
    head.append(f"  policy version {version}", style="dim")
    head.append("  complete" if decision.complete else "  incomplete",
                style="green" if decision.complete else "yellow")
    return head


def _quote(rule: RuleRef) -> Text:
    numbers = rule.citation.numbers
    if not numbers:
        return Text(rule.source, style="dim italic")
    where = "sentence" if len(numbers) == 1 else "sentences"
    text = Text(f"“{rule.citation.sentence}”", style="italic")
    text.append(f" ({where} {', '.join(map(str, numbers))})", style="dim")
    return text


def _condition(ref: ConditionRef, *, cite: bool = False) -> Text:
    mark, style = MARKS.get(ref.status, ("·", "white"))
    line = Text(f"{mark} ", style=style)
    line.append(ref.label)
    line.append(f" [{ref.condition}]", style="dim")
    if cite and ref.citation.sentence:
        line.append(f"  “{ref.citation.sentence}”", style="dim italic")
    return line


def _add_rule(root: Tree, decision: Decision, full: bool) -> None:
    if decision.rule is None:
        if decision.policy_version is None:
            root.add(Text("No version of the policy is in force on the date of service"))
        return
    rule = root.add(Text.assemble(("Decided by: ", "bold"), decision.rule.label,
                                  (f" [{decision.rule.rule}]", "dim")))
    rule.add(_quote(decision.rule))
    for ref in decision.satisfied:
        rule.add(_condition(ref, cite=full))


def _add_conflicts(root: Tree, decision: Decision) -> None:
    for conflict in decision.conflicts:
        node = root.add(Text.assemble(("Conflict settled: ", "bold magenta"),
                                      f"{conflict.prevailing} prevails over {conflict.defeated}"))
        node.add(Text(conflict.rule.label))
        node.add(_quote(conflict.rule))


def _add_closed_routes(root: Tree, routes: tuple[ClosedRoute, ...], shown: set[str]) -> None:
    if not routes:
        return
    node = root.add(Text("Routes for this request that the case's own facts close", style="bold"))
    for route in routes:
        branch = node.add(Text.assemble(route.clause.label, (f" [{route.clause.rule}]", "dim")))
        branch.add(_quote(route.clause))
        for fact in route.closed_by:
            field = fact.condition.answer.field if fact.condition.answer else fact.condition.condition
            closing = Text.assemble(("closed by ", "red"), f"{field} = {_given(fact.given)}")
            if fact.condition.condition in shown:
                closing.append(" (above)", style="dim")  # each condition is printed once
            else:
                verb = "holds" if fact.condition.status == "met" else "is not met"
                closing.append(f": “{fact.condition.label}” {verb}")
            branch.add(closing)
        if route.reopen is not None:
            branch.add(Text.assemble(("would reopen with ", "yellow"),
                                     f"{route.reopen.field} = {_establishing(route.reopen)}"))


def _given(value: Any) -> str:
    return printable(json.dumps(value, ensure_ascii=False))


def _establishing(answer: Answer) -> str:
    values = [json.dumps(value) for value in answer.establishes] or list(answer.examples)
    return " or ".join(values) if values else answer.type


def choices(answer: Answer) -> str:
    """The values a field takes, for a person: what to write in the case or type in `ask`."""
    if answer.type == "boolean":
        return "true | false"
    if answer.type == "enum":
        return " | ".join(answer.values)
    if answer.type == "number":
        return f"a number ({answer.unit})" if answer.unit else "a number"
    if answer.type == "date":
        return "a date, YYYY-MM-DD"
    if answer.type == "codes":
        sample = ", ".join(answer.examples[:2])
        return f"ICD-10-CM codes, e.g. {sample}" if sample else "codes"
    return "text"


def _add_questions(root: Tree, fields: list[FieldQuestion]) -> None:
    if not fields:
        return
    node = root.add(Text("Open questions (answer in the case, or run `reasoner ask`)", style="bold yellow"))
    for number, item in enumerate(fields, 1):
        node.add(Text.assemble((f"{number}. ", "bold"), item.prompt,
                               ("  → ", "dim"), (item.field, "cyan"), f": {choices(item.answer)}"))


def _add_missing(root: Tree, decision: Decision) -> None:
    if not decision.missing:
        return
    node = root.add(Text("What would make it covered (each set alone, smallest first)", style="bold"))
    for number, alternative in enumerate(decision.missing, 1):
        via = ", ".join(c.label for c in alternative.clauses) or "coverage"
        branch = node.add(Text.assemble((f"{number}. ", "bold"), f"via {via}"))
        for ref in alternative.conditions:
            branch.add(_condition(ref, cite=True))
    if decision.more_missing:
        node.add(Text(f"… more alternatives exist; the first {len(decision.missing)} are listed", style="dim"))


def _add_clauses(root: Tree, clauses: tuple[ClauseTrace, ...]) -> None:
    others = [c for c in clauses if c.status != "deciding"]
    if not others:
        return
    node = root.add(Text("Other routes of the policy for this request", style="bold"))
    for clause in others:
        label, style = CLAUSE_STATUS.get(clause.status, (clause.status, ""))
        branch = node.add(Text.assemble((f"[{label}] ", style), clause.clause.label,
                                        (f" [{clause.clause.rule}] → {clause.verdict}", "dim")))
        for ref in clause.conditions:
            branch.add(_condition(ref))


def lines_table(lines: tuple[LineDecision, ...]) -> Table:
    """The claim lines, one row each, with the rules that cut them and their sentence numbers."""
    table = Table(title="Claim lines", title_justify="left", show_edge=False, pad_edge=False)
    for column, justify in (("line", "right"), ("code", "left"), ("outcome", "left"),
                            ("units", "right"), ("allowed", "right"), ("why", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for line in lines:
        amount = f"${line.amount_allowed:,.2f}" if line.amount_allowed is not None else ""
        why = "; ".join(
            f"{reason.rule.rule} (s. {', '.join(map(str, reason.rule.citation.numbers))})"
            if reason.rule.citation.numbers else reason.rule.rule
            for reason in line.reasons
        )
        table.add_row(str(line.line), printable(line.hcpcs),
                      Text(line.outcome, style=OUTCOME_STYLES.get(line.outcome, "")),
                      str(line.units_allowed), amount, why)
    return table


def _add_line_details(root: Tree, lines: tuple[LineDecision, ...]) -> None:
    cut = [line for line in lines if line.reasons or line.missing]
    if not cut:
        return
    node = root.add(Text("Claim line details", style="bold"))
    for line in cut:
        branch = node.add(Text(f"line {line.line} {printable(line.hcpcs)}: {line.outcome}"))
        for reason in line.reasons:
            reason_node = branch.add(Text.assemble(reason.rule.label, (f" [{reason.rule.rule}]", "dim")))
            reason_node.add(_quote(reason.rule))
            for cause in reason.because:
                reason_node.add(Text.assemble(("because: ", "bold"), _cause(cause)))
        for ref in line.missing:
            branch.add(Text.assemble(("would be paid if: ", "yellow"), _condition(ref)))


def _cause(cause: dict[str, Any]) -> str:
    if "line" in cause:
        return f"line {cause['line']} ({printable(str(cause['hcpcs']))})"
    if "condition" in cause:
        return f"{cause['label']} [{cause['status']}]"
    return str(cause["label"])


def closing_line(decision: Decision) -> Text:
    """The last line: nothing more is needed, or how many questions are open."""
    open_fields = len(fields_to_ask(decision.questions))
    if decision.complete or not open_fields:
        return Text("Nothing more is needed: no answer could change this decision.", style="green")
    noun = "question is" if open_fields == 1 else "questions are"
    return Text(f"{open_fields} {noun} open: an answer could change this decision "
                f"(`reasoner ask` asks them one by one).", style="yellow")
