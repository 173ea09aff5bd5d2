"""Pure rendering: a Decision becomes a rich Tree or JSON text. No solving here."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from rich.tree import Tree

from reasoner.decision import ClauseTrace, ConditionRef, Decision, LineDecision

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


def printable(text: str) -> str:
    """User text for a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _cite(source: str) -> Text:
    return Text(f"  — {source}", style="dim") if source else Text("")


def _condition(ref: ConditionRef) -> Text:
    mark, style = MARKS.get(ref.status, ("·", "white"))
    line = Text(f"{mark} ", style=style)
    line.append(ref.label)
    line.append(f" [{ref.condition}]", style="dim")
    line.append_text(_cite(ref.source))
    return line


def decision_tree(decision: Decision) -> Tree:
    """The decision at the root; the deciding route, the alternatives, lines and notes below."""
    root = Tree(_headline(decision))
    if decision.rule is not None:
        rule = root.add(Text.assemble(("Decided by: ", "bold"), decision.rule.label,
                                      (f" [{decision.rule.rule}]", "dim")))
        rule.add(Text(decision.rule.source, style="dim italic"))
        for ref in decision.satisfied:
            rule.add(_condition(ref))
    _add_conflicts(root, decision)
    _add_missing(root, decision)
    _add_questions(root, decision)
    _add_clauses(root, decision.clauses)
    _add_lines(root, decision.lines)
    if decision.warnings:
        notes = root.add(Text("Warnings", style="bold yellow"))
        for warning in decision.warnings:
            notes.add(Text(warning))
    return root


def _headline(decision: Decision) -> Text:
    style = DECISION_STYLES.get(decision.decision, "bold")
    head = Text.assemble((decision.decision.replace("_", " ").upper(), style))
    head.append(f"  case {printable(decision.case_id)}")
    version = decision.policy_version or "none in force"
    head.append(f"  policy version {version}", style="dim")
    if decision.pathway:
        head.append(f"  pathway {decision.pathway}", style="dim")
    head.append("  complete" if decision.complete else "  INCOMPLETE: answers below could change it",
                style="green" if decision.complete else "yellow")
    return head


def _add_conflicts(root: Tree, decision: Decision) -> None:
    for conflict in decision.conflicts:
        node = root.add(Text.assemble(("Conflict settled: ", "bold magenta"),
                                      f"{conflict.prevailing} prevails over {conflict.defeated}"))
        node.add(Text(conflict.rule.label))
        node.add(Text(conflict.rule.source, style="dim italic"))


def _add_missing(root: Tree, decision: Decision) -> None:
    if not decision.missing:
        return
    node = root.add(Text("What would make it covered (each set alone, smallest first)", style="bold"))
    for number, alternative in enumerate(decision.missing, 1):
        via = ", ".join(c.label for c in alternative.clauses) or "coverage"
        branch = node.add(Text.assemble((f"{number}. ", "bold"), f"via {via}"))
        for ref in alternative.conditions:
            branch.add(_condition(ref))
    if decision.more_missing:
        node.add(Text("… more alternatives exist (see --format json)", style="dim"))


def _add_questions(root: Tree, decision: Decision) -> None:
    if not decision.questions:
        return
    node = root.add(Text("Questions that could change the decision", style="bold yellow"))
    for question in decision.questions:
        node.add(Text.assemble(question.question, (f" [{question.condition}]", "dim")))


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


def _add_lines(root: Tree, lines: tuple[LineDecision, ...]) -> None:
    if not lines:
        return
    node = root.add(Text("Claim lines", style="bold"))
    for line in lines:
        style = OUTCOME_STYLES.get(line.outcome, "")
        text = Text.assemble(f"line {line.line} {line.hcpcs}: ", (line.outcome, style),
                             f", {line.units_allowed} unit(s) allowed")
        if line.amount_allowed is not None:
            text.append(f", ${line.amount_allowed:,.2f} allowed")
        branch = node.add(text)
        for reason in line.reasons:
            rule = reason.rule
            reason_node = branch.add(Text.assemble(rule.label, (f" [{rule.rule}]", "dim")))
            reason_node.add(Text(rule.source, style="dim italic"))
            for cause in reason.because:
                reason_node.add(Text.assemble(("because: ", "bold"), _cause(cause)))
        for ref in line.missing:
            branch.add(Text.assemble(("would be paid if: ", "yellow"), _condition(ref)))


def _cause(cause: dict[str, Any]) -> str:
    if "line" in cause:
        return f"line {cause['line']} ({cause['hcpcs']})"
    if "condition" in cause:
        return f"{cause['label']} [{cause['status']}]"
    return str(cause["label"])
