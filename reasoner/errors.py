"""One error hierarchy for the whole package, mapped to messages at the CLI boundary."""

from __future__ import annotations


class ReasonerError(Exception):
    """Base of every error this package raises on purpose."""

    def problems(self) -> list[str]:
        """One line per problem, for a person to read."""
        return [str(self)]


class InvalidCase(ReasonerError):
    """The case does not fit the input contract; each problem names its field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self._problems = list(problems)

    def problems(self) -> list[str]:
        return list(self._problems)


class InputFileError(ReasonerError):
    """A file (or standard input) could not be read or is not JSON."""


class ResourceError(ReasonerError):
    """A case too large for the memory this process has (clingo's bad_alloc): not a rules bug."""


class RulesError(ReasonerError):
    """The rules gave no single decision: a bug in the encoded policy, never an answer."""
