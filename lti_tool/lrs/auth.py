"""HTTP Basic authentication of statement sources (xAPI 1.0.3 Communication 4.0)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.lrs.protocol import XapiError, XapiRequest
from lti_tool.lrs.sources import authenticate
from lti_tool.lrs.statements import Caller

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
