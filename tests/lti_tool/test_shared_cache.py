"""The shared cache keeps state every worker and node can see; add() is the single-use primitive."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from lti_tool.db import database
from lti_tool.shared_cache import SharedCache

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_set_then_get_returns_the_json_value(db_session: Session) -> None:
    cache = SharedCache(db_session)
    cache.set("launch:abc", {"sub": "42", "roles": ["Learner"]}, timedelta(minutes=5))
    db_session.commit()

    assert SharedCache(db_session).get("launch:abc") == {"sub": "42", "roles": ["Learner"]}


def test_get_of_an_expired_value_is_none(db_session: Session) -> None:
    clock = FakeClock(START)
    cache = SharedCache(db_session, clock)
    cache.set("k", "v", timedelta(seconds=60))

    clock.now = START + timedelta(seconds=61)

    assert cache.get("k") is None


def test_set_replaces_an_earlier_value(db_session: Session) -> None:
    cache = SharedCache(db_session)
    cache.set("k", 1, timedelta(minutes=1))
    cache.set("k", 2, timedelta(minutes=1))

    assert cache.get("k") == 2


def test_add_stores_only_when_no_live_value_exists(db_session: Session) -> None:
    clock = FakeClock(START)
    cache = SharedCache(db_session, clock)

    assert cache.add("nonce:n1", True, timedelta(seconds=60)) is True
    assert cache.add("nonce:n1", True, timedelta(seconds=60)) is False
    clock.now = START + timedelta(seconds=61)
    assert cache.add("nonce:n1", True, timedelta(seconds=60)) is True


def test_add_from_two_sessions_at_once_lets_exactly_one_win(app: Flask) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        with database(app).session_scope() as session:
            barrier.wait()
            results.append(SharedCache(session).add("nonce:race", 1, timedelta(minutes=1)))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]


def test_purge_expired_removes_only_expired_entries(db_session: Session) -> None:
    clock = FakeClock(START)
    cache = SharedCache(db_session, clock)
    cache.set("old", 1, timedelta(seconds=10))
    cache.set("new", 2, timedelta(hours=1))
    clock.now = START + timedelta(minutes=1)

    assert cache.purge_expired() == 1
    assert cache.get("new") == 2
    assert cache.keys_with_prefix("") == ["new"]


def test_keys_with_prefix_treats_like_wildcards_literally(db_session: Session) -> None:
    cache = SharedCache(db_session)
    cache.set("a_b:1", 1, timedelta(minutes=1))
    cache.set("axb:1", 1, timedelta(minutes=1))

    assert cache.keys_with_prefix("a_b") == ["a_b:1"]
