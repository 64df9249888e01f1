"""A shared key-value cache in the database, so no state lives in one process's memory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base


class CacheEntry(Base):
    """One cached value with its expiry (LTI launch state, nonces, fetched key sets)."""

    __tablename__ = "cache_entries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
