"""Targets as records and as seen by people: secrets, listing, the admin page, versions."""

from __future__ import annotations

import base64
import json

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text

from lti_tool.db import database
from lti_tool.export.filters import StatementFacts, TargetFilter
from lti_tool.export.secrets import PasswordUnreadable, decrypt_password, encrypt_password
from lti_tool.export.worker import ExportWorker
from lti_tool.models.export import RemoteLrs
from tests.lti_tool.export.conftest import Store, add_target, statements
from tests.lti_tool.export.peers import RecordingLrs
from tests.lti_tool.lrs.conftest import make_source
from xapi.versions import XapiVersion

PASSWORD = "ralph-test-password"


def test_the_password_is_stored_encrypted_and_never_printed(
    app: Flask, runner: FlaskCliRunner, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint)

    listing = runner.invoke(args=["lrs", "list"])

    assert "province" in listing.output
    assert PASSWORD not in listing.output
    with database(app).engine.connect() as connection:
        dump = json.dumps(
            [list(row) for row in connection.execute(text("SELECT * FROM lrs_remotes"))],
            default=str,
        )
    assert PASSWORD not in dump
    with database(app).session_scope() as session:
        remote = session.scalar(select(RemoteLrs))
        assert remote is not None
        key = app.config["SECRET_KEY"]
        assert decrypt_password(remote.password_encrypted, key) == PASSWORD


def test_a_changed_secret_key_is_reported_not_turned_into_garbage() -> None:
    token = encrypt_password("s3cret", "first-secret-key-that-is-long-enough")

    with pytest.raises(PasswordUnreadable, match="TRELLIS_SECRET_KEY"):
        decrypt_password(token, "another-secret-key-that-is-long-enough")


def test_adding_a_name_twice_needs_replace(
    runner: FlaskCliRunner, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint)
    again = runner.invoke(
        args=[
            *("lrs", "add", "province", "--endpoint", "http://127.0.0.1:1/x"),
            *("--username", "u", "--password", "p"),
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    add_target(runner, "province", recording_lrs.endpoint, "--replace")


def test_a_2_0_target_gets_statements_as_stored_and_a_1_0_3_target_gets_them_downgraded(
    runner: FlaskCliRunner, store: Store
) -> None:
    new, old = RecordingLrs(), RecordingLrs()
    new.start()
    old.start()
    try:
        add_target(runner, "v2", new.endpoint, "--version", "2.0.0")
        add_target(runner, "v1", old.endpoint, "--version", "1.0.3")
        statement = statements(1)[0]
        statement["context"]["contextAgents"] = [
            {"objectType": "contextAgent", "agent": {"mbox": "mailto:m@example.edu"}}
        ]
        store([statement], version=XapiVersion.V2_0_0)

        runner.invoke(args=["export", "run", "--once"])

        assert new.versions == ["2.0.0"] and old.versions == ["1.0.3"]
        assert "contextAgents" in new.bodies[0][0]["context"]
        assert "contextAgents" not in old.bodies[0][0]["context"]
        assert old.bodies[0][0]["version"] == "1.0.3"
    finally:
        new.stop()
        old.stop()


def test_statements_pulled_from_an_lrs_never_go_back_to_it() -> None:
    target = TargetFilter("hub", ("all",))

    assert not target.takes(StatementFacts("lrs.hub"))
    assert target.takes(StatementFacts("lrs.other"))
    assert TargetFilter("x", ("trellis",)).takes(StatementFacts("trellis.offline"))
    assert not TargetFilter("x", ("trellis",)).takes(StatementFacts("trellisx"))


def test_the_admin_page_shows_progress_and_dead_letters_to_admins_only(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint)
    ids = store(statements(3))
    recording_lrs.reject_ids = {ids[1]}
    runner.invoke(args=["export", "run", "--once"])
    admin = make_source(app, "ops", admin=True)
    plain = make_source(app, "plain")
    client = app.test_client()

    def basic(key: str, secret: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}

    assert client.get("/admin/lrs").status_code == 401
    assert client.get("/admin/lrs", headers=basic(plain.key, plain.secret)).status_code == 401
    page = client.get("/admin/lrs", headers=basic(admin.key, admin.secret))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "学习记录导出" in html and "LRS export" in html
    assert html.index("学习记录导出") < html.index("LRS export")
    assert "province" in html
    assert f"bad statement {ids[1]}" in html
    assert f"<code>{ids[1]}</code>" in html
    assert "trellis lrs retry province" in html
    assert PASSWORD not in html


def test_a_password_unreadable_after_a_secret_key_change_fails_the_target_visibly(
    app: Flask, runner: FlaskCliRunner, store: Store, recording_lrs: RecordingLrs
) -> None:
    add_target(runner, "province", recording_lrs.endpoint)
    store(statements(2))
    worker = ExportWorker(database(app).sessionmaker, "a-different-secret-key-0123456789-abcdef")

    totals = worker.run_once()

    assert (totals.sent, totals.failed) == (0, 2)
    assert recording_lrs.received == []
    with database(app).session_scope() as session:
        remote = session.scalar(select(RemoteLrs))
        assert remote is not None
        assert "TRELLIS_SECRET_KEY changed" in (remote.last_error or "")
