"""The statement resource over HTTP: what Moodle, cmi5 players and other producers rely on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from lti_tool.models.identity import Person, PersonIdentifier
from lti_tool.models.lrs import OutboxEntry, Statement
from tests.lti_tool.lrs.conftest import MOODLE, XapiClient, moodle_statement


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_post_a_batch_answers_200_with_the_ids_in_order(xapi: XapiClient) -> None:
    """Communication 2.1.2: POST returns 200 and the statement ids, in order."""
    batch = [moodle_statement(), moodle_statement(), moodle_statement()]

    response = xapi.post(batch)

    assert response.status_code == 200
    assert response.json == [statement["id"] for statement in batch]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_post_assigns_ids_to_statements_without_one(xapi: XapiClient) -> None:
    statement = moodle_statement()
    del statement["id"]

    response = xapi.post(statement)

    assert response.status_code == 200
    (assigned,) = response.json  # type: ignore[misc]
    assert uuid.UUID(assigned)


def test_resending_a_stored_batch_is_200_again_and_stores_nothing_twice(
    xapi: XapiClient, db_session: Session
) -> None:
    """Moodle's logstore_xapi treats anything but exactly 200 as failure, also on a resend."""
    batch = [moodle_statement() for _ in range(30)]
    assert xapi.post(batch).status_code == 200

    again = xapi.post(batch)

    assert again.status_code == 200
    assert again.json == [statement["id"] for statement in batch]
    assert _count(db_session, Statement) == 30


def test_a_batch_mixing_stored_and_new_statements_stores_only_the_new_ones(
    xapi: XapiClient, db_session: Session
) -> None:
    """A batch is first inserted without looking its ids up; a stored id sends it round again,
    looking, so the stored half is compared and the new half stored once (with new teachers)."""
    stored = [moodle_statement(str(n)) for n in range(10)]
    assert xapi.post(stored).status_code == 200
    people_before = _count(db_session, Person)
    new = [moodle_statement(str(n)) for n in range(100, 110)]

    response = xapi.post([*stored[5:], *new])

    assert response.status_code == 200
    assert response.json == [statement["id"] for statement in [*stored[5:], *new]]
    assert _count(db_session, Statement) == 20
    assert _count(db_session, Person) == people_before + 10
    queued = db_session.scalars(
        select(OutboxEntry.statement_seqs).where(OutboxEntry.consumer == "export")
    ).all()
    assert sorted(len(json.loads(seqs)) for seqs in queued) == [10, 10]


def test_same_id_with_different_content_is_409_and_the_batch_stores_nothing(
    xapi: XapiClient, db_session: Session
) -> None:
    """Communication 2.1.2: a conflicting statement id is refused; batches are all-or-nothing."""
    first = moodle_statement()
    assert xapi.post(first).status_code == 200
    changed = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}

    response = xapi.post([moodle_statement(), changed])

    assert response.status_code == 409
    assert first["id"] in response.json["error"]["message"]  # type: ignore[index]
    assert _count(db_session, Statement) == 1


def test_one_invalid_statement_rejects_the_whole_batch_naming_its_path(
    xapi: XapiClient, db_session: Session
) -> None:
    """Communication 3.2: a batch with a bad statement is not processed at all."""
    bad = moodle_statement()
    bad["object"]["definition"]["type"] = "not an iri"

    response = xapi.post([moodle_statement(), bad])

    assert response.status_code == 400
    assert response.json["error"]["problems"] == [  # type: ignore[index]
        "[1].object.definition.type: not an IRI"
    ]
    assert _count(db_session, Statement) == 0


def test_body_that_is_not_json_is_400(xapi: XapiClient) -> None:
    response = xapi.client.post(
        "/xapi/statements",
        data=b"{oops",
        headers=xapi.headers(**{"Content-Type": "application/json"}),
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]["message"]  # type: ignore[index]


def test_put_stores_under_statement_id_and_answers_204(xapi: XapiClient) -> None:
    statement = moodle_statement()
    statement_id = statement.pop("id")

    response = xapi.put(statement, statement_id)

    assert response.status_code == 204
    assert xapi.get(f"statementId={statement_id}").json["id"] == statement_id  # type: ignore[index]


def test_put_whose_body_id_differs_from_statement_id_is_400(xapi: XapiClient) -> None:
    response = xapi.put(moodle_statement(), str(uuid.uuid4()))

    assert response.status_code == 400
    assert response.json["error"]["problems"] == [  # type: ignore[index]
        "id: differs from the statementId parameter"
    ]


def test_get_by_id_returns_the_statement_as_stored(xapi: XapiClient) -> None:
    """Data 2.4: the LRS sets stored, authority and version; the rest comes back as sent."""
    statement = moodle_statement(raw=72)
    xapi.post(statement)

    stored = xapi.get(f"statementId={statement['id']}").json
    assert stored is not None

    assert stored["actor"] == statement["actor"]
    assert stored["result"] == statement["result"]
    assert stored["authority"]["account"]["name"] == "source:moodle"
    assert stored["version"] == "1.0.0"
    assert "stored" in stored


def test_the_authority_in_the_body_is_replaced_by_the_credential(xapi: XapiClient) -> None:
    """Data 2.4.9: the LRS sets authority from the credential, never trusting the body."""
    statement = moodle_statement()
    statement["authority"] = {"mbox": "mailto:forger@example.com", "objectType": "Agent"}

    xapi.post(statement)

    stored = xapi.get(f"statementId={statement['id']}").json
    assert stored["authority"]["account"]["name"] == "source:moodle"  # type: ignore[index]


def test_voided_statements_are_found_only_by_voided_statement_id(xapi: XapiClient) -> None:
    """Data 2.3.2: a voided statement is hidden from statementId and queries."""
    target = moodle_statement()
    voiding = {
        "actor": target["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    xapi.post(target)
    xapi.post(voiding)

    assert xapi.get(f"statementId={target['id']}").status_code == 404
    assert xapi.get(f"voidedStatementId={target['id']}").status_code == 200
    listed = [s["id"] for s in xapi.get().json["statements"]]  # type: ignore[index]
    assert target["id"] not in listed


def test_filters_select_by_agent_verb_activity_and_registration(xapi: XapiClient) -> None:
    """Communication 2.1.3: each filter narrows the result."""
    registration = str(uuid.uuid4())
    mine = moodle_statement("7", registration=registration)
    other_verb = moodle_statement("7", verb="http://adlnet.gov/expapi/verbs/attempted")
    other_person = moodle_statement("8")
    xapi.post([mine, other_verb, other_person])
    agent = json.dumps({"account": {"homePage": MOODLE, "name": "7"}})

    def ids(query: str) -> set[str]:
        response = xapi.get(query)
        assert response.status_code == 200, response.json
        return {s["id"] for s in response.json["statements"]}  # type: ignore[index]

    assert ids(f"agent={agent}") == {mine["id"], other_verb["id"]}
    assert ids(f"agent={agent}&verb=http://adlnet.gov/expapi/verbs/completed") == {mine["id"]}
    assert ids(f"registration={registration}") == {mine["id"]}
    assert ids(f"activity={MOODLE}/mod/quiz/view.php?id=7") == {
        mine["id"],
        other_verb["id"],
        other_person["id"],
    }
    assert ids(f"activity={MOODLE}/course/view.php?id=3") == set()
    assert len(ids(f"activity={MOODLE}/course/view.php?id=3&related_activities=true")) == 3


def test_paging_follows_more_links_through_every_statement_once(xapi: XapiClient) -> None:
    """Data 2.5: a result too large for a page continues at its more link."""
    batch = [moodle_statement() for _ in range(7)]
    xapi.post(batch)

    seen = _ids_across_pages(xapi, xapi.get("limit=3&ascending=true"))

    assert seen == [statement["id"] for statement in batch]


def test_a_more_link_that_was_altered_is_400(xapi: XapiClient) -> None:
    xapi.post([moodle_statement() for _ in range(3)])
    more = xapi.get("limit=1").json["more"]  # type: ignore[index]

    response = xapi.client.get(more[:-3] + "AAA", headers=xapi.headers())

    assert response.status_code == 400


def test_every_statement_get_carries_consistent_through_even_on_errors(xapi: XapiClient) -> None:
    """Communication 2.1.3: X-Experience-API-Consistent-Through on every statement GET."""
    assert "X-Experience-API-Consistent-Through" in xapi.get().headers
    assert "X-Experience-API-Consistent-Through" in xapi.get("limit=-1").headers


def test_unknown_or_miscased_parameter_is_400_naming_it(xapi: XapiClient) -> None:
    """Communication 3.2: unrecognised parameters are refused."""
    response = xapi.get("StatementId=abc")

    assert response.status_code == 400
    assert response.json["error"]["problems"][0].startswith("StatementId")  # type: ignore[index]


def test_missing_credentials_are_401_with_a_basic_challenge(client: FlaskClient) -> None:
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_missing_version_header_is_400(xapi: XapiClient) -> None:
    """Communication 3.3: every resource but about needs X-Experience-API-Version."""
    headers = xapi.headers()
    del headers["X-Experience-API-Version"]

    response = xapi.client.get("/xapi/statements", headers=headers)

    assert response.status_code == 400


def test_a_source_reads_only_its_own_statements_and_an_admin_reads_all(
    xapi: XapiClient, admin_xapi: XapiClient, new_source: Callable[[str], XapiClient]
) -> None:
    cmi5 = new_source("cmi5-player")
    mine, theirs = moodle_statement(), moodle_statement()
    xapi.post(mine)
    cmi5.post(theirs)

    assert {s["id"] for s in xapi.get().json["statements"]} == {mine["id"]}  # type: ignore[index]
    assert xapi.get(f"statementId={theirs['id']}").status_code == 404
    assert {s["id"] for s in admin_xapi.get().json["statements"]} == {  # type: ignore[index]
        mine["id"],
        theirs["id"],
    }


def test_each_accepted_statement_is_queued_for_the_engine_and_export(
    xapi: XapiClient, db_session: Session
) -> None:
    """The outbox is written in the same transaction, so nothing accepted is missed downstream:
    one entry per accepted batch and consumer, naming every statement of the batch."""
    first_batch = [moodle_statement(), moodle_statement()]
    xapi.post(first_batch)
    xapi.post([moodle_statement()])
    xapi.post(first_batch)  # a resend stores nothing new and queues nothing

    entries = db_session.execute(select(OutboxEntry.consumer, OutboxEntry.statement_seqs)).all()
    queued: dict[str, list[int]] = {}
    for consumer, seqs in entries:
        queued.setdefault(consumer, []).extend(json.loads(seqs))
    stored = sorted(db_session.scalars(select(Statement.seq)))
    assert {consumer: sorted(seqs) for consumer, seqs in queued.items()} == {
        "competency": stored,
        "export": stored,
    }
    assert len(entries) == 4


def test_a_moodle_account_becomes_one_person_across_statements(
    xapi: XapiClient, db_session: Session
) -> None:
    xapi.post([moodle_statement("42"), moodle_statement("42"), moodle_statement("43")])

    people = db_session.scalars(select(Statement.person_id)).all()
    assert len(set(people)) == 2
    key = f"account:{MOODLE}|42"
    identifier = db_session.get(PersonIdentifier, key)
    assert identifier is not None
    person = db_session.get(Person, identifier.person_id)
    assert person is not None and person.display_name == "教师 42"


def test_alternate_request_syntax_get_is_served_under_1_0_3(xapi: XapiClient) -> None:
    """Communication 1.3: a form POST with ?method=GET stands for the GET."""
    statement = moodle_statement()
    xapi.post(statement)
    headers = xapi.headers()

    response = xapi.client.post(
        "/xapi/statements?method=GET",
        data={
            "Authorization": headers["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "statementId": statement["id"],
        },
    )

    assert response.status_code == 200
    assert response.json["id"] == statement["id"]  # type: ignore[index]


def test_xapi_2_0_timestamps_with_offsets_are_stored_in_utc(xapi: XapiClient) -> None:
    """xAPI 2.0: RFC 3339 timestamps with offsets are normalised to UTC."""
    xapi.version = "2.0.0"
    statement = moodle_statement()

    assert xapi.post(statement).status_code == 200

    response = xapi.get(f"statementId={statement['id']}")
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert "Last-Modified" in response.headers
    assert response.json["timestamp"].startswith("2026-11-20T00:00:00")  # type: ignore[index]


def test_about_needs_no_credentials(client: FlaskClient) -> None:
    response = client.get("/xapi/about")

    assert response.status_code == 200
    assert "1.0.3" in response.json["version"]  # type: ignore[index]
    assert "2.0.0" in response.json["version"]  # type: ignore[index]


def test_a_statement_referring_to_a_match_matches_too(xapi: XapiClient) -> None:
    """Communication 2.1.3, Filter Conditions for StatementRefs: a statement whose object is a
    StatementRef to a statement meeting the filters is returned with it."""
    target = moodle_statement("9", verb="http://adlnet.gov/expapi/verbs/passed")
    comment = {
        "id": str(uuid.uuid4()),
        "actor": {"account": {"homePage": MOODLE, "name": "trainer-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    unrelated = moodle_statement("9")
    xapi.post([target, comment, unrelated])

    response = xapi.get("verb=http://adlnet.gov/expapi/verbs/passed")

    ids = [s["id"] for s in response.json["statements"]]  # type: ignore[index]
    assert ids == [comment["id"], target["id"]]


def test_a_chinese_moodle_sites_language_code_is_accepted_as_zh_cn(xapi: XapiClient) -> None:
    """logstore_xapi copies Moodle's course language (zh_cn) into context.language and language
    map keys; it is stored as the RFC 5646 tag it stands for."""
    statement = moodle_statement()
    statement["context"]["language"] = "zh_cn"
    statement["object"]["definition"]["name"] = {"zh_cn": "单元测验"}

    assert xapi.post(statement).status_code == 200

    stored = xapi.get(f"statementId={statement['id']}").json
    assert stored["context"]["language"] == "zh-CN"  # type: ignore[index]
    assert stored["object"]["definition"]["name"] == {"zh-CN": "单元测验"}  # type: ignore[index]


def test_a_language_code_with_an_escaped_underscore_is_repaired_too(xapi: XapiClient) -> None:
    statement = moodle_statement()
    statement["context"]["language"] = "zh_cn"
    body = json.dumps(statement).replace('"zh_cn"', '"zh\\u005fcn"')
    assert "zh_cn" not in body

    response = xapi.client.post(
        "/xapi/statements", data=body, headers=xapi.headers(**{"Content-Type": "application/json"})
    )

    assert response.status_code == 200
    stored = xapi.get(f"statementId={statement['id']}").json
    assert stored["context"]["language"] == "zh-CN"  # type: ignore[index]


def test_paging_an_agent_filter_visits_each_of_their_statements_once(xapi: XapiClient) -> None:
    """Data 2.5 with the agent filter, whose pages are read off the agent's index rows."""
    theirs = [moodle_statement("5") for _ in range(5)]
    xapi.post([*theirs[:2], moodle_statement("6"), *theirs[2:], moodle_statement("6")])
    agent = json.dumps({"account": {"homePage": MOODLE, "name": "5"}})

    seen = _ids_across_pages(xapi, xapi.get(f"agent={agent}&limit=2"))

    assert seen == [statement["id"] for statement in reversed(theirs)]


def test_a_target_arriving_after_its_voiding_statement_is_voided_on_arrival(
    xapi: XapiClient,
) -> None:
    """Data 2.3.2: the LRS should not reject a voiding statement whose target it lacks; the
    target, when it comes, is a voided statement."""
    target = moodle_statement()
    voiding = {
        "actor": target["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    assert xapi.post(voiding).status_code == 200

    assert xapi.post(target).status_code == 200

    assert xapi.get(f"statementId={target['id']}").status_code == 404
    assert xapi.get(f"voidedStatementId={target['id']}").status_code == 200


def test_a_target_referred_to_first_by_a_statement_that_does_not_void_it_is_not_voided(
    xapi: XapiClient,
) -> None:
    target = moodle_statement()
    comment = {
        "actor": target["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    assert xapi.post(comment).status_code == 200

    assert xapi.post(target).status_code == 200

    assert xapi.get(f"statementId={target['id']}").status_code == 200


def _ids_across_pages(xapi: XapiClient, response: TestResponse) -> list[str]:
    """The statement ids of a result, following its more links to the end."""
    seen: list[str] = []
    while True:
        body = response.json
        assert body is not None
        seen += [s["id"] for s in body["statements"]]
        if not body["more"]:
            return seen
        response = xapi.client.get(body["more"], headers=xapi.headers())


def test_statements_take_the_next_positions_in_the_log_in_batch_order(
    xapi: XapiClient, db_session: Session
) -> None:
    first, second = [moodle_statement() for _ in range(3)], [moodle_statement() for _ in range(2)]
    xapi.post(first)
    xapi.post(second)

    rows = db_session.execute(select(Statement.id, Statement.seq).order_by(Statement.seq)).all()
    assert [statement_id for statement_id, _ in rows] == [s["id"] for s in (*first, *second)]
    seqs = [seq for _, seq in rows]
    assert seqs == sorted(set(seqs))


def test_the_timestamp_column_holds_the_instant_in_utc(
    xapi: XapiClient, db_session: Session
) -> None:
    """Moodle in China sends +08:00; SQLite keeps datetimes without their offset, so the
    column must hold UTC for "last active" comparisons to be right on both databases."""
    statement = moodle_statement()
    statement["timestamp"] = "2026-11-20T08:00:00+08:00"
    xapi.post(statement)

    stored = db_session.scalar(select(Statement.timestamp))
    assert stored is not None
    assert stored.replace(tzinfo=None) == datetime(2026, 11, 20, 0, 0)
    assert stored.utcoffset() in (None, timedelta(0))
