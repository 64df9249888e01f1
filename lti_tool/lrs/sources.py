"""Statement sources: each producer (a Moodle site, a cmi5 player) has its own key and secret.

A source's credential writes statements and reads what it wrote; an admin credential reads
everything. Secrets are shown once, at creation, and stored only as salted hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.driver_sql import DriverSQL
from lti_tool.models.lrs import Source

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SourceError(ValueError):
    """A source operation that cannot be done (bad name, duplicate, unknown)."""


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A source's credential as shown once to the administrator."""

    name: str
    key: str
    secret: str
    admin: bool


def hash_secret(secret: str, salt: str) -> str:
    """``salt$sha256(salt + secret)`` — the stored form of a secret."""
    digest = hashlib.sha256(f"{salt}{secret}".encode()).hexdigest()
    return f"{salt}${digest}"


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant-time)."""
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def add_source(session: Session, name: str, *, admin: bool, now: datetime) -> NewCredential:
    """Create a source and return its credential (the secret is not kept in clear).

    Raises:
        SourceError: when the name is malformed or already taken.
    """
    if not _NAME.match(name):
        raise SourceError(
            f"source name {name!r}: use 1–100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if session.scalar(select(Source.id).where(Source.name == name)) is not None:
        raise SourceError(f"source {name!r} already exists")
    key = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    session.add(
        Source(
            name=name,
            key=key,
            secret_hash=hash_secret(secret, secrets.token_hex(8)),
            is_admin=admin,
            created_at=now,
        )
    )
    session.flush()
    return NewCredential(name=name, key=key, secret=secret, admin=admin)


def list_sources(session: Session) -> list[Source]:
    """Every source, oldest first."""
    return list(session.scalars(select(Source).order_by(Source.id)))


def revoke_source(session: Session, name: str, *, now: datetime) -> Source:
    """Revoke a source's credential; its statements stay.

    Raises:
        SourceError: when no source has that name.
    """
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        raise SourceError(f"no source named {name!r}")
    if source.revoked_at is None:
        source.revoked_at = now
    return source


class AuthenticatedSource(NamedTuple):
    """The source behind a credential that checked out."""

    id: int
    name: str
    is_admin: bool


def authenticate(session: Session, key: str, secret: str) -> AuthenticatedSource | None:
    """The live source whose credential is ``key``/``secret``, or None.

    Every xAPI request asks this, so it is one driver-level query (through the ORM it was 5 %
    of a POST's CPU, bench/README.md); revocation takes effect at the next request.
    """
    sql = DriverSQL(session)
    rows = sql.fetch(
        f"SELECT id, name, is_admin, secret_hash, revoked_at FROM {Source.__tablename__} "
        f"WHERE key = {sql.markers(1)}",
        (key,),
    )
    if not rows:
        return None
    source_id, name, is_admin, secret_hash, revoked_at = rows[0]
    if revoked_at is not None or not secret_matches(secret, secret_hash):
        return None
    return AuthenticatedSource(id=int(source_id), name=name, is_admin=bool(is_admin))
