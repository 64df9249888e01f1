"""Replay: recompute evidence, estimates and trajectories from the statement log.

Statements are the source of truth. A rebuild reads them teacher by teacher (through the agent
index, `actor_among`), maps them with the active rule sets (or a rule-set version under
trial), and rewrites the projections of the chosen scopes. The same log and configuration always
give the same rows (`dump_projection` shows it byte for byte). A dry run writes nothing and
reports whose levels would change.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from competency_models.evidence import Evidence
from competency_models.inference import Estimate, Interval
from lti_tool.competencies.mapping_setup import MappingSetup, MethodOverrides, load_setup
from lti_tool.competencies.programmes import add_members
from lti_tool.competencies.projection import (
    ESTIMATE_COLUMNS,
    ESTIMATES_TABLE,
    EVIDENCE_COLUMNS,
    EVIDENCE_TABLE,
    POINT_COLUMNS,
    POINTS_TABLE,
    STATEMENT_COLUMNS,
    LevelReached,
    RowValues,
    StreamKey,
    estimate_values,
    evidence_values,
    insert_values,
    map_statement,
    point_values,
    project_stream,
    statement_input,
    time_form,
)
from lti_tool.lrs.statement_store import actor_among
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord, TrajectoryPointRecord
from lti_tool.models.identity import PersonIdentifier
from lti_tool.models.lrs import AgentKey, Statement, StatementAgent

PEOPLE_PER_BATCH = 500

REBUILD_GC_THRESHOLD = (100_000, 50, 1000)
"""Cyclic GC thresholds while rebuilding (CPython's default is 700, 10, 10).

A batch keeps hundreds of thousands of small objects alive until it is written (evidence,
estimates, row tuples), none of them in reference cycles; at the default thresholds the
collector rescanned them over and over: ≈ 20 % of a worker's CPU (bench data, 50k
statements in-process: 69 → 52 µs per statement). Refcounting still frees everything."""


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
    """Every person who is the actor of a stored statement, sorted.

    One probe of the agent index a known identifier (see `actor_among`), not a walk of the log.
    """
    own_statement = (
        select(StatementAgent.statement_seq)
        .join(AgentKey, AgentKey.id == StatementAgent.agent_key_id)
        .join(Statement, Statement.seq == StatementAgent.statement_seq)
        .where(
            AgentKey.key == PersonIdentifier.key,
            StatementAgent.direct.is_(True),
            Statement.person_id == PersonIdentifier.person_id,
        )
        .exists()
    )
    return list(
        session.scalars(
            select(PersonIdentifier.person_id)
            .where(own_statement)
            .group_by(PersonIdentifier.person_id)
            .order_by(PersonIdentifier.person_id)
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
    method_overrides: MethodOverrides | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    setup: MappingSetup | None = None,
    workers: int = 1,
) -> RebuildReport:
    """Recompute the projections of one programme (or all scopes) from the statements.

    Adds and flushes; the caller commits (or, for a dry run, rolls back — nothing is written
    then anyway). With ``workers`` > 1, mapping and replay run in that many processes, each
    reading its own teachers; this process writes. The configuration they read must be
    committed, so the setup (built-in frameworks stored on first use) is committed first.
    The output does not depend on the number of workers.

    Args:
        session: the unit of work.
        programme_id: rebuild this programme's scope only.
        ruleset_override: ``(rule set id, version)`` to map with instead of the active version.
        method_overrides: framework and programme methods to estimate with instead of the
            stored ones (a dry run of a method change).
        dry_run: compute and compare only; write nothing.
        progress: called with the number of people done after each batch.
        setup: a preloaded mapping setup (tests, the benchmark, the CLI); it must have been
            loaded with the same overrides, which worker processes load it with again.
        workers: processes that map and replay.
    """
    setup = setup or load_setup(
        session, ruleset_override=ruleset_override, method_overrides=method_overrides
    )
    scopes = set(setup.scopes) if programme_id is None else {programme_id}
    report = RebuildReport()
    people = people_with_statements(session)
    batches = list(_batches(people, PEOPLE_PER_BATCH))
    if workers > 1 and len(batches) > 1:
        session.commit()
    if not dry_run:
        _clear(session, None if programme_id is None else scopes)
    plan = _ReplayPlan(
        scopes=scopes,
        ruleset_override=ruleset_override,
        method_overrides=method_overrides,
        workers=workers,
        rows=not dry_run,
    )
    with _fewer_collections(), _large_sqlite_cache(session):
        _replay(session, setup, plan, batches, progress, report)
        session.flush()
    return report


@dataclass(frozen=True, slots=True)
class _ReplayPlan:
    """What a replay needs besides the session and setup; worker processes start from it.

    ``rows`` False is a dry run: compare, build no rows.
    """

    scopes: set[str]
    ruleset_override: tuple[str, int] | None
    method_overrides: MethodOverrides | None
    workers: int
    rows: bool


REBUILD_SQLITE_CACHE_KIB = 1 << 20
"""SQLite page cache of the writing connection during a rebuild: up to 1 GiB, taken as used.

The whole rebuild is one transaction; once its dirty pages outgrow the usual 64 MB cache,
SQLite spills them to the WAL mid-transaction and reads them back for the next inserts
(evidence is indexed by statement id, in no particular order). That is why the writer's CPU
per statement grew with the size of the rebuild (18 µs at 300k statements, 24 µs at 1M)."""


@contextmanager
def _large_sqlite_cache(session: Session) -> Iterator[None]:
    """On SQLite, give the session's connection `REBUILD_SQLITE_CACHE_KIB`, then restore it."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    saved = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{REBUILD_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(saved)}")


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run with `REBUILD_GC_THRESHOLD`, then restore the caller's thresholds."""
    saved = gc.get_threshold()
    gc.set_threshold(*REBUILD_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _replay(
    session: Session,
    setup: MappingSetup,
    plan: _ReplayPlan,
    batches: list[list[str]],
    progress: Callable[[int], None] | None,
    report: RebuildReport,
) -> None:
    scopes = plan.scopes
    for batch, output in zip(batches, _outputs(session, setup, plan, batches), strict=True):
        report.statements += output.statements
        report.evidence += output.evidence_count
        report.streams += len(output.ranks)
        if not plan.rows:
            report.changes.extend(_compare(session, scopes, batch, output.ranks))
        else:
            insert_values(session, EVIDENCE_TABLE, *output.evidence)
            insert_values(session, ESTIMATES_TABLE, *output.estimates)
            insert_values(session, POINTS_TABLE, *output.points)
            for scope, persons in sorted(output.members.items()):
                add_members(session, scope, sorted(persons))
        report.levels_reached.extend(unpack_levels(output.levels_reached))
        report.people += len(batch)
        if progress is not None:
            progress(len(batch))


@dataclass(frozen=True, slots=True)
class BatchOutput:
    """What mapping and replaying one batch of teachers produced, ready to insert.

    Plain tuples, not ORM objects or dicts: worker processes send these back, and unpickling
    tuples is what keeps the writing process from becoming the bottleneck. No rows in a dry
    run.
    """

    statements: int
    evidence_count: int
    evidence: RowValues
    estimates: RowValues
    points: RowValues
    ranks: list[tuple[StreamKey, int]]
    levels_reached: list[tuple[Any, ...]]
    """`pack_levels`: flat tuples pickle several times faster than the nested dataclasses."""
    members: dict[str, set[str]]


def _outputs(
    session: Session, setup: MappingSetup, plan: _ReplayPlan, batches: list[list[str]]
) -> Iterator[BatchOutput]:
    if plan.workers <= 1 or len(batches) <= 1:
        for batch in batches:
            yield rebuild_people(session, setup, plan.scopes, batch, rows=plan.rows)
        return
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with context.Pool(plan.workers, initializer=_start_worker, initargs=(url, plan)) as pool:
        yield from pool.imap(_worker_batch, batches)


_WORKER: dict[str, Any] = {}


def _start_worker(url: str, plan: _ReplayPlan) -> None:
    from lti_tool.db import make_engine

    engine = make_engine(url)
    session = Session(engine)
    _WORKER.update(
        session=session,
        setup=load_setup(
            session,
            ruleset_override=plan.ruleset_override,
            method_overrides=plan.method_overrides,
        ),
        scopes=plan.scopes,
        rows=plan.rows,
    )
    session.rollback()
    # The worker's own process: what it loaded lives as long as it does, out of the
    # collector's way, and batches run with the rebuild's thresholds (see above).
    gc.freeze()
    gc.set_threshold(*REBUILD_GC_THRESHOLD)


def _worker_batch(people: list[str]) -> BatchOutput:
    session: Session = _WORKER["session"]
    try:
        return rebuild_people(
            session, _WORKER["setup"], _WORKER["scopes"], people, rows=_WORKER["rows"]
        )
    finally:
        session.rollback()


def rebuild_people(
    session: Session, setup: MappingSetup, scopes: set[str], people: list[str], *, rows: bool
) -> BatchOutput:
    """Map and replay every statement of these teachers (read only).

    With ``rows`` False (a dry run) the rows to insert are not built.
    """
    form = time_form(session.get_bind().dialect.name)
    streams: dict[StreamKey, list[Evidence]] = {}
    evidence_rows: list[tuple[Any, ...]] = []
    members: dict[str, set[str]] = {}
    statements = evidence = 0
    # Core, not the ORM: plain column rows need none of its loading machinery.
    result = session.connection().execute(
        select(*STATEMENT_COLUMNS)
        .where(actor_among(people))
        .order_by(Statement.person_id, Statement.seq)
    )
    for raw in result:
        statements += 1
        for mapped in map_statement(setup, statement_input(raw)):
            if mapped.scope not in scopes:
                continue
            evidence += 1
            if rows:
                evidence_rows.append(evidence_values(mapped, form))
            item = mapped.evidence
            key = (mapped.scope, item.person_id, item.competency.framework_id, item.competency.code)
            streams.setdefault(key, []).append(item)
            if mapped.scope:
                members.setdefault(mapped.scope, set()).add(item.person_id)
    projections = [
        projection
        for key in sorted(streams)
        if (projection := project_stream(setup, key, streams[key])) is not None
    ]
    estimates: list[tuple[Any, ...]] = []
    points: list[tuple[Any, ...]] = []
    if rows:
        for projection in projections:
            estimates.append(estimate_values(projection, form))
            points.extend(point_values(projection, form))
    return BatchOutput(
        statements=statements,
        evidence_count=evidence,
        evidence=(EVIDENCE_COLUMNS, evidence_rows),
        estimates=(ESTIMATE_COLUMNS, estimates),
        points=(POINT_COLUMNS, points),
        ranks=[(p.key, p.level_rank) for p in projections],
        levels_reached=pack_levels(item for p in projections for item in p.levels_reached),
        members=members,
    )


def pack_levels(levels: Iterable[LevelReached]) -> list[tuple[Any, ...]]:
    """Levels reached as flat tuples of their fields, to send between processes.

    Pickling a frozen dataclass with slots calls Python-level ``__getstate__`` and
    ``__setstate__`` for it and for each nested one; a rebuild of 1M statements reaches ≈ 330k
    levels, and sending them as objects cost more than all the rows together.
    """
    packed: list[tuple[Any, ...]] = []
    for level in levels:
        estimate = level.estimate
        interval = estimate.interval
        packed.append(
            (
                level.scope,
                level.person_id,
                level.framework_version_id,
                level.competency,
                level.at,
                estimate.value,
                estimate.level,
                estimate.evidence_count,
                estimate.effective_sample_size,
                interval.low,
                interval.high,
                interval.confidence,
                estimate.raw_value,
                estimate.participation_capped,
                estimate.latest_evidence_at,
            )
        )
    return packed


def unpack_levels(packed: Iterable[tuple[Any, ...]]) -> list[LevelReached]:
    """The levels `pack_levels` packed, equal to the originals."""
    return [
        LevelReached(
            scope,
            person_id,
            version,
            competency,
            Estimate(
                value,
                level,
                count,
                sample_size,
                Interval(low, high, confidence),
                raw_value,
                capped,
                latest,
            ),
            at,
        )
        for (
            scope,
            person_id,
            version,
            competency,
            at,
            value,
            level,
            count,
            sample_size,
            low,
            high,
            confidence,
            raw_value,
            capped,
            latest,
        ) in packed
    ]


def _clear(session: Session, scopes: set[str] | None) -> None:
    for model in (TrajectoryPointRecord, EstimateRecord, EvidenceRecord):
        statement = delete(model)
        if scopes is not None:
            statement = statement.where(model.scope.in_(sorted(scopes)))
        session.execute(statement)


def _compare(
    session: Session, scopes: set[str], people: list[str], ranks: list[tuple[StreamKey, int]]
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
    new = dict(ranks)
    changes = []
    for key in sorted(stored.keys() | new.keys()):
        old_rank, new_rank = stored.get(key, 0), new.get(key, 0)
        if old_rank != new_rank:
            changes.append(LevelChange(*key, old_rank=old_rank, new_rank=new_rank))
    return changes
