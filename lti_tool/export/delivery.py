"""Send one batch of a target's queue to its LRS and record the outcome.

Exactly once in the LRS: statements keep their ids, so a batch resent after a crash between
the LRS's answer and our commit is harmless (the LRS accepts the same id and content again);
and no two workers send the same rows, because the target's row is locked for the whole round
(``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL: a second worker skips a target that
is being served, and the lock does not block the fan-out's inserts that reference it). SQLite
admits one worker at a time (see :mod:`lti_tool.export.worker`), and there the read snapshot
is released before the HTTP call so that ingest is never blocked by a slow LRS.

Order: a target's queue is served from its head in statement order, and a failing target
backs off as a whole, so a later batch never overtakes an earlier one. A voiding statement
is sent after the statement it voids (xAPI 1.0.3 Data 2.3.2: an LRS that receives the
voiding statement first may never void its target), even when the target arrived later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from lti_tool.db import serialized_writes
from lti_tool.export.backoff import Backoff
from lti_tool.export.client import LrsAnswer, LrsClient, TransportError
from lti_tool.export.remotes import DEAD, PENDING, SENT
from lti_tool.export.secrets import PasswordUnreadable, decrypt_password
from lti_tool.models.export import ExportDelivery, RemoteLrs
from lti_tool.models.lrs import Statement
from xapi import json_codec
from xapi.downgrade import downgrade_statement, may_need_downgrade

#: Answers that condemn the statements sent rather than the LRS: a batch answered so is split
#: to find the statement at fault; one statement answered so is a dead letter at once.
REJECTED_STATUSES = frozenset({400, 409, 413, 422})


@dataclass(slots=True)
class Item:
    """One statement of a batch."""

    seq: int
    statement_id: str
    voids_id: str | None
    document: str


@dataclass(slots=True)
class RoundReport:
    """What one round did for one target."""

    remote: str
    sent: int = 0
    failed: int = 0
    dead: int = 0
    error: str | None = None
    sent_seqs: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Outcome:
    sent: list[int] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)
    error: str | None = None


class ClientPool:
    """One kept-alive client per target, rebuilt when the target's settings change."""

    def __init__(self, secret_key: str, *, timeout: float = 60) -> None:
        self._secret_key = secret_key
        self._timeout = timeout
        self._clients: dict[int, tuple[tuple[str, ...], LrsClient]] = {}

    def client_for(self, remote: RemoteLrs) -> LrsClient:
        """The client of ``remote``.

        Raises:
            PasswordUnreadable: when the stored password cannot be decrypted.
        """
        fingerprint = (
            remote.endpoint,
            remote.username,
            remote.password_encrypted,
            remote.xapi_version,
        )
        known = self._clients.get(remote.id)
        if known is not None and known[0] == fingerprint:
            return known[1]
        if known is not None:
            known[1].close()
        password = decrypt_password(remote.password_encrypted, self._secret_key)
        client = LrsClient(
            remote.endpoint,
            remote.username,
            password,
            remote.xapi_version,
            timeout=self._timeout,
        )
        self._clients[remote.id] = (fingerprint, client)
        return client

    def close(self) -> None:
        """Close every connection."""
        for _, client in self._clients.values():
            client.close()
        self._clients.clear()


def ready_remote_ids(session: Session, now: datetime) -> list[int]:
    """Export targets not backing off, in id order."""
    return list(
        session.scalars(
            select(RemoteLrs.id)
            .where(
                RemoteLrs.export_enabled.is_(True),
                or_(RemoteLrs.next_attempt_at.is_(None), RemoteLrs.next_attempt_at <= now),
            )
            .order_by(RemoteLrs.id)
        )
    )


def deliver_round(
    session: Session,
    remote_id: int,
    *,
    clients: ClientPool,
    backoff: Backoff,
    clock: Callable[[], datetime],
) -> RoundReport | None:
    """Send the head of one target's queue, if the target is free, ready and has work.

    Commits. Returns None when there was nothing to do (another worker holds the target, it
    is backing off, or its queue is empty).
    """
    now = clock()
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    remote = session.scalar(
        select(RemoteLrs)
        .where(
            RemoteLrs.id == remote_id,
            RemoteLrs.export_enabled.is_(True),
            or_(RemoteLrs.next_attempt_at.is_(None), RemoteLrs.next_attempt_at <= now),
        )
        .with_for_update(skip_locked=True, key_share=True)
    )
    if remote is None:
        session.rollback()
        return None
    items, blocked = _claim(session, remote)
    if not items and not blocked:
        session.rollback()
        return None
    if is_sqlite:
        # Nothing is written yet: end the read snapshot before waiting on the network.
        session.commit()
    outcome = _send(remote, items, clients) if items else _Outcome()
    report = RoundReport(remote=remote.name)
    with serialized_writes(session):
        _record(session, remote, outcome, blocked, backoff=backoff, now=clock(), report=report)
        session.commit()
    return report


def _claim(session: Session, remote: RemoteLrs) -> tuple[list[Item], dict[int, str]]:
    """The head of the queue in sending order, and the voiding statements held back (dead,
    with the reason) because the statement they void is itself a dead letter."""
    head = list(
        session.scalars(
            select(ExportDelivery.statement_seq)
            .where(ExportDelivery.remote_id == remote.id, ExportDelivery.state == PENDING)
            .order_by(ExportDelivery.statement_seq)
            .limit(remote.batch_size)
        )
    )
    if not head:
        return [], {}
    items = _load(session, head)
    voided_ids = {item.voids_id for item in items if item.voids_id is not None}
    blocked: dict[int, str] = {}
    if voided_ids:
        targets = dict(
            session.execute(
                select(Statement.id, Statement.seq).where(Statement.id.in_(voided_ids))
            ).all()
        )
        states = dict(
            session.execute(
                select(ExportDelivery.statement_seq, ExportDelivery.state).where(
                    ExportDelivery.remote_id == remote.id,
                    ExportDelivery.statement_seq.in_(list(targets.values())),
                )
            ).all()
        )
        in_batch = {item.seq for item in items}
        pulled_forward = [
            seq for seq in targets.values() if states.get(seq) == PENDING and seq not in in_batch
        ]
        items.extend(_load(session, pulled_forward))
        for item in items:
            target_seq = targets.get(item.voids_id) if item.voids_id else None
            if target_seq is not None and states.get(target_seq) == DEAD:
                blocked[item.seq] = (
                    f"held back: the statement it voids ({item.voids_id}) is a dead letter; "
                    "`trellis lrs retry` sends both, in order"
                )
        items = [item for item in items if item.seq not in blocked]
        items = order_for_voiding(items)
    return items, blocked


def order_for_voiding(items: Sequence[Item]) -> list[Item]:
    """Statements in log order, except that a voided statement goes just before the first
    statement of the batch that voids it."""
    by_id = {item.statement_id: item for item in items}
    first_voider: dict[int, int] = {}
    for item in sorted(items, key=lambda item: item.seq):
        target = by_id.get(item.voids_id) if item.voids_id else None
        if target is not None and target.seq > item.seq:
            first_voider.setdefault(target.seq, item.seq)

    def key(item: Item) -> tuple[int, int]:
        if item.seq in first_voider:
            return (first_voider[item.seq], 0)
        return (item.seq, 1)

    return sorted(items, key=key)


def _load(session: Session, seqs: Sequence[int]) -> list[Item]:
    if not seqs:
        return []
    rows = session.execute(
        select(Statement.seq, Statement.id, Statement.voids_id, Statement.document)
        .where(Statement.seq.in_(list(seqs)))
        .order_by(Statement.seq)
    )
    return [Item(seq, statement_id, voids, document) for seq, statement_id, voids, document in rows]


def _body(items: Sequence[Item], version: str) -> bytes:
    """The POST body: the stored JSON of each statement, verbatim (downgraded only where a
    1.0.3 target cannot take it as stored)."""
    parts: list[str] = []
    for item in items:
        document = item.document
        if version.startswith("1.0") and may_need_downgrade(document):
            statement = json_codec.loads(document)
            downgraded = downgrade_statement(statement)
            if downgraded != statement:
                document = json_codec.dumps(downgraded)
        parts.append(document)
    return ("[" + ",".join(parts) + "]").encode("utf-8")


def _send(remote: RemoteLrs, items: Sequence[Item], clients: ClientPool) -> _Outcome:
    outcome = _Outcome()
    try:
        client = clients.client_for(remote)
    except (PasswordUnreadable, ValueError) as error:
        outcome.failed = [item.seq for item in items]
        outcome.error = str(error)
        return outcome
    answer = _post(client, items, remote.xapi_version)
    if isinstance(answer, str):
        outcome.failed = [item.seq for item in items]
        outcome.error = answer
    elif answer.ok:
        outcome.sent = [item.seq for item in items]
    elif answer.status in REJECTED_STATUSES and len(items) > 1:
        # One bad statement must not hold back the rest: send one at a time, in order.
        for position, item in enumerate(items):
            single = _post(client, [item], remote.xapi_version)
            if isinstance(single, LrsAnswer) and single.ok:
                outcome.sent.append(item.seq)
            elif isinstance(single, LrsAnswer) and single.status in REJECTED_STATUSES:
                outcome.rejected[item.seq] = _describe(single)
            else:
                outcome.failed = [later.seq for later in items[position:]]
                outcome.error = single if isinstance(single, str) else _describe(single)
                break
    elif answer.status in REJECTED_STATUSES:
        outcome.rejected[items[0].seq] = _describe(answer)
    else:
        outcome.failed = [item.seq for item in items]
        outcome.error = _describe(answer)
    return outcome


def _post(client: LrsClient, items: Sequence[Item], version: str) -> LrsAnswer | str:
    try:
        return client.post_statements(_body(items, version))
    except TransportError as error:
        return f"LRS unreachable: {error}"


def _describe(answer: LrsAnswer) -> str:
    return f"HTTP {answer.status}: {answer.excerpt()}"


def _record(
    session: Session,
    remote: RemoteLrs,
    outcome: _Outcome,
    blocked: dict[int, str],
    *,
    backoff: Backoff,
    now: datetime,
    report: RoundReport,
) -> None:
    try:
        session.refresh(remote)
    except ObjectDeletedError:
        report.error = "the LRS was removed while a batch was on its way"
        return
    rows = (ExportDelivery.remote_id == remote.id, ExportDelivery.state == PENDING)
    if outcome.sent:
        session.execute(
            update(ExportDelivery)
            .where(*rows, ExportDelivery.statement_seq.in_(outcome.sent))
            .values(
                state=SENT,
                sent_at=now,
                attempts=ExportDelivery.attempts + 1,
                last_error=None,
            )
        )
        remote.sent_count += len(outcome.sent)
        remote.last_success_at = now
    for seq, error in {**outcome.rejected, **blocked}.items():
        session.execute(
            update(ExportDelivery)
            .where(*rows, ExportDelivery.statement_seq == seq)
            .values(state=DEAD, attempts=ExportDelivery.attempts + 1, last_error=error)
        )
    if outcome.failed:
        session.execute(
            update(ExportDelivery)
            .where(*rows, ExportDelivery.statement_seq.in_(outcome.failed))
            .values(attempts=ExportDelivery.attempts + 1, last_error=outcome.error)
        )
        dead = session.execute(
            update(ExportDelivery)
            .where(
                *rows,
                ExportDelivery.statement_seq.in_(outcome.failed),
                ExportDelivery.attempts >= remote.max_attempts,
            )
            .values(state=DEAD)
        )
        report.dead += int(dead.rowcount or 0)  # type: ignore[attr-defined]
        remote.consecutive_failures += 1
        delay = backoff.delay(remote.consecutive_failures)
        remote.next_attempt_at = now + timedelta(seconds=delay)
        remote.last_error = outcome.error
    elif outcome.sent:
        remote.consecutive_failures = 0
        remote.next_attempt_at = None
        remote.last_error = None
    if outcome.rejected and not outcome.failed:
        remote.last_error = next(iter(outcome.rejected.values()))
    report.sent = len(outcome.sent)
    report.sent_seqs = list(outcome.sent)
    report.failed = len(outcome.failed)
    report.dead += len(outcome.rejected) + len(blocked)
    report.error = outcome.error
    session.flush()
