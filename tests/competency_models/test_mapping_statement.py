"""Reading statements: score normalisation, timestamps, and tolerance of odd shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from competency_models.mapping import StatementView, normalised_score, parse_timestamp

MOODLE = (-1.0, 1.0)
STANDARD = (0.0, 1.0)


@pytest.mark.parametrize(
    ("score", "scaled_range", "expected"),
    [
        pytest.param(
            {"raw": 50, "min": 0, "max": 100, "scaled": 0.0},
            MOODLE,
            0.5,
            id="raw preferred over Moodle scaled",
        ),
        pytest.param(
            {"raw": 50, "min": 0, "max": 100, "scaled": 0.0},
            STANDARD,
            0.5,
            id="raw preferred whatever the range",
        ),
        pytest.param({"raw": 3, "min": 1, "max": 4}, STANDARD, 2 / 3, id="min offsets raw"),
        pytest.param({"raw": 8, "max": 10}, STANDARD, 0.8, id="min defaults to 0"),
        pytest.param({"raw": 12, "min": 0, "max": 10}, STANDARD, 1.0, id="raw above max clamps"),
        pytest.param({"raw": -2, "min": 0, "max": 10}, STANDARD, 0.0, id="raw below min clamps"),
        pytest.param(
            {"raw": 5, "min": 5, "max": 5, "scaled": 1.0},
            STANDARD,
            1.0,
            id="empty range falls back to scaled",
        ),
        pytest.param({"raw": 5}, STANDARD, None, id="raw alone says nothing"),
        pytest.param({"scaled": 0.0}, MOODLE, 0.5, id="Moodle scaled 0 is half"),
        pytest.param({"scaled": -1.0}, MOODLE, 0.0, id="Moodle scaled -1 is zero"),
        pytest.param({"scaled": 0.85}, STANDARD, 0.85, id="cmi5 scaled"),
        pytest.param({"scaled": -0.5}, STANDARD, 0.0, id="negative scaled clamps on 0..1"),
        pytest.param({"raw": True, "max": 1}, STANDARD, None, id="booleans are not numbers"),
        pytest.param({"raw": float("nan"), "max": 1}, STANDARD, None, id="nan ignored"),
        pytest.param({"scaled": float("inf")}, STANDARD, None, id="infinity ignored"),
        pytest.param({"raw": "50", "max": "100"}, STANDARD, None, id="strings ignored"),
        pytest.param(None, STANDARD, None, id="no score"),
        pytest.param([1, 2], STANDARD, None, id="not an object"),
    ],
)
def test_normalised_score(
    score: object, scaled_range: tuple[float, float], expected: float | None
) -> None:
    assert normalised_score(score, scaled_range) == (
        None if expected is None else pytest.approx(expected)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-10T14:31:41.000Z", datetime(2015, 6, 10, 14, 31, 41, tzinfo=UTC)),
        ("2026-03-09T10:15:00+08:00", datetime(2026, 3, 9, 2, 15, tzinfo=UTC)),
        ("2026-03-09T10:15:00", datetime(2026, 3, 9, 10, 15, tzinfo=UTC)),
        ("yesterday", None),
        (20260309, None),
        (None, None),
    ],
)
def test_parse_timestamp_gives_aware_utc(text: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


def test_timestamp_falls_back_to_stored() -> None:
    view = StatementView({"stored": "2026-01-01T00:00:00Z"})
    assert view.timestamp == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "statement",
    [
        {},
        {"verb": "completed", "object": "x", "result": 1, "context": []},
        {"verb": {"id": 5}, "object": {"id": None, "definition": "d"}},
        {"context": {"contextActivities": {"parent": "p", "grouping": [1, None, {"id": 3}]}}},
        {"context": {"contextActivities": [], "extensions": "e", "instructor": "i"}},
    ],
)
def test_view_of_malformed_statement_reports_absence(statement: dict[str, Any]) -> None:
    view = StatementView(statement)
    assert view.verb_id is None
    assert view.object_id is None
    assert view.success is None and view.completion is None
    assert view.score() is None
    assert view.context_activities("parent") == ()
    assert view.context_activities("grouping") == ()
    assert view.context_extensions == {}
    assert not view.has_instructor
    assert view.module_keys() == ()
    assert view.statement_id is None and view.timestamp is None


def test_module_keys_are_object_then_parents_then_grouping() -> None:
    view = StatementView(
        {
            "object": {"id": "o"},
            "context": {
                "contextActivities": {
                    "parent": [{"id": "p1"}, {"id": "p2"}],
                    "grouping": [{"id": "g"}],
                    "category": [{"id": "c"}],
                }
            },
        }
    )
    assert view.module_keys() == ("o", "p1", "p2", "g")


def test_substatement_object_is_not_an_activity() -> None:
    view = StatementView({"object": {"objectType": "SubStatement", "id": "https://x"}})
    assert view.object_id is None and view.object_type is None
