"""``trellis sources …``: credentials of statement producers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from lti_tool.db import database
from lti_tool.lrs.sources import SourceError, add_source, list_sources, revoke_source

sources_cli = AppGroup("sources", help="Statement sources: who may send xAPI to /xapi.")


@sources_cli.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May read every statement, not only its own.")
def sources_add(name: str, admin: bool) -> None:
    """Create source NAME and print its credential as JSON (the secret is shown only now)."""
    try:
        with database().session_scope() as session:
            credential = add_source(session, name, admin=admin, now=datetime.now(UTC))
    except SourceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        json.dumps(
            {
                "name": credential.name,
                "key": credential.key,
                "secret": credential.secret,
                "admin": credential.admin,
            }
        )
    )


@sources_cli.command("list")
def sources_list() -> None:
    """List sources: name, key, admin or not, revoked or not (secrets are never shown)."""
    with database().session_scope() as session:
        for source in list_sources(session):
            state = f"revoked {source.revoked_at:%Y-%m-%d}" if source.revoked_at else "active"
            role = "admin" if source.is_admin else "source"
            click.echo(f"{source.name}\t{source.key}\t{role}\t{state}")


@sources_cli.command("revoke")
@click.argument("name")
def sources_revoke(name: str) -> None:
    """Revoke source NAME's credential; its statements stay."""
    try:
        with database().session_scope() as session:
            revoke_source(session, name, now=datetime.now(UTC))
    except SourceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revoked {name}")
