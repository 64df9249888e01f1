"""``trellis lrs pull`` from a second Trellis, a real LRS over HTTP with ``more`` paging."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from lti_tool import migrate
from lti_tool.db import database, make_engine
from lti_tool.export import pull as pull_module
from lti_tool.lrs.sources import NewCredential, add_source
from lti_tool.models.lrs import Source, Statement
from tests.lti_tool.export.conftest import statements
from tests.lti_tool.export.peers import trellis_server
from xapi import json_codec


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[tuple[str, NewCredential, list[str]]]:
    """Another Trellis under gunicorn holding 250 statements, and an admin credential on it."""
    url = f"sqlite:///{tmp_path / 'upstream.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        from sqlalchemy.orm import Session

        with Session(bind=connection) as session:
            credential = add_source(session, "hub", admin=True, now=datetime.now(UTC))
            session.flush()
    engine.dispose()
    instance = tmp_path / "upstream-instance"
    instance.mkdir()
    with trellis_server(url, instance) as server:
        ids: list[str] = []
        token = base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
        for _ in range(5):
            request = urllib.request.Request(
                f"{server}/xapi/statements",
                data=json.dumps(statements(50)).encode(),
                headers={
                    "Authorization": f"Basic {token}",
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                assert answer.status == 200
                ids += json.loads(answer.read())
        yield server, credential, ids


def _add_upstream(runner: FlaskCliRunner, server: str, credential: NewCredential) -> None:
    result = runner.invoke(
        args=[
            "lrs",
            "add",
            "hub",
            "--endpoint",
            f"{server}/xapi",
            "--username",
            credential.key,
            "--password",
            credential.secret,
            "--pull-only",
        ]
    )
    assert result.exit_code == 0, result.output


def _pulled(app: Flask) -> dict[str, dict[str, Any]]:
    with database(app).session_scope() as session:
        rows = session.execute(
            select(Statement.id, Statement.document)
            .join(Source, Source.id == Statement.source_id)
            .where(Source.name == "lrs.hub")
        )
        return {statement_id: json_codec.loads(document) for statement_id, document in rows}


@pytest.mark.slow
def test_pull_follows_more_over_pages_and_a_second_run_imports_nothing_new(
    app: Flask, runner: FlaskCliRunner, upstream: tuple[str, NewCredential, list[str]]
) -> None:
    """Acceptance: pull with ``more`` paging over ≥ 3 pages, twice: the second run imports
    nothing new."""
    server, credential, ids = upstream
    _add_upstream(runner, server, credential)

    first = runner.invoke(args=["lrs", "pull", "hub", "--page-size", "80"])
    second = runner.invoke(args=["lrs", "pull", "hub", "--page-size", "80"])

    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["pages"] == 4
    assert (report["fetched"], report["new"]) == (250, 250)
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["new"] == 0
    pulled = _pulled(app)
    assert set(pulled) == set(ids)
    for statement in pulled.values():
        assert statement["actor"]["account"]["homePage"] == "https://moodle.example.edu"
    with database(app).session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Statement)) == 250


@pytest.mark.slow
def test_an_interrupted_pull_resumes_from_its_saved_more_link(
    app: Flask,
    runner: FlaskCliRunner,
    upstream: tuple[str, NewCredential, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, credential, ids = upstream
    _add_upstream(runner, server, credential)
    real_store_page = pull_module._store_page
    calls = {"count": 0}

    def failing_third_page(*args: Any, **kwargs: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("the machine went down")
        return real_store_page(*args, **kwargs)

    monkeypatch.setattr(pull_module, "_store_page", failing_third_page)
    interrupted = runner.invoke(args=["lrs", "pull", "hub", "--page-size", "80"])
    assert isinstance(interrupted.exception, RuntimeError)
    assert len(_pulled(app)) == 160
    monkeypatch.setattr(pull_module, "_store_page", real_store_page)

    resumed = runner.invoke(args=["lrs", "pull", "hub", "--page-size", "80"])

    assert resumed.exit_code == 0, resumed.output
    report = json.loads(resumed.output)
    assert (report["fetched"], report["new"]) == (90, 90)
    assert set(_pulled(app)) == set(ids)
