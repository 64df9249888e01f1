"""The export worker: fan out the outbox, then serve each target's queue, again and again.

``run_once`` drains what can be sent now and returns (for cron); ``run_forever`` polls until
told to stop (SIGTERM or SIGINT finish the batch in flight first).

On PostgreSQL any number of workers may run: outbox entries and targets are claimed with
``SKIP LOCKED``. On SQLite, which has no row locks, a file lock beside the database lets one
worker deliver at a time; a second one waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import serialized_writes, sqlite_file_lock
from lti_tool.export.backoff import Backoff
from lti_tool.export.delivery import ClientPool, RoundReport, deliver_round, ready_remote_ids
from lti_tool.export.fanout import fan_out
from lti_tool.stopping import StopRequest

logger = logging.getLogger("trellis.export")


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass
class WorkerOptions:
    """How a worker behaves."""

    backoff: Backoff = field(default_factory=Backoff)
    poll_interval: float = 2.0
    timeout: float = 60.0
    fan_out_limit: int = 50


@dataclass
class RunTotals:
    """What a run did."""

    fanned_out: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def add(self, report: RoundReport) -> None:
        """Count one round."""
        self.sent += report.sent
        self.failed += report.failed
        self.dead += report.dead


class ExportWorker:
    """Moves statements from the outbox to every target's LRS."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret_key: str,
        options: WorkerOptions | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._options = options or WorkerOptions()
        self._clock = clock
        self._clients = ClientPool(secret_key, timeout=self._options.timeout)
        self._stop = StopRequest()

    def close(self) -> None:
        """Close the connections to the LRSs."""
        self._clients.close()

    def stop(self) -> None:
        """Ask the loop to end after the batch in flight."""
        self._stop.request()

    def step(self) -> RunTotals:
        """Fan out the whole outbox, then one round for every ready target."""
        totals = RunTotals()
        with self._single_worker_on_sqlite():
            while not self._stop.requested():
                fanned = self._fan_out_once()
                totals.fanned_out += fanned
                if fanned < self._options.fan_out_limit:
                    break
            with self._sessions() as session:
                remote_ids = ready_remote_ids(session, self._clock())
            for remote_id in remote_ids:
                if self._stop.requested():
                    break
                with self._sessions() as session:
                    report = deliver_round(
                        session,
                        remote_id,
                        clients=self._clients,
                        backoff=self._options.backoff,
                        clock=self._clock,
                    )
                if report is not None:
                    totals.add(report)
                    if report.error:
                        logger.warning("export to %s failed: %s", report.remote, report.error[:300])
        return totals

    def run_once(self) -> RunTotals:
        """Repeat steps until one sends and fans out nothing (what cron wants)."""
        totals = RunTotals()
        try:
            while not self._stop.requested():
                step = self.step()
                totals.fanned_out += step.fanned_out
                totals.sent += step.sent
                totals.failed += step.failed
                totals.dead += step.dead
                if step.sent == 0 and step.fanned_out == 0:
                    break
        finally:
            self._clients.close()
        return totals

    def run_forever(self) -> None:
        """Poll until :meth:`stop` (or SIGTERM/SIGINT when installed).

        A database error (a restart, a dropped connection) is logged and the loop goes on after
        a pause: what was not committed is simply done again, and resending is harmless.
        """
        try:
            while not self._stop.requested():
                try:
                    step = self.step()
                except SQLAlchemyError as error:
                    logger.error("export worker: database error, retrying: %s", error)
                    self._stop.wait(max(self._options.poll_interval, 1.0))
                    continue
                if step.sent == 0 and step.fanned_out == 0:
                    self._stop.wait(self._options.poll_interval)
        finally:
            self._clients.close()

    def run_until_signalled(self) -> None:
        """:meth:`run_forever` until SIGTERM or SIGINT, which let the batch in flight finish.

        See :mod:`lti_tool.stopping` for why the handlers take no lock.
        """
        with self._stop.on_signals():
            self.run_forever()

    def _fan_out_once(self) -> int:
        with self._sessions() as session, serialized_writes(session):
            fanned = fan_out(session, now=self._clock(), limit=self._options.fan_out_limit)
            session.commit()
        return fanned

    @contextmanager
    def _single_worker_on_sqlite(self) -> Iterator[None]:
        with self._sessions() as session:
            bind = session.get_bind()
        with sqlite_file_lock(bind, "export-lock"):
            yield
