"""The document resources over HTTP: ``activities/state``, ``activities/profile``,
``agents/profile`` (xAPI 1.0.3 Communication 2.2–2.7; xAPI 2.0 Part Three 4.1.6.2–4.1.6.6).

Each handler reads and checks the parameters (every one by name and case: an unknown parameter
is a 400 naming it, Communication 3.2), calls one use case of :mod:`lti_tool.lrs.documents`, and
answers. Any authenticated source may use them: documents belong to the LRS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps

from flask import Response
from werkzeug.http import http_date

from lti_tool import db
from lti_tool.lrs.api import Handler, resource
from lti_tool.lrs.documents import (
    DEFAULT_CONTENT_TYPE,
    DocumentError,
    DocumentKey,
    DocumentKind,
    DocumentScope,
    IncomingDocument,
    Preconditions,
    delete_document,
    delete_documents,
    list_document_ids,
    post_document,
    put_document,
    put_policy,
    quoted,
    read_document,
)
from lti_tool.lrs.protocol import XapiError, XapiRequest, bad_request, finish, json_response
from lti_tool.lrs.statements import Caller
from lti_tool.models.lrs import AGENT_KEY_LENGTH, IRI_LENGTH
from xapi.indexing import agent_key
from xapi.syntax import is_iri, is_uuid, parse_timestamp
from xapi.validation.parameters import validate_agent_parameter

#: Longest stateId / profileId kept (the column's width).
MAX_DOCUMENT_ID_LENGTH = IRI_LENGTH
#: Longest Content-Type kept (the column's width).
MAX_CONTENT_TYPE_LENGTH = 255
#: Most bytes of UTF-8 that a document's activityId, agent identifier and stateId / profileId
#: may take together: they are one unique index key, and PostgreSQL holds at most 2,704 bytes
#: a key (longer ones were a 503 there).
MAX_DOCUMENT_KEY_BYTES = 2400


@dataclass(frozen=True, slots=True)
class DocumentResource:
    """What identifies a document of one resource.

    Attributes:
        kind: the stored kind.
        id_parameter: ``stateId`` or ``profileId``.
        activity: whether ``activityId`` is part of the key.
        agent: whether ``agent`` is part of the key.
        groups: whether ``agent`` may be an Identified Group (state) or only an Agent.
        registration: whether ``registration`` may be given (state).
        delete_all: whether DELETE without the id clears the context (state).
    """

    kind: DocumentKind
    id_parameter: str
    activity: bool
    agent: bool
    groups: bool = False
    registration: bool = False
    delete_all: bool = False

    def key_parameters(self) -> frozenset[str]:
        """The parameters that select documents (the id aside)."""
        names = {"activityId"} if self.activity else set()
        if self.agent:
            names.add("agent")
        if self.registration:
            names.add("registration")
        return frozenset(names)


STATE = DocumentResource(
    DocumentKind.STATE,
    "stateId",
    activity=True,
    agent=True,
    groups=True,
    registration=True,
    delete_all=True,
)
ACTIVITY_PROFILE = DocumentResource(
    DocumentKind.ACTIVITY_PROFILE, "profileId", activity=True, agent=False
)
AGENT_PROFILE = DocumentResource(
    DocumentKind.AGENT_PROFILE, "profileId", activity=False, agent=True
)

_RESOURCES = {
    "activities/state": STATE,
    "activities/profile": ACTIVITY_PROFILE,
    "agents/profile": AGENT_PROFILE,
}


def _refusing_document_errors(handler: Handler) -> Handler:
    @wraps(handler)
    def wrapped(xapi_request: XapiRequest, caller: Caller) -> Response:
        try:
            return handler(xapi_request, caller)
        except DocumentError as error:
            raise XapiError(error.status, error.problem) from None

    return wrapped


def _every_document_resource(method: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` on all three document resources."""

    def register(handler: Handler) -> Handler:
        wrapped = _refusing_document_errors(handler)
        for name in _RESOURCES:
            resource(name, method)(wrapped)
        return handler

    return register


@_every_document_resource("GET")
def get_documents(xapi_request: XapiRequest, _caller: Caller) -> Response:
    """One document by id (200 with its content, ETag and Last-Modified), or the list of ids.

    Communication 2.3–2.7 (single and multiple GET); 3.1: an ETag on every document GET;
    xAPI 2.0 4.1.6.2: Last-Modified.
    """
    spec = _RESOURCES[xapi_request.resource]
    has_id = spec.id_parameter in xapi_request.params
    allowed = spec.key_parameters() | {spec.id_parameter if has_id else "since"}
    values = _parameters(xapi_request, allowed)
    scope = _scope(spec, values, xapi_request, any_registration=not has_id)
    if has_id:
        found = read_document(db.session(), DocumentKey(scope, _document_id(spec, values)))
        response = Response(found.content, status=200, content_type=found.content_type)
        response.headers["ETag"] = quoted(found.etag)
        response.headers["Last-Modified"] = http_date(found.updated)
        return finish(response, xapi_request)
    since = _since(values, xapi_request)
    listed = list_document_ids(db.session(), scope, since=since)
    response = json_response(listed.ids, xapi_request)
    if listed.last_modified is not None:
        response.headers["Last-Modified"] = http_date(listed.last_modified)
    return response


@_every_document_resource("PUT")
def put_document_handler(xapi_request: XapiRequest, _caller: Caller) -> Response:
    """Store the body as the document, replacing any; 204 (Communication 2.2, 3.1)."""
    spec = _RESOURCES[xapi_request.resource]
    key = _key(spec, xapi_request)
    put_document(
        db.session(),
        key,
        _incoming(xapi_request),
        _preconditions(xapi_request),
        policy=put_policy(spec.kind, is_2_0=xapi_request.version.is_2_0),
        now=xapi_request.now,
    )
    return finish(Response(status=204), xapi_request)


@_every_document_resource("POST")
def post_document_handler(xapi_request: XapiRequest, _caller: Caller) -> Response:
    """Merge a JSON object into the document, or store it if absent; 204 (Communication 2.2)."""
    spec = _RESOURCES[xapi_request.resource]
    key = _key(spec, xapi_request)
    post_document(
        db.session(),
        key,
        _incoming(xapi_request),
        _preconditions(xapi_request),
        now=xapi_request.now,
    )
    return finish(Response(status=204), xapi_request)


@_every_document_resource("DELETE")
def delete_document_handler(xapi_request: XapiRequest, _caller: Caller) -> Response:
    """Delete one document, or (state, without stateId) all of the context; 204."""
    spec = _RESOURCES[xapi_request.resource]
    if spec.delete_all and spec.id_parameter not in xapi_request.params:
        values = _parameters(xapi_request, spec.key_parameters())
        delete_documents(db.session(), _scope(spec, values, xapi_request, any_registration=True))
    else:
        delete_document(db.session(), _key(spec, xapi_request), _preconditions(xapi_request))
    return finish(Response(status=204), xapi_request)


def _parameters(xapi_request: XapiRequest, allowed: frozenset[str] | set[str]) -> dict[str, str]:
    """The request's parameters, each given once and each one this request may carry."""
    values: dict[str, str] = {}
    for name in xapi_request.params:
        if name not in allowed:
            raise bad_request(
                name, f"not a parameter of {xapi_request.method} {_path(xapi_request)}"
            )
        given = xapi_request.params.getlist(name)
        if len(given) > 1:
            raise bad_request(name, "given more than once")
        values[name] = given[0]
    return values


def _path(xapi_request: XapiRequest) -> str:
    return f"/{xapi_request.resource}"


def _key(spec: DocumentResource, xapi_request: XapiRequest) -> DocumentKey:
    values = _parameters(xapi_request, spec.key_parameters() | {spec.id_parameter})
    scope = _scope(spec, values, xapi_request, any_registration=False)
    document_id = _document_id(spec, values)
    parts = (scope.activity_id, scope.agent_key, document_id)
    if sum(len(part.encode()) for part in parts) > MAX_DOCUMENT_KEY_BYTES:
        named = [
            name for name, used in (("activityId", spec.activity), ("agent", spec.agent)) if used
        ]
        raise bad_request(
            spec.id_parameter,
            f"with {' and '.join(named)}, longer than {MAX_DOCUMENT_KEY_BYTES} bytes of UTF-8, "
            "which this LRS cannot store",
        )
    return DocumentKey(scope, document_id)


def _scope(
    spec: DocumentResource,
    values: dict[str, str],
    xapi_request: XapiRequest,
    *,
    any_registration: bool,
) -> DocumentScope:
    activity_id = _activity_id(values) if spec.activity else ""
    key = (
        _agent(values, groups=spec.groups, is_2_0=xapi_request.version.is_2_0) if spec.agent else ""
    )
    registration: str | None = ""
    if spec.registration:
        registration = _registration(values)
        if registration is None:
            registration = None if any_registration else ""
    return DocumentScope(spec.kind, activity_id, key, registration)


def _document_id(spec: DocumentResource, values: dict[str, str]) -> str:
    name = spec.id_parameter
    value = values.get(name)
    if value is None:
        raise bad_request(name, "is required")
    if not value:
        raise bad_request(name, "must not be empty")
    if len(value) > MAX_DOCUMENT_ID_LENGTH:
        raise bad_request(name, f"longer than {MAX_DOCUMENT_ID_LENGTH} characters")
    return value


def _activity_id(values: dict[str, str]) -> str:
    value = values.get("activityId")
    if value is None:
        raise bad_request("activityId", "is required")
    if not is_iri(value):
        raise bad_request("activityId", "not an IRI")
    if len(value) > IRI_LENGTH:
        raise bad_request("activityId", f"longer than {IRI_LENGTH} characters")
    return value


def _agent(values: dict[str, str], *, groups: bool, is_2_0: bool) -> str:
    value = values.get("agent")
    if value is None:
        raise bad_request("agent", "is required")
    return parse_agent_parameter(value, groups=groups, is_2_0=is_2_0)


def parse_agent_parameter(value: str, *, groups: bool, is_2_0: bool) -> str:
    """The identifier key of an ``agent`` parameter (Communication 2.3, 2.4, 2.6).

    Args:
        value: the parameter as sent: a JSON Agent (or, with ``groups``, an Identified Group).
        groups: whether an Identified Group is acceptable.
        is_2_0: whether xAPI 2.0 rules apply.

    Raises:
        StatementValidationError: a 400 naming ``agent`` and the rule broken.
    """
    try:
        agent = json.loads(value)
    except (ValueError, RecursionError):
        raise bad_request("agent", "not JSON") from None
    validate_agent_parameter(agent, "agent", is_2_0=is_2_0)
    if not groups and agent.get("objectType", "Agent") != "Agent":
        raise bad_request("agent.objectType", "must be an Agent here, not a Group")
    key = agent_key(agent)
    if key is None:
        raise bad_request("agent", "must have an inverse functional identifier")
    if len(key) > AGENT_KEY_LENGTH:
        raise bad_request("agent", f"identifier longer than {AGENT_KEY_LENGTH} characters")
    return key


def _registration(values: dict[str, str]) -> str | None:
    value = values.get("registration")
    if value is None:
        return None
    if not is_uuid(value):
        raise bad_request("registration", "not a UUID")
    return value.lower()


def _since(values: dict[str, str], xapi_request: XapiRequest) -> datetime | None:
    value = values.get("since")
    if value is None:
        return None
    moment = parse_timestamp(value, offset_required=xapi_request.version.is_2_0)
    if moment is None:
        raise bad_request("since", "not an ISO 8601 timestamp")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # Outside datetime's range once in UTC: before year 1 lists all, after 9999 none.
        return None if moment.year == 1 else datetime.max.replace(tzinfo=UTC)


def _incoming(xapi_request: XapiRequest) -> IncomingDocument:
    content_type = xapi_request.headers.get("Content-Type", "").strip() or DEFAULT_CONTENT_TYPE
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise bad_request("Content-Type", f"longer than {MAX_CONTENT_TYPE_LENGTH} characters")
    return IncomingDocument(xapi_request.body, content_type)


def _preconditions(xapi_request: XapiRequest) -> Preconditions:
    headers = xapi_request.headers
    return Preconditions.from_headers(headers.get("If-Match"), headers.get("If-None-Match"))
