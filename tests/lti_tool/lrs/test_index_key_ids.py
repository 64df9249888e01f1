"""Agent keys and activity IRIs are numbered once; the index tables refer to the number.

A number never changes once committed, so a process remembers committed numbers, and ingest
finds a batch's numbers before it takes the writer lock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.db import database
from lti_tool.lrs import index_key_ids
from lti_tool.lrs.index_key_ids import (
    ACTIVITY_IRIS,
    AGENT_KEYS,
    all_ids,
    known_batch_ids,
    known_id,
    known_ids,
)
from lti_tool.models.lrs import ActivityIri, AgentKey, StatementActivity, StatementAgent
from tests.lti_tool.lrs.conftest import XapiClient
from xapi.indexing import index_keys

NOW = datetime(2026, 12, 7, tzinfo=UTC)
TEACHER = "mbox:mailto:li.hua@school.example.cn"
COURSE = "https://moodle.example.edu.cn/course/view.php?id=3"
QUIZ = "https://moodle.example.edu.cn/mod/quiz/view.php?id=7"


def _statement(number: int, activity: str = QUIZ) -> dict[str, object]:
    return {
        "id": f"6690e6c9-3ef0-4ed3-8b37-7f3964730e{number:02d}",
        "actor": {"mbox": "mailto:li.hua@school.example.cn", "name": "李华"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": activity},
        "context": {"contextActivities": {"parent": [{"id": COURSE}]}},
    }


def _count(session: Session, model: type[AgentKey] | type[ActivityIri]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_value_is_numbered_once_and_keeps_its_number(app: Flask) -> None:
    with database(app).session_scope() as session:
        first = all_ids(session, AGENT_KEYS, [TEACHER, "openid:https://id.example/7"], {})
    with database(app).session_scope() as session:
        again = all_ids(session, AGENT_KEYS, [TEACHER], known_ids(session, AGENT_KEYS, []))
        count = _count(session, AgentKey)

    assert len(set(first.values())) == 2
    assert again == {TEACHER: first[TEACHER]}
    assert count == 2


def test_known_ids_never_numbers_a_value(app: Flask) -> None:
    with database(app).session_scope() as session:
        assert known_ids(session, ACTIVITY_IRIS, [QUIZ]) == {}
        assert known_id(session, ACTIVITY_IRIS, QUIZ) is None
        assert _count(session, ActivityIri) == 0


def test_agent_and_activity_numbers_are_separate(app: Flask) -> None:
    """An IRI may look like an agent key; each is numbered in its own table."""
    value = "mbox:mailto:li.hua@school.example.cn"
    with database(app).session_scope() as session:
        all_ids(session, AGENT_KEYS, [value], {})
        assert known_id(session, ACTIVITY_IRIS, value) is None


def test_numbers_are_remembered_only_once_committed(app: Flask) -> None:
    session = database(app).sessionmaker()
    numbers = all_ids(session, AGENT_KEYS, [TEACHER], {})
    assert AGENT_KEYS.memo.known(session, [TEACHER]) == {}

    session.commit()

    assert AGENT_KEYS.memo.known(session, [TEACHER]) == numbers
    session.close()


def test_a_number_rolled_back_is_not_remembered_and_is_given_again(app: Flask) -> None:
    session = database(app).sessionmaker()
    all_ids(session, AGENT_KEYS, [TEACHER], {})
    session.rollback()
    session.commit()

    assert AGENT_KEYS.memo.known(session, [TEACHER]) == {}
    assert known_id(session, AGENT_KEYS, TEACHER) is None
    session.close()


def test_a_value_another_writer_numbered_meanwhile_gets_that_number(app: Flask) -> None:
    """Between our look-up and our insert another process numbered the value (PostgreSQL
    writers do not queue): the insert does nothing, and the number is read back."""
    with database(app).session_scope() as session:
        theirs = all_ids(session, ACTIVITY_IRIS, [QUIZ], {})[QUIZ]
    with database(app).session_scope() as session:
        stale_look_up: dict[str, int] = {}  # as if looked up before they committed
        ours = all_ids(session, ACTIVITY_IRIS, [QUIZ, COURSE], stale_look_up)

    assert ours[QUIZ] == theirs
    assert ours[COURSE] != theirs


def test_a_batch_with_more_values_than_one_query_holds_is_numbered_in_chunks(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_key_ids, "_CHUNK", 3)
    values = [f"https://moodle.example.edu.cn/mod/page/view.php?id={n}" for n in range(10)]
    with database(app).session_scope() as session:
        numbers = all_ids(session, ACTIVITY_IRIS, values, {})
    with database(app).session_scope() as session:
        looked_up = known_ids(session, ACTIVITY_IRIS, values)

    assert len(set(numbers.values())) == 10
    assert looked_up == numbers


def test_known_batch_ids_covers_every_value_an_index_row_holds(app: Flask) -> None:
    keys = index_keys({**_statement(1), "authority": {"mbox": "mailto:moodle@example.edu.cn"}})
    with database(app).session_scope() as session:
        all_ids(session, AGENT_KEYS, keys.agents | keys.related_agents, {})
        all_ids(session, ACTIVITY_IRIS, [QUIZ, COURSE], {})
    with database(app).session_scope() as session:
        known = known_batch_ids(session, [keys])

    assert set(known.agents) == keys.agents | keys.related_agents
    assert set(known.activities) == {QUIZ, COURSE}


def test_statements_that_mention_the_same_values_share_their_numbers(
    app: Flask, xapi: XapiClient
) -> None:
    assert xapi.post([_statement(1), _statement(2)]).status_code == 200
    assert xapi.post([_statement(3, activity=COURSE)]).status_code == 200

    with database(app).session_scope() as session:
        iris = _count(session, ActivityIri)
        activity_rows = _count(session, StatementActivity)
        agent_rows = session.scalars(select(StatementAgent.agent_key_id)).all()
        teacher = known_id(session, AGENT_KEYS, TEACHER)

    assert iris == 2, "the quiz and the course, once each"
    assert activity_rows == 5, "object and parent for two statements; the course once for one"
    assert agent_rows.count(teacher) == 3
