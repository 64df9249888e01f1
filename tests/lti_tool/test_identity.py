"""Identifier keys resolve to one person each; committed pairs are remembered per process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool import driver_sql, identity
from lti_tool.committed_memo import PEOPLE, forget_all
from lti_tool.db import database
from lti_tool.identity import account_key, resolve_people
from lti_tool.models.identity import Person
from tests.conftest import postgres_url

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MOODLE = "https://moodle.example.edu.cn"


def _session(app: Flask) -> Session:
    return database(app).sessionmaker()


def test_each_new_key_becomes_one_person_and_keeps_it(app: Flask) -> None:
    keys = [account_key(MOODLE, "7"), account_key(MOODLE, "8")]
    with database(app).session_scope() as session:
        first = resolve_people(session, keys, now=NOW)
    with database(app).session_scope() as session:
        again = resolve_people(session, [*keys, account_key(MOODLE, "9")], now=NOW)
        people = session.scalar(select(func.count()).select_from(Person))

    assert len(set(first.values())) == 2
    assert {key: again[key] for key in keys} == first
    assert people == 3


def test_people_are_remembered_once_their_transaction_commits(app: Flask) -> None:
    key = account_key(MOODLE, "7")
    session = _session(app)
    person_id = resolve_people(session, [key], now=NOW)[key]
    assert PEOPLE.known(session, [key]) == {}  # not yet committed

    session.commit()

    assert PEOPLE.known(session, [key]) == {key: person_id}
    session.close()


def test_people_created_by_a_transaction_that_rolls_back_are_not_remembered(app: Flask) -> None:
    key = account_key(MOODLE, "7")
    session = _session(app)
    resolve_people(session, [key], now=NOW)
    session.rollback()
    session.commit()  # a later, empty commit must not bring the rolled-back person back

    assert PEOPLE.known(session, [key]) == {}
    session.close()


def test_a_savepoint_rolled_back_forgets_what_was_pending(app: Flask) -> None:
    key = account_key(MOODLE, "7")
    session = _session(app)
    savepoint = session.begin_nested()
    resolve_people(session, [key], now=NOW)
    savepoint.rollback()
    session.commit()

    assert PEOPLE.known(session, [key]) == {}
    session.close()


def test_remembered_people_are_resolved_without_asking_the_database(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [account_key(MOODLE, str(n)) for n in range(5)]
    with database(app).session_scope() as session:
        first = resolve_people(session, keys, now=NOW)
    queries: list[str] = []
    fetch = driver_sql.DriverSQL.fetch
    monkeypatch.setattr(
        driver_sql.DriverSQL,
        "fetch",
        lambda self, sql, params=(): (queries.append(sql), fetch(self, sql, params))[1],
    )

    with database(app).session_scope() as session:
        assert resolve_people(session, keys, now=NOW) == first

    assert queries == []


def _people(app: Flask) -> int:
    with database(app).session_scope() as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def test_a_key_stored_by_another_process_resolves_to_that_person_and_adds_no_one(
    app: Flask,
) -> None:
    key = account_key(MOODLE, "7")
    with database(app).session_scope() as session:
        theirs = resolve_people(session, [key], now=NOW)[key]
    forget_all()  # as in another process, which never saw the key
    before = _people(app)

    with database(app).session_scope() as session:
        ours = resolve_people(session, [key, account_key(MOODLE, "8")], now=NOW)

    assert ours[key] == theirs
    assert _people(app) == before + 1


@pytest.mark.skipif(postgres_url() is not None, reason="SQLite looks up before it inserts")
def test_a_key_taken_between_the_look_up_and_the_insert_resolves_to_that_person(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = account_key(MOODLE, "7")
    with database(app).session_scope() as session:
        theirs = resolve_people(session, [key], now=NOW)[key]
    forget_all()
    existing = identity._existing
    looks: list[list[str]] = []

    def not_yet_there_at_first_look(sql: driver_sql.DriverSQL, keys: list[str]) -> dict[str, str]:
        looks.append(keys)
        return {} if len(looks) == 1 else existing(sql, keys)

    monkeypatch.setattr(identity, "_existing", not_yet_there_at_first_look)
    with database(app).session_scope() as session:
        ours = resolve_people(session, [key], now=NOW)[key]

    assert ours == theirs
    assert len(looks) == 2


@pytest.mark.skipif(postgres_url() is None, reason="SQLite has one writer at a time")
def test_two_transactions_creating_the_same_teacher_at_once_make_one_person(app: Flask) -> None:
    """The second waits for the first's new identifier, finds it taken, and takes its person;
    the person it had drawn is never inserted."""
    key = account_key(MOODLE, "42")
    before = _people(app)
    first = database(app).sessionmaker()
    mine = resolve_people(first, [key], now=NOW)[key]
    theirs: dict[str, str] = {}

    def second() -> None:
        forget_all()
        with database(app).session_scope() as session:
            theirs.update(resolve_people(session, [key], now=NOW))

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=0.5)
    assert racer.is_alive(), "the second should wait for the first's identifier"
    first.commit()
    first.close()
    racer.join(timeout=10)

    assert theirs == {key: mine}
    assert _people(app) == before + 1


def test_new_people_get_their_names_cut_to_the_column(app: Flask) -> None:
    keys = [account_key(MOODLE, str(n)) for n in range(3)]
    names = {keys[0]: "李华", keys[1]: "王" * 300}
    with database(app).session_scope() as session:
        people = resolve_people(session, keys, now=NOW, display_names=names)
    with database(app).session_scope() as session:
        stored = {
            person.id: person.display_name
            for person in session.scalars(select(Person).where(Person.id.in_(people.values())))
        }

    # An xAPI actor's name has no length limit; the label keeps the first 255 characters.
    assert stored == {people[keys[0]]: "李华", people[keys[1]]: "王" * 255, people[keys[2]]: None}
