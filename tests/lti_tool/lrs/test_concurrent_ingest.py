"""Concurrent producers that retry: exactly one copy of every statement, and never a 500.

Four clients post 25,000 statements each to a real gunicorn with two workers, in batches of
100. Each client re-sends some of its own batches, and also some of its neighbour's, at the same
time as the neighbour sends them, as producers that retry after a timeout do.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from lti_tool.db import Database, make_engine
from lti_tool.integrity import dangling_references
from lti_tool.lrs.sources import add_source
from lti_tool.models.lrs import Statement
from tests.live_server import LiveServer, live_server
from tests.lti_tool.lrs.conftest import moodle_statement

CLIENTS = 4
PER_CLIENT = 25_000
BATCH = 100


def _batches(client: int) -> list[bytes]:
    statements = [
        moodle_statement(
            str(n % 1000), statement_id=str(uuid.UUID(int=client * PER_CLIENT + n + 1))
        )
        for n in range(PER_CLIENT)
    ]
    return [json.dumps(statements[i : i + BATCH]).encode() for i in range(0, PER_CLIENT, BATCH)]


def _post(server: LiveServer, auth: str, body: bytes) -> int:
    connection = server.connection(timeout=120)
    try:
        connection.request(
            "POST",
            "/xapi/statements",
            body=body,
            headers={
                "Authorization": auth,
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.slow
def test_four_retrying_clients_leave_exactly_100k_statements(
    database_url: str, tmp_path: Path
) -> None:
    with live_server(database_url, tmp_path / "instance") as server:
        database = Database(make_engine(database_url))
        with database.session_scope() as session:
            credential = add_source(session, "moodle", admin=False, now=datetime.now(UTC))
        auth = (
            "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
        )
        batches = [_batches(client) for client in range(CLIENTS)]
        statuses: list[int] = []
        lock = threading.Lock()

        def produce(client: int) -> None:
            mine, neighbours = batches[client], batches[(client + 1) % CLIENTS]
            sent: list[int] = []
            for index, body in enumerate(mine):
                plan: list[Any] = [body]
                if index % 10 == 3:
                    plan.append(body)  # a retry of our own batch
                if index % 25 == 7:
                    plan.append(neighbours[index])  # the neighbour's batch, as it sends it
                for item in plan:
                    sent.append(_post(server, auth, item))
            with lock:
                statuses.extend(sent)

        threads = [threading.Thread(target=produce, args=(c,)) for c in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert set(statuses) == {200}, sorted(set(statuses))
        with database.session_scope() as session:
            count = session.scalar(select(func.count()).select_from(Statement))
            distinct = session.scalar(select(func.count(func.distinct(Statement.id))))
            # Neither database checked the references ingest wrote (SQLite skips its look-ups
            # in the ingest transaction, PostgreSQL has no constraint since 0010): every one
            # must hold all the same.
            dangling = dangling_references(session)
            if database.engine.dialect.name == "sqlite":
                assert session.execute(text("PRAGMA foreign_key_check")).all() == []
        database.engine.dispose()
    assert count == CLIENTS * PER_CLIENT
    assert distinct == CLIENTS * PER_CLIENT
    assert dangling == {}
