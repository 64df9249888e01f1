"""Incremental processing: the ``competency`` outbox entries, one batch of statements each.

For each entry: map its statements to evidence (idempotent: evidence is unique per statement
and position), drop the evidence of statements voided by it, recompute every stream it touched
from all of that stream's evidence, and store the statements for levels reached. The entry is
deleted only once that work is committed, so a crash leaves it to be processed again, and
processing it again changes nothing.

Claiming: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` lets any number of workers (and
inline processing in every app node) share the queue. SQLite has one writer at a time; entries
are processed in order under the writer lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from lti_tool.competencies.clock import utcnow
from lti_tool.competencies.level_statements import store_level_statements
from lti_tool.competencies.mapping_setup import MappingSetup, load_setup
from lti_tool.competencies.programmes import add_members
from lti_tool.competencies.projection import (
    STATEMENT_COLUMNS,
    LevelReached,
    StreamKey,
    delete_evidence_of_statements,
    evidence_row,
    load_stream_evidence,
    map_statement,
    project_stream,
    replace_streams,
    statement_input,
    stream_key,
    streams_of_statements,
)
from lti_tool.db import insert_ignoring_conflicts, serialized_writes
from lti_tool.models.competencies import EvidenceRecord
from lti_tool.models.lrs import OutboxEntry, Statement

logger = logging.getLogger("trellis.competencies")

CONSUMER = "competency"
"""The outbox consumer name of the competency engine."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What processing one batch did."""

    statements: int
    evidence: int
    streams: int
    levels_reached: list[LevelReached]


def process_statements(session: Session, setup: MappingSetup, seqs: list[int]) -> BatchResult:
    """Map and project the statements at ``seqs``; adds and flushes, the caller commits."""
    rows = [
        statement_input(row)
        for row in session.execute(
            select(*STATEMENT_COLUMNS).where(Statement.seq.in_(seqs)).order_by(Statement.seq)
        )
    ]
    touched: set[StreamKey] = set()
    voided_targets = [row.voids_id for row in rows if row.voids_id is not None]
    late_voided = [row.statement_id for row in rows if row.voided]
    gone = voided_targets + late_voided
    if gone:
        touched |= streams_of_statements(session, gone)
        delete_evidence_of_statements(session, gone)
    evidence_rows = []
    members: dict[str, set[str]] = {}
    for row in rows:
        for mapped in map_statement(setup, row):
            evidence_rows.append(evidence_row(mapped))
            if mapped.scope:
                members.setdefault(mapped.scope, set()).add(mapped.evidence.person_id)
    if evidence_rows:
        session.execute(
            insert_ignoring_conflicts(
                session, EvidenceRecord, ["statement_id", "scope", "position"]
            ),
            evidence_rows,
        )
        touched |= {stream_key(row) for row in evidence_rows}
    for programme_id, people in sorted(members.items()):
        add_members(session, programme_id, sorted(people))
    reached = recompute_streams(session, setup, touched)
    session.flush()
    return BatchResult(len(rows), len(evidence_rows), len(touched), reached)


def recompute_streams(
    session: Session, setup: MappingSetup, keys: set[StreamKey]
) -> list[LevelReached]:
    """Recompute these streams from their stored evidence; return the levels reached."""
    if not keys:
        return []
    _lock_people(session, {key[1] for key in keys})
    evidence = load_stream_evidence(session, keys)
    projections = [
        projection
        for key in sorted(keys)
        if (projection := project_stream(setup, key, evidence[key])) is not None
    ]
    replace_streams(session, keys, projections)
    return [item for projection in projections for item in projection.levels_reached]


def _lock_people(session: Session, people: set[str]) -> None:
    """PostgreSQL: one worker at a time recomputes a teacher's streams.

    Two workers whose batches touch the same teacher would otherwise both delete and re-insert
    the same estimate rows. Transaction-scoped advisory locks, taken in sorted order so two
    workers cannot deadlock; the second then reads the first's committed evidence. SQLite has
    one writer at a time already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for person_id in sorted(people):
        key = int.from_bytes(hashlib.sha256(person_id.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _claim(session: Session, limit: int) -> list[OutboxEntry]:
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.consumer == CONSUMER)
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def process_pending(
    session_factory: Callable[[], Session],
    *,
    home_page: str,
    limit: int = 50,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Claim up to ``limit`` competency entries, process them, delete them; return how many.

    Two transactions: the projections and the entries' deletion first (the entry is deleted
    only with its work), then the level statements, which ``store_statements`` commits itself.
    If the second fails, a rebuild or the stream's next update stores them (their ids are
    deterministic and their presence is checked).
    """
    session = session_factory()
    try:
        with serialized_writes(session):
            entries = _claim(session, limit)
            if not entries:
                session.rollback()
                return 0
            setup = load_setup(session)
            seqs = sorted({seq for entry in entries for seq in json.loads(entry.statement_seqs)})
            result = process_statements(session, setup, seqs)
            session.execute(
                delete(OutboxEntry).where(OutboxEntry.id.in_([entry.id for entry in entries]))
            )
            session.commit()
        if result.levels_reached:
            store_level_statements(
                session, setup, result.levels_reached, home_page=home_page, now=now()
            )
        logger.info(
            "competency batch processed",
            extra={
                "entries": len(entries),
                "statements": result.statements,
                "evidence": result.evidence,
                "streams": result.streams,
            },
        )
        return len(entries)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def process_all(session_factory: Callable[[], Session], *, home_page: str, limit: int = 50) -> int:
    """Process entries until none is left; return how many were processed."""
    total = 0
    while True:
        done = process_pending(session_factory, home_page=home_page, limit=limit)
        if not done:
            return total
        total += done
