"""Values this process has seen committed, so that ingest need not ask the database for the same
teachers, agents and activities in every batch.

A memo holds mappings that never change once committed: an identifier key names the same person
for good, and an agent key or activity IRI keeps its index id for good (Trellis never deletes or
re-points either). So a pair may be remembered for the life of the process — but only once the
transaction that found or created it has committed, since a row created by a transaction that
is then rolled back never existed (and SQLite may hand its id to another row). Pairs wait in the
session until its commit; a rollback forgets them.

Measured (bench/ingest.py, PostgreSQL, batches of 100): the look-up of 100 person keys took a
median 14.6 ms of a 50 ms request while the identifier table grew, as the planner scanned it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

#: Keys a memo remembers per database before it is emptied and filled afresh (≈ 150 bytes a
#: key: a programme of 100,000 teachers fits).
MAX_REMEMBERED = 200_000

V = TypeVar("V")

#: Every memo, so that commits and rollbacks reach each of them.
_MEMOS: list[CommittedMemo[Any]] = []


def _engine(session: Session) -> Engine:
    return session.get_bind().engine


class CommittedMemo(Generic[V]):
    """Key → value pairs of one kind, remembered per database once committed."""

    def __init__(self, name: str) -> None:
        self._pending = f"trellis.memo.{name}"
        self._remembered: WeakKeyDictionary[Engine, dict[str, V]] = WeakKeyDictionary()
        _MEMOS.append(self)

    def known(self, session: Session, keys: Iterable[str]) -> dict[str, V]:
        """The values of those ``keys`` this process has seen committed."""
        remembered = self._remembered.get(_engine(session))
        if not remembered:
            return {}
        return {key: remembered[key] for key in keys if key in remembered}

    def remember_on_commit(self, session: Session, values: Mapping[str, V]) -> None:
        """Remember ``values`` once ``session``'s transaction commits."""
        if values:
            session.info.setdefault(self._pending, {}).update(values)

    def _promote(self, session: Session) -> None:
        pending = session.info.pop(self._pending, None)
        if not pending:
            return
        remembered = self._remembered.setdefault(_engine(session), {})
        if len(remembered) + len(pending) > MAX_REMEMBERED:
            remembered.clear()
        remembered.update(pending)

    def _forget_pending(self, session: Session) -> None:
        session.info.pop(self._pending, None)

    def _forget_all(self) -> None:
        self._remembered.clear()


#: Identifier key → person id (:mod:`lti_tool.identity`).
PEOPLE: CommittedMemo[str] = CommittedMemo("people")


def forget_all() -> None:
    """Forget everything remembered (for tests that rebuild a database under one engine)."""
    for memo in _MEMOS:
        memo._forget_all()


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    for memo in _MEMOS:
        memo._promote(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous: SessionTransaction) -> None:
    # Any rollback, a savepoint's too, forgets what is pending: remembering less is safe.
    for memo in _MEMOS:
        memo._forget_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _start_clean(session: Session, transaction: SessionTransaction) -> None:
    # A top-level transaction starts with nothing pending, whatever the last one left.
    if transaction.parent is None:
        for memo in _MEMOS:
            memo._forget_pending(session)
