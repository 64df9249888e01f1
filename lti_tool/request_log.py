"""JSON logs, one line per record, with the request id of the request that wrote them.

Every request gets an id: the ``X-Request-ID`` a proxy sent (when it looks like an id) or a new
one. It is echoed in the response header and appears in every log line of that request, so an
administrator can match a user's error page to the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_HANDLER_MARK = "_trellis_json_handler"
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

request_logger = logging.getLogger("trellis.request")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Records of the request's own code are formatted while its context is still active.
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    """Send the ``trellis`` loggers to standard error as JSON lines (once per process)."""
    logger = logging.getLogger("trellis")
    logger.setLevel(level)
    if not any(getattr(handler, _HANDLER_MARK, False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        setattr(handler, _HANDLER_MARK, True)
        logger.addHandler(handler)
    logger.propagate = False


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    if has_request_context():
        request_id: str | None = g.get("request_id")
        return request_id
    return None


def init_app(app: Flask) -> None:
    """Assign request ids and log one JSON line per request."""
    app.before_request(_start_request)
    app.after_request(_finish_request)


def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    request_logger.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
            "bytes_in": request.content_length or 0,
        },
    )
    return response
