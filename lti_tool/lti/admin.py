"""The administrator's page: platform registrations (list, add, approve, suspend) and keys.

Administrators sign in with the HTTP Basic credentials of an admin statement source
(``trellis sources add NAME --admin``), the same credential that administers the LRS. Forms carry
a token derived from those credentials and the secret key, so another site cannot post them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

from flask import Response, current_app, render_template, request
from sqlalchemy.orm import Session

from lti_tool.db import session as db_session
from lti_tool.lrs.sources import authenticate
from lti_tool.lti import keys, registrations
from lti_tool.lti.errors import LtiError
from lti_tool.settings import current_settings

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Trellis admin", charset="UTF-8"'}


def admin_page() -> Response:
    """GET lists registrations and keys; POST adds, approves or suspends one, or rotates keys."""
    session = db_session()
    if not _is_admin():
        return Response(
            "Sign in with the credentials of an admin source (trellis sources add NAME --admin).",
            401,
            _CHALLENGE,
            mimetype="text/plain",
        )
    token = _form_token()
    message = None
    if request.method == "POST":
        if not hmac.compare_digest(request.form.get("token", ""), token):
            raise LtiError(403, "The form has expired; reload the page.", code="forbidden")
        message = _apply(session)
        session.commit()
    settings = current_settings()
    base_url = settings.base_url or request.url_root.rstrip("/")
    now = datetime.now(UTC)
    keys.ensure_keys(session, instance_key_path=settings.lti_private_key_path, now=now)
    session.commit()
    return Response(
        render_template(
            "lti/admin.html",
            platforms=registrations.list_platforms(session),
            keys=keys.key_states(session, now=now),
            token=token,
            message=message,
            base_url=base_url,
        )
    )


def _apply(session: Session) -> str:
    form = request.form
    action = form.get("action")
    now = datetime.now(UTC)
    try:
        if action == "add":
            fields = registrations.PlatformFields(
                issuer=form.get("issuer", "").strip(),
                client_id=form.get("client_id", "").strip(),
                auth_login_url=form.get("auth_login_url", "").strip(),
                auth_token_url=form.get("auth_token_url", "").strip(),
                key_set_url=form.get("key_set_url", "").strip(),
                name=form.get("name", "").strip(),
            )
            deployments = [d for d in form.get("deployment_ids", "").split() if d]
            platform = registrations.add_platform(session, fields, deployments, now=now)
            return f"saved {platform.issuer} ({platform.client_id})"
        if action == "rotate":
            active = keys.rotate(
                session, instance_key_path=current_settings().lti_private_key_path, now=now
            )
            return f"signing with key {active.kid} from now on"
        if action in ("activate", "suspend"):
            platform = registrations.set_active(
                session, int(form.get("platform_id", "0")), action == "activate"
            )
            return f"{platform.issuer} ({platform.client_id}) is now " + (
                "active" if platform.active else "suspended"
            )
    except (registrations.RegistrationError, ValueError) as error:
        raise LtiError(400, str(error), code="bad_registration") from None
    raise LtiError(400, f"unknown action {action!r}", code="bad_request")


def _credentials() -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator else None


def _is_admin() -> bool:
    credentials = _credentials()
    if credentials is None:
        return False
    source = authenticate(db_session(), *credentials)
    return source is not None and source.is_admin


def _form_token() -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    material = request.headers.get("Authorization", "").encode()
    return hmac.new(secret, b"lti-admin|" + hashlib.sha256(material).digest(), "sha256").hexdigest()
