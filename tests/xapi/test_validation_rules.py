"""Table-driven tests of every data-model rule: each case changes one value of a complete
valid statement and names the problem the validator must report (or None: still valid).

Sections cited are xAPI 1.0.3 Part Two (Data); the ADL conformance suite answers 400 to
every invalid case here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.builders import DELETE, full_statement, mutated, substatement
from xapi import vocabulary
from xapi.errors import StatementValidationError
from xapi.validation import validate_statement, validate_statements
from xapi.versions import XapiVersion

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0

ACCOUNT = {"homePage": "https://moodle.example", "name": "42"}
AGENT = {"mbox": "mailto:x@example.com"}


def _problems(statement: Any, version: XapiVersion = V1) -> list[str]:
    try:
        validate_statement(statement, version)
    except StatementValidationError as error:
        return error.messages
    return []


def _without_revision_and_platform(statement: dict[str, Any]) -> dict[str, Any]:
    for key in ("revision", "platform"):
        del statement["context"][key]
    return statement


def test_full_statement_is_valid() -> None:
    """Data 2.4: a statement using every property correctly is accepted."""
    validate_statement(full_statement())


def test_minimal_statement_is_valid() -> None:
    """Data 2.2: actor, verb and object are all a statement needs."""
    validate_statement(
        {"actor": AGENT, "verb": {"id": vocabulary.VERB_ATTENDED}, "object": {"id": "urn:x:1"}}
    )


# (path, new value, expected problem or None when the statement stays valid)
STATEMENT_CASES: list[tuple[str, Any, str | None]] = [
    # Data 2.2 formatting: required properties, nulls, unknown properties.
    ("actor", DELETE, "actor: is required"),
    ("verb", DELETE, "verb: is required"),
    ("object", DELETE, "object: is required"),
    ("actor.name", None, "actor.name: must not be null"),
    ("verb.display.en-US", None, 'verb.display["en-US"]: must not be null'),
    ("context.registration", None, "context.registration: must not be null"),
    ("object.definition.moreInfo", None, "object.definition.moreInfo: must not be null"),
    ('object.definition.extensions["https://trellis.example/ext/room"]', None, None),
    ("unknown", 1, "unknown: unknown property"),
    ("Actor", AGENT, "Actor: unknown property"),
    ("context.extras", {}, "context.extras: unknown property"),
    ("result.score.percent", 50, "result.score.percent: unknown property"),
    # Data 2.4.1 id.
    ("id", "AA97B177-9383-4934-8543-0F91A7A028368", "id: not a UUID"),
    ("id", "MA97B177-9383-4934-8543-0F91A7A02836", "id: not a UUID"),
    ("id", "AA97B177-9383-4934-8543-0F91A7A02836", None),
    ("id", 12345, "id: must be a string"),
    ("id", {"key": "x"}, "id: must be a string"),
    ("id", DELETE, None),
    # Data 2.4.2 actor: Agent.
    ("actor.objectType", "agent", "actor.objectType: must be Agent or Group"),
    ("actor.objectType", "Activity", "actor.objectType: must be Agent or Group"),
    ("actor.objectType", DELETE, None),
    ("actor", {"name": "nobody"}, "actor: must have exactly one inverse functional identifier"),
    (
        "actor",
        {"mbox": "mailto:a@b.c", "openid": "https://id.example/a"},
        "actor: must have exactly one inverse functional identifier",
    ),
    ("actor", "mailto:a@b.c", "actor: must be an object"),
    # Data 2.4.2.3 IFIs.
    ("actor.mbox", "a@b.c", "actor.mbox: not a mailto IRI"),
    ("actor.mbox", "mailto:", "actor.mbox: not a mailto IRI"),
    ("actor.mbox", "MAILTO:a@b.c", "actor.mbox: not a mailto IRI"),
    ("actor", {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}, None),
    ("actor", {"mbox_sha1sum": "not-a-sha1"}, "actor.mbox_sha1sum: not a SHA-1 hex digest"),
    ("actor", {"openid": "https://openid.example/u/1"}, None),
    ("actor", {"openid": "not a uri"}, "actor.openid: not an IRI"),
    ("actor", {"account": ACCOUNT}, None),
    ("actor", {"account": {"name": "42"}}, "actor.account.homePage: is required"),
    ("actor", {"account": {"homePage": "https://m.example"}}, "actor.account.name: is required"),
    (
        "actor",
        {"account": {"homePage": "moodle.example", "name": "42"}},
        "actor.account.homePage: not an IRI",
    ),
    ("actor", {"account": {**ACCOUNT, "id": 1}}, "actor.account.id: unknown property"),
    ("actor", {"account": {**ACCOUNT, "name": 42}}, "actor.account.name: must be a string"),
    # Data 2.4.2.2 groups.
    ("actor", {"objectType": "Group", "member": [AGENT]}, None),
    ("actor", {"objectType": "Group", "account": ACCOUNT}, None),
    ("actor", {"objectType": "Group", "account": ACCOUNT, "member": [AGENT]}, None),
    ("actor", {"objectType": "Group"}, "actor.member: is required for an anonymous group"),
    (
        "actor",
        {"objectType": "Group", "mbox": "mailto:g@x.y", "openid": "https://g.example"},
        "actor: must have at most one inverse functional identifier",
    ),
    (
        "actor",
        {"objectType": "Group", "member": [{"objectType": "Group", "member": [AGENT]}]},
        "actor.member[0].objectType: must be Agent",
    ),
    (
        "actor",
        {"objectType": "Group", "member": [{"name": "no ifi"}]},
        "actor.member[0]: must have exactly one inverse functional identifier",
    ),
    ("actor", {"objectType": "Group", "member": AGENT}, "actor.member: must be an array"),
    # Data 2.4.3 verb.
    ("verb.id", DELETE, "verb.id: is required"),
    ("verb.id", "attended", "verb.id: not an IRI"),
    ("verb.id", "", "verb.id: not an IRI"),
    ("verb.id", "http://example.com/has space", "verb.id: not an IRI"),
    ("verb.display", "attended", "verb.display: must be a language map object"),
    ("verb.display", 1, "verb.display: must be a language map object"),
    ("verb.display", {"something": "x"}, "verb.display.something: not an RFC 5646 language tag"),
    ("verb.display", {"zh-Hans-CN": "参加了", "i-klingon": "x", "x-trellis": "y"}, None),
    ("verb.display", {"en": 1}, "verb.display.en: must be a string"),
    ("verb.name", {"en": "x"}, "verb.name: unknown property"),
    # Data 2.4.4 object dispatch.
    (
        "object.objectType",
        "activity",
        "object.objectType: must be Activity, Agent, Group, StatementRef or SubStatement",
    ),
    ("object.objectType", DELETE, None),
    ("object.id", DELETE, "object.id: is required"),
    ("object.id", "not an iri", "object.id: not an IRI"),
    (
        "object",
        {"objectType": "Agent"},
        "object: must have exactly one inverse functional identifier",
    ),
    ("object", {"objectType": "StatementRef"}, "object.id: is required"),
    ("object", {"objectType": "StatementRef", "id": "x"}, "object.id: not a UUID"),
    (
        "object",
        {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "x": 1},
        "object.x: unknown property",
    ),
    # Data 2.4.4.1 activity definitions.
    ("object.definition", {}, None),
    ("object.definition.type", "meeting", "object.definition.type: not an IRI"),
    ("object.definition.moreInfo", "info", "object.definition.moreInfo: not an IRI"),
    ("object.definition.name", {"en": None}, "object.definition.name.en: must not be null"),
    (
        "object.definition.extensions",
        {"room": 1},
        "object.definition.extensions.room: key not an IRI",
    ),
    ("object.definition.extensions", [], "object.definition.extensions: must be an object"),
    ("object.definition.interactionType", "choice", None),
    (
        "object.definition.interactionType",
        "Choice",
        "object.definition.interactionType: not a defined interaction type",
    ),
    (
        "object.definition.correctResponsesPattern",
        ["a"],
        "object.definition.interactionType: is required with correctResponsesPattern",
    ),
    (
        "object.definition.choices",
        [{"id": "a"}],
        "object.definition.choices: requires an interactionType",
    ),
    # Data 2.4.5 result.
    ("result.score.scaled", 1.5, "result.score.scaled: must be between -1 and 1"),
    ("result.score.scaled", -1, None),
    ("result.score.scaled", "0.5", "result.score.scaled: must be a number"),
    ("result.score.scaled", True, "result.score.scaled: must be a number"),
    ("result.score.scaled", float("nan"), "result.score.scaled: must be a number"),
    ("result.score.raw", 101, "result.score.raw: must not be greater than max"),
    ("result.score.raw", -1, "result.score.raw: must not be less than min"),
    ("result.score.min", 100, "result.score.min: must be less than max"),
    ("result.score", {}, None),
    ("result.success", "true", "result.success: must be a boolean"),
    ("result.completion", 1, "result.completion: must be a boolean"),
    ("result.response", 42, "result.response: must be a string"),
    ("result.duration", "P4W", None),
    ("result.duration", "P3Y1M29DT4H35M59.14S", None),
    ("result.duration", "P4W1D", "result.duration: not an ISO 8601 duration"),
    ("result.duration", "1 hour", "result.duration: not an ISO 8601 duration"),
    ("result.duration", 3600, "result.duration: must be a string"),
    ("result.extensions", {"notes": 1}, "result.extensions.notes: key not an IRI"),
    # Data 2.4.6 context.
    ("context.registration", "not-a-uuid", "context.registration: not a UUID"),
    ("context.instructor", {"objectType": "Group", "member": [AGENT]}, None),
    (
        "context.instructor.objectType",
        "Person",
        "context.instructor.objectType: must be Agent or Group",
    ),
    ("context.team", AGENT, "context.team.objectType: must be Group"),
    ("context.contextActivities.parent", {"id": "https://trellis.example/x"}, None),
    (
        "context.contextActivities.parent",
        [{"id": "https://trellis.example/x"}, {"id": "not an iri"}],
        "context.contextActivities.parent[1].id: not an IRI",
    ),
    (
        "context.contextActivities.parent[0]",
        {"objectType": "Agent", "mbox": "mailto:a@b.c"},
        "context.contextActivities.parent[0].objectType: must be Activity",
    ),
    (
        "context.contextActivities.siblings",
        [],
        "context.contextActivities.siblings: unknown property",
    ),
    ("context.contextActivities.other", "x", "context.contextActivities.other: must be an object"),
    ("context.revision", 2, "context.revision: must be a string"),
    ("context.language", "chinese simplified", "context.language: not an RFC 5646 language tag"),
    (
        "context.statement",
        {"id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        "context.statement.objectType: must be StatementRef",
    ),
    ("context.extensions", {"a b": 1}, 'context.extensions["a b"]: key not an IRI'),
    ("context.contextAgents", [], "context.contextAgents: unknown property"),
    # Data 2.4.7 / 2.4.8 timestamps.
    ("timestamp", "2008-09-15T15:53:00.601+08:00", None),
    ("timestamp", "2008-09-15T15:53:00.601+0800", None),
    ("timestamp", "2008-09-15T15:53:00", None),
    ("timestamp", "2031-11-22T10:46:01.255Z", None),
    ("timestamp", "2008-09-15T15:53:00.601-00:00", "timestamp: not a valid timestamp"),
    ("timestamp", "2008-09-15T15:53:00.601-0000", "timestamp: not a valid timestamp"),
    ("timestamp", "2008-09-15T15:53:00.601-00", "timestamp: not a valid timestamp"),
    ("timestamp", "01/011/2015", "timestamp: not a valid timestamp"),
    ("timestamp", "2008-02-30T00:00:00Z", "timestamp: not a valid timestamp"),
    ("timestamp", 1700000000, "timestamp: must be a string"),
    ("stored", "yesterday", "stored: not a valid timestamp"),
    # Data 2.4.9 authority.
    ("authority", {"objectType": "Group", "member": [AGENT, {"account": ACCOUNT}]}, None),
    (
        "authority",
        {"objectType": "Group", "member": [AGENT]},
        "authority.member: a group authority must have exactly two members",
    ),
    (
        "authority",
        {"objectType": "Group", "mbox": "mailto:g@x.y", "member": [AGENT, {"account": ACCOUNT}]},
        "authority: a group authority must be anonymous",
    ),
    ("authority.objectType", "Activity", "authority.objectType: must be Agent or Group"),
    # Data 2.4.10 version.
    ("version", "1.0", None),
    ("version", "1.0.9", None),
    ("version", "0.9.9", "version: not a supported xAPI version"),
    ("version", "1.1.0", "version: not a supported xAPI version"),
    ("version", "2.0.0", "version: not a supported xAPI version"),
    ("version", 1.0, "version: must be a string"),
    # Data 2.4.11 attachments.
    ("attachments", {}, "attachments: must be an array"),
    ("attachments[0]", "file", "attachments[0]: must be an object"),
    ("attachments[0].usageType", "plan", "attachments[0].usageType: not an IRI"),
    ("attachments[0].usageType", DELETE, "attachments[0].usageType: is required"),
    ("attachments[0].display", DELETE, "attachments[0].display: is required"),
    ("attachments[0].display", "Plan", "attachments[0].display: must be a language map object"),
    ("attachments[0].description", 1, "attachments[0].description: must be a language map object"),
    ("attachments[0].contentType", 1, "attachments[0].contentType: must be a string"),
    ("attachments[0].contentType", "pdf", "attachments[0].contentType: not an Internet media type"),
    ("attachments[0].length", "12345", "attachments[0].length: must be a non-negative integer"),
    ("attachments[0].length", 1.5, "attachments[0].length: must be a non-negative integer"),
    ("attachments[0].length", True, "attachments[0].length: must be a non-negative integer"),
    ("attachments[0].sha2", "should fail", "attachments[0].sha2: not a SHA-2 hex digest"),
    ("attachments[0].fileUrl", "plan.pdf", "attachments[0].fileUrl: not an IRI"),
    ("attachments[0].fileUrl", DELETE, None),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    STATEMENT_CASES,
    ids=[f"{path}={value!r}"[:80] for path, value, _ in STATEMENT_CASES],
)
def test_statement_rule(path: str, value: Any, expected: str | None) -> None:
    """Data 2.2-2.4.11: one changed value is accepted or reported at its path."""
    problems = _problems(mutated(full_statement(), path, value))
    if expected is None:
        assert problems == []
    else:
        assert expected in problems


NON_ACTIVITY_OBJECTS = {
    "Agent": {"objectType": "Agent", "mbox": "mailto:b@c.d"},
    "Group": {"objectType": "Group", "member": [AGENT]},
    "IdentifiedGroup": {"objectType": "Group", "openid": "https://openid.example/g"},
    "StatementRef": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
    "SubStatement": substatement(),
}


@pytest.mark.parametrize("kind", NON_ACTIVITY_OBJECTS)
def test_non_activity_objects_are_valid(kind: str) -> None:
    """Data 2.4.4: the object may be an Agent, a Group, a StatementRef or a SubStatement."""
    statement = _without_revision_and_platform(full_statement())
    assert _problems(mutated(statement, "object", NON_ACTIVITY_OBJECTS[kind])) == []


@pytest.mark.parametrize("kind", NON_ACTIVITY_OBJECTS)
def test_revision_and_platform_require_an_activity_object(kind: str) -> None:
    """Data 2.4.6: "revision" and "platform" MUST only be used if the Object is an Activity."""
    problems = _problems(mutated(full_statement(), "object", NON_ACTIVITY_OBJECTS[kind]))
    assert "context.revision: only allowed when the object is an Activity" in problems
    assert "context.platform: only allowed when the object is an Activity" in problems


# --- SubStatements (Data 2.4.4.3) ---------------------------------------------------------

SUBSTATEMENT_CASES: list[tuple[str, Any, str | None]] = [
    (
        "object.objectType",
        "substatement",
        "object.objectType: must be Activity, Agent, Group, StatementRef or SubStatement",
    ),
    ("object.actor", DELETE, "object.actor: is required"),
    ("object.verb", DELETE, "object.verb: is required"),
    ("object.object", DELETE, "object.object: is required"),
    ("object.id", "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "object.id: unknown property"),
    ("object.stored", "2026-01-01T00:00:00Z", "object.stored: unknown property"),
    ("object.version", "1.0.3", "object.version: unknown property"),
    ("object.authority", AGENT, "object.authority: unknown property"),
    (
        "object.object",
        substatement(),
        "object.object.objectType: a SubStatement cannot contain a SubStatement",
    ),
    (
        "object.object",
        {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        None,
    ),
    ("object.object", {"objectType": "Group", "member": [AGENT]}, None),
    ("object.timestamp", "01/011/2015", "object.timestamp: not a valid timestamp"),
    ("object.verb.id", "nope", "object.verb.id: not an IRI"),
    (
        "object.context.contextActivities.parent.id",
        "nope",
        "object.context.contextActivities.parent.id: not an IRI",
    ),
    ("object.result.duration", "PT1X", "object.result.duration: not an ISO 8601 duration"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    SUBSTATEMENT_CASES,
    ids=[f"{path}={value!r}"[:80] for path, value, _ in SUBSTATEMENT_CASES],
)
def test_substatement_rule(path: str, value: Any, expected: str | None) -> None:
    """Data 2.4.4.3: a SubStatement is a Statement without id, stored, version, authority,
    and it cannot nest another SubStatement."""
    statement = _without_revision_and_platform(mutated(full_statement(), "object", substatement()))
    problems = _problems(mutated(statement, path, value))
    if expected is None:
        assert problems == []
    else:
        assert expected in problems


# --- Interaction activities (Data 2.4.4.1) --------------------------------------------------


def _interaction(interaction_type: str, **lists: Any) -> dict[str, Any]:
    return {
        "id": "https://trellis.example/q/1",
        "definition": {
            "type": vocabulary.ACTIVITY_TYPE_CMI_INTERACTION,
            "interactionType": interaction_type,
            "correctResponsesPattern": ["a"],
            **lists,
        },
    }


COMPONENTS = [{"id": "a", "description": {"en": "A"}}, {"id": "b"}]

INTERACTION_CASES: list[tuple[dict[str, Any], str | None]] = [
    (_interaction("true-false"), None),
    (_interaction("choice", choices=COMPONENTS), None),
    (_interaction("sequencing", choices=COMPONENTS), None),
    (_interaction("likert", scale=COMPONENTS), None),
    (_interaction("matching", source=COMPONENTS, target=COMPONENTS), None),
    (_interaction("performance", steps=COMPONENTS), None),
    (_interaction("fill-in"), None),
    (_interaction("long-fill-in"), None),
    (_interaction("numeric"), None),
    (_interaction("other"), None),
    (_interaction("choice"), None),
    (
        _interaction("likert", choices=COMPONENTS),
        "object.definition.choices: not allowed for this interactionType",
    ),
    (
        _interaction("true-false", steps=COMPONENTS),
        "object.definition.steps: not allowed for this interactionType",
    ),
    (
        _interaction("choice", choices=[{"id": "a"}, {"id": "a"}]),
        "object.definition.choices[1].id: duplicate interaction component id",
    ),
    (
        _interaction("choice", choices=[{"description": {"en": "x"}}]),
        "object.definition.choices[0].id: is required",
    ),
    (
        _interaction("choice", choices=[{"id": 1}]),
        "object.definition.choices[0].id: must be a string",
    ),
    (
        _interaction("choice", choices=[{"id": "a", "label": "x"}]),
        "object.definition.choices[0].label: unknown property",
    ),
    (_interaction("choice", choices={"id": "a"}), "object.definition.choices: must be an array"),
    (
        _interaction("choice", correctResponsesPattern="a"),
        "object.definition.correctResponsesPattern: must be an array",
    ),
    (
        _interaction("choice", correctResponsesPattern=[1]),
        "object.definition.correctResponsesPattern[0]: must be a string",
    ),
    (_interaction("choice", correctResponsesPattern=[]), None),
]


@pytest.mark.parametrize(("activity", "expected"), INTERACTION_CASES)
def test_interaction_activity_rule(activity: dict[str, Any], expected: str | None) -> None:
    """Data 2.4.4.1: interactionType is one of ten values, each with its own component lists,
    and the ids within a component list MUST be distinct."""
    problems = _problems(mutated(full_statement(), "object", activity))
    if expected is None:
        assert problems == []
    else:
        assert expected in problems


# --- Voiding (Data 2.3.2) ---------------------------------------------------------------------


def test_voiding_statement_with_statement_ref_is_valid() -> None:
    """Data 2.3.2: a voiding statement targets a StatementRef."""
    statement = {
        "actor": AGENT,
        "verb": {"id": vocabulary.VERB_VOIDED},
        "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
    }
    validate_statement(statement)


def test_voiding_statement_with_activity_object_is_rejected() -> None:
    """Data 2.3.2: "the Object of a voiding Statement MUST be a StatementRef" (XAPI-00015)."""
    statement = {
        "actor": AGENT,
        "verb": {"id": vocabulary.VERB_VOIDED},
        "object": {"id": "https://trellis.example/x"},
    }
    assert _problems(statement) == ["object: a voiding statement's object must be a StatementRef"]


# --- xAPI 2.0 (IEEE 9274.1.1-2023) ----------------------------------------------------------

CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": AGENT,
    "relevantTypes": ["https://t.example/r"],
}
CONTEXT_GROUP = {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [AGENT]}}

V2_CASES: list[tuple[str, Any, str | None]] = [
    ("context.contextAgents", [CONTEXT_AGENT], None),
    ("context.contextGroups", [CONTEXT_GROUP], None),
    ("context.contextAgents", CONTEXT_AGENT, "context.contextAgents: must be an array"),
    (
        "context.contextAgents",
        [{**CONTEXT_AGENT, "objectType": "Agent"}],
        "context.contextAgents[0].objectType: must be contextAgent",
    ),
    (
        "context.contextAgents",
        [{"objectType": "contextAgent"}],
        "context.contextAgents[0].agent: is required",
    ),
    (
        "context.contextAgents",
        [{**CONTEXT_AGENT, "agent": {"key": "x"}}],
        "context.contextAgents[0].agent.key: unknown property",
    ),
    (
        "context.contextAgents",
        [{**CONTEXT_AGENT, "agent": {"objectType": "Group", "member": [AGENT]}}],
        "context.contextAgents[0].agent.objectType: must be Agent",
    ),
    (
        "context.contextAgents",
        [{**CONTEXT_AGENT, "relevantTypes": []}],
        "context.contextAgents[0].relevantTypes: must not be empty",
    ),
    (
        "context.contextAgents",
        [{**CONTEXT_AGENT, "relevantTypes": ["abc"]}],
        "context.contextAgents[0].relevantTypes[0]: not an IRI",
    ),
    (
        "context.contextGroups",
        [{**CONTEXT_GROUP, "objectType": "Group"}],
        "context.contextGroups[0].objectType: must be contextGroup",
    ),
    (
        "context.contextGroups",
        [{**CONTEXT_GROUP, "group": AGENT}],
        "context.contextGroups[0].group.objectType: must be Group",
    ),
    (
        "context.contextGroups",
        [{"objectType": "contextGroup"}],
        "context.contextGroups[0].group: is required",
    ),
    ("timestamp", "2008-09-15T15:53:00.601+00:00", None),
    ("timestamp", "2008-09-15T15:53:00.601+08:00", None),
    ("timestamp", "2008-09-15T15:53:00.601", "timestamp: not a valid timestamp"),
    ("timestamp", "2008-09-15T15:53:00.601-00:00", "timestamp: not a valid timestamp"),
    ("version", "2.0.0", None),
    ("version", "1.0.3", None),
    ("version", "2.1.0", "version: not a supported xAPI version"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), V2_CASES, ids=[f"{p}={v!r}"[:80] for p, v, _ in V2_CASES]
)
def test_xapi_2_0_rule(path: str, value: Any, expected: str | None) -> None:
    """IEEE 9274.1.1-2023 4.2.2.5 and 4.2.7: contextAgents/contextGroups and RFC 3339
    timestamps (with an offset, never -00:00) apply when 2.0 is negotiated."""
    problems = _problems(mutated(full_statement(), path, value), V2)
    if expected is None:
        assert problems == []
    else:
        assert expected in problems


# --- Batches and the error itself -----------------------------------------------------------


def test_batch_problems_are_prefixed_with_the_index() -> None:
    """Communication 2.1.2: a POST may carry an array; problems name the statement's index."""
    bad = mutated(full_statement(), "verb.id", "attended")
    batch = [full_statement() | {"id": "6b1f0e0e-0000-4000-8000-000000000001"}, bad]
    with pytest.raises(StatementValidationError) as caught:
        validate_statements(batch)
    assert caught.value.messages == ["[1].verb.id: not an IRI"]


def test_batch_with_duplicate_ids_is_rejected() -> None:
    """Communication 2.1.2: the LRS SHOULD* reject a batch with two statements of one id."""
    first = full_statement()
    second = mutated(first, "id", first["id"].upper())
    with pytest.raises(StatementValidationError) as caught:
        validate_statements([first, second])
    assert caught.value.messages == ["[1].id: duplicates the id of [0]"]


def test_single_statement_body_is_accepted_by_validate_statements() -> None:
    """Communication 2.1.2: the body is a Statement or an array of Statements."""
    validate_statements(full_statement())
    validate_statements([])


def test_error_keeps_only_the_first_few_problems() -> None:
    """A statement wrong in many places reports a bounded number of problems."""
    statement = mutated(full_statement(), "context.contextActivities.parent", [{"id": "x"}] * 500)
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement)
    assert 1 <= len(caught.value.problems) <= 10
    assert str(caught.value).startswith("context.contextActivities.parent[0].id: not an IRI")


@pytest.mark.parametrize("body", [None, 1, "statement", True, [], {}], ids=repr)
def test_non_statements_are_rejected_at_the_root(body: Any) -> None:
    """Data 2.2: a statement is a JSON object with actor, verb and object."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(body)
    assert all(problem.path for problem in caught.value.problems)
