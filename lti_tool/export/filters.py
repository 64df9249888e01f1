"""Which statements a target receives: pure rules over facts about each statement.

A target's filters are a list; a statement goes to the target when any filter takes it:

- ``all``: every statement.
- ``source:NAME``: statements received with source NAME's credential.
- ``trellis``: statements Trellis generated itself (competency results, offline capture), i.e.
  those stored under a source named ``trellis`` or ``trellis.<something>``.
- ``programme:ID``: statements about one of the programme's courses (any of the statement's
  activities — its object or a context activity such as Moodle's course grouping — is a course
  activity IRI added with ``trellis programmes add-course``), and Trellis-generated statements
  about the programme's members (their competency results).

Statements pulled from an LRS (source ``lrs.<NAME>``) never go back to that same LRS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ALL = "all"
TRELLIS = "trellis"
SOURCE_PREFIX = "source:"
PROGRAMME_PREFIX = "programme:"
IMPORT_SOURCE_PREFIX = "lrs."


class FilterError(ValueError):
    """A filter string this version cannot apply."""


def import_source_name(remote_name: str) -> str:
    """The source that statements pulled from ``remote_name`` are stored under."""
    return f"{IMPORT_SOURCE_PREFIX}{remote_name}"


def is_trellis_source(source_name: str) -> bool:
    """Whether a source is one of Trellis's own producers."""
    return source_name == TRELLIS or source_name.startswith(TRELLIS + ".")


def parse_filters(values: Iterable[str]) -> list[str]:
    """Check filter strings and return them normalised (``all`` alone when none are given).

    Raises:
        FilterError: for an unknown kind or an empty source or programme name.
    """
    filters: list[str] = []
    for raw in values:
        value = raw.strip()
        named = any(
            value.startswith(prefix) and len(value) > len(prefix)
            for prefix in (SOURCE_PREFIX, PROGRAMME_PREFIX)
        )
        if value in (ALL, TRELLIS) or named:
            filters.append(value)
        else:
            raise FilterError(f"{value!r}: use all, trellis, source:NAME or programme:ID")
    if not filters or ALL in filters:
        return [ALL]
    return sorted(set(filters))


def _named(filters: Sequence[str], prefix: str) -> list[str]:
    return [value[len(prefix) :] for value in filters if value.startswith(prefix)]


def programme_ids(filters: Sequence[str]) -> list[str]:
    """The programme ids named by ``programme:`` filters."""
    return _named(filters, PROGRAMME_PREFIX)


def dump_filters(filters: Sequence[str]) -> str:
    """The stored form: a JSON array."""
    return json.dumps(list(filters))


def load_filters(stored: str) -> list[str]:
    """Read the stored form back."""
    loaded = json.loads(stored)
    return [str(value) for value in loaded]


@dataclass(frozen=True, slots=True)
class ProgrammeScope:
    """What a programme filter needs to know of the programme: its course activity IRIs and
    its members' person ids."""

    courses: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StatementFacts:
    """What the filters look at in a stored statement."""

    source_name: str
    person_id: str | None = None
    activities: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TargetFilter:
    """A target's filters, ready to test statements."""

    remote_name: str
    filters: tuple[str, ...]
    programmes: Mapping[str, ProgrammeScope] = field(default_factory=dict)

    @property
    def needs_statement_details(self) -> bool:
        """Whether :meth:`takes` looks past the source (person and activities)."""
        return any(value.startswith(PROGRAMME_PREFIX) for value in self.filters)

    def takes(self, facts: StatementFacts) -> bool:
        """Whether a statement with these facts goes to this target."""
        source_name = facts.source_name
        if source_name == import_source_name(self.remote_name):
            return False
        for value in self.filters:
            if value == ALL:
                return True
            if value == TRELLIS and is_trellis_source(source_name):
                return True
            if value.startswith(SOURCE_PREFIX) and value[len(SOURCE_PREFIX) :] == source_name:
                return True
            if value.startswith(PROGRAMME_PREFIX):
                scope = self.programmes.get(value[len(PROGRAMME_PREFIX) :], ProgrammeScope())
                if facts.activities & scope.courses:
                    return True
                if is_trellis_source(source_name) and facts.person_id in scope.members:
                    return True
        return False
