"""Use cases of the statement resource: store a batch, read one, query many.

Validation and normalisation are the pure rules of ``xapi``; this module decides what is stored,
links actors to people, and keeps a batch all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import serialized_writes
from lti_tool.identity import resolve_people
from lti_tool.lrs.attachments import check_attachments, store_attachments
from lti_tool.lrs.index_key_ids import BatchKeyIds, known_batch_ids
from lti_tool.lrs.statement_store import StatementRow, StatementStore
from lti_tool.sqlite_foreign_keys import skip_foreign_key_checks
from xapi import json_codec
from xapi.attachments import AttachmentPart
from xapi.comparison import statements_match
from xapi.errors import Problem, StatementValidationError
from xapi.indexing import IndexKeys, index_keys
from xapi.moodle_compat import may_hold_moodle_codes, repair_language_codes
from xapi.normalise import normalise_statement
from xapi.syntax import parse_timestamp
from xapi.validation import validate_statement, validate_statements
from xapi.versions import XapiVersion

#: Longest verb or activity IRI this store indexes, in characters and in bytes of UTF-8 (an
#: index key on PostgreSQL holds at most 2,704 bytes; a Chinese character is three).
MAX_INDEXED_LENGTH = 1000
MAX_INDEXED_BYTES = 2000

#: Longest agent identifier (``xapi.indexing.agent_key``) this store indexes, in characters:
#: ``person_identifiers.key`` holds 512.
MAX_AGENT_KEY_LENGTH = 512

#: Passes at storing a batch: optimistic, then looked up, then looked up once more for an id
#: that a concurrent request stored in between (PostgreSQL; SQLite writers queue).
_ATTEMPTS = 3


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
    body_text: bytes | None = None,
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
        body_text: the body's JSON text as received, when at hand: a batch whose text holds
            no Moodle language code skips the (Python) walk that repairs them.

    Raises:
        StatementValidationError: the body breaks the data model (400).
        StatementConflict: an id is stored with other content (409).
    """
    # Moodle's zh_cn is the RFC 5646 zh-CN; without this every Chinese site's batch is refused.
    if body_text is None or may_hold_moodle_codes(body_text):
        body = repair_language_codes(body)
    if statement_id is not None:
        validate_statement(body, version)
        body = _with_put_id(body, statement_id)
        batch = [body]
    else:
        validate_statements(body, version)
        batch = body if isinstance(body, list) else [body]
    contents = check_attachments(batch, attachments, version)
    prepared = [
        _prepare(
            normalise_statement(statement, stored=now, authority=caller.authority, version=version),
            position,
        )
        for position, statement in enumerate(batch)
    ]
    # Index numbers never change once committed, so they are found before the writer lock;
    # only values no statement mentioned before are numbered under it.
    known = known_batch_ids(session, (item.keys for item in prepared))
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            # Only database work under the writer lock: everything above ran concurrently.
            with serialized_writes(session):
                # What a batch refers to exists by construction (lti_tool.sqlite_foreign_keys).
                skip_foreign_key_checks(session)
                ids = _store_prepared(
                    session,
                    prepared,
                    caller=caller,
                    now=now,
                    optimistic=attempt == 1,
                    known=known,
                )
                store_attachments(session, contents)
                session.commit()
            return ids
        except IntegrityError:
            # An id was stored already (the first, optimistic pass does not look), or another
            # request stored it between our look-up and our insert: the next pass sees it and
            # compares contents like any other re-sent statement.
            session.rollback()
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _with_put_id(statement: Mapping[str, Any], statement_id: str) -> dict[str, Any]:
    body_id = statement.get("id")
    if body_id is not None and str(body_id).lower() != statement_id.lower():
        raise StatementValidationError([Problem("id", "differs from the statementId parameter")])
    return {**statement, "id": statement_id}


class _Prepared(NamedTuple):
    """A normalised statement with everything derived from it that storing needs."""

    statement: dict[str, Any]
    keys: IndexKeys
    document: str
    timestamp: datetime | None
    actor_name: str | None


def _prepare(statement: dict[str, Any], position: int) -> _Prepared:
    keys = index_keys(statement)
    _check_indexable(keys, position)
    actor_name = statement.get("actor", {}).get("name")
    return _Prepared(
        statement=statement,
        keys=keys,
        document=dumps(statement),
        # In UTC: SQLite keeps a datetime without its offset, and "last active" compares them.
        timestamp=_in_utc(parse_timestamp(statement["timestamp"])),
        actor_name=actor_name if isinstance(actor_name, str) else None,
    )


def _in_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _store_prepared(
    session: Session,
    prepared: Sequence[_Prepared],
    *,
    caller: Caller,
    now: datetime,
    optimistic: bool,
    known: BatchKeyIds,
) -> list[str]:
    """Store the statements not stored yet; return every id in order.

    ``optimistic``: insert them all without first looking their ids up — nearly every batch is
    new, and at 1M statements that look-up (one random index page an id) was 9 % of a POST's
    CPU. A stored id then breaks the unique constraint, and the caller tries again, looking.
    """
    store = StatementStore(session)
    stored = (
        {} if optimistic else store.documents_by_id(item.keys.statement_id for item in prepared)
    )
    new: list[_Prepared] = []
    for item in prepared:
        existing = stored.get(item.keys.statement_id)
        if existing is None:
            new.append(item)
        elif not statements_match(json_codec.loads(existing), item.statement):
            raise StatementConflict(item.keys.statement_id)
    if new:
        names = {
            item.keys.actor: item.actor_name
            for item in reversed(new)
            if item.keys.actor is not None and item.actor_name is not None
        }
        people = resolve_people(
            session,
            (item.keys.actor for item in new if item.keys.actor is not None),
            now=now,
            display_names=names,
        )
        store.insert(
            [
                StatementRow(
                    keys=item.keys,
                    document=item.document,
                    stored=now,
                    timestamp=item.timestamp or now,
                    person_id=people.get(item.keys.actor) if item.keys.actor else None,
                )
                for item in new
            ],
            source_id=caller.source_id,
            now=now,
            known=known,
        )
    return [str(item.statement["id"]) for item in prepared]


def _check_indexable(keys: IndexKeys, index: int) -> None:
    iris = (
        (f"[{index}].verb.id", (keys.verb,)),
        (f"[{index}].object.id", () if keys.activity is None else (keys.activity,)),
        (f"[{index}]", keys.related_activities),  # context activities, a SubStatement's
    )
    for path, values in iris:
        if any(_too_long_an_iri(value) for value in values):
            rule = (
                f"an identifier longer than {MAX_INDEXED_LENGTH} characters or "
                f"{MAX_INDEXED_BYTES} bytes of UTF-8 cannot be stored by this LRS"
            )
            raise StatementValidationError([Problem(path, rule)])
    if any(len(key) > MAX_AGENT_KEY_LENGTH for key in keys.related_agents):
        rule = (
            f"an agent identifier longer than {MAX_AGENT_KEY_LENGTH} characters "
            "cannot be stored by this LRS"
        )
        raise StatementValidationError([Problem(f"[{index}]", rule)])


def _too_long_an_iri(value: str) -> bool:
    # Up to a quarter of the byte limit in characters, no text can exceed it: skip the encoding.
    return len(value) > MAX_INDEXED_LENGTH or (
        len(value) > MAX_INDEXED_BYTES // 4 and len(value.encode()) > MAX_INDEXED_BYTES
    )
