"""Database wiring: the declarative base, the engine, and one session per request.

Repositories add and flush; the use case (a view or a CLI command) commits once. The session is
closed, and rolled back if left uncommitted, when the app context ends.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    MetaData,
    Table,
    create_engine,
    make_url,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from lti_tool.sqlite_foreign_keys import restore_foreign_key_checks
from lti_tool.sqlite_wal import (
    checkpoints_deferred,
    complete_checkpoint_if_due,
    manage_checkpoints,
)

_EXTENSION_KEY = "trellis.database"

# Explicit constraint names keep Alembic migrations stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every persisted model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(database_url: str, **options: Any) -> Engine:
    """Create an engine tuned for the database behind the URL.

    SQLite gets write-ahead logging, foreign keys and a busy timeout so that several gunicorn
    workers can share the embedded database, and checkpoints its log outside the writer lock
    (:mod:`lti_tool.sqlite_wal`); PostgreSQL gets a health-checked pool.
    """
    if database_url.startswith("sqlite"):
        database_path = make_url(database_url).database
        if database_path and database_path != ":memory:":
            Path(database_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"timeout": 30, "check_same_thread": False}, **options
        )
        manage_checkpoints(engine)
        restore_foreign_key_checks(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 10)
    return create_engine(database_url, **options)


class Database:
    """The app's engine and session factory, bound with :meth:`init_app`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        """Register on ``app`` and close each request's session when its context ends."""
        app.extensions[_EXTENSION_KEY] = self
        app.teardown_appcontext(_close_request_session)

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session for work outside a request (CLI, workers): committed on success."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def insert_ignoring_conflicts(
    session: Session, model: type[Base], index_elements: Sequence[str]
) -> Insert:
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING`` for the session's database.

    SQLite and PostgreSQL spell it the same way; each needs its own dialect's construct. It is
    built on the model's table, so a list of rows runs as one Core ``executemany``: on the
    mapped class, SQLAlchemy's ORM bulk-insert path cost more than the database's own work
    when ingest created new teachers (bench/README.md).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    return insert(table).on_conflict_do_nothing(index_elements=list(index_elements))


@contextmanager
def sqlite_file_lock(bind: Engine | Connection, name: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``<database>.<name>`` (SQLite only; a no-op else).

    Processes that share an SQLite database queue on it without polling.
    """
    path = bind.engine.url.database if bind.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.{name}", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def serialized_writes(session: Session) -> Iterator[None]:
    """Hold the database's writer lock while a write transaction runs (SQLite only).

    SQLite admits one writer at a time; a second one polls with sleeps that grow to 100 ms, so
    two gunicorn workers ingesting at once were slower than one. A blocking file lock beside the
    database makes writers queue without sleeping. PostgreSQL needs nothing of the kind.
    """
    bind = session.get_bind()
    with checkpoints_deferred(bind.engine), sqlite_file_lock(bind, "write-lock"):
        complete_checkpoint_if_due(bind.engine)
        yield


def database(app: Flask | None = None) -> Database:
    """Return the :class:`Database` bound to ``app`` (the current app by default)."""
    target = app if app is not None else current_app
    db: Database = target.extensions[_EXTENSION_KEY]
    return db


def session() -> Session:
    """The current request's (or app context's) session, opened on first use."""
    current: Session | None = g.get("_trellis_session")
    if current is None:
        current = database().sessionmaker()
        g._trellis_session = current
    return current


def _close_request_session(_exc: BaseException | None) -> None:
    current: Session | None = g.pop("_trellis_session", None)
    if current is not None:
        # Anything not committed by the use case is discarded, never half-written.
        current.rollback()
        current.close()
