"""The interview in a terminal (or fed line by line on standard input by a script)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from reasoner.decision import Decision, FieldQuestion, fields_to_ask
from reasoner.errors import InvalidCase
from reasoner.interview.answers_text import DontKnow, boolean_meaning, parse_typed
from reasoner.interview.session import Interview
from reasoner.outputs import printable
from reasoner.render import choices

ReadLine = Callable[[str], str]


def standing(decision: Decision) -> Text:
    """Where the decision stands, in one line."""
    verdict = decision.decision.replace("_", " ").upper()
    text = Text.assemble(("→ ", "dim"), (verdict, "bold"))
    if decision.complete:
        text.append(", complete", style="green")
    else:
        count = len(fields_to_ask(decision.questions))
        text.append(f", incomplete ({count} open question{'' if count == 1 else 's'})", style="yellow")
    if decision.rule is not None:
        text.append(f", by {decision.rule.label}", style="dim")
    return text


def _prompt_help(item: FieldQuestion) -> str:
    answer = item.answer
    if answer.type == "boolean":
        return "y = yes, n = no, ? = don't know"
    if answer.type == "enum":
        numbered = ", ".join(f"{n} {value}" for n, value in enumerate(answer.values, 1))
        return f"{numbered}; ? = don't know"
    return f"{choices(answer)}; ? = don't know"


def ask_one(console: Console, item: FieldQuestion, read: ReadLine, number: int) -> Any:
    """Ask one question until the answer has the field's type; DontKnow or EOFError end it."""
    first = item.questions[0]
    console.print(Text.assemble((f"\nQuestion {number}. ", "bold"), item.prompt))
    if first.citation.sentence:
        numbers = first.citation.numbers
        where = "sentence" if len(numbers) == 1 else "sentences"
        quote = Text(f"policy ({where} {', '.join(map(str, numbers))}): “{first.citation.sentence}”",
                     style="dim italic")
        console.print(Padding(quote, (0, 0, 0, 2)))
    if item.answer.type == "boolean" and not boolean_meaning(item):
        console.print(Text(f"  (yes sets {item.field} = false)", style="dim"))
    console.print(Text.assemble(("  answers ", "dim"), (item.field, "cyan"), f": {_prompt_help(item)}"))
    while True:
        typed = read("> ")
        try:
            return parse_typed(item, typed)
        except ValueError as error:
            console.print(Text(f"  {error}", style="red"))


def run(interview: Interview, console: Console, read: ReadLine) -> None:
    """Ask until the decision is complete, nothing is left to ask, or the answers run out."""
    console.print(standing(interview.current()))
    number = 0
    while (item := interview.next_question()) is not None:
        number += 1
        try:
            value = ask_one(console, item, read, number)
        except DontKnow:
            interview.skip(item.field)
            console.print(Text("  left unknown; not asked again", style="dim"))
            continue
        except EOFError:
            console.print(Text("\nno more answers", style="dim"))
            return
        try:
            decision = interview.answer(item.field, value)
        except InvalidCase as error:
            for problem in error.problems():
                console.print(Text(f"  {printable(problem)}", style="red"))
            number -= 1
            continue
        console.print(standing(decision))
