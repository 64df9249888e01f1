"""Incremental processing from the outbox: the worker, `process --once`, and inline mode."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool import create_app
from lti_tool.competencies.inline import CompetencySettings
from lti_tool.competencies.processing import CONSUMER, process_all
from lti_tool.db import Base, database
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord
from lti_tool.models.lrs import OutboxEntry
from lti_tool.settings import Settings, SettingsError
from tests.lti_tool.competencies.conftest import producer_statement
from tests.lti_tool.competencies.test_end_to_end import cohort_statements, set_up_programme
from tests.lti_tool.lrs.conftest import XapiClient, make_source


def queued(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.consumer == CONSUMER)
        )
        or 0
    )


def test_worker_processes_queued_batches_and_deletes_only_its_own_entries(
    runner: FlaskCliRunner, moodle: XapiClient, db_session: Session
) -> None:
    set_up_programme(runner)
    for statements in cohort_statements().values():
        moodle.post(statements)
    assert queued(db_session) == 2
    exports = db_session.scalar(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.consumer == "export")
    )

    result = runner.invoke(
        args=["competencies", "worker", "--interval", "0.05", "--max-idle", "0.2"]
    )

    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert queued(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(EstimateRecord)) == 2
    # The export's entries are the export's business (and the level statements added some).
    assert (
        db_session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.consumer == "export")
        )
        or 0
    ) >= (exports or 0)


def test_processing_a_batch_twice_changes_nothing(
    runner: FlaskCliRunner, moodle: XapiClient, db_session: Session, app: Flask
) -> None:
    set_up_programme(runner)
    moodle.post(cohort_statements()["1024"])
    with database(app).session_scope() as session:
        entries = [
            (entry.consumer, entry.statement_seqs, entry.enqueued_at)
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.consumer == CONSUMER)
            )
        ]
    assert runner.invoke(args=["competencies", "process", "--once"]).exit_code == 0
    before = runner.invoke(args=["competencies", "dump"]).stdout_bytes

    with database(app).session_scope() as session:  # as if a crash had kept the entries
        session.add_all(
            OutboxEntry(consumer=consumer, statement_seqs=seqs, enqueued_at=at)
            for consumer, seqs, at in entries
        )
    result = runner.invoke(args=["competencies", "process", "--once"])

    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["competencies", "dump"]).stdout_bytes == before
    assert db_session.scalar(select(func.count()).select_from(EvidenceRecord)) == 3


def test_voiding_a_statement_removes_its_evidence_and_recomputes_the_estimate(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int], db_session: Session
) -> None:
    set_up_programme(runner)
    statements = cohort_statements()["1024"]
    moodle.post(statements)
    process()
    voiding = {
        "actor": statements[0]["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": statements[2]["id"]},
    }

    assert moodle.post(voiding).status_code == 200
    process()

    estimate = db_session.scalars(select(EstimateRecord)).one()
    assert estimate.evidence_count == 2
    assert estimate.value == pytest.approx(1.165 / 1.7)


def test_inline_mode_updates_estimates_before_the_post_is_answered(settings: Settings) -> None:
    app = create_app(settings)
    app.config["TRELLIS_COMPETENCY_INLINE"] = True
    Base.metadata.create_all(database(app).engine)
    try:
        runner = app.test_cli_runner()
        set_up_programme(runner)
        moodle = XapiClient(app.test_client(), make_source(app, "moodle"))

        assert moodle.post(cohort_statements()["1024"]).status_code == 200

        with database(app).session_scope() as session:
            assert queued(session) == 0
            assert session.scalar(select(func.count()).select_from(EstimateRecord)) == 1
    finally:
        database(app).engine.dispose()


def test_inline_setting_reads_the_environment_and_refuses_nonsense(tmp_path: Path) -> None:
    assert CompetencySettings.from_env({}).inline is False
    assert CompetencySettings.from_env({"TRELLIS_COMPETENCY_INLINE": "1"}).inline is True
    assert CompetencySettings.from_env({"TRELLIS_COMPETENCY_INLINE": "off"}).inline is False
    with pytest.raises(SettingsError, match="TRELLIS_COMPETENCY_INLINE"):
        CompetencySettings.from_env({"TRELLIS_COMPETENCY_INLINE": "sometimes"})


def test_two_workers_at_once_process_each_entry_exactly_once(
    runner: FlaskCliRunner, moodle: XapiClient, app: Flask, db_session: Session
) -> None:
    """PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the writer lock. Either way no entry is
    processed twice, which the processed counts would show."""
    set_up_programme(runner)
    for statements in cohort_statements().values():
        moodle.post(statements)
    for teacher in ("3001", "3002", "3003", "3004"):
        moodle.post(
            [
                producer_statement(
                    "moodle_facetoface_attended", user=teacher, timestamp="2026-04-02T06:00:00Z"
                )
            ]
        )
    entries = queued(db_session)
    counts: list[int] = []

    def work() -> None:
        counts.append(
            process_all(database(app).sessionmaker, home_page="http://localhost/xapi", limit=1)
        )

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    db_session.expire_all()
    assert queued(db_session) == 0
    # The level statements' own entries are processed too, by whichever worker sees them.
    assert sum(counts) >= entries
    assert db_session.scalar(select(func.count()).select_from(EstimateRecord)) == 6


def test_sigterm_stops_the_worker_after_its_batch_and_restores_the_old_handler(
    runner: FlaskCliRunner,
) -> None:
    """A service manager stops the worker with SIGTERM: it leaves cleanly (exit 0) instead of
    dying mid-transaction, and the handler it borrowed goes back."""
    reached_the_caller: list[int] = []

    def callers_handler(signum: int, _frame: object) -> None:
        reached_the_caller.append(signum)

    previous = signal.signal(signal.SIGTERM, callers_handler)
    try:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        # --max-idle only so that a worker deaf to SIGTERM fails this test instead of hanging it.
        result = runner.invoke(
            args=["competencies", "worker", "--interval", "0.05", "--max-idle", "20"]
        )
        elapsed = time.monotonic() - started
        callers_handler_is_back = signal.getsignal(signal.SIGTERM) is callers_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert reached_the_caller == []
    assert elapsed < 10
    assert callers_handler_is_back
