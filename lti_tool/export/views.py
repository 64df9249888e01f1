"""``GET /admin/lrs``: the export targets' progress, for an administrator.

Read-only; changes go through ``trellis lrs …``. Access needs the HTTP Basic credential of an
admin source (``trellis sources add NAME --admin``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request

from lti_tool import db
from lti_tool.export.progress import dead_letters, target_progress, unfanned_outbox_entries
from lti_tool.lrs.sources import authenticate

bp = Blueprint("export_admin", __name__, url_prefix="/admin/lrs")

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Trellis admin", charset="UTF-8"'}


def _is_admin() -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    source = authenticate(db.session(), key, secret)
    return source is not None and source.is_admin


@bp.get("")
def targets() -> Response | tuple[str, int, dict[str, str]]:
    """The targets, their queues and lag, and each one's first dead letters."""
    if not _is_admin():
        return "需要管理员凭据 · Admin credentials required", 401, _CHALLENGE
    session = db.session()
    progress = target_progress(session, datetime.now(UTC))
    letters = {item.name: dead_letters(session, item.name, limit=20) for item in progress}
    html = render_template(
        "export/targets.html",
        targets=progress,
        dead_letters=letters,
        unfanned=unfanned_outbox_entries(session),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
