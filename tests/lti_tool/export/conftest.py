"""Fixtures for the export tests: statements stored as /xapi stores them, and LRS peers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from lti_tool.db import database
from lti_tool.lrs.auth import authority_for
from lti_tool.lrs.sources import add_source
from lti_tool.lrs.statements import Caller, store_statements
from lti_tool.models.lrs import Source
from tests.lti_tool.export.peers import RalphServer, RecordingLrs, ralph_or_skip
from tests.lti_tool.lrs.conftest import moodle_statement
from xapi.versions import XapiVersion

Store = Callable[..., list[str]]


@pytest.fixture
def store(app: Flask) -> Store:
    """Store statements under a source (created on first use), as POST /xapi/statements does."""

    def store_as(
        statements: list[dict[str, Any]],
        source: str = "moodle",
        version: XapiVersion = XapiVersion.V1_0_3,
    ) -> list[str]:
        with database(app).session_scope() as session:
            row = session.scalar(select(Source).where(Source.name == source))
            if row is None:
                add_source(session, source, admin=False, now=datetime.now(UTC))
                session.commit()
                row = session.scalar(select(Source).where(Source.name == source))
            assert row is not None
            caller = Caller(
                source_id=row.id,
                is_admin=False,
                authority=authority_for(source, "http://127.0.0.1/xapi"),
            )
            return store_statements(
                session, statements, caller=caller, version=version, now=datetime.now(UTC)
            )

    return store_as


def statements(count: int, user_id: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """``count`` Moodle-shaped statements with fresh ids (in course id=3)."""
    return [
        moodle_statement(
            user_id or str(index % 97), statement_id=str(uuid.uuid4()), raw=index % 100, **kwargs
        )
        for index in range(count)
    ]


@pytest.fixture
def recording_lrs() -> Iterator[RecordingLrs]:
    """A recording LRS on 127.0.0.1."""
    lrs = RecordingLrs()
    lrs.start()
    yield lrs
    lrs.stop()


@pytest.fixture
def ralph(tmp_path: Path) -> Iterator[RalphServer]:
    """Ralph's LRS on 127.0.0.1 (skips only when Ralph cannot be installed)."""
    yield from ralph_or_skip(tmp_path / "ralph")


def add_target(runner: FlaskCliRunner, name: str, endpoint: str, *extra: str) -> None:
    """``trellis lrs add`` with test credentials, asserting success."""
    result = runner.invoke(
        args=[
            "lrs",
            "add",
            name,
            "--endpoint",
            endpoint,
            "--username",
            "trellis",
            "--password",
            "ralph-test-password",
            *extra,
        ]
    )
    assert result.exit_code == 0, result.output
