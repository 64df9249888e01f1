"""Replay: recompute evidence, estimates and trajectories from the statement log.

Statements are the source of truth. A rebuild reads them teacher by teacher (the
``(person_id, seq)`` index), maps them with the active rule sets (or a rule-set version under
trial), and rewrites the projections of the chosen scopes. The same log and configuration always
give the same rows (`dump_projection` shows it byte for byte). A dry run writes nothing and
reports whose levels would change.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from competency_models.evidence import Evidence
from lti_tool.competencies.mapping_setup import MappingSetup, MethodOverrides, load_setup
from lti_tool.competencies.programmes import add_members
from lti_tool.competencies.projection import (
    ESTIMATES_TABLE,
    EVIDENCE_TABLE,
    POINTS_TABLE,
    STATEMENT_COLUMNS,
    LevelReached,
    RowValues,
    StreamKey,
    evidence_row,
    insert_values,
    map_statement,
    project_stream,
    row_values,
    statement_input,
)
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord, TrajectoryPointRecord
from lti_tool.models.lrs import Statement

PEOPLE_PER_BATCH = 500


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
    outputs = _outputs(session, setup, scopes, batches, ruleset_override, method_overrides, workers)
    for batch, output in zip(batches, outputs, strict=True):
        report.statements += output.statements
        report.evidence += len(output.evidence[1])
        report.streams += len(output.ranks)
        if dry_run:
            report.changes.extend(_compare(session, scopes, batch, output.ranks))
        else:
            insert_values(session, EVIDENCE_TABLE, *output.evidence)
            insert_values(session, ESTIMATES_TABLE, *output.estimates)
            insert_values(session, POINTS_TABLE, *output.points)
            for scope, persons in sorted(output.members.items()):
                add_members(session, scope, sorted(persons))
        report.levels_reached.extend(output.levels_reached)
        report.people += len(batch)
        if progress is not None:
            progress(len(batch))
    session.flush()
    return report


@dataclass(frozen=True, slots=True)
class BatchOutput:
    """What mapping and replaying one batch of teachers produced, ready to insert.

    Plain tuples, not ORM objects or dicts: worker processes send these back, and pickling
    tuples is what keeps the writing process from becoming the bottleneck.
    """

    statements: int
    evidence: RowValues
    estimates: RowValues
    points: RowValues
    ranks: list[tuple[StreamKey, int]]
    levels_reached: list[LevelReached]
    members: dict[str, set[str]]


def _outputs(
    session: Session,
    setup: MappingSetup,
    scopes: set[str],
    batches: list[list[str]],
    ruleset_override: tuple[str, int] | None,
    method_overrides: MethodOverrides | None,
    workers: int,
) -> Iterator[BatchOutput]:
    if workers <= 1 or len(batches) <= 1:
        sqlite = session.get_bind().dialect.name == "sqlite"
        for batch in batches:
            yield rebuild_people(session, setup, scopes, batch, sqlite=sqlite)
        return
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        workers,
        initializer=_start_worker,
        initargs=(url, ruleset_override, method_overrides, scopes),
    ) as pool:
        yield from pool.imap(_worker_batch, batches)


_WORKER: dict[str, Any] = {}


def _start_worker(
    url: str,
    ruleset_override: tuple[str, int] | None,
    method_overrides: MethodOverrides | None,
    scopes: set[str],
) -> None:
    from lti_tool.db import make_engine

    engine = make_engine(url)
    session = Session(engine)
    _WORKER.update(
        session=session,
        setup=load_setup(
            session, ruleset_override=ruleset_override, method_overrides=method_overrides
        ),
        scopes=scopes,
    )
    session.rollback()


def _worker_batch(people: list[str]) -> BatchOutput:
    session: Session = _WORKER["session"]
    try:
        return rebuild_people(
            session,
            _WORKER["setup"],
            _WORKER["scopes"],
            people,
            sqlite=session.get_bind().dialect.name == "sqlite",
        )
    finally:
        session.rollback()


def rebuild_people(
    session: Session, setup: MappingSetup, scopes: set[str], people: list[str], *, sqlite: bool
) -> BatchOutput:
    """Map and replay every statement of these teachers (read only)."""
    streams: dict[StreamKey, list[Evidence]] = {}
    evidence_rows: list[dict[str, Any]] = []
    members: dict[str, set[str]] = {}
    statements = 0
    result = session.execute(
        select(*STATEMENT_COLUMNS)
        .where(Statement.person_id.in_(people))
        .order_by(Statement.person_id, Statement.seq)
    )
    for raw in result:
        statements += 1
        for mapped in map_statement(setup, statement_input(raw)):
            if mapped.scope not in scopes:
                continue
            evidence_rows.append(evidence_row(mapped))
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
    return BatchOutput(
        statements=statements,
        evidence=row_values(evidence_rows, sqlite=sqlite),
        estimates=row_values([p.estimate_row for p in projections], sqlite=sqlite),
        points=row_values([row for p in projections for row in p.point_rows], sqlite=sqlite),
        ranks=[(p.key, int(p.estimate_row["level_rank"])) for p in projections],
        levels_reached=[item for p in projections for item in p.levels_reached],
        members=members,
    )


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
