"""Load what a target's filters need from the database: its programmes' courses and members,
and the facts of stored statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.export.filters import (
    ProgrammeScope,
    StatementFacts,
    TargetFilter,
    load_filters,
    programme_ids,
)
from lti_tool.models.competencies import Programme, ProgrammeContext, ProgrammeMember
from lti_tool.models.export import RemoteLrs
from lti_tool.models.lrs import ActivityIri, Source, Statement, StatementActivity

#: ``ProgrammeContext.kind`` of a course named by its activity IRI.
COURSE_CONTEXT = "course"


def missing_programmes(session: Session, wanted: Sequence[str]) -> list[str]:
    """Those of ``wanted`` that are not programme ids."""
    if not wanted:
        return []
    known = set(session.scalars(select(Programme.id).where(Programme.id.in_(list(wanted)))))
    return [programme for programme in wanted if programme not in known]


def programme_scope(session: Session, programme_id: str) -> ProgrammeScope:
    """A programme's course activity IRIs and member person ids, as they are now."""
    courses = session.scalars(
        select(ProgrammeContext.key).where(
            ProgrammeContext.programme_id == programme_id,
            ProgrammeContext.kind == COURSE_CONTEXT,
        )
    )
    members = session.scalars(
        select(ProgrammeMember.person_id).where(ProgrammeMember.programme_id == programme_id)
    )
    return ProgrammeScope(courses=frozenset(courses), members=frozenset(members))


def target_filter(session: Session, remote: RemoteLrs) -> TargetFilter:
    """The remote's filters with the programmes they name loaded."""
    filters = load_filters(remote.filters)
    return TargetFilter(
        remote.name,
        tuple(filters),
        {programme: programme_scope(session, programme) for programme in programme_ids(filters)},
    )


def statement_facts(
    session: Session, seqs: Sequence[int], *, with_details: bool
) -> dict[int, StatementFacts]:
    """The facts of the statements at ``seqs`` (activities and person only when asked)."""
    if not seqs:
        return {}
    names = dict(session.execute(select(Source.id, Source.name)).all())
    rows = session.execute(
        select(Statement.seq, Statement.source_id, Statement.person_id).where(
            Statement.seq.in_(list(seqs))
        )
    ).all()
    activities: dict[int, set[str]] = defaultdict(set)
    if with_details:
        for seq, activity in session.execute(
            select(StatementActivity.statement_seq, ActivityIri.iri)
            .join(ActivityIri, ActivityIri.id == StatementActivity.activity_iri_id)
            .where(StatementActivity.statement_seq.in_(list(seqs)))
        ):
            activities[seq].add(activity)
    return {
        seq: StatementFacts(
            source_name=names[source_id],
            person_id=person_id if with_details else None,
            activities=frozenset(activities.get(seq, ())),
        )
        for seq, source_id, person_id in rows
    }
