"""Replay: recompute evidence, estimates and trajectories from the statement log.

Statements are the source of truth. A rebuild reads them teacher by teacher (the
``(person_id, seq)`` index), maps them with the active rule sets (or a rule-set version under
trial), and rewrites the projections of the chosen scopes. The same log and configuration always
give the same rows (`dump_projection` shows it byte for byte). A dry run writes nothing and
reports whose levels would change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from competency_models.evidence import Evidence
from lti_tool.competencies.mapping_setup import MappingSetup, load_setup
from lti_tool.competencies.programmes import add_members
from lti_tool.competencies.projection import (
    STATEMENT_COLUMNS,
    LevelReached,
    StreamKey,
    StreamProjection,
    evidence_row,
    map_statement,
    project_stream,
    statement_input,
    write_projections,
)
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord, TrajectoryPointRecord
from lti_tool.models.lrs import Statement

PEOPLE_PER_BATCH = 500
EVIDENCE_TABLE = cast(Table, EvidenceRecord.__table__)


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A teacher's level that a rebuild changes (rank 0: no estimate)."""

    scope: str
    person_id: str
    framework_id: str
    code: str
    old_rank: int
    new_rank: int


@dataclass(slots=True)
class RebuildReport:
    """What a rebuild did (or, in a dry run, would do)."""

    people: int = 0
    statements: int = 0
    evidence: int = 0
    streams: int = 0
    changes: list[LevelChange] = field(default_factory=list)
    levels_reached: list[LevelReached] = field(default_factory=list)


def people_with_statements(session: Session) -> list[str]:
    """Every person who is the actor of a stored statement, sorted."""
    return list(
        session.scalars(
            select(Statement.person_id)
            .where(Statement.person_id.is_not(None))
            .group_by(Statement.person_id)
            .order_by(Statement.person_id)
        )
    )


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rebuild(
    session: Session,
    *,
    programme_id: str | None = None,
    ruleset_override: tuple[str, int] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    setup: MappingSetup | None = None,
) -> RebuildReport:
    """Recompute the projections of one programme (or all scopes) from the statements.

    Adds and flushes; the caller commits (or, for a dry run, rolls back — nothing is written
    then anyway).

    Args:
        session: the unit of work.
        programme_id: rebuild this programme's scope only.
        ruleset_override: ``(rule set id, version)`` to map with instead of the active version.
        dry_run: compute and compare only; write nothing.
        progress: called with the number of people done after each batch.
        setup: a preloaded mapping setup (tests and the benchmark).
    """
    setup = setup or load_setup(session, ruleset_override=ruleset_override)
    scopes = set(setup.scopes) if programme_id is None else {programme_id}
    report = RebuildReport()
    if not dry_run:
        _clear(session, None if programme_id is None else scopes)
    people = people_with_statements(session)
    for batch in _batches(people, PEOPLE_PER_BATCH):
        projections, evidence_rows, members = _rebuild_people(session, setup, scopes, batch, report)
        if dry_run:
            report.changes.extend(_compare(session, scopes, batch, projections))
        else:
            for chunk_start in range(0, len(evidence_rows), 5000):
                session.execute(
                    EVIDENCE_TABLE.insert(),
                    evidence_rows[chunk_start : chunk_start + 5000],
                )
            write_projections(session, projections)
            for scope, persons in sorted(members.items()):
                add_members(session, scope, sorted(persons))
        report.levels_reached.extend(
            item for projection in projections for item in projection.levels_reached
        )
        report.people += len(batch)
        if progress is not None:
            progress(len(batch))
    session.flush()
    return report


def _rebuild_people(
    session: Session,
    setup: MappingSetup,
    scopes: set[str],
    people: list[str],
    report: RebuildReport,
) -> tuple[list[StreamProjection], list[dict[str, Any]], dict[str, set[str]]]:
    streams: dict[StreamKey, list[Evidence]] = {}
    evidence_rows: list[dict[str, Any]] = []
    members: dict[str, set[str]] = {}
    result = session.execute(
        select(*STATEMENT_COLUMNS)
        .where(Statement.person_id.in_(people))
        .order_by(Statement.person_id, Statement.seq)
    )
    for raw in result:
        report.statements += 1
        for mapped in map_statement(setup, statement_input(raw)):
            if mapped.scope not in scopes:
                continue
            row = evidence_row(mapped)
            evidence_rows.append(row)
            item = mapped.evidence
            key = (mapped.scope, item.person_id, item.competency.framework_id, item.competency.code)
            streams.setdefault(key, []).append(item)
            if mapped.scope:
                members.setdefault(mapped.scope, set()).add(item.person_id)
    report.evidence += len(evidence_rows)
    projections = [
        projection
        for key in sorted(streams)
        if (projection := project_stream(setup, key, streams[key])) is not None
    ]
    report.streams += len(projections)
    return projections, evidence_rows, members


def _clear(session: Session, scopes: set[str] | None) -> None:
    for model in (TrajectoryPointRecord, EstimateRecord, EvidenceRecord):
        statement = delete(model)
        if scopes is not None:
            statement = statement.where(model.scope.in_(sorted(scopes)))
        session.execute(statement)


def _compare(
    session: Session, scopes: set[str], people: list[str], projections: list[StreamProjection]
) -> list[LevelChange]:
    stored: dict[StreamKey, int] = {
        (row.scope, row.person_id, row.framework_id, row.code): row.level_rank
        for row in session.execute(
            select(
                EstimateRecord.scope,
                EstimateRecord.person_id,
                EstimateRecord.framework_id,
                EstimateRecord.code,
                EstimateRecord.level_rank,
            ).where(EstimateRecord.person_id.in_(people), EstimateRecord.scope.in_(sorted(scopes)))
        )
    }
    new = {projection.key: int(projection.estimate_row["level_rank"]) for projection in projections}
    changes = []
    for key in sorted(stored.keys() | new.keys()):
        old_rank, new_rank = stored.get(key, 0), new.get(key, 0)
        if old_rank != new_rank:
            changes.append(LevelChange(*key, old_rank=old_rank, new_rank=new_rank))
    return changes
