"""`reasoner conditions` and `reasoner schema` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from reasoner.cli import app
from reasoner.vocabulary import Finding

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.json") if p.name != "expected.json")

runner = CliRunner()
wide = CliRunner(env={"COLUMNS": "400"})


def ok(result: Result) -> Result:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def condition_rows() -> list[dict[str, Any]]:
    rows = json.loads(ok(runner.invoke(app, ["conditions", "--format", "json"])).stdout)
    assert isinstance(rows, list)
    return rows


def test_conditions_json_rows_have_id_label_and_source() -> None:
    rows = condition_rows()
    assert len(rows) >= len(Finding)
    for row in rows:
        for key in ("id", "label", "source"):
            assert isinstance(row.get(key), str), f"{row} has no {key}"
            assert row[key].strip(), f"{row.get('id')}: empty {key}"


def test_conditions_ids_are_unique() -> None:
    ids = [row["id"] for row in condition_rows()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_conditions_list_every_finding_of_the_contract() -> None:
    ids = {row["id"] for row in condition_rows()}
    assert {finding.value for finding in Finding} <= ids


def test_conditions_list_every_id_a_decision_can_cite() -> None:
    """Every condition and rule id in the examples' decisions is in the catalogue."""
    ids = {row["id"] for row in condition_rows()}
    cited: set[str] = set()
    for path in EXAMPLE_FILES:
        decision = json.loads(ok(runner.invoke(app, ["check", str(path), "-f", "json"])).stdout)
        cited |= {c["condition"] for c in decision["satisfied"]}
        cited |= {c["condition"] for alt in decision["missing"] for c in alt["conditions"]}
        cited |= {q["condition"] for q in decision["questions"]}
        cited |= {r["rule"] for line in decision["lines"] for r in line["reasons"]}
        if decision.get("rule"):
            cited.add(decision["rule"]["rule"])
    assert cited, "the examples cite something"
    assert cited <= ids, f"not listed by `reasoner conditions`: {sorted(cited - ids)}"


def test_conditions_table_lists_every_id() -> None:
    result = ok(wide.invoke(app, ["conditions"]))
    assert not result.stdout.lstrip().startswith("["), "table is the default, not JSON"
    for row in condition_rows():
        assert row["id"] in result.stdout, f"{row['id']} is not in the table"


def test_conditions_unknown_format_is_refused() -> None:
    result = runner.invoke(app, ["conditions", "--format", "yaml"])
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr


def test_schema_prints_a_json_schema_of_the_case() -> None:
    schema = json.loads(ok(runner.invoke(app, ["schema"])).stdout)
    assert schema["type"] == "object"
    assert {"case_id", "date_of_service", "device"} <= set(schema["required"])
    properties = set(schema["properties"])
    assert {"case_id", "date_of_service", "member", "therapy", "device", "current_device",
            "findings", "claim_lines"} <= properties
    assert schema.get("additionalProperties") is False, "unknown top-level fields are refused"


def test_schema_accepts_the_examples() -> None:
    """A cheap structural check: every top-level key of every example is in the schema."""
    properties = set(json.loads(ok(runner.invoke(app, ["schema"])).stdout)["properties"])
    for path in EXAMPLE_FILES:
        assert set(json.loads(path.read_text(encoding="utf-8"))) <= properties, path.name
