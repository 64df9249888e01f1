"""``GET /healthz``: is the service able to serve? Used by load balancers and ``make run``."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.db import database

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


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 ``{"status": "ok", "database": "ok"}``, or 503 naming what is down."""
    checks = {"database": check_database()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503
