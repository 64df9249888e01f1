"""LTI 1.3: the platforms Trellis trusts, their deployments, and the tool's signing keys.

Every gunicorn worker and app node reads these rows, so all of them accept the same platforms and
sign with the same key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base

URL_LENGTH = 1024


class LtiPlatform(Base):
    """One registration of Trellis in a platform (a Moodle site): issuer + client id.

    A platform may register Trellis several times (one client id each); a registration made by
    Dynamic Registration waits, inactive, until an administrator approves it.
    """

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(URL_LENGTH))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(String(URL_LENGTH))
    auth_token_url: Mapped[str] = mapped_column(String(URL_LENGTH))
    auth_audience: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    key_set_url: Mapped[str] = mapped_column(String(URL_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[str] = mapped_column(String(16), default="manual")
    """``manual`` (CLI or admin page) or ``dynamic`` (LTI Dynamic Registration)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiDeployment(Base):
    """One deployment of a registration (Moodle: one tool type; a site may have several)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiSigningKey(Base):
    """An RSA key the tool signs with (client assertions, deep-linking responses).

    Lifecycle: *next* (published, not yet signing) → *active* (signing) → *retired* (still
    published until its tokens can no longer be live) → dropped from the key set.
    """

    __tablename__ = "lti_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
