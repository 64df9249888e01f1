"""What a launch does with the platform's services and our records.

Identity: the LTI user (issuer, ``sub``) is the person Moodle's xAPI statements name as account
``homePage = issuer, name = sub``. AGS: a teacher's score goes to the course gradebook, in a line
item found by tag or created. NRPS: the course roster, so trainers also see teachers who never
launched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from requests import RequestException
from sqlalchemy.orm import Session

from lti_tool.identity import account_key, resolve_people
from lti_tool.lti import claims
from lti_tool.lti.claims import LaunchFacts, LinkTarget
from lti_tool.lti.launch import TrellisMessageLaunch

SCORE_MAXIMUM = 100.0
NAME_LENGTH = 255
"""``persons.display_name`` holds this many characters; longer names are cut, not refused."""


class ServiceUnavailable(Exception):
    """A platform service could not be used; the message says why, for the page to show."""


def person_for_launch(session: Session, facts: LaunchFacts, *, now: datetime) -> str:
    """The person id of the launching user, linked to their xAPI identity."""
    key = account_key(facts.issuer, facts.subject)
    names = {key: facts.name[:NAME_LENGTH]} if facts.name else None
    return resolve_people(session, [key], now=now, display_names=names)[key]


@dataclass(frozen=True, slots=True)
class RosterMember:
    """One course member from NRPS, with their Trellis person id."""

    user_id: str
    person_id: str
    name: str | None
    is_trainer: bool
    status: str


def fetch_roster(
    session: Session, launch: TrellisMessageLaunch, facts: LaunchFacts, *, now: datetime
) -> list[RosterMember]:
    """The course's members (LTI-NRPS 2.0), each resolved to a person.

    Raises:
        ServiceUnavailable: no NRPS claim, or the platform refused or failed.
    """
    if not launch.has_nrps():
        raise ServiceUnavailable("nrps_disabled")
    try:
        members = launch.get_nrps().get_members()
    except (LtiException, LtiServiceException, RequestException, ValueError, KeyError) as error:
        raise ServiceUnavailable(f"nrps_failed: {error}") from None
    usable = [
        m
        for m in members
        if isinstance(m, dict) and m.get("user_id") and len(str(m["user_id"])) <= 255
    ]
    keys = {str(m["user_id"]): account_key(facts.issuer, str(m["user_id"])) for m in usable}
    names = {keys[str(m["user_id"])]: str(m["name"])[:NAME_LENGTH] for m in usable if m.get("name")}
    people = resolve_people(session, keys.values(), now=now, display_names=names)
    roster = [
        RosterMember(
            user_id=str(member["user_id"]),
            person_id=people[keys[str(member["user_id"])]],
            name=str(member["name"]) if member.get("name") else None,
            is_trainer=claims.view_for_roles(_list(member.get("roles"))) is claims.View.TRAINER,
            status=str(member.get("status") or "Active"),
        )
        for member in usable
    ]
    return sorted(roster, key=lambda m: (m.is_trainer, m.name or "", m.user_id))


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


_LINE_ITEM_LABELS = {
    LinkTarget.PRE_ASSESSMENT: "Trellis 前测 Pre-assessment",
    LinkTarget.POST_ASSESSMENT: "Trellis 后测 Post-assessment",
}
_DEFAULT_LABEL = "Trellis 能力达成 Competency attainment"


def post_score(
    launch: TrellisMessageLaunch, facts: LaunchFacts, *, score: float, timestamp: datetime
) -> str:
    """Post the launching teacher's score (0–100) to the gradebook (LTI-AGS 2.0 §3.4).

    Returns:
        The line item URL the score went to.

    Raises:
        ServiceUnavailable: no AGS claim, no permission, or the platform refused or failed.
    """
    return post_scores(launch, facts, {facts.subject: score}, timestamp=timestamp)


def post_scores(
    launch: TrellisMessageLaunch,
    facts: LaunchFacts,
    scores: Mapping[str, float],
    *,
    timestamp: datetime,
) -> str:
    """Post scores (0–100) by platform user id to one gradebook line item (LTI-AGS 2.0 §3.4).

    The line item is the launch's own when Moodle coupled one, else the one tagged
    ``trellis-<target>`` in the course (pre-assessment, post-assessment, or attainment), created
    when missing.

    Returns:
        The line item URL the scores went to.

    Raises:
        ServiceUnavailable: no AGS claim, no permission, or the platform refused or failed.
    """
    if not launch.has_ags():
        raise ServiceUnavailable("ags_disabled")
    ags = launch.get_ags()
    if not ags.can_put_grade():
        raise ServiceUnavailable("ags_no_score_scope")
    endpoint: Any = launch.get_launch_data().get(claims.AGS_ENDPOINT) or {}
    try:
        if endpoint.get("lineitem"):
            lineitem = LineItem({"id": str(endpoint["lineitem"])})
        elif ags.can_create_lineitem():
            lineitem = ags.find_or_create_lineitem(_line_item(facts.target))
        else:
            raise ServiceUnavailable("ags_no_lineitem_scope")
        for user_id, score in scores.items():
            ags.put_grade(_grade(user_id, score, timestamp), lineitem)
        return str(lineitem.get_id())
    except (LtiException, LtiServiceException, RequestException, ValueError, KeyError) as error:
        raise ServiceUnavailable(f"ags_failed: {error}") from None


def _line_item(target: LinkTarget) -> LineItem:
    kind = target if target in _LINE_ITEM_LABELS else LinkTarget.GROWTH
    return (
        LineItem()
        .set_tag(f"trellis-{kind.value}")
        .set_label(_LINE_ITEM_LABELS.get(kind, _DEFAULT_LABEL))
        .set_score_maximum(SCORE_MAXIMUM)
        .set_resource_id(f"trellis-{kind.value}")
    )


def _grade(user_id: str, score: float, timestamp: datetime) -> Grade:
    return (
        Grade()
        .set_score_given(round(score, 2))
        .set_score_maximum(SCORE_MAXIMUM)
        .set_timestamp(timestamp.isoformat(timespec="milliseconds"))
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(user_id)
    )
