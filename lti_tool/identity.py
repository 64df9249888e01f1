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
from lti_tool.db import insert_ignoring_conflicts
from lti_tool.driver_sql import DriverSQL
from lti_tool.models.identity import Person, PersonIdentifier

_NAME_LENGTH = cast(String, cast(Table, Person.__table__).c.display_name.type).length or 0


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
    looked_up = _existing(session, wanted - found.keys())
    found.update(looked_up)
    missing = sorted(wanted - found.keys())
    if missing:
        names = display_names or {}
        new_people = {key: str(uuid.uuid4()) for key in missing}
        session.execute(
            insert_ignoring_conflicts(session, Person, ["id"]),
            [
                {"id": person_id, "display_name": _display_name(names.get(key)), "created_at": now}
                for key, person_id in new_people.items()
            ],
        )
        inserted = session.execute(
            insert_ignoring_conflicts(session, PersonIdentifier, ["key"]).returning(
                PersonIdentifier.key, PersonIdentifier.person_id
            ),
            [
                {"key": key, "person_id": person_id, "created_at": now}
                for key, person_id in new_people.items()
            ],
        )
        created = {key: person_id for key, person_id in inserted}
        # A key another process created meanwhile was not inserted here: read its person.
        taken_meanwhile = set(missing) - created.keys()
        if taken_meanwhile:
            created.update(_existing(session, taken_meanwhile))
        found.update(created)
        looked_up.update(created)
    PEOPLE.remember_on_commit(session, looked_up)
    return found


def _display_name(name: str | None) -> str | None:
    """A name as a person's label: an xAPI actor's name has no length limit, the column has."""
    return None if name is None else name[:_NAME_LENGTH]


def _existing(session: Session, keys: set[str]) -> dict[str, str]:
    # Through the driver: ingest asks this for every batch (up to 100 keys at a time).
    sql = DriverSQL(session)
    rows = sql.fetch(
        f'SELECT "key", person_id FROM {PersonIdentifier.__tablename__} '
        f'WHERE "key" IN ({sql.markers(len(keys))})',
        list(keys),
    )
    return {key: person_id for key, person_id in rows}
