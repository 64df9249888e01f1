"""The platforms Trellis trusts and their deployments: a repository over the LTI tables.

Functions add and flush; the use case (CLI command, admin page, registration view) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models.lti import URL_LENGTH, LtiDeployment, LtiPlatform


class RegistrationError(ValueError):
    """A registration could not be saved; the message says why."""


@dataclass(frozen=True, slots=True)
class PlatformFields:
    """What an administrator (or Dynamic Registration) tells Trellis about a platform."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    auth_audience: str | None = None


def add_platform(
    session: Session,
    fields: PlatformFields,
    deployment_ids: list[str],
    *,
    now: datetime,
    active: bool = True,
    registered_by: str = "manual",
) -> LtiPlatform:
    """Register a platform (issuer + client id) with its deployments.

    Adding deployments to a known issuer + client id keeps the platform and adds the missing
    deployments; its URLs are updated to the ones given.

    Raises:
        RegistrationError: when a field is empty or a URL is not http(s).
    """
    _check(fields)
    issuer = fields.issuer.rstrip("/")
    platform = find_platform(session, issuer, fields.client_id)
    if platform is None:
        platform = LtiPlatform(
            issuer=issuer,
            client_id=fields.client_id,
            created_at=now,
            active=active,
            registered_by=registered_by,
        )
        session.add(platform)
    platform.name = (fields.name or platform.name or issuer)[:255]
    platform.auth_login_url = fields.auth_login_url
    platform.auth_token_url = fields.auth_token_url
    platform.auth_audience = fields.auth_audience
    platform.key_set_url = fields.key_set_url
    session.flush()
    for deployment_id in deployment_ids:
        add_deployment(session, platform, deployment_id, now=now)
    return platform


def add_deployment(
    session: Session, platform: LtiPlatform, deployment_id: str, *, now: datetime
) -> None:
    """Accept launches from one more deployment of ``platform`` (no-op when already known)."""
    deployment_id = deployment_id.strip()
    if not deployment_id or len(deployment_id) > 255:
        raise RegistrationError("deployment id: 1 to 255 characters")
    if find_deployment(session, platform, deployment_id) is None:
        session.add(
            LtiDeployment(platform_id=platform.id, deployment_id=deployment_id, created_at=now)
        )
        session.flush()


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration for ``issuer`` and ``client_id``.

    Without a client id (OIDC login may omit it), the issuer's only registration, if it has one.
    """
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer.rstrip("/"))
    if client_id:
        return session.scalars(query.where(LtiPlatform.client_id == client_id)).first()
    rows = session.scalars(query.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def find_deployment(
    session: Session, platform: LtiPlatform, deployment_id: str
) -> LtiDeployment | None:
    """The deployment ``deployment_id`` of ``platform``, if registered."""
    return session.scalars(
        select(LtiDeployment).where(
            LtiDeployment.platform_id == platform.id,
            LtiDeployment.deployment_id == deployment_id,
        )
    ).first()


def list_platforms(session: Session) -> list[tuple[LtiPlatform, list[str]]]:
    """Every registration with its deployment ids, oldest first."""
    platforms = session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)).all()
    deployments: dict[int, list[str]] = {}
    for row in session.scalars(select(LtiDeployment).order_by(LtiDeployment.id)):
        deployments.setdefault(row.platform_id, []).append(row.deployment_id)
    return [(platform, deployments.get(platform.id, [])) for platform in platforms]


def set_active(session: Session, platform_id: int, active: bool) -> LtiPlatform:
    """Approve (or suspend) a registration.

    Raises:
        RegistrationError: when no registration has that id.
    """
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise RegistrationError(f"no platform registration has id {platform_id}")
    platform.active = active
    session.flush()
    return platform


def _check(fields: PlatformFields) -> None:
    for name in ("issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url"):
        value = getattr(fields, name)
        if not value or not value.strip():
            raise RegistrationError(f"{name.replace('_', ' ')}: must not be empty")
    if len(fields.issuer) > 255 or len(fields.client_id) > 255:
        # Identity keys are account:<issuer>|<sub> in a 512-character column; sub is ≤ 255.
        raise RegistrationError("issuer and client id: at most 255 characters each")
    for name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
        if len(getattr(fields, name)) > URL_LENGTH:
            raise RegistrationError(f"{name.replace('_', ' ')}: at most {URL_LENGTH} characters")
        if not getattr(fields, name).startswith(("https://", "http://")):
            raise RegistrationError(f"{name.replace('_', ' ')}: must be an http(s) URL")
