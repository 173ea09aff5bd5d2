"""Pure rendering of a version comparison for people."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reasoner.diff import VersionDiff
from reasoner.outputs import printable

CHANGE_STYLES = {"added": "green", "removed": "red", "changed": "yellow"}


def diff_view(result: VersionDiff) -> RenderableType:
    title = f"reasoner diff: version {result.before.name} -> {result.after.name}"
    changes = Table(title=f"{title}: the revision, clause by clause", title_justify="left")
    for column in ("change", "kind", "id", "what"):
        changes.add_column(column, overflow="fold")
    for change in result.changes:
        what = "; ".join(change.details) or change.label
        if change.replaces:
            what = f"replaces {change.replaces}: {what}"
        changes.add_row(Text(change.change, style=CHANGE_STYLES.get(change.change, "")), change.kind,
                        change.id, what)
    parts: list[RenderableType] = [changes if result.changes else Text("No clause or billing rule changed.")]
    regions = Table(title="Where the two versions decide differently (one witness per region)",
                    title_justify="left")
    for column in (f"under {result.before.name}", f"under {result.after.name}", "witness case", "reproduced"):
        regions.add_column(column, overflow="fold")
    for region in result.regions:
        regions.add_row(
            f"{region.before[0]}\nby {region.before[1]}", f"{region.after[0]}\nby {region.after[1]}",
            printable(json.dumps(region.case, ensure_ascii=False)),
            Text("yes" if region.reproduced else f"NO ({region.decided[0]} -> {region.decided[1]})",
                 style="green" if region.reproduced else "red"),
        )
    parts.append(regions if result.regions else Text("No input is decided differently."))
    if result.regions:
        parts.append(Text(f"Each witness decides as shown with `reasoner check CASE.json` (version "
                          f"{result.after.name}) and `reasoner check CASE.json --as-of "
                          f"{result.before.first_day}` (version {result.before.name}).", style="dim"))
    if result.regions_truncated:
        parts.append(Text(f"… more regions exist; the first {len(result.regions)} are listed", style="yellow"))
    return Group(*parts)
