"""HTTP Basic authentication of statement sources (xAPI 1.0.3 Communication 4.0)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.lrs.protocol import XapiError, XapiRequest
from lti_tool.lrs.sources import SourceError, add_source, authenticate
from lti_tool.lrs.statements import Caller
from lti_tool.models.lrs import Source

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Trellis xAPI", charset="UTF-8"'}


def authority_for(source_name: str, home_page: str) -> dict[str, Any]:
    """The ``authority`` stored on a source's statements: an account on this Trellis."""
    return {
        "objectType": "Agent",
        "name": source_name,
        "account": {"homePage": home_page, "name": f"source:{source_name}"},
    }


def authenticate_request(session: Session, request: XapiRequest, home_page: str) -> Caller:
    """The caller behind the request's Basic credentials.

    Raises:
        XapiError: 401 with a Basic challenge when credentials are missing, malformed, unknown
            or revoked.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise XapiError(
            401, "Authorization: send HTTP Basic credentials of a source", headers=_CHALLENGE
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise XapiError(
            401, "Authorization: malformed Basic credentials", headers=_CHALLENGE
        ) from None
    key, separator, secret = decoded.partition(":")
    source = authenticate(session, key, secret) if separator else None
    if source is None:
        raise XapiError(401, "Authorization: unknown or revoked credentials", headers=_CHALLENGE)
    return Caller(
        source_id=source.id,
        is_admin=source.is_admin,
        authority=authority_for(source.name, home_page),
    )


def system_caller(session: Session, name: str, *, home_page: str, now: datetime) -> Caller:
    """A source Trellis itself writes as (level statements, check-ins), created on first use.

    Its credential is revoked at birth: nobody can post as Trellis. Two processes may both be
    first; the loser's savepoint is undone, not its transaction.
    """
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        try:
            with session.begin_nested():
                add_source(session, name, admin=False, now=now)
                created = session.scalar(select(Source).where(Source.name == name))
                assert created is not None
                created.revoked_at = now
        except (IntegrityError, SourceError):
            pass
        source = session.scalar(select(Source).where(Source.name == name))
        assert source is not None
    return Caller(source_id=source.id, is_admin=False, authority=authority_for(name, home_page))
