"""Resolve identifiers (xAPI actor IFIs, LTI issuer + subject) to person records.

A Moodle user reaches Trellis twice: as the actor of logstore_xapi statements
(``account: {homePage: <wwwroot>, name: <user id>}``) and as an LTI launch (``iss`` = wwwroot,
``sub`` = user id). Both become the key ``account:<wwwroot>|<user id>``, so both find one person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import String, Table
from sqlalchemy.orm import Session

from lti_tool.committed_memo import PEOPLE
from lti_tool.driver_sql import DriverSQL
from lti_tool.models.identity import Person, PersonIdentifier

_PERSONS = cast(Table, Person.__table__)
_IDENTIFIERS = cast(Table, PersonIdentifier.__table__)
#: Keys resolved in one statement on PostgreSQL (five parameters each).
_KEYS_A_STATEMENT = 5000
_NAME_LENGTH = cast(String, _PERSONS.c.display_name.type).length or 0


def account_key(home_page: str, name: str) -> str:
    """The identifier key of an xAPI account or an LTI (issuer, subject) pair."""
    return f"account:{home_page.rstrip('/')}|{name}"


def resolve_people(
    session: Session,
    keys: Iterable[str],
    *,
    now: datetime,
    display_names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each identifier key to its person id, creating people for keys seen the first time.

    Safe when several processes resolve the same new key at once: one person wins, and every
    caller gets that person.

    Args:
        session: the unit of work; the caller commits.
        keys: identifier keys (see :func:`account_key` and ``xapi.indexing.agent_key``).
        now: creation time for new records.
        display_names: names to give people created here, by key.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    found = PEOPLE.known(session, wanted)
    if len(found) == len(wanted):
        return found
    unknown = sorted(wanted - found.keys())
    names = display_names or {}
    sql = DriverSQL(session)
    if sql.is_postgresql:
        resolved = _create_then_look_up(sql, unknown, names, now)
    else:
        resolved = _look_up_then_create(sql, unknown, names, now)
    found.update(resolved)
    PEOPLE.remember_on_commit(session, resolved)
    return found


def _look_up_then_create(
    sql: DriverSQL, keys: list[str], names: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """SQLite: ask which keys exist, create people for the others."""
    resolved = _existing(sql, keys)
    missing = [key for key in keys if key not in resolved]
    if not missing:
        return resolved
    new_people = {key: str(uuid.uuid4()) for key in missing}
    created_at = sql.binder(_PERSONS.c.created_at)(now)
    sql.insert_many(
        _PERSONS,
        ("id", "display_name", "created_at"),
        [
            (person_id, _display_name(names.get(key)), created_at)
            for key, person_id in new_people.items()
        ],
    )
    created = dict(
        sql.insert_new(
            _IDENTIFIERS,
            ("key", "person_id", "created_at"),
            [(key, person_id, created_at) for key, person_id in new_people.items()],
            unique=("key",),
            returning=("key", "person_id"),
        )
    )
    resolved.update(created)
    taken_meanwhile = [key for key in missing if key not in created]
    if taken_meanwhile:  # by another process, between the look-up and the insert
        resolved.update(_existing(sql, taken_meanwhile))
    return resolved


def _create_then_look_up(
    sql: DriverSQL, keys: list[str], names: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """PostgreSQL: give every key this process does not remember a new person in one statement
    — an identifier, and its person only if the identifier was new — then look up the keys
    that were taken already (stored earlier, or by another process just now).

    A key this process does not remember is most often new, and asking first cost each new
    teacher a look-up that missed; on a new install's small tables the planner answered it by
    reading the whole table (bench/README.md). The person is inserted after its identifier,
    in the same statement, so a key that was taken leaves no person behind; the foreign key
    is checked at the statement's end, once both exist.
    """
    resolved: dict[str, str] = {}
    for start in range(0, len(keys), _KEYS_A_STATEMENT):
        part = keys[start : start + _KEYS_A_STATEMENT]
        new_people = [(key, str(uuid.uuid4())) for key in part]
        identifiers = sql.row_markers(3, len(part))
        people = sql.row_markers(2, len(part))
        rows = sql.fetch(
            f"WITH new_keys AS ("
            f"INSERT INTO {_IDENTIFIERS.name} (key, person_id, created_at) VALUES {identifiers} "
            "ON CONFLICT (key) DO NOTHING RETURNING key, person_id), "
            f"new_people AS (INSERT INTO {_PERSONS.name} (id, display_name, created_at) "
            f"SELECT n.person_id, p.display_name, {sql.markers(1)} FROM new_keys n "
            f"JOIN (VALUES {people}) AS p (person_id, display_name) "
            "ON p.person_id = n.person_id) "
            "SELECT key, person_id FROM new_keys",
            [value for key, person_id in new_people for value in (key, person_id, now)]
            + [now]
            + [
                value
                for key, person_id in new_people
                for value in (person_id, _display_name(names.get(key)))
            ],
        )
        resolved.update((key, person_id) for key, person_id in rows)
    taken = [key for key in keys if key not in resolved]
    if taken:
        resolved.update(_existing(sql, taken))
    return resolved


def _display_name(name: str | None) -> str | None:
    """A name as a person's label: an xAPI actor's name has no length limit, the column has."""
    return None if name is None else name[:_NAME_LENGTH]


def _existing(sql: DriverSQL, keys: list[str]) -> dict[str, str]:
    # Through the driver: ingest asks this for every batch (up to 100 keys at a time).
    rows = sql.fetch(
        f'SELECT "key", person_id FROM {_IDENTIFIERS.name} '
        f'WHERE "key" IN ({sql.markers(len(keys))})',
        keys,
    )
    return {key: person_id for key, person_id in rows}
