"""Identifiers and document keys up to the store's limit are stored and found; longer ones are
a 400 naming the field — never a 500 (or 503) from a database index that cannot hold them.

PostgreSQL's B-tree holds at most 2,704 bytes a key, and a thousand Chinese characters are
3,000 bytes in UTF-8, so the limit counts bytes as well as characters. (Before the limit, such
an IRI was a 503 on PostgreSQL, and an account name over 500 characters a 500.)
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from lti_tool.lrs.document_resources import MAX_DOCUMENT_KEY_BYTES
from lti_tool.lrs.statements import MAX_AGENT_KEY_LENGTH, MAX_INDEXED_BYTES, MAX_INDEXED_LENGTH
from lti_tool.models.lrs import Statement
from tests.lti_tool.lrs.conftest import MOODLE, XapiClient, moodle_statement
from tests.lti_tool.lrs.test_documents import LEARNER, STATE, problems, request
from xapi.indexing import agent_key

_PREFIX = f"{MOODLE}/mod/page/view.php?title="


def _iri(length: int) -> str:
    """An ASCII IRI of ``length`` characters."""
    return _PREFIX + "a" * (length - len(_PREFIX))


def _chinese_iri(size: int) -> str:
    """An IRI of ``size`` bytes in UTF-8, mostly three-byte Chinese characters — varied ones,
    since PostgreSQL compresses a repeated character below its index key limit."""
    characters, rest = divmod(size - len(_PREFIX), 3)
    varied = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(characters))
    iri = _PREFIX + varied + "a" * rest
    assert len(iri.encode()) == size
    return iri


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Statement)) or 0


@pytest.mark.parametrize(
    "iri",
    [
        _iri(MAX_INDEXED_LENGTH),
        _chinese_iri(MAX_INDEXED_BYTES),
    ],
    ids=["longest ASCII", "longest Chinese"],
)
def test_the_longest_identifiers_the_store_takes_are_stored_and_found(
    xapi: XapiClient, iri: str
) -> None:
    statement = moodle_statement(activity=iri, verb=iri)
    statement["context"]["contextActivities"]["grouping"] = [{"id": iri}]

    assert xapi.post([statement]).status_code == 200

    for query in ({"activity": iri, "related_activities": "true"}, {"verb": iri}):
        found = xapi.get(urlencode(query))
        assert found.status_code == 200
        assert [s["id"] for s in found.json["statements"]] == [statement["id"]]  # type: ignore[index]


@pytest.mark.parametrize(
    ("place", "path"),
    [("object", "[1].object.id"), ("verb", "[1].verb.id"), ("grouping", "[1]")],
)
@pytest.mark.parametrize(
    "iri",
    [_iri(MAX_INDEXED_LENGTH + 1), _chinese_iri(MAX_INDEXED_BYTES + 1)],
    ids=["too many characters", "too many bytes"],
)
def test_a_longer_identifier_is_400_naming_where_and_the_batch_stores_nothing(
    xapi: XapiClient, db_session: Session, place: str, path: str, iri: str
) -> None:
    statement = moodle_statement()
    if place == "object":
        statement["object"]["id"] = iri
    elif place == "verb":
        statement["verb"]["id"] = iri
    else:
        statement["context"]["contextActivities"]["grouping"] = [{"id": iri}]

    response = xapi.post([moodle_statement(), statement])

    assert response.status_code == 400
    (problem,) = response.json["error"]["problems"]  # type: ignore[index]
    assert problem.startswith(f"{path}: ")
    assert "cannot be stored by this LRS" in problem
    assert _stored(db_session) == 0


def test_an_agent_identifier_longer_than_the_limit_is_400(
    xapi: XapiClient, db_session: Session
) -> None:
    statement = moodle_statement()
    statement["actor"]["account"]["name"] = "7" * MAX_AGENT_KEY_LENGTH

    response = xapi.post([statement])

    assert response.status_code == 400
    (problem,) = response.json["error"]["problems"]  # type: ignore[index]
    assert problem.startswith("[0]")
    assert _stored(db_session) == 0


def _document(xapi: XapiClient, activity: str, state_id: str = "progress") -> TestResponse:
    return request(
        xapi,
        "PUT",
        STATE,
        {"activityId": activity, "agent": LEARNER, "stateId": state_id},
        {"page": 3},
    )


def test_a_document_key_up_to_the_limit_is_stored_and_read_back(xapi: XapiClient) -> None:
    agent_bytes = len(agent_key(LEARNER).encode())  # type: ignore[union-attr]
    activity = _chinese_iri(MAX_DOCUMENT_KEY_BYTES - agent_bytes - len(b"progress"))

    assert _document(xapi, activity).status_code == 204
    read = request(
        xapi, "GET", STATE, {"activityId": activity, "agent": LEARNER, "stateId": "progress"}
    )
    assert read.status_code == 200
    assert read.json == {"page": 3}


def test_a_longer_document_key_is_400_naming_the_parameters(xapi: XapiClient) -> None:
    """Before the limit, PostgreSQL refused the index row and the client was told 503, "try
    again shortly" — which it would, forever."""
    agent_bytes = len(agent_key(LEARNER).encode())  # type: ignore[union-attr]
    activity = _chinese_iri(MAX_DOCUMENT_KEY_BYTES - agent_bytes - len(b"progress") + 1)

    response = _document(xapi, activity)

    assert response.status_code == 400
    assert problems(response) == [
        f"stateId: with activityId and agent, longer than {MAX_DOCUMENT_KEY_BYTES} bytes of "
        "UTF-8, which this LRS cannot store"
    ]
