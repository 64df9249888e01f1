"""The one exception the xAPI protocol core raises for bad input."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

#: How many problems an error keeps; a statement can be wrong in thousands of places.
MAX_REPORTED_PROBLEMS = 10


class Problem(NamedTuple):
    """One broken rule: where (a JSON path such as ``context.contextActivities.parent[1].id``)
    and what (the rule, such as ``not an IRI``)."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}" if self.path else self.rule


class StatementValidationError(ValueError):
    """A statement, a batch or a request value broke the xAPI data model.

    An HTTP layer answers it with ``400 Bad Request`` and the rendered problems.

    Attributes:
        problems: The first few problems found, in document order.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        kept = tuple(problems)[:MAX_REPORTED_PROBLEMS]
        if not kept:
            kept = (Problem("$", "invalid"),)
        self.problems: tuple[Problem, ...] = kept
        super().__init__("; ".join(str(problem) for problem in kept))

    @property
    def messages(self) -> list[str]:
        """The problems rendered as ``"path: rule"`` strings, ready for a JSON error body."""
        return [str(problem) for problem in self.problems]
