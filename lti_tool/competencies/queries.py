"""The queries behind the LTI pages: a teacher's own overview and a trainer's roster.

They return the read models of `lti_tool.competencies.overview`; the pages only render them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competency_models.frameworks import code_sort_key
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.frameworks_store import framework_version
from lti_tool.competencies.mapping_setup import trellis_source_id
from lti_tool.competencies.overview import CohortRow, EstimateRow, EvidenceRow, TeacherOverview
from lti_tool.lrs.statement_store import actor_among
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord, StoredFramework
from lti_tool.models.identity import Person
from lti_tool.models.lrs import Statement


def activity_name(document: str) -> str | None:
    """The statement object's name in its first language, if it has one."""
    try:
        statement: Any = orjson.loads(document)
        names = statement["object"]["definition"]["name"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if isinstance(names, dict) and names:
        first = next(iter(names.values()))
        return first if isinstance(first, str) else None
    return None


def estimate_row(session: Session, record: EstimateRecord) -> EstimateRow:
    """The read model of a stored estimate, with titles and level labels of its version."""
    version = framework_version(session, record.framework_version_id)
    assert version is not None  # a foreign key guarantees it
    framework = version.framework
    item = framework.get(record.code)
    level = framework.scale.level_by_rank(record.level_rank)
    return EstimateRow(
        framework_id=record.framework_id,
        framework_title_zh=framework.title_zh,
        framework_title_en=framework.title_en,
        code=record.code,
        title_zh=item.title_zh if item else "",
        title_en=item.title_en if item else "",
        value=record.value,
        interval_low=record.interval_low,
        interval_high=record.interval_high,
        level_rank=record.level_rank,
        level_code=level.code,
        level_label_zh=level.label_zh,
        level_label_en=level.label_en,
        evidence_count=record.evidence_count,
        updated_at=as_utc(record.latest_evidence_at),
    )


def current_estimates(
    session: Session, person_id: str, *, programme_id: str | None = None
) -> list[EstimateRecord]:
    """A teacher's estimates in one programme, or their newest per competency across scopes."""
    query = select(EstimateRecord).where(EstimateRecord.person_id == person_id)
    if programme_id is not None:
        query = query.where(EstimateRecord.scope == programme_id)
    chosen: dict[tuple[str, str], EstimateRecord] = {}
    for record in session.scalars(query.order_by(EstimateRecord.scope)):
        key = (record.framework_id, record.code)
        held = chosen.get(key)
        if held is None or as_utc(record.latest_evidence_at) > as_utc(held.latest_evidence_at):
            chosen[key] = record
    return [chosen[key] for key in sorted(chosen, key=_code_order)]


def _code_order(key: tuple[str, str]) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    return key[0], code_sort_key(key[1])


def teacher_overview(
    session: Session,
    person_id: str,
    *,
    programme_id: str | None = None,
    evidence_limit: int = 20,
) -> TeacherOverview:
    """Everything a teacher's own page shows: current estimates and recent evidence.

    Args:
        session: the unit of work (read only).
        person_id: the teacher.
        programme_id: one programme's view; None for the teacher's newest estimate of each
            competency across programmes.
        evidence_limit: how many pieces of evidence to list, newest first.
    """
    person = session.get(Person, person_id)
    estimates = tuple(
        estimate_row(session, record)
        for record in current_estimates(session, person_id, programme_id=programme_id)
    )
    query = (
        select(EvidenceRecord, Statement.document)
        .join(Statement, Statement.id == EvidenceRecord.statement_id)
        .where(EvidenceRecord.person_id == person_id)
    )
    if programme_id is not None:
        query = query.where(EvidenceRecord.scope == programme_id)
    query = query.order_by(
        EvidenceRecord.observed_at.desc(),
        EvidenceRecord.statement_id.desc(),
        EvidenceRecord.position,
    ).limit(evidence_limit)
    titles = _item_titles(session)
    evidence = tuple(
        EvidenceRow(
            observed_at=as_utc(record.observed_at),
            framework_id=record.framework_id,
            code=record.code,
            title_zh=titles.get((record.framework_id, record.code), ("", ""))[0],
            title_en=titles.get((record.framework_id, record.code), ("", ""))[1],
            value=record.value,
            kind=record.kind,
            statement_id=record.statement_id,
            activity_name=activity_name(document),
        )
        for record, document in session.execute(query)
    )
    return TeacherOverview(
        person_id=person_id,
        display_name=person.display_name if person else None,
        estimates=estimates,
        recent_evidence=evidence,
    )


def _item_titles(session: Session) -> dict[tuple[str, str], tuple[str, str]]:
    """Item titles of the newest version of every stored framework."""
    newest: dict[str, int] = {}
    for pk, framework_id in session.execute(
        select(StoredFramework.id, StoredFramework.framework_id).order_by(StoredFramework.id)
    ):
        newest[framework_id] = pk
    titles: dict[tuple[str, str], tuple[str, str]] = {}
    for pk in newest.values():
        version = framework_version(session, pk)
        if version is None:
            continue
        for item in version.framework.items:
            titles[(version.framework.id, item.code)] = (item.title_zh, item.title_en)
    return titles


def cohort_overview(
    session: Session, person_ids: Iterable[str], *, programme_id: str | None = None
) -> dict[str, CohortRow]:
    """One roster row per teacher: last activity, statements and evidence counted.

    Statements are the teacher's own, across the whole log (a statement is not owned by one
    programme; Trellis's "level reached" statements are not activity and are not counted);
    evidence is counted in the programme when one is given.
    """
    people = sorted(set(person_ids))
    trellis = trellis_source_id(session)
    activity: dict[str, tuple[Any, int]] = {}
    evidence: dict[str, int] = {}
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        own = select(Statement.person_id, func.max(Statement.timestamp), func.count()).where(
            actor_among(chunk), Statement.voided.is_(False)
        )
        if trellis is not None:
            own = own.where(Statement.source_id != trellis)
        for person_id, newest, count in session.execute(own.group_by(Statement.person_id)):
            if person_id is not None:
                activity[person_id] = (newest, count)
        query = (
            select(EvidenceRecord.person_id, func.count())
            .where(EvidenceRecord.person_id.in_(chunk))
            .group_by(EvidenceRecord.person_id)
        )
        if programme_id is not None:
            query = query.where(EvidenceRecord.scope == programme_id)
        for person_id, count in session.execute(query):
            evidence[person_id] = count
    rows: dict[str, CohortRow] = {}
    for person_id in people:
        newest, count = activity.get(person_id, (None, 0))
        rows[person_id] = CohortRow(
            person_id=person_id,
            last_activity_at=None if newest is None else as_utc(newest),
            statement_count=count,
            evidence_count=evidence.get(person_id, 0),
        )
    return rows
