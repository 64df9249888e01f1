"""``trellis lrs pull``: read statements from an upstream LRS and store them as a source.

Pages are read oldest first (``ascending=true``) from ``since``, following ``more`` links
(xAPI 1.0.3 Communication 2.1.3), and stored page by page through the same use case as
``POST /xapi/statements`` under the source ``lrs.<NAME>``. After each page the ``more`` link is
saved, so an interrupted pull resumes where it stopped; a finished pull saves the newest
``stored`` it saw, and the next pull asks from a little before it (``overlap``: statements the
upstream stored with an earlier ``stored`` but committed later are not missed). Re-reading a
statement is harmless: one already stored with the same content is not stored again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.export.client import LrsAnswer, LrsClient, TransportError
from lti_tool.export.filters import import_source_name
from lti_tool.export.secrets import decrypt_password
from lti_tool.lrs.auth import authority_for
from lti_tool.lrs.sources import add_source
from lti_tool.lrs.statement_store import StatementStore
from lti_tool.lrs.statements import Caller, StatementConflict, store_statements
from lti_tool.models.export import RemoteLrs
from lti_tool.models.lrs import Source
from xapi.errors import StatementValidationError
from xapi.syntax import format_timestamp, parse_timestamp
from xapi.versions import XapiVersion


class PullError(Exception):
    """The upstream LRS refused or broke the pull; the cursor is kept for a retry."""


@dataclass
class PullReport:
    """What a pull did."""

    pages: int = 0
    fetched: int = 0
    new: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    """Statement id → why this LRS could not store it."""


def pull(
    session: Session,
    remote: RemoteLrs,
    *,
    secret_key: str,
    home_page: str,
    now: datetime,
    since: datetime | None = None,
    page_size: int = 500,
    overlap: timedelta = timedelta(seconds=60),
    timeout: float = 60,
) -> PullReport:
    """Import statements from ``remote`` until it has no more; commits after every page.

    Args:
        session: the unit of work; committed page by page.
        remote: the upstream LRS.
        secret_key: decrypts the stored password.
        home_page: this Trellis's xAPI base, for the authority of the stored statements.
        now: the ``stored`` time of what is stored.
        since: start here instead of the saved cursor.
        page_size: ``limit`` asked of the upstream.
        overlap: how far before the saved cursor a new pull starts.
        timeout: seconds to wait for the upstream.

    Raises:
        PullError: the upstream could not be reached or answered an error.
    """
    version = XapiVersion(remote.xapi_version)
    client = LrsClient(
        remote.endpoint,
        remote.username,
        decrypt_password(remote.password_encrypted, secret_key),
        remote.xapi_version,
        timeout=timeout,
    )
    source = _import_source(session, remote.name, now)
    caller = Caller(
        source_id=source.id,
        is_admin=False,
        authority=authority_for(source.name, home_page),
    )
    report = PullReport()
    remote_id = remote.id
    try:
        if since is not None or remote.pull_more is None:
            remote.pull_more = None
            remote.pull_run_newest = None
            start = since if since is not None else _cursor(remote.pull_since, overlap)
            answer = client.get_statements(_first_page_params(start, page_size))
        else:
            answer = client.get_more(remote.pull_more)
            if 400 <= answer.status < 500:
                # The saved link has expired: start again from the last known position.
                start = _cursor(remote.pull_run_newest or remote.pull_since, overlap)
                answer = client.get_statements(_first_page_params(start, page_size))
        session.commit()
        while True:
            page = _page(answer)
            statements: list[dict[str, Any]] = page.get("statements") or []
            more = page.get("more") or None
            report.pages += 1
            report.fetched += len(statements)
            report.new += _store_page(session, statements, caller, version, now, report)
            remote = session.get_one(RemoteLrs, remote_id)
            remote.pull_run_newest = _newest(remote.pull_run_newest, statements)
            remote.pull_more = more
            if more is None:
                remote.pull_since = remote.pull_run_newest or remote.pull_since
                remote.pull_run_newest = None
            session.commit()
            if more is None:
                return report
            answer = client.get_more(more)
    except TransportError as error:
        raise PullError(f"upstream LRS unreachable: {error}") from error
    finally:
        client.close()


def _import_source(session: Session, remote_name: str, now: datetime) -> Source:
    name = import_source_name(remote_name)
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        add_source(session, name, admin=False, now=now)
        source = session.scalar(select(Source).where(Source.name == name))
        assert source is not None
        # Nobody ever holds this source's secret: it only labels what was pulled.
        source.revoked_at = now
        session.commit()
    return source


def _cursor(stored: str | None, overlap: timedelta) -> datetime | None:
    moment = parse_timestamp(stored) if stored else None
    return None if moment is None else moment - overlap


def _first_page_params(since: datetime | None, page_size: int) -> dict[str, str]:
    params = {"ascending": "true", "limit": str(page_size)}
    if since is not None:
        params["since"] = format_timestamp(since)
    return params


def _page(answer: LrsAnswer) -> dict[str, Any]:
    if not answer.ok:
        raise PullError(f"upstream LRS answered HTTP {answer.status}: {answer.excerpt()}")
    try:
        page = answer.json()
    except ValueError as error:
        raise PullError(f"upstream LRS answered something not JSON: {error}") from error
    if not isinstance(page, dict) or not isinstance(page.get("statements", []), list):
        raise PullError("upstream LRS answered something that is not a StatementResult")
    return page


def _store_page(
    session: Session,
    statements: list[dict[str, Any]],
    caller: Caller,
    version: XapiVersion,
    now: datetime,
    report: PullReport,
) -> int:
    """Store a page (one statement at a time if the page as a whole is refused); return how
    many statements were new."""
    if not statements:
        return 0
    ids = [str(statement.get("id", "")).lower() for statement in statements]
    known = set(StatementStore(session).documents_by_id(ids))
    session.rollback()
    try:
        store_statements(session, statements, caller=caller, version=version, now=now)
        return len(set(ids) - known)
    except (StatementValidationError, StatementConflict):
        session.rollback()
    new = 0
    for statement, statement_id in zip(statements, ids, strict=True):
        try:
            store_statements(session, [statement], caller=caller, version=version, now=now)
            new += statement_id not in known
        except (StatementValidationError, StatementConflict) as error:
            session.rollback()
            report.rejected[statement_id] = str(error)
    return new


def _newest(current: str | None, statements: list[dict[str, Any]]) -> str | None:
    newest = parse_timestamp(current) if current else None
    for statement in statements:
        stored = statement.get("stored")
        moment = parse_timestamp(stored) if isinstance(stored, str) else None
        if moment is not None and (newest is None or moment > newest):
            newest = moment
    return None if newest is None else format_timestamp(newest)
