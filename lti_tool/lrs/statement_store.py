"""Persistence of statements: insert a batch with its index rows and outbox entries, look up,
and query with the GET filters. Adds and flushes; the use case commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, and_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from lti_tool.driver_sql import DriverSQL
from lti_tool.lrs.index_key_ids import (
    ACTIVITY_IRIS,
    AGENT_KEYS,
    BatchKeyIds,
    all_ids,
    batch_values,
    known_id,
    known_ids,
)
from lti_tool.models.identity import PersonIdentifier
from lti_tool.models.lrs import (
    AgentKey,
    OutboxEntry,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementReference,
)
from xapi.indexing import IndexKeys

#: The downstream consumers every accepted statement is queued for, in the same transaction.
OUTBOX_CONSUMERS: tuple[str, ...] = ("competency", "export")

_STATEMENTS = cast(Table, Statement.__table__)
_AGENTS = cast(Table, StatementAgent.__table__)
_ACTIVITIES = cast(Table, StatementActivity.__table__)
_OUTBOX = cast(Table, OutboxEntry.__table__)
_REFERENCES = cast(Table, StatementReference.__table__)
_STATEMENT_COLUMNS = (
    "seq",
    "id",
    "source_id",
    "person_id",
    "verb_id",
    "activity_id",
    "registration",
    "voids_id",
    "voided",
    "stored",
    "timestamp",
    "document",
)


def actor_among(people: Sequence[str]) -> ColumnElement[bool]:
    """The condition "the statement's actor is one of these people", read through the agent index.

    A statement's ``person_id`` is its actor's person, and the actor's identifier has a direct
    row in the agent index, so the index finds every such statement; the ``person_id`` check
    leaves out the statements where a person is only the object or a group member. The
    statements table keeps no index of its own on ``person_id``: one more index spread over
    every teacher cost ingest 15–25 % at 1M stored (bench/README.md).
    """
    direct_rows = (
        select(StatementAgent.statement_seq)
        .join(AgentKey, AgentKey.id == StatementAgent.agent_key_id)
        .join(PersonIdentifier, PersonIdentifier.key == AgentKey.key)
        .where(PersonIdentifier.person_id.in_(people), StatementAgent.direct.is_(True))
    )
    return and_(Statement.seq.in_(direct_rows), Statement.person_id.in_(people))


class StatementRow(NamedTuple):
    """A statement ready to insert: its stored JSON and the values its indexes hold."""

    keys: IndexKeys
    document: str
    stored: datetime
    timestamp: datetime
    person_id: str | None


@dataclass(frozen=True, slots=True)
class StatementFilter:
    """The filters of ``GET /statements`` (xAPI 1.0.3 Communication 2.1.3), already validated,
    plus who may see what and where a page starts.

    ``after_seq`` and ``max_seq`` page through a result: ``max_seq`` freezes the result at the
    first page so statements stored meanwhile do not shift later pages.
    """

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    source_id: int | None = None
    after_seq: int | None = None
    max_seq: int | None = None


@dataclass(frozen=True, slots=True)
class _FilterIds:
    """The index numbers of a query's agent and activity filters (None: no such filter)."""

    agent: int | None
    activity: int | None


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """A statement read back: its position in the log, stored time and stored JSON."""

    seq: int
    stored: datetime
    document: str


class StatementStore:
    """Statements in the database."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, str]:
        """Stored JSON of those ids that are already stored (ids lowercase)."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        sql = DriverSQL(self._session)
        rows = sql.fetch(
            f"SELECT id, document FROM {_STATEMENTS.name} WHERE id IN ({sql.markers(len(wanted))})",
            wanted,
        )
        return {statement_id: document for statement_id, document in rows}

    def voiding_statement_ids(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` whose stored statement is itself a voiding statement."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        rows = self._session.scalars(
            select(Statement.id).where(Statement.id.in_(wanted), Statement.voids_id.is_not(None))
        )
        return set(rows)

    def insert(
        self,
        rows: Sequence[StatementRow],
        *,
        source_id: int,
        now: datetime,
        known: BatchKeyIds | None = None,
    ) -> None:
        """Insert statements, their index rows and one outbox entry per consumer; apply voiding.

        A voiding statement voids its target if the target is stored and is not itself a
        voiding statement (xAPI 1.0.3 Data 2.3.2); a target that arrives after its voiding
        statement is voided on arrival.

        Every row goes through the driver (:class:`DriverSQL`): a batch of 100 is some 600
        rows, and SQLAlchemy's per-row work cost more than the database's. Positions in the log
        are taken before the insert — on SQLite the next ones after the highest (the caller holds
        the writer lock; a writer that did not would make the insert fail and be retried), on
        PostgreSQL from the table's sequence.

        ``known``: the numbers of the batch's agent keys and activity IRIs found before the
        writer lock (``known_batch_ids``); only the others are looked up or numbered here.
        """
        if not rows:
            return
        sql = DriverSQL(self._session)
        ids = [row.keys.statement_id for row in rows]
        already_voided = self._ids_voided_by_stored_statements(sql, ids)
        seqs = self._next_positions(sql, len(rows))
        as_time = sql.binder(_STATEMENTS.c.stored)  # the same DateTime type as `timestamp`
        # A batch's rows share one `stored` time: bind each distinct one once, not once a row.
        stored_as = {stored: as_time(stored) for stored in {row.stored for row in rows}}
        sql.insert_many(
            _STATEMENTS,
            _STATEMENT_COLUMNS,
            [
                (
                    seq,
                    row.keys.statement_id,
                    source_id,
                    row.person_id,
                    row.keys.verb,
                    row.keys.activity,
                    row.keys.registration,
                    row.keys.voided_statement_id,
                    row.keys.voided_statement_id is None
                    and row.keys.statement_id in already_voided,
                    stored_as[row.stored],
                    as_time(row.timestamp),
                    row.document,
                )
                for seq, row in zip(seqs, rows, strict=True)
            ],
        )
        agent_ids, activity_ids = self._key_ids(rows, known)
        agent_rows: list[tuple[int, int, bool]] = []
        activity_rows: list[tuple[int, int, bool]] = []
        references: list[tuple[int, str]] = []
        for seq, row in zip(seqs, rows, strict=True):
            keys = row.keys
            agent_rows.extend(_index_rows(seq, agent_ids, keys.agents, keys.related_agents))
            direct_activity = (keys.activity,) if keys.activity else ()
            activity_rows.extend(
                _index_rows(seq, activity_ids, direct_activity, keys.related_activities)
            )
            if keys.statement_ref is not None:
                references.append((seq, keys.statement_ref))
        sql.insert_many(_AGENTS, ("statement_seq", "agent_key_id", "direct"), agent_rows)
        sql.insert_many(_ACTIVITIES, ("statement_seq", "activity_iri_id", "direct"), activity_rows)
        sql.insert_many(_REFERENCES, ("statement_seq", "target_id"), references)
        batch = json.dumps(seqs, separators=(",", ":"))
        enqueued_at = sql.binder(_OUTBOX.c.enqueued_at)(now)
        sql.insert_many(
            _OUTBOX,
            ("consumer", "statement_seqs", "enqueued_at"),
            [(consumer, batch, enqueued_at) for consumer in OUTBOX_CONSUMERS],
        )
        targets = [
            row.keys.voided_statement_id for row in rows if row.keys.voided_statement_id is not None
        ]
        if targets:
            self._session.execute(
                update(Statement)
                .where(Statement.id.in_(targets), Statement.voids_id.is_(None))
                .values(voided=True)
            )

    def _key_ids(
        self, rows: Sequence[StatementRow], known: BatchKeyIds | None
    ) -> tuple[dict[str, int], dict[str, int]]:
        agents, activities = batch_values(row.keys for row in rows)
        if known is None:
            known = BatchKeyIds(
                agents=known_ids(self._session, AGENT_KEYS, agents),
                activities=known_ids(self._session, ACTIVITY_IRIS, activities),
            )
        return (
            all_ids(self._session, AGENT_KEYS, agents, known.agents),
            all_ids(self._session, ACTIVITY_IRIS, activities, known.activities),
        )

    @staticmethod
    def _next_positions(sql: DriverSQL, count: int) -> list[int]:
        if sql.is_postgresql:
            # The sequence is looked up once, not once a row: pg_get_serial_sequence is a
            # catalog look-up, and per row it cost the server 458 against 175 µs a batch of 100.
            rows = sql.fetch(
                "WITH sequence AS MATERIALIZED ("
                f"SELECT pg_get_serial_sequence('{_STATEMENTS.name}', 'seq')::regclass AS id) "
                f"SELECT nextval(sequence.id) FROM sequence, generate_series(1, {sql.markers(1)})",
                (count,),
            )
            return sorted(int(value) for (value,) in rows)
        ((highest,),) = sql.fetch(f"SELECT max(seq) FROM {_STATEMENTS.name}")
        first = (highest or 0) + 1
        return list(range(first, first + count))

    @staticmethod
    def _ids_voided_by_stored_statements(sql: DriverSQL, ids: list[str]) -> set[str]:
        # Voiding statements have a StatementRef object, so they are in the small reference
        # table; asking the million-row statements table instead ("voids_id IN (100 ids)")
        # took 0.5 s a batch on PostgreSQL at 1M statements, index or not (bench/ingest.py).
        # Two steps, since a batch's ids are almost never referred to: planning the join with
        # 100 values cost PostgreSQL ≈ 1.6 ms a batch, the reference look-up alone ≈ 0.3 ms.
        # Asked as lower(target_id), the expression its own index is on (migration 0011): target
        # ids are stored lowercase, as are the batch's, so it is the same question.
        referring = sql.fetch(
            f"SELECT statement_seq, target_id FROM {_REFERENCES.name} "
            f"WHERE lower(target_id) IN ({sql.markers(len(ids))})",
            ids,
        )
        if not referring:
            return set()
        target_by_seq = dict(referring)
        voiding = sql.fetch(
            f"SELECT seq FROM {_STATEMENTS.name} "
            f"WHERE seq IN ({sql.markers(len(target_by_seq))}) AND voids_id IS NOT NULL",
            list(target_by_seq),
        )
        return {target_by_seq[seq] for (seq,) in voiding}

    def get(
        self, statement_id: str, *, voided: bool, source_id: int | None = None
    ) -> StoredStatement | None:
        """The stored JSON of one statement, or None.

        Args:
            statement_id: the id, lowercase.
            voided: True to fetch a voided statement (``voidedStatementId``), False for a
                statement that is not voided (``statementId``).
            source_id: restrict to statements of this source (a non-admin credential).
        """
        query = select(Statement.seq, Statement.stored, Statement.document).where(
            Statement.id == statement_id, Statement.voided.is_(voided)
        )
        if source_id is not None:
            query = query.where(Statement.source_id == source_id)
        row = self._session.execute(query).first()
        return StoredStatement(seq=row[0], stored=row[1], document=row[2]) if row else None

    def latest_seq(self) -> int:
        """The position of the newest statement (0 for an empty store)."""
        return (
            self._session.scalar(select(Statement.seq).order_by(Statement.seq.desc()).limit(1)) or 0
        )

    def query(self, query: StatementFilter, limit: int) -> list[StoredStatement]:
        """Statements that meet the filters, in ``stored`` order, at most ``limit`` of them.

        Voided statements are never returned. A statement that refers by StatementRef to a
        statement meeting the filters meets them too (xAPI 1.0.3 Communication 2.1.3, "Filter
        Conditions for StatementRefs"), though its own properties do not; those come from a
        second query over the (small) reference table, and the two pages are merged.
        """
        ids = self._filter_ids(query)
        if ids is None:
            return []
        page = self._page(
            query,
            ids,
            limit,
            *_property_conditions(query, ids, Statement, skip=_driving_filter(query)),
        )
        if _has_property_filter(query):
            target = aliased(Statement)
            refers_to_match = Statement.seq.in_(
                select(StatementReference.statement_seq)
                .join(target, target.id == StatementReference.target_id)
                .where(*_property_conditions(query, ids, target))
            )
            page = _merge(
                page, self._page(query, ids, limit, refers_to_match, driven=False), query, limit
            )
        return page

    def _filter_ids(self, query: StatementFilter) -> _FilterIds | None:
        """The index numbers of the agent and activity filters; None when a filter names a
        value no stored statement mentions (then nothing matches)."""
        agent = activity = None
        if query.agent is not None:
            agent = known_id(self._session, AGENT_KEYS, query.agent)
            if agent is None:
                return None
        if query.activity is not None:
            activity = known_id(self._session, ACTIVITY_IRIS, query.activity)
            if activity is None:
                return None
        return _FilterIds(agent=agent, activity=activity)

    def _page(
        self,
        query: StatementFilter,
        ids: _FilterIds,
        limit: int,
        *match: ColumnElement[bool],
        driven: bool = True,
    ) -> list[StoredStatement]:
        stmt = select(Statement.seq, Statement.stored, Statement.document)
        position: InstrumentedAttribute[int] = Statement.seq
        # The agent's (else the activity's) own index rows drive, in position order: the page
        # is read off the (key, statement_seq) index, whatever else the query filters on.
        # Written as a filter, PostgreSQL at 1M statements walked a verb index instead (1.2 s).
        driver = _driving_filter(query) if driven else None
        if driver is not None:
            index, key, wanted, related = (
                (StatementAgent, StatementAgent.agent_key_id, ids.agent, query.related_agents)
                if driver == "agent"
                else (
                    StatementActivity,
                    StatementActivity.activity_iri_id,
                    ids.activity,
                    query.related_activities,
                )
            )
            on = [index.statement_seq == Statement.seq, key == wanted]
            if not related:
                on.append(index.direct.is_(True))
            stmt = stmt.join(index, and_(*on))
            position = index.statement_seq
        stmt = (
            stmt.where(
                *match,
                Statement.voided.is_(False),
                *_time_conditions(query),
                *_paging_conditions(query, position),
            )
            .order_by(position.asc() if query.ascending else position.desc())
            .limit(limit)
        )
        if query.source_id is not None:
            stmt = stmt.where(Statement.source_id == query.source_id)
        return [
            StoredStatement(seq=seq, stored=stored, document=document)
            for seq, stored, document in self._session.execute(stmt)
        ]


def _merge(
    first: list[StoredStatement],
    second: list[StoredStatement],
    query: StatementFilter,
    limit: int,
) -> list[StoredStatement]:
    by_seq = {row.seq: row for row in (*first, *second)}
    ordered = sorted(by_seq.values(), key=lambda row: row.seq, reverse=not query.ascending)
    return ordered[:limit]


def _index_rows(
    seq: int, ids: dict[str, int], direct: Iterable[str], related: Iterable[str]
) -> list[tuple[int, int, bool]]:
    direct_ids = {ids[value] for value in direct}
    every_id = direct_ids.union(ids[value] for value in related)
    return [(seq, number, number in direct_ids) for number in sorted(every_id)]


def _has_property_filter(query: StatementFilter) -> bool:
    return any(
        value is not None for value in (query.agent, query.verb, query.activity, query.registration)
    )


def _driving_filter(query: StatementFilter) -> Literal["agent", "activity"] | None:
    """The filter whose index table drives a page: the agent's, else the activity's."""
    if query.agent is not None:
        return "agent"
    if query.activity is not None:
        return "activity"
    return None


def _property_conditions(
    query: StatementFilter,
    ids: _FilterIds,
    statement: type[Statement],
    *,
    skip: Literal["agent", "activity"] | None = None,
) -> list[ColumnElement[bool]]:
    """The filters on a statement's own properties, for ``statement`` (the table or an alias);
    ``skip`` leaves out the one a join already applies.

    Agent and related-activity filters are ``seq IN (…)`` over their index tables, which
    planners drive from the index; ``EXISTS`` made SQLite walk every statement instead.
    """
    conditions: list[ColumnElement[bool]] = []
    if skip != "agent" and ids.agent is not None:
        agents = select(StatementAgent.statement_seq).where(
            StatementAgent.agent_key_id == ids.agent
        )
        if not query.related_agents:
            agents = agents.where(StatementAgent.direct.is_(True))
        conditions.append(statement.seq.in_(agents))
    if query.verb is not None:
        conditions.append(statement.verb_id == query.verb)
    if skip != "activity" and query.activity is not None:
        if query.related_activities:
            conditions.append(
                statement.seq.in_(
                    select(StatementActivity.statement_seq).where(
                        StatementActivity.activity_iri_id == ids.activity
                    )
                )
            )
        else:  # checked on rows another index found: the column has no index of its own
            conditions.append(statement.activity_id == query.activity)
    if query.registration is not None:
        conditions.append(statement.registration == query.registration)
    return conditions


def _time_conditions(query: StatementFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.since is not None:
        conditions.append(Statement.stored > query.since)
    if query.until is not None:
        conditions.append(Statement.stored <= query.until)
    return conditions


def _paging_conditions(
    query: StatementFilter, position: InstrumentedAttribute[int]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.max_seq is not None:
        conditions.append(position <= query.max_seq)
    if query.after_seq is not None:
        conditions.append(
            position > query.after_seq if query.ascending else position < query.after_seq
        )
    return conditions
