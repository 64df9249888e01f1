"""Commands that belong to no single area: instance set-up and database migrations."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from lti_tool import migrate
from lti_tool.db import database
from lti_tool.instance import ensure_instance
from lti_tool.integrity import dangling_references
from lti_tool.settings import current_settings, instance_path_from_env


@click.group("instance")
def instance_cli() -> None:
    """Local state: the secret key and LTI signing key under the instance folder."""


@instance_cli.command("init")
def instance_init() -> None:
    """Create the instance folder, secret key and LTI signing key if missing (idempotent)."""
    report = ensure_instance(instance_path_from_env())
    click.echo(
        json.dumps(
            {
                "instance_path": str(report.path),
                "secret_key": "created" if report.created_secret_key else "kept",
                "lti_signing_key": "created" if report.created_lti_key else "kept",
            }
        )
    )


@click.group("db", cls=AppGroup)
def db_cli() -> None:
    """Database schema: Alembic migrations."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    url = current_settings().database_url
    migrate.upgrade(url, revision)
    click.echo(f"database at {migrate.current_revision(url) or 'base'}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    url = current_settings().database_url
    migrate.downgrade(url, revision)
    click.echo(f"database at {migrate.current_revision(url) or 'base'}")


@db_cli.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    click.echo(migrate.current_revision(current_settings().database_url) or "base")


@db_cli.command("check")
def db_check() -> None:
    """Check that every reference between stored rows holds; exit 1 naming any that does not.

    Ingest does not have the database check the references it writes (they hold by
    construction), so this is how to confirm it — after a restore, for instance."""
    with database().session_scope() as session:
        dangling = dangling_references(session)
    if not dangling:
        click.echo("every reference holds")
        return
    for reference, count in dangling.items():
        rows = "1 row refers" if count == 1 else f"{count} rows refer"
        click.echo(f"{reference}: {rows} to no row", err=True)
    raise SystemExit(1)


def register_core_commands(app_cli: click.Group) -> None:
    """Add the commands that belong to no single area."""
    app_cli.add_command(instance_cli)
    app_cli.add_command(db_cli)
