"""From the ``export`` outbox to per-target delivery rows.

Each outbox entry is one accepted batch of statements, written in the same transaction as the
statements. Claiming entries with ``FOR UPDATE SKIP LOCKED`` lets several workers fan out at
once on PostgreSQL; inserting with ``ON CONFLICT DO NOTHING`` makes a statement that reaches a
target twice (the outbox and a backfill) queue once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from lti_tool.db import insert_ignoring_conflicts
from lti_tool.export.remotes import PENDING
from lti_tool.export.scopes import statement_facts, target_filter
from lti_tool.models.export import ExportDelivery, RemoteLrs
from lti_tool.models.lrs import OutboxEntry

CONSUMER = "export"
_OUTBOX = cast(Table, OutboxEntry.__table__)


def fan_out(session: Session, *, now: datetime, limit: int = 50) -> int:
    """Turn up to ``limit`` outbox entries into delivery rows and delete them.

    Adds and flushes; the caller commits (so the claimed entries stay locked until then).

    Returns:
        The number of outbox entries consumed.
    """
    entries = session.execute(
        select(OutboxEntry.id, OutboxEntry.statement_seqs)
        .where(OutboxEntry.consumer == CONSUMER)
        .order_by(OutboxEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not entries:
        return 0
    seqs = sorted({int(seq) for _, batch in entries for seq in json.loads(batch)})
    targets = [
        (remote, target_filter(session, remote))
        for remote in session.scalars(select(RemoteLrs).where(RemoteLrs.export_enabled.is_(True)))
    ]
    if targets and seqs:
        details = any(target.needs_statement_details for _, target in targets)
        facts = statement_facts(session, seqs, with_details=details)
        rows: list[dict[str, Any]] = []
        for remote, target in targets:
            rows.extend(
                {
                    "remote_id": remote.id,
                    "statement_seq": seq,
                    "state": PENDING,
                    "attempts": 0,
                    "enqueued_at": now,
                }
                for seq, statement in facts.items()
                if seq > remote.start_after_seq and target.takes(statement)
            )
        if rows:
            session.execute(
                insert_ignoring_conflicts(session, ExportDelivery, ["remote_id", "statement_seq"]),
                rows,
            )
    session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_([id_ for id_, _ in entries])))
    session.flush()
    return len(entries)
