"""Progress and lag of each export target, for the admin page and ``/healthz``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.export.remotes import DEAD, PENDING
from lti_tool.models.export import ExportDelivery, RemoteLrs
from lti_tool.models.lrs import OutboxEntry, Statement


@dataclass(frozen=True, slots=True)
class TargetProgress:
    """Where one target stands."""

    name: str
    endpoint: str
    version: str
    export_enabled: bool
    pending: int
    sent: int
    dead: int
    oldest_pending_age_seconds: float | None
    last_success_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None

    def as_json(self) -> dict[str, object]:
        """The ``/healthz`` form (no credentials, no endpoint path secrets)."""
        return {
            "pending": self.pending,
            "sent": self.sent,
            "dead": self.dead,
            "oldest_pending_age_seconds": (
                None
                if self.oldest_pending_age_seconds is None
                else round(self.oldest_pending_age_seconds, 1)
            ),
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "backing_off_until": (
                self.next_attempt_at.isoformat() if self.next_attempt_at else None
            ),
        }


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A statement a target's LRS did not take, and why."""

    statement_seq: int
    statement_id: str
    attempts: int
    error: str | None


def unfanned_outbox_entries(session: Session) -> int:
    """Accepted batches the export worker has not looked at yet."""
    return int(
        session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.consumer == "export")
        )
        or 0
    )


def target_progress(session: Session, now: datetime) -> list[TargetProgress]:
    """Every remote LRS with its queue counts and lag."""
    counts: dict[tuple[int, str], int] = {
        (remote_id, state): count
        for remote_id, state, count in session.execute(
            select(ExportDelivery.remote_id, ExportDelivery.state, func.count())
            .where(ExportDelivery.state.in_([PENDING, DEAD]))
            .group_by(ExportDelivery.remote_id, ExportDelivery.state)
        )
    }
    oldest: dict[int, datetime] = dict(
        session.execute(
            select(ExportDelivery.remote_id, func.min(ExportDelivery.enqueued_at))
            .where(ExportDelivery.state == PENDING)
            .group_by(ExportDelivery.remote_id)
        ).all()
    )
    result: list[TargetProgress] = []
    for remote in session.scalars(select(RemoteLrs).order_by(RemoteLrs.id)):
        enqueued = oldest.get(remote.id)
        result.append(
            TargetProgress(
                name=remote.name,
                endpoint=remote.endpoint,
                version=remote.xapi_version,
                export_enabled=remote.export_enabled,
                pending=counts.get((remote.id, PENDING), 0),
                sent=remote.sent_count,
                dead=counts.get((remote.id, DEAD), 0),
                oldest_pending_age_seconds=(
                    None if enqueued is None else (now - _aware(enqueued, now)).total_seconds()
                ),
                last_success_at=remote.last_success_at,
                next_attempt_at=remote.next_attempt_at,
                last_error=remote.last_error,
            )
        )
    return result


def dead_letters(session: Session, remote_name: str, limit: int = 50) -> list[DeadLetter]:
    """The first dead letters of one target."""
    rows = session.execute(
        select(
            ExportDelivery.statement_seq,
            Statement.id,
            ExportDelivery.attempts,
            ExportDelivery.last_error,
        )
        .join(RemoteLrs, RemoteLrs.id == ExportDelivery.remote_id)
        .join(Statement, Statement.seq == ExportDelivery.statement_seq)
        .where(RemoteLrs.name == remote_name, ExportDelivery.state == DEAD)
        .order_by(ExportDelivery.statement_seq)
        .limit(limit)
    )
    return [
        DeadLetter(seq, statement_id, attempts, error)
        for seq, statement_id, attempts, error in rows
    ]


def _aware(moment: datetime, now: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def export_details(session: Session, now: datetime) -> dict[str, object]:
    """``/healthz``'s ``export`` member: per target pending / sent / dead and oldest pending age."""
    return {
        "outbox_batches": unfanned_outbox_entries(session),
        "targets": {
            item.name: item.as_json()
            for item in target_progress(session, now)
            if item.export_enabled
        },
    }
