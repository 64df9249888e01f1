"""The tool's signing keys: always one active and one next key, rotated on command.

Keys live in the database so every worker and node signs with the same key. The instance key file
(``trellis instance init``), when present, becomes the first active key. The next key is published
in the JWKS before it signs anything, so a platform that caches our key set already knows it on
rotation; a retired key stays published for a grace period that outlives any token it signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK  # type: ignore[import-untyped]
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lti_tool.db import insert_ignoring_conflicts
from lti_tool.models.lti import LtiSigningKey

RETIRED_KEY_GRACE = timedelta(hours=1)
"""How long a retired key stays published: our tokens live at most 10 minutes (deep-linking
responses), client assertions one minute."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key ready to sign with, and its key id."""

    kid: str
    private_key_pem: str

    @property
    def public_key_pem(self) -> str:
        """The public half, PEM-encoded (what pylti1p3's registration expects)."""
        key = serialization.load_pem_private_key(self.private_key_pem.encode(), password=None)
        return (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )


def key_id(private_key_pem: str) -> str:
    """The RFC 7638 thumbprint of the key: what pylti1p3 puts in ``kid`` when it signs."""
    return str(JWK.from_pem(private_key_pem.encode()).thumbprint())


def public_jwk(private_key_pem: str) -> dict[str, Any]:
    """The public JWK of a private key, with ``kid``, ``alg`` and ``use`` (LTI Security §6.3)."""
    jwk = JWK.from_pem(private_key_pem.encode())
    public: dict[str, Any] = json.loads(jwk.export_public())
    public.update(kid=key_id(private_key_pem), alg="RS256", use="sig")
    return public


def new_private_key_pem() -> str:
    """A fresh 2048-bit RSA key, PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def ensure_keys(session: Session, *, instance_key_path: Path | None, now: datetime) -> None:
    """Make sure an active and a next key exist; the caller commits.

    Safe when two workers do it at once: the instance key has a fixed kid, and a spare next key is
    harmless (rotation promotes the oldest).
    """
    if _active(session) is None:
        pem = _read_pem(instance_key_path) or new_private_key_pem()
        _insert(session, pem, now=now, activated_at=now)
    if _next(session) is None:
        _insert(session, new_private_key_pem(), now=now, activated_at=None)


def active_key(session: Session, *, instance_key_path: Path | None, now: datetime) -> SigningKey:
    """The key to sign with now (created on first use)."""
    row = _active(session)
    if row is None:
        ensure_keys(session, instance_key_path=instance_key_path, now=now)
        row = _active(session)
        assert row is not None
    return SigningKey(kid=row.kid, private_key_pem=row.private_key_pem)


def published_jwks(
    session: Session, *, instance_key_path: Path | None, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The JWKS platforms verify our signatures with: active, next and recently retired keys."""
    ensure_keys(session, instance_key_path=instance_key_path, now=now)
    rows = session.scalars(
        select(LtiSigningKey)
        .where(
            or_(
                LtiSigningKey.retired_at.is_(None),
                LtiSigningKey.retired_at > now - RETIRED_KEY_GRACE,
            )
        )
        .order_by(LtiSigningKey.created_at, LtiSigningKey.kid)
    )
    return {"keys": [public_jwk(row.private_key_pem) for row in rows]}


def rotate(session: Session, *, instance_key_path: Path | None, now: datetime) -> SigningKey:
    """Promote the next key to active, retire the active one, and publish a new next key.

    Returns:
        The newly active key.
    """
    ensure_keys(session, instance_key_path=instance_key_path, now=now)
    current, upcoming = _active(session), _next(session)
    assert current is not None and upcoming is not None
    current.retired_at = now
    upcoming.activated_at = now
    session.flush()
    _insert(session, new_private_key_pem(), now=now, activated_at=None)
    return SigningKey(kid=upcoming.kid, private_key_pem=upcoming.private_key_pem)


def key_states(session: Session, *, now: datetime) -> list[dict[str, str | None]]:
    """Every key with its state (for ``trellis keys list``); no private material."""
    rows = session.scalars(select(LtiSigningKey).order_by(LtiSigningKey.created_at))
    states: list[dict[str, str | None]] = []
    for row in rows:
        if row.retired_at is not None:
            published = _aware(row.retired_at) > now - RETIRED_KEY_GRACE
            state = "retired, still published" if published else "retired"
        else:
            state = "active" if row.activated_at is not None else "next"
        states.append(
            {"kid": row.kid, "state": state, "created_at": _aware(row.created_at).isoformat()}
        )
    return states


def _active(session: Session) -> LtiSigningKey | None:
    return session.scalars(
        select(LtiSigningKey)
        .where(LtiSigningKey.activated_at.is_not(None), LtiSigningKey.retired_at.is_(None))
        .order_by(LtiSigningKey.activated_at.desc(), LtiSigningKey.kid)
        .limit(1)
    ).first()


def _next(session: Session) -> LtiSigningKey | None:
    return session.scalars(
        select(LtiSigningKey)
        .where(LtiSigningKey.activated_at.is_(None), LtiSigningKey.retired_at.is_(None))
        .order_by(LtiSigningKey.created_at, LtiSigningKey.kid)
        .limit(1)
    ).first()


def _insert(session: Session, pem: str, *, now: datetime, activated_at: datetime | None) -> None:
    session.execute(
        insert_ignoring_conflicts(session, LtiSigningKey, ["kid"]).values(
            kid=key_id(pem),
            private_key_pem=pem,
            created_at=now,
            activated_at=activated_at,
            retired_at=None,
        )
    )
    session.flush()


def _read_pem(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
