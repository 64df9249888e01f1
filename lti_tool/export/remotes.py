"""Remote LRSs as records: add, list, remove, and put dead letters back in the queue.

Repository functions add and flush; the caller (a CLI command) commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Table, func, literal, select, update
from sqlalchemy.orm import Session

from lti_tool.export.filters import StatementFacts, TargetFilter, dump_filters, programme_ids
from lti_tool.export.scopes import missing_programmes, statement_facts, target_filter
from lti_tool.export.secrets import encrypt_password
from lti_tool.models.export import ExportDelivery, RemoteLrs
from lti_tool.models.lrs import Source, Statement

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,89}$")
VERSIONS = ("1.0.3", "2.0.0")
PENDING, SENT, DEAD = "pending", "sent", "dead"
_DELIVERIES = cast(Table, ExportDelivery.__table__)


class RemoteError(ValueError):
    """A remote LRS operation that cannot be done (bad name, duplicate, unknown)."""


@dataclass(frozen=True, slots=True)
class RemoteSpec:
    """What ``trellis lrs add`` asks for."""

    name: str
    endpoint: str
    username: str
    password: str
    version: str = "1.0.3"
    filters: Sequence[str] = ("all",)
    export_enabled: bool = True
    batch_size: int = 100
    max_attempts: int = 10
    backfill: bool = True


def add_remote(
    session: Session, spec: RemoteSpec, *, secret_key: str, now: datetime, replace: bool = False
) -> RemoteLrs:
    """Create (or with ``replace`` update) a remote LRS.

    A new export target receives every stored statement its filters take (``backfill``), or
    only those stored from now on.

    Raises:
        RemoteError: a malformed name, endpoint or version, or a name already taken.
    """
    _check_spec(spec)
    missing = missing_programmes(session, programme_ids(spec.filters))
    if missing:
        raise RemoteError(f"no programme {', '.join(missing)} (see `trellis programmes list`)")
    remote = session.scalar(select(RemoteLrs).where(RemoteLrs.name == spec.name))
    if remote is not None and not replace:
        raise RemoteError(f"an LRS named {spec.name!r} already exists (use --replace)")
    if remote is None:
        remote = RemoteLrs(
            name=spec.name,
            created_at=now,
            sent_count=0,
            consecutive_failures=0,
            start_after_seq=0,
        )
        session.add(remote)
        is_new = True
    else:
        is_new = False
    remote.endpoint = spec.endpoint.rstrip("/")
    remote.username = spec.username
    remote.password_encrypted = encrypt_password(spec.password, secret_key)
    remote.xapi_version = spec.version
    remote.filters = dump_filters(spec.filters)
    remote.export_enabled = spec.export_enabled
    remote.batch_size = spec.batch_size
    remote.max_attempts = spec.max_attempts
    remote.consecutive_failures = 0
    remote.next_attempt_at = None
    session.flush()
    if is_new and spec.export_enabled:
        if spec.backfill:
            enqueue_history(session, remote, now=now)
        else:
            newest = session.scalar(select(func.max(Statement.seq))) or 0
            remote.start_after_seq = newest
    return remote


def _check_spec(spec: RemoteSpec) -> None:
    if not _NAME.match(spec.name):
        raise RemoteError(
            f"LRS name {spec.name!r}: use 1–90 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    parts = urlsplit(spec.endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"endpoint {spec.endpoint!r} must be an http:// or https:// URL")
    if spec.version not in VERSIONS:
        raise RemoteError(f"version {spec.version!r} is not one of {', '.join(VERSIONS)}")
    if spec.batch_size < 1 or spec.max_attempts < 1:
        raise RemoteError("batch size and max attempts must be at least 1")


def enqueue_history(session: Session, remote: RemoteLrs, *, now: datetime) -> int:
    """Queue every stored statement the remote's filters take; return how many were queued.

    Filters on sources only are one ``INSERT … SELECT``; programme filters look at each
    statement's activities and person, a chunk of the log at a time.
    """
    target = target_filter(session, remote)
    if target.needs_statement_details:
        return _enqueue_history_by_facts(session, remote, target, now=now)
    names = dict(session.execute(select(Source.id, Source.name)).all())
    sources = [source_id for source_id, name in names.items() if target.takes(StatementFacts(name))]
    if not sources:
        return 0
    chosen = select(
        literal(remote.id),
        Statement.seq,
        literal(PENDING),
        literal(0),
        literal(now),
    ).where(Statement.source_id.in_(sources), Statement.seq > remote.start_after_seq)
    result = session.execute(
        _DELIVERIES.insert().from_select(
            ["remote_id", "statement_seq", "state", "attempts", "enqueued_at"], chosen
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _enqueue_history_by_facts(
    session: Session, remote: RemoteLrs, target: TargetFilter, *, now: datetime, chunk: int = 2000
) -> int:
    queued = 0
    after = remote.start_after_seq
    while True:
        seqs = list(
            session.scalars(
                select(Statement.seq)
                .where(Statement.seq > after)
                .order_by(Statement.seq)
                .limit(chunk)
            )
        )
        if not seqs:
            return queued
        facts = statement_facts(session, seqs, with_details=True)
        rows = [
            {
                "remote_id": remote.id,
                "statement_seq": seq,
                "state": PENDING,
                "attempts": 0,
                "enqueued_at": now,
            }
            for seq in seqs
            if target.takes(facts[seq])
        ]
        if rows:
            session.execute(_DELIVERIES.insert(), rows)
            queued += len(rows)
        after = seqs[-1]


def get_remote(session: Session, name: str) -> RemoteLrs:
    """The remote LRS named ``name``.

    Raises:
        RemoteError: when there is none.
    """
    remote = session.scalar(select(RemoteLrs).where(RemoteLrs.name == name))
    if remote is None:
        raise RemoteError(f"no LRS named {name!r}")
    return remote


def list_remotes(session: Session) -> list[RemoteLrs]:
    """Every remote LRS, oldest first."""
    return list(session.scalars(select(RemoteLrs).order_by(RemoteLrs.id)))


def remove_remote(session: Session, name: str) -> None:
    """Forget a remote LRS and its delivery state (statements stay).

    Raises:
        RemoteError: when there is none.
    """
    remote = get_remote(session, name)
    session.execute(_DELIVERIES.delete().where(_DELIVERIES.c.remote_id == remote.id))
    session.delete(remote)
    session.flush()


def retry_dead(session: Session, name: str) -> int:
    """Put a target's dead letters back in its queue; return how many.

    The target's backoff is reset too, so the next worker round sends at once.

    Raises:
        RemoteError: when there is no such LRS.
    """
    remote = get_remote(session, name)
    result = session.execute(
        update(ExportDelivery)
        .where(ExportDelivery.remote_id == remote.id, ExportDelivery.state == DEAD)
        .values(state=PENDING, attempts=0)
    )
    remote.consecutive_failures = 0
    remote.next_attempt_at = None
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
