"""SQLite shared by several processes: connection settings, and WAL checkpoints that run outside
the writer lock.

In write-ahead-log mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them
back into the database and syncs both files to disk. SQLite's own automatic checkpoint runs
inside the ``commit()`` that pushes the log past 1,000 pages, and Trellis commits its writes
while holding the file lock that queues writers (:func:`lti_tool.db.serialized_writes`), so every
other worker waited for those disk syncs too: in-process ingest spent ≈ 40 % of its wall-clock
time there (bench/README.md). Trellis therefore turns the automatic checkpoint off and
checkpoints itself once enough rows have changed since the last checkpoint: a thread of the
process's own (one per database) runs it, so no request waits for it and none runs under the
writer lock. A ``PASSIVE`` checkpoint never blocks writers or readers, so writers go ahead while
that thread waits for the disk. (At 1M statements a checkpoint took 0.2–0.6 s, and run in the
request that made it due it set the p99 of batches of 30; bench/README.md.)

A log is only reused from its start once a checkpoint has copied *all* of it back, and one run
while another writer appends never does: under steady ingest the log grew to 2 GB beside a
214 MB database. So once the log holds more than :data:`COMPLETE_AFTER_FRAMES` pages, the next
writer first finishes the copy under the lock — the pages left over since the last checkpoint, a
small part of the log — and its own commit then starts the log afresh.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary, ref

from sqlalchemy import Engine, event
from sqlalchemy.pool import ConnectionPoolEntry

#: Rows changed (over all of a process's connections to one database) between checkpoints: a
#: few megabytes of log at ingest's ≈ 10 rows per statement. Fewer means more disk syncs; more
#: means a longer log for readers to search.
CHECKPOINT_AFTER_CHANGES = 20_000

#: Pages in the log (4 KB each: 256 MB) past which a writer completes the checkpoint under the
#: lock so that the log can start again from its beginning. Ingest writes ≈ 10 KB of log a
#: statement (whole pages of the indexes it touches), so this comes due every ≈ 25,000.
COMPLETE_AFTER_FRAMES = 65_536

#: Seconds the checkpoint thread waits for work before it ends (a later checkpoint starts
#: another), so that a process with many engines, such as the test suite, keeps no idle ones.
_THREAD_IDLE_S = 30.0

_CHANGES_SEEN = "trellis.sqlite_changes_seen"
_under_writer_lock = threading.local()
logger = logging.getLogger(__name__)


def configure_connection(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """Settings for each new SQLite connection of a file database."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # Ingest alone skips the checks in its own transactions (lti_tool.sqlite_foreign_keys).
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Index inserts land on pages all over (ids sent by clients are random UUIDs; agents and
        # activities interleave): with SQLite's default 2 MB cache, ingest slowed as the store
        # grew. 64 MB of cache and memory-mapped reads keep the hot index pages close.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=1073741824")
        # Checkpoints are this module's job (see the module docstring).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()
    record.info[_CHANGES_SEEN] = dbapi_connection.total_changes


class _Checkpoints:
    """The checkpoint policy of one engine: rows changed since its last checkpoint, and the
    thread that runs the checkpoints."""

    def __init__(self, engine: Engine) -> None:
        self._engine = ref(engine)
        self._lock = threading.Lock()
        self._pending = 0
        self.completion_due = False
        self._wanted = threading.Condition(self._lock)
        self._requested = False
        self._running = False
        self._thread: threading.Thread | None = None
        self._thread_pid = 0

    def on_checkin(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is None:  # the connection was invalidated
            return
        total = dbapi_connection.total_changes
        with self._lock:
            self._pending += total - record.info.get(_CHANGES_SEEN, total)
            record.info[_CHANGES_SEEN] = total
        if not getattr(_under_writer_lock, "depth", 0):
            self.start_if_due()

    def start_if_due(self) -> None:
        """Have the checkpoint thread run one, if enough has changed since the last."""
        with self._lock:
            if self._pending < CHECKPOINT_AFTER_CHANGES:
                return
            self._pending = 0
            self._requested = True
            if self._thread is None or self._thread_pid != os.getpid():
                # None yet in this process (a forked worker does not inherit its parent's).
                self._thread = threading.Thread(
                    target=self._serve, name="trellis-sqlite-checkpoints", daemon=True
                )
                self._thread_pid = os.getpid()
                self._thread.start()
            self._wanted.notify()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no checkpoint is asked for or running; False if ``timeout`` ran out."""
        with self._lock:
            return self._wanted.wait_for(
                lambda: not (self._requested or self._running), timeout=timeout
            )

    def _serve(self) -> None:
        while True:
            with self._lock:
                if not self._wanted.wait_for(lambda: self._requested, timeout=_THREAD_IDLE_S):
                    self._thread = None  # the next checkpoint starts another
                    return
                self._requested, self._running = False, True
            try:
                engine = self._engine()
                if engine is None:
                    return
                _on_own_connection(engine, self.checkpoint)
                del engine
            except Exception:  # the next one tries again; a failed checkpoint loses nothing
                logger.exception("SQLite checkpoint failed")
            finally:
                with self._lock:
                    self._running = False
                    self._wanted.notify_all()

    def checkpoint(self, dbapi_connection: Any) -> None:
        if _passive_checkpoint(dbapi_connection) > COMPLETE_AFTER_FRAMES:
            self.completion_due = True

    def complete(self, dbapi_connection: Any) -> None:
        """Copy back what is left of the log; called under the writer lock.

        Tried once per long log: a reader on an older snapshot can hold part of it back, and
        trying again at every write would sync the disk under the lock each time. The next
        checkpoint outside the lock that still finds the log long asks again.
        """
        self.completion_due = False
        _passive_checkpoint(dbapi_connection)


def _passive_checkpoint(dbapi_connection: Any) -> int:
    """Run a PASSIVE checkpoint; return the pages in the log."""
    row = dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[1]) if row else 0


def _on_own_connection(engine: Engine, work: Callable[[Any], None]) -> None:
    """Run ``work`` on a pooled connection of its own (not a session's, mid-transaction)."""
    raw = engine.raw_connection()
    try:
        work(raw.dbapi_connection)
    finally:
        raw.close()


_POLICIES: WeakKeyDictionary[Engine, _Checkpoints] = WeakKeyDictionary()


def manage_checkpoints(engine: Engine) -> None:
    """Configure ``engine``'s connections and checkpoint its log as described above."""
    policy = _Checkpoints(engine)
    _POLICIES[engine] = policy
    event.listen(engine, "connect", configure_connection)
    event.listen(engine, "checkin", policy.on_checkin)


def complete_checkpoint_if_due(engine: Engine) -> None:
    """Under the writer lock: finish copying the log back when it has grown long, so that the
    coming commit restarts it (see the module docstring)."""
    policy = _POLICIES.get(engine)
    if policy is not None and policy.completion_due:
        _on_own_connection(engine, policy.complete)


@contextmanager
def checkpoints_deferred(engine: Engine) -> Iterator[None]:
    """Hold back checkpoints in this thread while the block runs (it holds the writer lock);
    start the one that came due as the block ends."""
    depth = getattr(_under_writer_lock, "depth", 0)
    _under_writer_lock.depth = depth + 1
    try:
        yield
    finally:
        _under_writer_lock.depth = depth
    policy = _POLICIES.get(engine)
    if depth == 0 and policy is not None:
        policy.start_if_due()


def wait_for_checkpoints(engine: Engine, timeout: float = 10.0) -> bool:
    """Wait until ``engine``'s checkpoint thread has nothing to do (for tests and shutdown);
    False if ``timeout`` ran out first."""
    policy = _POLICIES.get(engine)
    return True if policy is None else policy.wait_idle(timeout)
