#!/usr/bin/env python3
"""Writes reasoner/case_plain.py, the plain reading of a case, from the case model.

    .venv/bin/python tools/generate_case_plain.py          # write it
    .venv/bin/python tools/generate_case_plain.py --check  # exit 1 if it is not what the model gives

The pydantic models of reasoner/case.py say what a case may hold; `reasoner check` reads a case
without loading pydantic (about a third of its start-up) through frozen dataclasses and readers
(reasoner/_plain_read.py) that this script derives from those models, field by field: their types,
bounds, defaults, and their checks, which live in pydantic-free modules and are called, never
copied. A construct the script does not know stops it with a message, so the model cannot grow a
rule that the plain reading silently lacks; tests/unit/test_case_plain_source.py holds the written
file to what this script writes now.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, BeforeValidator, Strict
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reasoner import case as case_model  # noqa: E402  (after the path is set)

TARGET = ROOT / "reasoner" / "case_plain.py"
# The modules whose functions the plain reading may call: none of them loads pydantic.
CHECK_MODULES = ("reasoner.case_checks", "reasoner.dates")
PLAIN_PREFIX = "Plain"
READERS = "reasoner._plain_read"
STANDARD_MODULES = ("datetime", "decimal")  # imported whole: a field may be named `date`
LINE_LENGTH = 120
# The model settings the plain reading follows, with the values it follows them with.
FOLLOWED_CONFIG = {"extra": ("forbid",), "frozen": (True, False), "use_enum_values": (False,)}
# Field settings that would change how a value is read or dumped: none may be set.
UNFOLLOWED_FIELD_SETTINGS = ("alias", "validation_alias", "serialization_alias", "discriminator", "exclude",
                             "validate_default", "init_var", "deprecated")


class Unsupported(Exception):
    """The model uses something the plain reading does not know how to read."""


@dataclass
class Constraints:
    strict: bool = False
    bounds: dict[str, int] = field(default_factory=dict)  # ge, le, max_length
    checks: list[Any] = field(default_factory=list)  # BeforeValidator functions

    def take(self, item: object, where: str) -> None:
        if isinstance(item, Strict):
            self.strict = item.strict
        elif isinstance(item, FieldInfo):
            for inner in item.metadata:
                self.take(inner, where)
        elif isinstance(item, annotated_types.Ge):
            self.bounds["ge"] = int(item.ge)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Le):
            self.bounds["le"] = int(item.le)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.MaxLen):
            self.bounds["max_length"] = item.max_length
        elif isinstance(item, BeforeValidator):
            self.checks.append(item.func)
        else:
            raise Unsupported(f"{where}: {item!r}")


@dataclass
class Reading:
    """How one type is read (a reader expression) and what it holds (a type annotation)."""

    reader: str
    holds: str


class Writer:
    """The text of reasoner/case_plain.py, built model by model."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # imported name -> module
        self.modules: set[str] = set()  # standard modules imported whole
        self.models: list[type[BaseModel]] = []
        self.building: set[type[BaseModel]] = set()  # models whose fields are being read

    def use(self, name: str, module: str) -> str:
        self.names[name] = module
        return name

    def check_name(self, function: Any, where: str, arguments: tuple[int, ...] = (1,)) -> str:
        """A check function, by the name its pydantic-free module gives it; it must take one of
        ``arguments`` positional arguments, as pydantic will call it."""
        if _positional_count(function) not in arguments:
            raise Unsupported(f"{where}: the check {function!r} does not take {' or '.join(map(str, arguments))} "
                              "positional arguments")
        for module_name in CHECK_MODULES:
            module = sys.modules[module_name]
            for name, value in vars(module).items():
                if value is function and not name.startswith("_") and getattr(value, "__module__", "") == module_name:
                    alias = module_name.rsplit(".", 1)[1]
                    self.use(alias, module_name.rsplit(".", 1)[0])
                    return f"{alias}.{name}"
        raise Unsupported(f"{where}: the check {function!r} is not a public function of {', '.join(CHECK_MODULES)}")

    def reading(self, annotation: Any, where: str, constraints: Constraints | None = None) -> Reading:
        constraints = constraints or Constraints()
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            for item in metadata:
                constraints.take(item, where)
            return self.reading(base, where, constraints)
        if constraints.checks:
            return self._checked(annotation, where, constraints)
        if origin in (typing.Union, types.UnionType):
            options = [option for option in typing.get_args(annotation) if option is not type(None)]
            if len(options) != 1 or len(typing.get_args(annotation)) != 2:
                raise Unsupported(f"{where}: {annotation!r}")
            inner = self.reading(options[0], where, constraints)
            return Reading(f"{self.use('optional', READERS)}({inner.reader})", f"{inner.holds} | None")
        reading = self._plain(annotation, origin, where, constraints)
        if constraints.bounds:
            raise Unsupported(f"{where}: bounds {constraints.bounds} on {annotation!r}")
        return reading

    def _checked(self, annotation: Any, where: str, constraints: Constraints) -> Reading:
        if len(constraints.checks) != 1 or constraints.bounds or annotation not in (str, date, Decimal):
            raise Unsupported(f"{where}: checks {constraints.checks} on {annotation!r}")
        check = self.check_name(constraints.checks[0], where)
        holds = self._type_name(annotation)
        return Reading(f"{self.use('checked', READERS)}({check}, {self.use('exactly', READERS)}({holds}))", holds)

    def _plain(self, annotation: Any, origin: Any, where: str, constraints: Constraints) -> Reading:
        bounds = constraints.bounds
        if annotation in (int, bool, str):
            if not constraints.strict:
                raise Unsupported(f"{where}: {annotation.__name__} without Strict")
            allowed = {int: ("ge", "le"), bool: (), str: ("max_length",)}[annotation]
            arguments = ", ".join(f"{name}={bounds.pop(name)}" for name in allowed if name in bounds)
            name = self.use(f"strict_{annotation.__name__}", READERS)
            return Reading(f"{name}({arguments})", annotation.__name__)
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            if constraints.strict or hasattr(annotation, "__get_pydantic_core_schema__"):
                raise Unsupported(f"{where}: a strict enumeration, or one with a schema of its own")
            holds = self.use(annotation.__name__, annotation.__module__)
            return Reading(f"{self.use('enum', READERS)}({holds})", holds)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            self.add_model(annotation)
            return Reading(_reader_name(annotation), PLAIN_PREFIX + annotation.__name__)
        if origin is list:
            (item,) = typing.get_args(annotation)
            inner = self.reading(item, f"{where}[]")
            length = f", max_length={bounds.pop('max_length')}" if "max_length" in bounds else ""
            return Reading(f"{self.use('list_of', READERS)}({inner.reader}{length})", f"list[{inner.holds}]")
        if origin is dict:
            key, item = (self.reading(each, f"{where}{{}}") for each in typing.get_args(annotation))
            return Reading(f"{self.use('dict_of', READERS)}({key.reader}, {item.reader})",
                           f"dict[{key.holds}, {item.holds}]")
        raise Unsupported(f"{where}: {annotation!r}")

    def _type_name(self, kind: type) -> str:
        if kind.__module__ == "builtins":
            return kind.__name__
        if kind.__module__ in STANDARD_MODULES:  # qualified: a field may be named `date`
            self.modules.add(kind.__module__)
            return f"{kind.__module__}.{kind.__name__}"
        return self.use(kind.__name__, kind.__module__)

    def add_model(self, model: type[BaseModel]) -> None:
        if model in self.models:
            return
        if model in self.building:
            raise Unsupported(f"{model.__name__}: a model that holds itself")
        self.building.add(model)
        for name, info in model.model_fields.items():  # the models a model holds come first
            self.reading(_field_annotation(info), f"{model.__name__}.{name}")
        self.models.append(model)




def _field_annotation(info: FieldInfo) -> Any:
    return typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _reader_name(model: type[BaseModel]) -> str:
    return "read" + "".join("_" + c.lower() if c.isupper() else c for c in model.__name__)


def _positional_count(function: Any) -> int | None:
    """How many positional arguments a check takes (those without a default), or None when it
    takes any other way."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(parameter.kind not in positional for parameter in parameters) or any(
            parameter.default is not inspect.Parameter.empty for parameter in parameters):
        return None
    return len(parameters)


def _call(start: str, arguments: list[str], end: str) -> str:
    """A call (``start`` ends with its opening bracket, ``end`` begins with the closing one) on one
    line, or with one argument a line when the line would be too long."""
    line = start + ", ".join(arguments) + end
    if len(line) <= LINE_LENGTH:
        return line
    indent = " " * (len(start) - len(start.lstrip()))
    return start + "\n" + "".join(f"{indent}    {argument},\n" for argument in arguments) + indent + end


def _import(module: str, names: list[str]) -> str:
    ordered = sorted(names, key=lambda name: (name[0].islower(), name))
    line = f"from {module} import {', '.join(ordered)}"
    return line if len(line) <= LINE_LENGTH else _call(f"from {module} import (", ordered, ")")


def _default(info: FieldInfo, where: str) -> tuple[str, list[str]]:
    """The dataclass default and the reader's default of one field (none: required)."""
    if info.default_factory is not None:
        factory: Any = info.default_factory
        if factory in (list, dict):
            name = factory.__name__
        elif isinstance(factory, type) and issubclass(factory, BaseModel):
            name = PLAIN_PREFIX + factory.__name__
        else:
            raise Unsupported(f"{where}: default_factory {factory!r}")
        return f" = field(default_factory={name})", [f"default_factory={name}"]
    if info.default is PydanticUndefined:
        return "", []
    if info.default is not None and type(info.default) not in (int, bool, str):
        raise Unsupported(f"{where}: default {info.default!r}")
    return f" = {info.default!r}", [f"default={info.default!r}"]


def _validators(writer: Writer, model: type[BaseModel]) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """The model's checks: per field before and after its type, and on the whole model after."""
    decorators = model.__pydantic_decorators__
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for name, decorator in decorators.field_validators.items():
        where = f"{model.__name__}.{name}"
        unknown = set(decorator.info.fields) - set(model.model_fields)
        if unknown:  # "*" among them: pydantic's every field
            raise Unsupported(f"{where}: a validator of {sorted(unknown)}, not of named fields")
        if decorator.info.mode == "before":
            entries = [writer.check_name(decorator.func, where)]
            target = before
        elif decorator.info.mode == "after":
            check = writer.check_name(decorator.func, where, arguments=(1, 2))
            entries = [f"({check}, {_positional_count(decorator.func) == 2})"]
            target = after
        else:
            raise Unsupported(f"{where}: a {decorator.info.mode} field validator")
        for field_name in decorator.info.fields:
            target.setdefault(field_name, []).extend(entries)
    if any(len(checks) > 1 for checks in before.values()):
        raise Unsupported(f"{model.__name__}: two before validators on one field (pydantic runs the last first)")
    whole = []
    for name, model_decorator in decorators.model_validators.items():
        if model_decorator.info.mode != "after":
            raise Unsupported(f"{model.__name__}.{name}: a {model_decorator.info.mode} model validator")
        whole.append(writer.check_name(model_decorator.func, f"{model.__name__}.{name}"))
    if decorators.root_validators or decorators.field_serializers or decorators.model_serializers \
            or decorators.computed_fields or decorators.validators:
        raise Unsupported(f"{model.__name__}: decorators other than field and model validators")
    return before, after, whole


def _model_text(writer: Writer, model: type[BaseModel]) -> str:
    config = dict(model.model_config)
    unfollowed = any(value not in FOLLOWED_CONFIG.get(key, ()) for key, value in config.items())
    if config.get("extra") != "forbid" or unfollowed:
        raise Unsupported(f"{model.__name__}: model_config {config!r} (followed: {FOLLOWED_CONFIG})")
    if model.__pydantic_post_init__ is not None:
        raise Unsupported(f"{model.__name__}: model_post_init")
    before, after, whole = _validators(writer, model)
    lines = ["@dataclass(frozen=True, slots=True, kw_only=True)", f"class {PLAIN_PREFIX}{model.__name__}:"]
    readers = []
    for name, info in model.model_fields.items():
        where = f"{model.__name__}.{name}"
        settings = [name for name in UNFOLLOWED_FIELD_SETTINGS if getattr(info, name, None) not in (None, False)]
        if settings:
            raise Unsupported(f"{where}: {', '.join(settings)}")
        reading = writer.reading(_field_annotation(info), where)
        dataclass_default, reader_default = _default(info, where)
        lines.append(f"    {name}: {reading.holds}{dataclass_default}")
        arguments = [reading.reader, *reader_default]
        if name in before:
            arguments.append(f"before=({', '.join(before[name])},)")
        if name in after:
            arguments.append(f"after=({', '.join(after[name])},)")
        readers.append(_call(f'    "{name}": Field(', arguments, "),"))
    checks = f", ({', '.join(whole)},)" if whole else ""
    reader = [f"{_reader_name(model)} = record({PLAIN_PREFIX}{model.__name__}, {{", *readers, f"}}{checks})"]
    return "\n".join(lines) + "\n\n\n" + "\n".join(reader)


HEADER = '''"""The plain reading of a case: the case model's fields as frozen dataclasses, and readers that
vouch for a value without loading pydantic, or raise Defer to leave it to the model
(``reasoner.case_types.read_plain_case``).

GENERATED by tools/generate_case_plain.py from the models of reasoner/case.py: do not edit; run
the script after changing the models (tests/unit/test_case_plain_source.py fails until then).
"""

from __future__ import annotations
'''

def source(root: type[BaseModel] = case_model.Case) -> str:
    """The text of reasoner/case_plain.py as the case model (``root`` and the models it holds)
    gives it now."""
    writer = Writer()
    writer.add_model(root)
    bodies = [_model_text(writer, model) for model in writer.models]
    for name in ("Field", "record"):
        writer.use(name, READERS)
    by_module: dict[str, list[str]] = {}
    for name, module in writer.names.items():
        by_module.setdefault(module, []).append(name)
    standard = [f"import {module}" for module in STANDARD_MODULES if module in writer.modules]
    standard.append("from dataclasses import dataclass, field")
    own = [
        _import(module, names)
        for module, names in sorted(by_module.items()) if module.startswith("reasoner")
    ]
    return HEADER + "\n" + "\n".join([*standard, "", *own]) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what the model gives")
    arguments = parser.parse_args()
    try:
        text = source()
    except Unsupported as error:
        print(f"error: the plain reading cannot follow the case model: {error}", file=sys.stderr)
        return 2
    if arguments.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run tools/generate_case_plain.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
