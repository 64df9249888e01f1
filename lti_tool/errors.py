"""One JSON error shape for every API error.

``{"error": {"status": 400, "code": "bad_request", "message": "...", "fields": {...},
"request_id": "..."}}``. Browser pages get the same words as a small HTML page. Validation
errors become 400 with the field paths; nothing a client sends may produce a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from lti_tool.request_log import current_request_id

logger = logging.getLogger("trellis.errors")

_JSON_PATH_PREFIXES = ("/api/", "/xapi", "/healthz", "/lti/jwks")


class ApiError(Exception):
    """An error a use case raises to answer with a specific status and message.

    Attributes:
        status: the HTTP status to answer with.
        code: a short machine-readable code (``"conflict"``).
        message: words a person can act on.
        fields: optional map of field path → problems.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _default_code(status)
        self.message = message
        self.fields = fields


def error_response(
    status: int, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None
) -> Response:
    """Build the error response in the shape the client expects (JSON or HTML)."""
    body: dict[str, Any] = {
        "status": status,
        "code": code or _default_code(status),
        "message": message,
    }
    if fields:
        body["fields"] = fields
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    if _wants_json():
        response = jsonify({"error": body})
    else:
        response = Response(
            render_template(
                "error.html",
                status=status,
                title=body["code"].replace("_", " "),
                message=message,
                request_id=request_id,
            ),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(ValidationError, _handle_validation_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(OperationalError, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)


#: Seconds a client is asked to wait before retrying when the database is busy or unreachable.
RETRY_AFTER_SECONDS = 5


def _handle_database_unavailable(error: OperationalError) -> Response:
    """The database is locked past its timeout (SQLite while a long write runs), or cannot be
    reached: 503 with Retry-After, so that a client such as Moodle's log store sends the batch
    again later. The transaction was rolled back; nothing of the request was kept."""
    logger.warning("database unavailable: %s", error.orig)
    response = error_response(
        503,
        "The database is busy or unavailable; nothing was stored. Try again shortly.",
        code="database_unavailable",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_api_error(error: ApiError) -> Response:
    return error_response(error.status, error.message, code=error.code, fields=error.fields)


def _handle_validation_error(error: ValidationError) -> Response:
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(400, "The request has invalid fields.", fields=messages)


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    response = error_response(status, error.description or error.name)
    if status == 405 and error.response is None:
        allowed = error.get_headers()
        for key, value in allowed:
            if key.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _handle_unexpected(error: Exception) -> Response:
    logger.exception("unhandled error", exc_info=error)
    return error_response(
        500,
        InternalServerError.description or "Internal server error",
        code="internal_error",
    )


def _wants_json() -> bool:
    if request.path.startswith(_JSON_PATH_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _default_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        412: "precondition_failed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        428: "precondition_required",
        503: "service_unavailable",
    }.get(status, "error" if status < 500 else "internal_error")
