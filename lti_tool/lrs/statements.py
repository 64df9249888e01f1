"""Use cases of the statement resource: store a batch, read one, query many.

Validation and normalisation are the pure rules of ``xapi``; this module decides what is stored,
links actors to people, and keeps a batch all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import serialized_writes
from lti_tool.identity import resolve_people
from lti_tool.lrs.attachments import check_attachments, store_attachments
from lti_tool.lrs.statement_store import StatementRow, StatementStore
from xapi import json_codec
from xapi.attachments import AttachmentPart
from xapi.comparison import statements_match
from xapi.errors import Problem, StatementValidationError
from xapi.indexing import IndexKeys, agent_key, index_keys
from xapi.normalise import normalise_statement
from xapi.syntax import parse_timestamp
from xapi.validation import validate_statement, validate_statements
from xapi.versions import XapiVersion

#: Longest indexed value (an IRI or agent key) this store accepts, in characters.
MAX_INDEXED_LENGTH = 1000


class StatementConflict(Exception):
    """A statement id is already stored with different content (409 Conflict)."""

    def __init__(self, statement_id: str) -> None:
        super().__init__(f"statement {statement_id} is already stored with different content")
        self.statement_id = statement_id


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is writing or reading: the credential's source and the authority it stands for."""

    source_id: int
    is_admin: bool
    authority: Mapping[str, Any]


def dumps(document: Mapping[str, Any]) -> str:
    """The stored JSON form of a statement: compact, UTF-8 kept as is."""
    return json_codec.dumps(document)


def store_statements(
    session: Session,
    body: Any,
    *,
    caller: Caller,
    version: XapiVersion,
    now: datetime,
    statement_id: str | None = None,
    attachments: Sequence[AttachmentPart] = (),
) -> list[str]:
    """Validate and store a POSTed batch (or one PUT statement); return the ids in order.

    All or nothing: one invalid statement rejects the batch. A statement whose id is already
    stored with the same content is accepted again and not stored twice; with different content
    the batch is refused (xAPI 1.0.3 Communication 2.1.1/2.1.2).

    Args:
        session: the unit of work; committed here, since a concurrent duplicate must be retried.
        body: the decoded JSON body.
        caller: the authenticated source.
        version: the negotiated xAPI version.
        now: the ``stored`` time.
        statement_id: the ``statementId`` of a PUT, which the body must agree with.
        attachments: the multipart parts sent after the statements.

    Raises:
        StatementValidationError: the body breaks the data model (400).
        StatementConflict: an id is stored with other content (409).
    """
    if statement_id is not None:
        validate_statement(body, version)
        body = _with_put_id(body, statement_id)
        batch = [body]
    else:
        validate_statements(body, version)
        batch = body if isinstance(body, list) else [body]
    contents = check_attachments(batch, attachments, version)
    normalised = [
        normalise_statement(statement, stored=now, authority=caller.authority, version=version)
        for statement in batch
    ]
    for attempt in (1, 2):
        try:
            with serialized_writes(session):
                ids = _store_normalised(session, normalised, caller=caller, now=now)
                store_attachments(session, contents)
                session.commit()
            return ids
        except IntegrityError:
            # Another request stored one of these ids between our check and our insert; the
            # second pass sees it and compares contents like any other re-sent statement.
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _with_put_id(statement: Mapping[str, Any], statement_id: str) -> dict[str, Any]:
    body_id = statement.get("id")
    if body_id is not None and str(body_id).lower() != statement_id.lower():
        raise StatementValidationError([Problem("id", "differs from the statementId parameter")])
    return {**statement, "id": statement_id}


def _store_normalised(
    session: Session, statements: Sequence[dict[str, Any]], *, caller: Caller, now: datetime
) -> list[str]:
    store = StatementStore(session)
    ids = [str(statement["id"]).lower() for statement in statements]
    stored = store.documents_by_id(ids)
    new: list[tuple[dict[str, Any], IndexKeys]] = []
    for position, (statement, statement_id) in enumerate(zip(statements, ids, strict=True)):
        if statement_id in stored:
            if not statements_match(json_codec.loads(stored[statement_id]), statement):
                raise StatementConflict(statement_id)
            continue
        keys = index_keys(statement)
        _check_indexable(keys, position)
        new.append((statement, keys))
    if new:
        people = resolve_people(
            session,
            (keys.actor for _, keys in new if keys.actor is not None),
            now=now,
            display_names=_actor_names(statement for statement, _ in new),
        )
        rows = [
            StatementRow(
                keys=keys,
                document=dumps(statement),
                stored=now,
                timestamp=parse_timestamp(statement["timestamp"]) or now,
                person_id=people.get(keys.actor) if keys.actor else None,
            )
            for statement, keys in new
        ]
        store.insert(rows, source_id=caller.source_id, now=now)
    return [str(statement["id"]) for statement in statements]


def _actor_names(statements: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for statement in statements:
        actor = statement.get("actor", {})
        key = agent_key(actor)
        if key is not None and isinstance(actor.get("name"), str):
            names.setdefault(key, actor["name"])
    return names


def _check_indexable(keys: IndexKeys, index: int) -> None:
    values = [keys.verb, keys.activity, *keys.related_agents, *keys.related_activities]
    for value in values:
        if value is not None and len(value) > MAX_INDEXED_LENGTH:
            raise StatementValidationError(
                [
                    Problem(
                        f"[{index}]",
                        f"an identifier longer than {MAX_INDEXED_LENGTH} "
                        "characters cannot be stored by this LRS",
                    )
                ]
            )
