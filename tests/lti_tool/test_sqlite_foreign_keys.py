"""Ingest may skip SQLite's foreign-key checks for its own transaction, and only for it: the
connection has its checks back before anyone else gets it from the pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import Database, make_engine
from lti_tool.sqlite_foreign_keys import skip_foreign_key_checks

DANGLING = text("INSERT INTO children (parent_id) VALUES (42)")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    # One pooled connection, so that every session below gets the same one back.
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.sqlite3'}", pool_size=1, max_overflow=0)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parents (id INTEGER PRIMARY KEY)"))
        connection.execute(
            text("CREATE TABLE children (parent_id INTEGER NOT NULL REFERENCES parents (id))")
        )
    yield engine
    engine.dispose()


def _session(engine: Engine) -> Session:
    return Database(engine).sessionmaker()


def _checks_on(engine: Engine) -> bool:
    with _session(engine) as session:
        return bool(session.execute(text("PRAGMA foreign_keys")).scalar_one())


def test_a_connection_checks_foreign_keys_by_default(engine: Engine) -> None:
    with _session(engine) as session, pytest.raises(IntegrityError):
        session.execute(DANGLING)


def test_skipped_checks_apply_to_that_transaction(engine: Engine) -> None:
    with _session(engine) as session:
        skip_foreign_key_checks(session)
        session.execute(DANGLING)
        session.commit()
    with _session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM children")).scalar_one() == 1


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_the_checks_are_back_once_the_connection_returns_to_the_pool(
    engine: Engine, ending: str
) -> None:
    session = _session(engine)
    skip_foreign_key_checks(session)
    session.execute(text("INSERT INTO parents (id) VALUES (1)"))
    if ending == "commit":
        session.commit()
    elif ending == "rollback":
        session.rollback()
    session.close()
    assert _checks_on(engine)
    with _session(engine) as session, pytest.raises(IntegrityError):
        session.execute(DANGLING)


def test_inside_an_open_transaction_nothing_changes(engine: Engine) -> None:
    """SQLite ignores the pragma mid-transaction; the checks then simply stay."""
    with _session(engine) as session:
        session.execute(text("INSERT INTO parents (id) VALUES (1)"))
        skip_foreign_key_checks(session)
        with pytest.raises(IntegrityError):
            session.execute(DANGLING)
    assert _checks_on(engine)
