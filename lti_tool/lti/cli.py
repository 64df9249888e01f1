"""``trellis platforms …`` and ``trellis keys …``: registrations and signing keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from lti_tool.db import database
from lti_tool.lti import keys, registrations
from lti_tool.settings import current_settings


@click.group("platforms", cls=AppGroup)
def platforms_cli() -> None:
    """LTI platforms (Moodle sites) Trellis accepts launches from."""


@platforms_cli.command("add")
@click.option("--issuer", required=True, help="Platform issuer (Moodle: its wwwroot).")
@click.option("--client-id", required=True, help="Client id Moodle shows for the tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeatable.")
@click.option("--auth-login-url", required=True, help="Moodle: <wwwroot>/mod/lti/auth.php")
@click.option("--auth-token-url", required=True, help="Moodle: <wwwroot>/mod/lti/token.php")
@click.option("--key-set-url", required=True, help="Moodle: <wwwroot>/mod/lti/certs.php")
@click.option("--name", default="", help="A label for administrators.")
def platforms_add(
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    name: str,
) -> None:
    """Register a platform, or add deployments to a registered one."""
    fields = registrations.PlatformFields(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        key_set_url=key_set_url,
        name=name,
    )
    with database().session_scope() as session:
        try:
            platform = registrations.add_platform(
                session, fields, list(deployment_ids), now=datetime.now(UTC)
            )
        except registrations.RegistrationError as error:
            raise click.UsageError(str(error)) from None
        click.echo(
            json.dumps(
                {
                    "id": platform.id,
                    "issuer": platform.issuer,
                    "client_id": platform.client_id,
                    "active": platform.active,
                }
            )
        )


@platforms_cli.command("list")
def platforms_list() -> None:
    """Print every registration, one JSON object a line."""
    with database().session_scope() as session:
        for platform, deployments in registrations.list_platforms(session):
            click.echo(
                json.dumps(
                    {
                        "id": platform.id,
                        "issuer": platform.issuer,
                        "client_id": platform.client_id,
                        "deployment_ids": deployments,
                        "active": platform.active,
                        "registered_by": platform.registered_by,
                        "auth_login_url": platform.auth_login_url,
                        "auth_token_url": platform.auth_token_url,
                        "key_set_url": platform.key_set_url,
                    },
                    ensure_ascii=False,
                )
            )


@platforms_cli.command("activate")
@click.argument("platform_id", type=int)
def platforms_activate(platform_id: int) -> None:
    """Approve a registration (Dynamic Registration leaves them waiting)."""
    _set_active(platform_id, True)


@platforms_cli.command("suspend")
@click.argument("platform_id", type=int)
def platforms_suspend(platform_id: int) -> None:
    """Stop accepting launches from a registration."""
    _set_active(platform_id, False)


def _set_active(platform_id: int, active: bool) -> None:
    with database().session_scope() as session:
        try:
            platform = registrations.set_active(session, platform_id, active)
        except registrations.RegistrationError as error:
            raise click.UsageError(str(error)) from None
        click.echo(json.dumps({"id": platform.id, "active": platform.active}))


@click.group("keys", cls=AppGroup)
def keys_cli() -> None:
    """The tool's signing keys (published at /lti/jwks)."""


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Sign with the next key from now on; the old one stays published for an hour."""
    now = datetime.now(UTC)
    with database().session_scope() as session:
        active = keys.rotate(
            session, instance_key_path=current_settings().lti_private_key_path, now=now
        )
        click.echo(json.dumps({"active_kid": active.kid}))


@keys_cli.command("list")
def keys_list() -> None:
    """Print every key's id and state (no private material)."""
    now = datetime.now(UTC)
    with database().session_scope() as session:
        keys.ensure_keys(
            session, instance_key_path=current_settings().lti_private_key_path, now=now
        )
        for state in keys.key_states(session, now=now):
            click.echo(json.dumps(state))


def register_commands(app_cli: click.Group) -> None:
    """Add ``platforms`` and ``keys`` to the app's CLI."""
    app_cli.add_command(platforms_cli)
    app_cli.add_command(keys_cli)
