"""The statement resource (xAPI 1.0.3 Communication 2.1): POST, PUT, GET and HEAD."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Response, request

from lti_tool import db
from lti_tool.lrs.api import resource
from lti_tool.lrs.attachments import load_attachments, read_statement_upload
from lti_tool.lrs.multipart import build_multipart
from lti_tool.lrs.protocol import XapiError, XapiRequest, bad_request, finish, json_response
from lti_tool.lrs.statement_params import (
    StatementRequest,
    more_token,
    parse_more,
    parse_statement_request,
)
from lti_tool.lrs.statement_store import StatementStore, StoredStatement
from lti_tool.lrs.statements import Caller, store_statements
from lti_tool.settings import current_settings
from xapi.formats import ResponseFormat, format_statement, parse_accept_language
from xapi.syntax import format_timestamp, is_uuid


@resource("statements", "POST")
def post_statements(xapi_request: XapiRequest, caller: Caller) -> Response:
    """Store one statement or a batch; 200 with the ids in order (Communication 2.1.2).

    Moodle's logstore_xapi counts anything but exactly 200 as failure, also for a batch whose
    statements were all stored before, so a re-sent batch is answered 200 like the first.
    """
    if xapi_request.params:
        raise bad_request(next(iter(xapi_request.params)), "POST /statements takes no parameters")
    upload = read_statement_upload(xapi_request)
    ids = store_statements(
        db.session(),
        upload.body,
        caller=caller,
        version=xapi_request.version,
        now=xapi_request.now,
        attachments=upload.parts,
        body_text=upload.text,
    )
    return json_response(ids, xapi_request)


@resource("statements", "PUT")
def put_statement(xapi_request: XapiRequest, caller: Caller) -> Response:
    """Store one statement under ``statementId``; 204 (Communication 2.1.1)."""
    unknown = sorted(set(xapi_request.params) - {"statementId"})
    if unknown:
        raise bad_request(unknown[0], "PUT /statements takes only statementId")
    statement_id = xapi_request.param("statementId")
    if statement_id is None:
        raise bad_request("statementId", "required for PUT")
    if not is_uuid(statement_id):
        raise bad_request("statementId", "not a UUID")
    upload = read_statement_upload(xapi_request)
    if not isinstance(upload.body, dict):
        raise bad_request("$", "PUT takes a single statement object")
    store_statements(
        db.session(),
        upload.body,
        caller=caller,
        version=xapi_request.version,
        now=xapi_request.now,
        statement_id=statement_id.lower(),
        attachments=upload.parts,
        body_text=upload.text,
    )
    return finish(Response(status=204), xapi_request)


@resource("statements", "GET")
def get_statements(xapi_request: XapiRequest, caller: Caller) -> Response:
    """One statement by id, or a page of a filtered query (Communication 2.1.3)."""
    settings = current_settings()
    if "more" in xapi_request.params:
        wanted = parse_more(
            xapi_request.params, secret=settings.secret_key, version=xapi_request.version
        )
    else:
        wanted = parse_statement_request(xapi_request.params, xapi_request.version)
    store = StatementStore(db.session())
    source_id = None if caller.is_admin else caller.source_id
    languages = parse_accept_language(xapi_request.headers.get("Accept-Language"))
    single_id = wanted.statement_id or wanted.voided_statement_id
    if single_id is not None:
        found = store.get(
            single_id, voided=wanted.voided_statement_id is not None, source_id=source_id
        )
        if found is None:
            raise XapiError(404, f"statement {single_id} is not stored here")
        body = _render(found, wanted.response_format, languages)
        response = _respond(xapi_request, body, [found], attachments=wanted.attachments)
        _set_last_modified(response, found.stored, xapi_request)
        return response
    return _statement_page(xapi_request, wanted, store, source_id, languages)


def _statement_page(
    xapi_request: XapiRequest,
    wanted: StatementRequest,
    store: StatementStore,
    source_id: int | None,
    languages: tuple[str, ...],
) -> Response:
    max_seq = wanted.filter.max_seq if wanted.filter.max_seq is not None else store.latest_seq()
    query = replace(wanted.filter, max_seq=max_seq, source_id=source_id)
    rows = store.query(query, wanted.limit + 1)
    page, has_more = rows[: wanted.limit], len(rows) > wanted.limit
    more = ""
    if has_more:
        token = more_token(
            wanted, after_seq=page[-1].seq, max_seq=max_seq, secret=current_settings().secret_key
        )
        more = f"{request.script_root}/xapi/statements?more={token}"
    if wanted.response_format is ResponseFormat.EXACT:
        statements_json = ",".join(row.document for row in page)
    else:
        statements_json = ",".join(
            json.dumps(_render(row, wanted.response_format, languages), ensure_ascii=False)
            for row in page
        )
    body = f'{{"statements":[{statements_json}],"more":{json.dumps(more)}}}'
    response = _respond(xapi_request, body, page, attachments=wanted.attachments)
    if page:
        _set_last_modified(response, max(row.stored for row in page), xapi_request)
    return response


def _respond(
    xapi_request: XapiRequest,
    body: str | dict[str, Any],
    rows: list[StoredStatement],
    *,
    attachments: bool,
) -> Response:
    """JSON, or multipart/mixed with the attachments' contents when they were asked for."""
    if not attachments:
        return json_response(body, xapi_request, consistent=True)
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    contents = load_attachments(db.session(), (json.loads(row.document) for row in rows))
    payload, content_type = build_multipart(text.encode("utf-8"), contents)
    response = Response(payload, status=200, content_type=content_type)
    return finish(response, xapi_request, consistent=True)


def _render(
    found: StoredStatement, response_format: ResponseFormat, languages: tuple[str, ...]
) -> str | dict[str, Any]:
    if response_format is ResponseFormat.EXACT:
        return found.document
    return format_statement(json.loads(found.document), response_format, languages=languages)


def _set_last_modified(response: Response, stored: datetime, xapi_request: XapiRequest) -> None:
    if xapi_request.version.is_2_0:
        response.headers["Last-Modified"] = format_timestamp(stored)
