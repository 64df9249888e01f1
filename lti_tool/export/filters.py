"""Which statements a target receives: pure rules over the statement's source.

A target's filters are a list; a statement goes to the target when any filter takes it:

- ``all``: every statement.
- ``source:NAME``: statements received with source NAME's credential.
- ``trellis``: statements Trellis generated itself (competency results, offline capture), i.e.
  those stored under a source named ``trellis`` or ``trellis.<something>``.

Statements pulled from an LRS (source ``lrs.<NAME>``) never go back to that same LRS.
Programme filters wait for the competency engine's programmes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
        FilterError: for an unknown kind, an empty source name, or a programme filter.
    """
    filters: list[str] = []
    for raw in values:
        value = raw.strip()
        is_source = value.startswith(SOURCE_PREFIX) and len(value) > len(SOURCE_PREFIX)
        if value in (ALL, TRELLIS) or is_source:
            filters.append(value)
        elif value.startswith(PROGRAMME_PREFIX):
            raise FilterError(
                f"{value!r}: programme filters are not available yet (they need the "
                "competency engine's programmes); use source:NAME meanwhile"
            )
        else:
            raise FilterError(f"{value!r}: use all, trellis or source:NAME")
    if not filters or ALL in filters:
        return [ALL]
    return sorted(set(filters))


def source_names(filters: Sequence[str]) -> list[str]:
    """The source names named by ``source:`` filters."""
    return [value[len(SOURCE_PREFIX) :] for value in filters if value.startswith(SOURCE_PREFIX)]


def dump_filters(filters: Sequence[str]) -> str:
    """The stored form: a JSON array."""
    return json.dumps(list(filters))


def load_filters(stored: str) -> list[str]:
    """Read the stored form back."""
    loaded = json.loads(stored)
    return [str(value) for value in loaded]


@dataclass(frozen=True, slots=True)
class TargetFilter:
    """A target's filters, ready to test statements' sources."""

    remote_name: str
    filters: tuple[str, ...]

    def takes(self, source_name: str) -> bool:
        """Whether a statement stored under ``source_name`` goes to this target."""
        if source_name == import_source_name(self.remote_name):
            return False
        for value in self.filters:
            if value == ALL:
                return True
            if value == TRELLIS and is_trellis_source(source_name):
                return True
            if value.startswith(SOURCE_PREFIX) and value[len(SOURCE_PREFIX) :] == source_name:
                return True
        return False
