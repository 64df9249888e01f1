"""Alembic environment: runs migrations against the Trellis database.

The URL is the one set by the caller (``lti_tool.migrate``) or, from the ``alembic`` command
line, the one the service would use (``TRELLIS_DATABASE_URL`` or the embedded SQLite default).
SQLite runs in batch mode, since it cannot alter most constraints in place.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import lti_tool.models  # noqa: F401  (registers every table on the metadata)
from lti_tool.db import Base, make_engine
from lti_tool.settings import database_url_from_env

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

target_metadata = Base.metadata


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url_from_env()


def run_migrations_offline() -> None:
    """Emit SQL to standard output instead of touching a database."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate a live database."""
    url = _database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
