"""Every reference the models declare can be checked, enforced by the database or not."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from lti_tool.db import Database, make_engine
from lti_tool.integrity import dangling_references
from lti_tool.lrs.sources import add_source
from tests.live_server import live_server
from tests.lti_tool.lrs.conftest import moodle_statement


def _ingest_three_statements(database_url: str, instance: Path) -> None:
    with live_server(database_url, instance) as server:
        database = Database(make_engine(database_url))
        with database.session_scope() as session:
            credential = add_source(session, "moodle", admin=False, now=datetime.now(UTC))
        database.engine.dispose()
        token = base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
        connection = server.connection(timeout=30)
        try:
            connection.request(
                "POST",
                "/xapi/statements",
                body=json.dumps([moodle_statement(str(n)) for n in range(3)]),
                headers={
                    "Authorization": f"Basic {token}",
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            assert response.status == 200, response.read()
        finally:
            connection.close()


def test_statements_as_ingested_leave_no_dangling_reference(
    database_url: str, tmp_path: Path
) -> None:
    _ingest_three_statements(database_url, tmp_path / "instance")

    database = Database(make_engine(database_url))
    with database.session_scope() as session:
        assert session.scalar(text("SELECT count(*) FROM xapi_statement_agents")) > 0
        assert dangling_references(session) == {}
    database.engine.dispose()


def test_an_index_row_whose_statement_and_number_are_missing_is_counted(
    database_url: str, tmp_path: Path
) -> None:
    _ingest_three_statements(database_url, tmp_path / "instance")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # outside a transaction
            connection.commit()
        with connection.begin():
            connection.execute(
                text(
                    "INSERT INTO xapi_statement_agents (statement_seq, agent_key_id, direct) "
                    "VALUES (987654, 123456, true)"
                )
            )
    engine.dispose()

    database = Database(make_engine(database_url))
    with database.session_scope() as session:
        found = dangling_references(session)
    database.engine.dispose()

    assert found == {
        "xapi_statement_agents.statement_seq": 1,
        "xapi_statement_agents.agent_key_id": 1,
    }
