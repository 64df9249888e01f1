"""From stored statements to evidence, and from evidence to estimates and trajectories.

Both the incremental worker and the full rebuild go through these functions, so the two agree
exactly: a stream (one teacher × competency in one scope) is always recomputed whole, from all
of its evidence, with the pure core (``competency_models.trajectory``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.orm import Session

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import Estimate
from competency_models.mapping import StatementView, evidence_for
from competency_models.trajectory import Trajectory, build_trajectory
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.mapping_setup import MappingSetup
from lti_tool.models.competencies import (
    EstimateRecord,
    EvidenceRecord,
    TrajectoryPointRecord,
)
from lti_tool.models.lrs import Statement
from xapi.trellis_vocabulary import is_trellis_statement

StreamKey = tuple[str, str, str, str]
"""``(scope, person id, framework id, code)``: one stream of evidence."""

_EVIDENCE = cast(Table, EvidenceRecord.__table__)
_ESTIMATES = cast(Table, EstimateRecord.__table__)
_POINTS = cast(Table, TrajectoryPointRecord.__table__)


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
    view = StatementView(document)
    found: list[MappedEvidence] = []
    for scope_id in setup.scopes_for(view.module_keys()):
        scope = setup.scopes[scope_id]
        items = evidence_for(
            document,
            statement.person_id,
            scope.rulesets,
            programme_id=scope_id or None,
            module_competencies=scope.module_competencies,
            alignment=setup.alignment,
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
    scope_setup = setup.scopes.get(scope)
    if version is None or scope_setup is None or not evidence:
        return None
    trajectory = build_trajectory(evidence, scope_setup.method, version.framework.scale)
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
            select(_EVIDENCE).where(
                tuple_(
                    _EVIDENCE.c.scope,
                    _EVIDENCE.c.person_id,
                    _EVIDENCE.c.framework_id,
                    _EVIDENCE.c.code,
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
    for table in (_POINTS, _ESTIMATES):
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
    for table, rows in ((_ESTIMATES, estimates), (_POINTS, points)):
        for chunk in _chunks(rows, 5000):
            session.execute(table.insert(), chunk)


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
    "delete_evidence_of_statements",
    "evidence_from_record",
    "evidence_row",
    "load_stream_evidence",
    "map_statement",
    "project_stream",
    "replace_streams",
    "statement_input",
    "stream_key",
    "streams_of_statements",
    "write_projections",
]
