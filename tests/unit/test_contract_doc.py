"""docs/contract.md says what the JSON Schemas say: the same input fields, the same output fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reasoner.case import case_json_schema
from reasoner.decision_schema import decision_json_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
ROW = re.compile(r"^\| `([a-z_\[\].]+)` \|")


def section(title: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for line in body.splitlines() if (m := ROW.match(line))}


def case_fields(schema: dict[str, Any]) -> set[str]:
    definitions = schema["$defs"]
    found: set[str] = set()

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            found.add(prefix + name)
            for option in [spec, *spec.get("anyOf", [])]:
                target, path = option.get("$ref"), prefix + name
                if option.get("type") == "array" and "$ref" in option.get("items", {}):
                    target, path = option["items"]["$ref"], path + "[]"
                if target:
                    inner = definitions[target.split("/")[-1]]
                    if "properties" in inner:
                        walk(inner["properties"], path + ".")

    walk(schema["properties"], "")
    return found


def test_every_input_field_of_the_schema_is_in_the_contract_and_no_other() -> None:
    assert section("1. The case") == case_fields(case_json_schema())


def test_every_output_field_of_the_schema_is_in_the_contract_and_no_other() -> None:
    assert section("2. The decision") == set(decision_json_schema()["properties"])
