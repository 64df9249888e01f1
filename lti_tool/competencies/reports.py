"""Read use cases of the JSON API: estimates with roll-up, trajectories, evidence,
explanations and a cohort's matrix. Plain dictionaries out; the API's schemas dump them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from competency_models.evidence import EvidenceKind
from competency_models.explain import explain
from competency_models.rollup import roll_up
from competency_models.trajectory import Phase, ProgrammePhases
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.frameworks_store import framework_version
from lti_tool.competencies.mapping_setup import GLOBAL_SCOPE, scope_rollup, stream_method
from lti_tool.competencies.programmes import get_programme
from lti_tool.competencies.projection import evidence_from_record
from lti_tool.competencies.queries import activity_name, current_estimates, estimate_row
from lti_tool.models.competencies import (
    EstimateRecord,
    EvidenceRecord,
    ProgrammeMember,
    TrajectoryPointRecord,
)
from lti_tool.models.identity import Person
from lti_tool.models.lrs import Statement


class NotFound(LookupError):
    """What was asked for does not exist (a 404)."""


def _person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id!r}")
    return person


def _scope(session: Session, programme_id: str | None) -> str:
    if programme_id is None:
        return GLOBAL_SCOPE
    get_programme(session, programme_id)
    return programme_id


def teacher_estimates(
    session: Session, person_id: str, *, programme_id: str | None = None
) -> dict[str, Any]:
    """A teacher's current estimates, and their roll-up to parents and frameworks."""
    _person(session, person_id)
    records = current_estimates(session, person_id, programme_id=programme_id)
    rows = [estimate_row(session, record) for record in records]
    rule = scope_rollup(session, _scope(session, programme_id))
    rollups = []
    by_framework: dict[int, dict[str, float]] = {}
    for record in records:
        by_framework.setdefault(record.framework_version_id, {})[record.code] = record.value
    for version_pk, values in sorted(by_framework.items()):
        version = framework_version(session, version_pk)
        assert version is not None
        framework = version.framework
        leaves = {code: value for code, value in values.items() if not framework.children(code)}
        result = roll_up(framework.parent_codes(), leaves, rule, framework.scale)
        rollups.append(
            {
                "framework_id": framework.id,
                "framework_version": framework.version,
                "framework": _node(result.framework),
                "nodes": [_node(node) for node in result.nodes.values() if node.children],
            }
        )
    return {"person_id": person_id, "estimates": rows, "rollups": rollups}


def _node(node: Any) -> dict[str, Any]:
    return {
        "code": node.code,
        "value": node.value,
        "level_rank": None if node.level is None else node.level.rank,
        "level_code": None if node.level is None else node.level.code,
        "met": node.met,
        "points": node.points,
        "children": len(node.children),
        "assessed_children": node.assessed_children,
    }


def teacher_trajectory(
    session: Session,
    person_id: str,
    framework_id: str,
    code: str,
    *,
    programme_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    phase: str | None = None,
) -> dict[str, Any]:
    """One teacher's trajectory of one competency, cut by date range or programme phase.

    Raises:
        NotFound: no such person, or a phase asked of a programme without phase dates.
    """
    _person(session, person_id)
    scope = _scope(session, programme_id)
    if phase is not None:
        if programme_id is None:
            raise NotFound("a phase needs a programme")
        programme = get_programme(session, programme_id)
        if programme.starts_at is None or programme.ends_at is None:
            raise NotFound(f"programme {programme_id!r} has no phase dates")
        phases = ProgrammePhases(as_utc(programme.starts_at), as_utc(programme.ends_at))
        wanted = Phase(phase)
        if wanted is Phase.PRE:
            until = phases.starts_at
        elif wanted is Phase.DURING:
            since, until = phases.starts_at, phases.ends_at
        else:
            since = phases.ends_at
    query = (
        select(TrajectoryPointRecord)
        .where(
            TrajectoryPointRecord.scope == scope,
            TrajectoryPointRecord.person_id == person_id,
            TrajectoryPointRecord.framework_id == framework_id,
            TrajectoryPointRecord.code == code,
        )
        .order_by(TrajectoryPointRecord.position)
    )
    points = []
    for point in session.scalars(query):
        at = as_utc(point.at)
        if (since is not None and at < since) or (until is not None and at >= until):
            continue
        points.append(
            {
                "at": at,
                "value": point.value,
                "interval_low": point.interval_low,
                "interval_high": point.interval_high,
                "level_rank": point.level_rank,
                "evidence_count": point.evidence_count,
                "statement_id": point.statement_id,
            }
        )
    return {
        "person_id": person_id,
        "framework_id": framework_id,
        "code": code,
        "scope": scope,
        "points": points,
    }


def teacher_evidence(
    session: Session,
    person_id: str,
    *,
    programme_id: str | None = None,
    framework_id: str | None = None,
    code: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """A teacher's evidence, newest first, with provenance."""
    _person(session, person_id)
    query = (
        select(EvidenceRecord, Statement.document)
        .join(Statement, Statement.id == EvidenceRecord.statement_id)
        .where(EvidenceRecord.person_id == person_id)
    )
    if programme_id is not None:
        query = query.where(EvidenceRecord.scope == _scope(session, programme_id))
    if framework_id is not None:
        query = query.where(EvidenceRecord.framework_id == framework_id)
    if code is not None:
        query = query.where(EvidenceRecord.code == code)
    query = query.order_by(
        EvidenceRecord.observed_at.desc(), EvidenceRecord.statement_id, EvidenceRecord.position
    ).limit(limit)
    items = [
        {**_evidence_dict(record), "activity_name": activity_name(document)}
        for record, document in session.execute(query)
    ]
    return {"person_id": person_id, "evidence": items}


def _evidence_dict(record: EvidenceRecord) -> dict[str, Any]:
    return {
        "scope": record.scope,
        "framework_id": record.framework_id,
        "code": record.code,
        "value": record.value,
        "weight": record.weight,
        "kind": record.kind,
        "observed_at": as_utc(record.observed_at),
        "statement_id": record.statement_id,
        "ruleset_id": record.ruleset_id or None,
        "ruleset_version": record.ruleset_version or None,
        "rule_id": record.rule_id or None,
    }


def explanation(
    session: Session,
    person_id: str,
    framework_id: str,
    code: str,
    *,
    programme_id: str | None = None,
) -> dict[str, Any]:
    """The evidence and statements behind one estimate, with each item's share.

    Raises:
        NotFound: no such person, or no estimate of that competency.
    """
    _person(session, person_id)
    scope = _scope(session, programme_id)
    estimate = session.get(EstimateRecord, (scope, person_id, framework_id, code))
    if estimate is None:
        raise NotFound(f"no estimate of {framework_id}#{code} for {person_id} in this scope")
    records = list(
        session.scalars(
            select(EvidenceRecord).where(
                EvidenceRecord.scope == scope,
                EvidenceRecord.person_id == person_id,
                EvidenceRecord.framework_id == framework_id,
                EvidenceRecord.code == code,
            )
        )
    )
    version = framework_version(session, estimate.framework_version_id)
    assert version is not None
    method = stream_method(session, scope, framework_id)
    result = explain([evidence_from_record(r) for r in records], method, version.framework.scale)
    assert result is not None
    documents = {
        statement_id: document
        for statement_id, document in session.execute(
            select(Statement.id, Statement.document).where(
                Statement.id.in_({record.statement_id for record in records})
            )
        )
    }
    return {
        "person_id": person_id,
        "framework_id": framework_id,
        "code": code,
        "scope": scope,
        "method": result.method,
        "value": result.estimate.value,
        "level_rank": result.estimate.level.rank,
        "level_code": result.estimate.level.code,
        "interval_low": result.estimate.interval.low,
        "interval_high": result.estimate.interval.high,
        "evidence_count": result.estimate.evidence_count,
        "linear_value": result.linear_value,
        "adjustments": [
            {"reason": adjustment.reason.value, "amount": adjustment.amount}
            for adjustment in result.adjustments
        ],
        "items": [
            {
                "observed_at": as_utc(item.observed_at),
                "kind": item.kind.value,
                "value": item.value,
                "effective_weight": item.effective_weight,
                "share": item.share,
                "contribution": item.contribution,
                "counted": item.counted,
                "participation": item.kind is EvidenceKind.PARTICIPATION,
                "statement_id": item.provenance.statement_id,
                "ruleset_id": item.provenance.ruleset_id,
                "ruleset_version": item.provenance.ruleset_version,
                "rule_id": item.provenance.rule_id,
                "activity_name": activity_name(documents.get(item.provenance.statement_id, "")),
            }
            for item in result.items
        ],
    }


def cohort_matrix(session: Session, programme_id: str) -> dict[str, Any]:
    """A programme's teachers × competencies: each cell the level rank and value."""
    programme = get_programme(session, programme_id)
    members = [
        (person_id, name)
        for person_id, name in session.execute(
            select(ProgrammeMember.person_id, Person.display_name)
            .join(Person, Person.id == ProgrammeMember.person_id)
            .where(ProgrammeMember.programme_id == programme_id)
            .order_by(ProgrammeMember.person_id)
        )
    ]
    cells: dict[str, dict[str, Any]] = {}
    competencies: dict[str, None] = {}
    for record in session.scalars(
        select(EstimateRecord)
        .where(EstimateRecord.scope == programme_id)
        .order_by(EstimateRecord.framework_id, EstimateRecord.code)
    ):
        column = f"{record.framework_id}#{record.code}"
        competencies[column] = None
        cells.setdefault(record.person_id, {})[column] = {
            "level_rank": record.level_rank,
            "level_code": record.level_code,
            "value": record.value,
            "evidence_count": record.evidence_count,
        }
    return {
        "programme_id": programme.id,
        "competencies": sorted(competencies),
        "rows": [
            {"person_id": person_id, "display_name": name, "cells": cells.get(person_id, {})}
            for person_id, name in members
        ],
    }
