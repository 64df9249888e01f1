"""``GET /healthz``: is the service able to serve? Used by load balancers and ``make run``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.db import database
from lti_tool.export.progress import export_details

bp = Blueprint("health", __name__)
logger = logging.getLogger("trellis.health")


def check_database() -> str:
    """Return ``"ok"`` when the database answers a trivial query, else a short reason."""
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        logger.warning("database health check failed", extra={"error": str(exc.__class__.__name__)})
        return f"unavailable: {exc.__class__.__name__}"
    return "ok"


def export_progress() -> dict[str, object] | None:
    """Per export target: pending, sent, dead, oldest pending age; None without targets (or
    when unreadable).

    Informational: a slow or unreachable LRS does not make Trellis unhealthy.
    """
    try:
        with database().sessionmaker() as session:
            details = export_details(session, datetime.now(UTC))
            return details if details["targets"] else None
    except SQLAlchemyError as exc:
        logger.warning("export progress unavailable", extra={"error": exc.__class__.__name__})
        return None


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 ``{"status": "ok", "database": "ok"}``, or 503 naming what is down.

    With export targets configured, ``export`` adds each one's queue and lag (see
    docs/lrs-export.md); it never makes the answer a 503.
    """
    checks = {"database": check_database()}
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable", **checks}
    export = export_progress() if healthy else None
    if export is not None:
        body["export"] = export
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503
