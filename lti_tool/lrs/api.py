"""The xAPI endpoint under ``/xapi``: one dispatcher in front of every resource.

The dispatcher unfolds the alternate request syntax, authenticates the source, negotiates the
version, and hands an :class:`XapiRequest` to the resource's handler. Handlers register with
:func:`resource`; each returns a finished response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, request

from lti_tool import db
from lti_tool.lrs.auth import authenticate_request
from lti_tool.lrs.protocol import XapiError, XapiRequest, read_request
from lti_tool.lrs.statements import Caller, StatementConflict
from lti_tool.request_log import current_request_id
from lti_tool.settings import current_settings
from xapi.errors import StatementValidationError
from xapi.syntax import format_timestamp
from xapi.versions import VERSION_HEADER, XapiVersion, negotiate_version

#: Where the endpoint is mounted; the browser pages' session cookie does not reach below it.
XAPI_PREFIX = "/xapi"

bp = Blueprint("lrs", __name__, url_prefix=XAPI_PREFIX)

Handler = Callable[[XapiRequest, Caller], Response]
PublicHandler = Callable[[XapiRequest], Response]

_HANDLERS: dict[str, dict[str, Handler]] = {}
_PUBLIC_HANDLERS: dict[str, dict[str, PublicHandler]] = {}
_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]
_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
    ),
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through"
    ),
}


def resource(name: str, *methods: str) -> Callable[[Handler], Handler]:
    """Register an authenticated handler for ``name`` (e.g. ``"statements"``) and methods."""

    def register(handler: Handler) -> Handler:
        for method in methods:
            _HANDLERS.setdefault(name, {})[method] = handler
        return handler

    return register


def public_resource(name: str, *methods: str) -> Callable[[PublicHandler], PublicHandler]:
    """Register a handler that needs neither credentials nor a version header (``about``)."""

    def register(handler: PublicHandler) -> PublicHandler:
        for method in methods:
            _PUBLIC_HANDLERS.setdefault(name, {})[method] = handler
        return handler

    return register


def home_page() -> str:
    """This Trellis's public base URL, used for the authority of stored statements."""
    base = current_settings().base_url or request.host_url.rstrip("/")
    return f"{base}/xapi"


@bp.route("/<path:name>", methods=[*_METHODS, "OPTIONS"])
def dispatch(name: str) -> Response:
    """Route one xAPI request to its resource handler."""
    if request.method == "OPTIONS":
        return Response(status=204, headers=_CORS_HEADERS)
    xapi_request = read_request(request, name.rstrip("/"))
    method = "GET" if xapi_request.method == "HEAD" else xapi_request.method
    public = _PUBLIC_HANDLERS.get(xapi_request.resource, {})
    if method in public:
        return public[method](xapi_request)
    handlers = _HANDLERS.get(xapi_request.resource)
    if handlers is None:
        raise XapiError(404, f"{xapi_request.resource}: no such xAPI resource")
    handler = handlers.get(method)
    if handler is None:
        allowed = ", ".join(sorted(set(handlers) | ({"HEAD"} if "GET" in handlers else set())))
        raise XapiError(405, f"{method} is not allowed here", headers={"Allow": allowed})
    caller = authenticate_request(db.session(), xapi_request, home_page())
    xapi_request.version = negotiate_version(xapi_request.headers.get(VERSION_HEADER))
    if xapi_request.alternate and xapi_request.version.is_2_0:
        raise XapiError(400, "method: xAPI 2.0 has no alternate request syntax")
    return handler(xapi_request, caller)


@bp.after_request
def _cors(response: Response) -> Response:
    for header, value in _CORS_HEADERS.items():
        response.headers.setdefault(header, value)
    response.headers.setdefault(VERSION_HEADER, _answer_version())
    if request.path.rstrip("/").endswith("/statements") and request.method in ("GET", "HEAD"):
        # Communication 2.1.3: every statement GET response carries it, errors included.
        response.headers.setdefault(
            "X-Experience-API-Consistent-Through", format_timestamp(datetime.now(UTC))
        )
    return response


def _error(status: int, problems: list[str], headers: dict[str, str] | None = None) -> Response:
    body = {
        "error": {
            "status": status,
            "message": problems[0] if problems else "",
            "problems": problems,
            "request_id": current_request_id(),
        }
    }
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )
    response.headers[VERSION_HEADER] = _answer_version()
    response.headers.extend(headers or {})
    return response


def _answer_version() -> str:
    """The version to name when the request's own cannot be used: its major version if it has
    one we speak, else the configured default."""
    offered = request.headers.get(VERSION_HEADER, "").strip()
    if offered.startswith("2.0"):
        return XapiVersion.V2_0_0.value
    if offered.startswith("1.0"):
        return XapiVersion.V1_0_3.value
    return current_settings().xapi_default_version


@bp.errorhandler(StatementValidationError)
def _invalid(error: StatementValidationError) -> Response:
    return _error(400, error.messages)


@bp.errorhandler(XapiError)
def _refused(error: XapiError) -> Response:
    return _error(error.status, error.problems, error.headers)


@bp.errorhandler(StatementConflict)
def _conflict(error: StatementConflict) -> Response:
    return _error(409, [f"id: {error}"])


def init_app(app: Flask) -> None:
    """Register the xAPI endpoint and its resources."""
    from lti_tool.lrs import (  # noqa: F401  (handlers register)
        about,
        document_resources,
        person_resources,
        statement_resource,
    )
    from lti_tool.lrs.cli import sources_cli

    app.register_blueprint(bp)
    app.cli.add_command(sources_cli)
