"""The xAPI store: credentials, statements with their query indexes, the outbox, documents.

The statement is kept exactly as stored (JSON text); the other columns and the two index tables
exist only to answer the GET filters with an index, so reads stay flat as the log grows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base
from lti_tool.models.types import BigIntegerKey

IRI_LENGTH = 2048
AGENT_KEY_LENGTH = 1024


class Source(Base):
    """A producer of statements (a Moodle site, a cmi5 player, a trainer's app) and its credential.

    The secret is stored only as a salted SHA-256 hash: it is a long random token, not a password
    a person chose, so a slow hash would add cost to every request without adding safety.
    """

    __tablename__ = "xapi_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Statement(Base):
    """One stored statement: its exact JSON and the columns its queries filter on."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_verb_seq", "verb_id", "seq"),
        Index("ix_xapi_statements_registration_seq", "registration", "seq"),
        Index("ix_xapi_statements_source_seq", "source_id", "seq"),
        # Only voiding statements: almost every row has no voids_id, and with a full index
        # PostgreSQL's generic plan for "voids_id IN (100 ids)" scanned the table (0.5 s a
        # batch at 1M statements, bench/ingest.py).
        Index(
            "ix_xapi_statements_voids_id",
            "voids_id",
            postgresql_where=text("voids_id IS NOT NULL"),
            sqlite_where=text("voids_id IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("xapi_sources.id"))
    # The actor's person. Not indexed: statements of a person are found through the agent
    # index (`lti_tool.lrs.statement_store.actor_among`).
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"))
    verb_id: Mapped[str] = mapped_column(String(IRI_LENGTH))
    activity_id: Mapped[str | None] = mapped_column(String(IRI_LENGTH))
    registration: Mapped[str | None] = mapped_column(String(36))
    voids_id: Mapped[str | None] = mapped_column(String(36))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    stored: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[str] = mapped_column(Text)


class AgentKey(Base):
    """An agent key (``xapi.indexing.agent_key``) that stored statements mention, numbered.

    The agent index holds the number, not the text: a key is some 40 bytes and a statement has
    two or three agent rows, each written into two B-trees under the writer lock. Keys are
    never deleted or changed, so a process may remember the numbers it has seen committed
    (:mod:`lti_tool.committed_memo`).
    """

    __tablename__ = "xapi_agent_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(AGENT_KEY_LENGTH), unique=True)


class ActivityIri(Base):
    """An activity IRI that stored statements mention, numbered for the activity index (an IRI
    is some 60–100 bytes and a statement has three activity rows; see :class:`AgentKey`)."""

    __tablename__ = "xapi_activity_iris"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iri: Mapped[str] = mapped_column(String(IRI_LENGTH), unique=True)


#: The two index tables are clustered on their primary key on SQLite (``WITHOUT ROWID``): with a
#: rowid, each row was a table entry *and* a primary-key entry, three B-tree inserts a row with
#: the key index, for some five rows a statement (bench/README.md).
_CLUSTERED_ON_SQLITE = {"sqlite_with_rowid": False}


class StatementAgent(Base):
    """An agent a statement concerns: ``direct`` for the ``agent`` filter, else related only."""

    __tablename__ = "xapi_statement_agents"
    __table_args__ = (
        # ``direct`` too, so that the plain ``agent`` filter need not visit the rows.
        Index("ix_xapi_statement_agents_key_seq_direct", "agent_key_id", "statement_seq", "direct"),
        _CLUSTERED_ON_SQLITE,
    )

    statement_seq: Mapped[int] = mapped_column(
        ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    agent_key_id: Mapped[int] = mapped_column(ForeignKey("xapi_agent_keys.id"), primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean)


class StatementActivity(Base):
    """An activity a statement concerns: ``direct`` for its object, else related only.

    Both ``activity`` filters read the one index below, in position order — ``direct`` is in it
    so that the plain filter (the object only) need not visit the rows. The statements table
    has no activity index of its own: at 1M statements each index keyed by activity costs a
    page of log a statement (bench/README.md).
    """

    __tablename__ = "xapi_statement_activities"
    __table_args__ = (
        Index(
            "ix_xapi_statement_activities_id_seq_direct",
            "activity_iri_id",
            "statement_seq",
            "direct",
        ),
        _CLUSTERED_ON_SQLITE,
    )

    statement_seq: Mapped[int] = mapped_column(
        ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    activity_iri_id: Mapped[int] = mapped_column(
        ForeignKey("xapi_activity_iris.id"), primary_key=True
    )
    direct: Mapped[bool] = mapped_column(Boolean)


class StatementReference(Base):
    """A statement whose object is a StatementRef, and the id it refers to.

    Such statements also match the GET filters their target matches (Communication 2.1.3,
    "Filter Conditions for StatementRefs"). They are few (mostly voiding statements), so this
    table is small and a query reads it whole, then checks each target by its unique id —
    rather than walking every statement that meets the filter. ``target_id`` is deliberately
    not indexed, which keeps query planners driving from this table. Ingest's question
    "which of these ids are targets?" has an index of its own, on ``lower(target_id)``, which
    no join on ``target_id`` can use (migration 0011).
    """

    __tablename__ = "xapi_statement_refs"

    statement_seq: Mapped[int] = mapped_column(
        ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[str] = mapped_column(String(36))


Index("ix_xapi_statement_refs_target_lookup", func.lower(StatementReference.target_id))


class OutboxEntry(Base):
    """Statements accepted together, waiting for one downstream consumer (competency engine,
    LRS export).

    Written in the same transaction as the statements, so nothing accepted can be missed; a
    consumer claims entries with ``FOR UPDATE SKIP LOCKED`` and deletes them when done. One
    entry per accepted batch (not per statement) keeps ingest cheap.
    """

    __tablename__ = "xapi_outbox"
    __table_args__ = (Index("ix_xapi_outbox_consumer_id", "consumer", "id"),)

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(32))
    statement_seqs: Mapped[str] = mapped_column(Text)
    """The batch's statement positions (``xapi_statements.seq``) as a JSON array."""
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    """An attachment's content, stored once per SHA-2 hash however many statements carry it."""

    __tablename__ = "xapi_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Document(Base):
    """A state, activity profile or agent profile document.

    Absent key parts are stored as ``""`` rather than NULL so the unique constraint holds on
    every database.
    """

    __tablename__ = "xapi_documents"
    __table_args__ = (
        UniqueConstraint("kind", "activity_id", "agent_key", "registration", "document_id"),
        Index("ix_xapi_documents_lookup", "kind", "activity_id", "agent_key", "updated"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    activity_id: Mapped[str] = mapped_column(String(IRI_LENGTH), default="")
    agent_key: Mapped[str] = mapped_column(String(AGENT_KEY_LENGTH), default="")
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(String(IRI_LENGTH))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
