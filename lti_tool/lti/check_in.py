"""Offline session check-in: a teacher at a face-to-face session records that they attended.

A trainer adds a Trellis link whose view is "Offline session check-in" to the session's place in
the Moodle course; at the session, teachers open it (on a phone) and press 签到. Trellis stores an
xAPI ``attended`` statement, shaped like the log store's face-to-face attendance, under its own
system source ``trellis.check-in``: it enters the competency engine as participation evidence and
goes out to every LRS export target like any other statement.

One check-in per teacher per link: the statement id is derived from both, so pressing twice (or
on two devices) stores one statement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lrs.auth import system_caller
from lti_tool.lrs.statements import store_statements
from lti_tool.lti.claims import LaunchFacts
from lti_tool.models.lrs import Statement
from xapi import vocabulary
from xapi.syntax import format_timestamp
from xapi.versions import XapiVersion

CHECK_IN_SOURCE = "trellis.check-in"
_NAMESPACE = uuid.UUID("5b0f3c52-3d4e-4a8e-9a59-6c8f2f0b7a11")


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A stored check-in."""

    statement_id: str
    at: datetime


def session_activity_id(base_url: str, facts: LaunchFacts) -> str:
    """The IRI Trellis gives the session behind a resource link (stable per platform and link)."""
    key = uuid.uuid5(_NAMESPACE, f"{facts.issuer}|{facts.deployment_id}|{facts.resource_link_id}")
    return f"{base_url}/lti/sessions/{key}"


def check_in_statement_id(facts: LaunchFacts) -> str:
    """The one statement id a teacher's check-in at one link can have."""
    return str(
        uuid.uuid5(
            _NAMESPACE,
            f"check-in|{facts.issuer}|{facts.subject}|"
            f"{facts.deployment_id}|{facts.resource_link_id}",
        )
    )


def find_check_in(session: Session, facts: LaunchFacts) -> CheckIn | None:
    """The teacher's check-in at this link, if they have checked in."""
    statement_id = check_in_statement_id(facts)
    row = session.execute(
        select(Statement.id, Statement.timestamp).where(Statement.id == statement_id)
    ).first()
    return CheckIn(statement_id=row[0], at=row[1]) if row else None


def check_in_statement(facts: LaunchFacts, *, base_url: str, now: datetime) -> dict[str, Any]:
    """The ``attended`` statement of a check-in (the log store's face-to-face shape).

    The course is named as Moodle's log store names it (``<wwwroot>/course/view.php?id=<course
    id>``; Moodle's LTI context id is the course id), so programme matching finds the check-in
    beside the course's other statements.
    """
    session_name = {"zh-CN": "线下研修签到", "en": "Offline session check-in"}
    if facts.context_title:
        session_name = {
            "zh-CN": f"线下研修签到 · {facts.context_title}",
            "en": f"Offline session check-in · {facts.context_title}",
        }
    context: dict[str, Any] = {
        "platform": "Trellis",
        "language": "zh-CN" if facts.locale != "en" else "en",
    }
    if facts.context_id:
        context["contextActivities"] = {
            "grouping": [
                {
                    "id": f"{facts.issuer}/course/view.php?id={facts.context_id}",
                    "objectType": "Activity",
                    "definition": {"type": vocabulary.ACTIVITY_TYPE_CMI5_COURSE},
                }
            ]
        }
    actor: dict[str, Any] = {"account": {"homePage": facts.issuer, "name": facts.subject}}
    if facts.name:
        actor["name"] = facts.name
    return {
        "id": check_in_statement_id(facts),
        "actor": actor,
        "verb": {"id": vocabulary.VERB_ATTENDED, "display": {"zh-CN": "参加了", "en": "attended"}},
        "object": {
            "objectType": "Activity",
            "id": session_activity_id(base_url, facts),
            "definition": {
                "type": vocabulary.ACTIVITY_TYPE_FACE_TO_FACE_DISCUSSION,
                "name": session_name,
            },
        },
        "result": {"completion": True},
        "context": context,
        "timestamp": format_timestamp(now),
    }


def record_check_in(
    session: Session, facts: LaunchFacts, *, base_url: str, now: datetime
) -> CheckIn:
    """Store the teacher's check-in (once; a second call finds the first). Commits the session."""
    existing = find_check_in(session, facts)
    if existing is not None:
        return existing
    caller = system_caller(session, CHECK_IN_SOURCE, home_page=f"{base_url}/xapi", now=now)
    statement = check_in_statement(facts, base_url=base_url, now=now)
    store_statements(session, statement, caller=caller, version=XapiVersion.V1_0_3, now=now)
    return CheckIn(statement_id=statement["id"], at=now)
