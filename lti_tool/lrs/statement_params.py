"""Parameters of ``GET /statements``: parse, check, and carry them across pages.

Every parameter is checked by name and case (xAPI 1.0.3 Communication 3.2: an unrecognised
parameter, or one in the wrong case, is a 400), and ``more`` links carry the original query in a
signed token so a client cannot alter the result it pages through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from typing import Any

from werkzeug.datastructures import MultiDict

from lti_tool.lrs.protocol import bad_request
from lti_tool.lrs.statement_store import StatementQuery
from xapi.formats import ResponseFormat, parse_format
from xapi.indexing import agent_key
from xapi.syntax import is_iri, is_uuid, parse_timestamp
from xapi.validation.parameters import validate_agent_parameter

FILTER_PARAMETERS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "ascending",
    }
)
SINGLE_PARAMETERS = frozenset({"statementId", "voidedStatementId"})
SHAPE_PARAMETERS = frozenset({"format", "attachments"})
ALL_PARAMETERS = FILTER_PARAMETERS | SINGLE_PARAMETERS | SHAPE_PARAMETERS | {"more"}

#: The most statements one page holds; ``limit=0`` means this many.
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class StatementRequest:
    """What a GET on the statement resource asks for."""

    statement_id: str | None
    voided_statement_id: str | None
    query: StatementQuery
    limit: int
    response_format: ResponseFormat
    attachments: bool
    raw: dict[str, str]


def parse_statement_request(params: MultiDict[str, str], *, is_2_0: bool) -> StatementRequest:
    """Check the parameters of a GET and turn them into a :class:`StatementRequest`.

    Raises:
        StatementValidationError: naming the parameter and the rule it breaks (400).
    """
    raw: dict[str, str] = {}
    for name in params:
        if name not in ALL_PARAMETERS:
            raise bad_request(name, "not a parameter of the statement resource")
        values = params.getlist(name)
        if len(values) > 1:
            raise bad_request(name, "given more than once")
        raw[name] = values[0]
    if "more" in raw:
        raise bad_request("more", "use the 'more' link as given, with no other parameter")
    return _from_raw(raw, is_2_0=is_2_0)


def _from_raw(raw: dict[str, str], *, is_2_0: bool) -> StatementRequest:
    statement_id = _uuid(raw, "statementId")
    voided_id = _uuid(raw, "voidedStatementId")
    if statement_id is not None or voided_id is not None:
        if statement_id is not None and voided_id is not None:
            raise bad_request("statementId", "cannot be combined with voidedStatementId")
        extra = sorted(set(raw) - SHAPE_PARAMETERS - SINGLE_PARAMETERS)
        if extra:
            name = "statementId" if statement_id is not None else "voidedStatementId"
            raise bad_request(extra[0], f"cannot be combined with {name}")
    query = StatementQuery(
        agent=_agent(raw),
        verb=_iri(raw, "verb"),
        activity=_iri(raw, "activity"),
        registration=_uuid(raw, "registration"),
        related_activities=_boolean(raw, "related_activities"),
        related_agents=_boolean(raw, "related_agents"),
        since=_timestamp(raw, "since", is_2_0=is_2_0),
        until=_timestamp(raw, "until", is_2_0=is_2_0),
        ascending=_boolean(raw, "ascending"),
    )
    try:
        response_format = parse_format(raw.get("format"))
    except ValueError:
        raise bad_request("format", "must be ids, exact or canonical") from None
    return StatementRequest(
        statement_id=statement_id,
        voided_statement_id=voided_id,
        query=query,
        limit=_limit(raw),
        response_format=response_format,
        attachments=_boolean(raw, "attachments"),
        raw=raw,
    )


def _uuid(raw: dict[str, str], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not is_uuid(value):
        raise bad_request(name, "not a UUID")
    return value.lower()


def _iri(raw: dict[str, str], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not is_iri(value):
        raise bad_request(name, "not an IRI")
    return value


def _agent(raw: dict[str, str]) -> str | None:
    value = raw.get("agent")
    if value is None:
        return None
    try:
        agent = json.loads(value)
    except ValueError:
        raise bad_request("agent", "not a JSON Agent or Identified Group") from None
    validate_agent_parameter(agent, "agent")
    key = agent_key(agent)
    if key is None:
        raise bad_request("agent", "must have an inverse functional identifier")
    return key


def _boolean(raw: dict[str, str], name: str) -> bool:
    value = raw.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise bad_request(name, "must be true or false")
    return value == "true"


def _timestamp(raw: dict[str, str], name: str, *, is_2_0: bool) -> Any:
    value = raw.get(name)
    if value is None:
        return None
    moment = parse_timestamp(value, offset_required=is_2_0)
    if moment is None:
        raise bad_request(name, "not an ISO 8601 timestamp")
    return moment


def _limit(raw: dict[str, str]) -> int:
    value = raw.get("limit")
    if value is None:
        return MAX_PAGE_SIZE
    if not value.isdigit():
        raise bad_request("limit", "must be a whole number, 0 or more")
    number = int(value)
    return MAX_PAGE_SIZE if number == 0 else min(number, MAX_PAGE_SIZE)


def more_token(request: StatementRequest, *, after_seq: int, max_seq: int, secret: str) -> str:
    """A signed token for the next page of ``request``."""
    payload = json.dumps(
        {"q": request.raw, "after": after_seq, "max": max_seq}, separators=(",", ":")
    ).encode()
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    return f"{encoded}.{_signature(encoded, secret)}"


def parse_more(params: MultiDict[str, str], *, secret: str, is_2_0: bool) -> StatementRequest:
    """The request a ``more`` token stands for, positioned at its page.

    Raises:
        StatementValidationError: when other parameters accompany it or the token is not one we
            issued (400).
    """
    if len(params) != 1 or len(params.getlist("more")) != 1:
        raise bad_request("more", "use the 'more' link as given, with no other parameter")
    token = params["more"]
    encoded, _, signature = token.partition(".")
    if not signature or not hmac.compare_digest(signature, _signature(encoded, secret)):
        raise bad_request("more", "not a page link issued by this LRS")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    request = _from_raw(dict(payload["q"]), is_2_0=is_2_0)
    return replace(
        request,
        query=replace(request.query, after_seq=int(payload["after"]), max_seq=int(payload["max"])),
    )


def _signature(encoded: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"xapi-more:{encoded}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")
