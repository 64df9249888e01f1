"""``trellis lrs …`` (remote LRSs) and ``trellis export …`` (the delivery worker).

Passwords are taken from the command line or ``--password-env`` and are never printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from lti_tool.db import database
from lti_tool.export.backoff import Backoff
from lti_tool.export.filters import FilterError, load_filters, parse_filters
from lti_tool.export.progress import target_progress
from lti_tool.export.pull import PullError, pull
from lti_tool.export.remotes import (
    VERSIONS,
    RemoteError,
    RemoteSpec,
    add_remote,
    get_remote,
    list_remotes,
    remove_remote,
    retry_dead,
)
from lti_tool.export.secrets import PasswordUnreadable
from lti_tool.export.worker import ExportWorker, WorkerOptions
from lti_tool.settings import current_settings
from xapi.syntax import parse_timestamp

lrs_cli = AppGroup("lrs", help="Remote Learning Record Stores: export targets and pull sources.")
export_cli = AppGroup("export", help="Deliver stored statements to the export targets.")


@lrs_cli.command("add")
@click.argument("name")
@click.option("--endpoint", required=True, help="The LRS's xAPI base URL (…/xAPI).")
@click.option("--username", required=True, help="Basic auth user (the LRS's key).")
@click.option("--password", default=None, help="Basic auth password (or use --password-env).")
@click.option("--password-env", default=None, help="Read the password from this variable.")
@click.option("--version", "version", type=click.Choice(VERSIONS), default="1.0.3")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="all (default), trellis, source:NAME or programme:ID; repeat to combine.",
)
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--max-attempts", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--backfill/--no-backfill",
    default=True,
    help="Also send the statements already stored (default) or only new ones.",
)
@click.option("--pull-only", is_flag=True, help="An upstream LRS to pull from; export nothing.")
@click.option("--replace", is_flag=True, help="Update an existing LRS of that name.")
def lrs_add(
    name: str,
    endpoint: str,
    username: str,
    password: str | None,
    password_env: str | None,
    version: str,
    filters: tuple[str, ...],
    batch_size: int,
    max_attempts: int,
    backfill: bool,
    pull_only: bool,
    replace: bool,
) -> None:
    """Add LRS NAME as an export target (or, with --pull-only, as a pull source)."""
    if password_env is not None:
        password = os.environ.get(password_env)
    if not password:
        raise click.ClickException("give --password or --password-env naming a set variable")
    try:
        spec = RemoteSpec(
            name=name,
            endpoint=endpoint,
            username=username,
            password=password,
            version=version,
            filters=parse_filters(filters),
            export_enabled=not pull_only,
            batch_size=batch_size,
            max_attempts=max_attempts,
            backfill=backfill,
        )
        with database().session_scope() as session:
            remote = add_remote(
                session,
                spec,
                secret_key=current_settings().secret_key,
                now=datetime.now(UTC),
                replace=replace,
            )
            summary = _describe(remote.name, remote.endpoint, remote.xapi_version, spec.filters)
    except (RemoteError, FilterError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{'updated' if replace else 'added'} {summary}")


def _describe(name: str, endpoint: str, version: str, filters: object) -> str:
    return f"{name}\t{endpoint}\txAPI {version}\tfilters {json.dumps(filters)}"


@lrs_cli.command("list")
def lrs_list() -> None:
    """List remote LRSs with their queues (passwords are never shown)."""
    now = datetime.now(UTC)
    with database().session_scope() as session:
        progress = {item.name: item for item in target_progress(session, now)}
        for remote in list_remotes(session):
            item = progress[remote.name]
            role = "export" if remote.export_enabled else "pull-only"
            filters = load_filters(remote.filters)
            click.echo(
                f"{_describe(remote.name, remote.endpoint, remote.xapi_version, filters)}"
                f"\t{role}\tpending {item.pending}\tsent {item.sent}\tdead {item.dead}"
            )


@lrs_cli.command("remove")
@click.argument("name")
def lrs_remove(name: str) -> None:
    """Remove LRS NAME and its queue (stored statements stay)."""
    try:
        with database().session_scope() as session:
            remove_remote(session, name)
    except RemoteError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {name}")


@lrs_cli.command("retry")
@click.argument("name")
def lrs_retry(name: str) -> None:
    """Put LRS NAME's dead letters back in its queue."""
    try:
        with database().session_scope() as session:
            count = retry_dead(session, name)
    except RemoteError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{count} dead letters of {name} queued again")


@lrs_cli.command("pull")
@click.argument("name")
@click.option("--since", default=None, help="Start here (an xAPI timestamp), not at the cursor.")
@click.option("--page-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--overlap", default=60, show_default=True, help="Seconds re-read before the cursor.")
def lrs_pull(name: str, since: str | None, page_size: int, overlap: int) -> None:
    """Import statements from LRS NAME (resumes from its cursor; safe to re-run)."""
    start = None
    if since is not None:
        start = parse_timestamp(since)
        if start is None:
            raise click.ClickException(f"--since {since!r} is not an xAPI timestamp")
    settings = current_settings()
    home_page = f"{settings.base_url or 'http://localhost'}/xapi"
    try:
        with database().session_scope() as session:
            remote = get_remote(session, name)
            report = pull(
                session,
                remote,
                secret_key=settings.secret_key,
                home_page=home_page,
                now=datetime.now(UTC),
                since=start,
                page_size=page_size,
                overlap=timedelta(seconds=overlap),
            )
    except (RemoteError, PullError, PasswordUnreadable) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        json.dumps(
            {
                "pages": report.pages,
                "fetched": report.fetched,
                "new": report.new,
                "rejected": report.rejected,
            },
            ensure_ascii=False,
        )
    )
    if report.rejected:
        raise click.ClickException(f"{len(report.rejected)} statements could not be stored")


def _worker_options(
    poll_interval: float, backoff_base: float, backoff_cap: float, timeout: float
) -> WorkerOptions:
    return WorkerOptions(
        backoff=Backoff(base=backoff_base, cap=backoff_cap),
        poll_interval=poll_interval,
        timeout=timeout,
    )


_WORKER_OPTIONS = [
    click.option(
        "--poll-interval", default=2.0, show_default=True, envvar="TRELLIS_EXPORT_POLL_INTERVAL"
    ),
    click.option(
        "--backoff-base", default=2.0, show_default=True, envvar="TRELLIS_EXPORT_BACKOFF_BASE"
    ),
    click.option(
        "--backoff-cap", default=600.0, show_default=True, envvar="TRELLIS_EXPORT_BACKOFF_CAP"
    ),
    click.option("--timeout", default=60.0, show_default=True, envvar="TRELLIS_EXPORT_TIMEOUT"),
]


def _with_worker_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_WORKER_OPTIONS):
        command = option(command)
    return command


@export_cli.command("worker")
@_with_worker_options
def export_worker(
    poll_interval: float, backoff_base: float, backoff_cap: float, timeout: float
) -> None:
    """Deliver statements until SIGTERM or SIGINT (several may run on PostgreSQL)."""
    worker = ExportWorker(
        database().sessionmaker,
        current_settings().secret_key,
        _worker_options(poll_interval, backoff_base, backoff_cap, timeout),
    )
    worker.run_until_signalled()


@export_cli.command("run")
@click.option("--once", is_flag=True, required=True, help="Drain what can be sent now, then exit.")
@_with_worker_options
def export_run(
    once: bool, poll_interval: float, backoff_base: float, backoff_cap: float, timeout: float
) -> None:
    """Deliver what can be delivered now and exit (for cron)."""
    worker = ExportWorker(
        database().sessionmaker,
        current_settings().secret_key,
        _worker_options(poll_interval, backoff_base, backoff_cap, timeout),
    )
    totals = worker.run_once()
    click.echo(
        json.dumps(
            {
                "fanned_out": totals.fanned_out,
                "sent": totals.sent,
                "failed": totals.failed,
                "dead": totals.dead,
            }
        )
    )
