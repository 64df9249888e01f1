"""The xAPI request as the resources see it, however it arrived.

xAPI 1.0.3 lets a client send any request as a form POST (the "alternate request syntax",
Communication 1.3); xAPI 2.0 removed it. :func:`read_request` turns either form into one
:class:`XapiRequest`, so the resource handlers never look at ``flask.request``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Request, Response
from werkzeug.datastructures import Headers, MultiDict

from xapi import json_codec
from xapi.errors import Problem, StatementValidationError
from xapi.syntax import format_timestamp
from xapi.versions import VERSION_HEADER, XapiVersion

#: Form fields of the alternate syntax that stand for headers (Communication 1.3).
_ALTERNATE_HEADER_FIELDS = {
    "authorization": "Authorization",
    "x-experience-api-version": VERSION_HEADER,
    "content-type": "Content-Type",
    "content-length": "Content-Length",
    "if-match": "If-Match",
    "if-none-match": "If-None-Match",
}
_ALTERNATE_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})


class XapiError(Exception):
    """An xAPI request that must be refused with ``status``; ``problems`` say why."""

    def __init__(self, status: int, *problems: str, headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = list(problems)
        self.headers = headers or {}


def bad_request(path: str, rule: str) -> StatementValidationError:
    """A 400 naming the path (a parameter or JSON path) and the rule broken."""
    return StatementValidationError([Problem(path, rule)])


@dataclass(slots=True)
class XapiRequest:
    """One request to an xAPI resource.

    Attributes:
        method: the effective method (after the alternate syntax).
        resource: the path below the xAPI base, e.g. ``statements`` or ``activities/state``.
        params: query parameters (for the alternate syntax: the remaining form fields).
        headers: the effective headers.
        body: the raw request content.
        version: the negotiated xAPI version, set once the version header was checked.
        alternate: whether the request came in the alternate syntax.
    """

    method: str
    resource: str
    params: MultiDict[str, str]
    headers: Headers
    body: bytes
    version: XapiVersion = XapiVersion.V1_0_3
    alternate: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def content_type(self) -> str:
        """The media type without parameters, lowercase ("" when absent)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def param(self, name: str) -> str | None:
        """A single-valued parameter; repeating it is a 400."""
        values = self.params.getlist(name)
        if len(values) > 1:
            raise bad_request(name, "given more than once")
        return values[0] if values else None

    def json_body(self) -> Any:
        """The body decoded as JSON, or a 400 saying why not."""
        if not self.body:
            raise bad_request("$", "the request body is empty")
        try:
            return json_codec.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise bad_request("$", f"the body is not valid JSON ({error})") from None


def read_request(request: Request, resource: str) -> XapiRequest:
    """Build the :class:`XapiRequest` for a Flask request, unfolding the alternate syntax."""
    method_param = request.args.getlist("method")
    if not method_param:
        return XapiRequest(
            method=request.method,
            resource=resource,
            params=MultiDict(request.args.items(multi=True)),
            headers=Headers(request.headers),
            body=request.get_data(cache=True),
        )
    return _read_alternate(request, resource, method_param)


def _read_alternate(request: Request, resource: str, method_param: list[str]) -> XapiRequest:
    # Communication 1.3: a POST with ?method=X and a form body; no other query parameters.
    if request.method != "POST":
        raise bad_request("method", "the alternate request syntax must be sent as a POST")
    if len(method_param) != 1 or method_param[0].upper() not in _ALTERNATE_METHODS:
        raise bad_request("method", "must be one of GET, PUT, POST, DELETE, HEAD")
    if len(request.args) != 1:
        extra = sorted(name for name in request.args if name != "method")
        raise bad_request(extra[0], "no query parameter may accompany 'method'")
    content_type = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise bad_request(
            "Content-Type", "the alternate request syntax needs application/x-www-form-urlencoded"
        )
    try:
        fields = parse_qsl(
            request.get_data(as_text=True), keep_blank_values=True, strict_parsing=False
        )
    except ValueError:
        raise bad_request("$", "the form body is malformed") from None
    headers = Headers(request.headers)
    headers.remove("Content-Type")
    params: MultiDict[str, str] = MultiDict()
    body = b""
    for name, value in fields:
        header = _ALTERNATE_HEADER_FIELDS.get(name.lower())
        if header is not None:
            headers[header] = value
        elif name == "content":
            body = value.encode("utf-8")
        else:
            params.add(name, value)
    if "Content-Type" not in headers and body:
        headers["Content-Type"] = "application/json"
    return XapiRequest(
        method=method_param[0].upper(),
        resource=resource,
        params=params,
        headers=headers,
        body=body,
        alternate=True,
    )


def json_response(
    payload: Any, request: XapiRequest, status: int = 200, *, consistent: bool = False
) -> Response:
    """A JSON response with the version header (and Consistent-Through for statement reads)."""
    text = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    )
    response = Response(text, status=status, mimetype="application/json")
    return finish(response, request, consistent=consistent)


def finish(response: Response, request: XapiRequest, *, consistent: bool = False) -> Response:
    """Add the headers every xAPI response carries."""
    response.headers[VERSION_HEADER] = request.version.value
    if consistent:
        # Statements are visible the moment their POST returns: consistent through now.
        response.headers["X-Experience-API-Consistent-Through"] = format_timestamp(request.now)
    return response
