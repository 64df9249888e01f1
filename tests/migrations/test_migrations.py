"""Alembic owns the schema: migrations build exactly what the models describe, and undo it."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import SAWarning

import lti_tool.models  # noqa: F401  (registers every table)
from lti_tool import migrate
from lti_tool.db import Base, make_engine

#: The references of the rows ingest writes, which migration 0010 leaves unconstrained on
#: PostgreSQL (a trigger and a row lock each); the models declare them.
UNCONSTRAINED_ON_POSTGRESQL = {
    "xapi_statements.person_id",
    "xapi_statements.source_id",
    "xapi_statement_agents.statement_seq",
    "xapi_statement_agents.agent_key_id",
    "xapi_statement_activities.statement_seq",
    "xapi_statement_activities.activity_iri_id",
    "xapi_statement_refs.statement_seq",
}


#: The index on ``lower(target_id)`` that migration 0011 adds. SQLAlchemy cannot read an index
#: on an expression back from SQLite, so there Alembic leaves it out of the comparison (saying
#: so in two warnings), and test_0011_indexes_the_reference_look_up checks it by name.
TARGET_LOOKUP_INDEX = "ix_xapi_statement_refs_target_lookup"


def _differences(database_url: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
            )
            warnings.filterwarnings(
                "ignore", "autogenerate skipping metadata-specified expression-based index"
            )
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _adds_index(difference: Any, name: str) -> bool:
    return (
        isinstance(difference, tuple)
        and difference[0] == "add_index"
        and difference[1].name == name
    )


def _index_names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if database_url.startswith("sqlite"):
                query = "SELECT name FROM sqlite_master WHERE type = 'index'"
            else:
                query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            return {name for (name,) in connection.execute(text(query))}
    finally:
        engine.dispose()


def _missing_foreign_key(difference: Any) -> str | None:
    if not (isinstance(difference, tuple) and difference[0] == "add_fk"):
        return None
    constraint = difference[1]
    return f"{constraint.table.name}.{', '.join(c.name for c in constraint.columns)}"


def test_upgrade_head_on_empty_database_matches_the_models(database_url: str) -> None:
    migrate.upgrade(database_url)

    differences = _differences(database_url)

    if database_url.startswith("postgresql"):
        unconstrained = {_missing_foreign_key(d) for d in differences}
        assert unconstrained == UNCONSTRAINED_ON_POSTGRESQL, differences
        differences = [d for d in differences if _missing_foreign_key(d) is None]
    assert differences == [], f"models and migrations drifted apart: {differences}"


def test_0010_downgrade_constrains_the_ingest_references_again(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0009")

    differences = _differences(database_url)
    # What the models describe beyond 0009 is 0011's index, made after 0010.
    assert [d for d in differences if not _adds_index(d, TARGET_LOOKUP_INDEX)] == []


def test_0011_indexes_the_reference_look_up(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert TARGET_LOOKUP_INDEX in _index_names(database_url)

    migrate.downgrade(database_url, "0010")
    assert TARGET_LOOKUP_INDEX not in _index_names(database_url)


def test_upgrade_head_records_the_head_revision(database_url: str) -> None:
    migrate.upgrade(database_url)

    script_heads = migrate.head_revisions()
    assert migrate.current_revision(database_url) in script_heads
    assert len(script_heads) == 1, "migrations must form one line, not branches"


def test_downgrade_base_removes_every_table(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")

    engine = make_engine(database_url)
    try:
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert remaining == set()
    assert migrate.current_revision(database_url) is None


def test_upgrade_after_downgrade_base_rebuilds_the_schema(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


#: Index rows as (statement position, agent key or activity IRI, direct), whatever the revision.
_TEXT_INDEX_ROWS = {
    "xapi_statement_agents": "SELECT statement_seq, agent_key, direct FROM xapi_statement_agents",
    "xapi_statement_activities": (
        "SELECT statement_seq, activity_id, direct FROM xapi_statement_activities"
    ),
}
_NUMBERED_INDEX_ROWS = {
    "xapi_statement_agents": (
        "SELECT a.statement_seq, k.key, a.direct FROM xapi_statement_agents a "
        "JOIN xapi_agent_keys k ON k.id = a.agent_key_id"
    ),
    "xapi_statement_activities": (
        "SELECT a.statement_seq, i.iri, a.direct FROM xapi_statement_activities a "
        "JOIN xapi_activity_iris i ON i.id = a.activity_iri_id"
    ),
}


def _index_rows(database_url: str, *, numbered: bool) -> dict[str, list[tuple[object, ...]]]:
    queries = _NUMBERED_INDEX_ROWS if numbered else _TEXT_INDEX_ROWS
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: [tuple(row) for row in connection.execute(text(f"{query} ORDER BY 1, 2"))]
                for table, query in queries.items()
            }
    finally:
        engine.dispose()


def _store_two_statements_with_text_index_rows(database_url: str) -> None:
    """Two statements and their index rows, as revisions 0002–0008 keep them."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO xapi_sources (id, name, key, secret_hash, is_admin, created_at) "
                    "VALUES (1, 'moodle', 'k', 's$h', false, '2026-12-01 00:00:00')"
                )
            )
            for seq in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO xapi_statements (seq, id, source_id, verb_id, activity_id, "
                        "voided, stored, timestamp, document) VALUES (:seq, :id, 1, 'v', 'a', "
                        "false, '2026-12-01 00:00:00', '2026-12-01 00:00:00', '{}')"
                    ),
                    {"seq": seq, "id": f"00000000-0000-0000-0000-00000000000{seq}"},
                )
            connection.execute(
                text(
                    "INSERT INTO xapi_statement_agents VALUES "
                    "(1, 'mbox::mailto:a@example.org', true), (1, 'account::x::src', false), "
                    "(2, 'mbox::mailto:a@example.org', true)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO xapi_statement_activities VALUES "
                    "(1, 'https://moodle.example/mod/quiz/view.php?id=7', true), "
                    "(1, 'https://moodle.example/course/view.php?id=3', false), "
                    "(2, 'https://moodle.example/course/view.php?id=3', true)"
                )
            )
    finally:
        engine.dispose()


def test_0007_keeps_every_index_row_both_ways(database_url: str) -> None:
    """The upgrade to 0007 copies the index tables on SQLite; nothing may be lost either way."""
    migrate.upgrade(database_url, "0006")
    _store_two_statements_with_text_index_rows(database_url)
    before = _index_rows(database_url, numbered=False)

    migrate.upgrade(database_url, "0008")
    after_upgrade = _index_rows(database_url, numbered=False)
    migrate.downgrade(database_url, "0006")
    after_downgrade = _index_rows(database_url, numbered=False)

    assert len(before["xapi_statement_agents"]) == 3
    assert len(before["xapi_statement_activities"]) == 3
    assert after_upgrade == before
    assert after_downgrade == before


def test_0009_numbers_every_index_key_and_keeps_every_row_both_ways(database_url: str) -> None:
    migrate.upgrade(database_url, "0008")
    _store_two_statements_with_text_index_rows(database_url)
    before = _index_rows(database_url, numbered=False)

    migrate.upgrade(database_url, "0009")
    after_upgrade = _index_rows(database_url, numbered=True)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            agent_keys = connection.execute(text("SELECT count(*) FROM xapi_agent_keys")).scalar()
            iris = connection.execute(text("SELECT count(*) FROM xapi_activity_iris")).scalar()
    finally:
        engine.dispose()
    migrate.downgrade(database_url, "0008")
    after_downgrade = _index_rows(database_url, numbered=False)

    assert len(before["xapi_statement_agents"]) == 3
    assert after_upgrade == before
    assert (agent_keys, iris) == (2, 2), "each distinct key is numbered once"
    assert after_downgrade == before


def test_0009_numbers_continue_after_the_copied_ones(database_url: str) -> None:
    """A key numbered after the upgrade gets a fresh number (PostgreSQL's sequence too)."""
    migrate.upgrade(database_url, "0008")
    _store_two_statements_with_text_index_rows(database_url)
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO xapi_agent_keys (key) VALUES ('openid:x')"))
            numbers = connection.execute(text("SELECT id FROM xapi_agent_keys")).scalars().all()
    finally:
        engine.dispose()

    assert len(set(numbers)) == 3


def test_0007_clusters_the_index_tables_on_sqlite(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("WITHOUT ROWID is SQLite's")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            definitions = dict(
                connection.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('xapi_statement_agents', 'xapi_statement_activities')"
                    )
                ).all()
            )
    finally:
        engine.dispose()

    assert len(definitions) == 2
    assert all("WITHOUT ROWID" in sql for sql in definitions.values())


def test_0009_gives_postgresql_statistics_of_the_copied_tables(database_url: str) -> None:
    """Without statistics PostgreSQL planned the agent + verb filter by walking the verb's
    statements (1.0 s at 1M stored, bench/README.md); autovacuum may come late, or be off."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statistics of PostgreSQL's planner")
    migrate.upgrade(database_url, "0008")
    _store_two_statements_with_text_index_rows(database_url)
    migrate.upgrade(database_url, "0009")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(
                    text(f"SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass")
                ).scalar()
                for table in ("xapi_statement_agents", "xapi_statement_activities")
            }
    finally:
        engine.dispose()

    assert counts == {"xapi_statement_agents": 3, "xapi_statement_activities": 3}


def test_0009_leaves_the_tables_of_an_empty_store_unanalyzed(database_url: str) -> None:
    """An empty table analyzed is planned as empty for good: the foreign-key checks of the index
    rows then scanned the key tables whole (a new install ingested at half speed)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statistics of PostgreSQL's planner")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(
                    text(f"SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass")
                ).scalar()
                for table in (
                    "xapi_statement_agents",
                    "xapi_statement_activities",
                    "xapi_agent_keys",
                    "xapi_activity_iris",
                )
            }
    finally:
        engine.dispose()

    never_analyzed = -1
    assert set(counts.values()) == {never_analyzed}, counts
