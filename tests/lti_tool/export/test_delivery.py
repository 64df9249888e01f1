"""Delivery from the outbox to a recording LRS: fan-out, batches, filters, order, failures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from lti_tool.competencies.programmes import add_context, add_members, add_programme
from lti_tool.db import database
from lti_tool.export.backoff import Backoff
from lti_tool.export.worker import ExportWorker, WorkerOptions
from lti_tool.models.export import ExportDelivery, RemoteLrs
from lti_tool.models.lrs import Statement
from tests.lti_tool.export.conftest import Store, add_target, statements
from tests.lti_tool.export.peers import RecordingLrs
from tests.lti_tool.lrs.conftest import MOODLE

SECRET = "test-secret-key-that-is-long-enough-0123456789"
FAST = WorkerOptions(backoff=Backoff(base=0.01, cap=0.02), poll_interval=0.01, timeout=10)


def worker(app: Flask, options: WorkerOptions = FAST) -> ExportWorker:
    return ExportWorker(database(app).sessionmaker, SECRET, options)


def test_export_sends_every_statement_once_in_batches_with_ids_and_bytes_kept(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint, "--batch-size", "40")
    ids = store(statements(100)) + store(statements(30))

    result = runner.invoke(args=["export", "run", "--once"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sent"] == 130
    assert recording_lrs.received == ids
    assert [len(body) for body in recording_lrs.bodies] == [40, 40, 40, 10]
    assert set(recording_lrs.versions) == {"1.0.3"}
    with database(app).session_scope() as session:
        stored = {
            statement_id: document
            for statement_id, document in session.execute(select(Statement.id, Statement.document))
        }
    sent = b"".join(recording_lrs.raw_bodies).decode()
    for statement_id in ids:
        assert stored[statement_id] in sent


def test_a_second_run_sends_nothing_again(
    runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint)
    store(statements(10))
    runner.invoke(args=["export", "run", "--once"])
    result = runner.invoke(args=["export", "run", "--once"])

    assert json.loads(result.output)["sent"] == 0
    assert len(recording_lrs.received) == 10


def test_filters_choose_statements_by_source_and_trellis_generated(
    runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "cmi5-only", recording_lrs.endpoint, "--filter", "source:cmi5")
    moodle = store(statements(3), source="moodle")
    cmi5 = store(statements(2), source="cmi5")
    trellis = store(statements(2), source="trellis")
    add_target(runner, "outcomes", recording_lrs.endpoint, "--filter", "trellis")

    runner.invoke(args=["export", "run", "--once"])

    received = recording_lrs.received
    assert sorted(received) == sorted(cmi5 + trellis)
    assert not set(moodle) & set(received)


def test_a_programme_filter_takes_its_courses_and_its_members_competency_results(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    in_course = store(statements(2))  # Moodle grouping: course/view.php?id=3
    store(_outside_the_course(statements(2)))
    with database(app).session_scope() as session:
        add_programme(session, "2026-A", "骨干教师培训", now=datetime.now(UTC))
        add_context(session, "2026-A", "course", f"{MOODLE}/course/view.php?id=3")
        add_context(session, "2026-A", "course", f"{MOODLE}/course/view.php?id=999")
    result = runner.invoke(
        args=[
            *("lrs", "add", "programme", "--endpoint", recording_lrs.endpoint),
            *("--username", "u", "--password", "p", "--filter", "programme:2026-A"),
        ]
    )
    assert result.exit_code == 0, result.output
    member_result = _outside_the_course(statements(1, user_id="7"))
    non_member_result = _outside_the_course(statements(1, user_id="8"))
    member_id = store(member_result, source="trellis")[0]
    store(non_member_result, source="trellis")
    with database(app).session_scope() as session:
        person = session.scalar(select(Statement.person_id).where(Statement.id == member_id))
        assert person is not None
        add_members(session, "2026-A", [person])
    later = store(statements(1))

    runner.invoke(args=["export", "run", "--once"])

    assert sorted(recording_lrs.received) == sorted([*in_course, member_id, *later])


def _outside_the_course(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for statement in batch:
        grouping = [{"id": f"{MOODLE}/course/view.php?id=4", "objectType": "Activity"}]
        statement["context"]["contextActivities"]["grouping"] = grouping
    return batch


def test_a_filter_naming_an_unknown_programme_is_refused(
    runner: FlaskCliRunner, recording_lrs: RecordingLrs
) -> None:
    result = runner.invoke(
        args=[
            *("lrs", "add", "p", "--endpoint", recording_lrs.endpoint),
            *("--username", "u", "--password", "p", "--filter", "programme:nope"),
        ]
    )
    assert result.exit_code != 0
    assert "no programme nope" in result.output


def test_no_backfill_sends_only_statements_stored_after_adding(
    runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    old = store(statements(5))
    runner.invoke(args=["export", "run", "--once"])
    add_target(runner, "new", recording_lrs.endpoint, "--no-backfill")
    new = store(statements(3))

    runner.invoke(args=["export", "run", "--once"])

    assert recording_lrs.received == new
    assert not set(old) & set(recording_lrs.received)


def test_backfill_sends_history_and_a_racing_outbox_entry_does_not_send_twice(
    runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    history = store(statements(7))  # its outbox entry is not fanned out yet
    add_target(runner, "late", recording_lrs.endpoint)

    runner.invoke(args=["export", "run", "--once"])

    assert recording_lrs.received == history


def test_a_down_lrs_backs_off_then_dead_letters_show_its_error_and_retry_resends(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "flaky", recording_lrs.endpoint, "--max-attempts", "2")
    ids = store(statements(5))
    recording_lrs.fail_next = 2
    recording_lrs.fail_status = 503
    now = [datetime.now(UTC)]
    options = WorkerOptions(backoff=Backoff(base=10, cap=20), poll_interval=0.01, timeout=10)
    export = ExportWorker(database(app).sessionmaker, SECRET, options, clock=lambda: now[0])

    first = export.step()
    assert (first.sent, first.failed) == (0, 5)
    with database(app).session_scope() as session:
        remote = session.scalar(select(RemoteLrs))
        assert remote is not None
        assert remote.next_attempt_at is not None
        assert "HTTP 503" in (remote.last_error or "")
    assert export.step().failed == 0  # backing off: not even tried
    now[0] += timedelta(seconds=11)
    second = export.step()
    export.close()
    assert second.dead == 5
    listing = runner.invoke(args=["lrs", "list"]).output
    assert "dead 5" in listing
    with database(app).session_scope() as session:
        errors = session.scalars(select(ExportDelivery.last_error)).all()
        assert all("HTTP 503" in (error or "") and "try later" in (error or "") for error in errors)

    retried = runner.invoke(args=["lrs", "retry", "flaky"])
    assert "5 dead letters of flaky queued again" in retried.output
    runner.invoke(args=["export", "run", "--once"])
    assert recording_lrs.received == ids


def test_a_statement_the_lrs_rejects_is_isolated_and_the_rest_delivered(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "strict", recording_lrs.endpoint)
    ids = store(statements(6))
    recording_lrs.reject_ids = {ids[2]}

    runner.invoke(args=["export", "run", "--once"])

    assert recording_lrs.received == ids[:2] + ids[3:]
    with database(app).session_scope() as session:
        dead = session.execute(
            select(ExportDelivery.state, ExportDelivery.last_error).where(
                ExportDelivery.state == "dead"
            )
        ).all()
    assert len(dead) == 1
    assert f"bad statement {ids[2]}" in (dead[0][1] or "")


def test_a_voiding_statement_is_sent_after_the_statement_it_voids_even_if_stored_first(
    runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "ordered", recording_lrs.endpoint, "--batch-size", "2")
    target_id = str(uuid.uuid4())
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:admin@example.edu"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target_id},
    }
    first = store(statements(2))
    store([voiding])
    store([_with_id(statements(1)[0], target_id)])

    runner.invoke(args=["export", "run", "--once"])

    received = recording_lrs.received
    assert received.index(target_id) < received.index(voiding["id"])
    assert received[:2] == first
    assert len(received) == 4


def _with_id(statement: dict[str, object], statement_id: str) -> dict[str, object]:
    return {**statement, "id": statement_id}


def test_voiding_statement_waits_when_the_voided_one_is_a_dead_letter(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "ordered", recording_lrs.endpoint)
    target = store(statements(1))[0]
    recording_lrs.reject_ids = {target}
    runner.invoke(args=["export", "run", "--once"])
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:admin@example.edu"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }
    store([voiding])

    runner.invoke(args=["export", "run", "--once"])
    assert recording_lrs.received == []

    recording_lrs.reject_ids = set()
    runner.invoke(args=["lrs", "retry", "ordered"])
    runner.invoke(args=["export", "run", "--once"])
    assert recording_lrs.received == [target, voiding["id"]]


def test_removing_a_target_forgets_its_queue_but_keeps_statements(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "gone", recording_lrs.endpoint)
    store(statements(3))
    runner.invoke(args=["export", "run", "--once"])

    result = runner.invoke(args=["lrs", "remove", "gone"])

    assert result.exit_code == 0
    with database(app).session_scope() as session:
        assert session.scalars(select(ExportDelivery)).all() == []
        assert session.scalar(select(Statement.seq).limit(1)) is not None


def test_statements_enqueued_long_ago_show_their_age(
    app: Flask, runner: FlaskCliRunner, store: Store
) -> None:
    add_target(runner, "slow", "http://127.0.0.1:9/xapi")
    store(statements(2))
    runner.invoke(args=["export", "run", "--once"])
    with database(app).session_scope() as session:
        for row in session.scalars(select(ExportDelivery)):
            row.enqueued_at = datetime.now(UTC) - timedelta(hours=2)

    health = app.test_client().get("/healthz").get_json()

    slow = health["export"]["targets"]["slow"]
    assert slow["pending"] == 2
    assert slow["sent"] == 0
    assert slow["dead"] == 0
    assert slow["oldest_pending_age_seconds"] >= 7200
    assert health["status"] == "ok" and health["database"] == "ok"
