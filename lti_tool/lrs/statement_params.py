"""The statement GET request as the store sees it, and the ``more`` links that page through it.

Parameters are parsed and checked by the pure ``xapi.queries`` rules; this module adds what is
the LRS's own: the page size, and ``more`` links that carry the original query in a signed
token, so a client cannot alter the result it pages through.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, replace

from werkzeug.datastructures import MultiDict

from lti_tool.lrs.protocol import bad_request
from lti_tool.lrs.statement_store import StatementFilter
from xapi.formats import ResponseFormat
from xapi.queries import StatementQuery, parse_statement_query
from xapi.versions import XapiVersion

#: The most statements one page holds; ``limit=0`` means this many.
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class StatementRequest:
    """What a GET on the statement resource asks for."""

    statement_id: str | None
    voided_statement_id: str | None
    filter: StatementFilter
    limit: int
    response_format: ResponseFormat
    attachments: bool
    raw: dict[str, str]
    """The parameters as sent, carried in ``more`` tokens."""


def parse_statement_request(params: MultiDict[str, str], version: XapiVersion) -> StatementRequest:
    """Check the parameters of a GET (not a ``more`` link).

    Raises:
        StatementValidationError: naming the parameter and the rule it breaks (400).
    """
    if "more" in params:
        raise bad_request("more", "use the 'more' link as given, with no other parameter")
    query = parse_statement_query(params.to_dict(flat=False), version)
    return _request_for(query, {name: params[name] for name in params})


def _request_for(query: StatementQuery, raw: dict[str, str]) -> StatementRequest:
    return StatementRequest(
        statement_id=query.statement_id,
        voided_statement_id=query.voided_statement_id,
        filter=StatementFilter(
            agent=query.agent,
            verb=query.verb,
            activity=query.activity,
            registration=query.registration,
            related_activities=query.related_activities,
            related_agents=query.related_agents,
            since=query.since,
            until=query.until,
            ascending=query.ascending,
        ),
        limit=MAX_PAGE_SIZE if query.limit == 0 else min(query.limit, MAX_PAGE_SIZE),
        response_format=query.format,
        attachments=query.attachments,
        raw=raw,
    )


def more_token(request: StatementRequest, *, after_seq: int, max_seq: int, secret: str) -> str:
    """A signed token for the page of ``request`` after position ``after_seq``."""
    payload = json.dumps(
        {"q": request.raw, "after": after_seq, "max": max_seq}, separators=(",", ":")
    ).encode()
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    return f"{encoded}.{_signature(encoded, secret)}"


def parse_more(
    params: MultiDict[str, str], *, secret: str, version: XapiVersion
) -> StatementRequest:
    """The request a ``more`` token stands for, positioned at its page.

    Raises:
        StatementValidationError: when other parameters accompany it or the token is not one
            this LRS issued (400).
    """
    if len(params) != 1 or len(params.getlist("more")) != 1:
        raise bad_request("more", "use the 'more' link as given, with no other parameter")
    encoded, _, signature = params["more"].partition(".")
    if not signature or not hmac.compare_digest(signature, _signature(encoded, secret)):
        raise bad_request("more", "not a page link issued by this LRS")
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        raw = {str(name): str(value) for name, value in payload["q"].items()}
        after, newest = int(payload["after"]), int(payload["max"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise bad_request("more", "not a page link issued by this LRS") from None
    request = _request_for(parse_statement_query(raw, version), raw)
    return replace(request, filter=replace(request.filter, after_seq=after, max_seq=newest))


def _signature(encoded: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"xapi-more:{encoded}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")
