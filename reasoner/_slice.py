"""The part of a program that its output can depend on, parsed once per process.

The rules keep each label, source and quote beside the rule it describes (docs/adr/0011),
so a program such as the decision program includes about a thousand facts that no shown
atom and no constraint reads. Parsing and grounding them is most of the cost of deciding
one case. ``relevant_statements`` parses the files once and keeps only the statements the
output can depend on: every statement that is not a rule with a head (show statements,
constraints, externals, directives), and every rule that defines a predicate one of those
reads, transitively. What is dropped defines predicates nothing kept reads, so the kept
program has the same shown atoms and the same constraints (the dropped rules are facts and
positive or stratified rules over the static data: nothing that could make a program
without answer sets, which the byte-identity check in benchmarks/outputs.py confirms).

This module only reads statements: reasoner/_solve.py parses the project's own rule files,
keeps the sliced program's text in the disk cache and builds the program (it alone drives
clingo); facts about a case are still added as Symbols through the backend, never as program
text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from clingo import ast

Signature = tuple[str, int]


def relevant_statements(statements: Sequence[ast.AST]) -> list[ast.AST]:
    """The statements (of the project's rule files, as reasoner/_solve.py parsed them) that the
    output can depend on, in their order, without comments."""
    kept = [statement for statement in statements if statement.ast_type != ast.ASTType.Comment]
    return [kept[index] for index in _kept(kept)]


def _kept(statements: list[ast.AST]) -> list[int]:
    if any(signature[1] < 0 for statement in statements for signature in _atoms(statement)):
        return list(range(len(statements)))  # an atom this reading does not know: keep everything
    defined = [_defined(statement) for statement in statements]
    rules_defining: dict[Signature, list[int]] = {}
    for index, heads in enumerate(defined):
        for signature in heads or ():
            rules_defining.setdefault(signature, []).append(index)
    needed: set[Signature] = set()
    pending = [s for s, heads in zip(statements, defined, strict=True) if heads is None]
    keep = {index for index, heads in enumerate(defined) if heads is None}
    while pending:
        for signature in _atoms(pending.pop()) - needed:
            needed.add(signature)
            for index in rules_defining.get(signature, ()):
                if index not in keep:
                    keep.add(index)
                    pending.append(statements[index])
    return sorted(keep)


def _defined(statement: ast.AST) -> frozenset[Signature] | None:
    """The predicates a rule with a head defines; None for every other statement."""
    if statement.ast_type != ast.ASTType.Rule:
        return None
    head = statement.head
    if head.ast_type == ast.ASTType.Literal and head.atom.ast_type == ast.ASTType.BooleanConstant:
        return None  # a constraint
    found = frozenset(_signatures(_head_atoms(head)))
    return found or None


def _head_atoms(head: ast.AST) -> Iterator[ast.AST]:
    if head.ast_type == ast.ASTType.Literal:
        yield head.atom
    elif head.ast_type in (ast.ASTType.Disjunction, ast.ASTType.Aggregate):
        for element in head.elements:
            yield element.literal.atom
    elif head.ast_type == ast.ASTType.HeadAggregate:
        for element in head.elements:
            yield element.condition.literal.atom


def _atoms(statement: ast.AST) -> frozenset[Signature]:
    """Every predicate that occurs anywhere in the statement (and the one `#show p/n.` names)."""
    found = frozenset(_signatures(_walk(statement)))
    if statement.ast_type == ast.ASTType.ShowSignature and statement.name:
        found |= {(statement.name, statement.arity)}
    return found


def _walk(node: Any) -> Iterator[ast.AST]:
    if isinstance(node, ast.AST):
        if node.ast_type == ast.ASTType.SymbolicAtom:
            yield node
        for key in node.child_keys:
            yield from _walk(getattr(node, key))
    elif isinstance(node, (list, tuple, ast.ASTSequence)):
        for item in node:
            yield from _walk(item)


def _signatures(atoms: Iterator[ast.AST]) -> Iterator[Signature]:
    for atom in atoms:
        if atom.ast_type != ast.ASTType.SymbolicAtom:
            continue
        yield from _term_signatures(atom.symbol)


def _term_signatures(term: ast.AST) -> Iterator[Signature]:
    if term.ast_type == ast.ASTType.UnaryOperation:
        yield from _term_signatures(term.argument)  # classical negation: -p(X)
    elif term.ast_type == ast.ASTType.Pool:  # p("a"; "b"): one atom per alternative
        for alternative in term.arguments:
            yield from _term_signatures(alternative)
    elif term.ast_type == ast.ASTType.Function:
        yield term.name, len(term.arguments)
    elif term.ast_type == ast.ASTType.SymbolicTerm:
        yield term.symbol.name, len(term.symbol.arguments)
    else:  # anything this reading does not know: marked, and nothing is then dropped
        yield str(term), -1
