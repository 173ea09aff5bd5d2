"""Pure rendering of a verification report for people."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from reasoner.verify import Finding, Report


def verify_view(report: Report, *, show_conflicts: bool = True) -> RenderableType:
    checks = Table(title="reasoner verify", show_header=True)
    checks.add_column("check")
    checks.add_column("searched", justify="right")
    checks.add_column("problems", justify="right")
    checks.add_column("notes", justify="right")
    by_kind = _by_check(report)
    for name, searched in report.checks.items():
        findings = by_kind.get(name, [])
        problems = sum(f.problem for f in findings)
        checks.add_row(name, str(searched), Text(str(problems), style="red" if problems else "green"),
                       str(len(findings) - problems))
    parts: list[RenderableType] = [checks]
    for finding in report.findings:
        if finding.kind == "conflict" and not show_conflicts and not finding.problem:
            continue
        parts.append(_finding_tree(finding))
    verdict = ("[bold green]OK[/]: no gap, contradiction, dead clause or broken invariant"
               if report.ok else "[bold red]FAILED[/]: see the problems above")
    parts.append(Text.from_markup(verdict))
    return Group(*parts)


CHECK_OF_KIND = {
    "gap or contradiction": "gaps and contradictions",
    "dead clause": "dead clauses",
    "conflict": "conflicts",
    "invariant violated": "invariants",
    "watched pair": "watched pairs",
    "version difference": "version differences",
    "unexplained version difference": "version differences",
    "unused condition": "unused conditions",
    "sentence left out": "sentence map",
    "sentence map": "sentence map",
    "rule without sentence": "sentence map",
}


def _by_check(report: Report) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(CHECK_OF_KIND.get(finding.kind, finding.kind), []).append(finding)
    return grouped


def _finding_tree(finding: Finding) -> Tree:
    style = "bold red" if finding.problem else "bold"
    root = Tree(Text.assemble((f"{finding.kind}: ", style), finding.subject))
    root.add(Text(finding.detail))
    if finding.source is not None:
        root.add(Text(finding.source, style="italic"))
    if finding.case is not None:
        reproduced = "" if finding.reproduced else "  (NOT reproduced by `reasoner check`)"
        root.add(Text(f"decided {finding.decision}{reproduced}", style="dim"))
        root.add(Text(json.dumps(finding.case, ensure_ascii=False), style="cyan"))
    return root
