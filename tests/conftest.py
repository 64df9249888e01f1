"""Fixtures shared by every test: a database per test, the app, its client and CLI runner.

Each test gets its own database: a temporary SQLite file by default, or — when
``TEST_DATABASE_URL`` names a PostgreSQL database — a fresh schema in it, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import lti_tool.models  # noqa: F401  (registers every table)
from lti_tool import create_app
from lti_tool.committed_memo import forget_all
from lti_tool.db import Base, database
from lti_tool.settings import Environment, Settings

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


def postgres_url() -> str | None:
    """The PostgreSQL database the suite runs against, if any."""
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the repository; tests that need it skip when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is absent (a fresh clone has none)")
    return SHARED_DIR


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own for this test."""
    base = postgres_url()
    if base is None:
        yield f"sqlite:///{tmp_path / 'trellis-test.sqlite3'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test app: testing mode, its own database and instance folder."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return Settings(
        environment=Environment.TESTING,
        instance_path=instance,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        log_level="WARNING",
    )


@pytest.fixture(autouse=True)
def _nothing_remembered() -> None:
    """Each test starts with no person ids or index numbers remembered from another test's
    database."""
    forget_all()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The application with every table created in its database."""
    application = create_app(settings)
    engine = database(application).engine
    Base.metadata.create_all(engine)
    yield application
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session on the app's database, closed (and rolled back if uncommitted) afterwards."""
    session = database(app).sessionmaker()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
