"""From stored statements to evidence, and from evidence to estimates and trajectories.

Both the incremental worker and the full rebuild go through these functions, so the two agree
exactly: a stream (one teacher × competency in one scope) is always recomputed whole, from all
of its evidence, with the pure core (``competency_models.trajectory``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.orm import Session

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import Estimate
from competency_models.mapping import evidence_for
from competency_models.trajectory import Trajectory, build_trajectory
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.mapping_setup import MappingSetup
from lti_tool.db import executemany_plain
from lti_tool.models.competencies import (
    EstimateRecord,
    EvidenceRecord,
    TrajectoryPointRecord,
)
from lti_tool.models.lrs import Statement
from xapi.trellis_vocabulary import is_trellis_statement

StreamKey = tuple[str, str, str, str]
"""``(scope, person id, framework id, code)``: one stream of evidence."""

EVIDENCE_TABLE = cast(Table, EvidenceRecord.__table__)
ESTIMATES_TABLE = cast(Table, EstimateRecord.__table__)
POINTS_TABLE = cast(Table, TrajectoryPointRecord.__table__)


@dataclass(frozen=True, slots=True)
class StatementInput:
    """What mapping reads of a stored statement."""

    seq: int
    statement_id: str
    person_id: str | None
    source_id: int
    voided: bool
    voids_id: str | None
    document: str


@dataclass(frozen=True, slots=True)
class MappedEvidence:
    """Evidence with where it is kept: its scope, its place in the statement's output."""

    scope: str
    position: int
    statement_seq: int
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class LevelReached:
    """A teacher's estimate reached a level higher than any it held before."""

    scope: str
    person_id: str
    framework_version_id: int
    competency: CompetencyRef
    estimate: Estimate
    at: datetime


@dataclass(frozen=True, slots=True)
class StreamProjection:
    """A stream's recomputed estimate, trajectory points and level crossings."""

    key: StreamKey
    estimate_row: dict[str, Any]
    point_rows: list[dict[str, Any]]
    levels_reached: list[LevelReached]


STATEMENT_COLUMNS = (
    Statement.seq,
    Statement.id,
    Statement.person_id,
    Statement.source_id,
    Statement.voided,
    Statement.voids_id,
    Statement.document,
)


def statement_input(row: Sequence[Any]) -> StatementInput:
    """A row selected with `STATEMENT_COLUMNS` as a `StatementInput`."""
    return StatementInput(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


def map_statement(setup: MappingSetup, statement: StatementInput) -> list[MappedEvidence]:
    """The evidence a statement carries, in every scope it belongs to.

    Nothing for a voided or voiding statement, a statement without a known person, or one of
    Trellis's own statements (levels reached are conclusions, not evidence).
    """
    if (
        statement.voided
        or statement.voids_id is not None
        or statement.person_id is None
        or statement.source_id in setup.ignored_sources
    ):
        return []
    document = orjson.loads(statement.document)
    if is_trellis_statement(document):
        return []
    found: list[MappedEvidence] = []
    # Direct alignment only when some candidate URI names a competency: the check is a few
    # dict lookups, the engine's own pass reads the statement again.
    alignment = setup.alignment if _may_be_aligned(document, setup.alignment) else None
    for scope_id in setup.scopes_for(activity_ids(document)):
        scope = setup.scopes[scope_id]
        items = evidence_for(
            document,
            statement.person_id,
            scope.rulesets,
            programme_id=scope_id or None,
            module_competencies=scope.module_competencies,
            alignment=alignment,
            statement_id=statement.statement_id,
        )
        for position, item in enumerate(items):
            framework = setup.frameworks.get(item.competency.framework_id)
            if framework is None or item.competency.code not in framework.framework:
                continue
            if (
                scope.frameworks is not None
                and item.competency.framework_id not in scope.frameworks
            ):
                continue
            found.append(MappedEvidence(scope_id, position, statement.seq, item))
    return found


def _may_be_aligned(statement: Any, alignment: Mapping[str, object]) -> bool:
    """Whether the object id, its moreInfo or a category id is a competency URI."""
    if not alignment:
        return False
    target = statement.get("object")
    if isinstance(target, dict):
        if target.get("id") in alignment:
            return True
        definition = target.get("definition")
        if isinstance(definition, dict) and definition.get("moreInfo") in alignment:
            return True
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    entries = activities.get("category") if isinstance(activities, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    return isinstance(entries, list) and any(
        isinstance(entry, dict) and entry.get("id") in alignment for entry in entries
    )


def activity_ids(statement: Any) -> tuple[str, ...]:
    """The object id and the parent and grouping activity ids: where a programme is found.

    The same activities ``StatementView.module_keys`` reads, read straight from the dict: this
    runs once per statement in a rebuild.
    """
    found: list[str] = []
    target = statement.get("object")
    if isinstance(target, dict) and isinstance(target.get("id"), str):
        found.append(target["id"])
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if isinstance(activities, dict):
        for kind in ("parent", "grouping"):
            entries = activities.get(kind)
            if isinstance(entries, dict):
                entries = [entries]
            if isinstance(entries, list):
                found.extend(
                    entry["id"]
                    for entry in entries
                    if isinstance(entry, dict) and isinstance(entry.get("id"), str)
                )
    return tuple(found)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert plain rows through the driver (the rebuild writes millions).

    Datetimes are passed as SQLAlchemy itself would store them: naive UTC text on SQLite,
    timezone-aware values on PostgreSQL.
    """
    if not rows:
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns, values = row_values(rows, sqlite=sqlite)
    insert_values(session, table, columns, values)


RowValues = tuple[list[str], list[tuple[Any, ...]]]
"""Column names and one tuple of driver-ready values per row."""


def row_values(rows: Sequence[dict[str, Any]], *, sqlite: bool) -> RowValues:
    """Rows (dicts with the same keys) as driver-ready tuples, datetimes as the dialect stores
    them: naive UTC text on SQLite (as SQLAlchemy writes it), aware values on PostgreSQL."""
    if not rows:
        return [], []
    columns = list(rows[0])
    times = [i for i, column in enumerate(columns) if isinstance(rows[0][column], datetime)]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        record = [row[column] for column in columns]
        for i in times:
            moment = as_utc(record[i])
            # SQLAlchemy's SQLite text form, "YYYY-MM-DD HH:MM:SS.ffffff"; isoformat is C-fast.
            record[i] = (
                moment.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else moment
            )
        values.append(tuple(record))
    return columns, values


def insert_values(
    session: Session, table: Table, columns: list[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert driver-ready rows (see `row_values`): ``COPY`` on PostgreSQL, else in chunks."""
    if not values:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is several times faster than executemany for the millions of rows of a rebuild.
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    for start in range(0, len(values), 5000):
        executemany_plain(session, table, columns, values[start : start + 5000])


def evidence_row(mapped: MappedEvidence) -> dict[str, Any]:
    """The database row of a piece of mapped evidence."""
    item = mapped.evidence
    provenance = item.provenance
    return {
        "scope": mapped.scope,
        "person_id": item.person_id,
        "framework_id": item.competency.framework_id,
        "code": item.competency.code,
        "value": item.value,
        "weight": item.weight,
        "kind": item.kind.value,
        "observed_at": as_utc(item.observed_at),
        "statement_id": provenance.statement_id,
        "statement_seq": mapped.statement_seq,
        "ruleset_id": provenance.ruleset_id or "",
        "ruleset_version": provenance.ruleset_version or 0,
        "rule_id": provenance.rule_id or "",
        "position": mapped.position,
    }


def evidence_from_record(record: EvidenceRecord | Any) -> Evidence:
    """The core's `Evidence` for a stored row (an ORM object or a selected row)."""
    return Evidence(
        person_id=record.person_id,
        competency=CompetencyRef(record.framework_id, record.code),
        value=record.value,
        weight=record.weight,
        kind=EvidenceKind(record.kind),
        observed_at=as_utc(record.observed_at),
        provenance=Provenance(
            statement_id=record.statement_id,
            ruleset_id=record.ruleset_id or None,
            ruleset_version=record.ruleset_version or None,
            rule_id=record.rule_id or None,
        ),
    )


def project_stream(
    setup: MappingSetup, key: StreamKey, evidence: list[Evidence]
) -> StreamProjection | None:
    """Recompute one stream from all of its evidence; None when it has none left."""
    scope, _, framework_id, _ = key
    version = setup.frameworks.get(framework_id)
    if version is None or scope not in setup.scopes or not evidence:
        return None
    method = setup.method_for(scope, framework_id)
    trajectory = build_trajectory(evidence, method, version.framework.scale)
    if trajectory is None:
        return None
    return _projection(key, trajectory, version.pk)


def _projection(key: StreamKey, trajectory: Trajectory, version_pk: int) -> StreamProjection:
    scope, person_id, framework_id, code = key
    points: list[dict[str, Any]] = []
    reached: list[LevelReached] = []
    highest = 1
    competency = trajectory.competency
    for position, point in enumerate(trajectory.points):
        estimate = point.estimate
        at = as_utc(point.at)
        points.append(
            {
                "scope": scope,
                "person_id": person_id,
                "framework_id": framework_id,
                "code": code,
                "position": position,
                "at": at,
                "value": estimate.value,
                "interval_low": estimate.interval.low,
                "interval_high": estimate.interval.high,
                "level_rank": estimate.level.rank,
                "evidence_count": estimate.evidence_count,
                "statement_id": point.caused_by.provenance.statement_id,
                "framework_version_id": version_pk,
            }
        )
        if estimate.level.rank > highest:
            highest = estimate.level.rank
            reached.append(LevelReached(scope, person_id, version_pk, competency, estimate, at))
    final = trajectory.points[-1].estimate
    estimate_row = {
        "scope": scope,
        "person_id": person_id,
        "framework_id": framework_id,
        "code": code,
        "framework_version_id": version_pk,
        "method": trajectory.method,
        "value": final.value,
        "interval_low": final.interval.low,
        "interval_high": final.interval.high,
        "level_rank": final.level.rank,
        "level_code": final.level.code,
        "evidence_count": final.evidence_count,
        "effective_sample_size": final.effective_sample_size,
        "raw_value": final.raw_value,
        "participation_capped": final.participation_capped,
        "latest_evidence_at": as_utc(final.latest_evidence_at),
    }
    return StreamProjection(key, estimate_row, points, reached)


def stream_key(row: dict[str, Any]) -> StreamKey:
    """The stream an evidence row belongs to."""
    return (row["scope"], row["person_id"], row["framework_id"], row["code"])


def load_stream_evidence(
    session: Session, keys: Iterable[StreamKey]
) -> dict[StreamKey, list[Evidence]]:
    """All stored evidence of these streams."""
    wanted = sorted(set(keys))
    found: dict[StreamKey, list[Evidence]] = {key: [] for key in wanted}
    for chunk in _chunks(wanted, 200):
        rows = session.execute(
            select(EVIDENCE_TABLE).where(
                tuple_(
                    EVIDENCE_TABLE.c.scope,
                    EVIDENCE_TABLE.c.person_id,
                    EVIDENCE_TABLE.c.framework_id,
                    EVIDENCE_TABLE.c.code,
                ).in_(chunk)
            )
        )
        for row in rows:
            found[(row.scope, row.person_id, row.framework_id, row.code)].append(
                evidence_from_record(row)
            )
    return found


def replace_streams(
    session: Session, keys: Iterable[StreamKey], projections: Iterable[StreamProjection]
) -> None:
    """Delete the streams' estimates and points, then write the recomputed ones."""
    wanted = sorted(set(keys))
    for table in (POINTS_TABLE, ESTIMATES_TABLE):
        for chunk in _chunks(wanted, 200):
            session.execute(
                delete(table).where(
                    tuple_(
                        table.c.scope, table.c.person_id, table.c.framework_id, table.c.code
                    ).in_(chunk)
                )
            )
    write_projections(session, projections)


def write_projections(session: Session, projections: Iterable[StreamProjection]) -> None:
    """Insert estimates and trajectory points (the streams must have none stored)."""
    estimates: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for projection in projections:
        estimates.append(projection.estimate_row)
        points.extend(projection.point_rows)
    insert_rows(session, ESTIMATES_TABLE, estimates)
    insert_rows(session, POINTS_TABLE, points)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def streams_of_statements(session: Session, statement_ids: Iterable[str]) -> set[StreamKey]:
    """The streams that hold evidence from these statements."""
    found: set[StreamKey] = set()
    ids = sorted(set(statement_ids))
    for chunk in _chunks(ids, 500):
        for row in session.execute(
            select(
                EvidenceRecord.scope,
                EvidenceRecord.person_id,
                EvidenceRecord.framework_id,
                EvidenceRecord.code,
            ).where(EvidenceRecord.statement_id.in_(chunk))
        ):
            found.add((row[0], row[1], row[2], row[3]))
    return found


def delete_evidence_of_statements(session: Session, statement_ids: Iterable[str]) -> None:
    """Remove the evidence of voided statements (the only evidence that is ever removed)."""
    ids = sorted(set(statement_ids))
    for chunk in _chunks(ids, 500):
        session.execute(delete(EvidenceRecord).where(EvidenceRecord.statement_id.in_(chunk)))


__all__ = [
    "STATEMENT_COLUMNS",
    "LevelReached",
    "MappedEvidence",
    "StatementInput",
    "StreamKey",
    "StreamProjection",
    "activity_ids",
    "delete_evidence_of_statements",
    "evidence_from_record",
    "evidence_row",
    "insert_rows",
    "insert_values",
    "load_stream_evidence",
    "map_statement",
    "project_stream",
    "replace_streams",
    "row_values",
    "statement_input",
    "stream_key",
    "streams_of_statements",
    "write_projections",
]
