"""Statement comparison for idempotent re-POSTs (xAPI 1.0.3 Data 2.3.1, "Statement Comparison
Requirements"; Communication 2.1.1/2.1.2: same id and same statement is not a conflict)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.xapi.builders import DELETE, full_statement, load_data, mutated, substatement
from xapi import vocabulary
from xapi.comparison import statements_match
from xapi.normalise import normalise_statement
from xapi.versions import XapiVersion

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "x"}}


def test_stored_statement_matches_its_original() -> None:
    """Data 2.3.1: what the LRS assigned (stored, authority, version, timestamp defaults,
    contextActivities as arrays) never makes a re-POST a conflict."""
    original = load_data("moodle_module_viewed.json")
    stored = normalise_statement(
        original, stored=datetime(2026, 4, 1, tzinfo=UTC), authority=AUTHORITY
    )
    assert statements_match(stored, original)
    assert statements_match(original, stored)


# Differences an immutability exception could cause: ignored.
IGNORED: list[tuple[str, Any]] = [
    ("id", "11111111-2222-4333-8444-555555555555"),
    ("stored", "2030-01-01T00:00:00Z"),
    ("authority", {"mbox": "mailto:other@lrs.example"}),
    ("version", "1.0.0"),
    ("attachments", DELETE),
    ("timestamp", DELETE),
    ("timestamp", "2026-03-12T14:30:00.000+08:00"),
    ("verb.display", {"en": "went to"}),
    ("object.definition", {"name": {"en": "renamed"}}),
    ("object.objectType", DELETE),
    ("actor.objectType", DELETE),
    ("actor.mbox", "mailto:liu@SCHOOL.Example.CN"),
    ("context.registration", "9C1F6D0E-2A3B-4C5D-9E8F-7A6B5C4D3E2F"),
    ("context.contextActivities.grouping", [{"id": "https://trellis.example/programmes/2026"}]),
    (
        "context.contextActivities.parent",
        [{"id": "https://trellis.example/courses/5", "definition": {"name": {"en": "x"}}}],
    ),
    ("context.statement.id", "1E2D3C4B-5A69-4788-9766-554433221100"),
]

# Everything else: a conflict.
SIGNIFICANT: list[tuple[str, Any]] = [
    ("verb.id", vocabulary.VERB_ATTEMPTED),
    ("object.id", "https://trellis.example/sessions/43"),
    ("actor.name", "另一位老师"),
    ("actor.mbox", "mailto:LIU@school.example.cn"),
    ("timestamp", "2026-03-12T06:30:00.001Z"),
    ("result.duration", "PT90M"),
    ("result.score.raw", 76),
    ("result.success", False),
    ("context.language", "en"),
    ("context.extensions", {}),
    ("context.team.name", "另一组"),
    ("context.contextActivities.other", [{"id": "https://trellis.example/x"}]),
]


@pytest.mark.parametrize(("path", "value"), IGNORED, ids=[p for p, _ in IGNORED])
def test_immutability_exceptions_are_ignored(path: str, value: Any) -> None:
    """Data 2.3.1: "Differences which could have been caused by exceptions to Statement
    immutability MUST be ignored"."""
    original = full_statement()
    assert statements_match(original, mutated(original, path, value))


@pytest.mark.parametrize(("path", "value"), SIGNIFICANT, ids=[p for p, _ in SIGNIFICANT])
def test_other_differences_are_conflicts(path: str, value: Any) -> None:
    """Data 2.3.1: other differences "MUST not be ignored" (duration is compared as text)."""
    original = full_statement()
    assert not statements_match(original, mutated(original, path, value))


def test_group_member_order_is_ignored() -> None:
    """Data 2.3.1: the list of Agents in a Group is not ordered."""
    members = [
        {"mbox": "mailto:a@x.cn"},
        {"account": {"homePage": "https://m.example", "name": "2"}},
    ]
    first = mutated(full_statement(), "context.team.member", members)
    second = mutated(full_statement(), "context.team.member", list(reversed(members)))
    assert statements_match(first, second)


def test_substatement_timestamps_compare_as_instants() -> None:
    """Data 2.3.1: timestamp serialisation is not part of the statement, inside a
    SubStatement too; its content otherwise counts."""
    first = {**full_statement(), "object": substatement()}
    same_instant = mutated(first, "object.timestamp", "2026-04-01T00:00:00Z")
    later = mutated(first, "object.timestamp", "2026-04-01T00:00:01Z")
    other_verb = mutated(first, "object.verb.id", vocabulary.VERB_PASSED)
    assert statements_match(first, same_instant)
    assert not statements_match(first, later)
    assert not statements_match(first, other_verb)


def test_duration_precision_beyond_hundredths_is_ignored_under_2_0() -> None:
    """IEEE 9274.1.1 4.2.7: "any precision beyond 0.01 second precision shall not be included
    in the comparison"; xAPI 1.0.3 compares durations as strings."""
    short = mutated(full_statement(), "result.duration", "P1DT12H36M0.12S")
    precise = mutated(short, "result.duration", "P1DT12H36M0.1237S")
    assert statements_match(short, precise, XapiVersion.V2_0_0)
    assert not statements_match(short, precise, XapiVersion.V1_0_3)
    other = mutated(short, "result.duration", "P1DT12H36M0.13S")
    assert not statements_match(short, other, XapiVersion.V2_0_0)
