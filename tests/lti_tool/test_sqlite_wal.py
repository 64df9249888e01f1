"""SQLite's write-ahead log is checkpointed by Trellis, never while a writer holds the lock,
and never in the request that made it due."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lti_tool import sqlite_wal
from lti_tool.db import Database, make_engine, serialized_writes

ROW_BYTES = 2000
INSERT = text("INSERT INTO rows VALUES (:n, :pad)")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE rows (n INTEGER, pad TEXT)"))
    yield engine
    engine.dispose()


def _writer_lock_is_free(engine: Engine) -> bool:
    with open(f"{engine.url.database}.write-lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def _rows(count: int) -> list[dict[str, object]]:
    return [{"n": n, "pad": "x" * ROW_BYTES} for n in range(count)]


def _insert(engine: Engine, count: int, *, locked: bool) -> None:
    session = Database(engine).sessionmaker()
    try:
        if locked:
            with serialized_writes(session):
                session.execute(INSERT, _rows(count))
                session.commit()
        else:
            session.execute(INSERT, _rows(count))
            session.commit()
    finally:
        session.close()


def _database_file_size(engine: Engine) -> int:
    """Bytes in the database file itself: the log's pages arrive there only by a checkpoint."""
    return Path(str(engine.url.database)).stat().st_size


def _lock_free_at_each(monkeypatch: pytest.MonkeyPatch, engine: Engine, step: str) -> list[bool]:
    """Record, at each call of the checkpoint policy's ``step``, whether the writer lock was
    free; the step still runs."""
    seen: list[bool] = []
    original = getattr(sqlite_wal._Checkpoints, step)

    def watched(self: sqlite_wal._Checkpoints, dbapi_connection: object) -> None:
        seen.append(_writer_lock_is_free(engine))
        original(self, dbapi_connection)

    monkeypatch.setattr(sqlite_wal._Checkpoints, step, watched)
    return seen


def test_sqlite_does_not_checkpoint_by_itself(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0


def test_a_checkpoint_that_comes_due_under_the_writer_lock_runs_after_its_release(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_wal, "CHECKPOINT_AFTER_CHANGES", 100)
    lock_free_at_checkpoint = _lock_free_at_each(monkeypatch, engine, "checkpoint")
    _insert(engine, 150, locked=True)
    assert sqlite_wal.wait_for_checkpoints(engine)
    assert lock_free_at_checkpoint == [True]


def test_the_writer_that_makes_a_checkpoint_due_does_not_wait_for_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_wal, "CHECKPOINT_AFTER_CHANGES", 100)
    release = threading.Event()
    started = threading.Event()
    original = sqlite_wal._Checkpoints.checkpoint

    def slow(self: sqlite_wal._Checkpoints, dbapi_connection: object) -> None:
        started.set()
        release.wait(timeout=10)
        original(self, dbapi_connection)

    monkeypatch.setattr(sqlite_wal._Checkpoints, "checkpoint", slow)

    _insert(engine, 150, locked=True)  # returns while the checkpoint is still held up
    assert started.wait(timeout=10)
    assert not sqlite_wal.wait_for_checkpoints(engine, timeout=0.05)
    _insert(engine, 10, locked=True)  # writers go on meanwhile

    release.set()
    assert sqlite_wal.wait_for_checkpoints(engine)
    assert _database_file_size(engine) > 150 * ROW_BYTES  # the rows reached the file


def test_writes_outside_the_lock_checkpoint_when_their_connection_returns(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_wal, "CHECKPOINT_AFTER_CHANGES", 100)
    calls = _lock_free_at_each(monkeypatch, engine, "checkpoint")
    _insert(engine, 50, locked=False)
    assert sqlite_wal.wait_for_checkpoints(engine)
    assert calls == []  # not due yet
    assert _database_file_size(engine) < 50 * ROW_BYTES  # the rows are only in the log
    _insert(engine, 60, locked=False)
    assert sqlite_wal.wait_for_checkpoints(engine)
    assert len(calls) == 1
    assert _database_file_size(engine) > 110 * ROW_BYTES  # the rows are in the file now


def test_a_long_log_is_completed_under_the_lock_and_then_starts_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint cannot copy what a reader's older snapshot still needs; while writers keep
    appending, the log would never be copied back whole and never restart (it grew to 2 GB
    under steady ingest). A long log is finished by the next writer, under the lock."""
    monkeypatch.setattr(sqlite_wal, "CHECKPOINT_AFTER_CHANGES", 100)
    monkeypatch.setattr(sqlite_wal, "COMPLETE_AFTER_FRAMES", 10)
    lock_free_at_completion = _lock_free_at_each(monkeypatch, engine, "complete")
    _insert(engine, 10, locked=True)
    reader = sqlite3.connect(str(engine.url.database), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM rows").fetchone()  # holds its snapshot
    _insert(engine, 150, locked=True)  # due: the checkpoint copies only up to the snapshot
    assert sqlite_wal.wait_for_checkpoints(engine)
    reader.execute("COMMIT")
    reader.close()
    assert lock_free_at_completion == []

    _insert(engine, 1, locked=True)

    assert lock_free_at_completion == [False]
    with engine.connect() as connection:
        _busy, in_log, _copied = connection.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
    assert in_log < 10  # the last commit started the log afresh
