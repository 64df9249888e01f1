"""Skipping SQLite's foreign-key checks for a write whose references hold by construction.

Every SQLite connection checks foreign keys (:func:`lti_tool.sqlite_wal.configure_connection`).
Storing a batch of 100 statements writes some 600 rows that refer to other rows, and SQLite looks
each reference up — about 0.7 ms of the ≈ 11 ms a batch holds the writer lock at 1M statements
(bench/README.md). Those references hold by construction: the statements' sequence numbers were
taken in the same transaction, people and index numbers were found or made under the same lock,
the source is the caller's, and Trellis never deletes or re-points any of them. So ingest turns
the checks off for its own transaction, and the connection has them back before the pool hands
it to anyone else. PostgreSQL checks every reference as always, and the test suite runs there.

SQLite ignores the pragma inside a transaction; a connection already in one keeps its checks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

_SKIPPED = "trellis.foreign_key_checks_skipped"


def skip_foreign_key_checks(session: Session) -> None:
    """Skip SQLite's foreign-key checks in the session's coming transaction (not PostgreSQL).

    Call it before the transaction's first write. The checks come back when the connection
    returns to the pool, after its commit or rollback.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    pooled = session.connection().connection
    dbapi_connection = pooled.dbapi_connection
    if dbapi_connection is None or dbapi_connection.in_transaction:
        return
    pooled.info[_SKIPPED] = True
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def restore_foreign_key_checks(engine: Engine) -> None:
    """Give every connection of ``engine`` its checks back as it returns to the pool."""
    event.listen(engine, "checkin", _restore_on_checkin)


def _restore_on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # The pool has committed or rolled back by now, so the pragma takes effect.
    if record.info.pop(_SKIPPED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
