"""From stored statements to evidence, and from evidence to estimates and trajectories.

Both the incremental worker and the full rebuild go through these functions, so the two agree
exactly: a stream (one teacher × competency in one scope) is always recomputed whole, from all
of its evidence, with the pure core (``competency_models.trajectory``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

import orjson
from sqlalchemy import (
    Table,
    delete,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import Estimate
from competency_models.mapping import StatementView, evidence_for
from competency_models.trajectory import Trajectory, build_trajectory
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.mapping_setup import MappingSetup
from lti_tool.driver_sql import DriverSQL
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
    """A stream's recomputed trajectory (its last point is the estimate) and level crossings.

    The rows to store are built from it by `estimate_values` and `point_values`, in the form
    the database at hand stores times in.
    """

    key: StreamKey
    trajectory: Trajectory
    framework_version_id: int
    levels_reached: list[LevelReached]

    @property
    def level_rank(self) -> int:
        """The rank of the stream's current estimate."""
        return self.trajectory.points[-1].estimate.level.rank


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
    # One view for every scope; direct alignment only when some candidate URI names a
    # competency (the check is a few dict lookups, the engine's own pass reads more).
    view = StatementView(document)
    alignment = setup.alignment if _may_be_aligned(view, setup.alignment) else None
    for scope_id in setup.scopes_for(_scope_keys(view, document)):
        scope = setup.scopes[scope_id]
        items = evidence_for(
            view,
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


def _may_be_aligned(view: StatementView, alignment: Mapping[str, object]) -> bool:
    """Whether the object id, its moreInfo or a category id is a competency URI: the URIs the
    engine's direct alignment looks up (`aligned_competencies`)."""
    if not alignment:
        return False
    if view.object_id in alignment or view.object_more_info in alignment:
        return True
    return any(uri in alignment for uri, _ in view.context_activities("category"))


def _scope_keys(view: StatementView, document: Any) -> tuple[str, ...]:
    """Where a programme is found: the object id and the parent and grouping activity ids.

    The view's module keys, plus the object's id when the object is not an Activity (as the
    dict-reading version before it did; the order does not matter to `scopes_for`).
    """
    keys = view.module_keys()
    if view.object_id is None:
        target = document.get("object")
        if isinstance(target, dict) and isinstance(target.get("id"), str):
            return (target["id"], *keys)
    return keys


RowValues = tuple[tuple[str, ...], list[tuple[Any, ...]]]
"""Column names and one tuple of driver-ready values per row."""

TimeForm = Callable[[datetime], Any]
"""How a database is given an aware datetime (see `time_form`)."""


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite text form, "YYYY-MM-DD HH:MM:SS.ffffff"; isoformat is C-fast.
    return as_utc(moment).replace(tzinfo=None).isoformat(" ", "microseconds")


def time_form(dialect: str) -> TimeForm:
    """Datetimes as SQLAlchemy itself would store them: naive UTC text on SQLite (the rows go
    to the driver directly), timezone-aware UTC values elsewhere."""
    return _sqlite_time if dialect == "sqlite" else as_utc


EVIDENCE_COLUMNS: Final = (
    "scope",
    "person_id",
    "framework_id",
    "code",
    "value",
    "weight",
    "kind",
    "observed_at",
    "statement_id",
    "statement_seq",
    "ruleset_id",
    "ruleset_version",
    "rule_id",
    "position",
)
ESTIMATE_COLUMNS: Final = (
    "scope",
    "person_id",
    "framework_id",
    "code",
    "framework_version_id",
    "method",
    "value",
    "interval_low",
    "interval_high",
    "level_rank",
    "level_code",
    "evidence_count",
    "effective_sample_size",
    "raw_value",
    "participation_capped",
    "latest_evidence_at",
)
POINT_COLUMNS: Final = (
    "scope",
    "person_id",
    "framework_id",
    "code",
    "position",
    "at",
    "value",
    "interval_low",
    "interval_high",
    "level_rank",
    "evidence_count",
    "statement_id",
    "framework_version_id",
)


def evidence_values(mapped: MappedEvidence, form: TimeForm = as_utc) -> tuple[Any, ...]:
    """The database row of a piece of mapped evidence, in `EVIDENCE_COLUMNS` order."""
    item = mapped.evidence
    provenance = item.provenance
    competency = item.competency
    return (
        mapped.scope,
        item.person_id,
        competency.framework_id,
        competency.code,
        item.value,
        item.weight,
        item.kind.value,
        form(item.observed_at),
        provenance.statement_id,
        mapped.statement_seq,
        provenance.ruleset_id or "",
        provenance.ruleset_version or 0,
        provenance.rule_id or "",
        mapped.position,
    )


def evidence_row(mapped: MappedEvidence) -> dict[str, Any]:
    """The database row of a piece of mapped evidence, as a dict (for SQLAlchemy inserts)."""
    return dict(zip(EVIDENCE_COLUMNS, evidence_values(mapped), strict=True))


def estimate_values(projection: StreamProjection, form: TimeForm = as_utc) -> tuple[Any, ...]:
    """The stream's estimate row (its trajectory's last point), in `ESTIMATE_COLUMNS` order."""
    scope, person_id, framework_id, code = projection.key
    trajectory = projection.trajectory
    final = trajectory.points[-1].estimate
    return (
        scope,
        person_id,
        framework_id,
        code,
        projection.framework_version_id,
        trajectory.method,
        final.value,
        final.interval.low,
        final.interval.high,
        final.level.rank,
        final.level.code,
        final.evidence_count,
        final.effective_sample_size,
        final.raw_value,
        final.participation_capped,
        form(final.latest_evidence_at),
    )


def point_values(projection: StreamProjection, form: TimeForm = as_utc) -> list[tuple[Any, ...]]:
    """The stream's trajectory point rows, oldest first, in `POINT_COLUMNS` order."""
    scope, person_id, framework_id, code = projection.key
    version_pk = projection.framework_version_id
    rows: list[tuple[Any, ...]] = []
    for position, point in enumerate(projection.trajectory.points):
        estimate = point.estimate
        interval = estimate.interval
        rows.append(
            (
                scope,
                person_id,
                framework_id,
                code,
                position,
                form(point.at),
                estimate.value,
                interval.low,
                interval.high,
                estimate.level.rank,
                estimate.evidence_count,
                point.caused_by.provenance.statement_id,
                version_pk,
            )
        )
    return rows


def insert_values(
    session: Session, table: Table, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    """Insert driver-ready rows (times in `time_form`): binary ``COPY`` on PostgreSQL, else in
    chunks through the driver (:meth:`DriverSQL.insert_many`)."""
    DriverSQL(session).insert_many(table, columns, values)


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
    scope, person_id, framework_id, _ = key
    version = setup.frameworks.get(framework_id)
    if version is None or scope not in setup.scopes or not evidence:
        return None
    method = setup.method_for(scope, framework_id)
    trajectory = build_trajectory(evidence, method, version.framework.scale)
    if trajectory is None:
        return None
    reached: list[LevelReached] = []
    highest = 1
    for point in trajectory.points:
        estimate = point.estimate
        if estimate.level.rank > highest:
            highest = estimate.level.rank
            reached.append(
                LevelReached(
                    scope,
                    person_id,
                    version.pk,
                    trajectory.competency,
                    estimate,
                    as_utc(point.at),
                )
            )
    return StreamProjection(key, trajectory, version.pk, reached)


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
    form = time_form(session.get_bind().dialect.name)
    estimates: list[tuple[Any, ...]] = []
    points: list[tuple[Any, ...]] = []
    for projection in projections:
        estimates.append(estimate_values(projection, form))
        points.extend(point_values(projection, form))
    insert_values(session, ESTIMATES_TABLE, ESTIMATE_COLUMNS, estimates)
    insert_values(session, POINTS_TABLE, POINT_COLUMNS, points)


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
    "ESTIMATE_COLUMNS",
    "EVIDENCE_COLUMNS",
    "POINT_COLUMNS",
    "STATEMENT_COLUMNS",
    "LevelReached",
    "MappedEvidence",
    "StatementInput",
    "StreamKey",
    "StreamProjection",
    "TimeForm",
    "delete_evidence_of_statements",
    "estimate_values",
    "evidence_from_record",
    "evidence_row",
    "evidence_values",
    "insert_values",
    "load_stream_evidence",
    "map_statement",
    "point_values",
    "project_stream",
    "replace_streams",
    "statement_input",
    "stream_key",
    "streams_of_statements",
    "time_form",
    "write_projections",
]
