"""Remote Learning Record Stores: export targets, their per-statement delivery state, and the
cursor of pulls from an upstream LRS.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base


class RemoteLrs(Base):
    """Another LRS Trellis feeds (an export target) or reads from (``trellis lrs pull``).

    The password is kept only encrypted (see :mod:`lti_tool.export.secrets`); ``filters`` is a
    JSON array of filter strings (``all``, ``source:NAME``, ``trellis``). The failure columns
    make the whole target back off together, so a down LRS is not hammered and later batches
    never overtake earlier ones.
    """

    __tablename__ = "lrs_remotes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(90), unique=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str] = mapped_column(String(255))
    password_encrypted: Mapped[str] = mapped_column(Text)
    xapi_version: Mapped[str] = mapped_column(String(8))
    filters: Mapped[str] = mapped_column(Text)
    export_enabled: Mapped[bool] = mapped_column(Boolean)
    batch_size: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    start_after_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """Statements at or before this position are not exported (``--no-backfill``)."""
    sent_count: Mapped[int] = mapped_column(BigInteger, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pull_since: Mapped[str | None] = mapped_column(String(40))
    """``stored`` of the newest statement a finished pull saw: where the next pull starts."""
    pull_more: Mapped[str | None] = mapped_column(Text)
    """The ``more`` link of an unfinished pull, to resume it where it stopped."""
    pull_run_newest: Mapped[str | None] = mapped_column(String(40))
    """Newest ``stored`` seen so far by the unfinished pull."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExportDelivery(Base):
    """One statement on its way to one target: ``pending``, ``sent`` or ``dead``.

    Rows stay after sending so that a statement reaching the fan-out twice (a backfill racing
    the outbox) is not sent twice.
    """

    __tablename__ = "lrs_remotes_deliveries"
    __table_args__ = (
        # State first: the queue head of a target and the pending/dead counts of /healthz both
        # read only the rows not yet sent, however many have been.
        Index("ix_lrs_remotes_deliveries_state_remote_seq", "state", "remote_id", "statement_seq"),
    )

    remote_id: Mapped[int] = mapped_column(
        ForeignKey("lrs_remotes.id", ondelete="CASCADE"), primary_key=True
    )
    statement_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("xapi_statements.seq", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    state: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
