"""Alembic owns the schema: migrations build exactly what the models describe, and undo it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import lti_tool.models  # noqa: F401  (registers every table)
from lti_tool import migrate
from lti_tool.db import Base, make_engine


def test_upgrade_head_on_empty_database_matches_the_models(database_url: str) -> None:
    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == [], f"models and migrations drifted apart: {differences}"


def test_upgrade_head_records_the_head_revision(database_url: str) -> None:
    migrate.upgrade(database_url)

    script_heads = migrate.head_revisions()
    assert migrate.current_revision(database_url) in script_heads
    assert len(script_heads) == 1, "migrations must form one line, not branches"


def test_downgrade_base_removes_every_table(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")

    engine = make_engine(database_url)
    try:
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert remaining == set()
    assert migrate.current_revision(database_url) is None


def test_upgrade_after_downgrade_base_rebuilds_the_schema(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
