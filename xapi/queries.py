"""Query parameters of the Statement Resource (xAPI 1.0.3 Communication 2.1.1-2.1.3), parsed
and validated "to the same standards required for values of the same types in Statements"
(Data 2.2). Every failure is a :class:`StatementValidationError` (answer 400).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xapi.errors import Problem, StatementValidationError
from xapi.formats import ResponseFormat, parse_format
from xapi.indexing import agent_key
from xapi.syntax import is_iri, is_uuid, parse_timestamp
from xapi.validation._walk import EnoughProblems, Walk
from xapi.validation.actors import check_actor
from xapi.versions import XapiVersion

#: Communication 2.1.3: every parameter of GET /statements, spelled exactly (case matters:
#: the conformance suite expects 400 for "StatementId", XAPI-00325).
GET_PARAMETERS = frozenset(
    {
        "statementId",
        "voidedStatementId",
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
#: Communication 2.1.3: with statementId or voidedStatementId only these may accompany it.
_SINGLE_STATEMENT_COMPANIONS = frozenset({"format", "attachments"})
_BOOLEANS = {"true": True, "false": False}

QueryParameters = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True, slots=True)
class StatementQuery:
    """A validated GET /statements request.

    Attributes:
        statement_id: Fetch this one statement (lowercase), unless voided.
        voided_statement_id: Fetch this one voided statement (lowercase).
        agent: The agent filter as an :func:`xapi.indexing.agent_key` string.
        verb: Verb id filter.
        activity: Activity id filter.
        registration: Registration filter (lowercase).
        related_activities: Widen ``activity`` to related activities.
        related_agents: Widen ``agent`` to related agents.
        since: Only statements stored after this instant.
        until: Only statements stored at or before this instant.
        limit: Maximum number of statements; 0 means the server's maximum.
        format: The response format.
        attachments: Whether to answer multipart with attachment data.
        ascending: Oldest first (by stored) instead of newest first.
    """

    statement_id: str | None = None
    voided_statement_id: str | None = None
    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    format: ResponseFormat = ResponseFormat.EXACT
    attachments: bool = False
    ascending: bool = False


def _single_values(parameters: QueryParameters) -> dict[str, str]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name, value in parameters.items():
        if name not in GET_PARAMETERS:
            # Communication 3.2: reject parameters the LRS does not recognise (XAPI-00324).
            problems.append(Problem(name, "unknown parameter"))
        elif isinstance(value, str):
            values[name] = value
        elif len(value) == 1:
            values[name] = value[0]
        else:
            problems.append(Problem(name, "must be given once"))
    if problems:
        raise StatementValidationError(problems)
    return values


def _boolean(values: dict[str, str], name: str, problems: list[Problem]) -> bool:
    if name not in values:
        return False
    if values[name] in _BOOLEANS:
        return _BOOLEANS[values[name]]
    problems.append(Problem(name, "must be true or false"))
    return False


def _uuid(values: dict[str, str], name: str, problems: list[Problem]) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not is_uuid(value):
        problems.append(Problem(name, "not a UUID"))
        return None
    return value.lower()


def _iri(values: dict[str, str], name: str, problems: list[Problem]) -> str | None:
    value = values.get(name)
    if value is not None and not is_iri(value):
        problems.append(Problem(name, "not an IRI"))
        return None
    return value


def _timestamp(
    values: dict[str, str], name: str, problems: list[Problem], version: XapiVersion
) -> datetime | None:
    value = values.get(name)
    if value is None:
        return None
    moment = parse_timestamp(value, offset_required=version.is_2_0)
    if moment is None:
        problems.append(Problem(name, "not a valid timestamp"))
    return moment


def parse_agent_parameter(value: str) -> str:
    """Read the ``agent`` parameter: the JSON of an Agent or Identified Group.

    Returns:
        Its :func:`xapi.indexing.agent_key`.

    Raises:
        StatementValidationError: Not JSON, not a valid Agent/Group, or an anonymous group.
    """
    try:
        agent: Any = json.loads(value)
    except (ValueError, RecursionError):
        raise StatementValidationError([Problem("agent", "not JSON")]) from None
    walk = Walk(is_2_0=False)
    with contextlib.suppress(EnoughProblems):
        check_actor(walk, agent, "agent")
    if walk.problems:
        raise StatementValidationError(walk.problems)
    key = agent_key(agent)
    if key is None:
        raise StatementValidationError([Problem("agent", "must be an Agent or identified Group")])
    return key


def parse_statement_query(
    parameters: QueryParameters, version: XapiVersion = XapiVersion.V1_0_3
) -> StatementQuery:
    """Validate the query string of GET /statements.

    Args:
        parameters: Name to value (or list of values), e.g. ``request.args.to_dict(flat=False)``.
        version: The negotiated xAPI version.

    Returns:
        The query, with defaults filled in.

    Raises:
        StatementValidationError: An unknown or repeated parameter; both statementId and
            voidedStatementId; either with parameters besides format and attachments; or a
            value of the wrong format.
    """
    values = _single_values(parameters)
    problems: list[Problem] = []
    single = [name for name in ("statementId", "voidedStatementId") if name in values]
    if len(single) == 2:
        problems.append(Problem("statementId", "cannot be combined with voidedStatementId"))
    elif single:
        for name in values:
            if name != single[0] and name not in _SINGLE_STATEMENT_COMPANIONS:
                problems.append(Problem(name, f"not allowed with {single[0]}"))
    agent = None
    if "agent" in values:
        try:
            agent = parse_agent_parameter(values["agent"])
        except StatementValidationError as error:
            problems.extend(error.problems)
    limit = 0
    if "limit" in values:
        if values["limit"].isdigit() and values["limit"].isascii():
            limit = int(values["limit"])
        else:
            problems.append(Problem("limit", "must be a non-negative integer"))
    response_format = ResponseFormat.EXACT
    try:
        response_format = parse_format(values.get("format"))
    except StatementValidationError as error:
        problems.extend(error.problems)
    query = StatementQuery(
        statement_id=_uuid(values, "statementId", problems),
        voided_statement_id=_uuid(values, "voidedStatementId", problems),
        agent=agent,
        verb=_iri(values, "verb", problems),
        activity=_iri(values, "activity", problems),
        registration=_uuid(values, "registration", problems),
        related_activities=_boolean(values, "related_activities", problems),
        related_agents=_boolean(values, "related_agents", problems),
        since=_timestamp(values, "since", problems, version),
        until=_timestamp(values, "until", problems, version),
        limit=limit,
        format=response_format,
        attachments=_boolean(values, "attachments", problems),
        ascending=_boolean(values, "ascending", problems),
    )
    if problems:
        raise StatementValidationError(problems)
    return query


def parse_put_statement_id(parameters: QueryParameters, statement: Mapping[str, Any]) -> str:
    """The statement id of PUT /statements (Communication 2.1.1).

    Args:
        parameters: The query string; ``statementId`` is required and nothing else is allowed.
        statement: The valid statement in the body.

    Returns:
        The id, as given in the parameter.

    Raises:
        StatementValidationError: Missing, malformed or unknown parameters, or a body whose
            ``id`` differs from ``statementId`` ("MUST match").
    """
    problems: list[Problem] = []
    for name in parameters:
        if name != "statementId":
            problems.append(Problem(name, "unknown parameter"))
    raw = parameters.get("statementId")
    if raw is None:
        problems.append(Problem("statementId", "is required"))
        raise StatementValidationError(problems)
    statement_id = raw if isinstance(raw, str) else (raw[0] if len(raw) == 1 else "")
    if not is_uuid(statement_id):
        problems.append(Problem("statementId", "not a UUID"))
    elif "id" in statement and str(statement["id"]).lower() != statement_id.lower():
        problems.append(Problem("id", "must match the statementId parameter"))
    if problems:
        raise StatementValidationError(problems)
    return statement_id
