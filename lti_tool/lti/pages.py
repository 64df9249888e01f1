"""Where a validated launch lands: the teacher's own record, the trainer's roster, or the
deep-linking picker. Each use case returns a template name and what it renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.competencies import programmes, queries
from lti_tool.competencies.overview import CohortRow, TeacherOverview
from lti_tool.lti import claims, services
from lti_tool.lti.check_in import find_check_in
from lti_tool.lti.claims import LaunchFacts, LinkTarget, View
from lti_tool.lti.deep_linking import CHOICES
from lti_tool.lti.errors import LtiError
from lti_tool.lti.i18n import problem_text, texts
from lti_tool.lti.launch import TrellisMessageLaunch


@dataclass(frozen=True)
class Page:
    """A template and its values."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One row of the trainer's table."""

    name: str
    user_id: str
    row: CohortRow


def land(session: Session, launch: TrellisMessageLaunch, *, now: datetime, launch_id: str) -> Page:
    """Link the user to their person record and pick the page the launch opens.

    Raises:
        LtiError: 403 when a teacher sends a deep-linking request.
    """
    facts = LaunchFacts.from_claims(launch.get_launch_data())
    person_id = services.person_for_launch(session, facts, now=now)
    _join_programme(session, facts, person_id, now=now)
    base = {"facts": facts, "t": texts(facts.locale), "launch_id": launch_id}
    if facts.message_type == claims.DEEP_LINKING_REQUEST:
        if facts.view is not View.TRAINER:
            raise LtiError(
                403,
                "Only a course's teachers (Moodle: Instructor) can add Trellis links.",
                code="forbidden",
            )
        return Page("lti/deep_link.html", {**base, "choices": CHOICES})
    if facts.view is View.TRAINER:
        return trainer_page(session, launch, facts, now=now, base=base)
    # Across programmes: the context's own programme only holds evidence once an administrator
    # binds its course, and a teacher's growth is theirs wherever it was observed.
    overview = queries.teacher_overview(session, person_id)
    return Page(
        "lti/teacher.html",
        {
            **base,
            "overview": overview,
            "attainment": attainment(overview),
            "offers_score": facts.target in (LinkTarget.PRE_ASSESSMENT, LinkTarget.POST_ASSESSMENT),
            "checked_in": find_check_in(session, facts)
            if facts.target is LinkTarget.CHECK_IN
            else None,
        },
    )


def trainer_page(
    session: Session,
    launch: TrellisMessageLaunch,
    facts: LaunchFacts,
    *,
    now: datetime,
    base: dict[str, Any],
) -> Page:
    """The course roster (NRPS) with each teacher's last activity and evidence count."""
    problem = None
    try:
        members = [
            m for m in services.fetch_roster(session, launch, facts, now=now) if not m.is_trainer
        ]
    except services.ServiceUnavailable as error:
        members, problem = [], problem_text(facts.locale, str(error))
    rows = queries.cohort_overview(session, [m.person_id for m in members])
    lines = [
        RosterLine(
            name=m.name or m.user_id,
            user_id=m.user_id,
            row=rows.get(m.person_id) or _empty_row(m.person_id),
        )
        for m in members
    ]
    values = {"lines": lines, "problem": problem, "offers_sync": launch.has_ags() and lines}
    return Page("lti/trainer.html", {**base, **values})


def send_cohort_attainment(
    page: Page, session: Session, launch: TrellisMessageLaunch, *, now: datetime
) -> None:
    """Post every listed teacher's attainment to the gradebook, noting the outcome on the page.

    Raises:
        LtiError: 403 unless the page is the trainer's roster.
    """
    if page.template != "lti/trainer.html":
        raise LtiError(403, "Only a trainer's launch sends the cohort's scores.", code="forbidden")
    facts: LaunchFacts = page.values["facts"]
    lines: list[RosterLine] = page.values["lines"]
    scores = {
        line.user_id: attainment(queries.teacher_overview(session, line.row.person_id))
        for line in lines
    }
    t = texts(facts.locale)
    try:
        services.post_scores(launch, facts, scores, timestamp=now)
        page.values["score_result"] = ("ok", f"{t['score_sent']} ({len(scores)} {t['people']})")
    except services.ServiceUnavailable as error:
        page.values["score_result"] = ("problem", problem_text(facts.locale, str(error)))


def attainment(overview: TeacherOverview) -> float:
    """The mean of the teacher's current estimates, 0–100 (0 with none)."""
    values = [row.value for row in overview.estimates]
    return round(100 * sum(values) / len(values), 1) if values else 0.0


def _empty_row(person_id: str) -> CohortRow:
    return CohortRow(
        person_id=person_id, last_activity_at=None, statement_count=0, evidence_count=0
    )


def _join_programme(session: Session, facts: LaunchFacts, person_id: str, *, now: datetime) -> None:
    """Make the course's programme known to the engine, and the launching teacher its member."""
    if facts.context_id is None:
        return
    programme = programmes.ensure_programme_for_context(
        session,
        issuer=facts.issuer,
        context_id=facts.context_id,
        title=facts.context_title or facts.context_id,
        now=now,
    )
    role = programmes.TRAINER if facts.view is View.TRAINER else programmes.TEACHER
    programmes.add_members(session, programme.id, [person_id], role=role)
