"""``GET /xapi/agents`` and ``GET /xapi/activities`` (xAPI 1.0.3 Communication 2.4, 2.5;
xAPI 2.0 Part Three 4.1.6.3, 4.1.6.4).

The Person object combines what Trellis knows of the agent: its own identifier and, when that
identifier belongs to a Trellis person, every other identifier of that person. The Activity
object merges the definitions that stored statements gave the activity.

Follow-up: a canonical activity-definition table, written when statements are stored, would
answer ``/activities`` without reading statements; until then the definition is merged from the
newest :data:`DEFINITION_STATEMENTS` statements that mention the activity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool import db
from lti_tool.lrs.api import resource
from lti_tool.lrs.document_resources import parse_agent_parameter
from lti_tool.lrs.protocol import XapiRequest, bad_request, json_response
from lti_tool.lrs.statements import Caller
from lti_tool.models.identity import Person, PersonIdentifier
from lti_tool.models.lrs import IRI_LENGTH, ActivityIri, Statement, StatementActivity
from xapi.syntax import is_iri

#: How many of the newest statements mentioning an activity its definition is merged from.
DEFINITION_STATEMENTS = 200

#: Definition properties that are language maps, merged language by language.
_LANGUAGE_MAPS = frozenset({"name", "description"})


@resource("agents", "GET")
def get_person(xapi_request: XapiRequest, _caller: Caller) -> Response:
    """The Person object for the ``agent`` parameter (Communication 2.4).

    An agent Trellis knows nothing about still gets a Person holding its own identifier.
    """
    value = _only_parameter(xapi_request, "agent")
    key = parse_agent_parameter(value, groups=False, is_2_0=xapi_request.version.is_2_0)
    agent = json.loads(value)
    names: list[str] = [agent["name"]] if isinstance(agent.get("name"), str) else []
    keys = [key]
    session = db.session()
    person = _person_for(session, key)
    if person is not None:
        if person.display_name:
            names.append(person.display_name)
        keys.extend(_identifier_keys(session, person.id))
    return json_response(person_object(names, keys), xapi_request)


@resource("activities", "GET")
def get_activity(xapi_request: XapiRequest, caller: Caller) -> Response:
    """The Activity object for ``activityId``, defined as stored statements define it.

    xAPI 1.0.3 Communication 2.5.

    An activity no statement mentions still gets ``{"objectType": "Activity", "id": ...}``.
    Sources without admin rights see definitions from their own statements only, as they see
    only their own statements.
    """
    activity_id = _only_parameter(xapi_request, "activityId")
    if not is_iri(activity_id) or len(activity_id) > IRI_LENGTH:
        raise bad_request("activityId", "not an IRI")
    source_id = None if caller.is_admin else caller.source_id
    documents = _statements_mentioning(db.session(), activity_id, source_id)
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    definition = merge_definitions(
        definitions_of(activity_id, json.loads(document)) for document in documents
    )
    if definition:
        activity["definition"] = definition
    return json_response(activity, xapi_request)


def _only_parameter(xapi_request: XapiRequest, name: str) -> str:
    for given in xapi_request.params:
        if given != name:
            raise bad_request(given, f"not a parameter of GET /{xapi_request.resource}")
    value = xapi_request.param(name)
    if value is None:
        raise bad_request(name, "is required")
    return value


def _person_for(session: Session, key: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(PersonIdentifier, PersonIdentifier.person_id == Person.id)
        .where(PersonIdentifier.key == key)
    )


def _identifier_keys(session: Session, person_id: str) -> list[str]:
    return list(
        session.scalars(
            select(PersonIdentifier.key)
            .where(PersonIdentifier.person_id == person_id)
            .order_by(PersonIdentifier.created_at, PersonIdentifier.key)
        )
    )


def person_object(names: Iterable[str], keys: Iterable[str]) -> dict[str, Any]:
    """A Person object (Communication 2.4.5) from names and identifier keys.

    Keys are those of ``xapi.indexing.agent_key`` and ``lti_tool.identity``: ``mbox:mailto:…``,
    ``mbox_sha1sum:…``, ``openid:…``, ``account:<homePage>|<name>``; others are skipped.
    Every property is an array, each value once, in the order first seen.
    """
    person: dict[str, Any] = {"objectType": "Person", "name": list(dict.fromkeys(names))}
    mboxes: list[str] = []
    digests: list[str] = []
    openids: list[str] = []
    accounts: list[dict[str, str]] = []
    for key in dict.fromkeys(keys):
        kind, _, value = key.partition(":")
        if kind == "mbox":
            mboxes.append(value)
        elif kind == "mbox_sha1sum":
            digests.append(value)
        elif kind == "openid":
            openids.append(value)
        elif kind == "account":
            home_page, separator, name = value.partition("|")
            if separator:
                accounts.append({"homePage": home_page, "name": name})
    for name, values in (
        ("mbox", mboxes),
        ("mbox_sha1sum", digests),
        ("openid", openids),
        ("account", accounts),
    ):
        if values:
            person[name] = values
    return person


def _statements_mentioning(session: Session, activity_id: str, source_id: int | None) -> list[str]:
    """The newest statements that mention the activity, oldest first."""
    query = (
        select(Statement.document)
        .join(StatementActivity, StatementActivity.statement_seq == Statement.seq)
        .join(ActivityIri, ActivityIri.id == StatementActivity.activity_iri_id)
        .where(ActivityIri.iri == activity_id, Statement.voided.is_(False))
        .order_by(StatementActivity.statement_seq.desc())
        .limit(DEFINITION_STATEMENTS)
    )
    if source_id is not None:
        query = query.where(Statement.source_id == source_id)
    return list(reversed(session.scalars(query).all()))


def definitions_of(activity_id: str, statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every definition a statement gives ``activity_id``: as object, in context, in a
    SubStatement."""
    target = statement.get("object") or {}
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity" and target.get("id") == activity_id:
        if isinstance(target.get("definition"), dict):
            yield target["definition"]
    elif object_type == "SubStatement":
        yield from definitions_of(activity_id, target)
    context = statement.get("context") or {}
    for activities in (context.get("contextActivities") or {}).values():
        for activity in activities if isinstance(activities, list) else [activities]:
            if activity.get("id") == activity_id and isinstance(activity.get("definition"), dict):
                yield activity["definition"]


def merge_definitions(
    definitions: Iterable[Iterable[Mapping[str, Any]]],
) -> dict[str, Any]:
    """Merge definitions, later ones winning (Communication 2.5: all available information).

    ``name`` and ``description`` merge language by language and ``extensions`` key by key, so
    two statements describing an activity in two languages yield both; any other property is
    taken from the latest definition that has it.
    """
    merged: dict[str, Any] = {}
    for group in definitions:
        for definition in group:
            for name, value in definition.items():
                if (name in _LANGUAGE_MAPS or name == "extensions") and isinstance(value, dict):
                    previous = merged.get(name)
                    merged[name] = {**(previous if isinstance(previous, dict) else {}), **value}
                else:
                    merged[name] = value
    return merged
