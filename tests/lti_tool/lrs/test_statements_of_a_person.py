"""A teacher's statements are the ones they are the actor of, found through the agent index.

The competency rebuild and the trainer's roster read them with `actor_among`; the statements
table has no index keyed by person (one spread over every teacher cost ingest 15–25 % at 1M).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from lti_tool.competencies.rebuild import people_with_statements
from lti_tool.identity import account_key
from lti_tool.lrs.statement_store import actor_among
from lti_tool.models.identity import PersonIdentifier
from lti_tool.models.lrs import Statement
from tests.lti_tool.lrs.conftest import MOODLE, XapiClient, moodle_statement
from tests.lti_tool.lrs.test_statement_query_plans import sql_run


def person_of(session: Session, user: str) -> str:
    key = account_key(MOODLE, user)
    person_id = session.scalar(
        select(PersonIdentifier.person_id).where(PersonIdentifier.key == key)
    )
    assert person_id is not None, f"no person for {key}"
    return person_id


def observed(observer: str, teacher: str) -> dict[str, Any]:
    """A trainer's statement whose object is a teacher: about the teacher, not by them."""
    statement = moodle_statement(observer)
    statement["object"] = {
        "objectType": "Agent",
        "account": {"homePage": MOODLE, "name": teacher},
    }
    del statement["context"]["platform"]  # only for an activity (xAPI Data 2.4.6)
    return statement


def by_group(*members: str) -> dict[str, Any]:
    """A statement whose actor is an anonymous group of these teachers."""
    statement = moodle_statement(members[0])
    statement["actor"] = {
        "objectType": "Group",
        "member": [{"account": {"homePage": MOODLE, "name": member}} for member in members],
    }
    return statement


def ids_of(session: Session, people: list[str]) -> set[str]:
    return set(session.scalars(select(Statement.id).where(actor_among(people))))


def test_a_teachers_statements_are_those_they_are_the_actor_of(
    xapi: XapiClient, db_session: Session
) -> None:
    own = [moodle_statement("7"), moodle_statement("7")]
    others = [moodle_statement("8"), observed("8", "7"), by_group("7", "8")]
    assert xapi.post(own + others).status_code == 200

    teacher, trainer = person_of(db_session, "7"), person_of(db_session, "8")

    assert ids_of(db_session, [teacher]) == {s["id"] for s in own}
    assert ids_of(db_session, [trainer]) == {others[0]["id"], others[1]["id"]}
    assert ids_of(db_session, [teacher, trainer]) == {s["id"] for s in own + others[:2]}
    assert ids_of(db_session, ["nobody"]) == set()


def test_voided_statements_stay_the_actors_and_the_caller_leaves_them_out(
    xapi: XapiClient, db_session: Session
) -> None:
    kept, voided = moodle_statement("7"), moodle_statement("7")
    voiding = moodle_statement("7", verb="http://adlnet.gov/expapi/verbs/voided")
    voiding["object"] = {"objectType": "StatementRef", "id": voided["id"]}
    del voiding["context"]["platform"]
    assert xapi.post([kept, voided, voiding]).status_code == 200
    teacher = person_of(db_session, "7")

    assert ids_of(db_session, [teacher]) == {kept["id"], voided["id"], voiding["id"]}
    not_voided = select(Statement.id).where(actor_among([teacher]), Statement.voided.is_(False))
    assert set(db_session.scalars(not_voided)) == {kept["id"], voiding["id"]}


def test_people_with_statements_are_the_actors_only(xapi: XapiClient, db_session: Session) -> None:
    assert xapi.post([moodle_statement("7"), observed("7", "9"), by_group("10")]).status_code == 200
    actor = person_of(db_session, "7")

    assert people_with_statements(db_session) == [actor]


def test_the_statements_table_has_no_person_index(db_session: Session) -> None:
    names = {
        index["name"] for index in inspect(db_session.connection()).get_indexes("xapi_statements")
    }

    assert "ix_xapi_statements_person_seq" not in names


def test_a_teachers_statements_are_read_through_the_identifier_and_agent_indexes(
    xapi: XapiClient, db_session: Session
) -> None:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    assert xapi.post([moodle_statement("7")]).status_code == 200
    teacher = person_of(db_session, "7")
    with sql_run(db_session) as seen:
        ids_of(db_session, [teacher])
    statement, parameters = seen[0]
    cursor = db_session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    finally:
        cursor.close()
    plan = "\n".join(str(row[-1]) for row in rows)

    assert "COVERING INDEX ix_xapi_statement_agents_key_seq_direct" in plan
    assert "ix_person_identifiers_person_id" in plan
    assert "SCAN xapi_statements" not in plan
    assert "SCAN xapi_statement_agents" not in plan
