"""Use cases of the document resources: state, activity profile, agent profile.

xAPI 1.0.3 Communication 2.2–2.7 (xAPI 2.0 Part Three 4.1.6.2–4.1.6.6). A document is whatever
bytes a client stored, with the Content-Type it sent; JSON objects can also be merged by POST.
Every write is optimistic: the row is changed only if its ETag is still the one the decision was
made on, so two writers never lose each other's update silently (Communication 3.1).

Documents belong to the LRS, not to the source that wrote them: any authenticated source reads
and writes them (cmi5 content keeps its bookmarks in the state resource, whoever launched it).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.models.lrs import Document

#: How often a write is retried after losing a race with a concurrent writer.
_ATTEMPTS = 3

#: Content-Type stored when a client sends none (RFC 9110 8.3: the recipient may assume it).
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class DocumentKind(enum.StrEnum):
    """The three document resources (the ``kind`` column)."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True, slots=True)
class DocumentScope:
    """The documents of one context: what GET without an id lists and DELETE without an id clears.

    Absent parts are ``""`` (as stored). ``registration`` None means "any registration": a state
    GET or DELETE without ``registration`` covers every registration (Communication 2.3).
    """

    kind: DocumentKind
    activity_id: str = ""
    agent_key: str = ""
    registration: str | None = ""

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions selecting this scope's rows."""
        conditions = [
            Document.kind == self.kind.value,
            Document.activity_id == self.activity_id,
            Document.agent_key == self.agent_key,
        ]
        if self.registration is not None:
            conditions.append(Document.registration == self.registration)
        return conditions


@dataclass(frozen=True, slots=True)
class DocumentKey:
    """One document: its scope (with a definite registration) and its id."""

    scope: DocumentScope
    document_id: str

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions selecting this one row."""
        return [*self.scope.conditions(), Document.document_id == self.document_id]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as read back."""

    document_id: str
    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True, slots=True)
class DocumentIds:
    """The ids of a scope's documents and when the newest of them changed."""

    ids: list[str]
    last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class IncomingDocument:
    """The body of a PUT or POST and the Content-Type it came with."""

    content: bytes
    content_type: str

    @property
    def media_type(self) -> str:
        """The media type without parameters, lowercase."""
        return media_type(self.content_type)


@dataclass(frozen=True, slots=True)
class Preconditions:
    """The If-Match / If-None-Match headers of a request (RFC 9110 13.1.1, 13.1.2).

    Attributes:
        if_match: the entity tags listed (``("*",)`` for any), None without the header.
        if_none_match: likewise for If-None-Match.
    """

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        """Read the two headers' raw values."""
        return cls(_entity_tags(if_match), _entity_tags(if_none_match))

    @property
    def given(self) -> bool:
        """Whether the request carries either header."""
        return self.if_match is not None or self.if_none_match is not None

    def hold_for(self, current_etag: str | None) -> bool:
        """Whether the preconditions hold for the document's current ETag (None: no document)."""
        if self.if_match is not None:
            if current_etag is None:
                return False
            if "*" not in self.if_match and current_etag not in self.if_match:
                return False
        return not (
            self.if_none_match is not None
            and current_etag is not None
            and ("*" in self.if_none_match or current_etag in self.if_none_match)
        )


@dataclass(frozen=True, slots=True)
class PutPolicy:
    """How a PUT without If-Match / If-None-Match is treated for one resource and version.

    Attributes:
        create_needs_precondition: a profile PUT must carry one of the headers even to create
            (xAPI 1.0.3 Communication 3.1, client requirement; the suite expects 400).
        overwrite_without_precondition: replace an existing document blindly instead of 409.
    """

    create_needs_precondition: bool
    overwrite_without_precondition: bool


def put_policy(kind: DocumentKind, *, is_2_0: bool) -> PutPolicy:
    """The PUT policy of a resource.

    Profiles: a PUT needs a precondition header (400 without one, 409 when the document exists).
    State under xAPI 2.0: 409 when it exists (2.0 lists the State Resource under concurrency
    control). State under 1.0.3: overwritten, because cmi5 content written for 1.0.3 PUTs its
    bookmarks without ETags and must not be refused.
    """
    if kind is DocumentKind.STATE:
        return PutPolicy(create_needs_precondition=False, overwrite_without_precondition=not is_2_0)
    return PutPolicy(create_needs_precondition=True, overwrite_without_precondition=False)


class DocumentError(Exception):
    """A document request that must be refused with ``status``."""

    status = 400

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class DocumentNotFound(DocumentError):
    """No document under that key (404)."""

    status = 404


class PreconditionFailed(DocumentError):
    """If-Match or If-None-Match does not hold (412, Communication 3.1)."""

    status = 412


class DocumentConflict(DocumentError):
    """A PUT without preconditions to an existing document (409, Communication 3.1)."""

    status = 409


class PreconditionRequired(DocumentError):
    """A profile PUT with neither header (400, Communication 3.1 client requirement)."""


class NotMergeable(DocumentError):
    """A POST whose body or target is not a JSON object (400, Communication 2.2)."""


class InvalidJson(DocumentError):
    """A document sent as application/json that does not parse (400).

    Kept out so that a later POST never finds an unmergeable "JSON" document it cannot repair.
    """


class _LostRace(Exception):
    """Another writer changed or created the document between our read and our write."""


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, without parameters, lowercase."""
    return content_type.split(";", 1)[0].strip().lower()


def entity_tag(content: bytes) -> str:
    """The ETag of a document's content: its SHA-1 in hex (the 1.0.3 suite checks for 40 hex)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def quoted(etag: str) -> str:
    """The ETag header value of a stored tag: a strong tag, in quotes (RFC 9110 8.8.3)."""
    return f'"{etag}"'


def _entity_tags(header: str | None) -> tuple[str, ...] | None:
    # Strong comparison (RFC 9110 8.8.3.2): a weak tag never matches. Bare tags are accepted as
    # a courtesy to clients that drop the quotes.
    if header is None:
        return None
    tags = []
    for part in header.split(","):
        tag = part.strip()
        if not tag or tag.startswith("W/"):
            continue
        tags.append(tag if tag == "*" else tag.strip('"'))
    return tuple(tags)


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; every stored one is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class DocumentRepository:
    """Rows of ``xapi_documents``; adds and flushes, never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, key: DocumentKey) -> Document | None:
        """The row under ``key``, if any."""
        return self.session.scalar(select(Document).where(*key.conditions()))

    def ids(self, scope: DocumentScope, since: datetime | None) -> DocumentIds:
        """Ids in the scope, each once, changed after ``since`` (exclusive) when given."""
        conditions = scope.conditions()
        if since is not None:
            conditions.append(Document.updated > since.astimezone(UTC))
        rows = self.session.execute(
            select(Document.document_id, Document.updated)
            .where(*conditions)
            .order_by(Document.document_id)
        ).all()
        ids = list(dict.fromkeys(document_id for document_id, _ in rows))
        newest = max((_utc(updated) for _, updated in rows), default=None)
        return DocumentIds(ids, newest)

    def insert(self, key: DocumentKey, document: IncomingDocument, *, now: datetime) -> None:
        """Add a new row; a concurrent insert of the same key surfaces as IntegrityError."""
        scope = key.scope
        self.session.add(
            Document(
                kind=scope.kind.value,
                activity_id=scope.activity_id,
                agent_key=scope.agent_key,
                registration=scope.registration or "",
                document_id=key.document_id,
                content=document.content,
                content_type=document.content_type,
                etag=entity_tag(document.content),
                updated=now,
            )
        )
        self.session.flush()

    def replace(
        self, row: Document, document: IncomingDocument, *, expected_etag: str, now: datetime
    ) -> bool:
        """Overwrite ``row`` if its ETag is still ``expected_etag``; whether it was."""
        result = self.session.execute(
            update(Document)
            .where(Document.id == row.id, Document.etag == expected_etag)
            .values(
                content=document.content,
                content_type=document.content_type,
                etag=entity_tag(document.content),
                updated=now,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    def remove(self, row: Document, *, expected_etag: str) -> bool:
        """Delete ``row`` if its ETag is still ``expected_etag``; whether it was."""
        result = self.session.execute(
            delete(Document)
            .where(Document.id == row.id, Document.etag == expected_etag)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    def remove_all(self, scope: DocumentScope) -> None:
        """Delete every document of the scope."""
        self.session.execute(
            delete(Document).where(*scope.conditions()).execution_options(synchronize_session=False)
        )


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


def read_document(session: Session, key: DocumentKey) -> StoredDocument:
    """The document under ``key``.

    Raises:
        DocumentNotFound: when there is none (404).
    """
    row = DocumentRepository(session).find(key)
    if row is None:
        raise DocumentNotFound(f"{key.scope.kind.value} document {key.document_id!r} not found")
    return StoredDocument(
        document_id=row.document_id,
        content=row.content,
        content_type=row.content_type,
        etag=row.etag,
        updated=_utc(row.updated),
    )


def list_document_ids(
    session: Session, scope: DocumentScope, *, since: datetime | None
) -> DocumentIds:
    """The ids of a scope's documents, optionally only those changed after ``since``."""
    return DocumentRepository(session).ids(scope, since)


def put_document(
    session: Session,
    key: DocumentKey,
    document: IncomingDocument,
    preconditions: Preconditions,
    *,
    policy: PutPolicy,
    now: datetime,
) -> None:
    """Store ``document`` under ``key``, replacing any there (Communication 2.2, 3.1).

    Raises:
        PreconditionFailed: If-Match / If-None-Match do not hold (412).
        DocumentConflict: the document exists and neither header was sent (409).
        PreconditionRequired: the policy wants a header even to create (400).
        InvalidJson: the body is typed application/json but is not JSON (400).
    """
    if _is_json(document):
        _check_json(document)

    def attempt(repository: DocumentRepository) -> None:
        row = repository.find(key)
        current = row.etag if row is not None else None
        if not preconditions.given:
            if row is not None and not policy.overwrite_without_precondition:
                raise DocumentConflict(
                    "the document exists: send If-Match with its ETag to replace it"
                )
            if row is None and policy.create_needs_precondition:
                raise PreconditionRequired(
                    "If-None-Match: send If-None-Match: * to create a profile document, "
                    "If-Match with its ETag to replace one"
                )
        elif not preconditions.hold_for(current):
            raise PreconditionFailed(_precondition_problem(current))
        _write(repository, key, row, document, now=now)

    _unit_of_work(session, attempt)


def post_document(
    session: Session,
    key: DocumentKey,
    document: IncomingDocument,
    preconditions: Preconditions,
    *,
    now: datetime,
) -> None:
    """Merge a JSON object into the stored one, or store it when there is none (Communication 2.2).

    The merge is one level deep: each top-level property of the posted object replaces the stored
    one of that name; the others stay.

    Raises:
        PreconditionFailed: If-Match / If-None-Match do not hold (412).
        NotMergeable: either document is not a JSON object typed application/json (400).
    """
    posted = _json_object(document, "the posted document") if _is_json(document) else None

    def attempt(repository: DocumentRepository) -> None:
        row = repository.find(key)
        current = row.etag if row is not None else None
        if not preconditions.hold_for(current):
            raise PreconditionFailed(_precondition_problem(current))
        if row is None:
            _write(repository, key, None, document, now=now)
            return
        if posted is None:
            raise NotMergeable(
                "Content-Type: a POST merges JSON objects, so it must be application/json"
            )
        stored_document = IncomingDocument(row.content, row.content_type)
        if not _is_json(stored_document):
            raise NotMergeable(
                f"the stored document is {row.content_type!r}, not application/json: "
                "replace it with PUT"
            )
        stored = _json_object(stored_document, "the stored document")
        merged = json.dumps({**stored, **posted}, ensure_ascii=False, separators=(",", ":"))
        _write(
            repository, key, row, IncomingDocument(merged.encode(), document.content_type), now=now
        )

    _unit_of_work(session, attempt)


def delete_document(session: Session, key: DocumentKey, preconditions: Preconditions) -> None:
    """Delete one document; deleting one that is not there succeeds (DELETE is idempotent).

    Raises:
        PreconditionFailed: If-Match / If-None-Match do not hold (412).
    """

    def attempt(repository: DocumentRepository) -> None:
        row = repository.find(key)
        current = row.etag if row is not None else None
        if not preconditions.hold_for(current):
            raise PreconditionFailed(_precondition_problem(current))
        if row is not None and not repository.remove(row, expected_etag=row.etag):
            raise _LostRace

    _unit_of_work(session, attempt)


def delete_documents(session: Session, scope: DocumentScope) -> None:
    """Delete every document of a scope (state DELETE without stateId, Communication 2.3)."""
    _unit_of_work(session, lambda repository: repository.remove_all(scope))


def _write(
    repository: DocumentRepository,
    key: DocumentKey,
    row: Document | None,
    document: IncomingDocument,
    *,
    now: datetime,
) -> None:
    if row is None:
        repository.insert(key, document, now=now)
    elif not repository.replace(row, document, expected_etag=row.etag, now=now):
        raise _LostRace


def _unit_of_work(session: Session, attempt: Callable[[DocumentRepository], None]) -> None:
    """Run ``attempt`` and commit; start over when a concurrent writer got there first."""
    for _ in range(_ATTEMPTS):
        try:
            attempt(DocumentRepository(session))
            session.commit()
            return
        except (IntegrityError, _LostRace):
            session.rollback()
        except DocumentError:
            session.rollback()
            raise
    raise DocumentConflict("the document kept changing under this request; try again")


def _precondition_problem(current_etag: str | None) -> str:
    if current_etag is None:
        return "If-Match: there is no document to match"
    return f"the document's ETag is {quoted(current_etag)}: the precondition does not hold"


def _is_json(document: IncomingDocument) -> bool:
    return document.media_type == "application/json"


def _check_json(document: IncomingDocument) -> None:
    try:
        json.loads(document.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidJson("the document is sent as application/json but is not JSON") from None


def _json_object(document: IncomingDocument, what: str) -> dict[str, Any]:
    try:
        value = json.loads(document.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise NotMergeable(f"{what} is not valid JSON") from None
    if type(value) is not dict:
        raise NotMergeable(f"{what} is not a JSON object")
    return value
