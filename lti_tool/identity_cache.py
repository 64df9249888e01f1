"""The person ids this process has seen committed, so that ingest need not ask the database for
the same teachers in every batch.

An identifier key, once committed, names the same person for good: Trellis never deletes or
re-points a person identifier. So a key → person id pair may be remembered for the life of the
process — but only once the transaction that found or created it has committed, since a person
created by a transaction that is then rolled back never existed. Pairs wait in the session
until its commit; a rollback forgets them.

Measured (bench/ingest.py, PostgreSQL, batches of 100): the look-up of 100 keys took a median
14.6 ms of a 50 ms request while the identifier table grew, as the planner scanned it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

#: Keys remembered per database before the memory is emptied and filled afresh (≈ 150 bytes a
#: key: a programme of 100,000 teachers fits).
MAX_REMEMBERED = 200_000

_PENDING = "trellis.people_pending"
_remembered: WeakKeyDictionary[Engine, dict[str, str]] = WeakKeyDictionary()


def _engine(session: Session) -> Engine:
    return session.get_bind().engine


def known_people(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """The person ids of those ``keys`` this process has seen committed."""
    remembered = _remembered.get(_engine(session))
    if not remembered:
        return {}
    return {key: remembered[key] for key in keys if key in remembered}


def remember_on_commit(session: Session, people: Mapping[str, str]) -> None:
    """Remember ``people`` (key → person id) once ``session``'s transaction commits."""
    if people:
        session.info.setdefault(_PENDING, {}).update(people)


def forget_all() -> None:
    """Forget everything remembered (for tests that rebuild a database under one engine)."""
    _remembered.clear()


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    engine = _engine(session)
    remembered = _remembered.setdefault(engine, {})
    if len(remembered) + len(pending) > MAX_REMEMBERED:
        remembered.clear()
    remembered.update(pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous: SessionTransaction) -> None:
    # Any rollback, a savepoint's too, forgets what is pending: remembering less is safe.
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_create")
def _start_clean(session: Session, transaction: SessionTransaction) -> None:
    # A top-level transaction starts with nothing pending, whatever the last one left.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
