"""DriverSQL: look-ups planned for the tables as they are, inserts that skip taken values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from lti_tool import driver_sql
from lti_tool.driver_sql import DriverSQL
from lti_tool.models.identity import Person
from lti_tool.models.lrs import ActivityIri
from tests.conftest import postgres_url


@pytest.mark.skipif(postgres_url() is None, reason="psycopg's prepared statements are PostgreSQL's")
def test_a_look_up_run_many_times_is_never_prepared(db_session: Session) -> None:
    """psycopg prepares a query it has run five times, and PostgreSQL then keeps the plan it
    made while the table was empty: a look-up that must stay an index scan as a table grows
    from nothing may not be prepared."""
    sql = DriverSQL(db_session)
    for _ in range(10):
        sql.fetch(
            'SELECT "key", person_id FROM person_identifiers WHERE "key" IN (%s, %s)',
            ["account:a|1", "account:a|2"],
        )
    prepared = db_session.execute(text("SELECT statement FROM pg_prepared_statements")).all()
    assert [row for row in prepared if "person_identifiers" in row[0]] == []


def test_insert_new_inserts_only_values_not_taken_and_returns_what_it_inserted(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver_sql, "_PARAMETERS_A_STATEMENT", 2)  # a statement per value
    table = cast(Table, ActivityIri.__table__)
    sql = DriverSQL(db_session)
    first = sql.insert_new(
        table, ("iri",), [("https://a.example/1",)], unique=("iri",), returning=("iri", "id")
    )
    again = sql.insert_new(
        table,
        ("iri",),
        [("https://a.example/1",), ("https://a.example/2",), ("https://a.example/3",)],
        unique=("iri",),
        returning=("iri", "id"),
    )

    assert [iri for iri, _ in first] == ["https://a.example/1"]
    assert sorted(iri for iri, _ in again) == ["https://a.example/2", "https://a.example/3"]
    stored = db_session.execute(select(ActivityIri.iri, ActivityIri.id)).all()
    assert sorted(stored) == sorted(first + again)


@pytest.mark.parametrize("count", [1, 13, 14, 50])
def test_rows_read_back_as_inserted_whichever_way_they_go_in(
    db_session: Session, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """On PostgreSQL up to 40 values go in as one INSERT (13 three-column rows), more by COPY;
    both must store exactly what was given, missing values and offsets included."""
    copies: list[str] = []
    copy = DriverSQL._copy
    monkeypatch.setattr(
        DriverSQL, "_copy", lambda self, sql, typed: (copies.append(sql), copy(self, sql, typed))
    )
    created = datetime(2026, 12, 8, 1, 2, 3, 456789, tzinfo=UTC)
    rows = [
        (
            f"person-{index}",
            None if index % 2 else f"教师 {index}",
            created + timedelta(hours=index),
        )
        for index in range(count)
    ]
    sql = DriverSQL(db_session)
    sql.insert_many(cast(Table, Person.__table__), ("id", "display_name", "created_at"), rows)

    stored = db_session.execute(
        select(Person.id, Person.display_name, Person.created_at).order_by(Person.created_at)
    ).all()
    assert [(id_, name, _in_utc(moment)) for id_, name, moment in stored] == rows
    assert len(copies) == (1 if sql.is_postgresql and count > 13 else 0)


def _in_utc(moment: datetime) -> datetime:
    """SQLite gives back the UTC time without its offset; PostgreSQL in the session's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_a_look_up_of_more_values_than_psycopg_caches_finds_each_of_them(
    db_session: Session,
) -> None:
    """psycopg re-parses a ``%s`` query with more than 50 parameters on every call, so on
    PostgreSQL DriverSQL numbers the placeholders itself: a look-up of 120 values must still
    find exactly the stored ones, in any order."""
    table = cast(Table, ActivityIri.__table__)
    sql = DriverSQL(db_session)
    stored = [f"https://a.example/{index}" for index in range(0, 240, 2)]
    sql.insert_many(table, ("iri",), [(iri,) for iri in stored])
    asked = [f"https://a.example/{index}" for index in range(119, -1, -1)]

    found = sql.fetch(f"SELECT iri FROM {table.name} WHERE iri IN ({sql.markers(120)})", asked)

    assert sorted(iri for (iri,) in found) == sorted(set(asked) & set(stored))


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("SELECT 1", "SELECT 1"),
        ("a = %s AND b IN (%s, %s)", "a = $1 AND b IN ($2, $3)"),
        ("name LIKE 'a%%' AND id = %s", "name LIKE 'a%' AND id = $1"),
        ("a %%s b %%%s", "a %s b %$1"),
    ],
)
def test_placeholders_are_numbered_as_postgresql_writes_them(written: str, sent: str) -> None:
    assert driver_sql.numbered(written) == sent


@pytest.mark.parametrize("written", ["a = %d", "50 %", "LIKE 'a%'"])
def test_a_percent_sign_psycopg_would_refuse_is_refused(written: str) -> None:
    with pytest.raises(ValueError, match="percent sign"):
        driver_sql.numbered(written)
