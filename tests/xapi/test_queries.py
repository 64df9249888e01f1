"""GET and PUT /statements parameters (xAPI 1.0.3 Communication 2.1.1, 2.1.3, 3.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.xapi.builders import full_statement
from xapi import vocabulary
from xapi.errors import StatementValidationError
from xapi.formats import ResponseFormat
from xapi.queries import (
    StatementQuery,
    parse_agent_parameter,
    parse_put_statement_id,
    parse_statement_query,
)
from xapi.versions import XapiVersion

STATEMENT_ID = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"
AGENT = json.dumps({"objectType": "Agent", "mbox": "mailto:liu@school.example.cn"})


def _messages(parameters: dict, version: XapiVersion = XapiVersion.V1_0_3) -> list[str]:
    with pytest.raises(StatementValidationError) as caught:
        parse_statement_query(parameters, version)
    return caught.value.messages


def test_no_parameters_means_defaults() -> None:
    """Communication 2.1.3: every parameter is optional; format defaults to exact."""
    assert parse_statement_query({}) == StatementQuery()


def test_every_filter_is_parsed() -> None:
    """Communication 2.1.3: the filter parameters and their types."""
    query = parse_statement_query(
        {
            "agent": AGENT,
            "verb": vocabulary.VERB_ATTENDED,
            "activity": "https://trellis.example/sessions/42",
            "registration": STATEMENT_ID.upper(),
            "related_activities": "true",
            "related_agents": "false",
            "since": "2026-01-01T00:00:00Z",
            "until": ["2026-02-01T08:00:00+08:00"],
            "limit": "25",
            "format": "canonical",
            "attachments": "false",
            "ascending": "true",
        }
    )
    assert query.agent == "mbox:mailto:liu@school.example.cn"
    assert query.registration == STATEMENT_ID
    assert query.related_activities and not query.related_agents and query.ascending
    assert query.since == datetime(2026, 1, 1, tzinfo=UTC)
    assert query.until == datetime(2026, 2, 1, tzinfo=UTC)
    assert query.limit == 25
    assert query.format is ResponseFormat.CANONICAL


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"StatementId": STATEMENT_ID}, "StatementId: unknown parameter"),
        ({"Agent": AGENT}, "Agent: unknown parameter"),
        ({"foo": "bar"}, "foo: unknown parameter"),
        ({"verb": ["http://a.example/v", "http://b.example/v"]}, "verb: must be given once"),
        (
            {"statementId": STATEMENT_ID, "voidedStatementId": STATEMENT_ID},
            "statementId: cannot be combined with voidedStatementId",
        ),
        ({"statementId": STATEMENT_ID, "agent": AGENT}, "agent: not allowed with statementId"),
        (
            {"voidedStatementId": STATEMENT_ID, "limit": "1"},
            "limit: not allowed with voidedStatementId",
        ),
        ({"statementId": "nope"}, "statementId: not a UUID"),
        ({"registration": "nope"}, "registration: not a UUID"),
        ({"verb": "attended"}, "verb: not an IRI"),
        ({"activity": "session 42"}, "activity: not an IRI"),
        ({"agent": "mailto:a@b.c"}, "agent: not JSON"),
        (
            {"agent": json.dumps({"name": "x"})},
            "agent: must have exactly one inverse functional identifier",
        ),
        (
            {"agent": json.dumps({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]})},
            "agent: must be an Agent or identified Group",
        ),
        ({"related_agents": "True"}, "related_agents: must be true or false"),
        ({"ascending": "1"}, "ascending: must be true or false"),
        ({"since": "yesterday"}, "since: not a valid timestamp"),
        ({"limit": "-1"}, "limit: must be a non-negative integer"),
        ({"limit": "ten"}, "limit: must be a non-negative integer"),
        ({"format": "full"}, "format: must be ids, exact or canonical"),
    ],
)
def test_bad_parameters_are_rejected(parameters: dict, expected: str) -> None:
    """Communication 2.1.3 and 3.2: unknown, repeated, mis-cased, conflicting or malformed
    parameters get 400 (XAPI-00150, XAPI-00151, XAPI-00324, XAPI-00325)."""
    assert expected in _messages(parameters)


@pytest.mark.parametrize("companion", ["format", "attachments"])
def test_single_statement_fetch_allows_format_and_attachments(companion: str) -> None:
    """Communication 2.1.3: statementId may come with format and attachments only."""
    value = "ids" if companion == "format" else "true"
    query = parse_statement_query({"statementId": STATEMENT_ID, companion: value})
    assert query.statement_id == STATEMENT_ID


def test_since_without_offset_is_rejected_under_2_0() -> None:
    """IEEE 9274.1.1: parameters are validated like statement values (RFC 3339 timestamps)."""
    assert "since: not a valid timestamp" in _messages(
        {"since": "2026-01-01T00:00:00"}, XapiVersion.V2_0_0
    )


def test_agent_parameter_accepts_identified_group() -> None:
    """Communication 2.1.3 agent: an Agent or identified Group object."""
    group = json.dumps(
        {"objectType": "Group", "account": {"homePage": "https://m.example", "name": "g"}}
    )
    assert parse_agent_parameter(group) == "account:https://m.example|g"
    with pytest.raises(StatementValidationError):
        parse_agent_parameter("[" * 100_000)


def test_put_requires_statement_id_matching_the_body() -> None:
    """Communication 2.1.1: statementId is required and "MUST match" the statement's id."""
    statement = full_statement()
    assert parse_put_statement_id({"statementId": statement["id"].upper()}, statement)
    for parameters, expected in [
        ({}, "statementId: is required"),
        ({"statementid": statement["id"]}, "statementid: unknown parameter"),
        ({"statementId": "x"}, "statementId: not a UUID"),
        ({"statementId": STATEMENT_ID}, "id: must match the statementId parameter"),
    ]:
        with pytest.raises(StatementValidationError) as caught:
            parse_put_statement_id(parameters, statement)
        assert expected in caught.value.messages
