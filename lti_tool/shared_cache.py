"""A cache every app node and worker shares, kept in the database.

LTI launch state, single-use nonces and fetched platform key sets must be visible to whichever
gunicorn worker or app node serves the next request, so they live here rather than in process
memory. Values are JSON. :meth:`SharedCache.add` is atomic across processes, which makes it the
primitive for "use this nonce once".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lti_tool.db import insert_ignoring_conflicts
from lti_tool.models.cache import CacheEntry

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SharedCache:
    """Get, set and atomically add JSON values with a time to live.

    Args:
        session: the session to work in; the caller's use case commits.
        clock: the current time (a parameter so tests can move it).
    """

    def __init__(self, session: Session, clock: Clock = _utcnow) -> None:
        self._session = session
        self._clock = clock

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or expired."""
        entry = self._session.get(CacheEntry, key)
        if entry is None or _aware(entry.expires_at) <= self._clock():
            return None
        return json.loads(entry.value)

    def set(self, key: str, value: Any, ttl: timedelta) -> None:
        """Store ``value`` under ``key`` for ``ttl``, replacing any earlier value."""
        expires_at = self._clock() + ttl
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        entry = self._session.get(CacheEntry, key)
        if entry is None:
            self._session.add(CacheEntry(key=key, value=encoded, expires_at=expires_at))
        else:
            entry.value = encoded
            entry.expires_at = expires_at
        self._session.flush()

    def add(self, key: str, value: Any, ttl: timedelta) -> bool:
        """Store ``value`` only if ``key`` holds no live value; True when this call stored it.

        Two processes adding the same key at once: exactly one gets True.
        """
        now = self._clock()
        self._session.execute(
            delete(CacheEntry).where(CacheEntry.key == key, CacheEntry.expires_at <= now)
        )
        values = {
            "key": key,
            "value": json.dumps(value, separators=(",", ":"), ensure_ascii=False),
            "expires_at": now + ttl,
        }
        statement = (
            insert_ignoring_conflicts(self._session, CacheEntry, ["key"])
            .values(**values)
            .returning(CacheEntry.key)
        )
        # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT here.
        return self._session.execute(statement).scalar_one_or_none() is not None

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._session.execute(delete(CacheEntry).where(CacheEntry.key == key))

    def purge_expired(self) -> int:
        """Delete expired entries; returns how many were removed."""
        result = self._session.execute(
            delete(CacheEntry).where(CacheEntry.expires_at <= self._clock())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def keys_with_prefix(self, prefix: str) -> list[str]:
        """Live keys starting with ``prefix`` (for administration and tests)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._session.scalars(
            select(CacheEntry.key).where(
                CacheEntry.key.like(f"{escaped}%", escape="\\"),
                CacheEntry.expires_at > self._clock(),
            )
        )
        return sorted(rows)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
