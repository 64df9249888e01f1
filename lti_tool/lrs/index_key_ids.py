"""The numbers that the statement index tables hold in place of agent keys and activity IRIs.

Each agent key and activity IRI a stored statement mentions is numbered once, in
``xapi_agent_keys`` / ``xapi_activity_iris``, and the index tables refer to it by that number.
A number never changes once committed, so ingest finds a batch's numbers *before* it takes the
writer lock — from this process's memory of committed numbers, else by one look-up — and only
numbers the values it has never seen under the lock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from lti_tool.committed_memo import CommittedMemo
from lti_tool.driver_sql import DriverSQL
from lti_tool.models.lrs import ActivityIri, AgentKey
from xapi.indexing import IndexKeys

#: Values a look-up sends at once (SQLite allows 32,766 parameters a statement).
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Numbering:
    """One of the two numbered sets of values: its model, value column and memory."""

    model: type[AgentKey] | type[ActivityIri]
    column: str
    memo: CommittedMemo[int]

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)


AGENT_KEYS = Numbering(AgentKey, "key", CommittedMemo("agent keys"))
ACTIVITY_IRIS = Numbering(ActivityIri, "iri", CommittedMemo("activity IRIs"))


class BatchKeyIds(NamedTuple):
    """The numbers of a batch's agent keys and activity IRIs, by value."""

    agents: dict[str, int]
    activities: dict[str, int]


def batch_values(batch: Iterable[IndexKeys]) -> tuple[set[str], set[str]]:
    """Every agent key and every activity IRI that a batch's index rows hold."""
    agents: set[str] = set()
    activities: set[str] = set()
    for keys in batch:
        agents.update(keys.agents, keys.related_agents)
        activities.update(keys.related_activities)
        if keys.activity is not None:
            activities.add(keys.activity)
    return agents, activities


def known_batch_ids(session: Session, batch: Iterable[IndexKeys]) -> BatchKeyIds:
    """The numbers already committed for a batch's values (needs no writer lock).

    On PostgreSQL, which has no writer lock, only this process's memory is asked: a value it
    does not remember is most often new, so :func:`all_ids` tries to number it straight away
    and looks up only the values that turn out numbered already. Asking first cost every new
    value a look-up that misses — and on the small tables of a new install the planner reads
    such a look-up's table whole (bench/README.md).
    """
    agents, activities = batch_values(batch)
    if session.get_bind().dialect.name == "postgresql":
        return BatchKeyIds(
            agents=AGENT_KEYS.memo.known(session, agents),
            activities=ACTIVITY_IRIS.memo.known(session, activities),
        )
    return BatchKeyIds(
        agents=known_ids(session, AGENT_KEYS, agents),
        activities=known_ids(session, ACTIVITY_IRIS, activities),
    )


def known_ids(session: Session, numbering: Numbering, values: Collection[str]) -> dict[str, int]:
    """The numbers of those ``values`` that are numbered already."""
    found = numbering.memo.known(session, values)
    missing = [value for value in set(values) if value not in found]
    if missing:
        looked_up = _look_up(DriverSQL(session), numbering, missing)
        numbering.memo.remember_on_commit(session, looked_up)
        found.update(looked_up)
    return found


def known_id(session: Session, numbering: Numbering, value: str) -> int | None:
    """The number of one value, None if no stored statement mentions it."""
    return known_ids(session, numbering, (value,)).get(value)


def all_ids(
    session: Session, numbering: Numbering, values: Collection[str], known: dict[str, int]
) -> dict[str, int]:
    """Every value's number, numbering those that have none yet.

    ``known`` holds numbers found earlier (:func:`known_batch_ids`). Safe when another writer
    numbers the same value meanwhile (PostgreSQL): its number is read back. Values are
    inserted in sorted order, so two such writers cannot deadlock.
    """
    missing = sorted(value for value in set(values) if value not in known)
    if not missing:
        return known
    sql = DriverSQL(session)
    inserted = sql.insert_new(
        numbering.table,
        (numbering.column,),
        [(value,) for value in missing],
        unique=(numbering.column,),
        returning=(numbering.column, "id"),
    )
    numbered = {value: int(number) for value, number in inserted}
    taken_meanwhile = [value for value in missing if value not in numbered]
    if taken_meanwhile:
        numbered.update(_look_up(sql, numbering, taken_meanwhile))
    numbering.memo.remember_on_commit(session, numbered)
    return {**known, **numbered}


def _look_up(sql: DriverSQL, numbering: Numbering, values: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        rows = sql.fetch(
            f'SELECT "{numbering.column}", id FROM {numbering.table.name} '
            f'WHERE "{numbering.column}" IN ({sql.markers(len(chunk))})',
            chunk,
        )
        found.update((value, int(number)) for value, number in rows)
    return found
