"""The GET filters are answered from an index, read in log order — never by walking the log.

The plans are SQLite's (EXPLAIN QUERY PLAN); PostgreSQL plans by table statistics, which an
almost empty test database does not have, so there the filters' results alone are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from lti_tool.driver_sql import DriverSQL
from lti_tool.lrs.index_key_ids import ACTIVITY_IRIS, AGENT_KEYS, all_ids
from lti_tool.lrs.statement_store import StatementFilter, StatementStore

MODULE = "https://moodle.example/mod/quiz/view.php?id=7"
AGENT = "account::https://moodle.example::7"


@contextmanager
def sql_run(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and its parameters) that the session's connection runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def numbered(session: Session) -> Session:
    """The session, with AGENT and MODULE numbered as if a statement had mentioned them."""
    all_ids(session, AGENT_KEYS, [AGENT], {})
    all_ids(session, ACTIVITY_IRIS, [MODULE], {})
    return session


def page_queries(seen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(sql, parameters) for sql, parameters in seen if "FROM xapi_statements" in sql]


def plan_of(session: Session, query: StatementFilter) -> str:
    """SQLite's plan for the page query that ``query`` runs, one step a line."""
    with sql_run(session) as seen:
        StatementStore(session).query(query, limit=100)
    statement, parameters = page_queries(seen)[0]
    return sqlite_plan(session, statement, parameters)


def sqlite_plan(session: Session, statement: str, parameters: Any) -> str:
    """SQLite's plan (EXPLAIN QUERY PLAN) for one statement, one step a line."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    finally:
        cursor.close()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.fixture
def sqlite_session(db_session: Session) -> Session:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    return numbered(db_session)


@pytest.mark.parametrize(
    "query",
    [
        StatementFilter(agent="mbox:mailto:nobody@example.org"),
        StatementFilter(agent="mbox:mailto:nobody@example.org", related_agents=True),
        StatementFilter(activity="https://example.org/never-mentioned"),
        StatementFilter(agent=AGENT, activity="https://example.org/never-mentioned"),
    ],
)
def test_a_filter_on_a_value_no_statement_mentions_reads_no_statements(
    db_session: Session, query: StatementFilter
) -> None:
    with sql_run(numbered(db_session)) as seen:
        page = StatementStore(db_session).query(query, limit=100)

    assert page == []
    assert page_queries(seen) == []


@pytest.mark.parametrize("related", [False, True])
def test_the_agent_filter_reads_the_agent_index_in_log_order(
    sqlite_session: Session, related: bool
) -> None:
    plan = plan_of(sqlite_session, StatementFilter(agent=AGENT, related_agents=related))

    assert "COVERING INDEX ix_xapi_statement_agents_key_seq_direct" in plan
    assert "TEMP B-TREE" not in plan
    assert "SCAN xapi_statements" not in plan


@pytest.mark.parametrize("related", [False, True])
def test_the_activity_filter_reads_the_activity_index_in_log_order(
    sqlite_session: Session, related: bool
) -> None:
    plan = plan_of(sqlite_session, StatementFilter(activity=MODULE, related_activities=related))

    assert "ix_xapi_statement_activities_id_seq_direct" in plan
    assert "COVERING INDEX" in plan, "the index holds `direct`: the rows need not be read"
    assert "TEMP B-TREE" not in plan, "the page comes off the index in order, unsorted"
    assert "SCAN xapi_statements" not in plan


def test_an_agent_and_activity_query_is_driven_by_the_agent_index(
    sqlite_session: Session,
) -> None:
    plan = plan_of(sqlite_session, StatementFilter(agent=AGENT, activity=MODULE))

    assert plan.splitlines()[0].startswith(
        "SEARCH xapi_statement_agents USING COVERING INDEX ix_xapi_statement_agents_key_seq_direct"
    )
    assert "TEMP B-TREE" not in plan
    assert "SCAN xapi_statements" not in plan


def test_the_statements_table_has_no_activity_index_of_its_own(db_session: Session) -> None:
    """The activity table's index answers both activity filters; a second one would cost
    ingest a page of log a statement at scale (bench/README.md)."""
    indexes = inspect(db_session.connection()).get_indexes("xapi_statements")
    names = {index["name"] for index in indexes}

    assert "ix_xapi_statements_activity_seq" not in names
    assert "ix_xapi_statements_verb_seq" in names


def test_ingest_asks_which_ids_are_referred_to_through_the_look_up_index(
    sqlite_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every batch asks this; without its index the reference table was read whole each time
    (migration 0011). Ingest's SQL goes to the driver directly, so it is caught there."""
    seen: list[tuple[str, Any]] = []
    fetch = DriverSQL.fetch
    monkeypatch.setattr(
        DriverSQL,
        "fetch",
        lambda self, sql, params=(): seen.append((sql, params)) or fetch(self, sql, params),
    )
    ids = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
    StatementStore._ids_voided_by_stored_statements(DriverSQL(sqlite_session), ids)
    (statement, parameters), *_ = [(s, p) for s, p in seen if "xapi_statement_refs" in s]

    plan = sqlite_plan(sqlite_session, statement, parameters)

    assert "INDEX ix_xapi_statement_refs_target_lookup" in plan
    assert "SCAN xapi_statement_refs" not in plan


def test_a_filtered_get_still_reads_the_small_reference_table_first(
    sqlite_session: Session,
) -> None:
    """The look-up index is on lower(target_id), which no join on target_id can use: the
    StatementRef half of a filtered GET keeps its plan."""
    query = StatementFilter(verb="http://adlnet.gov/expapi/verbs/completed")
    with sql_run(sqlite_session) as seen:
        StatementStore(sqlite_session).query(query, limit=100)
    referring = [(s, p) for s, p in page_queries(seen) if "xapi_statement_refs" in s]
    assert referring, "a filtered GET also asks for statements that refer to its matches"

    plan = sqlite_plan(sqlite_session, *referring[0])

    assert "ix_xapi_statement_refs_target_lookup" not in plan
    assert "SCAN xapi_statement_refs" in plan
